package io.dspysuite.gateway.task.rest;

import java.time.Duration;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.store.TaskStore;
import io.dspysuite.gateway.task.ws.EventFrame;
import io.dspysuite.gateway.task.ws.TaskSubscription;
import io.dspysuite.gateway.task.ws.TaskSubscriptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jboss.resteasy.reactive.RestMulti;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.BackPressureFailure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;

/**
 * {@code GET /api/v1/tasks/{id}/events}: the task's events as Server-Sent Events, through the same ordered
 * replay-then-live machinery as the WebSocket ({@link TaskSubscription}): every event after the resume point exactly
 * once, in sequence order. {@code id:} is the seq, {@code event:} the type, {@code data:} the same JSON object as a
 * WebSocket {@code event} frame. The stream completes after the final status event. A comment line goes out every
 * {@code dspy-suite.sse.keep-alive} so proxies keep the connection open.
 * <p>
 * Slow consumers: at most {@code dspy-suite.sse.max-queued-events} events wait for the client; beyond that the stream
 * is cut (counted in {@code dspy_suite_sse_slow_consumers_total}) and the client resumes with {@code Last-Event-ID}.
 * A subscription that cannot fill a gap (the view lags too long) also just ends: resume the same way.
 */
@ApplicationScoped
public class TaskEventStream {

    private final TaskStore tasks;
    private final TaskSubscriptions subscriptions;
    private final Vertx vertx;
    private final Duration keepAlive;
    private final int maxQueued;
    private final Counter slowConsumers;

    public TaskEventStream(TaskStore tasks, TaskSubscriptions subscriptions, Vertx vertx,
            @ConfigProperty(name = "dspy-suite.sse.keep-alive", defaultValue = "15s") Duration keepAlive,
            @ConfigProperty(name = "dspy-suite.sse.max-queued-events", defaultValue = "1000") int maxQueued,
            MeterRegistry registry) {
        this.tasks = tasks;
        this.subscriptions = subscriptions;
        this.vertx = vertx;
        this.keepAlive = keepAlive;
        this.maxQueued = maxQueued;
        this.slowConsumers = Counter.builder("dspy_suite_sse_slow_consumers")
                .description("SSE streams cut because the client did not keep up").register(registry);
    }

    /**
     * @throws ApiException (as the Multi's failure, before any event) TASK_NOT_FOUND
     */
    public Multi<OutboundSseEvent> stream(String tenantId, String taskId, long afterSeq, Sse sse) {
        UUID id = Uuids.parse(taskId).orElse(null);
        if (id == null) {
            return Multi.createFrom().failure(ApiException.taskNotFound());
        }
        // RestMulti: the response (status, headers) waits for the lookup, so an unknown task is a plain 404.
        Uni<UUID> found = tasks.find(id, tenantId)
                .map(task -> task.map(row -> row.id()).orElseThrow(ApiException::taskNotFound));
        return RestMulti.fromUniResponse(found, task -> {
            Multi<OutboundSseEvent> events = Multi.createFrom().emitter(emitter -> follow(task, afterSeq, sse, emitter),
                    maxQueued);
            return events.onFailure(BackPressureFailure.class).invoke(f -> slowConsumers.increment())
                    // The headers are out by now: a failure can only end the stream; the client resumes.
                    .onFailure().recoverWithCompletion();
        });
    }

    private void follow(UUID taskId, long afterSeq, Sse sse, MultiEmitter<? super OutboundSseEvent> emitter) {
        TaskSubscription subscription = subscriptions.open(taskId, afterSeq, new TaskSubscription.Sink() {
            @Override
            public void send(EventFrame frame) {
                emitter.emit(sse.newEventBuilder()
                        .id(Long.toString(frame.seq()))
                        .name(frame.event())
                        .mediaType(MediaType.TEXT_PLAIN_TYPE)
                        .data(String.class, frame.json())
                        .build());
            }

            @Override
            public void completed(TaskSubscription subscription) {
                emitter.complete();
            }

            @Override
            public void failed(TaskSubscription subscription, ErrorCode code, String message) {
                emitter.emit(sse.newEventBuilder().comment(code.name() + ": " + message).build());
                emitter.complete();
            }
        });
        long timer = vertx.setPeriodic(keepAlive.toMillis(),
                t -> emitter.emit(sse.newEventBuilder().comment("keep-alive").build()));
        emitter.onTermination(() -> {
            vertx.cancelTimer(timer);
            subscriptions.close(subscription);
        });
        subscription.start();
    }
}
