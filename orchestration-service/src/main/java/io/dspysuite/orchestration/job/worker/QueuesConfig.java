package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.Map;

import io.dspysuite.orchestration.job.model.JobQueue;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;

/**
 * Per-queue settings, e.g. {@code dspy-suite.queues.interactive.concurrency=4}
 * (env {@code DSPY_SUITE_QUEUES_INTERACTIVE_CONCURRENCY}). Every queue of {@link JobQueue} must be configured.
 */
@ConfigMapping(prefix = "dspy-suite.queues")
public interface QueuesConfig {

    @WithParentName
    Map<String, Queue> queues();

    default Queue of(JobQueue queue) {
        Queue config = queues().get(queue.dbValue());
        if (config == null) {
            throw new IllegalStateException("no configuration for queue " + queue.dbValue()
                    + " (dspy-suite.queues." + queue.dbValue() + ".*)");
        }
        return config;
    }

    interface Queue {

        /** Jobs of this queue one replica runs at the same time. */
        int concurrency();

        /**
         * How long a claimed job stays owned by its replica. Leases are not renewed yet, so this must cover a whole
         * attempt including call-level retries; a lapsed lease will let another replica rescue the job.
         */
        @WithDefault("15m")
        Duration lease();

        /**
         * Attempts a job of this queue gets. The walking skeleton retries only inside one attempt (call-level
         * retries), so 1 matches its behaviour; job-level retries with backoff come with the durable engine.
         */
        @WithDefault("1")
        int maxAttempts();

        /** Priority of this queue's jobs, 0 (first) to 9. */
        @WithDefault("0")
        int priority();
    }
}
