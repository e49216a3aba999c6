package io.dspysuite.gateway.task.rest;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

import io.dspysuite.gateway.json.BodyReader;
import io.dspysuite.gateway.json.StrictJson;
import io.dspysuite.gateway.problem.Problem;
import io.dspysuite.gateway.task.model.SubmitTaskRequest;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.service.TaskQueryService;
import io.dspysuite.gateway.task.service.TaskSubmissionService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/** Tasks over REST. Every call acts for the tenant of the presented API key. */
@Path("/api/v1/tasks")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Tasks")
@SecurityRequirement(name = GatewayOpenApi.BEARER)
@APIResponse(responseCode = "401", description = "Missing or invalid API key (code UNAUTHENTICATED)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class TaskResource {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final TaskSubmissionService submissions;
    private final TaskQueryService queries;
    private final StrictJson bodies;
    private final BodyReader bodyReader;
    private final SecurityIdentity identity;

    public TaskResource(TaskSubmissionService submissions, TaskQueryService queries, StrictJson bodies,
            BodyReader bodyReader, SecurityIdentity identity) {
        this.submissions = submissions;
        this.queries = queries;
        this.bodies = bodies;
        this.bodyReader = bodyReader;
        this.identity = identity;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit a task",
            description = "Validates and records the task, queues it and answers at once with 202 and the task "
                    + "(status queued) plus a Location header; follow it with GET or the WebSocket /ws/v1. With an "
                    + "Idempotency-Key, repeating the same request returns the original task (200) instead of "
                    + "creating another. Only kind=predict is available yet.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = SubmitTaskRequest.class)))
    @APIResponse(responseCode = "202", description = "Task queued",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskView.class)))
    @APIResponse(responseCode = "200", description = "The task earlier submitted with this Idempotency-Key",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskView.class)))
    @APIResponse(responseCode = "400", description = "Malformed JSON (MALFORMED_JSON)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Idempotency-Key reused with another body (IDEMPOTENCY_CONFLICT)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "Body larger than 1 MiB (PAYLOAD_TOO_LARGE)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Invalid task (VALIDATION_FAILED with violations, UNSUPPORTED_KIND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "The task could not be queued (SUBMIT_FAILED); retry",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<TaskView>> submit(
            @Parameter(description = "Makes retries safe: the same key and body return the original task",
                    schema = @Schema(type = SchemaType.STRING, maxLength = 255)) @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            // Read and parsed here: malformed JSON and type errors get our codes, and chunked bodies our size limit.
            @Context HttpServerRequest request) {
        return bodyReader.read(request)
                .map(bodies::parse)
                .chain(task -> submissions.submit(tenant(), task, idempotencyKey, id -> {
                }))
                .map(submitted -> RestResponse.ResponseBuilder
                        .create(submitted.created() ? RestResponse.Status.ACCEPTED : RestResponse.Status.OK,
                                submitted.task())
                        .header(HttpHeaders.LOCATION, "/api/v1/tasks/" + submitted.task().id())
                        .build());
    }

    @GET
    @Path("{id}")
    @Operation(summary = "Get a task",
            description = "Status, result (outputs by field name, model), usage (tokens), error {code, message, "
                    + "retryable}, attempt, timings and trace id. Other tenants' tasks answer 404 like unknown ones.")
    @APIResponse(responseCode = "200", description = "The task",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskView.class)))
    @APIResponse(responseCode = "404", description = "No such task for this tenant (TASK_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<TaskView> get(@PathParam("id") String id) {
        return queries.get(tenant(), id);
    }

    private String tenant() {
        return identity.getPrincipal().getName();
    }
}
