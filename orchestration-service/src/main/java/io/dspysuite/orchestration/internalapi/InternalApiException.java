package io.dspysuite.orchestration.internalapi;

/** A request to the internal API that is answered with a problem document carrying a stable {@code code}. */
public class InternalApiException extends RuntimeException {

    private final int status;
    private final String code;

    public InternalApiException(int status, String code, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static InternalApiException notFound(String code, String detail) {
        return new InternalApiException(404, code, detail);
    }

    public static InternalApiException badRequest(String code, String detail) {
        return new InternalApiException(400, code, detail);
    }
}
