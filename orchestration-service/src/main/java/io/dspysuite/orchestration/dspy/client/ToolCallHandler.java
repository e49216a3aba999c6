package io.dspysuite.orchestration.dspy.client;

import io.dspysuite.protos.dspy.v1.ToolCall;
import io.dspysuite.protos.dspy.v1.ToolError;
import io.dspysuite.protos.dspy.v1.ToolResult;
import io.smallrye.mutiny.Uni;

/**
 * Answers the tool calls of one {@code ExecuteInteractive} call: the running program asked this side to run one of
 * the tools declared in {@code ExecuteRequest.caller_tools}. The answer is a {@link ToolResult} with the call's
 * {@code call_id}, an output or an error; a handler never fails its {@code Uni} (a tool failure is an error result,
 * which ReAct sees as an observation).
 */
@FunctionalInterface
public interface ToolCallHandler {

    /** For calls that declare no tools: every tool call is answered as unknown. */
    ToolCallHandler NONE = call -> Uni.createFrom().item(ToolResult.newBuilder()
            .setCallId(call.getCallId())
            .setError(ToolError.newBuilder().setCode("NOT_FOUND")
                    .setMessage("no tool named '" + call.getTool() + "' on the caller's side"))
            .build());

    Uni<ToolResult> handle(ToolCall call);
}
