package io.dspysuite.localstack.suite;

import java.util.HashMap;
import java.util.Map;

/**
 * The environment that makes all three services export traces over OTLP/HTTP to one endpoint (an OpenTelemetry
 * collector, Jaeger, or a test's receiver). Without it the services keep tracing (trace ids, propagation) but export
 * nothing and log nothing about a missing collector.
 */
public final class TelemetryEnv {

    private TelemetryEnv() {
    }

    /** For {@code endpoint} like {@code http://localhost:4318}; empty when the endpoint is null or blank. */
    public static Map<String, String> forEndpoint(String endpoint) {
        Map<String, String> env = new HashMap<>();
        if (endpoint == null || endpoint.isBlank()) {
            return env;
        }
        // Quarkus services
        env.put("DSPY_SUITE_OTEL_EXPORT", "true");
        env.put("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
        env.put("QUARKUS_OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        // Short batches: a task's spans should be visible within a second or two, not after the default 5 s.
        env.put("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "500ms");
        // The Python service (standard OpenTelemetry SDK variables)
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
        env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        env.put("OTEL_BSP_SCHEDULE_DELAY", "500");
        return env;
    }
}
