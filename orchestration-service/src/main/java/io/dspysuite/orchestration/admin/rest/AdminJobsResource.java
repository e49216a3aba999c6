package io.dspysuite.orchestration.admin.rest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.orchestration.admin.service.JobAdministration;
import io.dspysuite.orchestration.internalapi.InternalApiException;
import io.dspysuite.orchestration.job.model.JobFilter;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.JobState;
import io.smallrye.mutiny.Uni;

/**
 * The operators' view of jobs, under {@code /internal/v1/admin/jobs} (internal token required): listing (newest first,
 * filters, opaque keyset cursor), one job with its attempt history, and retry-now, cancel and discard. Errors are
 * problem documents: {@code INVALID_STATE}, {@code INVALID_QUEUE}, {@code INVALID_TENANT}, {@code INVALID_LIMIT},
 * {@code INVALID_CURSOR}, {@code INVALID_TASK_ID} (400), {@code JOB_NOT_FOUND} (404), {@code JOB_FINISHED} and
 * {@code JOB_EXECUTING} (409).
 */
@Path("/internal/v1/admin/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class AdminJobsResource {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;
    private static final int MAX_TENANT_LENGTH = 128;
    private static final int MAX_FILTER_LENGTH = 200;

    private final JobAdministration admin;

    AdminJobsResource(JobAdministration admin) {
        this.admin = admin;
    }

    /** {@code state} and {@code queue} take one value or a comma-separated list. */
    @GET
    public Uni<ObjectNode> list(@QueryParam("state") String state, @QueryParam("queue") String queue,
            @QueryParam("tenant_id") String tenantId, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor) {
        JobFilter filter = new JobFilter(
                values(state, "INVALID_STATE", "state", JobState.class),
                values(queue, "INVALID_QUEUE", "queue", JobQueue.class),
                tenant(tenantId), limit(limit),
                cursor == null || cursor.isEmpty() ? null : JobAdministration.cursor(cursor));
        return admin.list(filter).map(AdminJson::page);
    }

    @GET
    @Path("{task_id}")
    public Uni<ObjectNode> get(@PathParam("task_id") String taskId) {
        return admin.get(taskId(taskId)).map(AdminJson::job);
    }

    /** A waiting job (available, scheduled, retryable) becomes claimable now and is dispatched. */
    @POST
    @Path("{task_id}/retry")
    public Uni<ObjectNode> retry(@PathParam("task_id") String taskId) {
        return admin.retry(taskId(taskId)).map(AdminJson::job);
    }

    /** Like a tenant's cancel: waiting → cancelled at once; executing → cancelled and its call stopped. */
    @POST
    @Path("{task_id}/cancel")
    public Uni<ObjectNode> cancel(@PathParam("task_id") String taskId) {
        return admin.cancel(taskId(taskId)).map(AdminJson::job);
    }

    /** An unfinished job ends failed with {@code DISCARDED_BY_OPERATOR}; a running call is stopped. */
    @POST
    @Path("{task_id}/discard")
    public Uni<ObjectNode> discard(@PathParam("task_id") String taskId) {
        return admin.discard(taskId(taskId)).map(AdminJson::job);
    }

    private static UUID taskId(String text) {
        try {
            if (text.length() == 36) {
                return UUID.fromString(text);
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw InternalApiException.badRequest("INVALID_TASK_ID", "task_id must be a UUID");
    }

    private static <E extends Enum<E>> List<E> values(String text, String code, String name, Class<E> type) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        if (text.length() > MAX_FILTER_LENGTH) {
            throw InternalApiException.badRequest(code, name + " is too long");
        }
        Function<String, E> parse = value -> {
            try {
                return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw InternalApiException.badRequest(code, "unknown " + name + " '" + value.strip() + "'; one of "
                        + java.util.Arrays.stream(type.getEnumConstants())
                                .map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
            }
        };
        List<E> values = new ArrayList<>();
        for (String value : text.split(",", -1)) {
            E parsed = parse.apply(value);
            if (!values.contains(parsed)) {
                values.add(parsed);
            }
        }
        return values;
    }

    private static String tenant(String tenantId) {
        if (tenantId == null || tenantId.isEmpty()) {
            return null;
        }
        if (tenantId.isBlank() || tenantId.length() > MAX_TENANT_LENGTH) {
            throw InternalApiException.badRequest("INVALID_TENANT",
                    "tenant_id must be 1 to " + MAX_TENANT_LENGTH + " characters");
        }
        return tenantId;
    }

    private static int limit(String text) {
        if (text == null || text.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw InternalApiException.badRequest("INVALID_LIMIT", "limit must be an integer from 1 to " + MAX_LIMIT);
    }
}
