package io.dspysuite.orchestration.job.ingest;

import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.kafka.ProtobufDeserializer;

/** Kafka value deserializer for {@code dspy.tasks.requested} (Kafka instantiates it by class name). */
public class TaskRequestedDeserializer extends ProtobufDeserializer<TaskRequested> {

    public TaskRequestedDeserializer() {
        super(TaskRequested.parser());
    }
}
