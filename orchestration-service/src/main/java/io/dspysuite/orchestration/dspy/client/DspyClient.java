package io.dspysuite.orchestration.dspy.client;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.smallrye.mutiny.Uni;

/**
 * The DSPy service as the job engine sees it: run a task, get its result, or fail with a {@link DspyCallException}
 * whose code and retryability are all the engine needs to decide what happens next (or with
 * {@link DspyCallCancelledException} when the caller cancelled it).
 */
@ApplicationScoped
public class DspyClient {

    private final DspyGrpcCall call;

    DspyClient(DspyGrpcCall call) {
        this.call = call;
    }

    public Uni<TaskResult> execute(ExecuteRequest request, Duration timeout, DspyCallHandle handle) {
        // Mapping happens here, outside the guarded call, because the circuit breaker's exception is raised by the
        // fault-tolerance interceptor around it.
        return call.execute(request, timeout, handle)
                .onFailure(failure -> !(failure instanceof DspyCallCancelledException))
                .transform(DspyErrorMapper::fromFailure);
    }
}
