package io.dspysuite.orchestration.job.ingest;

/** A request that decodes but can never become a job (no usable task id, tenant or kind): it goes to the DLQ. */
public class InvalidTaskRequestException extends RuntimeException {

    public InvalidTaskRequestException(String message) {
        super(message);
    }
}
