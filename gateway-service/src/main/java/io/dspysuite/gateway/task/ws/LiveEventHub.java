package io.dspysuite.gateway.task.ws;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;

/**
 * This replica's live subscriptions, by task id. The live Kafka consumer publishes every event here; a periodic tick
 * lets each subscription retry gap fills and poll the log when its task has gone quiet. Every event is also kept
 * briefly in {@link RecentEvents}, and a new subscription starts with its task's recent events, so it does not depend
 * on the task view having written them yet.
 */
@Startup
@ApplicationScoped
public class LiveEventHub {

    private static final Logger LOG = Logger.getLogger(LiveEventHub.class);
    private static final long TICK_MILLIS = 200;

    private final ConcurrentMap<UUID, Set<TaskSubscription>> byTask = new ConcurrentHashMap<>();
    private final Frames frames;
    private final RecentEvents recent;
    private final Vertx vertx;
    private long timer = -1;

    public LiveEventHub(Frames frames, RecentEvents recent, Vertx vertx, MeterRegistry registry) {
        this.frames = frames;
        this.recent = recent;
        this.vertx = vertx;
        // Every subscription of a closed connection must be gone: this gauge shows one that is not (a leak).
        Gauge.builder("dspy_suite_ws_subscriptions", this, LiveEventHub::subscriptionCount)
                .description("Task subscriptions of the open /ws/v1 connections on this replica").register(registry);
    }

    @PostConstruct
    void startTicking() {
        timer = vertx.setPeriodic(TICK_MILLIS, id -> tick());
    }

    @PreDestroy
    void stopTicking() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    public void register(TaskSubscription subscription) {
        // Add inside compute: a concurrent unregister cannot drop the set between lookup and add.
        byTask.compute(subscription.taskId(), (id, set) -> {
            Set<TaskSubscription> subscriptions = set != null ? set : ConcurrentHashMap.newKeySet();
            subscriptions.add(subscription);
            return subscriptions;
        });
        // After registering: an event published concurrently is either in this copy or offered live (publish stores
        // before it looks up subscribers), or both; offer ignores a seq it already holds or sent.
        for (EventFrame frame : recent.of(subscription.taskId())) {
            subscription.offer(frame);
        }
    }

    public void unregister(TaskSubscription subscription) {
        byTask.computeIfPresent(subscription.taskId(), (id, set) -> {
            set.remove(subscription);
            return set.isEmpty() ? null : set;
        });
    }

    /** An event from the live consumer; encoded once for all its subscribers. */
    public void publish(TaskEventRecord event) {
        EventFrame frame = frames.event(event);
        recent.add(event.taskId(), frame);
        Set<TaskSubscription> subscriptions = byTask.get(event.taskId());
        if (subscriptions == null || subscriptions.isEmpty()) {
            return;
        }
        for (TaskSubscription subscription : subscriptions) {
            subscription.offer(frame);
        }
    }

    public int subscriptionCount() {
        return byTask.values().stream().mapToInt(Set::size).sum();
    }

    private void tick() {
        try {
            for (Set<TaskSubscription> subscriptions : byTask.values()) {
                for (TaskSubscription subscription : subscriptions) {
                    subscription.tick();
                }
            }
        } catch (RuntimeException e) {
            LOG.error("subscription tick failed", e);
        }
    }
}
