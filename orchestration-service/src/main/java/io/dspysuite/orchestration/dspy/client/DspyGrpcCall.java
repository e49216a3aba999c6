package io.dspysuite.orchestration.dspy.client;

import static java.time.temporal.ChronoUnit.MILLIS;
import static java.time.temporal.ChronoUnit.SECONDS;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.jboss.logging.Logger;

import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.MutinyDspyServiceGrpc.MutinyDspyServiceStub;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.Startup;
import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.mutiny.Uni;

/**
 * One guarded {@code Execute} call to the DSPy service. Fault tolerance, outermost first: retry (transient failures
 * only, so a bad signature is never sent twice), circuit breaker (counts transient failures and timeouts only: a
 * caller's mistake says nothing about the service's health), timeout per attempt.
 * <p>
 * Settings are overridable per deployment under
 * {@code quarkus.fault-tolerance."io.dspysuite.orchestration.dspy.client.DspyGrpcCall/execute".<strategy>.<key>};
 * the timeout follows {@code dspy-suite.dspy.timeout-seconds} (see application.properties).
 * <p>
 * Failures leave this bean as {@link DspyCallException}s (gRPC statuses mapped) or as the fault-tolerance exceptions
 * ({@link TimeoutException}, circuit breaker open), which {@link DspyClient} maps in turn.
 */
@ApplicationScoped
@Startup // builds the gRPC channel at boot rather than on an event loop during the first task
public class DspyGrpcCall {

    private static final Logger LOG = Logger.getLogger(DspyGrpcCall.class);
    /**
     * The per-attempt gRPC deadline trails the fault-tolerance timeout by this much. SmallRye Fault Tolerance does not
     * cancel a timed-out asynchronous invocation (it only stops waiting for it), so without a deadline the DSPy
     * service would keep computing an answer nobody reads; the deadline cancels the call there. Trailing, so that the
     * timeout (which is not retried) always fires first, never a retryable DEADLINE_EXCEEDED status.
     */
    private static final long DEADLINE_MARGIN_SECONDS = 1;

    private final MutinyDspyServiceStub stub;
    private final long deadlineSeconds;

    DspyGrpcCall(@GrpcClient("dspy") MutinyDspyServiceStub stub,
            @ConfigProperty(name = "dspy-suite.dspy.timeout-seconds", defaultValue = "120") long timeoutSeconds) {
        this.stub = stub;
        this.deadlineSeconds = timeoutSeconds + DEADLINE_MARGIN_SECONDS;
    }

    @AsynchronousNonBlocking
    @Timeout(value = 120, unit = SECONDS)
    @Retry(maxRetries = 2, delay = 200, delayUnit = MILLIS, jitter = 100, jitterDelayUnit = MILLIS,
            retryOn = TransientDspyCallException.class)
    @CircuitBreaker(requestVolumeThreshold = 20, failureRatio = 0.5, delay = 10, delayUnit = SECONDS,
            successThreshold = 2, failOn = { TransientDspyCallException.class, TimeoutException.class })
    public Uni<TaskResult> execute(ExecuteRequest request) {
        // A fresh stub per attempt: the deadline counts from this attempt's start. Wait-for-ready: while the channel
        // is (re)connecting, e.g. during a restart of the DSPy service, the call waits for it within its timeout
        // instead of failing at once with UNAVAILABLE, which call-level retries a few hundred ms apart cannot bridge.
        return stub.withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
                .withWaitForReady()
                .execute(request)
                .invoke(update -> logUpdate(request, update))
                .filter(ExecuteUpdate::hasResult)
                .map(ExecuteUpdate::getResult)
                // The contract: the last message of a successful stream is the result.
                .collect().last()
                .onItem().ifNull().failWith(() -> DspyCallException.of(DspyErrorCodes.INTERNAL,
                        "the DSPy service ended the stream without a result", false))
                .onFailure(failure -> !(failure instanceof DspyCallException))
                .transform(DspyErrorMapper::fromGrpc);
    }

    private static void logUpdate(ExecuteRequest request, ExecuteUpdate update) {
        // Status/progress/chunk updates become progress events later; for now they are only traced (never contents).
        if (!update.hasResult() && LOG.isDebugEnabled()) {
            LOG.debugf("task %s: DSPy update %s", request.getTaskId(), update.getUpdateCase());
        }
    }
}
