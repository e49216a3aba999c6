package io.dspysuite.gateway.task.model;

import java.util.Locale;

/** The kinds of task events; {@link #wire()} is the {@code event} field of WebSocket frames and the stored type. */
public enum EventType {
    STATUS,
    PROGRESS,
    CHUNK,
    RESULT,
    ERROR,
    /** A payload this gateway version does not know; kept so sequence numbers stay gap-free. */
    UNKNOWN;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
