package io.dspysuite.orchestration.program.service;

import java.util.UUID;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import io.dspysuite.orchestration.program.model.ResolvedProgram;
import io.dspysuite.protos.dspy.v1.OptimizationResult;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.vertx.core.json.JsonObject;

/** The metadata stored with a compiled version ({@code program_versions.metadata}, snake_case keys). */
public final class VersionMetadata {

    private VersionMetadata() {
    }

    public static JsonObject of(TaskResult result, ResolvedProgram base, UUID taskId) {
        OptimizationResult o = result.getOptimization();
        return new JsonObject()
                .put("optimizer", o.getOptimizer())
                .put("params", params(o))
                .put("metric", o.getMetric())
                .put("dataset_hash", o.getDatasetHash())
                .put("score_before", o.getScoreBefore())
                .put("score_after", o.getScoreAfter())
                .put("demos_count", o.getDemosCount())
                .put("trainset_size", o.getTrainsetSize())
                .put("devset_size", o.getDevsetSize())
                .put("compile_seconds", o.getCompileSeconds())
                // The version the optimization started from (0 = an ad-hoc program).
                .put("base_version", base.version())
                .put("task_id", taskId.toString())
                .put("model", result.getModel());
    }

    private static JsonObject params(OptimizationResult o) {
        try {
            return new JsonObject(JsonFormat.printer().omittingInsignificantWhitespace().print(o.getParams()));
        } catch (InvalidProtocolBufferException e) {
            return new JsonObject();
        }
    }
}
