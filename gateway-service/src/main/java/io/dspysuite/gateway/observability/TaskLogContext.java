package io.dspysuite.gateway.observability;

import org.jboss.logging.MDC;

import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Names the task a log line is about: {@code task_id} and {@code tenant_id} in the MDC, which the JSON console log
 * writes with every line (under {@code mdc}, next to the OpenTelemetry {@code traceId}/{@code spanId}).
 * <p>
 * Quarkus keeps the MDC on the current Vert.x duplicated context (one per HTTP request, per Kafka record, per
 * WebSocket connection), so the values follow the reactive continuation across callbacks and end with it. On any other
 * thread the MDC is a thread-local that would leak into whatever that thread runs next, so nothing is set there.
 * Only ids go here: never keys, inputs or prompts.
 */
public final class TaskLogContext {

    public static final String TASK_ID = "task_id";
    /** The same field name as the Python service's log lines. */
    public static final String TENANT = "tenant_id";

    private TaskLogContext() {
    }

    /** Tags the current duplicated context's log lines with the task; false (nothing set) anywhere else. */
    public static boolean put(Object taskId, String tenant) {
        if (taskId == null || !onDuplicatedContext()) {
            return false;
        }
        MDC.put(TASK_ID, taskId.toString());
        if (tenant != null && !tenant.isBlank()) {
            MDC.put(TENANT, tenant);
        } else {
            MDC.remove(TENANT);
        }
        return true;
    }

    /** Removes the task from the current duplicated context (a WebSocket connection serves many tasks). */
    public static void clear() {
        if (onDuplicatedContext()) {
            MDC.remove(TASK_ID);
            MDC.remove(TENANT);
        }
    }

    private static boolean onDuplicatedContext() {
        Context context = Vertx.currentContext();
        return context != null && VertxContext.isDuplicatedContext(context);
    }
}
