package io.dspysuite.gateway.task.ws;

import java.time.Duration;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code dspy-suite.ws.*}: heartbeats and the per-connection send bound of {@code /ws/v1}. */
@ConfigMapping(prefix = "dspy-suite.ws")
public interface WebSocketLimits {

    /** How often every connection gets a {@code {"type":"heartbeat"}} frame (DSPY_SUITE_WS_HEARTBEAT_INTERVAL). */
    @WithDefault("20s")
    Duration heartbeatInterval();

    /** Frames that may wait to be written to one connection before it is closed with 4008 (slow consumer). */
    @WithDefault("2000")
    int maxQueuedFrames();

    /** Bytes that may wait to be written to one connection before it is closed with 4008 (slow consumer). */
    @WithDefault("8M")
    MemorySize maxQueuedBytes();
}
