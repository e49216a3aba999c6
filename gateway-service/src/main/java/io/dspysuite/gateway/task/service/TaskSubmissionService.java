package io.dspysuite.gateway.task.service;

import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.ratelimit.SubmitRateLimiter;
import io.dspysuite.gateway.task.events.TaskRequestPublisher;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.dspysuite.gateway.task.model.TaskSubmission;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.gateway.task.store.TaskStore;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.smallrye.mutiny.Uni;

/**
 * The one submission path of REST and WebSocket: validate, record the task, publish {@code TaskRequested} and answer
 * once the broker has it. The row is committed before the request is published, so every event the orchestrator
 * emits finds its task.
 */
@ApplicationScoped
public class TaskSubmissionService {

    private static final Logger LOG = Logger.getLogger(TaskSubmissionService.class);
    static final String SUBMIT_FAILED = ErrorCode.SUBMIT_FAILED.name();

    private final TaskRequestParser parser;
    private final TaskStore store;
    private final TaskRequestPublisher publisher;
    private final TaskViews views;
    private final SubmitRateLimiter rateLimiter;

    public TaskSubmissionService(TaskRequestParser parser, TaskStore store, TaskRequestPublisher publisher,
            TaskViews views, SubmitRateLimiter rateLimiter) {
        this.rateLimiter = rateLimiter;
        this.parser = parser;
        this.store = store;
        this.publisher = publisher;
        this.views = views;
    }

    /**
     * @param created true when the request was published by this call (202), false when an earlier submission with
     *        the same idempotency key is returned (200)
     */
    public record Submitted(TaskView task, boolean created) {
    }

    /**
     * @param beforePublish told the task id once it is known and before its request is published (WebSocket
     *        sessions subscribe there, so they cannot miss the first event); must not throw
     * @throws ApiException (as the Uni's failure) RATE_LIMITED, VALIDATION_FAILED,
     *         IDEMPOTENCY_CONFLICT or SUBMIT_FAILED
     */
    public Uni<Submitted> submit(String tenantId, JsonNode task, String idempotencyKey, Consumer<UUID> beforePublish) {
        return Uni.createFrom().item(() -> {
            rateLimiter.acquire(tenantId);
            return parser.parse(task, idempotencyKey);
        })
                .chain(submission -> store.insert(Uuids.v7(), tenantId, submission, currentTraceId())
                        .chain(inserted -> inserted.created()
                                ? publish(inserted.task(), beforePublish)
                                : resubmission(inserted.task(), submission, beforePublish)));
    }

    private Uni<Submitted> resubmission(TaskRow existing, TaskSubmission submission, Consumer<UUID> beforePublish) {
        if (!Objects.equals(existing.requestHash(), submission.requestHash())) {
            return Uni.createFrom().failure(ApiException.forTask(ErrorCode.IDEMPOTENCY_CONFLICT,
                    "This Idempotency-Key was already used for a different request", existing.id(), null));
        }
        if (existing.status() == TaskStatus.FAILED && SUBMIT_FAILED.equals(existing.errorCode())) {
            // The first attempt never reached Kafka: the retry the client was told to make publishes it now.
            return store.requeueSubmitFailed(existing.id())
                    .chain(requeued -> requeued.isPresent()
                            ? publish(requeued.get(), beforePublish)
                            : replay(existing, beforePublish));
        }
        return replay(existing, beforePublish);
    }

    private Uni<Submitted> replay(TaskRow existing, Consumer<UUID> beforePublish) {
        notify(beforePublish, existing.id());
        return Uni.createFrom().item(new Submitted(views.of(existing), false));
    }

    private Uni<Submitted> publish(TaskRow task, Consumer<UUID> beforePublish) {
        notify(beforePublish, task.id());
        return publisher.publish(task)
                .replaceWith(() -> new Submitted(views.of(task), true))
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf(failure, "publishing task %s failed", task.id());
                    return store.markSubmitFailed(task.id(), submitFailedError())
                            .onFailure().invoke(e -> LOG.errorf(e, "marking task %s as failed failed", task.id()))
                            .onItemOrFailure().transformToUni((ignored, e) -> Uni.createFrom().failure(
                                    ApiException.forTask(ErrorCode.SUBMIT_FAILED,
                                            "The task could not be queued; retry with the same Idempotency-Key",
                                            task.id(), failure)));
                });
    }

    private static void notify(Consumer<UUID> beforePublish, UUID taskId) {
        try {
            beforePublish.accept(taskId);
        } catch (RuntimeException e) {
            LOG.error("a submission listener failed", e);
        }
    }

    private static ObjectNode submitFailedError() {
        return JsonNodeFactory.instance.objectNode()
                .put("code", SUBMIT_FAILED)
                .put("message", "The task request could not be delivered to the task queue")
                .put("retryable", true);
    }

    private static String currentTraceId() {
        SpanContext context = Span.current().getSpanContext();
        return context.isValid() ? context.getTraceId() : null;
    }
}
