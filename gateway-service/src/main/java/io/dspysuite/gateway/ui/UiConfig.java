package io.dspysuite.gateway.ui;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;

/** Settings of the browser app that the gateway hands to the page ({@code dspy-suite.ui.*}). */
@ConfigMapping(prefix = "dspy-suite.ui")
public interface UiConfig {

    /**
     * Link to a task's trace, with {@code {trace_id}} where the W3C trace id goes, e.g.
     * {@code https://jaeger.example.com/trace/{trace_id}}. Unset: the page shows the trace id as plain text.
     */
    @WithName("trace-url-template")
    Optional<String> traceUrlTemplate();
}
