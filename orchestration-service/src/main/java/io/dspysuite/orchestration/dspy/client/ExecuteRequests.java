package io.dspysuite.orchestration.dspy.client;

import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.dspysuite.protos.events.v1.TaskRequested;

/** Builds the call to the DSPy service from a stored task request: everything the stateless worker needs travels. */
public final class ExecuteRequests {

    private ExecuteRequests() {
    }

    public static ExecuteRequest forAttempt(TaskRequested request, int attempt) {
        return forAttempt(request, attempt, request.getProgram());
    }

    /**
     * @param program the program to run as resolved from the program registry (a stored version's source and its DSPy
     *        JSON state), or the request's own program
     */
    public static ExecuteRequest forAttempt(TaskRequested request, int attempt, ProgramSpec program) {
        ExecuteRequest.Builder call = ExecuteRequest.newBuilder()
                .setTaskId(request.getTaskId())
                .setKind(request.getKind())
                .setProgram(program)
                .setInputs(request.getInputs())
                .setOptions(request.getOptions())
                .setAttempt(attempt);
        if (request.hasEvaluate()) {
            call.setEvaluate(request.getEvaluate());
        }
        if (request.hasOptimize()) {
            call.setOptimize(request.getOptimize());
        }
        return call.build();
    }
}
