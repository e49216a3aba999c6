package io.dspysuite.gateway.job.rest;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.gateway.auth.ApiKeyRole;
import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.Problem;
import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.program.OrchestrationProxy;
import io.dspysuite.gateway.task.rest.GatewayOpenApi;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * The job engine's admin API (queues, jobs of every tenant, retry/cancel/discard), relayed 1:1 to the orchestration
 * service's internal API. The gateway checks the caller is an admin and that the parameters are well-formed; the
 * orchestration service owns the answers (bodies pass through unchanged).
 */
@Path("/api/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(ApiKeyRole.ADMIN_ROLE)
@Tag(name = "Admin: job engine")
@SecurityRequirement(name = GatewayOpenApi.BEARER)
@APIResponse(responseCode = "401", description = "Missing, invalid or revoked API key (UNAUTHENTICATED)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "403", description = "The key is not an admin key (FORBIDDEN)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
// Every operation checks its path and query parameters (tenant ids, UUIDs, limits, cursors) before acting.
@APIResponse(responseCode = "400",
        description = "A malformed path or query parameter (INVALID_PARAMETER, with violations)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "503", description = "The orchestration service did not answer in time or failed "
        + "(ORCHESTRATION_UNAVAILABLE); retry shortly",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class JobAdminResource {

    static final int MAX_LIMIT = 200;
    // The job engine's states and queues (orchestration-service JobState, JobQueue), one or a comma-separated list.
    // Checked here and documented with the same patterns, so the document states exactly what is accepted.
    static final String STATE = "(available|scheduled|executing|retryable|completed|discarded|cancelled)";
    // An empty query value reaches the resource as no value at all (RESTEasy), i.e. "no filter": documented so.
    static final String STATES = "^(" + STATE + "(," + STATE + "){0,15})?$";
    static final String QUEUE_NAME = "(interactive|batch|optimize)";
    static final String QUEUES = "^(" + QUEUE_NAME + "(," + QUEUE_NAME + "){0,2})?$";
    // An empty query value reaches the resource as no value at all (RESTEasy), i.e. "no filter": documented so.
    static final String TENANT = "^([a-z0-9][a-z0-9_-]{0,62})?$";
    /** Opaque to the gateway: printable ASCII without spaces. */
    static final String CURSOR = "^[\\x21-\\x7e]{0,512}$";
    static final String UUID_FORMAT = "uuid";
    static final String QUEUES_EXAMPLE = """
            {"queues": [{"queue": "interactive", "available": 3, "scheduled": 1, "executing": 2, "retryable": 0,
              "oldest_available_age_ms": 120, "concurrency_limit": 8, "in_flight_here": 2}]}""";
    static final String JOB_EXAMPLE = """
            {"task_id": "01936a0b-ac47-77ba-8bd0-123456789abc", "tenant_id": "acme", "kind": "predict",
             "queue": "interactive", "state": "retryable", "priority": 0, "attempt": 1, "max_attempts": 5,
             "scheduled_at": "2026-11-24T08:00:05Z", "inserted_at": "2026-11-24T08:00:00Z",
             "attempted_at": "2026-11-24T08:00:01Z", "finished_at": null,
             "errors": [{"attempt": 1, "code": "LM_UNAVAILABLE", "message": "connection refused",
               "at": "2026-11-24T08:00:02Z"}]}""";

    private static final Logger LOG = Logger.getLogger(JobAdminResource.class);

    private final OrchestrationProxy orchestration;
    private final SecurityIdentity identity;

    public JobAdminResource(OrchestrationProxy orchestration, SecurityIdentity identity) {
        this.orchestration = orchestration;
        this.identity = identity;
    }

    @GET
    @Path("/queues")
    @Operation(summary = "Queues of the job engine",
            description = "Per queue (interactive, batch, optimize): jobs available, scheduled, executing and "
                    + "retryable, the age of the oldest available job, the concurrency limit and the jobs in flight "
                    + "on the answering orchestration replica.")
    @APIResponse(responseCode = "200", description = "{queues: [...]}", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
            examples = @ExampleObject(name = "queues", value = QUEUES_EXAMPLE)))
    public Uni<JsonNode> queues() {
        return orchestration.adminQueues();
    }

    @GET
    @Path("/jobs")
    @Operation(summary = "Jobs of every tenant",
            description = "Jobs newest first, filtered by state, queue and tenant, a page at a time.")
    @APIResponse(responseCode = "200", description = "{items: [...], next_cursor}", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
            examples = @ExampleObject(name = "jobs", value = "{\"items\": [" + JOB_EXAMPLE + "], \"next_cursor\": null}")))
    @APIResponse(responseCode = "400", description = "Invalid parameter (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JsonNode> jobs(
            @Parameter(description = "Job state(s), comma-separated: available, scheduled, executing, retryable, "
                    + "completed, discarded, cancelled", example = "retryable",
                    schema = @Schema(type = SchemaType.STRING, pattern = STATES)) @QueryParam("state") String state,
            @Parameter(description = "Queue(s), comma-separated: interactive, batch, optimize", example = "interactive",
                    schema = @Schema(type = SchemaType.STRING, pattern = QUEUES)) @QueryParam("queue") String queue,
            @Parameter(description = "Tenant id", example = "acme",
                    schema = @Schema(type = SchemaType.STRING, pattern = TENANT)) @QueryParam("tenant_id") String tenantId,
            // A String, not an Integer: JAX-RS answers an unconvertible query parameter with a bare 404.
            @Parameter(description = "Page size, 1-200", schema = @Schema(type = SchemaType.INTEGER, minimum = "1",
                    maximum = "200")) @QueryParam("limit") String limit,
            @Parameter(description = "next_cursor of the previous page (an opaque token)",
                    schema = @Schema(type = SchemaType.STRING, pattern = CURSOR)) @QueryParam("cursor") String cursor,
            @Context HttpServerRequest request) {
        List<Violation> violations = new ArrayList<>();
        // The raw value: RESTEasy hands "limit=" over as no value, but an empty text is no number.
        limit = request.getParam("limit");
        check(violations, "state", state, STATES, "must be job states, comma-separated");
        check(violations, "queue", queue, QUEUES, "must be queue names, comma-separated");
        check(violations, "tenant_id", tenantId, TENANT, "must be a tenant id");
        check(violations, "cursor", cursor, CURSOR, "must be a cursor this API returned");
        Integer pageSize = null;
        if (limit != null) {
            if (limit.matches("[0-9]{1,4}") && Integer.parseInt(limit) >= 1 && Integer.parseInt(limit) <= MAX_LIMIT) {
                pageSize = Integer.parseInt(limit);
            } else {
                violations.add(new Violation("limit", "must be between 1 and " + MAX_LIMIT));
            }
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalidParameters(violations);
        }
        return orchestration.adminJobs(state, queue, tenantId, pageSize, cursor);
    }

    @GET
    @Path("/jobs/{task_id}")
    @Operation(summary = "One job", description = "The job of a task, with the errors of every attempt.")
    @APIResponse(responseCode = "200", description = "The job", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
            examples = @ExampleObject(name = "job", value = JOB_EXAMPLE)))
    @APIResponse(responseCode = "400", description = "task_id is not a UUID (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such job (JOB_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JsonNode> job(@Parameter(description = "Task id", example = "01936a0b-ac47-77ba-8bd0-123456789abc",
            schema = @Schema(type = SchemaType.STRING, format = UUID_FORMAT)) @PathParam("task_id") String taskId) {
        return orchestration.adminJob(taskId(taskId));
    }

    @POST
    @Path("/jobs/{task_id}/retry")
    @Operation(summary = "Retry a job now",
            description = "Asks the job engine to run the job again at once (e.g. a retryable job waiting for its "
                    + "backoff). The orchestration service decides which states allow it; a finished job answers "
                    + "409 JOB_FINISHED.")
    @APIResponse(responseCode = "200", description = "The job after the change", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
            examples = @ExampleObject(name = "job", value = JOB_EXAMPLE)))
    @APIResponse(responseCode = "404", description = "No such job (JOB_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The job already finished (JOB_FINISHED)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<JsonNode>> retry(@Parameter(description = "Task id",
            schema = @Schema(type = SchemaType.STRING, format = UUID_FORMAT)) @PathParam("task_id") String taskId) {
        return action(taskId, "retry");
    }

    @POST
    @Path("/jobs/{task_id}/cancel")
    @Operation(summary = "Cancel a job", description = "Asks the job engine to cancel the job (a running one has its "
            + "call to the DSPy service cancelled); the task ends cancelled.")
    @APIResponse(responseCode = "200", description = "The job after the change", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @APIResponse(responseCode = "404", description = "No such job (JOB_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The job already finished (JOB_FINISHED)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<JsonNode>> cancel(@Parameter(description = "Task id",
            schema = @Schema(type = SchemaType.STRING, format = UUID_FORMAT)) @PathParam("task_id") String taskId) {
        return action(taskId, "cancel");
    }

    @POST
    @Path("/jobs/{task_id}/discard")
    @Operation(summary = "Discard a job", description = "Asks the job engine to give up on the job without running it "
            + "again; a finished job answers 409 JOB_FINISHED.")
    @APIResponse(responseCode = "200", description = "The job after the change", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @APIResponse(responseCode = "404", description = "No such job (JOB_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The job already finished (JOB_FINISHED)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<JsonNode>> discard(@Parameter(description = "Task id",
            schema = @Schema(type = SchemaType.STRING, format = UUID_FORMAT)) @PathParam("task_id") String taskId) {
        return action(taskId, "discard");
    }

    private Uni<RestResponse<JsonNode>> action(String taskId, String action) {
        String id = taskId(taskId);
        LOG.infof("admin tenant %s asks to %s job %s", identity.getPrincipal().getName(), action, id);
        return orchestration.adminJobAction(id, action)
                .map(answer -> RestResponse.ResponseBuilder.<JsonNode> create(answer.getStatus())
                        .entity(answer.getEntity()).build());
    }

    private static String taskId(String taskId) {
        return Uuids.parse(taskId).map(Object::toString)
                .orElseThrow(() -> ApiException.invalidParameter("task_id", "must be a UUID"));
    }

    private static void check(List<Violation> violations, String name, String value, String pattern, String message) {
        if (value != null && !value.matches(pattern)) {
            violations.add(new Violation(name, message));
        }
    }
}
