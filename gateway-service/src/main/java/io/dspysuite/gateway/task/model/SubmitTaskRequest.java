package io.dspysuite.gateway.task.model;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import com.fasterxml.jackson.databind.JsonNode;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The body of {@code POST /api/v1/tasks} and the {@code task} of a WebSocket {@code submit} frame, as sent. The
 * parser turns it into a {@link TaskSubmission} or a list of violations.
 */
@Schema(name = "SubmitTaskRequest")
public record SubmitTaskRequest(
        @NotBlank @Schema(required = true, enumeration = { "predict", "evaluate", "optimize" },
                description = "Only predict is available yet") String kind,
        @NotNull @Valid @Schema(required = true) Program program,
        @NotNull @Schema(required = true, type = SchemaType.OBJECT, description = "The program's input fields by name",
                example = "{\"question\": \"What is the capital of France?\"}") JsonNode inputs,
        @Schema(type = SchemaType.OBJECT, description = "Per-request options: model, temperature, max_tokens")
        JsonNode options) {

    /** Either a registered program ({@code name}, {@code version}) or an ad-hoc one ({@code signature}, ...). */
    @Schema(name = "ProgramRef")
    public record Program(
            @Size(max = 128) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9_.-]*", message = "must be a program name")
            @Schema(description = "A registered program") String name,
            @Schema(description = "\"latest\" (default) or a version number", type = SchemaType.STRING) JsonNode version,
            @Schema(description = "Ad-hoc DSPy signature, at most 4 KiB", example = "question -> answer") String signature,
            @Schema(enumeration = { "predict", "chain_of_thought" }, defaultValue = "predict") String module,
            @Size(max = 16384) @Schema(description = "Optional instructions (the signature's docstring)")
            String instructions) {
    }
}
