package io.dspysuite.orchestration.job.ingest;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.NewJob;
import io.dspysuite.orchestration.job.worker.KindsConfig;
import io.dspysuite.orchestration.job.worker.QueuesConfig;
import io.dspysuite.protos.events.v1.TaskRequested;

/** Validates a {@link TaskRequested} and turns it into the job to store. */
@ApplicationScoped
public class NewJobFactory {

    private final QueuesConfig queues;
    private final KindsConfig kinds;

    NewJobFactory(QueuesConfig queues, KindsConfig kinds) {
        this.queues = queues;
        this.kinds = kinds;
    }

    /** @throws InvalidTaskRequestException when the request cannot become a job */
    public NewJob create(TaskRequested request, String traceParent) {
        if (request == null) {
            throw new InvalidTaskRequestException("empty record (no value)");
        }
        UUID id = parseTaskId(request.getTaskId());
        if (request.getTenantId().isBlank()) {
            throw new InvalidTaskRequestException("task " + id + " has no tenant id");
        }
        JobQueue queue = JobQueue.forKind(request.getKind())
                .orElseThrow(() -> new InvalidTaskRequestException(
                        "task " + id + " has no supported kind (" + request.getKindValue() + ")"));
        QueuesConfig.Queue settings = queues.of(queue);
        int maxAttempts = kinds.of(request.getKind()).maxAttempts();
        return new NewJob(id, request.getTenantId(), request, queue, settings.priority(), maxAttempts, traceParent);
    }

    private static UUID parseTaskId(String taskId) {
        try {
            UUID id = UUID.fromString(taskId);
            // UUID.fromString is lenient ("1-2-3-4-5" parses); only the canonical form maps back to the same key.
            if (!id.toString().equalsIgnoreCase(taskId)) {
                throw new IllegalArgumentException();
            }
            return id;
        } catch (IllegalArgumentException e) {
            throw new InvalidTaskRequestException("task id is not a UUID");
        }
    }
}
