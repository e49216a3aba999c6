package io.dspysuite.orchestration.dspy.client;

import java.util.Objects;
import java.util.function.Consumer;

import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.opentelemetry.context.Context;

/**
 * The caller's side of one running DSPy call: where its intermediate updates go, who answers its tool calls (when the
 * request declares caller tools), the trace context it runs in, and a way to cancel it (which cancels the gRPC call,
 * and so the work in the DSPy service).
 */
public final class DspyCallHandle {

    private final Consumer<ExecuteUpdate> updates;
    private final ToolCallHandler tools;
    private final Context traceContext;
    private Runnable canceller;
    private boolean cancelled;

    public DspyCallHandle(Consumer<ExecuteUpdate> updates, Context traceContext) {
        this(updates, ToolCallHandler.NONE, traceContext);
    }

    public DspyCallHandle(Consumer<ExecuteUpdate> updates, ToolCallHandler tools, Context traceContext) {
        this.updates = Objects.requireNonNull(updates, "updates");
        this.tools = Objects.requireNonNull(tools, "tools");
        this.traceContext = Objects.requireNonNull(traceContext, "traceContext");
    }

    /** Cancels the call now, or as soon as it starts. Idempotent. */
    public void cancel() {
        Runnable action;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            action = canceller;
        }
        if (action != null) {
            action.run();
        }
    }

    public synchronized boolean cancelled() {
        return cancelled;
    }

    void onCancel(Runnable action) {
        boolean now;
        synchronized (this) {
            canceller = action;
            now = cancelled;
        }
        if (now) {
            action.run();
        }
    }

    void update(ExecuteUpdate update) {
        updates.accept(update);
    }

    ToolCallHandler tools() {
        return tools;
    }

    Context traceContext() {
        return traceContext;
    }
}
