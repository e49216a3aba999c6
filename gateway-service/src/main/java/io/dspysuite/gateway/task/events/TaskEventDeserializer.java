package io.dspysuite.gateway.task.events;

import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.kafka.ProtobufDeserializer;

/** Kafka value deserializer of {@code dspy.tasks.events} (named in the channel configuration). */
public class TaskEventDeserializer extends ProtobufDeserializer<TaskEvent> {

    public TaskEventDeserializer() {
        super(TaskEvent.parser());
    }
}
