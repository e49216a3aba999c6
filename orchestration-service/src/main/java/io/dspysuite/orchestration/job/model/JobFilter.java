package io.dspysuite.orchestration.job.model;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * A page request of the admin job listing (newest first).
 *
 * @param states states to include (empty = all)
 * @param queues queues to include (empty = all)
 * @param tenantId only this tenant's jobs, or {@code null}
 * @param after keyset bound: only jobs strictly older than this position, or {@code null} for the first page
 */
public record JobFilter(List<JobState> states, List<JobQueue> queues, String tenantId, int limit, Position after) {

    public JobFilter {
        states = List.copyOf(states);
        queues = List.copyOf(queues);
    }

    /** A position in the listing order ({@code inserted_at DESC, id DESC}). */
    public record Position(OffsetDateTime insertedAt, UUID id) {
    }
}
