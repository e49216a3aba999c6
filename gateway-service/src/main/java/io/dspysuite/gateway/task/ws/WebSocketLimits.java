package io.dspysuite.gateway.task.ws;

import java.time.Duration;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * {@code dspy-suite.ws.*}: heartbeats, key re-checks, the per-connection send bound of {@code /ws/v1} and the recent
 * events kept for new subscriptions.
 */
@ConfigMapping(prefix = "dspy-suite.ws")
public interface WebSocketLimits {

    /** How often every connection gets a {@code {"type":"heartbeat"}} frame (DSPY_SUITE_WS_HEARTBEAT_INTERVAL). */
    @WithDefault("20s")
    Duration heartbeatInterval();

    /**
     * How often each replica checks whether the API keys of its open connections were revoked; a connection whose key
     * was is closed with 4401 (DSPY_SUITE_WS_KEY_CHECK_INTERVAL). This is the bound on how long a revoked key keeps a
     * WebSocket connection it opened before; new upgrades with the key are refused at once.
     */
    @WithDefault("10s")
    Duration keyCheckInterval();

    /** Frames that may wait to be written to one connection before it is closed with 4008 (slow consumer). */
    @WithDefault("2000")
    int maxQueuedFrames();

    /** Bytes that may wait to be written to one connection before it is closed with 4008 (slow consumer). */
    @WithDefault("8M")
    MemorySize maxQueuedBytes();

    /** {@code dspy-suite.ws.recent-events.*}: see {@link RecentEvents}. */
    RecentEventsLimits recentEvents();

    interface RecentEventsLimits {

        /** Live events kept per task (the oldest are forgotten first); 0 turns the buffer off. */
        @WithDefault("64")
        int perTask();

        /** Size of the kept frames of all tasks together (their JSON length plus a fixed overhead per frame). */
        @WithDefault("16M")
        MemorySize maxSize();

        /** A task's events are forgotten this long after its last event arrived. */
        @WithDefault("30s")
        Duration ttl();
    }
}
