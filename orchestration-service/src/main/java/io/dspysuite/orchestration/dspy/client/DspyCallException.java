package io.dspysuite.orchestration.dspy.client;

import io.dspysuite.orchestration.job.model.JobError;

/**
 * A call to the DSPy service failed. Carries the stable reason code the failure crossed the boundary with (an
 * {@code ErrorReason} name, or one of this service's own codes in {@link DspyErrorCodes}) and whether a retry can help.
 * Retryable failures are {@link TransientDspyCallException}s, so fault-tolerance annotations can select them by type.
 */
public class DspyCallException extends RuntimeException {

    private final String code;
    private final boolean retryable;

    protected DspyCallException(String code, String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryable = retryable;
    }

    /** The failure as the right type: transient when {@code retryable}, permanent otherwise. */
    public static DspyCallException of(String code, String message, boolean retryable, Throwable cause) {
        return retryable
                ? new TransientDspyCallException(code, message, cause)
                : new DspyCallException(code, message, false, cause);
    }

    public static DspyCallException of(String code, String message, boolean retryable) {
        return of(code, message, retryable, null);
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }

    public JobError toJobError() {
        return new JobError(code, getMessage(), retryable);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + code + ", retryable=" + retryable + "]: " + getMessage();
    }
}
