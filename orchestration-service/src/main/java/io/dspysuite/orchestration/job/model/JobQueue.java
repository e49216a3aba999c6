package io.dspysuite.orchestration.job.model;

import java.util.Locale;
import java.util.Optional;

import io.dspysuite.protos.dspy.v1.TaskKind;

/**
 * The queues jobs wait in. Each has its own concurrency limit per replica, so a long optimization never takes the
 * slot of a quick prediction.
 */
public enum JobQueue {
    INTERACTIVE,
    BATCH,
    OPTIMIZE;

    /** The queue a task kind runs in; empty for a kind this service does not know. */
    public static Optional<JobQueue> forKind(TaskKind kind) {
        return switch (kind) {
            case TASK_KIND_PREDICT -> Optional.of(INTERACTIVE);
            case TASK_KIND_EVALUATE -> Optional.of(BATCH);
            case TASK_KIND_OPTIMIZE -> Optional.of(OPTIMIZE);
            default -> Optional.empty();
        };
    }

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
