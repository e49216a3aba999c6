package io.dspysuite.orchestration.event.publish;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

import io.dspysuite.protos.dspy.v1.EvaluationResult;
import io.dspysuite.protos.dspy.v1.ExampleOutcome;
import io.dspysuite.protos.dspy.v1.OptimizationResult;

/**
 * The structured results of evaluations and optimizations as {@code events.v1.Result.outputs} (a Struct, snake_case
 * keys), since the event's Result carries only outputs, usage and model:
 * <ul>
 * <li>evaluate: {@code {score, metric, total, failed, outcomes: [{index, outputs, score, error?}],
 * outcomes_truncated}} (score in percent 0..100, per-example scores 0..1);</li>
 * <li>optimize: {@code {program, version, base_version, optimizer, params, metric, score_before, score_after,
 * dataset_hash, demos_count, trainset_size, devset_size, compile_seconds}} — the DSPy state itself stays in the
 * program registry (it can be large); {@code base_version} is 0 when an ad-hoc program was optimized.</li>
 * </ul>
 */
public final class TaskResults {

    private TaskResults() {
    }

    public static Struct evaluationOutputs(EvaluationResult evaluation) {
        ListValue.Builder outcomes = ListValue.newBuilder();
        for (ExampleOutcome outcome : evaluation.getOutcomesList()) {
            Struct.Builder item = Struct.newBuilder()
                    .putFields("index", number(outcome.getIndex()))
                    .putFields("outputs", Value.newBuilder().setStructValue(outcome.getOutputs()).build())
                    .putFields("score", number(outcome.getScore()));
            if (!outcome.getError().isEmpty()) {
                item.putFields("error", text(outcome.getError()));
            }
            outcomes.addValues(Value.newBuilder().setStructValue(item));
        }
        return Struct.newBuilder()
                .putFields("score", number(evaluation.getScore()))
                .putFields("metric", text(evaluation.getMetric()))
                .putFields("total", number(evaluation.getTotal()))
                .putFields("failed", number(evaluation.getFailed()))
                .putFields("outcomes", Value.newBuilder().setListValue(outcomes).build())
                .putFields("outcomes_truncated", Value.newBuilder().setBoolValue(evaluation.getOutcomesTruncated())
                        .build())
                .build();
    }

    public static Struct optimizationOutputs(OptimizationResult optimization, String program, int version,
            int baseVersion) {
        return Struct.newBuilder()
                .putFields("program", text(program))
                .putFields("version", number(version))
                .putFields("base_version", number(baseVersion))
                .putFields("optimizer", text(optimization.getOptimizer()))
                .putFields("params", optimization.hasParams()
                        ? Value.newBuilder().setStructValue(optimization.getParams()).build()
                        : Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())
                .putFields("metric", text(optimization.getMetric()))
                .putFields("score_before", number(optimization.getScoreBefore()))
                .putFields("score_after", number(optimization.getScoreAfter()))
                .putFields("dataset_hash", optimization.getDatasetHash().isEmpty()
                        ? Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build()
                        : text(optimization.getDatasetHash()))
                .putFields("demos_count", number(optimization.getDemosCount()))
                .putFields("trainset_size", number(optimization.getTrainsetSize()))
                .putFields("devset_size", number(optimization.getDevsetSize()))
                .putFields("compile_seconds", number(optimization.getCompileSeconds()))
                .build();
    }

    /** {@code base} with {@code extra}'s fields added (extra wins on a clash). */
    public static Struct merge(Struct base, Struct extra) {
        return base.toBuilder().putAllFields(extra.getFieldsMap()).build();
    }

    private static Value number(double value) {
        return Value.newBuilder().setNumberValue(value).build();
    }

    private static Value text(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }
}
