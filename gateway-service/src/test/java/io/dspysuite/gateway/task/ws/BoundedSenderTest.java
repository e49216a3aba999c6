package io.dspysuite.gateway.task.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;

/** The slow-consumer bound on its own: writes complete only when the test says the peer read them. */
class BoundedSenderTest {

    private final List<UniEmitter<? super Void>> unwritten = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private final AtomicInteger overflows = new AtomicInteger();

    private BoundedSender sender(int maxFrames, long maxBytes) {
        return new BoundedSender(frame -> Uni.createFrom().emitter(emitter -> {
            written.add(frame);
            unwritten.add(emitter);
        }), maxFrames, maxBytes, overflows::incrementAndGet);
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
            assertThat(sender.send("frame-" + i)).isTrue();
            peerReads();
        }
        assertThat(written).hasSize(100);
        assertThat(sender.queuedFrames()).isZero();
        assertThat(sender.queuedBytes()).isZero();
        assertThat(overflows).hasValue(0);
    }

    @Test
    void aStalledPeerIsCutOffOnceWhenTooManyFramesWait() {
        BoundedSender sender = sender(3, 1_000);
        assertThat(sender.send("a")).isTrue();
        assertThat(sender.send("b")).isTrue();
        assertThat(sender.send("c")).isTrue();
        assertThat(sender.send("d")).isFalse();
        assertThat(overflows).hasValue(1);
        assertThat(sender.overflowed()).isTrue();

        // Whatever follows is dropped (the connection is closing); the overflow is reported once.
        peerReads();
        assertThat(sender.send("e")).isFalse();
        assertThat(overflows).hasValue(1);
        assertThat(written).containsExactly("a", "b", "c");
    }

    @Test
    void theByteBoundCountsUtf8Bytes() {
        BoundedSender sender = sender(100, 10);
        assertThat(sender.send("ééé")).isTrue(); // 6 bytes
        assertThat(sender.queuedBytes()).isEqualTo(6);
        assertThat(sender.send("éé")).isTrue(); // 10 bytes in all: at the bound, not over it
        assertThat(sender.send("x")).isFalse();
        assertThat(overflows).hasValue(1);
    }

    @Test
    void failedWritesReleaseTheirShare() {
        BoundedSender sender = new BoundedSender(frame -> Uni.createFrom().failure(new IllegalStateException("gone")),
                1, 100, overflows::incrementAndGet);
        assertThat(sender.send("a")).isTrue();
        assertThat(sender.send("b")).isTrue();
        assertThat(sender.queuedFrames()).isZero();
        assertThat(overflows).hasValue(0);
    }
}
