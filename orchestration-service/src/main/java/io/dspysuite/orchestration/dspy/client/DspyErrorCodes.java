package io.dspysuite.orchestration.dspy.client;

import java.util.Set;

import io.dspysuite.protos.dspy.v1.ErrorReason;

/** Error codes of failed DSPy calls: the contract's {@link ErrorReason} names plus the client side's own. */
public final class DspyErrorCodes {

    /**
     * The DSPy service itself could not be reached (connection refused, no healthy replica) or the circuit breaker is
     * open after repeated transient failures. Distinct from {@code LM_UNAVAILABLE}, which the service reports about its
     * language model.
     */
    public static final String DSPY_SERVICE_UNAVAILABLE = "DSPY_SERVICE_UNAVAILABLE";
    public static final String DEADLINE_EXCEEDED = ErrorReason.DEADLINE_EXCEEDED.name();
    public static final String CANCELLED = ErrorReason.CANCELLED.name();
    public static final String INTERNAL = ErrorReason.INTERNAL.name();

    /** Reasons the contract documents as retryable; used when an ErrorInfo lacks the "retryable" metadata. */
    private static final Set<String> RETRYABLE_REASONS = Set.of(
            ErrorReason.LM_RATE_LIMITED.name(),
            ErrorReason.LM_UNAVAILABLE.name(),
            ErrorReason.OUTPUT_PARSE_FAILED.name(),
            ErrorReason.DEADLINE_EXCEEDED.name(),
            DSPY_SERVICE_UNAVAILABLE);

    private DspyErrorCodes() {
    }

    public static boolean retryableByDefault(String code) {
        return RETRYABLE_REASONS.contains(code);
    }
}
