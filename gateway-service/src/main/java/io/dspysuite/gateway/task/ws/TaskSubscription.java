package io.dspysuite.gateway.task.ws;

import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.smallrye.mutiny.Uni;

/**
 * One session's subscription to one task: delivers the task's events in sequence order, each exactly once, with no
 * gaps, whether they come from the event log (replay) or live from Kafka.
 * <p>
 * The single rule: only {@code lastSent + 1} is ever sent. Everything else waits in {@code pending} (live events
 * arriving during the replay, or ahead of a gap because this replica's view lags) until the log fills the gap.
 * The log is read
 * <ul>
 * <li>at start (replay after {@code after_seq}),</li>
 * <li>when a gap appears, then with backoff until it closes (or {@link Timing#gapTimeout} fails the subscription),</li>
 * <li>when nothing arrived for a while (with backoff), so an event the live consumer never saw, e.g. while it was
 * joining its group, still arrives.</li>
 * </ul>
 * Thread-safety: state is guarded by {@code this}; frames are handed to the sink under the lock, which is what keeps
 * them in order (the sink only enqueues a non-blocking write). Callbacks that touch other structures run outside it.
 */
public final class TaskSubscription {

    private static final Logger LOG = Logger.getLogger(TaskSubscription.class);

    /** Where frames go, and who hears that the subscription ended. */
    public interface Sink {
        /** Enqueue a frame; must not block. */
        void send(EventFrame frame);

        /** The task reached its final state and its last event was sent. */
        void completed(TaskSubscription subscription);

        /** The subscription gave up (the gap never closed, or it fell too far behind). */
        void failed(TaskSubscription subscription, ErrorCode code, String message);
    }

    /** Reads the event log after a sequence number. */
    public interface EventSource {
        Uni<Page> after(UUID taskId, long afterSeq);
    }

    /**
     * @param status the task's status when the page was read (null: the task is gone)
     * @param lastSeq the task's last applied seq, read before the events
     * @param more the page was full: read again right away
     */
    public record Page(List<EventFrame> events, boolean more, TaskStatus status, long lastSeq) {
    }

    public record Timing(Duration idleFirst, Duration idleMax, Duration gapRetryFirst, Duration gapRetryMax,
            Duration gapTimeout, int maxPending) {

        public static final Timing DEFAULT = new Timing(Duration.ofSeconds(1), Duration.ofSeconds(15),
                Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(30), 10_000);
    }

    private final UUID taskId;
    private final Sink sink;
    private final EventSource source;
    private final Timing timing;
    private final LongSupplier nanoClock;

    // Guarded by this.
    private long lastSent;
    private final TreeMap<Long, EventFrame> pending = new TreeMap<>();
    private boolean started;
    private boolean fetching;
    private boolean idlePoll;
    private boolean closed;
    private boolean complete;
    private long lastActivity;
    private long idleDelay;
    private long gapSince = -1;
    private long gapDelay;
    private long nextGapFetch;

    public TaskSubscription(UUID taskId, long afterSeq, Sink sink, EventSource source, Timing timing,
            LongSupplier nanoClock) {
        this.taskId = taskId;
        this.lastSent = afterSeq;
        this.sink = sink;
        this.source = source;
        this.timing = timing;
        this.nanoClock = nanoClock;
        this.idleDelay = timing.idleFirst().toNanos();
        this.gapDelay = timing.gapRetryFirst().toNanos();
    }

    public UUID taskId() {
        return taskId;
    }

    public synchronized long lastSent() {
        return lastSent;
    }

    public synchronized boolean isActive() {
        return !closed && !complete;
    }

    /** Begins delivery with the replay. Until then events are only buffered (so an {@code accepted} frame goes first). */
    public void start() {
        synchronized (this) {
            if (started || closed) {
                return;
            }
            started = true;
            lastActivity = nanoClock.getAsLong();
        }
        fetch();
    }

    /** A live event for this task. */
    public void offer(EventFrame frame) {
        boolean fetchNow;
        boolean overflow = false;
        boolean completedNow;
        synchronized (this) {
            if (closed || complete || frame.seq() <= lastSent) {
                return;
            }
            if (pending.size() >= timing.maxPending() && !pending.containsKey(frame.seq())) {
                closed = true;
                pending.clear();
                overflow = true;
                fetchNow = false;
                completedNow = false;
            } else {
                pending.putIfAbsent(frame.seq(), frame);
                completedNow = started && drain();
                fetchNow = started && gapFetchDue();
            }
        }
        if (overflow) {
            sink.failed(this, ErrorCode.EVENTS_UNAVAILABLE, "The subscription fell too far behind; subscribe again with after_seq");
        } else if (completedNow) {
            sink.completed(this);
        } else if (fetchNow) {
            fetch();
        }
    }

