package io.dspysuite.gateway.task.ws;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.task.store.TaskEventStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * Creates subscriptions that read the event log of {@link TaskEventStore}; {@link #open}/{@link #close} also
 * (un)register them with this replica's {@link LiveEventHub} (for the SSE stream and {@code Prefer: wait}).
 */
@ApplicationScoped
public class TaskSubscriptions {

    /** Events per replay read; a longer log is read page after page. */
    static final int PAGE_SIZE = 500;

    private final TaskEventStore store;
    private final Frames frames;
    private final LiveEventHub hub;
    private final Counter logReads;

    public TaskSubscriptions(TaskEventStore store, Frames frames, LiveEventHub hub, MeterRegistry registry) {
        this.store = store;
        this.frames = frames;
        this.hub = hub;
        // How often subscriptions fall back to the database: per task, one replay at start is the floor; more means
        // gap fills or idle polls (the view lagging the live push, or a quiet long task).
        this.logReads = Counter.builder("dspy.suite.event.log.reads")
                .description("Reads of the event log by WebSocket/SSE subscriptions (replay, gap fills, idle polls)")
                .register(registry);
    }

    /** A subscription registered for live events, buffering until {@link TaskSubscription#start()}. */
    public TaskSubscription open(UUID taskId, long afterSeq, TaskSubscription.Sink sink) {
        TaskSubscription subscription = create(taskId, afterSeq, sink);
        hub.register(subscription);
        return subscription;
    }

    /** Stops delivery and unregisters; idempotent. */
    public void close(TaskSubscription subscription) {
        subscription.close();
        hub.unregister(subscription);
    }

    public TaskSubscription create(UUID taskId, long afterSeq, TaskSubscription.Sink sink) {
        return new TaskSubscription(taskId, afterSeq, sink, this::page, TaskSubscription.Timing.DEFAULT,
                System::nanoTime);
    }

    private Uni<TaskSubscription.Page> page(UUID taskId, long afterSeq) {
        logReads.increment();
        return store.page(taskId, afterSeq, PAGE_SIZE)
                .map(page -> new TaskSubscription.Page(
                        page.events().stream().map(event -> frames.event(taskId, event)).toList(),
                        page.more(), page.status(), page.lastSeq()));
    }
}
