package io.dspysuite.gateway.task.model;

import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
        the task `failed` with error code INVALID_INPUTS (or INVALID_SIGNATURE / INVALID_PROGRAM). Rules across \
        fields, refused with 422 VALIDATION_FAILED naming the field: predict takes `inputs` and none of the \
        evaluate/optimize fields; evaluate requires `devset` and takes none of `optimizer`, `params`, `trainset`, \
        `target_program`; optimize requires `optimizer` and `trainset` (and `target_program` for an ad-hoc program) \
        and takes none of `max_examples`, `max_outcomes`, `num_threads`; signature field names are unique across \
        inputs and outputs; `enum_values` belong to enum fields only; the body nests at most 24 levels and an example \
        holds at most 64 KiB of JSON; no text holds a NUL character.""")
public record SubmitTaskRequest(
        @NotBlank @Schema(required = true, enumeration = { "predict", "evaluate", "optimize" }) String kind,
        @NotNull @Valid @Schema(required = true, implementation = ProgramChoice.class) Program program,
        @Schema(implementation = Inputs.class, nullable = true, description = "The program's input fields by name. Required for "
                + "predict (at least one field); optional (ignored) for evaluate and optimize, whose examples carry "
                + "their inputs", example = "{\"question\": \"What is the capital of France?\"}") JsonNode inputs,
        @Schema(implementation = TaskOptions.class, nullable = true) JsonNode options,
        @Schema(description = "evaluate / optimize: a metric name from the catalog (default exact_match), e.g. "
                + "exact_match, answer_exact_match, f1, semantic_f1", example = "exact_match", nullable = true,
                maxLength = TaskRules.MAX_NAME_LENGTH, pattern = TaskRules.NOT_BLANK) String metric,
        @Schema(type = SchemaType.ARRAY, implementation = Example.class, minItems = 1,
                maxItems = TaskRules.MAX_EXAMPLES, nullable = true,
                description = "evaluate (required) / optimize (optional, default the trainset): examples, each an "
                        + "object with the program's input fields and the expected output fields (≤ 64 KiB each)",
                example = "[{\"question\": \"2+2?\", \"answer\": \"4\"}]") JsonNode devset,
        @Schema(implementation = Integer.class, minimum = "0", maximum = "" + TaskRules.MAX_EXAMPLES, nullable = true,
                description = "evaluate: score only the first N examples (0 = all)") JsonNode maxExamples,
        @Schema(implementation = Integer.class, minimum = "0", maximum = "" + TaskRules.MAX_EXAMPLES, nullable = true,
                description = "evaluate: how many per-example outcomes the result carries (0 = default 50)")
        JsonNode maxOutcomes,
        @Schema(implementation = Integer.class, minimum = "1", maximum = "16", nullable = true,
                description = "evaluate: parallel program runs (default 4)") JsonNode numThreads,
        @Schema(description = "optimize (required): an optimizer name from the catalog, e.g. labeled_few_shot, "
                + "bootstrap_few_shot, bootstrap_few_shot_with_random_search, mipro_v2",
                example = "bootstrap_few_shot", nullable = true, maxLength = TaskRules.MAX_NAME_LENGTH,
                pattern = TaskRules.NOT_BLANK) String optimizer,
        @Schema(implementation = ObjectNode.class, nullable = true, description = "optimize: the optimizer's parameters by "
                + "name (see the catalog); unknown names or out-of-bounds values fail the task with INVALID_INPUTS",
                example = "{\"max_bootstrapped_demos\": 2}") JsonNode params,
        @Schema(type = SchemaType.ARRAY, implementation = Example.class, minItems = 1,
                maxItems = TaskRules.MAX_EXAMPLES, nullable = true,
                description = "optimize (required): training examples (inputs + labels), ≤ 64 KiB each")
        JsonNode trainset,
        @Schema(pattern = TaskRules.TARGET_PROGRAM, nullable = true, description = "optimize: the program name the "
                + "compiled version is stored under. Required when optimizing an ad-hoc program (it becomes named); "
                + "default the named program's own name") String targetProgram) {

    /** Documentation: the program choice. */
    @Schema(name = "Program", oneOf = { NamedProgram.class, AdHocProgram.class },
            description = "Either a registered program (name, version) or an ad-hoc one (signature, module, ...)")
    public record ProgramChoice() {
    }

    /** Documentation: a predict task's inputs. */
    @Schema(name = "Inputs", type = SchemaType.OBJECT, minProperties = 1, propertyNames = InputName.class,
            description = "Input fields by name")
    public record Inputs() {
    }

    /** Documentation: an input field's name. */
    @Schema(type = SchemaType.STRING, pattern = TaskRules.NOT_BLANK)
    public record InputName() {
    }

    /** Documentation: one example of a devset or trainset. */
    @Schema(name = "Example", type = SchemaType.OBJECT, minProperties = 1, propertyNames = InputName.class,
            description = "Input fields and expected output fields by name")
    public record Example() {
    }

    /** Documentation of {@code options}. */
    @Schema(name = "TaskOptions", description = "Per-request options", additionalProperties = Schema.False.class)
    public record TaskOptions(
            @Schema(description = "A model from the catalog's models", minLength = 1,
                    maxLength = TaskRules.MAX_MODEL_NAME, pattern = TaskRules.NOT_BLANK) String model,
            @Schema(minimum = "0", maximum = "2") Double temperature,
            @Schema(minimum = "1", maximum = "" + TaskRules.MAX_TOKENS) Integer maxTokens) {
    }

    /** Documentation: a registered program. */
    @Schema(name = "NamedProgram", description = "A registered program (GET /api/v1/programs)",
            additionalProperties = Schema.False.class)
    public record NamedProgram(
            @Schema(required = true, maxLength = TaskRules.MAX_PROGRAM_NAME, pattern = TaskRules.PROGRAM_NAME,
                    example = "qa") String name,
            @Schema(nullable = true, description = "\"promoted\" (default), \"latest\" or a version number",
                    oneOf = { VersionName.class, VersionNumberText.class, VersionNumber.class }) JsonNode version) {
    }

    @Schema(type = SchemaType.STRING, enumeration = { "promoted", "latest" })
    public record VersionName() {
    }

    @Schema(type = SchemaType.STRING, pattern = TaskRules.VERSION_NUMBER)
    public record VersionNumberText() {
    }

    @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "999999999")
    public record VersionNumber() {
    }

    /** Documentation: an ad-hoc program. */
    @Schema(name = "AdHocProgram", description = "A program described inline", additionalProperties = Schema.False.class)
    public record AdHocProgram(
            @Schema(required = true, oneOf = { SignatureText.class, StructuredSignature.class }, description = """
                    Ad-hoc DSPy signature: the string form ("question -> answer", types allowed: \
                    "question: str -> answer: str, confidence: float"; at most 1024 characters) or the structured \
                    form {"inputs": [field...], "outputs": [field...], "instructions": "..."}""",
                    example = "question -> answer") JsonNode signature,
            @Schema(enumeration = { "predict", "chain_of_thought", "react", "best_of_n", "refine",
                    "multi_chain_comparison" }, defaultValue = "predict", nullable = true) String module,
            @Schema(description = "Optional instructions (the signature's docstring)", nullable = true,
                    maxLength = TaskRules.MAX_INSTRUCTIONS) String instructions,
            @Schema(implementation = ModuleOptions.class, nullable = true) JsonNode moduleOptions) {
    }

    @Schema(name = "SignatureText", type = SchemaType.STRING, pattern = TaskRules.SIGNATURE,
            maxLength = TaskRules.MAX_SIGNATURE_LENGTH, description = "inputs -> outputs")
    public record SignatureText() {
    }

    /**
     * Either a registered program ({@code name}, {@code version}) or an ad-hoc one ({@code signature}, {@code module},
     * ...).
     */
    @Schema(name = "ProgramRef")
    public record Program(
            @Size(max = TaskRules.MAX_PROGRAM_NAME)
            @Pattern(regexp = TaskRules.PROGRAM_NAME, message = "must be a program name")
            @Schema(description = "A registered program") String name,
            @Schema(description = "\"latest\" (default) or a version number", type = SchemaType.STRING) JsonNode version,
            @Schema(oneOf = { String.class, StructuredSignature.class }, description = """
                    Ad-hoc DSPy signature: the string form ("question -> answer", types allowed: \
                    "question: str -> answer: str, confidence: float"; at most 4 KiB) or the structured form \
                    {"inputs": [field...], "outputs": [field...], "instructions": "..."}""",
                    example = "question -> answer") JsonNode signature,
            @Schema(enumeration = { "predict", "chain_of_thought", "react", "best_of_n", "refine",
                    "multi_chain_comparison" }, defaultValue = "predict") String module,
            @Size(max = TaskRules.MAX_INSTRUCTIONS) @Schema(description = "Optional instructions (the signature's docstring)")
            String instructions,
            @Schema(implementation = ModuleOptions.class) JsonNode moduleOptions) {
    }

    /** Documentation of the structured signature form (the parser reads it as JSON). */
    @Schema(name = "StructuredSignature", description = "A signature given field by field (mirrors "
            + "dspysuite.dspy.v1.StructuredSignature)", additionalProperties = Schema.False.class)
    public record StructuredSignature(
            @Schema(required = true, minItems = 1, maxItems = TaskRules.MAX_FIELDS) List<Field> inputs,
            @Schema(required = true, minItems = 1, maxItems = TaskRules.MAX_FIELDS) List<Field> outputs,
            @Schema(description = "The task description; wins over the program's `instructions`",
                    maxLength = TaskRules.MAX_INSTRUCTIONS, nullable = true) String instructions) {
    }

    @Schema(name = "SignatureField", additionalProperties = Schema.False.class)
    public record Field(
            @Schema(required = true, pattern = TaskRules.IDENTIFIER,
                    description = "A Python identifier, unique across inputs and outputs") String name,
            @Schema(enumeration = { "str", "int", "float", "bool", "list[str]", "list[int]", "list[float]",
                    "list[bool]", "enum" }, defaultValue = "str", nullable = true) String type,
            @Schema(maxLength = TaskRules.MAX_DESCRIPTION_LENGTH, nullable = true) String description,
            @Schema(minItems = 1, maxItems = TaskRules.MAX_ENUM_VALUES, uniqueItems = true, nullable = true,
                    implementation = EnumValue.class, type = SchemaType.ARRAY,
                    description = "The labels of an enum field (required for, and only for, type enum)")
            List<String> enumValues) {
    }

    @Schema(type = SchemaType.STRING, pattern = TaskRules.ENUM_VALUE, maxLength = TaskRules.MAX_ENUM_VALUE_LENGTH)
    public record EnumValue() {
    }

    @Schema(name = "ModuleOptions", description = "Options of the ad-hoc program's module; each module reads only its "
            + "own (see the catalog)", additionalProperties = Schema.False.class)
    public record ModuleOptions(
            @Schema(minimum = "1", maximum = "8", description = "best_of_n / refine: attempts (default 3); "
                    + "multi_chain_comparison: chains compared (2..5)") Integer n,
            @Schema(maxItems = TaskRules.MAX_TOOLS, uniqueItems = true, type = SchemaType.ARRAY,
                    implementation = ToolName.class, description = "react: tool names from the catalog")
            List<String> tools,
            @Schema(minimum = "1", maximum = "10", description = "react: maximum iterations (default 5)")
            Integer maxIters,
            @Schema(minimum = "0", maximum = "1", description = "best_of_n / refine: reward at which attempts stop "
                    + "(default 1.0)") Double threshold) {
    }

    @Schema(type = SchemaType.STRING, pattern = TaskRules.IDENTIFIER)
    public record ToolName() {
    }
}
