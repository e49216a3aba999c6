package io.dspysuite.gateway.task.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.model.EventType;
import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * The recent-events buffer on its own (bounds, expiry) and with the hub: a subscription made after its task's events
 * went live is served from memory while the event log (the task view) has none of them yet.
 */
class RecentEventsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final AtomicLong ticker = new AtomicLong();

    private static EventFrame frame(long seq) {
        return new EventFrame(seq, "status", false, "{\"seq\":" + seq + "}");
    }

    private RecentEvents recent(int perTask, long maxBytes) {
        return new RecentEvents(perTask, maxBytes, Duration.ofSeconds(30), ticker::get);
    }

    @Test
    void keepsTheLastEventsOfATaskInOrder() {
        RecentEvents recent = recent(3, 1 << 20);
        UUID task = UUID.randomUUID();
        for (long seq = 1; seq <= 5; seq++) {
            recent.add(task, frame(seq));
        }
        assertThat(recent.of(task)).extracting(EventFrame::seq).containsExactly(3L, 4L, 5L);
        assertThat(recent.of(UUID.randomUUID())).isEmpty();
    }

    @Test
    void forgetsATaskQuietForLongerThanTheTtl() {
        RecentEvents recent = recent(8, 1 << 20);
        UUID task = UUID.randomUUID();
        recent.add(task, frame(1));
        ticker.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThat(recent.of(task)).hasSize(1);
        ticker.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(recent.of(task)).isEmpty();
    }

    @Test
    void staysWithinItsSizeBound() {
        // Each frame weighs its JSON length + 64; room for a handful of tasks only.
        RecentEvents recent = recent(8, 2_000);
        List<UUID> tasks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            UUID task = UUID.randomUUID();
            tasks.add(task);
            recent.add(task, frame(1));
        }
        recent.cleanUp();
        long kept = tasks.stream().filter(task -> !recent.of(task).isEmpty()).count();
        assertThat(kept).isBetween(1L, 2_000L / 74);
    }

    @Test
    void aSubscriptionMadeAfterTheEventsWentLiveIsServedFromMemoryNotByPollingTheLog() {
        LiveEventHub hub = new LiveEventHub(new Frames(MAPPER), recent(64, 1 << 20), null, new SimpleMeterRegistry());
        UUID task = UUID.randomUUID();
        // The live consumer saw the whole task before anyone subscribed; the view has written none of it yet.
        hub.publish(event(task, 1, TaskStatus.QUEUED));
        hub.publish(event(task, 2, TaskStatus.RUNNING));
        hub.publish(event(task, 3, TaskStatus.SUCCEEDED));

        AtomicInteger logReads = new AtomicInteger();
        List<Long> sent = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        TaskSubscription subscription = new TaskSubscription(task, 0, new TaskSubscription.Sink() {
            @Override
            public void send(EventFrame frame) {
                sent.add(frame.seq());
            }

            @Override
            public void completed(TaskSubscription s) {
                outcomes.add("completed");
            }

            @Override
            public void failed(TaskSubscription s, ErrorCode code, String message) {
                outcomes.add("failed:" + code);
            }
        }, (taskId, afterSeq) -> {
            logReads.incrementAndGet();
            // The lagging view: the task row says QUEUED, the log is empty.
            return Uni.createFrom().item(new TaskSubscription.Page(List.of(), false, TaskStatus.QUEUED, 0));
        }, TaskSubscription.Timing.DEFAULT, System::nanoTime);

        hub.register(subscription);
        subscription.start();

        assertThat(sent).containsExactly(1L, 2L, 3L);
        assertThat(outcomes).containsExactly("completed");
        assertThat(logReads).as("only the replay at start").hasValue(1);
    }

    private static TaskEventRecord event(UUID task, long seq, TaskStatus status) {
        return new TaskEventRecord(task, seq, EventType.STATUS,
                MAPPER.createObjectNode().put("status", status.wire()), Instant.now(), status, null);
    }
}
