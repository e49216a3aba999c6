package io.dspysuite.orchestration.observability;

import java.util.Collection;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.Unremovable;
import io.quarkus.arc.lookup.LookupIfProperty;

/**
 * Keeps tracing on (trace ids on tasks, {@code traceparent} on Kafka records) while exporting nothing, unless
 * {@code dspy-suite.otel.export=true} (then {@code QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT} names the collector). Quarkus
 * would otherwise export to its default localhost:4317 and log a failure on every batch where no collector runs. The
 * endpoint itself cannot tell: Quarkus always reports one. While this bean is active Quarkus creates no OTLP exporter.
 */
@Unremovable
@ApplicationScoped
@LookupIfProperty(name = "dspy-suite.otel.export", stringValue = "false", lookupIfMissing = true)
public class NoopSpanExporter implements SpanExporter {

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
