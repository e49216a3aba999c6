package io.dspysuite.gateway.task.service;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.task.model.TaskKind;
import io.dspysuite.gateway.task.model.TaskPage;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.gateway.task.store.TaskStore;
import io.dspysuite.gateway.task.store.TaskStore.ListPosition;
import io.smallrye.mutiny.Uni;

/** Reads tasks on behalf of a tenant. */
@ApplicationScoped
public class TaskQueryService {

    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;

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

    /**
     * A page of the tenant's tasks, newest first.
     *
     * @param statuses wire names; each value may also be a comma-separated list; empty or null for all
     * @param kind a wire name or null
     * @param limit 1..{@value #MAX_LIMIT}, null for {@value #DEFAULT_LIMIT}
     * @param cursor the previous page's {@code next_cursor}, or null for the first page
     * @throws ApiException (as the Uni's failure) INVALID_PARAMETER listing every bad parameter
     */
    public Uni<TaskPage> list(String tenantId, List<String> statuses, String kind, Integer limit, String cursor) {
        return Uni.createFrom().deferred(() -> {
            List<Violation> violations = new ArrayList<>();
            Set<TaskStatus> statusFilter = EnumSet.noneOf(TaskStatus.class);
            for (String value : statuses == null ? List.<String> of() : statuses) {
                for (String name : value.split(",", -1)) {
                    TaskStatus.fromWire(name.strip()).ifPresentOrElse(statusFilter::add, () -> violations.add(
                            new Violation("status", "must be one of queued, running, succeeded, failed, cancelled")));
                }
            }
            TaskKind kindFilter = null;
            if (kind != null) {
                kindFilter = TaskKind.fromWire(kind.strip()).orElse(null);
                if (kindFilter == null) {
                    violations.add(new Violation("kind", "must be one of predict, evaluate, optimize"));
                }
            }
            int size = limit == null ? DEFAULT_LIMIT : limit;
            if (size < 1 || size > MAX_LIMIT) {
                violations.add(new Violation("limit", "must be between 1 and " + MAX_LIMIT));
            }
            ListPosition after = null;
            if (cursor != null) {
                after = TaskCursor.decode(cursor).orElse(null);
                if (after == null) {
                    violations.add(new Violation("cursor", "is not a cursor this API returned"));
                }
            }
            if (!violations.isEmpty()) {
                return Uni.createFrom().failure(ApiException.invalidParameters(distinct(violations)));
            }
            return store.list(tenantId, statusFilter, kindFilter, after, size).map(rows -> page(rows, size));
        });
    }

    private TaskPage page(List<TaskRow> rows, int size) {
        boolean more = rows.size() > size;
        List<TaskRow> shown = more ? rows.subList(0, size) : rows;
        String next = null;
        if (more) {
            TaskRow last = shown.get(shown.size() - 1);
            next = TaskCursor.encode(new ListPosition(last.createdAt(), last.id()));
        }
        return new TaskPage(shown.stream().map(views::of).toList(), next);
    }

    private static List<Violation> distinct(List<Violation> violations) {
        return violations.stream().distinct().toList();
    }
}
