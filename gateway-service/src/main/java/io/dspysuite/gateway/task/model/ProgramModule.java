package io.dspysuite.gateway.task.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** DSPy modules an ad-hoc program may use (the Python service's catalog will widen this list). */
public enum ProgramModule {
    PREDICT,
    CHAIN_OF_THOUGHT;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ProgramModule> fromWire(String text) {
        return Arrays.stream(values()).filter(m -> m.wire().equals(text)).findFirst();
    }
}
