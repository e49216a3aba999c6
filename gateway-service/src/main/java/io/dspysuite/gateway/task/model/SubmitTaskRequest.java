package io.dspysuite.gateway.task.model;

import java.util.List;

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
@Schema(name = "SubmitTaskRequest", description = """
        A task. `predict` runs the program once on `inputs`. `evaluate` scores the program on `devset` with `metric`. \
        `optimize` compiles the program with `optimizer` (and its `params`) on `trainset`, scored on `devset` (default: \
        the trainset) with `metric`; the result is a new version of the program (`target_program`, or the named \
        program's own name). Shapes and bounds are checked here (422 VALIDATION_FAILED); optimizer, metric, module \
        option and field type names are checked by the DSPy service against GET /api/v1/catalog: an unknown name ends \
        the task `failed` with error code INVALID_INPUTS (or INVALID_SIGNATURE / INVALID_PROGRAM).""")
public record SubmitTaskRequest(
        @NotBlank @Schema(required = true, enumeration = { "predict", "evaluate", "optimize" }) String kind,
        @NotNull @Valid @Schema(required = true) Program program,
        @Schema(type = SchemaType.OBJECT, description = "The program's input fields by name. Required for predict; "
                + "optional (ignored) for evaluate and optimize, whose examples carry their inputs",
                example = "{\"question\": \"What is the capital of France?\"}") JsonNode inputs,
        @Schema(type = SchemaType.OBJECT, description = "Per-request options: model, temperature, max_tokens")
        JsonNode options,
        @Schema(description = "evaluate / optimize: a metric name from the catalog (default exact_match), e.g. "
                + "exact_match, answer_exact_match, f1, semantic_f1", example = "exact_match") String metric,
        @Schema(type = SchemaType.ARRAY, implementation = Object.class, minItems = 1, maxItems = 200,
                description = "evaluate (required) / optimize (optional, default the trainset): examples, each an "
                        + "object with the program's input fields and the expected output fields (≤ 64 KiB each)",
                example = "[{\"question\": \"2+2?\", \"answer\": \"4\"}]") JsonNode devset,
        @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = "200",
                description = "evaluate: score only the first N examples (0 = all)") JsonNode maxExamples,
        @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = "200",
                description = "evaluate: how many per-example outcomes the result carries (0 = default 50)")
        JsonNode maxOutcomes,
        @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "16",
                description = "evaluate: parallel program runs (default 4)") JsonNode numThreads,
        @Schema(description = "optimize (required): an optimizer name from the catalog, e.g. labeled_few_shot, "
                + "bootstrap_few_shot, bootstrap_few_shot_with_random_search, mipro_v2",
                example = "bootstrap_few_shot") String optimizer,
        @Schema(type = SchemaType.OBJECT, description = "optimize: the optimizer's parameters by name (see the "
                + "catalog); unknown names or out-of-bounds values fail the task with INVALID_INPUTS",
                example = "{\"max_bootstrapped_demos\": 2}") JsonNode params,
        @Schema(type = SchemaType.ARRAY, implementation = Object.class, minItems = 1, maxItems = 200,
                description = "optimize (required): training examples (inputs + labels), ≤ 64 KiB each")
        JsonNode trainset,
        @Schema(pattern = "[a-z][a-z0-9_-]{0,63}", description = "optimize: the program name the compiled version "
                + "is stored under. Required when optimizing an ad-hoc program (it becomes named); default the "
                + "named program's own name") String targetProgram) {

    /**
     * Either a registered program ({@code name}, {@code version}) or an ad-hoc one ({@code signature}, {@code module},
     * ...).
     */
    @Schema(name = "ProgramRef")
    public record Program(
            @Size(max = 128) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9_.-]*", message = "must be a program name")
            @Schema(description = "A registered program") String name,
            @Schema(description = "\"latest\" (default) or a version number", type = SchemaType.STRING) JsonNode version,
            @Schema(oneOf = { String.class, StructuredSignature.class }, description = """
                    Ad-hoc DSPy signature: the string form ("question -> answer", types allowed: \
                    "question: str -> answer: str, confidence: float"; at most 4 KiB) or the structured form \
                    {"inputs": [field...], "outputs": [field...], "instructions": "..."}""",
                    example = "question -> answer") JsonNode signature,
            @Schema(enumeration = { "predict", "chain_of_thought", "react", "best_of_n", "refine",
                    "multi_chain_comparison" }, defaultValue = "predict") String module,
            @Size(max = 16384) @Schema(description = "Optional instructions (the signature's docstring)")
            String instructions,
            @Schema(implementation = ModuleOptions.class) JsonNode moduleOptions) {
    }

    /** Documentation of the structured signature form (the parser reads it as JSON). */
    @Schema(name = "StructuredSignature", description = "A signature given field by field (mirrors "
            + "dspysuite.dspy.v1.StructuredSignature)")
    public record StructuredSignature(
            @Schema(required = true, minItems = 1, maxItems = 64) List<Field> inputs,
            @Schema(required = true, minItems = 1, maxItems = 64) List<Field> outputs,
            @Schema(description = "The task description; wins over the program's `instructions`", maxLength = 16384)
            String instructions) {
    }

    @Schema(name = "SignatureField")
    public record Field(
            @Schema(required = true, pattern = "[A-Za-z][A-Za-z0-9_]{0,63}",
                    description = "A Python identifier, unique across inputs and outputs") String name,
            @Schema(enumeration = { "str", "int", "float", "bool", "list[str]", "list[int]", "list[float]",
                    "list[bool]", "enum" }, defaultValue = "str") String type,
            @Schema(maxLength = 1024) String description,
            @Schema(minItems = 1, maxItems = 64, description = "The labels of an enum field (required for, and only "
                    + "for, type enum)") List<String> enumValues) {
    }

    @Schema(name = "ModuleOptions", description = "Options of the ad-hoc program's module; each module reads only its "
            + "own (see the catalog)")
    public record ModuleOptions(
            @Schema(minimum = "1", maximum = "8", description = "best_of_n / refine: attempts (default 3); "
                    + "multi_chain_comparison: chains compared (2..5)") Integer n,
            @Schema(maxItems = 32, description = "react: tool names from the catalog") List<String> tools,
            @Schema(minimum = "1", maximum = "10", description = "react: maximum iterations (default 5)")
            Integer maxIters,
            @Schema(minimum = "0", maximum = "1", description = "best_of_n / refine: reward at which attempts stop "
                    + "(default 1.0)") Double threshold) {
    }
}
