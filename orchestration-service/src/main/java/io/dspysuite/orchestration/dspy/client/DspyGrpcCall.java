package io.dspysuite.orchestration.dspy.client;

import static java.time.temporal.ChronoUnit.SECONDS;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.CircuitBreaker;

import io.dspysuite.protos.dspy.v1.DspyServiceGrpc;
import io.dspysuite.protos.dspy.v1.DspyServiceGrpc.DspyServiceStub;
import io.dspysuite.protos.dspy.v1.ExecuteClientMessage;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.MutinyDspyServiceGrpc;
import io.dspysuite.protos.dspy.v1.MutinyDspyServiceGrpc.MutinyDspyServiceStub;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.opentelemetry.context.Scope;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.Startup;
import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.faulttolerance.api.CircuitBreakerName;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import io.smallrye.mutiny.subscription.UniEmitter;

/**
 * One guarded call to the DSPy service: a circuit breaker that counts transient failures only (a caller's mistake says
 * nothing about the service's health; deadlines count, since they are transient), around a gRPC call with a per-kind
 * deadline. A request that declares caller tools ({@code ExecuteRequest.caller_tools}, the Java tools its program
 * names) goes through {@code ExecuteInteractive}, every other one through {@code Execute}; both share the breaker
 * (one guarded method) and the handling of updates, results and errors ({@link UpdateStream}).
 * <p>
 * No call-level retry and no fault-tolerance timeout any more: a failed attempt becomes a job-level retry (durable,
 * with exponential backoff and jitter, recorded in the job's attempt history, and freeing the queue slot meanwhile),
 * and the gRPC deadline is the timeout, which also cancels the work in the DSPy service. Retrying inside an attempt
 * would hold the slot and the lease, hide attempts from the history and hammer a struggling service.
 * <p>
 * {@code Execute} uses the async stub because Quarkus' Mutiny server-streaming stub does not cancel the gRPC call when
 * its subscription is cancelled; here {@link DspyCallHandle#cancel()} cancels the call itself. {@code
 * ExecuteInteractive} uses the Mutiny stub, fed by a processor: there, failing the client's stream is what cancels the
 * call (grpc-java cancels a call whose request observer gets {@code onError}).
 * Settings: {@code quarkus.fault-tolerance."io.dspysuite.orchestration.dspy.client.DspyGrpcCall/execute".circuit-breaker.*}.
 */
@ApplicationScoped
@Startup // builds the gRPC channel at boot rather than on an event loop during the first task
public class DspyGrpcCall {

    /** Name of the circuit breaker (health, metrics and the dispatcher watch it). */
    public static final String CIRCUIT = "dspy";

    private final DspyServiceStub stub;
    private final MutinyDspyServiceStub mutinyStub;

    DspyGrpcCall(@GrpcClient("dspy") Channel channel) {
        // The injected channel carries the client interceptors Quarkus installs (OpenTelemetry propagation).
        this.stub = DspyServiceGrpc.newStub(channel);
        this.mutinyStub = MutinyDspyServiceGrpc.newMutinyStub(channel);
    }

    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 20, failureRatio = 0.5, delay = 10, delayUnit = SECONDS,
            successThreshold = 2, failOn = TransientDspyCallException.class)
    @CircuitBreakerName(CIRCUIT)
    public Uni<TaskResult> execute(ExecuteRequest request, Duration timeout, DspyCallHandle handle) {
        return request.getCallerToolsCount() == 0
                ? streamed(request, timeout, handle)
                : interactive(request, timeout, handle);
    }

    private Uni<TaskResult> streamed(ExecuteRequest request, Duration timeout, DspyCallHandle handle) {
        return Uni.createFrom().emitter(emitter -> {
            UpdateStream stream = new UpdateStream(request.getTaskId(), handle);
            ClientResponseObserver<ExecuteRequest, ExecuteUpdate> observer = new ClientResponseObserver<>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<ExecuteRequest> call) {
                    handle.onCancel(() -> call.cancel("cancelled by the orchestration service", null));
                }

                @Override
                public void onNext(ExecuteUpdate update) {
                    stream.onNext(update);
                }

                @Override
                public void onError(Throwable failure) {
                    emitter.fail(stream.onError(failure));
                }

                @Override
                public void onCompleted() {
                    complete(emitter, stream.onCompleted());
                }
            };
            // The task's trace context is current while the call starts, so the gRPC client propagates it.
            // No wait-for-ready: a channel that knows no replica is reachable (TRANSIENT_FAILURE) fails the call at once
            // with UNAVAILABLE, so the breaker sees the outage and jobs are postponed durably. (Stork's picker, used
            // for a static replica list, may still hold a call until its deadline while no replica is up: a deadline
            // with nothing received is mapped as the service being unavailable too, see DspyErrorMapper.)
            try (Scope ignored = handle.traceContext().makeCurrent()) {
                stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(request, observer);
            }
        });
    }

    /**
     * {@code ExecuteInteractive}: the start message, then one {@code ToolResult} per {@code ToolCall} (answered by the
     * handle's {@link ToolCallHandler}, in any order); the client's side is half-closed once the result arrived.
     */
    private Uni<TaskResult> interactive(ExecuteRequest request, Duration timeout, DspyCallHandle handle) {
        return Uni.createFrom().emitter(emitter -> {
            UpdateStream stream = new UpdateStream(request.getTaskId(), handle);
            // The client's stream: buffered until the call subscribes, serialized since tools finish on any thread.
            UnicastProcessor<ExecuteClientMessage> outbound = UnicastProcessor.create();
            var toService = outbound.serialized();
            ToolCallAnswers answers = new ToolCallAnswers(request.getTaskId(), handle.tools(), toService);
            toService.onNext(ExecuteClientMessage.newBuilder().setStart(request).build());
            handle.onCancel(() -> toService.onError(new CancellationException("cancelled by the orchestration service")));
            Multi<ExecuteUpdate> updates = mutinyStub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .executeInteractive(outbound);
            // The call starts on subscription: the task's trace context is current then (see streamed()).
            try (Scope ignored = handle.traceContext().makeCurrent()) {
                updates.subscribe().with(
                        update -> {
                            if (update.hasToolCall()) {
                                stream.heard();
                                answers.answer(update.getToolCall());
                            } else if (stream.onNext(update)) {
                                toService.onComplete(); // the result is the last message: half-close
                            }
                        },
                        failure -> {
                            answers.stop();
                            emitter.fail(stream.onError(failure));
                        },
                        () -> {
                            answers.stop();
                            toService.onComplete();
                            complete(emitter, stream.onCompleted());
                        });
            }
        });
    }

    private static void complete(UniEmitter<? super TaskResult> emitter, UpdateStream.Outcome outcome) {
        if (outcome.failure() != null) {
            emitter.fail(outcome.failure());
        } else {
            emitter.complete(outcome.result());
        }
    }
}
