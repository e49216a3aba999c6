package io.dspysuite.orchestration.tool.service;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;

import io.dspysuite.orchestration.dspy.client.ToolCallHandler;
import io.dspysuite.orchestration.tool.api.ToolException;
import io.dspysuite.orchestration.tool.registry.JavaToolRegistry;
import io.dspysuite.orchestration.tool.registry.JavaToolRegistry.RegisteredTool;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ToolCall;
import io.dspysuite.protos.dspy.v1.ToolError;
import io.dspysuite.protos.dspy.v1.ToolResult;
import io.dspysuite.protos.dspy.v1.ToolSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;

/**
 * Runs Java tools for the DSPy service: declares the tools a program names as {@code caller_tools} of its request,
 * and answers each {@link ToolCall} with a {@link ToolResult} carrying its {@code call_id}. Every call is bounded by
 * the tool's timeout; timeouts, invalid arguments, unknown tool names and tool failures are answered as errors (ReAct
 * shows them to the LM as the observation), never as a failure of the task. Each call is logged (tool, outcome,
 * duration; never its arguments or output), timed ({@code dspy_tool_calls_seconds{tool,outcome}}) and reported to the
 * caller's listener.
 */
@ApplicationScoped
public class JavaToolRunner {

    private static final Logger LOG = Logger.getLogger(JavaToolRunner.class);

    /**
     * Added to a tool's timeout in the declared {@code ToolSpec.timeout_ms}: the DSPy service then still waits while
     * this side's own TIMEOUT answer travels, so the LM sees why rather than a bare wait.
     */
    static final Duration ANSWER_GRACE = Duration.ofSeconds(1);
    /** The DSPy service shows at most this much of an output to the LM. */
    static final int MAX_OUTPUT_CHARS = 64 * 1024;

    public static final String NOT_FOUND = "NOT_FOUND";
    public static final String TIMEOUT = "TIMEOUT";
    public static final String TOOL_FAILED = "TOOL_FAILED";

    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private final JavaToolRegistry registry;
    private final MeterRegistry meters;

    JavaToolRunner(JavaToolRegistry registry, MeterRegistry meters) {
        this.registry = registry;
        this.meters = meters;
    }

    /** The request with the Java tools its program names declared as caller tools; unchanged when it names none. */
    public ExecuteRequest withCallerTools(ExecuteRequest request) {
        List<RegisteredTool> used = registry.usedBy(request.getProgram());
        if (used.isEmpty()) {
            return request;
        }
        return request.toBuilder().addAllCallerTools(used.stream().map(JavaToolRunner::spec).toList()).build();
    }

    /** The declaration of a tool for the DSPy service. */
    public static ToolSpec spec(RegisteredTool tool) {
        return ToolSpec.newBuilder()
                .setName(tool.name())
                .setDescription(tool.tool().description())
                .setArgsSchema(struct(tool.tool().argsSchema()))
                .setTimeoutMs((int) tool.timeout().plus(ANSWER_GRACE).toMillis())
                .build();
    }

    /** Answers the tool calls of one task; {@code listener} hears of each answered call. */
    public ToolCallHandler handlerFor(String taskId, Consumer<ToolCallRecord> listener) {
        return call -> run(taskId, call).invoke(record -> {
            try {
                listener.accept(record.record());
            } catch (RuntimeException e) {
                LOG.warnf(e, "task %s: recording a tool call failed", taskId);
            }
        }).map(Answered::result);
    }

    private record Answered(ToolResult result, ToolCallRecord record) {
    }

    private Uni<Answered> run(String taskId, ToolCall call) {
        long start = System.nanoTime();
        RegisteredTool tool = registry.find(call.getTool()).orElse(null);
        Uni<String> output;
        if (tool == null) {
            output = Uni.createFrom().failure(new ToolException(NOT_FOUND,
                    "there is no Java tool named '" + call.getTool() + "'"));
        } else {
            Duration timeout = tool.timeout();
            output = Uni.createFrom().deferred(() -> tool.tool().call(json(call.getArguments())))
                    .ifNoItem().after(timeout).failWith(() -> new ToolException(TIMEOUT,
                            "the tool " + tool.name() + " did not answer within " + timeout.toMillis() + " ms"));
        }
        return output.onItemOrFailure().transform((text, failure) -> {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            ToolResult.Builder result = ToolResult.newBuilder().setCallId(call.getCallId());
            String code = null;
            if (failure == null) {
                result.setOutput(text == null ? ""
                        : text.length() > MAX_OUTPUT_CHARS ? text.substring(0, MAX_OUTPUT_CHARS) : text);
            } else {
                ToolError error = error(taskId, call, failure);
                code = error.getCode();
                result.setError(error);
            }
            // Metrics and records name unknown tools "unknown": the name comes from the LM, unbounded.
            String toolName = tool == null ? "unknown" : tool.name();
            record(taskId, call, toolName, took, code);
            return new Answered(result.build(), new ToolCallRecord(call.getCallId(), toolName, took, code));
        });
    }

    private static ToolError error(String taskId, ToolCall call, Throwable failure) {
        if (failure instanceof ToolException known) {
            return ToolError.newBuilder().setCode(known.code()).setMessage(known.getMessage()).build();
        }
        // A bug in the tool: its message may hold anything, so the LM gets a generic one and the log the details.
        LOG.warnf(failure, "task %s: tool %s failed on call %s", taskId, call.getTool(), call.getCallId());
        return ToolError.newBuilder().setCode(TOOL_FAILED)
                .setMessage("the tool " + call.getTool() + " failed unexpectedly").build();
    }

    private void record(String taskId, ToolCall call, String tool, Duration took, String code) {
        LOG.infof("task %s: tool %s call %s %s in %d ms", taskId,
                tool.equals("unknown") ? "'" + abbreviate(call.getTool()) + "' (unknown)" : tool, abbreviate(call.getCallId()),
                code == null ? "answered" : "failed with " + code, took.toMillis());
        Timer.builder("dspy.tool.calls")
                .description("Java tool calls answered for the DSPy service")
                .tag("tool", tool)
                .tag("outcome", code == null ? "ok" : code)
                .register(meters)
                .record(took);
    }

    private static String abbreviate(String text) {
        return text.length() > 64 ? text.substring(0, 64) + "..." : text;
    }

    private static JsonObject json(Struct arguments) {
        try {
            return new JsonObject(JSON.print(arguments));
        } catch (InvalidProtocolBufferException e) {
            throw ToolException.invalidArguments("the arguments are not a JSON object");
        }
    }

    static Struct struct(JsonObject json) {
        Struct.Builder struct = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(json.encode(), struct);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a tool's args schema is not a JSON object", e);
        }
        return struct.build();
    }
}