    /** Called periodically: retries a gap fill, times it out, or polls the log when the task has gone quiet. */
    public void tick() {
        boolean go = false;
        boolean timedOut = false;
        long sent;
        synchronized (this) {
            if (!started || closed || complete || fetching) {
                return;
            }
            long now = nanoClock.getAsLong();
            if (!pending.isEmpty()) {
                if (now - gapSince >= timing.gapTimeout().toNanos()) {
                    closed = true;
                    pending.clear();
                    timedOut = true;
                } else {
                    go = now >= nextGapFetch;
                }
            } else {
                go = now - lastActivity >= idleDelay;
                idlePoll = go;
            }
            sent = lastSent;
        }
        if (timedOut) {
            sink.failed(this, ErrorCode.EVENTS_UNAVAILABLE,
                    "Events after seq " + sent + " are not available yet; subscribe again with after_seq=" + sent);
        } else if (go) {
            fetch();
        }
    }

    /** Stops delivery for good (unsubscribe, connection closed). */
    public synchronized void close() {
        closed = true;
        pending.clear();
    }

    private void fetch() {
        long after;
        synchronized (this) {
            if (!started || closed || complete || fetching) {
                return;
            }
            fetching = true;
            after = lastSent;
        }
        source.after(taskId, after).subscribe().with(this::onPage, this::onFetchFailure);
    }

    private void onPage(Page page) {
        boolean again;
        boolean completedNow;
        synchronized (this) {
            fetching = false;
            if (closed || complete) {
                return;
            }
            long now = nanoClock.getAsLong();
            long before = lastSent;
            for (EventFrame frame : page.events()) {
                if (frame.seq() > lastSent) {
                    pending.putIfAbsent(frame.seq(), frame);
                }
            }
            completedNow = drain();
            if (!completedNow && pending.isEmpty()
                    && (page.status() == null || page.status().isTerminal() && lastSent >= page.lastSeq())) {
                // Final (or gone) and everything sent: nothing will ever follow.
                complete = true;
                completedNow = true;
            }
            if (idlePoll && lastSent == before && pending.isEmpty()) {
                // A quiet task (a long optimization): poll less and less often.
                idleDelay = Math.min(idleDelay * 2, timing.idleMax().toNanos());
            }
            idlePoll = false;
            lastActivity = now;
            if (!pending.isEmpty()) {
                // The gap is still open: the view has not caught up; look again later.
                nextGapFetch = now + gapDelay;
                gapDelay = Math.min(gapDelay * 2, timing.gapRetryMax().toNanos());
            }
            again = !completedNow && page.more();
        }
        if (completedNow) {
            sink.completed(this);
        } else if (again) {
            fetch();
        }
    }

    private void onFetchFailure(Throwable failure) {
        LOG.debugf(failure, "reading the event log of task %s failed; retrying", taskId);
        synchronized (this) {
            fetching = false;
            idlePoll = false;
            long now = nanoClock.getAsLong();
            lastActivity = now;
            nextGapFetch = now + timing.gapRetryMax().toNanos();
        }
    }

    /**
     * Sends every pending frame that continues the sequence. Must hold the lock.
     *
     * @return true if the final event was just sent
     */
    private boolean drain() {
        long now = nanoClock.getAsLong();
        boolean completedNow = false;
        while (!pending.isEmpty() && pending.firstKey() <= lastSent + 1) {
            EventFrame frame = pending.pollFirstEntry().getValue();
            if (frame.seq() <= lastSent) {
                continue;
            }
            sink.send(frame);
            lastSent = frame.seq();
            lastActivity = now;
            idleDelay = timing.idleFirst().toNanos();
            if (frame.terminal()) {
                complete = true;
                completedNow = true;
                pending.clear();
            }
        }
        if (pending.isEmpty()) {
            gapSince = -1;
            gapDelay = timing.gapRetryFirst().toNanos();
        } else if (gapSince < 0) {
            gapSince = now;
            nextGapFetch = now;
        }
        return completedNow;
    }

    /** Must hold the lock. */
    private boolean gapFetchDue() {
        return !closed && !complete && !fetching && !pending.isEmpty() && nanoClock.getAsLong() >= nextGapFetch;
    }
}
