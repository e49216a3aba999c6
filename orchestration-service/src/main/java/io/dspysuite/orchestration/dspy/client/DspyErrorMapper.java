package io.dspysuite.orchestration.dspy.client;

import static io.dspysuite.orchestration.dspy.client.DspyErrorCodes.CANCELLED;
import static io.dspysuite.orchestration.dspy.client.DspyErrorCodes.DEADLINE_EXCEEDED;
import static io.dspysuite.orchestration.dspy.client.DspyErrorCodes.INTERNAL;

import java.util.Optional;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * Turns whatever a DSPy call failed with into a {@link DspyCallException}: gRPC statuses (with the contract's
 * {@code google.rpc.ErrorInfo} detail when the service sent one) and the fault-tolerance layer's own exceptions.
 */
public final class DspyErrorMapper {

    private static final String RETRYABLE_KEY = "retryable";

    private DspyErrorMapper() {
    }

    /** Maps any failure of a guarded DSPy call (after retries, timeout and circuit breaker). */
    public static DspyCallException fromFailure(Throwable failure) {
        if (failure instanceof DspyCallException known) {
            return known;
        }
        if (failure instanceof TimeoutException) {
            return DspyCallException.of(DEADLINE_EXCEEDED, "the DSPy service did not answer in time", true, failure);
        }
        if (failure instanceof CircuitBreakerOpenException) {
            return new DspyServiceUnavailableException("the DSPy service is failing; calls are paused for a moment",
                    failure);
        }
        if (failure instanceof StatusRuntimeException || failure instanceof StatusException) {
            return fromGrpc(failure);
        }
        // A bug on this side: the client gets a stable code, the details stay in the log (see JobExecutor).
        return DspyCallException.of(INTERNAL,
                "unexpected failure calling the DSPy service (" + failure.getClass().getSimpleName() + ")", false,
                failure);
    }

    /** Maps a gRPC failure of a call that may have received updates (see {@link #fromGrpc(Throwable, boolean)}). */
    public static DspyCallException fromGrpc(Throwable grpcFailure) {
        return fromGrpc(grpcFailure, true);
    }

    /**
     * Maps a gRPC failure: the ErrorInfo detail decides when present (the program or its LM failed), the status code
     * otherwise. Without a detail, UNAVAILABLE means the transport failed (connection refused, or lost because the
     * process died), and a DEADLINE_EXCEEDED of a call that had {@code responded} with nothing means the service never
     * started it (a stopped or hung process): both say the service is not there
     * ({@link DspyServiceUnavailableException}). A deadline after the program answered is the program's.
     */
    public static DspyCallException fromGrpc(Throwable grpcFailure, boolean responded) {
        Status status = Status.fromThrowable(grpcFailure);
        com.google.rpc.Status rich = StatusProto.fromThrowable(grpcFailure);
        Optional<ErrorInfo> info = rich == null ? Optional.empty() : errorInfo(rich);
        String message = describe(status, rich);
        if (info.isPresent() && !info.get().getReason().isBlank()) {
            String code = info.get().getReason();
            String flag = info.get().getMetadataMap().get(RETRYABLE_KEY);
            boolean retryable = flag == null ? DspyErrorCodes.retryableByDefault(code) : Boolean.parseBoolean(flag);
            return DspyCallException.of(code, message, retryable, grpcFailure);
        }
        return switch (status.getCode()) {
            // Without details the service never answered: nothing reached Python, or it was down.
            case UNAVAILABLE -> new DspyServiceUnavailableException(message, grpcFailure);
            case DEADLINE_EXCEEDED -> responded
                    ? DspyCallException.of(DEADLINE_EXCEEDED, message, true, grpcFailure)
                    : new DspyServiceUnavailableException(
                            "the DSPy service sent nothing before the deadline (" + message + ")", grpcFailure);
            case CANCELLED -> DspyCallException.of(CANCELLED, message, false, grpcFailure);
            default -> DspyCallException.of(INTERNAL, message, false, grpcFailure);
        };
    }

    private static Optional<ErrorInfo> errorInfo(com.google.rpc.Status rich) {
        for (Any detail : rich.getDetailsList()) {
            if (detail.is(ErrorInfo.class)) {
                try {
                    return Optional.of(detail.unpack(ErrorInfo.class));
                } catch (InvalidProtocolBufferException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static String describe(Status status, com.google.rpc.Status rich) {
        String description = rich != null && !rich.getMessage().isBlank() ? rich.getMessage() : status.getDescription();
        return description == null || description.isBlank()
                ? "the DSPy service answered " + status.getCode()
                : description;
    }
}
