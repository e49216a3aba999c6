package io.dspysuite.gateway.task.service;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.events.TaskControlPublisher;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskStore;
import io.smallrye.mutiny.Uni;

/**
 * Cancelling, for REST and WebSocket alike: records the request on the task and publishes {@code TaskControl.cancel}
 * keyed by the task id. The orchestration service stops the job (and its running gRPC call) and reports the
 * {@code cancelled} status event; until then the task keeps its status with {@code cancel_requested_at} set.
 * Cancelling again while the task is not final publishes again (harmless: the orchestrator treats it idempotently).
 */
@ApplicationScoped
public class TaskCancelService {

    private static final Logger LOG = Logger.getLogger(TaskCancelService.class);

    private final TaskStore store;
    private final TaskControlPublisher publisher;
    private final TaskViews views;

    public TaskCancelService(TaskStore store, TaskControlPublisher publisher, TaskViews views) {
        this.store = store;
        this.publisher = publisher;
        this.views = views;
    }

    /**
     * @return the task (still queued or running) once the cancel request is on the broker
     * @throws ApiException (as the Uni's failure) TASK_NOT_FOUND (also other tenants' tasks), TASK_FINISHED (already
     *         final: nothing to cancel), SERVICE_UNAVAILABLE (the request could not be delivered; retry)
     */
    public Uni<TaskView> cancel(String tenantId, String taskId) {
        UUID id = Uuids.parse(taskId).orElse(null);
        if (id == null) {
            return Uni.createFrom().failure(ApiException.taskNotFound());
        }
        return store.requestCancel(id, tenantId).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().failure(ApiException.taskNotFound());
            }
            var task = found.get();
            if (task.status().isTerminal()) {
                return Uni.createFrom().failure(ApiException.forTask(ErrorCode.TASK_FINISHED,
                        "The task already " + task.status().wire() + "; there is nothing to cancel", id, null));
            }
            return publisher.cancel(task)
                    .onFailure().transform(e -> {
                        LOG.warnf(e, "publishing the cancel request of task %s failed", id);
                        return ApiException.forTask(ErrorCode.SERVICE_UNAVAILABLE,
                                "The cancel request could not be delivered; retry", id, e);
                    })
                    .replaceWith(() -> views.of(task));
        });
    }
}
