package io.dspysuite.gateway.task.service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.Validator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.json.Hashes;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.task.model.ProgramModule;
import io.dspysuite.gateway.task.model.ProgramSpec;
import io.dspysuite.gateway.task.model.SubmitTaskRequest;
import io.dspysuite.gateway.task.model.TaskKind;
import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.task.model.TaskSubmission;

/**
 * Turns a submitted task (JSON, from REST or WebSocket) into a {@link TaskSubmission}, or rejects it with every
 * violation at once: Bean Validation for the simple constraints, explicit checks for what depends on several fields.
 */
@ApplicationScoped
public class TaskRequestParser {

    static final int MAX_IDEMPOTENCY_KEY_LENGTH = TaskRules.MAX_IDEMPOTENCY_KEY_LENGTH;
    private static final Set<String> OPTIONS = Set.of("model", "temperature", "max_tokens");

    private final ObjectMapper mapper;
    private final ObjectMapper canonical;
    private final Validator validator;

    public TaskRequestParser(ObjectMapper mapper, Validator validator) {
        this.mapper = mapper;
        this.canonical = mapper.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
        this.validator = validator;
    }

    /**
     * @param body the task object
     * @param idempotencyKey the client's idempotency key, or null
     * @throws ApiException VALIDATION_FAILED
     */
    public TaskSubmission parse(JsonNode body, String idempotencyKey) {
        if (body == null || body.isMissingNode() || body.isNull()) {
            throw ApiException.validation("task", "is required");
        }
        if (!body.isObject()) {
            throw ApiException.validation("task", "must be a JSON object");
        }
        SubmitTaskRequest request = bind(body);
        TaskKind kind = TaskKind.fromWire(request.kind()).orElse(null);

        List<Violation> violations = new ArrayList<>();
        validator.validate(request).forEach(v -> violations.add(new Violation(v.getPropertyPath().toString(), v.getMessage())));
        if (request.kind() != null && !request.kind().isBlank() && kind == null) {
            violations.add(new Violation("kind", "must be one of predict, evaluate, optimize"));
        }
        ProgramSpec program = request.program() == null ? null : program(request.program(), violations);
        ObjectNode inputs = kind == TaskKind.PREDICT || kind == null
                ? inputs(request.inputs(), violations)
                : optionalInputs(request.inputs(), violations);
        ObjectNode spec = TaskSpecParser.spec(kind, request, program, violations);
        ObjectNode options = options(request.options(), violations);
        // Stripped here, not only by HTTP: a WebSocket submit's key must store and match alike.
        String key = TaskRules.idempotencyKey(idempotencyKey);
        if (idempotencyKey != null && key == null) {
            violations.add(new Violation("Idempotency-Key",
                    "must be 1-" + MAX_IDEMPOTENCY_KEY_LENGTH + " printable ASCII characters"));
        }
        if (!violations.isEmpty()) {
            violations.sort(Comparator.comparing(Violation::field));
            throw ApiException.validation(violations);
        }
        return new TaskSubmission(kind, program, inputs, options, key,
                hash(kind, program, inputs, options, spec), spec);
    }

    private SubmitTaskRequest bind(JsonNode body) {
        try {
            return mapper.treeToValue(body, SubmitTaskRequest.class);
        } catch (MismatchedInputException e) {
            throw ApiException.validation(path(e), "has the wrong type");
        } catch (JsonProcessingException e) {
            throw ApiException.validation("task", "is not a valid task");
        }
    }

    private static ProgramSpec program(SubmitTaskRequest.Program program, List<Violation> violations) {
        boolean named = program.name() != null;
        boolean adHoc = program.signature() != null && !program.signature().isNull();
        if (named == adHoc) {
            violations.add(new Violation("program",
                    "must have either a signature (ad-hoc program) or a name (registered program), not both"));
            return null;
        }
        if (named) {
            if (program.module() != null || program.moduleOptions() != null || program.instructions() != null) {
                violations.add(new Violation("program", "module, module_options and instructions apply to ad-hoc "
                        + "programs only"));
            }
            String version = version(program.version(), violations);
            return version == null ? null : new ProgramSpec.Named(program.name(), version);
        }
        int size = violations.size();
        String signature = null;
        ObjectNode structured = null;
        if (program.signature().isObject()) {
            structured = SignatureParser.structured((ObjectNode) program.signature(), violations);
        } else if (!program.signature().isTextual()) {
            violations.add(new Violation("program.signature",
                    "must be a string (\"question -> answer\") or an object {inputs, outputs, instructions}"));
        } else {
            // Counted as JSON Schema counts (code points, before any trimming), so the document states the rule.
            String text = program.signature().asText();
            if (text.codePointCount(0, text.length()) > TaskRules.MAX_SIGNATURE_LENGTH) {
                violations.add(new Violation("program.signature",
                        "must be at most " + TaskRules.MAX_SIGNATURE_LENGTH + " characters"));
            } else if (!text.contains(TaskRules.SIGNATURE)) {
                violations.add(new Violation("program.signature", "must look like 'inputs -> outputs'"));
            } else {
                signature = text.strip();
            }
        }
        ProgramModule module = ProgramModule.PREDICT;
        if (program.module() != null) {
            module = ProgramModule.fromWire(program.module()).orElse(null);
            if (module == null) {
                violations.add(new Violation("program.module", "must be one of " + ProgramModule.wireNames()));
            }
        }
        ObjectNode moduleOptions = SignatureParser.moduleOptions(program.moduleOptions(), violations);
        if (program.version() != null) {
            violations.add(new Violation("program.version", "applies to registered programs only"));
        }
        return violations.size() > size ? null
                : new ProgramSpec.AdHoc(signature, structured, module, program.instructions(), moduleOptions);
    }

