package io.dspysuite.orchestration.job.model;

import java.util.Objects;
import java.util.UUID;

import io.dspysuite.protos.events.v1.TaskRequested;

/**
 * A job about to be inserted, built from a validated {@link TaskRequested}.
 *
 * @param traceParent W3C traceparent of the request, or {@code null} when it carried none
 */
public record NewJob(UUID id, String tenantId, TaskRequested request, JobQueue queue, int priority, int maxAttempts,
        String traceParent) {

    public NewJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(queue, "queue");
    }
}
