package io.dspysuite.gateway.task.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.task.model.EventType;
import io.dspysuite.protos.dspy.v1.Usage;
import io.dspysuite.protos.events.v1.Progress;
import io.dspysuite.protos.events.v1.Result;
import io.dspysuite.protos.events.v1.TaskEvent;

class TaskEventMapperTest {

    private static final String TASK = UUID.randomUUID().toString();

    @Test
    void progressKeepsPhaseStepsAndScoresForTheOptimizationView() {
        TaskEvent event = TaskEvent.newBuilder().setTaskId(TASK).setSeq(5)
                .setProgress(Progress.newBuilder().setFraction(0.5).setMessage("bootstrapping").setPhase("bootstrapping")
                        .setStep(3).setTotal(6).setBestScore(66.7))
                .build();

        ObjectNode data = TaskEventMapper.map(event).orElseThrow().data();

        assertThat(TaskEventMapper.map(event).orElseThrow().type()).isEqualTo(EventType.PROGRESS);
        assertThat(data.path("phase").asText()).isEqualTo("bootstrapping");
        assertThat(data.path("step").asLong()).isEqualTo(3);
        assertThat(data.path("total").asLong()).isEqualTo(6);
        assertThat(data.path("best_score").asDouble()).isEqualTo(66.7);
        assertThat(data.has("current_score")).as("an unset score stays absent, not 0").isFalse();
    }

    @Test
    void resultUsageCountsReplayedCalls() {
        TaskEvent event = TaskEvent.newBuilder().setTaskId(TASK).setSeq(9)
                .setResult(Result.newBuilder().setModel("m")
                        .setUsage(Usage.newBuilder().setInputTokens(10).setOutputTokens(2).setLmCalls(5)
                                .setLmCallsReplayed(4)))
                .build();

        ObjectNode usage = (ObjectNode) TaskEventMapper.map(event).orElseThrow().data().path("usage");

        assertThat(usage.path("lm_calls").asLong()).isEqualTo(5);
        assertThat(usage.path("lm_calls_replayed").asLong()).isEqualTo(4);
    }
}
