package io.dspysuite.gateway.task.rest;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

import io.dspysuite.gateway.json.BodyReader;
import io.dspysuite.gateway.json.StrictJson;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.Problem;
import io.dspysuite.gateway.task.model.SubmitTaskRequest;
import io.dspysuite.gateway.task.model.TaskPage;
import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.service.TaskCancelService;
import io.dspysuite.gateway.task.service.TaskCompletions;
import io.dspysuite.gateway.task.service.TaskQueryService;
import io.dspysuite.gateway.task.service.TaskSubmissionService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
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
    static final String LAST_EVENT_ID = "Last-Event-ID";
    static final String PREFER = "Prefer";
    static final String PREFERENCE_APPLIED = "Preference-Applied";
    /** Sequence numbers are 64-bit: the largest resume point. */
    static final String MAX_SEQ = "" + Long.MAX_VALUE;

    /** Documentation: a task status filter value. */
    @Schema(type = SchemaType.STRING, enumeration = { "queued", "running", "succeeded", "failed", "cancelled" })
    record StatusName() {
    }
    static final String SSE_EXAMPLE = """
            id: 1
            event: status
            data: {"type":"event","task_id":"01936a0b-ac47-77ba-8bd0-123456789abc","seq":1,"event":"status","data":{"status":"queued","attempt":0},"occurred_at":"2026-11-20T10:00:00Z"}

            id: 2
            event: status
            data: {"type":"event","task_id":"01936a0b-ac47-77ba-8bd0-123456789abc","seq":2,"event":"status","data":{"status":"running","attempt":1},"occurred_at":"2026-11-20T10:00:00.05Z"}

            id: 3
            event: result
            data: {"type":"event","task_id":"01936a0b-ac47-77ba-8bd0-123456789abc","seq":3,"event":"result","data":{"outputs":{"answer":"Paris"},"usage":{"input_tokens":42,"output_tokens":7,"lm_calls":1},"model":"smollm2-135m"},"occurred_at":"2026-11-20T10:00:02Z"}

            id: 4
            event: status
            data: {"type":"event","task_id":"01936a0b-ac47-77ba-8bd0-123456789abc","seq":4,"event":"status","data":{"status":"succeeded","attempt":0},"occurred_at":"2026-11-20T10:00:02Z"}
            """;
    static final String LIST_EXAMPLE = """
            {"items": [{"id": "01936a0b-ac47-77ba-8bd0-123456789abc", "kind": "predict", "status": "succeeded",
              "program": {"signature": "question -> answer", "module": "predict"},
              "result": {"outputs": {"answer": "Paris"}, "model": "smollm2-135m"},
              "usage": {"input_tokens": 42, "output_tokens": 7, "lm_calls": 1}, "error": null, "progress": null,
              "attempt": 1, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
              "created_at": "2026-11-20T10:00:00Z", "started_at": "2026-11-20T10:00:00.05Z",
              "finished_at": "2026-11-20T10:00:02Z", "updated_at": "2026-11-20T10:00:02Z",
              "cancel_requested_at": null, "last_seq": 4}],
             "next_cursor": null}""";

    private final TaskSubmissionService submissions;
    private final TaskQueryService queries;
    private final TaskCancelService cancels;
    private final TaskEventStream eventStream;
    private final TaskCompletions completions;
    private final StrictJson bodies;
    private final BodyReader bodyReader;
    private final SecurityIdentity identity;

    public TaskResource(TaskSubmissionService submissions, TaskQueryService queries, TaskCancelService cancels,
            TaskEventStream eventStream, TaskCompletions completions, StrictJson bodies, BodyReader bodyReader,
            SecurityIdentity identity) {
        this.completions = completions;
        this.eventStream = eventStream;
        this.submissions = submissions;
        this.queries = queries;
        this.cancels = cancels;
        this.bodies = bodies;
        this.bodyReader = bodyReader;
        this.identity = identity;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit a task",
            description = "Validates and records the task, queues it and answers at once with 202 and the task "
                    + "(status queued) plus a Location header; follow it with GET or the WebSocket /ws/v1. The task is "
                    + "durable once recorded: if the task queue (Kafka) does not take it at once, the gateway "
                    + "publishes it again within seconds (publish sweeper). With an "
                    + "Idempotency-Key, repeating the same request returns the original task (200) instead of "
                    + "creating another. With `Prefer: wait=N` (RFC 7240, N <= 60 seconds; larger values count as "
                    + "60) the answer waits up to N seconds for the task to finish: 200 with the finished task if it "
                    + "did, else the usual 202; `Preference-Applied: wait=N` confirms. Submissions are rate-limited "
                    + "per tenant (429 RATE_LIMITED with Retry-After). Kinds: predict (inputs), evaluate (metric, "
                    + "devset) and optimize (optimizer, params, metric, trainset, devset, target_program); shapes and "
                    + "bounds are checked here (422), optimizer/metric/tool names by the DSPy service (the task then "
                    + "ends failed with INVALID_INPUTS).")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = SubmitTaskRequest.class)))
    @APIResponse(responseCode = "202", description = "Task queued (and, with Prefer: wait=N, not finished within N s)",
            headers = {
                    @Header(name = HttpHeaders.LOCATION, description = "/api/v1/tasks/{id}", schema = @Schema(type = SchemaType.STRING)),
                    @Header(name = PREFERENCE_APPLIED, description = "wait=N when the wait preference was honoured",
                            schema = @Schema(type = SchemaType.STRING)) },
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskView.class)))
    @APIResponse(responseCode = "200", description = "The task finished within Prefer: wait=N (succeeded, failed or "
            + "cancelled), or the task earlier submitted with this Idempotency-Key",
            headers = @Header(name = PREFERENCE_APPLIED, description = "wait=N when the wait preference was honoured",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskView.class)))
    @APIResponse(responseCode = "400", description = "Malformed JSON (MALFORMED_JSON)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Idempotency-Key reused with another body (IDEMPOTENCY_CONFLICT)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "Body larger than 1 MiB (PAYLOAD_TOO_LARGE)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Invalid task (VALIDATION_FAILED with violations)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "Too many submissions for this tenant (RATE_LIMITED); retry after "
            + "Retry-After seconds",
            headers = @Header(name = HttpHeaders.RETRY_AFTER, description = "Seconds until a submission is allowed again",
                    schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<TaskView>> submit(
            @Parameter(description = "Makes retries safe: the same key and body return the original task",
                    schema = @Schema(type = SchemaType.STRING, pattern = TaskRules.IDEMPOTENCY_KEY))
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            // Read and parsed here: malformed JSON and type errors get our codes, and chunked bodies our size limit.
            @Parameter(description = "RFC 7240 preferences; wait=N (seconds, at most 60) waits for the task to finish",
                    example = "wait=30", schema = @Schema(type = SchemaType.STRING)) @HeaderParam(PREFER) String prefer,
            @Context HttpServerRequest request) {
        OptionalInt wait = PreferWait.parse(request.headers().getAll(PREFER));
        AtomicReference<TaskCompletions.Watch> watch = new AtomicReference<>();
        // The raw header: an empty Idempotency-Key is an invalid one, not none (RESTEasy would hand over null).
        String key = request.getHeader(IDEMPOTENCY_KEY);
        return bodyReader.read(request)
                .map(bodies::parse)
                .chain(task -> submissions.submit(tenant(), task, key, id -> {
                    if (wait.isPresent() && wait.getAsInt() > 0) {
                        watch.set(completions.watch(id));
                    }
                }))
                .onFailure().invoke(() -> {
                    if (watch.get() != null) {
                        watch.get().close();
                    }
                })
                .chain(submitted -> {
                    TaskView task = submitted.task();
                    RestResponse.Status status = submitted.created() ? RestResponse.Status.ACCEPTED : RestResponse.Status.OK;
                    if (watch.get() == null) {
                        return Uni.createFrom().item(response(status, task, null));
                    }
                    String applied = "wait=" + wait.getAsInt();
                    return watch.get().await(tenant(), task.id(), Duration.ofSeconds(wait.getAsInt()))
                            .map(finished -> finished != null
                                    ? response(RestResponse.Status.OK, finished, applied)
                                    : response(status, task, applied));
                });
    }

    private static RestResponse<TaskView> response(RestResponse.Status status, TaskView task, String preferenceApplied) {
        RestResponse.ResponseBuilder<TaskView> response = RestResponse.ResponseBuilder.create(status, task)
                .header(HttpHeaders.LOCATION, "/api/v1/tasks/" + task.id());
        if (preferenceApplied != null) {
            response.header(PREFERENCE_APPLIED, preferenceApplied);
        }
        return response.build();
    }

    @GET
    @Operation(summary = "List tasks",
            description = "The tenant's tasks, newest first, optionally filtered by status (repeat the parameter or "
                    + "separate values with commas) and kind. Pages hold at most `limit` tasks; pass `next_cursor` as "
                    + "`cursor` (with the same filters) for the next page; it is null on the last page.")
    @APIResponse(responseCode = "200", description = "A page of tasks",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskPage.class),
                    examples = @ExampleObject(name = "page", value = LIST_EXAMPLE)))
    @APIResponse(responseCode = "400", description = "Invalid status, kind, limit or cursor (INVALID_PARAMETER, with violations)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<TaskPage> list(
            @Parameter(description = "Only tasks in these statuses", schema = @Schema(type = SchemaType.ARRAY,
                    implementation = StatusName.class)) @QueryParam("status") List<String> status,
            @Parameter(description = "Only tasks of this kind", schema = @Schema(type = SchemaType.STRING,
                    enumeration = { "predict", "evaluate", "optimize" })) @QueryParam("kind") String kind,
            @Parameter(description = "Page size, 1-100", schema = @Schema(type = SchemaType.INTEGER, minimum = "1",
                    maximum = "100", defaultValue = "20")) @QueryParam("limit") String limit,
            @Parameter(description = "The next_cursor of the previous page (an opaque token)",
                    schema = @Schema(type = SchemaType.STRING, pattern = "^[A-Za-z0-9_-]{0,200}$"))
            @QueryParam("cursor") String cursor, @Context HttpServerRequest request) {
        Integer size;
        try {
            // The raw value: RESTEasy hands "limit=" over as no value, but an empty text is no number.
            String raw = request.getParam("limit");
            size = raw == null ? null : Integer.valueOf(raw.strip());
        } catch (NumberFormatException e) {
            return Uni.createFrom().failure(ApiException.invalidParameter("limit", "must be between 1 and 100"));
        }
        return queries.list(tenant(), status, kind, size, cursor);
    }

    @POST
    @Path("{id}/cancel")
    @Operation(summary = "Cancel a task",
            description = "Asks the orchestration service to stop a queued or running task (a running DSPy call is "
                    + "cancelled too) and answers 202 with the task, whose cancel_requested_at is set; its status "
                    + "turns cancelled when the orchestration service confirms (watch GET, SSE or the WebSocket). "
                    + "Repeating the call is harmless. A task that already finished answers 409 TASK_FINISHED.")
    @APIResponse(responseCode = "202", description = "Cancel requested",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TaskView.class)))
    @APIResponse(responseCode = "404", description = "No such task for this tenant (TASK_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The task already succeeded, failed or was cancelled (TASK_FINISHED)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "The cancel request could not be delivered (SERVICE_UNAVAILABLE); retry",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<TaskView>> cancel(@PathParam("id") String id) {
        return cancels.cancel(tenant(), id).map(task -> RestResponse.status(RestResponse.Status.ACCEPTED, task));
    }

    @GET
    @Path("{id}/events")
    @StreamPrecheck
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Stream a task's events (Server-Sent Events)",
            description = "Every event of the task in order, each exactly once: first those already recorded (after "
                    + "the resume point), then live ones. `id:` is the event's seq, `event:` its type (status, progress, "
                    + "chunk, result, error), `data:` the same JSON object as a WebSocket event frame "
                    + "({type, task_id, seq, event, data, occurred_at}). Resume after a dropped connection with the "
                    + "Last-Event-ID header (EventSource sends it) or ?after_seq=; the header wins. The stream "
                    + "completes after the final status event (succeeded, failed, cancelled); ending earlier (a slow "
                    + "client, a lagging view) means: reconnect with Last-Event-ID. Comment lines keep idle "
                    + "connections open.")
    @APIResponse(responseCode = "200", description = "The event stream",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(implementation = SseTaskEvent.class),
                    examples = @ExampleObject(name = "predict", value = SSE_EXAMPLE)))
    @APIResponse(responseCode = "400", description = "Last-Event-ID or after_seq is not a non-negative integer (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such task for this tenant (TASK_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Multi<OutboundSseEvent> events(@PathParam("id") String id,
            @Parameter(description = "The seq of the last event received; the stream continues after it",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = MAX_SEQ))
            @HeaderParam(LAST_EVENT_ID) String lastEventId,
            @Parameter(description = "Same as Last-Event-ID, for clients that cannot set headers",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = MAX_SEQ))
            @QueryParam("after_seq") String afterSeq,
            @Context Sse sse) {
        // StreamPrecheckFilter has answered bad parameters (400) and unknown tasks (404) before the stream began.
        long after = resumePoint(lastEventId, afterSeq);
        return eventStream.stream(tenant(), id, after, sse);
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

    /**
     * The seq to resume after: Last-Event-ID wins over after_seq; 0 when neither; -1 when either is invalid (a
     * malformed after_seq is refused even beside a valid header: the document says what each parameter may hold).
     */
    static long resumePoint(String lastEventId, String afterSeq) {
        long header = seq(lastEventId);
        long query = seq(afterSeq);
        if (header < 0 || query < 0) {
            return -1;
        }
        return lastEventId != null ? header : afterSeq != null ? query : 0;
    }

    private static long seq(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(-1, Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private String tenant() {
        return identity.getPrincipal().getName();
    }
}
