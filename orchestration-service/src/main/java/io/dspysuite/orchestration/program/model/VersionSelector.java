package io.dspysuite.orchestration.program.model;

import java.util.Locale;
import java.util.Optional;

/**
 * Which version of a named program a request asks for: a number (1 = the program as defined), {@code "latest"} (the
 * highest version) or {@code "promoted"} / empty (the promoted version; version 1 while none is promoted).
 */
public sealed interface VersionSelector {

    /** The version meant, given the program's latest stored and promoted versions (either may be {@code null}). */
    int target(Integer latest, Integer promoted);

    record Exact(int version) implements VersionSelector {
        @Override
        public int target(Integer latest, Integer promoted) {
            return version;
        }
    }

    record Latest() implements VersionSelector {
        @Override
        public int target(Integer latest, Integer promoted) {
            return latest == null ? 1 : latest;
        }
    }

    record Promoted() implements VersionSelector {
        @Override
        public int target(Integer latest, Integer promoted) {
            return promoted == null ? 1 : promoted;
        }
    }

    /** Empty when {@code text} is none of the accepted forms. */
    static Optional<VersionSelector> parse(String text) {
        String value = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (value.isEmpty() || value.equals("promoted")) {
            return Optional.of(new Promoted());
        }
        if (value.equals("latest")) {
            return Optional.of(new Latest());
        }
        if (!value.matches("[0-9]{1,9}")) {
            return Optional.empty();
        }
        int version = Integer.parseInt(value);
        return version >= 1 ? Optional.of(new Exact(version)) : Optional.empty();
    }
}
