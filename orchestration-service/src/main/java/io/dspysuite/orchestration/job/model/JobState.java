package io.dspysuite.orchestration.job.model;

/** Life-cycle states of a job row (column {@code jobs.state}); the names are the stored values in lower case. */
public enum JobState {
    AVAILABLE,
    /** Reserved: waiting for its {@code scheduled_at} (delayed jobs). */
    SCHEDULED,
    EXECUTING,
    /** Reserved: failed an attempt, will be made available again after a backoff. */
    RETRYABLE,
    COMPLETED,
    DISCARDED,
    CANCELLED;

    public String dbValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
