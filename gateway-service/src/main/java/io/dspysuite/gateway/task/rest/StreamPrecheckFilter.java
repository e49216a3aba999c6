package io.dspysuite.gateway.task.rest;

import jakarta.ws.rs.container.ContainerRequestContext;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.task.service.TaskQueryService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/** Checks {@code GET /api/v1/tasks/{id}/events} before the stream starts (see {@link StreamPrecheck}). */
public class StreamPrecheckFilter {

    private final TaskQueryService queries;
    private final SecurityIdentity identity;

    public StreamPrecheckFilter(TaskQueryService queries, SecurityIdentity identity) {
        this.queries = queries;
        this.identity = identity;
    }

    /** Fails with INVALID_PARAMETER or TASK_NOT_FOUND (rendered by the problem mappers); null lets the request on. */
    @StreamPrecheck
    @ServerRequestFilter
    public Uni<Void> check(ContainerRequestContext request) {
        String lastEventId = request.getHeaderString(TaskResource.LAST_EVENT_ID);
        String afterSeq = request.getUriInfo().getQueryParameters().getFirst("after_seq");
        if (TaskResource.resumePoint(lastEventId, afterSeq) < 0) {
            boolean headerValid = TaskResource.resumePoint(lastEventId, null) >= 0;
            return Uni.createFrom().failure(ApiException.invalidParameter(
                    headerValid ? "after_seq" : TaskResource.LAST_EVENT_ID, "must be a non-negative integer"));
        }
        String id = request.getUriInfo().getPathParameters().getFirst("id");
        return queries.get(identity.getPrincipal().getName(), id).replaceWithVoid();
    }
}
