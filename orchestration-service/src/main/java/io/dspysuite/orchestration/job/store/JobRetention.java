package io.dspysuite.orchestration.job.store;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Deletes what finished long ago, one bounded batch per statement (each its own short transaction), so pruning never
 * holds many locks for long. {@code FOR UPDATE SKIP LOCKED} lets several replicas prune at once without waiting on
 * each other, and a row some other transaction holds is simply left for the next round.
 */
@ApplicationScoped
public class JobRetention {

    // A job is deleted only once its events are all out (no outbox row left): the relay deletes a row when Kafka
    // acknowledged it, so the outbox never holds published rows, and an unpublished final event is never lost.
    // The attempt history lives in the row (jobs.attempts) and goes with it.
    private static final String PRUNE_JOBS = """
            DELETE FROM orchestration.jobs j
             USING (SELECT id FROM orchestration.jobs f
                     WHERE f.state IN ('completed', 'discarded', 'cancelled')
                       AND f.completed_at < now() - $1 * interval '1 millisecond'
                       AND NOT EXISTS (SELECT 1 FROM orchestration.outbox o WHERE o.task_id = f.id)
                     ORDER BY f.completed_at
                     LIMIT $2
                       FOR UPDATE SKIP LOCKED) doomed
             WHERE j.id = doomed.id
            """;

    // Remembered cancellations whose job ended (or is gone, or never came) long ago. One that still waits for an
    // unfinished job is kept.
    private static final String PRUNE_CANCELS = """
            DELETE FROM orchestration.cancel_requests c
             USING (SELECT task_id FROM orchestration.cancel_requests r
                     WHERE r.requested_at < now() - $1 * interval '1 millisecond'
                       AND NOT EXISTS (SELECT 1 FROM orchestration.jobs j WHERE j.id = r.task_id
                                          AND j.state IN ('available', 'scheduled', 'executing', 'retryable'))
                     LIMIT $2
                       FOR UPDATE SKIP LOCKED) doomed
             WHERE c.task_id = doomed.task_id
            """;

    private final Pool pool;

    JobRetention(Pool pool) {
        this.pool = pool;
    }

    /** Deletes up to {@code batch} jobs finished more than {@code maxAge} ago; how many were deleted. */
    public Uni<Integer> pruneJobs(Duration maxAge, int batch) {
        return pool.preparedQuery(PRUNE_JOBS).execute(Tuple.of(maxAge.toMillis(), batch)).map(rows -> rows.rowCount());
    }

    /** Deletes up to {@code batch} remembered cancellations older than {@code maxAge}; how many were deleted. */
    public Uni<Integer> pruneCancelRequests(Duration maxAge, int batch) {
        return pool.preparedQuery(PRUNE_CANCELS).execute(Tuple.of(maxAge.toMillis(), batch))
                .map(rows -> rows.rowCount());
    }
}
