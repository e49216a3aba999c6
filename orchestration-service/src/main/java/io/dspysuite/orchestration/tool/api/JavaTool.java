package io.dspysuite.orchestration.tool.api;

import java.time.Duration;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;

/**
 * A tool that lives in the orchestration service and that ReAct programs running in the DSPy service may call (over
 * {@code ExecuteInteractive}). Implementations are CDI beans; the registry finds them.
 * <p>
 * Rules for implementations: validate the arguments and fail with {@link ToolException} (its message is what the LM
 * sees, so make it say how to call the tool right, and keep it free of secrets); never block the calling thread, which
 * may be a gRPC or event-loop thread (pure, fast computations are fine; anything slower runs on a worker pool or is
 * non-blocking I/O); answer within {@link #timeout()} (a call that does not is answered as a {@code TIMEOUT} error).
 */
public interface JavaTool {

    /** The name programs use in {@code module_options.tools}: a Python identifier, at most 64 characters. */
    String name();

    /** What the tool does and how to call it; shown to the LM. */
    String description();

    /** JSON Schema of the arguments object ({@code {"type":"object","properties":{...},"required":[...]}}). */
    JsonObject argsSchema();

    /** How long one call may take before it is answered as a timeout (overridable by configuration). */
    Duration timeout();

    /**
     * Runs the tool on the arguments the LM chose. The item is the observation the LM sees; a failure with a
     * {@link ToolException} becomes an error answer with its code and message.
     */
    Uni<String> call(JsonObject args);
}
