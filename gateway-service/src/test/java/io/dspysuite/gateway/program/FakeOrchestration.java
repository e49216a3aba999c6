package io.dspysuite.gateway.program;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.smallrye.mutiny.Uni;

/**
 * Test double of the orchestration service's internal API ({@code /internal/v1}), served by the gateway's own test
 * app; the REST client points at it (%test.quarkus.rest-client.orchestration.url). {@link #mode} makes it fail.
 */
@Path("/internal/v1")
@Produces(MediaType.APPLICATION_JSON)
public class FakeOrchestration {

    public enum Mode { NORMAL, ERROR_500, SLOW, WRONG_TOKEN_EXPECTED }

    public static final AtomicReference<Mode> mode = new AtomicReference<>(Mode.NORMAL);
    static final String TOKEN = "test-internal-token";

    @GET
    @Path("/catalog")
    public Uni<Response> catalog(@HeaderParam("X-Internal-Token") String token) {
        return answer(token, """
                {"modules": [{"name": "predict"}, {"name": "chain_of_thought", "added_outputs": ["reasoning"]}],
                 "optimizers": [{"name": "bootstrap_few_shot", "available": true}],
                 "metrics": [{"name": "exact_match"}], "field_types": ["str", "enum"]}""");
    }

    @GET
    @Path("/tenants/{tenant}/programs")
    public Uni<Response> programs(@HeaderParam("X-Internal-Token") String token, @PathParam("tenant") String tenant) {
        return answer(token, """
                {"tenant_id": "%s", "catalog_available": true, "catalog_stale": false,
                 "programs": [{"name": "qa", "latest_version": 2, "promoted_version": 1}]}""".formatted(tenant));
    }

    @GET
    @Path("/tenants/{tenant}/programs/{name}/versions")
    public Uni<Response> versions(@HeaderParam("X-Internal-Token") String token, @PathParam("tenant") String tenant,
            @PathParam("name") String name, @QueryParam("include_state") boolean includeState) {
        if (!name.equals("qa")) {
            return problem(404, "PROGRAM_NOT_FOUND", "no program '" + name + "'");
        }
        return answer(token, """
                {"tenant_id": "%s", "name": "qa", "include_state": %s, "latest_version": 2, "promoted_version": 1,
                 "versions": [{"version": 1}, {"version": 2, "optimizer": "bootstrap_few_shot"}]}"""
                .formatted(tenant, includeState));
    }

    @POST
    @Path("/tenants/{tenant}/programs/{name}/versions/{version}/promote")
    public Uni<Response> promote(@HeaderParam("X-Internal-Token") String token, @PathParam("tenant") String tenant,
            @PathParam("name") String name, @PathParam("version") String version) {
        if (!name.equals("qa") || !version.equals("2")) {
            return problem(404, "PROGRAM_VERSION_NOT_FOUND", "program '" + name + "' has no version " + version);
        }
        return answer(token, """
                {"tenant_id": "%s", "name": "qa", "promoted_version": 2, "previous_version": 1}""".formatted(tenant));
    }

    // ---- job engine admin API --------------------------------------------------------------------------------------

    /** A job the fake knows; any other id is JOB_NOT_FOUND. */
    public static final String KNOWN_JOB = "01936a0b-ac47-77ba-8bd0-123456789abc";
    /** A job that already finished: retry and discard answer 409 JOB_FINISHED. */
    public static final String FINISHED_JOB = "01936a0b-ac47-77ba-8bd0-000000000001";

    @GET
    @Path("/admin/queues")
    public Uni<Response> queues(@HeaderParam("X-Internal-Token") String token) {
        return answer(token, """
                {"queues": [{"queue": "interactive", "available": 3, "scheduled": 1, "executing": 2, "retryable": 0,
                  "oldest_available_age_ms": 120, "concurrency_limit": 8, "in_flight_here": 2}]}""");
    }

    /** Echoes the query parameters it received, so the test sees they were relayed 1:1. */
    @GET
    @Path("/admin/jobs")
    public Uni<Response> jobs(@HeaderParam("X-Internal-Token") String token, @QueryParam("state") String state,
            @QueryParam("queue") String queue, @QueryParam("tenant_id") String tenantId,
            @QueryParam("limit") Integer limit, @QueryParam("cursor") String cursor) {
        return answer(token, """
                {"items": [%s], "next_cursor": "next-page",
                 "echo": {"state": %s, "queue": %s, "tenant_id": %s, "limit": %s, "cursor": %s}}""".formatted(
                jobJson(KNOWN_JOB, "retryable"), quoted(state), quoted(queue), quoted(tenantId), limit, quoted(cursor)));
    }

    @GET
    @Path("/admin/jobs/{task_id}")
    public Uni<Response> job(@HeaderParam("X-Internal-Token") String token, @PathParam("task_id") String taskId) {
        if (!taskId.equals(KNOWN_JOB) && !taskId.equals(FINISHED_JOB)) {
            return problem(404, "JOB_NOT_FOUND", "no job " + taskId);
        }
        return answer(token, jobJson(taskId, taskId.equals(KNOWN_JOB) ? "retryable" : "completed"));
    }

    @POST
    @Path("/admin/jobs/{task_id}/{action}")
    public Uni<Response> action(@HeaderParam("X-Internal-Token") String token, @PathParam("task_id") String taskId,
            @PathParam("action") String action) {
        if (!taskId.equals(KNOWN_JOB) && !taskId.equals(FINISHED_JOB)) {
            return problem(404, "JOB_NOT_FOUND", "no job " + taskId);
        }
        if (taskId.equals(FINISHED_JOB)) {
            return problem(409, "JOB_FINISHED", "job " + taskId + " already finished");
        }
        String state = switch (action) {
            case "retry" -> "available";
            case "cancel" -> "cancelled";
            case "discard" -> "discarded";
            default -> null;
        };
        if (state == null) {
            return problem(404, "NOT_FOUND", "no action " + action);
        }
        return answer(token, jobJson(taskId, state));
    }

    private static String jobJson(String taskId, String state) {
        return """
                {"task_id": "%s", "tenant_id": "acme", "kind": "predict", "queue": "interactive", "state": "%s",
                 "priority": 0, "attempt": 1, "max_attempts": 5, "scheduled_at": "2026-11-24T08:00:05Z",
                 "inserted_at": "2026-11-24T08:00:00Z", "attempted_at": "2026-11-24T08:00:01Z", "finished_at": null,
                 "errors": [{"attempt": 1, "code": "LM_UNAVAILABLE", "message": "connection refused"}]}"""
                .formatted(taskId, state);
    }

    private static String quoted(String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    private static Uni<Response> answer(String token, String json) {
        Mode current = mode.get();
        String expected = current == Mode.WRONG_TOKEN_EXPECTED ? "another-token" : TOKEN;
        if (!expected.equals(token)) {
            return problem(401, "INTERNAL_TOKEN_INVALID", "missing or wrong X-Internal-Token header");
        }
        return switch (current) {
            case ERROR_500 -> problem(500, "INTERNAL", "boom");
            case SLOW -> Uni.createFrom().item(Response.ok(json).build()).onItem().delayIt().by(Duration.ofSeconds(4));
            default -> Uni.createFrom().item(Response.ok(json).build());
        };
    }

    private static Uni<Response> problem(int status, String code, String detail) {
        return Uni.createFrom().item(Response.status(status).type("application/problem+json")
                .entity("{\"status\": %d, \"code\": \"%s\", \"detail\": \"%s\"}".formatted(status, code, detail))
                .build());
    }
}
