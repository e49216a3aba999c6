package io.dspysuite.gateway.task.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a task does; {@link #wire()} is the JSON and database spelling. */
public enum TaskKind {
    PREDICT(io.dspysuite.protos.dspy.v1.TaskKind.TASK_KIND_PREDICT),
    EVALUATE(io.dspysuite.protos.dspy.v1.TaskKind.TASK_KIND_EVALUATE),
    OPTIMIZE(io.dspysuite.protos.dspy.v1.TaskKind.TASK_KIND_OPTIMIZE);

    private final io.dspysuite.protos.dspy.v1.TaskKind proto;

    TaskKind(io.dspysuite.protos.dspy.v1.TaskKind proto) {
        this.proto = proto;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public io.dspysuite.protos.dspy.v1.TaskKind proto() {
        return proto;
    }

    public static Optional<TaskKind> fromWire(String text) {
        return Arrays.stream(values()).filter(k -> k.wire().equals(text)).findFirst();
    }
}
