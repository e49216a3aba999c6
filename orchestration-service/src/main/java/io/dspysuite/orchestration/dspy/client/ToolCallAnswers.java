package io.dspysuite.orchestration.dspy.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;

import org.jboss.logging.Logger;

import io.dspysuite.protos.dspy.v1.ExecuteClientMessage;
import io.dspysuite.protos.dspy.v1.ToolCall;
import io.dspysuite.protos.dspy.v1.ToolError;
import io.dspysuite.protos.dspy.v1.ToolResult;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * Answers the tool calls of one {@code ExecuteInteractive} call: each call runs as soon as it arrives (calls of one
 * task may overlap, e.g. in an evaluation, and may be answered in any order) and its {@link ToolResult} goes back on
 * the client's stream with the call's id. When the call ends, the tools still running are cancelled and their
 * answers dropped.
 */
final class ToolCallAnswers {

    private static final Logger LOG = Logger.getLogger(ToolCallAnswers.class);

    private final String taskId;
    private final ToolCallHandler handler;
    /** The client's side of the stream; serialized, since tools finish on any thread. */
    private final Flow.Subscriber<ExecuteClientMessage> toService;
    private final Map<String, Cancellable> running = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    ToolCallAnswers(String taskId, ToolCallHandler handler, Flow.Subscriber<ExecuteClientMessage> toService) {
        this.taskId = taskId;
        this.handler = handler;
        this.toService = toService;
    }

    void answer(ToolCall call) {
        String callId = call.getCallId();
        Cancellable run = Uni.createFrom().deferred(() -> handler.handle(call))
                // The handler's contract is to answer every call; should it fail anyway, the program still gets an
                // answer rather than waiting for its own timeout.
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf(failure, "task %s: the tool handler failed on a call of %s", taskId, call.getTool());
                    return ToolResult.newBuilder().setError(ToolError.newBuilder().setCode("INTERNAL")
                            .setMessage("the tool " + call.getTool() + " failed")).build();
                })
                .subscribe().with(result -> {
                    running.remove(callId);
                    if (!stopped) {
                        toService.onNext(ExecuteClientMessage.newBuilder()
                                .setToolResult(result.toBuilder().setCallId(callId)).build());
                    }
                });
        if (!stopped) {
            running.put(callId, run);
        } else {
            run.cancel();
        }
    }

    /** The call ended: cancels the tools still running. */
    void stop() {
        stopped = true;
        running.values().forEach(Cancellable::cancel);
        running.clear();
    }
}
