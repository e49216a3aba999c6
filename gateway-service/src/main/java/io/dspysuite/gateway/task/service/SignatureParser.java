package io.dspysuite.gateway.task.service;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.task.model.TaskRules;

/**
 * Shape checks of the structured signature ({@code {"inputs":[field...],"outputs":[field...],"instructions"}}, field =
 * {@code {"name","type","description","enum_values"}}) and of {@code module_options}; returns normalised copies holding
 * only the known keys. Whether a module reads an option, and module-specific ranges, are left to the DSPy service.
 */
final class SignatureParser {

    static final int MAX_FIELDS = TaskRules.MAX_FIELDS;
    static final int MAX_DESCRIPTION_LENGTH = TaskRules.MAX_DESCRIPTION_LENGTH;
    static final int MAX_INSTRUCTIONS = TaskRules.MAX_INSTRUCTIONS;
    static final int MAX_ENUM_VALUES = TaskRules.MAX_ENUM_VALUES;
    static final int MAX_TOOLS = TaskRules.MAX_TOOLS;
    static final Set<String> TYPES = Set.of("str", "int", "float", "bool", "list[str]", "list[int]", "list[float]",
            "list[bool]", "enum");
    private static final String IDENTIFIER = TaskRules.IDENTIFIER;

    private SignatureParser() {
    }

    static ObjectNode structured(ObjectNode json, List<Violation> violations) {
        String at = "program.signature";
        int size = violations.size();
        unknownKeys(json, Set.of("inputs", "outputs", "instructions"), at, violations);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        Set<String> names = new HashSet<>();
        out.set("inputs", fields(json.get("inputs"), at + ".inputs", names, violations));
        out.set("outputs", fields(json.get("outputs"), at + ".outputs", names, violations));
        JsonNode instructions = json.get("instructions");
        if (instructions != null && !instructions.isNull()) {
            if (!instructions.isTextual() || instructions.asText().length() > MAX_INSTRUCTIONS) {
                violations.add(new Violation(at + ".instructions", "must be a string of at most " + MAX_INSTRUCTIONS
                        + " characters"));
            } else {
                out.put("instructions", instructions.asText());
            }
        }
        return violations.size() > size ? null : out;
    }

