package io.dspysuite.orchestration.job.model;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A job as operators see it (admin API): its row without the request payload, plus its attempt history.
 *
 * @param scheduledAt when it is (or was) claimable
 * @param attemptedAt when the last attempt started, or {@code null}
 * @param finishedAt when it reached a final state, or {@code null}
 * @param errors one record per failed attempt (and the operator's discard), oldest first
 */
public record JobView(UUID id, String tenantId, String kind, String queue, String state, int priority, int attempt,
        int maxAttempts, OffsetDateTime scheduledAt, OffsetDateTime insertedAt, OffsetDateTime attemptedAt,
        OffsetDateTime finishedAt, List<ErrorRecord> errors) {

    public JobView {
        Objects.requireNonNull(id, "id");
        errors = List.copyOf(errors);
    }

    /** One entry of {@code jobs.attempts}. {@code at} is kept as stored (ISO timestamp text). */
    public record ErrorRecord(int attempt, String code, String message, String at) {
    }

    public boolean finished() {
        return state.equals("completed") || state.equals("discarded") || state.equals("cancelled");
    }
}
