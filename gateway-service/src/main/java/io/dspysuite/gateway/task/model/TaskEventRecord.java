package io.dspysuite.gateway.task.model;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One task event as the gateway stores and forwards it: the public {@code event}/{@code data} shape of WebSocket
 * frames, decoded once from the Kafka envelope.
 *
 * @param status for status events, the new status; null otherwise
 * @param traceId W3C trace id of the task's trace, or null
 */
public record TaskEventRecord(
        UUID taskId,
        long seq,
        EventType type,
        ObjectNode data,
        Instant occurredAt,
        TaskStatus status,
        String traceId) {

    /** True for the status event that ends the task: nothing follows it. */
    public boolean isTerminal() {
        return type == EventType.STATUS && status != null && status.isTerminal();
    }
}
