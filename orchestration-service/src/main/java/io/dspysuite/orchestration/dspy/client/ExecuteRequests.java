package io.dspysuite.orchestration.dspy.client;

import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.events.v1.TaskRequested;

/** Builds the call to the DSPy service from a stored task request: everything the stateless worker needs travels. */
public final class ExecuteRequests {

    private ExecuteRequests() {
    }

    public static ExecuteRequest forAttempt(TaskRequested request, int attempt) {
        return ExecuteRequest.newBuilder()
                .setTaskId(request.getTaskId())
                .setKind(request.getKind())
                .setProgram(request.getProgram())
                .setInputs(request.getInputs())
                .setOptions(request.getOptions())
                .setAttempt(attempt)
                .build();
    }
}
