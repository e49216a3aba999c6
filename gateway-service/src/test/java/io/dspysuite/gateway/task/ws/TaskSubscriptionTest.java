package io.dspysuite.gateway.task.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;

/** The ordering engine on its own: a fake event log, a manual clock, frames recorded as sent. */
class TaskSubscriptionTest {

    private static final UUID TASK = UUID.randomUUID();
    private static final TaskSubscription.Timing TIMING = new TaskSubscription.Timing(Duration.ofSeconds(1),
            Duration.ofSeconds(8), Duration.ofMillis(50), Duration.ofMillis(400), Duration.ofSeconds(5), 100);

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<String> sent = new ArrayList<>();
    private final List<String> outcomes = new ArrayList<>();
    /** The fake log: the "database" the subscription reads. */
    private final List<EventFrame> log = new ArrayList<>();
    private TaskStatus logStatus = TaskStatus.QUEUED;
    /** Reads in flight, completed by the test when it chooses (to interleave with live events). */
    private final List<Runnable> pendingReads = new ArrayList<>();
    private int reads;

    private final TaskSubscription.Sink sink = new TaskSubscription.Sink() {
        @Override
        public void send(EventFrame frame) {
            sent.add(frame.json());
        }

        @Override
        public void completed(TaskSubscription subscription) {
            outcomes.add("completed");
        }

        @Override
        public void failed(TaskSubscription subscription, ErrorCode code, String message) {
            outcomes.add("failed:" + code);
        }
    };

    private final TaskSubscription.EventSource source = (taskId, afterSeq) -> Uni.createFrom()
            .emitter((UniEmitter<? super TaskSubscription.Page> emitter) -> {
                reads++;
                pendingReads.add(() -> {
                    List<EventFrame> events = log.stream().filter(f -> f.seq() > afterSeq).toList();
                    long lastSeq = log.isEmpty() ? 0 : log.get(log.size() - 1).seq();
                    emitter.complete(new TaskSubscription.Page(events, false, logStatus, lastSeq));
                });
            });

    private TaskSubscription subscription(long afterSeq) {
        return new TaskSubscription(TASK, afterSeq, sink, source, TIMING, clock::get);
    }

    private static EventFrame frame(long seq) {
        return new EventFrame(seq, "status", false, "e" + seq);
    }

    private static EventFrame terminal(long seq) {
        return new EventFrame(seq, "status", true, "e" + seq);
    }

    private void completeReads() {
        List<Runnable> now = new ArrayList<>(pendingReads);
        pendingReads.clear();
        now.forEach(Runnable::run);
    }

    private void advance(Duration duration) {
        clock.addAndGet(duration.toNanos());
    }

    @Test
    void replaysTheLogThenDeliversLiveEventsInOrder() {
        log.addAll(List.of(frame(1), frame(2), frame(3)));
        TaskSubscription subscription = subscription(1);
        subscription.start();
        // Live events arriving while the replay read is in flight wait for it.
        subscription.offer(frame(4));
        subscription.offer(frame(5));
        assertThat(sent).isEmpty();

        completeReads();
        subscription.offer(frame(6));

        assertThat(sent).containsExactly("e2", "e3", "e4", "e5", "e6");
    }

    @Test
    void buffersUntilStartedSoAcceptedGoesFirst() {
        TaskSubscription subscription = subscription(0);
        subscription.offer(frame(1));
        assertThat(sent).isEmpty();
        assertThat(reads).isZero();

        subscription.start();
        completeReads();

        assertThat(sent).containsExactly("e1");
    }

    @Test
    void dropsDuplicatesAndEventsAtOrBelowAfterSeq() {
        TaskSubscription subscription = subscription(2);
        subscription.start();
        completeReads();
        subscription.offer(frame(2));
        subscription.offer(frame(3));
        subscription.offer(frame(3));
        subscription.offer(frame(1));

        assertThat(sent).containsExactly("e3");
    }

    @Test
    void fillsAGapFromTheLogOnceTheViewCatchesUp() {
        TaskSubscription subscription = subscription(0);
        subscription.start();
        completeReads();
        subscription.offer(frame(1));
        // Live is ahead of the view: 2 and 3 are not in the log yet.
        subscription.offer(frame(4));
        assertThat(reads).isEqualTo(2);
        completeReads();
        assertThat(sent).containsExactly("e1");

        // Backoff: no new read before the retry delay.
        subscription.tick();
        assertThat(pendingReads).isEmpty();

        log.addAll(List.of(frame(1), frame(2), frame(3)));
        advance(Duration.ofMillis(60));
        subscription.tick();
        completeReads();

        assertThat(sent).containsExactly("e1", "e2", "e3", "e4");
    }

    @Test
    void failsWhenAGapNeverCloses() {
        TaskSubscription subscription = subscription(0);
        subscription.start();
        completeReads();
        subscription.offer(frame(3));
        for (int i = 0; i < 20; i++) {
            completeReads();
            advance(Duration.ofMillis(400));
            subscription.tick();
        }
        completeReads();

        assertThat(sent).isEmpty();
        assertThat(outcomes).containsExactly("failed:EVENTS_UNAVAILABLE");
        assertThat(subscription.isActive()).isFalse();
    }

    @Test
    void pollsTheLogWhenQuietSoMissedLiveEventsStillArrive() {
        TaskSubscription subscription = subscription(0);
        subscription.start();
        completeReads();
        // The live consumer never sees these (e.g. it was still joining its group).
        log.addAll(List.of(frame(1), frame(2)));

        subscription.tick();
        assertThat(pendingReads).isEmpty();
        advance(Duration.ofSeconds(1));
        subscription.tick();
        completeReads();

        assertThat(sent).containsExactly("e1", "e2");
    }

    @Test
    void completesAfterTheTerminalEventAndStopsPolling() {
        log.addAll(List.of(frame(1), frame(2), terminal(3)));
        logStatus = TaskStatus.SUCCEEDED;
        TaskSubscription subscription = subscription(0);
        subscription.start();
        completeReads();

        assertThat(sent).containsExactly("e1", "e2", "e3");
        assertThat(outcomes).containsExactly("completed");
        advance(Duration.ofMinutes(1));
        subscription.tick();
        assertThat(pendingReads).isEmpty();
    }

    @Test
    void completesWhenSubscribedPastTheEndOfAFinishedTask() {
        log.addAll(List.of(frame(1), terminal(2)));
        logStatus = TaskStatus.FAILED;
        TaskSubscription subscription = subscription(2);
        subscription.start();
        completeReads();

        assertThat(sent).isEmpty();
        assertThat(outcomes).containsExactly("completed");
    }

    @Test
    void failsInsteadOfBufferingWithoutBound() {
        TaskSubscription subscription = subscription(0);
        subscription.start();
        completeReads();
        for (long seq = 2; seq <= 102; seq++) {
            subscription.offer(frame(seq));
        }
        assertThat(outcomes).containsExactly("failed:EVENTS_UNAVAILABLE");
    }

    @Test
    void closedSubscriptionSendsNothing() {
        TaskSubscription subscription = subscription(0);
        subscription.start();
        subscription.close();
        log.add(frame(1));
        completeReads();
        subscription.offer(frame(1));
        assertThat(sent).isEmpty();
    }
}
