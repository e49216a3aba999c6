package io.dspysuite.orchestration.event.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;

import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.protos.dspy.v1.EvaluationResult;
import io.dspysuite.protos.dspy.v1.ExampleOutcome;
import io.dspysuite.protos.dspy.v1.OptimizationResult;
import io.dspysuite.protos.dspy.v1.ProgressUpdate;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.dspysuite.protos.dspy.v1.Usage;
import io.dspysuite.protos.events.v1.Progress;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskStatus;

class TaskEventsTest {

    private static final Instant NOW = Instant.parse("2026-11-05T10:15:30.123456789Z");
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final TaskRef TASK = TaskRef.of("7b0f6f0e-1c55-4e7a-9d8e-3a1c2b4d5e6f", "tenant-a",
            "00-" + TRACE_ID + "-00f067aa0ba902b7-01");

    private final TaskEvents events = new TaskEvents(Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void queuedCarriesTaskTenantTraceAndTime() {
        TaskEvent event = events.queued(TASK);

        // The seq is allotted by the store and stamped on by the relay.
        assertThat(event.getSeq()).isZero();
        assertThat(TaskEvents.withSeq(event, 1).getSeq()).isEqualTo(1);
        assertThat(event.getTaskId()).isEqualTo(TASK.taskId());
        assertThat(event.getTenantId()).isEqualTo("tenant-a");
        assertThat(event.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(event.getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_QUEUED);
        assertThat(event.getStatus().getAttempt()).isZero();
        assertThat(event.getOccurredAt().getSeconds()).isEqualTo(NOW.getEpochSecond());
        assertThat(event.getOccurredAt().getNanos()).isEqualTo(NOW.getNano());
    }

    @Test
    void runningCarriesTheAttempt() {
        TaskEvent event = events.running(TASK, 3);

        assertThat(event.getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_RUNNING);
        assertThat(event.getStatus().getAttempt()).isEqualTo(3);
    }

    @Test
    void resultCopiesOutputsUsageAndModel() {
        TaskResult result = TaskResult.newBuilder()
                .setOutputs(Struct.newBuilder().putFields("answer", Value.newBuilder().setStringValue("4").build()))
                .setUsage(Usage.newBuilder().setInputTokens(12).setOutputTokens(3).setLmCalls(1))
                .setModel("smollm2-135m")
                .build();

        TaskEvent event = events.result(TASK, result);

        assertThat(event.getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.RESULT);
        assertThat(event.getResult().getOutputs()).isEqualTo(result.getOutputs());
        assertThat(event.getResult().getUsage()).isEqualTo(result.getUsage());
        assertThat(event.getResult().getModel()).isEqualTo("smollm2-135m");
    }

    @Test
    void errorCarriesCodeMessageAndRetryability() {
        TaskEvent event = events.error(TASK, new JobError("INVALID_SIGNATURE", "cannot parse", false));

        assertThat(event.getError().getCode()).isEqualTo("INVALID_SIGNATURE");
        assertThat(event.getError().getMessage()).isEqualTo("cannot parse");
        assertThat(event.getError().getRetryable()).isFalse();
    }

    @Test
    void finalStatuses() {
        assertThat(events.succeeded(TASK).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_SUCCEEDED);
        assertThat(events.failed(TASK).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_FAILED);
        assertThat(events.cancelled(TASK).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_CANCELLED);
    }

    @Test
    void seqsStartAtOne() {
        assertThatThrownBy(() -> TaskEvents.withSeq(events.succeeded(TASK), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void progressCarriesPhaseStepsAndScoresAsFields() {
        TaskEvent event = events.progress(TASK, ProgressUpdate.newBuilder().setFraction(0.3).setPhase("trial")
                .setStep(3).setTotal(10).setBestScore(82.5).setMessage("candidate 3").build());

        assertThat(event.getProgress().getFraction()).isEqualTo(0.3);
        assertThat(event.getProgress().getMessage()).isEqualTo("candidate 3");
        assertThat(event.getProgress().getPhase()).isEqualTo("trial");
        assertThat(event.getProgress().getStep()).isEqualTo(3);
        assertThat(event.getProgress().getTotal()).isEqualTo(10);
        assertThat(event.getProgress().hasCurrentScore()).isFalse();
        assertThat(event.getProgress().getBestScore()).isEqualTo(82.5);
        Progress plain = events.progress(TASK, ProgressUpdate.newBuilder().setMessage("halfway").build()).getProgress();
        assertThat(plain.getMessage()).isEqualTo("halfway");
        assertThat(plain.getPhase()).isEmpty();
        assertThat(plain.hasBestScore()).isFalse();
    }

    @Test
    void evaluationResultTravelsInTheOutputs() {
        TaskResult result = TaskResult.newBuilder().setModel("m").setEvaluation(EvaluationResult.newBuilder()
                .setScore(66.7).setMetric("exact_match").setTotal(3).setFailed(1).setOutcomesTruncated(true)
                .addOutcomes(ExampleOutcome.newBuilder().setIndex(0).setScore(1)
                        .setOutputs(Struct.newBuilder().putFields("answer", Value.newBuilder().setStringValue("4")
                                .build())))
                .addOutcomes(ExampleOutcome.newBuilder().setIndex(2).setError("OUTPUT_PARSE_FAILED")))
                .build();

        Struct outputs = events.result(TASK, result).getResult().getOutputs();

        assertThat(outputs.getFieldsOrThrow("score").getNumberValue()).isEqualTo(66.7);
        assertThat(outputs.getFieldsOrThrow("metric").getStringValue()).isEqualTo("exact_match");
        assertThat(outputs.getFieldsOrThrow("total").getNumberValue()).isEqualTo(3);
        assertThat(outputs.getFieldsOrThrow("failed").getNumberValue()).isEqualTo(1);
        assertThat(outputs.getFieldsOrThrow("outcomes_truncated").getBoolValue()).isTrue();
        List<Value> outcomes = outputs.getFieldsOrThrow("outcomes").getListValue().getValuesList();
        assertThat(outcomes).hasSize(2);
        assertThat(outcomes.get(0).getStructValue().getFieldsOrThrow("outputs").getStructValue()
                .getFieldsOrThrow("answer").getStringValue()).isEqualTo("4");
        assertThat(outcomes.get(0).getStructValue().containsFields("error")).isFalse();
        assertThat(outcomes.get(1).getStructValue().getFieldsOrThrow("error").getStringValue())
                .isEqualTo("OUTPUT_PARSE_FAILED");
    }

    @Test
    void optimizationResultNamesTheVersionWithoutTheState() {
        TaskResult result = TaskResult.newBuilder().setModel("m").setOptimization(OptimizationResult.newBuilder()
                .setProgramStateJson("{\"predict\": {\"demos\": []}}").setOptimizer("bootstrap_few_shot")
                .setMetric("exact_match").setScoreBefore(40).setScoreAfter(80).setDatasetHash("sha256:ab")
                .setDemosCount(4).setTrainsetSize(8).setDevsetSize(4).setCompileSeconds(1.5)
                .setParams(Struct.newBuilder().putFields("max_rounds", Value.newBuilder().setNumberValue(1).build())))
                .build();

        Struct outputs = events.optimized(TASK, result, "faq", 2, 1).getResult().getOutputs();

        assertThat(outputs.getFieldsOrThrow("program").getStringValue()).isEqualTo("faq");
        assertThat(outputs.getFieldsOrThrow("version").getNumberValue()).isEqualTo(2);
        assertThat(outputs.getFieldsOrThrow("base_version").getNumberValue()).isEqualTo(1);
        assertThat(outputs.getFieldsOrThrow("score_before").getNumberValue()).isEqualTo(40);
        assertThat(outputs.getFieldsOrThrow("score_after").getNumberValue()).isEqualTo(80);
        assertThat(outputs.getFieldsOrThrow("params").getStructValue().getFieldsOrThrow("max_rounds")
                .getNumberValue()).isEqualTo(1);
        assertThat(outputs.getFieldsOrThrow("demos_count").getNumberValue()).isEqualTo(4);
        assertThat(outputs.getFieldsOrThrow("dataset_hash").getStringValue()).isEqualTo("sha256:ab");
        assertThat(outputs.containsFields("program_state_json")).isFalse();
    }

    @Test
    void chunkCarriesFieldAndText() {
        TaskEvent event = events.chunk(TASK, "answer", "Par");

        assertThat(event.getChunk().getField()).isEqualTo("answer");
        assertThat(event.getChunk().getText()).isEqualTo("Par");
    }

    @Test
    void traceIdIsEmptyWithoutValidTraceContext() {
        assertThat(TraceParents.traceId(null)).isEmpty();
        assertThat(TraceParents.traceId("garbage")).isEmpty();
        assertThat(TraceParents.traceId("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01")).isEmpty();
        assertThat(TraceParents.traceId("00-" + TRACE_ID + "-00f067aa0ba902b7-01")).isEqualTo(TRACE_ID);
        assertThat(events.queued(TaskRef.of("id", "t", null)).getTraceId()).isEmpty();
    }
}
