package io.dspysuite.gateway.task.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** DSPy modules an ad-hoc program may use (the Python service's catalog lists them with their options). */
public enum ProgramModule {
    PREDICT,
    CHAIN_OF_THOUGHT,
    REACT,
    BEST_OF_N,
    REFINE,
    MULTI_CHAIN_COMPARISON;

    /** The wire names, comma-separated, for messages. */
    public static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(ProgramModule::wire).toList());
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ProgramModule> fromWire(String text) {
        return Arrays.stream(values()).filter(m -> m.wire().equals(text)).findFirst();
    }
}
