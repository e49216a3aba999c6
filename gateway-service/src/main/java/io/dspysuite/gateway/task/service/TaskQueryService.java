package io.dspysuite.gateway.task.service;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskStore;
import io.smallrye.mutiny.Uni;

/** Reads tasks on behalf of a tenant. */
@ApplicationScoped
public class TaskQueryService {

    private final TaskStore store;
    private final TaskViews views;

    public TaskQueryService(TaskStore store, TaskViews views) {
        this.store = store;
        this.views = views;
    }

    /**
     * The tenant's task. Unknown ids, malformed ids and other tenants' tasks all answer TASK_NOT_FOUND, so a tenant
     * cannot probe which task ids exist.
     */
    public Uni<TaskView> get(String tenantId, String taskId) {
        return Uuids.parse(taskId)
                .map(id -> store.find(id, tenantId)
                        .map(row -> views.of(row.orElseThrow(ApiException::taskNotFound))))
                .orElseGet(() -> Uni.createFrom().failure(ApiException.taskNotFound()));
    }
}
