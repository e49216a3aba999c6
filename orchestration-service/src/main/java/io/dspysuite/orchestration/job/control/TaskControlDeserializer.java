package io.dspysuite.orchestration.job.control;

import io.dspysuite.protos.events.v1.TaskControl;
import io.dspysuite.protos.kafka.ProtobufDeserializer;

/** Kafka value deserializer for {@code dspy.tasks.control} (Kafka instantiates it by class name). */
public class TaskControlDeserializer extends ProtobufDeserializer<TaskControl> {

    public TaskControlDeserializer() {
        super(TaskControl.parser());
    }
}
