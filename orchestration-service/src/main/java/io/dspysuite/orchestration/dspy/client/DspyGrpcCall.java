package io.dspysuite.orchestration.dspy.client;

import static java.time.temporal.ChronoUnit.SECONDS;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.jboss.logging.Logger;

import io.dspysuite.protos.dspy.v1.DspyServiceGrpc;
import io.dspysuite.protos.dspy.v1.DspyServiceGrpc.DspyServiceStub;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.opentelemetry.context.Scope;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.Startup;
import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.faulttolerance.api.CircuitBreakerName;
import io.smallrye.mutiny.Uni;

/**
 * One guarded {@code Execute} call to the DSPy service: a circuit breaker that counts transient failures only (a
 * caller's mistake says nothing about the service's health; deadlines count, since they are transient), around a
 * gRPC call with a per-kind deadline.
 * <p>
 * No call-level retry and no fault-tolerance timeout any more: a failed attempt becomes a job-level retry (durable,
 * with exponential backoff and jitter, recorded in the job's attempt history, and freeing the queue slot meanwhile),
 * and the gRPC deadline is the timeout, which also cancels the work in the DSPy service. Retrying inside an attempt
 * would hold the slot and the lease, hide attempts from the history and hammer a struggling service.
 * <p>
 * The async stub (on the injected channel) is used rather than the Mutiny one because Quarkus' Mutiny server-streaming stub does not cancel the
 * gRPC call when its subscription is cancelled; here {@link DspyCallHandle#cancel()} cancels the call itself.
 * Settings: {@code quarkus.fault-tolerance."io.dspysuite.orchestration.dspy.client.DspyGrpcCall/execute".circuit-breaker.*}.
 */
@ApplicationScoped
@Startup // builds the gRPC channel at boot rather than on an event loop during the first task
public class DspyGrpcCall {

    /** Name of the circuit breaker (health, metrics and the dispatcher watch it). */
    public static final String CIRCUIT = "dspy";

    private static final Logger LOG = Logger.getLogger(DspyGrpcCall.class);

    private final DspyServiceStub stub;

    DspyGrpcCall(@GrpcClient("dspy") Channel channel) {
        // The injected channel carries the client interceptors Quarkus installs (OpenTelemetry propagation).
        this.stub = DspyServiceGrpc.newStub(channel);
    }

    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 20, failureRatio = 0.5, delay = 10, delayUnit = SECONDS,
            successThreshold = 2, failOn = TransientDspyCallException.class)
    @CircuitBreakerName(CIRCUIT)
    public Uni<TaskResult> execute(ExecuteRequest request, Duration timeout, DspyCallHandle handle) {
        return Uni.createFrom().emitter(emitter -> {
            ClientResponseObserver<ExecuteRequest, ExecuteUpdate> observer = new ClientResponseObserver<>() {
                private TaskResult result;

                @Override
                public void beforeStart(ClientCallStreamObserver<ExecuteRequest> call) {
                    handle.onCancel(() -> call.cancel("cancelled by the orchestration service", null));
                }

                @Override
                public void onNext(ExecuteUpdate update) {
                    if (update.hasResult()) {
                        // The contract: the last message of a successful stream is the result.
                        result = update.getResult();
                    } else {
                        try {
                            handle.update(update);
                        } catch (RuntimeException e) {
                            LOG.warnf(e, "task %s: handling an update failed", request.getTaskId());
                        }
                    }
                }

                @Override
                public void onError(Throwable failure) {
                    emitter.fail(handle.cancelled() ? new DspyCallCancelledException()
                            : DspyErrorMapper.fromGrpc(failure));
                }

                @Override
                public void onCompleted() {
                    if (result == null) {
                        emitter.fail(DspyCallException.of(DspyErrorCodes.INTERNAL,
                                "the DSPy service ended the stream without a result", false));
                    } else {
                        emitter.complete(result);
                    }
                }
            };
            // The task's trace context is current while the call starts, so the gRPC client propagates it.
            // Wait-for-ready: while the channel is (re)connecting, e.g. during a restart of the DSPy service, the
            // call waits for it within its deadline instead of failing at once.
            try (Scope ignored = handle.traceContext().makeCurrent()) {
                stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .withWaitForReady()
                        .execute(request, observer);
            }
        });
    }
}
