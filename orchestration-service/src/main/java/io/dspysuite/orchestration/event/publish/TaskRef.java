package io.dspysuite.orchestration.event.publish;

import java.util.Objects;

/**
 * What every event of one task repeats: who it belongs to and which trace it is part of.
 *
 * @param traceId W3C trace id (32 hex chars), empty when the request carried no trace context
 */
public record TaskRef(String taskId, String tenantId, String traceId) {

    public TaskRef {
        Objects.requireNonNull(taskId, "taskId");
        tenantId = tenantId == null ? "" : tenantId;
        traceId = traceId == null ? "" : traceId;
    }

    /** A task ref whose trace id is taken from a W3C {@code traceparent} (which may be null or malformed). */
    public static TaskRef of(String taskId, String tenantId, String traceParent) {
        return new TaskRef(taskId, tenantId, TraceParents.traceId(traceParent));
    }
}
