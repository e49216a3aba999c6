package io.dspysuite.orchestration.dspy.client;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.smallrye.mutiny.Uni;

/**
 * The DSPy service as the job engine sees it: run a task, get its result, or fail with a {@link DspyCallException}
 * whose code and retryability are all the engine needs to decide what happens next.
 */
@ApplicationScoped
public class DspyClient {

    private final DspyGrpcCall call;

    DspyClient(DspyGrpcCall call) {
        this.call = call;
    }

    public Uni<TaskResult> execute(ExecuteRequest request) {
        // Mapping happens here, outside the guarded call, because the timeout and circuit breaker exceptions are
        // raised by the fault-tolerance interceptor around it.
        return call.execute(request).onFailure().transform(DspyErrorMapper::fromFailure);
    }
}
