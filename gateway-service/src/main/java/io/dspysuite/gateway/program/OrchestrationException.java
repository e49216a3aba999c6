package io.dspysuite.gateway.program;

/** The orchestration service's internal API answered with an error status (its problem {@code code}, if any). */
public class OrchestrationException extends RuntimeException {

    private final int status;
    private final String code;

    public OrchestrationException(int status, String code, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** The problem's {@code code}, or null when the body was not a problem document. */
    public String code() {
        return code;
    }
}
