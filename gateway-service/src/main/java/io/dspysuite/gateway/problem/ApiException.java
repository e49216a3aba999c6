package io.dspysuite.gateway.problem;

import java.util.List;
import java.util.UUID;

/**
 * A failure the client caused or must know about, with its stable code. Thrown by the services and rendered by both
 * the REST exception mappers and the WebSocket frame handler, so both APIs answer the same codes.
 */
public class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final List<Violation> violations;
    private final UUID taskId;
    private final long retryAfterSeconds;
    private String relayedCode;

    public ApiException(ErrorCode code, String detail) {
        this(code, detail, null, null, null);
    }

    public ApiException(ErrorCode code, String detail, Throwable cause) {
        this(code, detail, null, null, cause);
    }

    private ApiException(ErrorCode code, String detail, List<Violation> violations, UUID taskId, Throwable cause) {
        this(code, detail, violations, taskId, cause, 0);
    }

    private ApiException(ErrorCode code, String detail, List<Violation> violations, UUID taskId, Throwable cause,
            long retryAfterSeconds) {
        // Control flow, not a bug: no stack trace to fill (a cause, when present, keeps its own).
        super(detail, cause, false, false);
        this.code = code;
        this.violations = violations == null ? null : List.copyOf(violations);
        this.taskId = taskId;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Bad query or header parameters (400 INVALID_PARAMETER), every one at once. */
    public static ApiException invalidParameters(List<Violation> violations) {
        String detail = violations.size() == 1
                ? violations.get(0).field() + ": " + violations.get(0).message()
                : violations.size() + " parameters are invalid";
        return new ApiException(ErrorCode.INVALID_PARAMETER, detail, violations, null, null);
    }

    public static ApiException invalidParameter(String parameter, String message) {
        return invalidParameters(List.of(new Violation(parameter, message)));
    }

    /** 429 RATE_LIMITED; {@code retryAfterSeconds} becomes the Retry-After header (and the WebSocket frame's field). */
    public static ApiException rateLimited(String detail, long retryAfterSeconds) {
        return new ApiException(ErrorCode.RATE_LIMITED, detail, null, null, null, Math.max(1, retryAfterSeconds));
    }

    public static ApiException validation(List<Violation> violations) {
        String detail = violations.size() == 1
                ? violations.get(0).field() + ": " + violations.get(0).message()
                : violations.size() + " fields are invalid";
        return new ApiException(ErrorCode.VALIDATION_FAILED, detail, violations, null, null);
    }

    public static ApiException validation(String field, String message) {
        return validation(List.of(new Violation(field, message)));
    }

    public static ApiException taskNotFound() {
        return new ApiException(ErrorCode.TASK_NOT_FOUND, "No such task");
    }

    public static ApiException forTask(ErrorCode code, String detail, UUID taskId, Throwable cause) {
        return new ApiException(code, detail, null, taskId, cause);
    }

    /**
     * A problem another service of the suite answered, relayed with its own stable {@code code} (e.g.
     * PROGRAM_VERSION_NOT_FOUND); {@code base} gives the status and title.
     */
    public static ApiException relayed(ErrorCode base, String code, String detail) {
        ApiException e = new ApiException(base, detail);
        e.relayedCode = code;
        return e;
    }

    /** The code the client sees: the relayed one, else {@link #code()}'s name. */
    public String codeName() {
        return relayedCode != null ? relayedCode : code.name();
    }

    public ErrorCode code() {
        return code;
    }

    public List<Violation> violations() {
        return violations;
    }

    public UUID taskId() {
        return taskId;
    }

    /** Seconds after which a retry may succeed (RATE_LIMITED), else 0. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public Problem toProblem() {
        String type = relayedCode == null ? code.typeUri()
                : "urn:dspysuite:problem:" + relayedCode.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return new Problem(type, code.title(), code.status(), getMessage(), codeName(), violations, taskId);
    }
}
