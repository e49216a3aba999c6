package io.dspysuite.orchestration.job;

import static io.dspysuite.orchestration.testing.KafkaTestClient.TRACEPARENT;
import static io.dspysuite.orchestration.testing.KafkaTestClient.TRACE_ID;
import static io.dspysuite.orchestration.testing.TaskAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.core.ConditionFactory;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.rpc.Code;

import io.dspysuite.localstack.infra.SuiteTopics;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.job.ingest.RejectedRequests;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskAssertions;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The service end to end on its own: real Kafka and PostgreSQL, the DSPy service replaced by {@link FakeDspy}.
 * Requests go in on {@code dspy.tasks.requested} exactly as the gateway sends them; assertions read
 * {@code dspy.tasks.events}, the DLQ, the job table and the calls the fake received.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class TaskLifecycleTest {

    private static final String CONSUMER_GROUP = "orchestration";

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void predictTaskIsQueuedRunAndSucceeds() {
        TaskRequested request = TaskRequests.predict("what is 2+2?");
        String id = request.getTaskId();

        kafka.request(request);

        List<TaskEvent> events = awaitEvents(id, 4);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L);
        assertStatus(events.get(0), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(1), TaskStatus.TASK_STATUS_RUNNING);
        assertThat(events.get(1).getStatus().getAttempt()).isEqualTo(1);
        assertThat(events.get(2).getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.RESULT);
        assertThat(events.get(2).getResult().getOutputs().getFieldsOrThrow("answer").getStringValue())
                .isEqualTo("echo: what is 2+2?");
        assertThat(events.get(2).getResult().getModel()).isEqualTo(FakeDspy.MODEL);
        assertThat(events.get(2).getResult().getUsage().getOutputTokens()).isEqualTo(7);
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_SUCCEEDED);
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getTaskId()).isEqualTo(id);
            assertThat(event.getTenantId()).isEqualTo(TaskRequests.TENANT);
            assertThat(event.getTraceId()).isEqualTo(TRACE_ID);
        });
        assertThat(kafka.eventRecords(id)).extracting(ConsumerRecord::key).containsOnly(id);

        List<ExecuteRequest> calls = fake.calls(id);
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).getAttempt()).isEqualTo(1);
        assertThat(calls.get(0).getKind()).isEqualTo(TaskKind.TASK_KIND_PREDICT);
        assertThat(calls.get(0).getProgram()).isEqualTo(request.getProgram());
        assertThat(calls.get(0).getInputs()).isEqualTo(request.getInputs());

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getString("queue")).isEqualTo("interactive");
        assertThat(job.getInteger("attempt")).isEqualTo(1);
        assertThat(job.getLong("last_seq")).isEqualTo(4);
        assertThat(job.getString("trace_parent")).isEqualTo(TRACEPARENT);
        assertThat(job.getValue("lease_expires_at")).isNull();
        assertThat(job.getValue("completed_at")).isNotNull();
        // Everything the outbox held for the task was published and removed.
        await().until(() -> count("SELECT count(*) FROM orchestration.outbox WHERE task_id = $1", id) == 0);
    }

    @Test
    void redeliveredRequestMakesNoSecondJobAndNoSecondRun() {
        TaskRequested request = TaskRequests.predict("once only");
        String id = request.getTaskId();

        kafka.request(request);
        RecordMetadata duplicate = kafka.request(request);
        awaitEvents(id, 4);
        // Once the group committed past the duplicate, it has been fully processed: whatever it caused is visible.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> kafka.committedOffset(CONSUMER_GROUP, duplicate) > duplicate.offset());
        RecordMetadata third = kafka.request(request);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> kafka.committedOffset(CONSUMER_GROUP, third) > third.offset());

        assertThat(kafka.events(id)).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(fake.calls(id)).hasSize(1);
        assertThat(count("SELECT count(*) FROM orchestration.jobs WHERE id = $1", id)).isEqualTo(1);
        assertThat(job(id).getString("state")).isEqualTo("completed");
    }

    @Test
    void nonRetryableErrorFailsTheTaskAfterOneCall() {
        TaskRequested request = TaskRequests.predict("bad signature");
        String id = request.getTaskId();
        fake.script(id, FakeDspy.failWith(Code.INVALID_ARGUMENT, "INVALID_SIGNATURE", false));

        kafka.request(request);

        List<TaskEvent> events = awaitEvents(id, 4);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L);
        assertStatus(events.get(0), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(1), TaskStatus.TASK_STATUS_RUNNING);
        assertThat(events.get(2).getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.ERROR);
        assertThat(events.get(2).getError().getCode()).isEqualTo("INVALID_SIGNATURE");
        assertThat(events.get(2).getError().getMessage()).isEqualTo("fake INVALID_SIGNATURE");
        assertThat(events.get(2).getError().getRetryable()).isFalse();
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_FAILED);
        assertThat(fake.calls(id)).hasSize(1);

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("discarded");
        assertThat(job.getLong("last_seq")).isEqualTo(4);
        JsonObject lastError = (JsonObject) job.getValue("last_error");
        assertThat(lastError.getString("code")).isEqualTo("INVALID_SIGNATURE");
        assertThat(lastError.getBoolean("retryable")).isFalse();
        assertThat((JsonArray) job.getValue("attempts")).hasSize(1);
    }

    @Test
    void transientErrorEndsTheAttemptAndTheNextAttemptSucceedsAfterABackoff() {
        TaskRequested request = TaskRequests.predict("flaky");
        String id = request.getTaskId();
        fake.script(id, FakeDspy.failWith(Code.UNAVAILABLE, "LM_UNAVAILABLE", true));

        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertStatus(events.get(0), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(1), TaskStatus.TASK_STATUS_RUNNING);
        assertThat(events.get(1).getStatus().getAttempt()).isEqualTo(1);
        // The failed attempt sends the task back to the queue: no error event, since the task has not failed.
        assertStatus(events.get(2), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_RUNNING);
        assertThat(events.get(3).getStatus().getAttempt()).isEqualTo(2);
        assertThat(events.get(4).getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.RESULT);
        assertStatus(events.get(5), TaskStatus.TASK_STATUS_SUCCEEDED);
        // Job-level retries only: one call per attempt.
        assertThat(fake.calls(id)).extracting(ExecuteRequest::getAttempt).containsExactly(1, 2);

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getInteger("attempt")).isEqualTo(2);
        assertThat(job.getInteger("max_attempts")).isEqualTo(5);
        JsonArray attempts = (JsonArray) job.getValue("attempts");
        assertThat(attempts).hasSize(1);
        assertThat(attempts.getJsonObject(0).getInteger("attempt")).isEqualTo(1);
        assertThat(attempts.getJsonObject(0).getString("code")).isEqualTo("LM_UNAVAILABLE");
        assertThat(attempts.getJsonObject(0).getBoolean("retryable")).isTrue();
        // The second attempt was scheduled a backoff after the first failed: base 400 ms, jitter 20 %.
        double backoffSeconds = scalar("""
                SELECT extract(epoch FROM scheduled_at - (attempts->0->>'at')::timestamptz) FROM orchestration.jobs
                 WHERE id = $1""", id);
        assertThat(backoffSeconds).isBetween(0.32, 0.48);
    }

    @Test
    void persistentTransientErrorFailsWithTheHistoryOnceTheAttemptsAreSpent() {
        TaskRequested request = TaskRequests.predict("rate limited");
        String id = request.getTaskId();
        FakeDspy.Behaviour limited = FakeDspy.failWith(Code.RESOURCE_EXHAUSTED, "LM_RATE_LIMITED", true);
        fake.script(id, limited, limited, limited, limited, limited, FakeDspy.answer());

        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        // QUEUED, then RUNNING + QUEUED for attempts 1-4, RUNNING for attempt 5, error, FAILED.
        assertThat(events).hasSize(12);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L,
                11L, 12L);
        assertThat(events.stream().filter(e -> e.hasStatus()
                && e.getStatus().getStatus() == TaskStatus.TASK_STATUS_RUNNING).map(e -> e.getStatus().getAttempt()))
                .containsExactly(1, 2, 3, 4, 5);
        assertThat(events.get(10).getError().getCode()).isEqualTo("LM_RATE_LIMITED");
        assertThat(events.get(10).getError().getRetryable()).isTrue();
        assertStatus(events.get(11), TaskStatus.TASK_STATUS_FAILED);
        assertThat(events.stream().filter(KafkaTestClient::isFinal)).hasSize(1);
        assertThat(fake.calls(id)).extracting(ExecuteRequest::getAttempt).containsExactly(1, 2, 3, 4, 5);

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("discarded");
        JsonArray attempts = (JsonArray) job.getValue("attempts");
        assertThat(attempts).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(attempts.getJsonObject(i).getInteger("attempt")).isEqualTo(i + 1);
            assertThat(attempts.getJsonObject(i).getString("code")).isEqualTo("LM_RATE_LIMITED");
        }
        // Backoff grows: each gap between failures is at least the nominal delay minus the jitter.
        double secondGap = scalar("""
                SELECT extract(epoch FROM (attempts->2->>'at')::timestamptz - (attempts->1->>'at')::timestamptz)
                  FROM orchestration.jobs WHERE id = $1""", id);
        assertThat(secondGap).isGreaterThanOrEqualTo(0.64);
    }

    @Test
    void optimizationsRunOneAtATimeWithoutHoldingUpPredictions() {
        CompletableFuture<Void> releaseFirst = new CompletableFuture<>();
        TaskRequested first = TaskRequests.builder(TaskKind.TASK_KIND_OPTIMIZE, "first").build();
        TaskRequested second = TaskRequests.builder(TaskKind.TASK_KIND_OPTIMIZE, "second").build();
        fake.script(first.getTaskId(), FakeDspy.answerWhen(releaseFirst));
        try {
            kafka.request(first);
            await().until(() -> hasStatus(first.getTaskId(), TaskStatus.TASK_STATUS_RUNNING));
            kafka.request(second);
            await().until(() -> hasStatus(second.getTaskId(), TaskStatus.TASK_STATUS_QUEUED));

            // The optimize queue has one slot per replica: the second optimization waits...
            TaskRequested prediction = TaskRequests.predict("quick one");
            kafka.request(prediction);
            // ...while a prediction, in its own queue, runs to the end meanwhile.
            await().until(() -> hasStatus(prediction.getTaskId(), TaskStatus.TASK_STATUS_SUCCEEDED));
            assertThat(fake.calls(second.getTaskId())).isEmpty();
            assertThat(hasStatus(second.getTaskId(), TaskStatus.TASK_STATUS_RUNNING)).isFalse();
            assertThat(job(second.getTaskId()).getString("state")).isEqualTo("available");
            assertThat(job(second.getTaskId()).getString("queue")).isEqualTo("optimize");
        } finally {
            releaseFirst.complete(null);
        }

        await().until(() -> hasStatus(first.getTaskId(), TaskStatus.TASK_STATUS_SUCCEEDED));
        List<TaskEvent> events = awaitEvents(second.getTaskId(), 4);
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_SUCCEEDED);
    }

    @Test
    void undecodableRecordGoesToTheDeadLetterTopicWithItsBytes() {
        String key = "poison-" + UUID.randomUUID();
        byte[] garbage = "not a protobuf message".getBytes(StandardCharsets.UTF_8);

        kafka.send(SuiteTopics.TASKS_REQUESTED, key, garbage);

        List<ConsumerRecord<String, byte[]>> dead = await().until(() -> kafka.deadLetters(key), list -> !list.isEmpty());
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).isEqualTo(garbage);
        assertThat(dead.get(0).headers().lastHeader("dead-letter-reason")).isNotNull();

        // The consumer moved on: the next request is served.
        TaskRequested next = TaskRequests.predict("after the poison");
        kafka.request(next);
        awaitEvents(next.getTaskId(), 4);
    }

    @Test
    void undecodableRecordOfAKnownTaskEndsItsTaskFailedAndGoesToTheDeadLetterTopic() {
        String id = UUID.randomUUID().toString();
        byte[] garbage = "not a protobuf message either".getBytes(StandardCharsets.UTF_8);

        // As the gateway sends it: key = task id, the tenant in its header; only the value is broken.
        kafka.send(SuiteTopics.TASKS_REQUESTED, id, garbage,
                java.util.Map.of(RejectedRequests.TENANT_HEADER, TaskRequests.TENANT));

        // The gateway answered 202 for this task: it ends, failed, so its client does not wait for ever.
        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L);
        assertThat(events.get(0).getError().getCode()).isEqualTo("INVALID_REQUEST");
        assertThat(events.get(0).getError().getRetryable()).isFalse();
        assertStatus(events.get(1), TaskStatus.TASK_STATUS_FAILED);
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getTaskId()).isEqualTo(id);
            assertThat(event.getTenantId()).isEqualTo(TaskRequests.TENANT);
            assertThat(event.getTraceId()).isEqualTo(TRACE_ID);
        });
        // The record itself is on the DLQ with its bytes, and nothing ran.
        List<ConsumerRecord<String, byte[]>> dead = await().until(() -> kafka.deadLetters(id), list -> !list.isEmpty());
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).isEqualTo(garbage);
        assertThat(fake.calls(id)).isEmpty();
        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("discarded");
        assertThat(job.getString("kind")).isEqualTo("unknown");
        assertThat(job.getInteger("attempt")).isZero();
        assertThat(((JsonObject) job.getValue("last_error")).getString("code")).isEqualTo("INVALID_REQUEST");

        // The same record again (a redelivery) changes nothing: still one final event.
        kafka.send(SuiteTopics.TASKS_REQUESTED, id, garbage,
                java.util.Map.of(RejectedRequests.TENANT_HEADER, TaskRequests.TENANT));
        await().until(() -> kafka.deadLetters(id), list -> list.size() == 2);
        assertThat(kafka.events(id)).hasSize(2);

        // The consumer kept going: a valid request after it is served.
        TaskRequested next = TaskRequests.predict("after the broken one");
        kafka.request(next);
        assertStatus(kafka.awaitFinal(next.getTaskId()).get(3), TaskStatus.TASK_STATUS_SUCCEEDED);
    }

    @Test
    void requestOfAnUnsupportedKindEndsItsTaskFailed() {
        TaskRequested unsupported = TaskRequests.predict("which kind?").toBuilder()
                .setKind(TaskKind.TASK_KIND_UNSPECIFIED).build();
        String id = unsupported.getTaskId();

        kafka.request(unsupported);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).hasSize(2);
        assertThat(events.get(0).getError().getCode()).isEqualTo("INVALID_REQUEST");
        assertThat(events.get(0).getError().getMessage()).contains("no supported kind");
        assertThat(events.get(1).getTenantId()).isEqualTo(TaskRequests.TENANT);
        assertThat(await().until(() -> kafka.deadLetters(id), list -> !list.isEmpty()).get(0).value())
                .isEqualTo(unsupported.toByteArray());
    }

    @Test
    void undecodableRecordWithoutATenantGoesToTheDeadLetterTopicOnly() {
        String id = UUID.randomUUID().toString();

        kafka.send(SuiteTopics.TASKS_REQUESTED, id, "garbage, and no tenant".getBytes(StandardCharsets.UTF_8));

        await().until(() -> kafka.deadLetters(id), list -> !list.isEmpty());
        // Whose task it is cannot be known: no event (it would name no tenant), no job.
        TaskRequested next = TaskRequests.predict("after the anonymous one");
        kafka.request(next);
        kafka.awaitFinal(next.getTaskId());
        assertThat(kafka.events(id)).isEmpty();
        assertThat(count("SELECT count(*) FROM orchestration.jobs WHERE id = $1", id)).isZero();
    }

    @Test
    void requestThatCannotBecomeAJobGoesToTheDeadLetterTopic() {
        TaskRequested invalid = TaskRequests.predict("no id").toBuilder().setTaskId("not-a-uuid-" + UUID.randomUUID())
                .build();

        kafka.request(invalid);

        List<ConsumerRecord<String, byte[]>> dead = await().until(() -> kafka.deadLetters(invalid.getTaskId()),
                list -> !list.isEmpty());
        assertThat(dead.get(0).value()).isEqualTo(invalid.toByteArray());
        assertThat(new String(dead.get(0).headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .contains("UUID");
        assertThat(kafka.events(invalid.getTaskId())).isEmpty();
        assertThat(fake.calls(invalid.getTaskId())).isEmpty();
    }

    private static ConditionFactory await() {
        return KafkaTestClient.await();
    }

    private List<TaskEvent> awaitEvents(String taskId, int count) {
        return kafka.awaitEvents(taskId, count);
    }

    private boolean hasStatus(String taskId, TaskStatus status) {
        return kafka.hasStatus(taskId, status);
    }

    private Row job(String id) {
        return TaskAssertions.job(pool, id);
    }

    private double scalar(String sql, String id) {
        Object value = pool.preparedQuery(sql).execute(Tuple.of(UUID.fromString(id))).await()
                .atMost(Duration.ofSeconds(10)).iterator().next().getValue(0);
        return ((Number) value).doubleValue();
    }

    private long count(String sql, String id) {
        return pool.preparedQuery(sql).execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }
}
