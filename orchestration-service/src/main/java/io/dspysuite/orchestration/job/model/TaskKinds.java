package io.dspysuite.orchestration.job.model;

import io.dspysuite.protos.dspy.v1.TaskKind;

/** The stored form of a task kind (column {@code jobs.kind}). */
public final class TaskKinds {

    private TaskKinds() {
    }

    public static String dbValue(TaskKind kind) {
        return switch (kind) {
            case TASK_KIND_PREDICT -> "predict";
            case TASK_KIND_EVALUATE -> "evaluate";
            case TASK_KIND_OPTIMIZE -> "optimize";
            default -> throw new IllegalArgumentException("no stored form for task kind " + kind);
        };
    }
}
