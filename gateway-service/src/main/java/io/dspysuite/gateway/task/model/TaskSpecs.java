package io.dspysuite.gateway.task.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.json.Structs;
import io.dspysuite.protos.dspy.v1.EvaluateSpec;
import io.dspysuite.protos.dspy.v1.OptimizeSpec;
import io.dspysuite.protos.events.v1.TaskRequested;

/**
 * The stored spec of an evaluate or optimize task (column {@code gateway.tasks.spec}), as validated by the parser:
 * <ul>
 * <li>{@code {"evaluate": {"metric", "devset": [...], "max_examples", "max_outcomes", "num_threads"}}}</li>
 * <li>{@code {"optimize": {"optimizer", "params": {...}, "metric", "trainset": [...], "devset": [...]},
 * "target_program"}}</li>
 * </ul>
 */
public final class TaskSpecs {

    public static final String EVALUATE = "evaluate";
    public static final String OPTIMIZE = "optimize";
    public static final String TARGET_PROGRAM = "target_program";

    private TaskSpecs() {
    }

    /** Sets {@code evaluate} / {@code optimize} / {@code target_program} of the request from the stored spec. */
    public static void apply(ObjectNode spec, TaskRequested.Builder request) {
        if (spec == null) {
            return;
        }
        if (spec.get(EVALUATE) instanceof ObjectNode evaluate) {
            EvaluateSpec.Builder proto = EvaluateSpec.newBuilder();
            if (evaluate.hasNonNull("metric")) {
                proto.setMetric(evaluate.get("metric").asText());
            }
            evaluate.path("devset").forEach(example -> proto.addDevset(Structs.toStruct((ObjectNode) example)));
            proto.setMaxExamples(evaluate.path("max_examples").asInt(0));
            proto.setMaxOutcomes(evaluate.path("max_outcomes").asInt(0));
            proto.setNumThreads(evaluate.path("num_threads").asInt(0));
            request.setEvaluate(proto);
        }
        if (spec.get(OPTIMIZE) instanceof ObjectNode optimize) {
            OptimizeSpec.Builder proto = OptimizeSpec.newBuilder().setOptimizer(optimize.path("optimizer").asText());
            if (optimize.get("params") instanceof ObjectNode params) {
                proto.setParams(Structs.toStruct(params));
            }
            if (optimize.hasNonNull("metric")) {
                proto.setMetric(optimize.get("metric").asText());
            }
            optimize.path("trainset").forEach(example -> proto.addTrainset(Structs.toStruct((ObjectNode) example)));
            optimize.path("devset").forEach(example -> proto.addDevset(Structs.toStruct((ObjectNode) example)));
            request.setOptimize(proto);
        }
        JsonNode target = spec.get(TARGET_PROGRAM);
        if (target != null && target.isTextual()) {
            request.setTargetProgram(target.asText());
        }
    }
}
