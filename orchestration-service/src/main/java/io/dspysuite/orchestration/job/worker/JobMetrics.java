package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Job engine metrics on {@code /q/metrics}: attempts by outcome, finished tasks by kind, status and error code, the
 * wait before a task first runs and the run time of every attempt (histograms), retries by reason.
 */
@ApplicationScoped
public class JobMetrics {

    private final MeterRegistry registry;

    JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** An attempt began: for a first attempt, how long the task waited since it was stored. */
    void started(ClaimedJob job) {
        if (job.attempt() == 1) {
            Timer.builder("dspy_suite_job_wait")
                    .description("Time from storing a task's job to the start of its first attempt")
                    .tag("queue", job.queue().dbValue())
                    .publishPercentileHistogram()
                    .register(registry)
                    .record(Duration.between(job.insertedAt(), Instant.now()).abs());
        }
    }

    /**
     * An attempt ended on this replica.
     *
     * @param outcome completed, retryable, postponed, discarded or fenced (stopped by the lease fence, nothing written)
     * @param code the error code of a failed attempt, empty otherwise
     */
    void ended(ClaimedJob job, Duration ran, String outcome, String code) {
        String kind = kind(job);
        // Also the count of attempts by outcome (dspy_suite_job_run_seconds_count), which replaced the former
        // dspy_jobs_finished_total counter.
        Timer.builder("dspy_suite_job_run")
                .description("Run time of job attempts, by queue, kind and outcome")
                .tag("queue", job.queue().dbValue())
                .tag("kind", kind)
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .register(registry)
                .record(ran);
        switch (outcome) {
            case "completed" -> taskFinished(kind, "succeeded", "");
            case "discarded" -> taskFinished(kind, "failed", code);
            case "retryable" -> Counter.builder("dspy_suite_job_retries")
                    .description("Attempts that failed transiently and were scheduled again, by reason")
                    .tag("queue", job.queue().dbValue())
                    .tag("code", code)
                    .register(registry)
                    .increment();
            default -> {
            }
        }
    }

    private void taskFinished(String kind, String status, String code) {
        Counter.builder("dspy_suite_tasks_finished")
                .description("Tasks that reached a final state through an attempt on this replica")
                .tag("kind", kind)
                .tag("status", status)
                .tag("code", code)
                .register(registry)
                .increment();
    }

    private static String kind(ClaimedJob job) {
        return job.request().getKind().name().replace("TASK_KIND_", "").toLowerCase(Locale.ROOT);
    }
}
