package io.dspysuite.gateway.task.store;

import java.time.OffsetDateTime;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.task.model.TaskKind;
import io.dspysuite.gateway.task.model.TaskStatus;

/**
 * A row of {@code gateway.tasks}. JSON columns stay JSON trees; {@code inputs}/{@code options} are only loaded where a
 * request must be (re)published. {@code spec} (evaluate/optimize: metric, datasets, optimizer) likewise; null for
 * predict tasks.
 */
public record TaskRow(
        UUID id,
        String tenantId,
        TaskKind kind,
        TaskStatus status,
        ObjectNode program,
        ObjectNode inputs,
        ObjectNode options,
        ObjectNode result,
        ObjectNode usage,
        ObjectNode error,
        ObjectNode progress,
        long lastSeq,
        int attempt,
        String traceId,
        String idempotencyKey,
        String requestHash,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime finishedAt,
        OffsetDateTime updatedAt,
        OffsetDateTime cancelRequestedAt,
        ObjectNode spec) {

    /** The stored error's code, or null. */
    public String errorCode() {
        return error == null || !error.hasNonNull("code") ? null : error.get("code").asText();
    }
}
