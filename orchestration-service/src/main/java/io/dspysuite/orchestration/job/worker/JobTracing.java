package io.dspysuite.orchestration.job.worker;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * The span of one attempt, child of the request's trace: the context does not survive the hop through the job table
 * on its own, so the stored W3C traceparent is restored as the parent (for every attempt, including retries and
 * rescues on another replica).
 */
@ApplicationScoped
public class JobTracing {

    private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    private final Tracer tracer;

    JobTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** The request's context (root when the request carried none or tracing is off). */
    public static Context parentOf(String traceParent) {
        if (traceParent == null || traceParent.isBlank()) {
            return Context.root();
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), traceParent, TRACEPARENT);
    }

    public Span startAttempt(ClaimedJob job) {
        return tracer.spanBuilder("job " + job.queue().dbValue())
                .setParent(parentOf(job.traceParent()))
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute("dspy_suite.task.id", job.id().toString())
                .setAttribute("dspy_suite.tenant.id", job.tenantId())
                .setAttribute("dspy_suite.job.attempt", job.attempt())
                .setAttribute("dspy_suite.job.max_attempts", job.maxAttempts())
                .startSpan();
    }
}
