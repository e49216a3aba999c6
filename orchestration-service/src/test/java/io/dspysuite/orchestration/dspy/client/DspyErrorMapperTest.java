package io.dspysuite.orchestration.dspy.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.junit.jupiter.api.Test;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

class DspyErrorMapperTest {

    @Test
    void errorInfoDecidesCodeAndRetryability() {
        DspyCallException e = DspyErrorMapper.fromGrpc(
                richStatus(Code.INVALID_ARGUMENT, "bad signature 'q ->'", "INVALID_SIGNATURE", Map.of("retryable", "false")));

        assertThat(e).isNotInstanceOf(TransientDspyCallException.class);
        assertThat(e.code()).isEqualTo("INVALID_SIGNATURE");
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).isEqualTo("bad signature 'q ->'");
    }

    @Test
    void retryableFlagMakesTheFailureTransient() {
        DspyCallException e = DspyErrorMapper.fromGrpc(
                richStatus(Code.RESOURCE_EXHAUSTED, "slow down", "LM_RATE_LIMITED", Map.of("retryable", "true")));

        assertThat(e).isInstanceOf(TransientDspyCallException.class);
        assertThat(e.code()).isEqualTo("LM_RATE_LIMITED");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void explicitFlagWinsOverTheReasonsDefault() {
        DspyCallException e = DspyErrorMapper.fromGrpc(
                richStatus(Code.UNAVAILABLE, "no", "LM_UNAVAILABLE", Map.of("retryable", "false")));

        assertThat(e.retryable()).isFalse();
        assertThat(e).isNotInstanceOf(TransientDspyCallException.class);
    }

    @Test
    void missingFlagFallsBackToTheContractsRetryableReasons() {
        assertThat(DspyErrorMapper.fromGrpc(richStatus(Code.INTERNAL, "x", "OUTPUT_PARSE_FAILED", Map.of())).retryable())
                .isTrue();
        assertThat(DspyErrorMapper.fromGrpc(richStatus(Code.INTERNAL, "x", "INTERNAL", Map.of())).retryable())
                .isFalse();
    }

    @Test
    void unavailableWithoutDetailsIsTheServiceBeingUnreachable() {
        DspyCallException e = DspyErrorMapper.fromGrpc(
                Status.UNAVAILABLE.withDescription("io exception: Connection refused").asRuntimeException());

        assertThat(e).isInstanceOf(DspyServiceUnavailableException.class);
        assertThat(e.code()).isEqualTo("DSPY_SERVICE_UNAVAILABLE");
        assertThat(e.getMessage()).contains("Connection refused");
        // Also mid-stream: the connection was lost because the process died, not because of the program.
        assertThat(DspyErrorMapper.fromGrpc(Status.UNAVAILABLE.withDescription("Network closed for unknown reason")
                .asRuntimeException(), true)).isInstanceOf(DspyServiceUnavailableException.class);
    }

    @Test
    void theProgramsOwnUnavailableIsNotAnOutage() {
        DspyCallException e = DspyErrorMapper.fromGrpc(
                richStatus(Code.UNAVAILABLE, "lm down", "LM_UNAVAILABLE", Map.of("retryable", "true")), false);

        assertThat(e).isNotInstanceOf(DspyServiceUnavailableException.class);
        assertThat(e.code()).isEqualTo("LM_UNAVAILABLE");
    }

    @Test
    void deadlineOfACallThatReceivedNothingIsTheServiceBeingAbsent() {
        DspyCallException silent = DspyErrorMapper.fromGrpc(Status.DEADLINE_EXCEEDED.asRuntimeException(), false);

        assertThat(silent).isInstanceOf(DspyServiceUnavailableException.class);
        assertThat(silent.code()).isEqualTo("DSPY_SERVICE_UNAVAILABLE");
        assertThat(silent.getMessage()).contains("sent nothing before the deadline");
        // After the program announced itself, the deadline is the program's: it counts.
        DspyCallException running = DspyErrorMapper.fromGrpc(Status.DEADLINE_EXCEEDED.asRuntimeException(), true);
        assertThat(running).isNotInstanceOf(DspyServiceUnavailableException.class);
        assertThat(running.code()).isEqualTo("DEADLINE_EXCEEDED");
        // A deadline the program itself reports (with ErrorInfo) is the program's too, whatever was received.
        assertThat(DspyErrorMapper.fromGrpc(richStatus(Code.DEADLINE_EXCEEDED, "lm slow", "DEADLINE_EXCEEDED",
                Map.of()), false)).isNotInstanceOf(DspyServiceUnavailableException.class);
    }

    @Test
    void deadlineWithoutDetailsIsRetryable() {
        DspyCallException e = DspyErrorMapper.fromGrpc(Status.DEADLINE_EXCEEDED.asRuntimeException());

        assertThat(e.code()).isEqualTo("DEADLINE_EXCEEDED");
        assertThat(e.retryable()).isTrue();
        assertThat(e.getMessage()).isEqualTo("the DSPy service answered DEADLINE_EXCEEDED");
    }

    @Test
    void otherStatusesWithoutDetailsAreInternalAndFinal() {
        DspyCallException e = DspyErrorMapper.fromGrpc(Status.UNIMPLEMENTED.asRuntimeException());

        assertThat(e.code()).isEqualTo("INTERNAL");
        assertThat(e.retryable()).isFalse();
    }

    @Test
    void faultToleranceTimeoutIsADeadline() {
        DspyCallException e = DspyErrorMapper.fromFailure(new TimeoutException("timed out"));

        assertThat(e.code()).isEqualTo("DEADLINE_EXCEEDED");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void openCircuitIsTheServiceBeingUnavailable() {
        DspyCallException e = DspyErrorMapper.fromFailure(new CircuitBreakerOpenException("open"));

        assertThat(e).isInstanceOf(DspyServiceUnavailableException.class);
        assertThat(e.code()).isEqualTo("DSPY_SERVICE_UNAVAILABLE");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void knownFailuresPassThroughAndUnknownOnesAreInternal() {
        DspyCallException known = DspyCallException.of("INVALID_INPUTS", "missing question", false);

        assertThat(DspyErrorMapper.fromFailure(known)).isSameAs(known);
        assertThat(DspyErrorMapper.fromFailure(new IllegalStateException("boom")))
                .satisfies(e -> assertThat(e.code()).isEqualTo("INTERNAL"))
                .satisfies(e -> assertThat(e.retryable()).isFalse())
                // internals stay in the log, not in what clients see
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("boom"));
        assertThat(DspyErrorMapper.fromFailure(Status.UNAVAILABLE.asRuntimeException()).code())
                .isEqualTo("DSPY_SERVICE_UNAVAILABLE");
    }

    private static StatusRuntimeException richStatus(Code code, String message, String reason,
            Map<String, String> metadata) {
        ErrorInfo info = ErrorInfo.newBuilder()
                .setReason(reason)
                .setDomain("dspy.dspysuite.io")
                .putAllMetadata(metadata)
                .build();
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(message)
                .addDetails(Any.pack(info))
                .build();
        return StatusProto.toStatusRuntimeException(status);
    }
}
