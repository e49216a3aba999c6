package io.dspysuite.orchestration.job.model;

import java.util.Objects;
import java.util.UUID;

import io.dspysuite.protos.events.v1.TaskRequested;

/**
 * A job this replica has just claimed (state {@code executing}, lease held).
 *
 * @param attempt the attempt now running (1-based)
 * @param runningSeq the event seq allotted to the RUNNING event of this attempt (the row's {@code last_seq})
 * @param traceParent W3C traceparent stored with the request, or {@code null}
 */
public record ClaimedJob(UUID id, String tenantId, JobQueue queue, int attempt, int maxAttempts, TaskRequested request,
        long runningSeq, String traceParent) {

    public ClaimedJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(request, "request");
    }
}
