package io.dspysuite.orchestration.job.model;

/**
 * Life-cycle states of a job row (column {@code jobs.state}); the names are the stored values in lower case.
 * <pre>
 *   available ──claim──▶ executing ──▶ completed                      (SUCCEEDED)
 *      ▲  ▲                 │  │  └───▶ discarded                      (FAILED: not retryable, or attempts spent)
 *      │  └── lease rescue ─┘  └──────▶ retryable ──scheduled_at──▶ claimed again   (QUEUED)
 *      └── DSPy service unavailable (not there, breaker open): attempt not counted, until unavailable-max-wait
 *   available / scheduled / retryable / executing ──cancel──▶ cancelled  (CANCELLED)
 * </pre>
 * API statuses: available, scheduled, retryable = queued; executing = running; completed = succeeded;
 * discarded = failed; cancelled = cancelled.
 */
public enum JobState {
    AVAILABLE,
    /** Reserved: waiting for its {@code scheduled_at} (delayed jobs); claimable once it has passed. */
    SCHEDULED,
    EXECUTING,
    /** An attempt failed transiently; claimable again once {@code scheduled_at} (now + backoff) has passed. */
    RETRYABLE,
    COMPLETED,
    DISCARDED,
    CANCELLED;

    public String dbValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
