package io.dspysuite.gateway.task.service;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.task.model.ProgramSpec;
import io.dspysuite.gateway.task.model.SubmitTaskRequest;
import io.dspysuite.gateway.task.model.TaskKind;
import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.task.model.TaskSpecs;

/**
 * Checks the evaluate/optimize part of a submission (shapes and bounds only: optimizer and metric names are checked by
 * the DSPy service, which fails the task with INVALID_INPUTS) and builds the stored spec (see {@link TaskSpecs}).
 */
final class TaskSpecParser {

    static final int MAX_EXAMPLES = TaskRules.MAX_EXAMPLES;
    static final int MAX_EXAMPLE_BYTES = TaskRules.MAX_EXAMPLE_BYTES;
    static final int MAX_NAME_LENGTH = TaskRules.MAX_NAME_LENGTH;
    static final String TARGET_PROGRAM_PATTERN = TaskRules.TARGET_PROGRAM;
    private static final ObjectMapper SIZER = new ObjectMapper();

    private TaskSpecParser() {
    }

    /** @return the spec for evaluate/optimize, null for predict (or when the kind is invalid) */
    static ObjectNode spec(TaskKind kind, SubmitTaskRequest request, ProgramSpec program, List<Violation> violations) {
        if (kind == null) {
            return null;
        }
        return switch (kind) {
            case PREDICT -> {
                for (String field : present(request, "metric", "devset", "max_examples", "max_outcomes", "num_threads",
                        "optimizer", "params", "trainset", "target_program")) {
                    violations.add(new Violation(field, "applies to evaluate and optimize tasks only"));
                }
                yield null;
            }
            case EVALUATE -> evaluate(request, violations);
            case OPTIMIZE -> optimize(request, program, violations);
        };
    }

    private static ObjectNode evaluate(SubmitTaskRequest request, List<Violation> violations) {
        for (String field : present(request, "optimizer", "params", "trainset", "target_program")) {
            violations.add(new Violation(field, "applies to optimize tasks only"));
        }
        ObjectNode evaluate = JsonNodeFactory.instance.objectNode();
        metric(request.metric(), evaluate, violations);
        ArrayNode devset = examples(request.devset(), "devset", true, violations);
        if (devset != null) {
            evaluate.set("devset", devset);
        }
        bounded(request.maxExamples(), "max_examples", 0, MAX_EXAMPLES, evaluate, violations);
        bounded(request.maxOutcomes(), "max_outcomes", 0, MAX_EXAMPLES, evaluate, violations);
        bounded(request.numThreads(), "num_threads", 1, 16, evaluate, violations);
        ObjectNode spec = JsonNodeFactory.instance.objectNode();
        spec.set(TaskSpecs.EVALUATE, evaluate);
        return spec;
    }

    private static ObjectNode optimize(SubmitTaskRequest request, ProgramSpec program, List<Violation> violations) {
        for (String field : present(request, "max_examples", "max_outcomes", "num_threads")) {
            violations.add(new Violation(field, "applies to evaluate tasks only"));
        }
        ObjectNode optimize = JsonNodeFactory.instance.objectNode();
        String optimizer = request.optimizer();
        if (optimizer == null || !TaskRules.notBlank(optimizer)) {
            violations.add(new Violation("optimizer", "is required for optimize tasks (see GET /api/v1/catalog)"));
        } else if (optimizer.length() > MAX_NAME_LENGTH) {
            violations.add(new Violation("optimizer", "must be at most " + MAX_NAME_LENGTH + " characters"));
        } else {
            optimize.put("optimizer", optimizer.strip());
        }
        JsonNode params = request.params();
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                violations.add(new Violation("params", "must be a JSON object of optimizer parameters"));
            } else if (size(params) > MAX_EXAMPLE_BYTES) {
                violations.add(new Violation("params", "must be at most " + MAX_EXAMPLE_BYTES + " bytes"));
            } else {
                optimize.set("params", params);
            }
        }
        metric(request.metric(), optimize, violations);
        ArrayNode trainset = examples(request.trainset(), "trainset", true, violations);
        if (trainset != null) {
            optimize.set("trainset", trainset);
        }
        ArrayNode devset = examples(request.devset(), "devset", false, violations);
        if (devset != null) {
            optimize.set("devset", devset);
        }
        ObjectNode spec = JsonNodeFactory.instance.objectNode();
        spec.set(TaskSpecs.OPTIMIZE, optimize);
        String target = request.targetProgram();
        if (target != null) {
            if (!target.matches(TARGET_PROGRAM_PATTERN)) {
                violations.add(new Violation("target_program", "must match " + TARGET_PROGRAM_PATTERN));
            } else {
                spec.put(TaskSpecs.TARGET_PROGRAM, target);
            }
        } else if (program instanceof ProgramSpec.AdHoc) {
            violations.add(new Violation("target_program",
                    "is required when optimizing an ad-hoc program (the name its versions are stored under)"));
        }
        return spec;
    }

    private static void metric(String metric, ObjectNode into, List<Violation> violations) {
        if (metric == null) {
            return;
        }
        if (metric.length() > MAX_NAME_LENGTH || !TaskRules.notBlank(metric)) {
            violations.add(new Violation("metric", "must be a metric name (see GET /api/v1/catalog)"));
        } else {
            into.put("metric", metric.strip());
        }
    }

    private static ArrayNode examples(JsonNode examples, String field, boolean required, List<Violation> violations) {
        if (examples == null || examples.isNull()) {
            if (required) {
                violations.add(new Violation(field, "is required: an array of 1.." + MAX_EXAMPLES + " examples"));
            }
            return null;
        }
        if (!examples.isArray() || examples.isEmpty() || examples.size() > MAX_EXAMPLES) {
            violations.add(new Violation(field, "must be an array of 1.." + MAX_EXAMPLES + " examples"));
            return null;
        }
        for (int i = 0; i < examples.size(); i++) {
            JsonNode example = examples.get(i);
            if (!example.isObject() || example.isEmpty()) {
                violations.add(new Violation(field + "[" + i + "]",
                        "must be a non-empty object of input and label fields"));
                return null;
            }
            if (size(example) > MAX_EXAMPLE_BYTES) {
                violations.add(new Violation(field + "[" + i + "]", "must be at most " + MAX_EXAMPLE_BYTES
                        + " bytes of JSON"));
                return null;
            }
        }
        return (ArrayNode) examples;
    }

    private static void bounded(JsonNode value, String field, int min, int max, ObjectNode into,
            List<Violation> violations) {
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
            violations.add(new Violation(field, "must be an integer between " + min + " and " + max));
        } else {
            into.put(field, value.asInt());
        }
    }

    private static int size(JsonNode node) {
        try {
            return SIZER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static List<String> present(SubmitTaskRequest request, String... fields) {
        return java.util.Arrays.stream(fields).filter(field -> switch (field) {
            case "metric" -> request.metric() != null;
            case "devset" -> set(request.devset());
            case "max_examples" -> set(request.maxExamples());
            case "max_outcomes" -> set(request.maxOutcomes());
            case "num_threads" -> set(request.numThreads());
            case "optimizer" -> request.optimizer() != null;
            case "params" -> set(request.params());
            case "trainset" -> set(request.trainset());
            case "target_program" -> request.targetProgram() != null;
            default -> false;
        }).toList();
    }

    private static boolean set(JsonNode node) {
        return node != null && !node.isNull();
    }
}
