package io.dspysuite.orchestration.job;

import static io.dspysuite.orchestration.testing.TaskAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskAssertions;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;

/**
 * An absent DSPy service does not spend a task's attempts: calls that fail because the service is not there (a bare
 * UNAVAILABLE, as the transport reports a refused or lost connection; then the open circuit breaker) postpone the job
 * without counting its attempt, until the outage has lasted {@code dspy-suite.retry.unavailable-max-wait} (10 s in
 * tests), when the task fails DSPY_SERVICE_UNAVAILABLE. About 20 s.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class DspyOutageTest {

    /** What the transport says when nothing listens: no ErrorInfo, so the program never answered. */
    private static final FakeDspy.Behaviour REFUSED = FakeDspy
            .failBare(Status.UNAVAILABLE.withDescription("io exception: Connection refused"));

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @Inject
    CircuitBreakerMaintenance breakers;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "dspy-suite.retry.unavailable-max-wait")
    Duration maxWait;

    private KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        // The outages here may open the breaker; each test (and every later test class) starts with it closed.
        breakers.resetAll();
    }

    @AfterEach
    void disconnect() {
        kafka.close();
        breakers.resetAll();
    }

    @Test
    void aTaskOutlivesAnOutageLongerThanItsAttemptBudgetAndSucceedsWithOneAttemptCounted() {
        TaskRequested request = TaskRequests.predict("during an outage");
        String id = request.getTaskId();
        // Five refused calls: counted, they would have spent all five attempts of a prediction.
        FakeDspy.Behaviour[] script = new FakeDspy.Behaviour[6];
        java.util.Arrays.fill(script, REFUSED);
        script[5] = FakeDspy.answer();
        fake.script(id, script);

        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_SUCCEEDED);
        // QUEUED, five times RUNNING + QUEUED (postponed), RUNNING, result, SUCCEEDED; gap-free.
        assertThat(events).extracting(TaskEvent::getSeq)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L);
        assertThat(events.stream().filter(e -> e.hasStatus()
                && e.getStatus().getStatus() == TaskStatus.TASK_STATUS_RUNNING).map(e -> e.getStatus().getAttempt()))
                .containsExactly(1, 1, 1, 1, 1, 1);
        assertThat(events).noneMatch(TaskEvent::hasError);
        // Six calls, all as attempt 1: the outage spent none.
        assertThat(fake.calls(id)).extracting(ExecuteRequest::getAttempt).containsExactly(1, 1, 1, 1, 1, 1);

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getInteger("attempt")).isEqualTo(1);
        assertThat(job.getInteger("max_attempts")).isEqualTo(5);
        assertThat((JsonArray) job.getValue("attempts")).isEmpty();
    }

    @Test
    void aServiceAbsentBeyondTheLimitFailsTheTaskWithDspyServiceUnavailable() {
        TaskRequested request = TaskRequests.predict("nobody home");
        String id = request.getTaskId();
        // Refused for longer than the limit (about one call a second once the waits reach their 1 s cap).
        fake.script(id, Collections.nCopies(100, REFUSED).toArray(FakeDspy.Behaviour[]::new));

        Instant submitted = Instant.now();
        kafka.request(request);

        List<TaskEvent> events = KafkaTestClient.await().atMost(maxWait.plusSeconds(60))
                .until(() -> kafka.events(id), all -> all.stream().anyMatch(KafkaTestClient::isFinal));
        Duration took = Duration.between(submitted, Instant.now());
        TaskEvent error = events.get(events.size() - 2);
        assertThat(error.getError().getCode()).isEqualTo("DSPY_SERVICE_UNAVAILABLE");
        assertThat(error.getError().getMessage()).contains("unavailable-max-wait");
        assertThat(error.getError().getRetryable()).isTrue();
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_FAILED);
        assertThat(events.stream().filter(KafkaTestClient::isFinal)).hasSize(1);
        assertThat(took).isGreaterThanOrEqualTo(maxWait);
        // Many calls, all as attempt 1: only the last one, which met the limit, was counted.
        assertThat(fake.calls(id).size()).isGreaterThan(2);
        assertThat(fake.calls(id)).extracting(ExecuteRequest::getAttempt).containsOnly(1);

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("discarded");
        assertThat(job.getInteger("attempt")).isEqualTo(1);
        JsonArray attempts = (JsonArray) job.getValue("attempts");
        assertThat(attempts).hasSize(1);
        assertThat(((JsonObject) attempts.getValue(0)).getString("code")).isEqualTo("DSPY_SERVICE_UNAVAILABLE");
    }

    private Row job(String id) {
        return TaskAssertions.job(pool, id);
    }
}
