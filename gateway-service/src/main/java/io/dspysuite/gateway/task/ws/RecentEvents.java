package io.dspysuite.gateway.task.ws;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;


/**
 * The last live events of recently active tasks, kept briefly in memory so that a subscription made just after them
 * (the usual case: a client subscribes right after its {@code 202}) starts from them instead of waiting for the task
 * view to write them to the event log and polling it until it does.
 * <p>
 * Why: under load the view lags the live consumer, and a subscription only ever sends {@code lastSent + 1}; without
 * this buffer, a subscription that missed QUEUED held every later live event and re-read the log with backoff until
 * the view caught up (21 log reads per task in the profile, bench/README.md). The event log stays the source of truth:
 * the subscription still replays it once at start, and anything this bounded buffer no longer holds (expired, evicted,
 * or more than {@code maxPerTask} events back) is filled from the log as before.
 * <p>
 * Bounded in three ways: events per task, total size of the encoded frames (Caffeine weigher), and age since the task's
 * last event. Values are immutable lists, replaced on every add inside Caffeine's atomic compute.
 */
@ApplicationScoped
public class RecentEvents {

    private final Cache<UUID, List<EventFrame>> byTask;
    private final int maxPerTask;

    @Inject
    public RecentEvents(WebSocketLimits limits) {
        this(limits.recentEvents().perTask(), limits.recentEvents().maxSize().asLongValue(),
                limits.recentEvents().ttl(), Ticker.systemTicker());
    }

    RecentEvents(int maxPerTask, long maxBytes, Duration ttl, Ticker ticker) {
        this.maxPerTask = maxPerTask;
        this.byTask = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumWeight(maxBytes)
                // The encoded frames dominate the memory; one char of (mostly ASCII) JSON is about one byte.
                .<UUID, List<EventFrame>>weigher((taskId, frames) -> weight(frames))
                .ticker(ticker)
                .build();
    }

    /** Remembers a live event (the oldest of its task is forgotten past {@code maxPerTask}). */
    public void add(UUID taskId, EventFrame frame) {
        if (maxPerTask <= 0) {
            return;
        }
        byTask.asMap().compute(taskId, (id, frames) -> {
            List<EventFrame> next = new ArrayList<>(frames == null ? 1 : Math.min(frames.size() + 1, maxPerTask));
            if (frames != null) {
                next.addAll(frames.subList(Math.max(0, frames.size() + 1 - maxPerTask), frames.size()));
            }
            next.add(frame);
            return List.copyOf(next);
        });
    }

    /** The remembered events of a task, oldest first (in arrival order, which is seq order per task). */
    public List<EventFrame> of(UUID taskId) {
        List<EventFrame> frames = byTask.getIfPresent(taskId);
        return frames == null ? List.of() : frames;
    }

    /** Applies pending evictions now (Caffeine evicts asynchronously); for tests. */
    void cleanUp() {
        byTask.cleanUp();
    }

    private static int weight(List<EventFrame> frames) {
        long bytes = 0;
        for (EventFrame frame : frames) {
            bytes += frame.json().length() + 64L;
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }
}
