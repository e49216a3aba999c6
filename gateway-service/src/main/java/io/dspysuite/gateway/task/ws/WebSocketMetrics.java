package io.dspysuite.gateway.task.ws;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/**
 * Counters of {@code /ws/v1} frames on this replica ({@code /q/metrics}):
 * <ul>
 * <li>{@code dspy_suite_ws_frames_sent_total{frame}}: frames the socket finished writing; {@code frame} is
 * {@code event} (task events: status, progress, chunk, result, error) or {@code control} (accepted, error, pong,
 * heartbeat, cancel_requested);</li>
 * <li>{@code dspy_suite_ws_frames_dropped_total{reason}}: frames that never reached the client: {@code slow_consumer}
 * (refused by the per-connection bound, the connection is being closed with 4008) or {@code write_failed} (the peer
 * was gone);</li>
 * <li>{@code dspy_suite_ws_slow_consumer_closes_total}: connections closed with 4008 because the client did not keep
 * up.</li>
 * </ul>
 * A dropped event is not lost: the client resumes with {@code after_seq} and the event log replays it.
 */
@Startup // registered (at zero) before the first connection, so rate() has a baseline
@ApplicationScoped
public class WebSocketMetrics {

    /** What a frame carries: task events, or the protocol's own frames. */
    enum FrameKind {
        EVENT, CONTROL
    }

    private final Counter eventsSent;
    private final Counter controlSent;
    private final Counter droppedSlowConsumer;
    private final Counter droppedWriteFailed;
    private final Counter slowConsumerCloses;

    public WebSocketMetrics(MeterRegistry registry) {
        this.eventsSent = sent(registry, "event");
        this.controlSent = sent(registry, "control");
        this.droppedSlowConsumer = dropped(registry, "slow_consumer");
        this.droppedWriteFailed = dropped(registry, "write_failed");
        this.slowConsumerCloses = Counter.builder("dspy_suite_ws_slow_consumer_closes")
                .description("WebSocket connections closed with 4008 because the client did not keep up")
                .register(registry);
    }

    void sent(FrameKind kind) {
        (kind == FrameKind.EVENT ? eventsSent : controlSent).increment();
    }

    void droppedSlowConsumer() {
        droppedSlowConsumer.increment();
    }

    void droppedWriteFailed() {
        droppedWriteFailed.increment();
    }

    void slowConsumerClosed() {
        slowConsumerCloses.increment();
    }

    private static Counter sent(MeterRegistry registry, String frame) {
        return Counter.builder("dspy_suite_ws_frames_sent")
                .description("WebSocket frames written to clients, by frame kind (event or control)")
                .tag("frame", frame)
                .register(registry);
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder("dspy_suite_ws_frames_dropped")
                .description("WebSocket frames that never reached the client, by reason")
                .tag("reason", reason)
                .register(registry);
    }
}
