package io.dspysuite.orchestration.job.ingest;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.Headers;

import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.DeserializationFailureHandler;

/**
 * Lets an undecodable {@code dspy.tasks.requested} record reach {@link TaskRequestConsumer} (with no payload) instead
 * of being sent to the DLQ by the connector before the application sees it: its task must be ended first
 * ({@link RejectedRequests}; the gateway already answered 202). The connector's failure details are kept in the
 * record's headers, so the DLQ still receives the original bytes when the consumer nacks the record; only the flag that
 * makes the connector divert the record itself is removed. Channel setting: {@code value-deserialization-failure-handler}.
 */
@ApplicationScoped
@Identifier(UndecodableTaskRequests.NAME)
public class UndecodableTaskRequests implements DeserializationFailureHandler<TaskRequested> {

    public static final String NAME = "undecodable-task-requests";

    @Override
    public TaskRequested decorateDeserialization(Uni<TaskRequested> deserialization, String topic, boolean isKey,
            String deserializer, byte[] data, Headers headers) {
        // The deserialization is a synchronous item: awaiting it runs it here, on the Kafka polling thread.
        return deserialization.onFailure().recoverWithItem(failure -> {
            DeserializationFailureHandler.addFailureDetailsToHeaders(deserializer, topic, isKey, headers, data, failure);
            headers.remove(DESERIALIZATION_FAILURE_DLQ);
            return null;
        }).await().indefinitely();
    }
}
