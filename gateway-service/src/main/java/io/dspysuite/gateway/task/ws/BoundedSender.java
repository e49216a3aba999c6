package io.dspysuite.gateway.task.ws;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.task.ws.WebSocketMetrics.FrameKind;
import io.smallrye.mutiny.Uni;

/**
 * A connection's outgoing frames with a bound: frames handed to the socket but not yet written out count against
 * {@code maxFrames} and {@code maxBytes}. A client that does not read (a stalled tab, a slow network) makes the
 * count grow; past either bound the sender stops for good and calls {@code onOverflow} once, which closes the
 * connection with {@link #CLOSE_SLOW_CONSUMER}. The client reconnects and subscribes with {@code after_seq}: the
 * event log replays what it missed, so nothing is lost, and the server never buffers without limit.
 * Every frame is counted in {@link WebSocketMetrics}: sent once written, dropped when refused or when the write failed.
 */
final class BoundedSender {

    /** Private-use close code: "you fell behind; reconnect and resume with after_seq". */
    static final short CLOSE_SLOW_CONSUMER = 4008;
    static final String CLOSE_REASON = "slow consumer: reconnect and subscribe with after_seq";

    private static final Logger LOG = Logger.getLogger(BoundedSender.class);

    private final Function<String, Uni<Void>> write;
    private final int maxFrames;
    private final long maxBytes;
    private final Runnable onOverflow;
    private final WebSocketMetrics metrics;
    private final AtomicInteger queuedFrames = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean overflowed = new AtomicBoolean();

    BoundedSender(Function<String, Uni<Void>> write, int maxFrames, long maxBytes, Runnable onOverflow,
            WebSocketMetrics metrics) {
        this.write = write;
        this.metrics = metrics;
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
        this.onOverflow = onOverflow;
    }

    /** Hands the frame to the socket without blocking; false if the bound was hit (the frame is dropped). */
    boolean send(String frame, FrameKind kind) {
        if (overflowed.get()) {
            metrics.droppedSlowConsumer();
            return false;
        }
        long size = frame.getBytes(StandardCharsets.UTF_8).length;
        int frames = queuedFrames.incrementAndGet();
        long bytes = queuedBytes.addAndGet(size);
        if (frames > maxFrames || bytes > maxBytes) {
            release(size);
            metrics.droppedSlowConsumer();
            if (overflowed.compareAndSet(false, true)) {
                metrics.slowConsumerClosed();
                onOverflow.run();
            }
            return false;
        }
        write.apply(frame).subscribe().with(v -> {
            release(size);
            metrics.sent(kind);
        }, e -> {
            release(size);
            metrics.droppedWriteFailed();
            LOG.debugf("sending a frame failed: %s", e.getMessage());
        });
        return true;
    }

    int queuedFrames() {
        return queuedFrames.get();
    }

    long queuedBytes() {
        return queuedBytes.get();
    }

    boolean overflowed() {
        return overflowed.get();
    }

    private void release(long size) {
        queuedFrames.decrementAndGet();
        queuedBytes.addAndGet(-size);
    }
}
