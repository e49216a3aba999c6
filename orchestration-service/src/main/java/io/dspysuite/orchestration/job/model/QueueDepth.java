package io.dspysuite.orchestration.job.model;

/**
 * The unfinished jobs of one queue across all replicas (one GROUP BY over the job table).
 *
 * @param oldestDueAgeMillis how long the longest-waiting claimable job (available, scheduled or retryable, with
 *        {@code scheduled_at} passed) has been claimable; 0 when none is
 */
public record QueueDepth(JobQueue queue, long available, long scheduled, long executing, long retryable,
        long oldestDueAgeMillis) {

    public static QueueDepth empty(JobQueue queue) {
        return new QueueDepth(queue, 0, 0, 0, 0, 0);
    }

    public long count(JobState state) {
        return switch (state) {
            case AVAILABLE -> available;
            case SCHEDULED -> scheduled;
            case EXECUTING -> executing;
            case RETRYABLE -> retryable;
            default -> 0;
        };
    }
}
