package io.dspysuite.orchestration.job.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.orchestration.dspy.client.ExecuteRequests;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.NewJob;
import io.dspysuite.orchestration.job.worker.KindsConfig;
import io.dspysuite.orchestration.job.worker.QueuesConfig;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskRequested;

class NewJobFactoryTest {

    private record Settings(int concurrency, Duration lease, int priority) implements QueuesConfig.Queue {
    }

    private record Kind(int maxAttempts, Duration timeout) implements KindsConfig.Kind {
    }

    private final NewJobFactory factory = new NewJobFactory(
            () -> Map.of(
                    "interactive", new Settings(4, Duration.ofMinutes(1), 0),
                    "batch", new Settings(2, Duration.ofMinutes(1), 5),
                    "optimize", new Settings(1, Duration.ofMinutes(1), 9)),
            () -> Map.of(
                    "predict", new Kind(5, Duration.ofSeconds(30)),
                    "evaluate", new Kind(2, Duration.ofMinutes(30)),
                    "optimize", new Kind(3, Duration.ofHours(4))));

    @Test
    void kindsGoToTheirQueuesWithTheQueuesPriorityAndTheKindsAttempts() {
        NewJob predict = factory.create(request(TaskKind.TASK_KIND_PREDICT), null);
        assertThat(predict.queue()).isEqualTo(JobQueue.INTERACTIVE);
        assertThat(predict.maxAttempts()).isEqualTo(5);
        NewJob batch = factory.create(request(TaskKind.TASK_KIND_EVALUATE), null);
        assertThat(batch.queue()).isEqualTo(JobQueue.BATCH);
        assertThat(batch.maxAttempts()).isEqualTo(2);
        assertThat(batch.priority()).isEqualTo(5);
        assertThat(factory.create(request(TaskKind.TASK_KIND_OPTIMIZE), null).queue()).isEqualTo(JobQueue.OPTIMIZE);
    }

    @Test
    void keepsIdTenantRequestAndTraceParent() {
        TaskRequested request = request(TaskKind.TASK_KIND_PREDICT);

        NewJob job = factory.create(request, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        assertThat(job.id()).isEqualTo(UUID.fromString(request.getTaskId()));
        assertThat(job.tenantId()).isEqualTo("tenant-a");
        assertThat(job.request()).isEqualTo(request);
        assertThat(job.traceParent()).startsWith("00-4bf9");
    }

    @Test
    void rejectsWhatCanNeverBecomeAJob() {
        assertThatThrownBy(() -> factory.create(request(TaskKind.TASK_KIND_PREDICT).toBuilder().setTaskId("t-1").build(),
                null)).isInstanceOf(InvalidTaskRequestException.class).hasMessageContaining("UUID");
        assertThatThrownBy(() -> factory.create(
                request(TaskKind.TASK_KIND_PREDICT).toBuilder().setTaskId("1-2-3-4-5").build(), null))
                .isInstanceOf(InvalidTaskRequestException.class);
        assertThatThrownBy(() -> factory.create(request(TaskKind.TASK_KIND_PREDICT).toBuilder().setTenantId(" ").build(),
                null)).isInstanceOf(InvalidTaskRequestException.class).hasMessageContaining("tenant");
        assertThatThrownBy(() -> factory.create(request(TaskKind.TASK_KIND_UNSPECIFIED), null))
                .isInstanceOf(InvalidTaskRequestException.class).hasMessageContaining("kind");
        assertThatThrownBy(() -> factory.create(null, null)).isInstanceOf(InvalidTaskRequestException.class);
    }

    @Test
    void executeRequestCarriesTheWholeTaskAndTheAttempt() {
        TaskRequested request = request(TaskKind.TASK_KIND_PREDICT);

        ExecuteRequest call = ExecuteRequests.forAttempt(request, 2);

        assertThat(call.getTaskId()).isEqualTo(request.getTaskId());
        assertThat(call.getKind()).isEqualTo(TaskKind.TASK_KIND_PREDICT);
        assertThat(call.getProgram()).isEqualTo(request.getProgram());
        assertThat(call.getInputs()).isEqualTo(request.getInputs());
        assertThat(call.getOptions()).isEqualTo(request.getOptions());
        assertThat(call.getAttempt()).isEqualTo(2);
    }

    private static TaskRequested request(TaskKind kind) {
        return io.dspysuite.orchestration.testing.TaskRequests.builder(kind, "what is 2+2?").setTenantId("tenant-a").build();
    }
}
