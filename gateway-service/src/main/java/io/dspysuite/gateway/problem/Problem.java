package io.dspysuite.gateway.problem;

import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An RFC 9457 problem document, extended with the stable {@code code} (and field violations where relevant). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({ "type", "title", "status", "detail", "code", "violations", "task_id" })
@Schema(name = "Problem", description = "Error response (application/problem+json)")
public record Problem(
        String type,
        String title,
        int status,
        String detail,
        @Schema(description = "Stable error code, e.g. VALIDATION_FAILED") String code,
        List<Violation> violations,
        @Schema(description = "The task concerned, when one was created (e.g. SUBMIT_FAILED)") UUID taskId) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(ErrorCode code, String detail) {
        return new Problem(code.typeUri(), code.title(), code.status(), detail, code.name(), null, null);
    }

    /** For bare statuses (405 from the router, ...): the status stays, the code is the closest match. */
    public static Problem ofStatus(int status, String detail) {
        ErrorCode code = ErrorCode.forStatus(status);
        return new Problem(code.typeUri(), code.title(), status, detail, code.name(), null, null);
    }
}
