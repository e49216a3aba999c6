package io.dspysuite.gateway.task.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Where a task is; {@link #wire()} is the JSON and database spelling. */
public enum TaskStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A final state: no further events follow. */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static Optional<TaskStatus> fromWire(String text) {
        return Arrays.stream(values()).filter(s -> s.wire().equals(text)).findFirst();
    }

    public static Optional<TaskStatus> fromProto(io.dspysuite.protos.events.v1.TaskStatus status) {
        return switch (status) {
            case TASK_STATUS_QUEUED -> Optional.of(QUEUED);
            case TASK_STATUS_RUNNING -> Optional.of(RUNNING);
            case TASK_STATUS_SUCCEEDED -> Optional.of(SUCCEEDED);
            case TASK_STATUS_FAILED -> Optional.of(FAILED);
            case TASK_STATUS_CANCELLED -> Optional.of(CANCELLED);
            case TASK_STATUS_UNSPECIFIED, UNRECOGNIZED -> Optional.empty();
        };
    }
}
