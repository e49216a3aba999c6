package io.dspysuite.gateway.task.service;

import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.observability.TaskLogContext;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.ratelimit.SubmitRateLimiter;
import io.dspysuite.gateway.task.events.TaskRequestPublisher;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.dspysuite.gateway.task.model.TaskSubmission;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.gateway.task.store.TaskStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.smallrye.mutiny.Uni;

/**
 * The one submission path of REST and WebSocket: validate, record the task, publish {@code TaskRequested} and answer
 * once the broker has it (or has failed to take it: the task row is the outbox, swept by {@code TaskPublishSweeper}).
 * The row is committed before the request is published, so every event the orchestrator emits finds its task.
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
    private final MeterRegistry registry;

    public TaskSubmissionService(TaskRequestParser parser, TaskStore store, TaskRequestPublisher publisher,
            TaskViews views, SubmitRateLimiter rateLimiter, MeterRegistry registry) {
        this.rateLimiter = rateLimiter;
        this.registry = registry;
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
     * @throws ApiException (as the Uni's failure) RATE_LIMITED, VALIDATION_FAILED or IDEMPOTENCY_CONFLICT
     */
    public Uni<Submitted> submit(String tenantId, JsonNode task, String idempotencyKey, Consumer<UUID> beforePublish) {
        return Uni.createFrom().item(() -> {
            rateLimiter.acquire(tenantId);
            return parser.parse(task, idempotencyKey);
        })
                .chain(submission -> store.insert(Uuids.v7(), tenantId, submission, currentTraceId())
                        .invoke(inserted -> TaskLogContext.put(inserted.task().id(), tenantId))
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
        LOG.infof("task %s: idempotent resubmission, the existing task is returned", existing.id());
        notify(beforePublish, existing.id());
        return Uni.createFrom().item(new Submitted(views.of(existing), false));
    }

    /**
     * Publishes and waits for the broker's acknowledgement, then marks the row published. The row is committed
     * before, so a failed publish still answers 202: the task is durable and the publish sweeper
     * ({@code TaskPublishSweeper}) re-publishes it once the grace period has passed (the orchestration ingest is
     * idempotent by task id, so a request that reached the broker after all is not run twice).
     */
    private Uni<Submitted> publish(TaskRow task, Consumer<UUID> beforePublish) {
        notify(beforePublish, task.id());
        LOG.infof("task %s: accepted (%s), publishing its request", task.id(), task.kind().wire());
        Counter.builder("dspy_suite_tasks_submitted")
                .description("Tasks accepted (stored) by this replica, by kind; idempotent replays not counted")
                .tag("kind", task.kind().wire())
                .register(registry)
                .increment();
        return publisher.publish(task)
                .chain(() -> store.markPublished(task.id())
                        .onFailure().invoke(e -> LOG.warnf(e, "marking task %s as published failed; the publish "
                                + "sweeper will publish it again", task.id()))
                        .onFailure().recoverWithNull())
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf(failure, "publishing task %s failed; the publish sweeper retries it", task.id());
                    return null;
                })
                .replaceWith(() -> new Submitted(views.of(task), true));
    }

    private static void notify(Consumer<UUID> beforePublish, UUID taskId) {
        try {
            beforePublish.accept(taskId);
        } catch (RuntimeException e) {
            LOG.error("a submission listener failed", e);
        }
    }

    private static String currentTraceId() {
        SpanContext context = Span.current().getSpanContext();
        return context.isValid() ? context.getTraceId() : null;
    }
}
