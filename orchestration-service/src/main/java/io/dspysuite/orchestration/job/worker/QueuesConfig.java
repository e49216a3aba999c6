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
         * How long a claimed job stays owned by its replica after each heartbeat. The replica renews it every
         * {@code dspy-suite.jobs.heartbeat-interval}; when the replica dies, the job is rescued this long after its
         * last heartbeat. Must be well above the heartbeat interval.
         */
        @WithDefault("30s")
        Duration lease();

        /** Priority of this queue's jobs, 0 (first) to 9. */
        @WithDefault("0")
        int priority();
    }
}
