package io.dspysuite.orchestration.job.worker;

import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.job.model.JobQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** Job engine metrics on {@code /q/metrics}: finished jobs per queue and outcome, jobs executing per queue. */
@ApplicationScoped
public class JobMetrics {

    private final MeterRegistry registry;

    JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void finished(JobQueue queue, String outcome) {
        Counter.builder("dspy.jobs.finished")
                .description("Jobs that reached a final state on this replica")
                .tag("queue", queue.dbValue())
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    void executingGauge(JobQueue queue, Supplier<Number> executing) {
        Gauge.builder("dspy.jobs.executing", executing)
                .description("Jobs executing on this replica")
                .tag("queue", queue.dbValue())
                .register(registry);
    }
}
