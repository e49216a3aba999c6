package io.dspysuite.orchestration.job;

import static io.dspysuite.orchestration.testing.KafkaTestClient.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ModuleOptions;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The per-attempt timeout of DSPy calls, per kind ({@code dspy-suite.kinds.predict.timeout}, 1 s here, following the
 * older {@code dspy-suite.dspy.timeout-seconds}), with a single attempt so that the timeout ends the task.
 */
@QuarkusTest
@TestProfile(DspyTimeoutTest.OneSecondTimeout.class)
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class DspyTimeoutTest {

    public static class OneSecondTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dspy-suite.dspy.timeout-seconds", "1", "dspy-suite.kinds.predict.max-attempts", "1");
        }
    }

    @Inject
    FakeDspy fake;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void callThatOutlivesItsTimeoutFailsAsDeadlineExceededAndIsCancelled() {
        TaskRequested request = TaskRequests.predict("never answered");
        String id = request.getTaskId();
        fake.script(id, FakeDspy.answerWhen(new CompletableFuture<>()));

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.request(request);

            List<TaskEvent> events = kafka.awaitEvents(id, 4);
            assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L);
            assertThat(events.get(2).getError().getCode()).isEqualTo("DEADLINE_EXCEEDED");
            assertThat(events.get(2).getError().getRetryable()).isTrue();
            assertThat(events.get(3).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_FAILED);
        }
        // No call-level retry; the job had a single attempt...
        assertThat(fake.calls(id)).hasSize(1);
        // ...and the call was cancelled at the service by its gRPC deadline (the timeout).
        await().atMost(Duration.ofSeconds(4)).until(() -> fake.cancellations(id) == 1);
    }

    @Test
    void aServiceThatSendsNothingBeforeTheDeadlineSpendsNoAttempt() {
        TaskRequested request = TaskRequests.predict("asked of a stopped process");
        String id = request.getTaskId();
        // A stopped (SIGSTOP) or hung service: not even the status update a starting program sends. Twice, then it
        // is back. The job has a single attempt, which these deadlines do not spend.
        fake.script(id, FakeDspy.silent(), FakeDspy.silent(), FakeDspy.answer());

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.request(request);

            List<TaskEvent> events = kafka.awaitFinal(id);
            assertThat(events.get(events.size() - 1).getStatus().getStatus())
                    .isEqualTo(TaskStatus.TASK_STATUS_SUCCEEDED);
            assertThat(events).noneMatch(TaskEvent::hasError);
        }
        assertThat(fake.calls(id)).extracting(ExecuteRequest::getAttempt).containsExactly(1, 1, 1);
    }

    @Test
    void interactiveCallWithJavaToolsHasTheSameDeadline() {
        TaskRequested request = TaskRequests.builder(TaskKind.TASK_KIND_PREDICT, "never answered either")
                .setProgram(ProgramSpec.newBuilder().setAdHoc(AdHocProgram.newBuilder().setSignature("question -> answer")
                        .setModule("react").setModuleOptions(ModuleOptions.newBuilder().addTools("unit_convert"))))
                .build();
        String id = request.getTaskId();
        fake.scriptInteractive(id, FakeDspy.ignoringTools(FakeDspy.holdOpen()));

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.request(request);

            List<TaskEvent> events = kafka.awaitEvents(id, 4);
            assertThat(events.get(2).getError().getCode()).isEqualTo("DEADLINE_EXCEEDED");
            assertThat(events.get(2).getError().getRetryable()).isTrue();
            assertThat(events.get(3).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_FAILED);
        }
        assertThat(fake.interactiveCalls(id)).hasSize(1);
        await().atMost(Duration.ofSeconds(4)).until(() -> fake.cancellations(id) == 1);
    }
}