    private static ArrayNode fields(JsonNode fields, String at, Set<String> names, List<Violation> violations) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        if (fields == null || !fields.isArray() || fields.isEmpty() || fields.size() > MAX_FIELDS) {
            violations.add(new Violation(at, "must be an array of 1.." + MAX_FIELDS + " fields"));
            return out;
        }
        for (int i = 0; i < fields.size(); i++) {
            String fieldAt = at + "[" + i + "]";
            JsonNode field = fields.get(i);
            if (!field.isObject()) {
                violations.add(new Violation(fieldAt, "must be an object {name, type, description, enum_values}"));
                continue;
            }
            unknownKeys((ObjectNode) field, Set.of("name", "type", "description", "enum_values"), fieldAt, violations);
            ObjectNode normalised = out.addObject();
            JsonNode name = field.get("name");
            if (name == null || !name.isTextual() || !name.asText().matches(IDENTIFIER)) {
                violations.add(new Violation(fieldAt + ".name",
                        "must be an identifier (letter, then letters, digits, _; at most 64)"));
            } else if (!names.add(name.asText())) {
                violations.add(new Violation(fieldAt + ".name", "is used twice in the signature"));
            } else {
                normalised.put("name", name.asText());
            }
            String type = "str";
            JsonNode typeNode = field.get("type");
            if (typeNode != null && !typeNode.isNull()) {
                if (!typeNode.isTextual() || !TYPES.contains(typeNode.asText())) {
                    violations.add(new Violation(fieldAt + ".type", "must be one of " + String.join(", ",
                            TYPES.stream().sorted().toList())));
                } else {
                    type = typeNode.asText();
                }
            }
            normalised.put("type", type);
            JsonNode description = field.get("description");
            if (description != null && !description.isNull()) {
                // Code points, as JSON Schema counts: 256 of them stay within the DSPy service's 1 KiB.
                if (!description.isTextual() || description.asText().codePointCount(0,
                        description.asText().length()) > MAX_DESCRIPTION_LENGTH) {
                    violations.add(new Violation(fieldAt + ".description", "must be a string of at most "
                            + MAX_DESCRIPTION_LENGTH + " characters"));
                } else {
                    normalised.put("description", description.asText());
                }
            }
            JsonNode values = field.get("enum_values");
            boolean hasValues = values != null && !values.isNull() && !(values.isArray() && values.isEmpty());
            if (type.equals("enum")) {
                ArrayNode labels = enumValues(values, fieldAt + ".enum_values", violations);
                if (labels != null) {
                    normalised.set("enum_values", labels);
                }
            } else if (hasValues) {
                violations.add(new Violation(fieldAt + ".enum_values", "applies to fields of type enum only"));
            }
        }
        return out;
    }

    private static ArrayNode enumValues(JsonNode values, String at, List<Violation> violations) {
        String rule = "must be 1.." + MAX_ENUM_VALUES + " distinct non-empty single-line strings";
        if (values == null || !values.isArray() || values.isEmpty() || values.size() > MAX_ENUM_VALUES) {
            violations.add(new Violation(at, rule));
            return null;
        }
        Set<String> seen = new HashSet<>();
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (JsonNode value : values) {
            String text = value.isTextual() ? value.asText() : "";
            if (text.length() > TaskRules.MAX_ENUM_VALUE_LENGTH || !TaskRules.enumValue(text)
                    || !seen.add(text)) {
                violations.add(new Violation(at, rule));
                return null;
            }
            out.add(text);
        }
        return out;
    }

    static ObjectNode moduleOptions(JsonNode options, List<Violation> violations) {
        if (options == null || options.isNull()) {
            return null;
        }
        String at = "program.module_options";
        if (!options.isObject()) {
            violations.add(new Violation(at, "must be an object {n, tools, max_iters, threshold}"));
            return null;
        }
        int size = violations.size();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> option = it.next();
            JsonNode value = option.getValue();
            String field = at + "." + option.getKey();
            switch (option.getKey()) {
                case "n" -> integer(value, 1, 8, field, violations, out, "n");
                case "max_iters" -> integer(value, 1, 10, field, violations, out, "max_iters");
                case "threshold" -> {
                    if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() > 1) {
                        violations.add(new Violation(field, "must be a number between 0 and 1"));
                    } else {
                        out.put("threshold", value.asDouble());
                    }
                }
                case "tools" -> {
                    boolean ok = value.isArray() && value.size() <= MAX_TOOLS;
                    Set<String> seen = new HashSet<>();
                    if (ok) {
                        for (JsonNode tool : value) {
                            ok &= tool.isTextual() && tool.asText().matches(IDENTIFIER) && seen.add(tool.asText());
                        }
                    }
                    if (!ok) {
                        violations.add(new Violation(field, "must be an array of at most " + MAX_TOOLS
                                + " distinct tool names"));
                    } else {
                        out.set("tools", value);
                    }
                }
                default -> violations.add(new Violation(field,
                        "is not a known module option (n, tools, max_iters, threshold)"));
            }
        }
        return violations.size() > size ? null : out;
    }

    private static void integer(JsonNode value, int min, int max, String field, List<Violation> violations,
            ObjectNode out, String key) {
        if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
            violations.add(new Violation(field, "must be an integer between " + min + " and " + max));
        } else {
            out.put(key, value.asInt());
        }
    }

    static void unknownKeys(ObjectNode json, Set<String> known, String at, List<Violation> violations) {
        json.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                violations.add(new Violation(at + "." + name, "is not a known key ("
                        + String.join(", ", known.stream().sorted().toList()) + ")"));
            }
        });
    }
}
