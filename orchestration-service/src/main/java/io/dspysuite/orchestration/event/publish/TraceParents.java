package io.dspysuite.orchestration.event.publish;

import java.util.regex.Pattern;

/** Reads W3C trace context headers ({@code traceparent: 00-<trace-id>-<parent-id>-<flags>}). */
public final class TraceParents {

    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}.*");
    private static final String INVALID_TRACE_ID = "0".repeat(32);

    private TraceParents() {
    }

    /** The trace id of a traceparent, or the empty string when there is none or it is not valid. */
    public static String traceId(String traceParent) {
        if (traceParent == null) {
            return "";
        }
        var matcher = TRACEPARENT.matcher(traceParent.trim());
        if (!matcher.matches() || INVALID_TRACE_ID.equals(matcher.group(1))) {
            return "";
        }
        return matcher.group(1);
    }
}
