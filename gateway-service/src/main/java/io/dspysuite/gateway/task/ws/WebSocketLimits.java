package io.dspysuite.gateway.task.ws;

import java.time.Duration;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code dspy-suite.ws.*}: heartbeats, key re-checks and the per-connection send bound of {@code /ws/v1}. */
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
}
