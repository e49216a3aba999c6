package io.dspysuite.orchestration.job.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import io.dspysuite.protos.events.v1.TaskRequested;

/**
 * A job this replica has just claimed (state {@code executing}, lease held by {@code owner}).
 *
 * @param attempt the attempt now running (1-based); every later update of the row is guarded by it and the owner
 * @param traceParent W3C traceparent stored with the request, or {@code null}
 * @param lease how long the lease lasts from each renewal (heartbeat)
 * @param insertedAt when the job was stored
 * @param unavailableSince when the DSPy service outage that postponed this job began (its first postponement since
 *        its last counted attempt), or {@code null}: bounds how long outages may postpone it for free
 * @param claimSentNanos {@link System#nanoTime()} on this replica, read before the claim statement was sent: the
 *        database started the lease ({@code now()}, its own clock) after that moment, so on this replica's monotonic
 *        clock the lease cannot expire before {@code claimSentNanos + lease} (see {@code LeaseFence})
 */
public record ClaimedJob(UUID id, String tenantId, JobQueue queue, int attempt, int maxAttempts, TaskRequested request,
        String traceParent, Duration lease, Instant insertedAt, String owner, Instant unavailableSince,
        long claimSentNanos) {

    public ClaimedJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(owner, "owner");
    }
}
