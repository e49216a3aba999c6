package io.dspysuite.orchestration.job.model;

import java.util.Objects;

/**
 * Why an attempt failed, as stored in {@code jobs.last_error} and published in the task's error event.
 *
 * @param code a stable code such as {@code INVALID_SIGNATURE} or {@code LM_UNAVAILABLE}
 * @param retryable whether another attempt could succeed
 */
public record JobError(String code, String message, boolean retryable) {

    public JobError {
        Objects.requireNonNull(code, "code");
        message = message == null ? "" : message;
    }
}
