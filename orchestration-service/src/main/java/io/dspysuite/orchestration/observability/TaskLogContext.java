package io.dspysuite.orchestration.observability;

import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.jboss.logging.MDC;

import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Names the task a log line is about: {@code task_id} and {@code tenant_id} in the MDC, which the JSON console log
 * writes with every line (under {@code mdc}, next to the OpenTelemetry {@code traceId}/{@code spanId}).
 * <p>
 * Quarkus keeps the MDC on the current Vert.x duplicated context, so the values follow the reactive continuation
 * across callbacks (database, timers) and end with it. Work about one task therefore runs on a duplicated context of
 * its own ({@link #run}); on any other thread the MDC is a thread-local that would leak into whatever that thread runs
 * next, so {@link #put} sets nothing there. Only ids go here: never inputs, prompts or tokens.
 */
public final class TaskLogContext {

    public static final String TASK_ID = "task_id";
    /** The same field name as the Python service's log lines. */
    public static final String TENANT = "tenant_id";

    private TaskLogContext() {
    }

    /**
     * Subscribes to {@code work} on a new duplicated context (of the current event loop, or any one) tagged with the
     * task; callbacks of what it starts there (database, timers) come back to that context.
     */
    public static <T> Uni<T> run(Vertx vertx, String taskId, String tenant, Supplier<Uni<T>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        return Uni.createFrom().deferred(() -> {
            put(taskId, tenant);
            return work.get();
        }).runSubscriptionOn(on(context));
    }

    /**
     * Subscribes to {@code work} on a new untagged duplicated context: for work about many tasks (the outbox relay, a
     * claim) that a task's own work merely triggered, so its lines do not carry that task's tags.
     */
    public static <T> Uni<T> runUntagged(Vertx vertx, Supplier<Uni<T>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        return Uni.createFrom().deferred(work::get).runSubscriptionOn(on(context));
    }

    /** Writes one line (or a few) about a task from work shared by many tasks: tagged just for that call. */
    public static void logAbout(String taskId, String tenant, Runnable log) {
        if (!put(taskId, tenant)) {
            log.run();
            return;
        }
        try {
            log.run();
        } finally {
            clear();
        }
    }

    /** Runs callbacks on {@code context} (e.g. to come back from a gRPC thread). */
    public static Executor on(Context context) {
        return command -> context.runOnContext(ignored -> command.run());
    }

    /** Tags the current duplicated context's log lines with the task; false (nothing set) anywhere else. */
    public static boolean put(String taskId, String tenant) {
        if (taskId == null || !onDuplicatedContext()) {
            return false;
        }
        MDC.put(TASK_ID, taskId);
        if (tenant != null && !tenant.isBlank()) {
            MDC.put(TENANT, tenant);
        } else {
            MDC.remove(TENANT);
        }
        return true;
    }

    /** Removes the task from the current duplicated context (before it goes on with work that is not this task's). */
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
