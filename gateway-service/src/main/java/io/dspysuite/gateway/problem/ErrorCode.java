package io.dspysuite.gateway.problem;

import java.util.Locale;

/**
 * Every stable error code the gateway answers with, over REST ({@code application/problem+json}) and WebSocket
 * ({@code error} frames). Clients branch on the code, never on the human-readable text.
 */
public enum ErrorCode {

    BAD_REQUEST(400, "Bad request"),
    INVALID_PARAMETER(400, "Invalid parameter"),
    MALFORMED_JSON(400, "Malformed JSON"),
    UNAUTHENTICATED(401, "Unauthenticated"),
    FORBIDDEN(403, "Forbidden"),
    NOT_FOUND(404, "Not found"),
    TASK_NOT_FOUND(404, "Task not found"),
    // Relayed from the orchestration service's program registry.
    PROGRAM_NOT_FOUND(404, "Program not found"),
    PROGRAM_VERSION_NOT_FOUND(404, "Program version not found"),
    // Admin API.
    TENANT_NOT_FOUND(404, "Tenant not found"),
    API_KEY_NOT_FOUND(404, "API key not found"),
    /** Relayed from the orchestration service's job admin API. */
    JOB_NOT_FOUND(404, "Job not found"),
    METHOD_NOT_ALLOWED(405, "Method not allowed"),
    NOT_ACCEPTABLE(406, "Not acceptable"),
    IDEMPOTENCY_CONFLICT(409, "Idempotency key reused"),
    TASK_FINISHED(409, "Task already finished"),
    /** A 409 relayed from another service whose code the gateway does not know. */
    CONFLICT(409, "Conflict"),
    TENANT_EXISTS(409, "Tenant already exists"),
    /** Relayed from the orchestration service: retry or discard of a job that already finished. */
    JOB_FINISHED(409, "Job already finished"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    VALIDATION_FAILED(422, "Validation failed"),
    RATE_LIMITED(429, "Too many requests"),
    TOO_MANY_SUBSCRIPTIONS(429, "Too many subscriptions"),
    INTERNAL(500, "Internal error"),
    NOT_IMPLEMENTED(501, "Not implemented"),
    /**
     * Only on tasks submitted before the publish sweeper existed (a failed publish then failed the task); a failed
     * publish now leaves the task queued for the sweeper.
     */
    SUBMIT_FAILED(503, "Task could not be submitted"),
    SERVICE_UNAVAILABLE(503, "Service unavailable"),
    /** The orchestration service (catalog, program registry) did not answer, or answered with a server error. */
    ORCHESTRATION_UNAVAILABLE(503, "Orchestration service unavailable"),

    // WebSocket frame errors (the status is informational: frames carry no HTTP status).
    MALFORMED_FRAME(400, "Malformed frame"),
    UNKNOWN_TYPE(400, "Unknown frame type"),
    EVENTS_UNAVAILABLE(503, "Task events unavailable");

    private final int status;
    private final String title;

    ErrorCode(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** RFC 9457 {@code type}: a stable URN per code (no documentation site to point at yet). */
    public String typeUri() {
        return "urn:dspysuite:problem:" + name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The code that best describes a bare HTTP status produced outside our own handlers. */
    public static ErrorCode forStatus(int status) {
        return switch (status) {
            case 401 -> UNAUTHENTICATED;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 409 -> CONFLICT;
            case 413 -> PAYLOAD_TOO_LARGE;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 422 -> VALIDATION_FAILED;
            case 429 -> RATE_LIMITED;
            case 501 -> NOT_IMPLEMENTED;
            case 503 -> SERVICE_UNAVAILABLE;
            default -> status >= 500 ? INTERNAL : BAD_REQUEST;
        };
    }
}