    private static ObjectNode optionalInputs(JsonNode inputs, List<Violation> violations) {
        if (inputs == null || inputs.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!inputs.isObject()) {
            violations.add(new Violation("inputs", "must be a JSON object of input fields"));
            return null;
        }
        return (ObjectNode) inputs;
    }

    private static String version(JsonNode version, List<Violation> violations) {
        // No version means the tenant's promoted version (version 1, the program as defined, until one is promoted).
        if (version == null || version.isNull()) {
            return "promoted";
        }
        String text = version.isIntegralNumber() || version.isTextual() ? version.asText() : "";
        if (text.equals("latest") || text.equals("promoted") || text.matches(TaskRules.VERSION_NUMBER)) {
            return text;
        }
        violations.add(new Violation("program.version",
                "must be \"promoted\", \"latest\" or a positive version number"));
        return null;
    }

    private static ObjectNode inputs(JsonNode inputs, List<Violation> violations) {
        if (inputs == null) {
            violations.add(new Violation("inputs", "must not be null"));
            return null;
        }
        if (!inputs.isObject()) {
            violations.add(new Violation("inputs", "must be a JSON object of input fields"));
            return null;
        }
        if (inputs.isEmpty()) {
            violations.add(new Violation("inputs", "must name at least one input field"));
            return null;
        }
        for (Iterator<String> names = inputs.fieldNames(); names.hasNext();) {
            if (!TaskRules.notBlank(names.next())) {
                violations.add(new Violation("inputs", "field names must not be blank"));
                return null;
            }
        }
        return (ObjectNode) inputs;
    }

    private static ObjectNode options(JsonNode options, List<Violation> violations) {
        if (options == null || options.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!options.isObject()) {
            violations.add(new Violation("options", "must be a JSON object"));
            return null;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> option = it.next();
            JsonNode value = option.getValue();
            String field = "options." + option.getKey();
            switch (option.getKey()) {
                case "model" -> {
                    if (!value.isTextual() || value.asText().length() > TaskRules.MAX_MODEL_NAME
                            || !TaskRules.notBlank(value.asText())) {
                        violations.add(new Violation(field, "must be a model name"));
                    }
                }
                case "temperature" -> {
                    if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() > 2) {
                        violations.add(new Violation(field, "must be a number between 0 and 2"));
                    }
                }
                case "max_tokens" -> {
                    if (!value.isIntegralNumber() || value.asLong() < 1 || value.asLong() > TaskRules.MAX_TOKENS) {
                        violations.add(new Violation(field, "must be an integer between 1 and 1000000"));
                    }
                }
                default -> violations.add(new Violation(field, "is not a known option (" + String.join(", ",
                        OPTIONS.stream().sorted().toList()) + ")"));
            }
        }
        return (ObjectNode) options;
    }

    /** SHA-256 of the canonical request (keys sorted at every level), to recognise a retried submission. */
    private String hash(TaskKind kind, ProgramSpec program, ObjectNode inputs, ObjectNode options, ObjectNode spec) {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.put("kind", kind.wire());
        request.set("program", program.toJson());
        request.set("inputs", inputs);
        request.set("options", options);
        if (spec != null) {
            request.set("spec", spec);
        }
        try {
            Object tree = canonical.convertValue(request, Object.class);
            return Hashes.sha256Hex(canonical.writeValueAsString(tree));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalStateException("request did not serialize", e);
        }
    }

    private static String path(MismatchedInputException e) {
        StringBuilder path = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "task" : path.toString();
    }
}
