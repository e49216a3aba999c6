package io.dspysuite.gateway.task.rest;

import java.util.List;
import java.util.OptionalInt;

/** The {@code wait} preference of RFC 7240 {@code Prefer} headers; anything not understood is ignored, as the RFC asks. */
final class PreferWait {

    static final int MAX_SECONDS = 60;

    private PreferWait() {
    }

    /** Seconds to wait (capped at {@value #MAX_SECONDS}), or empty when no usable {@code wait} was asked for. */
    static OptionalInt parse(List<String> headers) {
        for (String header : headers) {
            for (String preference : header.split(",")) {
                String token = preference.split(";", 2)[0].strip();
                int eq = token.indexOf('=');
                if (eq < 0 || !token.substring(0, eq).strip().equalsIgnoreCase("wait")) {
                    continue;
                }
                String value = token.substring(eq + 1).strip();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                if (!value.matches("[0-9]{1,9}")) {
                    continue;
                }
                return OptionalInt.of(Math.min(Integer.parseInt(value), MAX_SECONDS));
            }
        }
        return OptionalInt.empty();
    }
}
