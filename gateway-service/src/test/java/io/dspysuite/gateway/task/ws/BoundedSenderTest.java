package io.dspysuite.gateway.task.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.task.ws.WebSocketMetrics.FrameKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;

/**
 * The slow-consumer bound on its own: writes complete only when the test says the peer read them. The frame counters
 * ({@link WebSocketMetrics}) are checked on the same deterministic stall.
 */
class BoundedSenderTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final WebSocketMetrics metrics = new WebSocketMetrics(registry);

    private final List<UniEmitter<? super Void>> unwritten = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private final AtomicInteger overflows = new AtomicInteger();

    private BoundedSender sender(int maxFrames, long maxBytes) {
        return new BoundedSender(frame -> Uni.createFrom().emitter(emitter -> {
            written.add(frame);
            unwritten.add(emitter);
        }), maxFrames, maxBytes, overflows::incrementAndGet, metrics);
    }

    private double count(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).counter().count();
    }

    private void peerReads() {
        List<UniEmitter<? super Void>> now = new ArrayList<>(unwritten);
        unwritten.clear();
        now.forEach(e -> e.complete(null));
    }

    @Test
    void aReadingPeerNeverHitsTheBound() {
        BoundedSender sender = sender(3, 1_000);
        for (int i = 0; i < 100; i++) {
            assertThat(sender.send("frame-" + i, FrameKind.EVENT)).isTrue();
            peerReads();
        }
        assertThat(written).hasSize(100);
        assertThat(sender.queuedFrames()).isZero();
        assertThat(sender.queuedBytes()).isZero();
        assertThat(overflows).hasValue(0);
        assertThat(count("dspy_suite_ws_frames_sent", "frame", "event")).isEqualTo(100);
        assertThat(count("dspy_suite_ws_frames_dropped", "reason", "slow_consumer")).isZero();
    }

    @Test
    void aStalledPeerIsCutOffOnceWhenTooManyFramesWait() {
        BoundedSender sender = sender(3, 1_000);
        assertThat(sender.send("a", FrameKind.EVENT)).isTrue();
        assertThat(sender.send("b", FrameKind.EVENT)).isTrue();
        assertThat(sender.send("c", FrameKind.EVENT)).isTrue();
        assertThat(sender.send("d", FrameKind.EVENT)).isFalse();
        assertThat(overflows).hasValue(1);
        assertThat(sender.overflowed()).isTrue();

        // Whatever follows is dropped (the connection is closing); the overflow is reported once.
        peerReads();
        assertThat(sender.send("e", FrameKind.EVENT)).isFalse();
        assertThat(overflows).hasValue(1);
        assertThat(written).containsExactly("a", "b", "c");
        assertThat(count("dspy_suite_ws_frames_sent", "frame", "event")).as("written once the peer read them")
                .isEqualTo(3);
        assertThat(count("dspy_suite_ws_frames_dropped", "reason", "slow_consumer")).as("d and e").isEqualTo(2);
        assertThat(registry.get("dspy_suite_ws_slow_consumer_closes").counter().count()).isEqualTo(1);
    }

    @Test
    void controlFramesAreCountedApart() {
        BoundedSender sender = sender(3, 1_000);
        sender.send("{\"type\":\"pong\"}", FrameKind.CONTROL);
        assertThat(count("dspy_suite_ws_frames_sent", "frame", "control")).as("not written yet").isZero();
        peerReads();
        assertThat(count("dspy_suite_ws_frames_sent", "frame", "control")).isEqualTo(1);
        assertThat(count("dspy_suite_ws_frames_sent", "frame", "event")).isZero();
    }

    @Test
    void theByteBoundCountsUtf8Bytes() {
        BoundedSender sender = sender(100, 10);
        assertThat(sender.send("ééé", FrameKind.EVENT)).isTrue(); // 6 bytes
        assertThat(sender.queuedBytes()).isEqualTo(6);
        assertThat(sender.send("éé", FrameKind.EVENT)).isTrue(); // 10 bytes in all: at the bound, not over it
        assertThat(sender.send("x", FrameKind.EVENT)).isFalse();
        assertThat(overflows).hasValue(1);
    }

    @Test
    void failedWritesReleaseTheirShare() {
        BoundedSender sender = new BoundedSender(frame -> Uni.createFrom().failure(new IllegalStateException("gone")),
                1, 100, overflows::incrementAndGet, metrics);
        assertThat(sender.send("a", FrameKind.EVENT)).isTrue();
        assertThat(sender.send("b", FrameKind.EVENT)).isTrue();
        assertThat(sender.queuedFrames()).isZero();
        assertThat(overflows).hasValue(0);
        assertThat(count("dspy_suite_ws_frames_dropped", "reason", "write_failed")).isEqualTo(2);
        assertThat(count("dspy_suite_ws_frames_sent", "frame", "event")).isZero();
    }
}
