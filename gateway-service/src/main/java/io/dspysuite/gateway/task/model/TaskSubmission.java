package io.dspysuite.gateway.task.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A validated, normalised request to run a task (what REST and WebSocket submissions both become).
 *
 * @param idempotencyKey the client's key, or null
 * @param spec evaluate/optimize only: {@code {"evaluate": {...}}} or {@code {"optimize": {...}, "target_program": ...}}
 *        (see {@link TaskSpecs}); null for predict
 * @param requestHash SHA-256 hex of the canonical request, to detect a reused idempotency key with another body
 */
public record TaskSubmission(
        TaskKind kind,
        ProgramSpec program,
        ObjectNode inputs,
        ObjectNode options,
        String idempotencyKey,
        String requestHash,
        ObjectNode spec) {
}
