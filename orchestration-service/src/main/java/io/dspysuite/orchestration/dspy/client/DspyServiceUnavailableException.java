package io.dspysuite.orchestration.dspy.client;

/**
 * The DSPy service itself was not there: the connection was refused or lost (a bare {@code UNAVAILABLE}, without the
 * program's {@code ErrorInfo}), the service sent nothing at all before the deadline (a stopped or hung process; a
 * running program announces itself with a status update first), or the circuit breaker is open. Code
 * {@link DspyErrorCodes#DSPY_SERVICE_UNAVAILABLE}.
 * <p>
 * Such a failure says nothing about the task, so the engine postpones the job without counting the attempt (for at
 * most {@code dspy-suite.retry.unavailable-max-wait}); failures the program or its LM report keep counting. Still
 * transient: the circuit breaker counts it.
 */
public class DspyServiceUnavailableException extends TransientDspyCallException {

    DspyServiceUnavailableException(String message, Throwable cause) {
        super(DspyErrorCodes.DSPY_SERVICE_UNAVAILABLE, message, cause);
    }
}
