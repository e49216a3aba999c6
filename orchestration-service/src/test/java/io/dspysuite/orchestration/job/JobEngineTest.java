package io.dspysuite.orchestration.job;

import static io.dspysuite.orchestration.testing.TaskAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.core.ConditionFactory;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.job.worker.InFlightJobs;
import io.dspysuite.orchestration.job.worker.Replica;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskAssertions;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskControl;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The durable engine with real Kafka and PostgreSQL: lease rescue, stale-attempt guards, cancellation, progress
 * forwarding through the outbox. The DSPy service is {@link FakeDspy}; test timings (3 s leases, 500 ms heartbeats,
 * 300 ms rescue scans) come from the %test profile.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class JobEngineTest {

    private static final String CONTROL_GROUP = "orchestration-control";

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @Inject
    JobStore store;

    @Inject
    TaskEvents taskEvents;

    @Inject
    Replica replica;

    @Inject
    InFlightJobs inFlight;

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
    void jobOfADeadReplicaIsRescuedAndRunAgainWithExactlyOneFinalEvent() {
        TaskRequested request = TaskRequests.predict("orphaned");
        String id = request.getTaskId();
        fake.script(id, FakeDspy.holdOpen());
        kafka.request(request);
        await().until(() -> hasStatus(id, TaskStatus.TASK_STATUS_RUNNING));

        // The replica running attempt 1 "dies": its lease is someone else's and has lapsed.
        execute("""
                UPDATE orchestration.jobs SET attempted_by = 'dead-replica', lease_expires_at = now() - interval '1 s'
                 WHERE id = $1""", id);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertStatus(events.get(2), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_RUNNING);
        assertThat(events.get(3).getStatus().getAttempt()).isEqualTo(2);
        assertThat(events.get(4).getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.RESULT);
        assertStatus(events.get(5), TaskStatus.TASK_STATUS_SUCCEEDED);
        assertThat(fake.calls(id)).extracting(ExecuteRequest::getAttempt).containsExactly(1, 2);
        // The orphaned call (still running in this JVM) was stopped: the heartbeat found the job no longer held.
        await().until(() -> fake.cancellations(id) == 1);

        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("completed");
        JsonArray attempts = (JsonArray) job.getValue("attempts");
        assertThat(attempts).hasSize(1);
        assertThat(attempts.getJsonObject(0).getString("code")).isEqualTo("LEASE_EXPIRED");
        assertThat(attempts.getJsonObject(0).getInteger("attempt")).isEqualTo(1);
        assertThat(attempts.getJsonObject(0).getString("by")).isEqualTo("dead-replica");
        assertThat(job.getString("attempted_by")).isEqualTo(replica.id());
        // Nothing more comes: the stopped attempt's outcome was rejected.
        await().until(() -> !inFlight.isRunning(UUID.fromString(id)));
        assertThat(kafka.events(id)).hasSize(6);
    }

    @Test
    void aRestartedReplicaRescuesTheJobsOfItsPreviousIncarnationAtOnceButNotThoseOfOthers() {
        TaskRequested mine = TaskRequests.predict("left by my previous incarnation");
        TaskRequested theirs = TaskRequests.predict("held by another live replica");
        fake.script(mine.getTaskId(), FakeDspy.holdOpen());
        fake.script(theirs.getTaskId(), FakeDspy.holdOpen());
        kafka.request(mine);
        kafka.request(theirs);
        await().until(() -> hasStatus(mine.getTaskId(), TaskStatus.TASK_STATUS_RUNNING)
                && hasStatus(theirs.getTaskId(), TaskStatus.TASK_STATUS_RUNNING));
        // Both leases are far from expiry: only the replica name tells the two apart.
        execute("""
                UPDATE orchestration.jobs SET attempted_by = $2, lease_expires_at = now() + interval '1 hour'
                 WHERE id = $1""", mine.getTaskId(), replica.name() + "/1-0ldincar");
        execute("""
                UPDATE orchestration.jobs SET attempted_by = $2, lease_expires_at = now() + interval '1 hour'
                 WHERE id = $1""", theirs.getTaskId(), "other-" + replica.name() + "/2-live");

        List<JobQueue> rescued = store.rescueOrphans(replica.name(), replica.id(), 100).await().indefinitely();

        assertThat(rescued).containsExactly(JobQueue.INTERACTIVE);
        List<TaskEvent> events = kafka.awaitFinal(mine.getTaskId());
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_SUCCEEDED);
        JsonArray attempts = (JsonArray) job(mine.getTaskId()).getValue("attempts");
        assertThat(attempts.getJsonObject(0).getString("code")).isEqualTo("REPLICA_RESTARTED");
        Row other = job(theirs.getTaskId());
        assertThat(other.getString("state")).isEqualTo("executing");
        assertThat(other.getString("attempted_by")).isEqualTo("other-" + replica.name() + "/2-live");
        // Leave nothing running for the next test.
        kafka.control(cancel(theirs.getTaskId(), TaskRequests.TENANT));
        kafka.awaitFinal(theirs.getTaskId());
    }

    @Test
    void staleAttemptCannotOverwriteTheJob() {
        TaskRequested request = TaskRequests.predict("held");
        String id = request.getTaskId();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        fake.script(id, FakeDspy.answerWhen(gate));
        kafka.request(request);
        await().until(() -> hasStatus(id, TaskStatus.TASK_STATUS_RUNNING));
        TaskRef task = TaskRef.of(id, TaskRequests.TENANT, null);
        JobError error = new JobError("LM_UNAVAILABLE", "stale", true);

        try {
            // Another replica's view of attempt 1, and this replica with an attempt that is not the current one.
            for (ClaimedJob stale : List.of(claimed(request, 1, "other-replica"), claimed(request, 2, replica.id()),
                    claimed(request, 0, replica.id()))) {
                assertThat(await(store.complete(stale, List.of(taskEvents.succeeded(task))))).isEmpty();
                assertThat(await(store.discard(stale, error, List.of(taskEvents.failed(task))))).isEmpty();
                assertThat(await(store.retry(stale, error, Duration.ZERO, List.of(taskEvents.queued(task)))))
                        .isEmpty();
                assertThat(await(store.append(stale, List.of(taskEvents.chunk(task, "answer", "x"))))).isEmpty();
            }
            Row job = job(id);
            assertThat(job.getString("state")).isEqualTo("executing");
            assertThat(job.getLong("last_seq")).isEqualTo(2);
            assertThat((JsonArray) job.getValue("attempts")).isEmpty();
        } finally {
            gate.complete(null);
        }

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L);
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_SUCCEEDED);
    }

    @Test
    void queuedTaskIsCancelledAtOnceAndNeverRuns() {
        CompletableFuture<Void> releaseFirst = new CompletableFuture<>();
        TaskRequested first = TaskRequests.builder(TaskKind.TASK_KIND_OPTIMIZE, "first").build();
        TaskRequested second = TaskRequests.builder(TaskKind.TASK_KIND_OPTIMIZE, "second").build();
        fake.script(first.getTaskId(), FakeDspy.answerWhen(releaseFirst));
        try {
            kafka.request(first);
            await().until(() -> hasStatus(first.getTaskId(), TaskStatus.TASK_STATUS_RUNNING));
            kafka.request(second); // waits: the optimize queue has one slot

            await().until(() -> hasStatus(second.getTaskId(), TaskStatus.TASK_STATUS_QUEUED));
            kafka.control(cancel(second.getTaskId(), TaskRequests.TENANT));

            List<TaskEvent> events = kafka.awaitFinal(second.getTaskId());
            assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L);
            assertStatus(events.get(1), TaskStatus.TASK_STATUS_CANCELLED);
            assertThat(job(second.getTaskId()).getString("state")).isEqualTo("cancelled");
        } finally {
            releaseFirst.complete(null);
        }
        await().until(() -> hasStatus(first.getTaskId(), TaskStatus.TASK_STATUS_SUCCEEDED));
        // A later optimization runs once the slot is free, and the cancelled one, queued before it, never did.
        TaskRequested third = TaskRequests.builder(TaskKind.TASK_KIND_OPTIMIZE, "third").build();
        kafka.request(third);
        await().until(() -> hasStatus(third.getTaskId(), TaskStatus.TASK_STATUS_SUCCEEDED));
        assertThat(fake.calls(second.getTaskId())).isEmpty();
        assertThat(kafka.events(second.getTaskId())).hasSize(2);
    }

    @Test
    void runningTaskIsCancelledWithItsCallAndExactlyOneCancelledEvent() {
        TaskRequested request = TaskRequests.predict("long one");
        String id = request.getTaskId();
        fake.script(id, FakeDspy.holdOpen());
        kafka.request(request);
        await().until(() -> hasStatus(id, TaskStatus.TASK_STATUS_RUNNING));

        // Another tenant cannot cancel it.
        RecordMetadata foreign = kafka.control(cancel(id, "tenant-other"));
        await().until(() -> kafka.committedOffset(CONTROL_GROUP, foreign) > foreign.offset());
        assertThat(job(id).getString("state")).isEqualTo("executing");
        assertThat(fake.cancellations(id)).isZero();

        kafka.control(cancel(id, TaskRequests.TENANT));

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L);
        assertStatus(events.get(2), TaskStatus.TASK_STATUS_CANCELLED);
        // The gRPC call was cancelled, so the DSPy service stops working on it.
        await().until(() -> fake.cancellations(id) == 1);
        await().until(() -> !inFlight.isRunning(UUID.fromString(id)));
        assertThat(job(id).getString("state")).isEqualTo("cancelled");
        assertThat(fake.calls(id)).hasSize(1);

        // Cancelling again (a finished task) changes nothing.
        RecordMetadata again = kafka.control(cancel(id, TaskRequests.TENANT));
        await().until(() -> kafka.committedOffset(CONTROL_GROUP, again) > again.offset());
        assertThat(kafka.events(id)).hasSize(3);
    }

    @Test
    void cancellingAFinishedTaskIsANoOp() {
        TaskRequested request = TaskRequests.predict("done already");
        String id = request.getTaskId();
        kafka.request(request);
        kafka.awaitFinal(id);

        RecordMetadata control = kafka.control(cancel(id, TaskRequests.TENANT));
        await().until(() -> kafka.committedOffset(CONTROL_GROUP, control) > control.offset());

        assertThat(job(id).getString("state")).isEqualTo("completed");
        assertThat(kafka.events(id)).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void cancelThatOvertakesItsRequestStillCancelsTheTask() {
        TaskRequested request = TaskRequests.predict("cancelled early");
        String id = request.getTaskId();

        RecordMetadata control = kafka.control(cancel(id, TaskRequests.TENANT));
        await().until(() -> kafka.committedOffset(CONTROL_GROUP, control) > control.offset());
        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L);
        assertStatus(events.get(0), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(1), TaskStatus.TASK_STATUS_CANCELLED);
        assertThat(job(id).getString("state")).isEqualTo("cancelled");
        assertThat(fake.calls(id)).isEmpty();
    }

    @Test
    void progressAndChunksAreForwardedInOrderWithoutGaps() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            TaskRequested request = TaskRequests.builder(i % 2 == 0 ? TaskKind.TASK_KIND_PREDICT
                    : TaskKind.TASK_KIND_EVALUATE, "streamed " + i).build();
            fake.script(request.getTaskId(), FakeDspy.progressThenAnswer(10, 5));
            ids.add(request.getTaskId());
            kafka.request(request);
        }

        for (String id : ids) {
            List<TaskEvent> events = kafka.awaitFinal(id);
            // Gap-free, in order, no duplicates, as published by the relay.
            for (int i = 0; i < events.size(); i++) {
                assertThat(events.get(i).getSeq()).as("seq of event %d of %s", i, id).isEqualTo(i + 1L);
            }
            assertStatus(events.get(0), TaskStatus.TASK_STATUS_QUEUED);
            assertStatus(events.get(1), TaskStatus.TASK_STATUS_RUNNING);
            assertThat(events.get(events.size() - 2).getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.RESULT);
            assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_SUCCEEDED);

            List<TaskEvent> progress = events.stream().filter(TaskEvent::hasProgress).toList();
            assertThat(progress).hasSize(10);
            for (int i = 0; i < 10; i++) {
                assertThat(progress.get(i).getProgress().getFraction()).isEqualTo((i + 1) / 10.0);
                assertThat(progress.get(i).getProgress().getPhase()).isEqualTo("trial");
                assertThat(progress.get(i).getProgress().getStep()).isEqualTo(i + 1);
                assertThat(progress.get(i).getProgress().getTotal()).isEqualTo(10);
            }
            // Chunks may be coalesced, never lost, reordered or moved across a progress update.
            StringBuilder expected = new StringBuilder();
            for (int c = 0; c < 50; c++) {
                expected.append('c').append(c);
            }
            StringBuilder streamed = new StringBuilder();
            events.stream().filter(TaskEvent::hasChunk).forEach(e -> {
                assertThat(e.getChunk().getField()).isEqualTo("answer");
                streamed.append(e.getChunk().getText());
            });
            assertThat(streamed).hasToString(expected.toString());
            int firstChunkAfterLastProgress = events.indexOf(progress.get(9)) + 1;
            assertThat(events.get(firstChunkAfterLastProgress).getChunk().getText()).startsWith("c45");
            assertThat(events.stream().filter(KafkaTestClient::isFinal)).hasSize(1);
            await().until(() -> outboxRows(id) == 0);
        }
    }

    private static TaskControl cancel(String taskId, String tenantId) {
        Instant now = Instant.now();
        return TaskControl.newBuilder()
                .setTaskId(taskId)
                .setTenantId(tenantId)
                .setRequestedAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
                .setCancel(TaskControl.Cancel.getDefaultInstance())
                .build();
    }

    private static ClaimedJob claimed(TaskRequested request, int attempt, String owner) {
        return new ClaimedJob(UUID.fromString(request.getTaskId()), request.getTenantId(), JobQueue.INTERACTIVE,
                attempt, 5, request, null, Duration.ofSeconds(3), Instant.now(), owner, null, System.nanoTime());
    }

    private static <T> T await(io.smallrye.mutiny.Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(10));
    }

    private static ConditionFactory await() {
        return KafkaTestClient.await();
    }

    private boolean hasStatus(String taskId, TaskStatus status) {
        return kafka.hasStatus(taskId, status);
    }

    private void execute(String sql, String id) {
        pool.preparedQuery(sql).execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(10));
    }

    private void execute(String sql, String id, String value) {
        pool.preparedQuery(sql).execute(Tuple.of(UUID.fromString(id), value)).await().atMost(Duration.ofSeconds(10));
    }

    private long outboxRows(String id) {
        return pool.preparedQuery("SELECT count(*) FROM orchestration.outbox WHERE task_id = $1")
                .execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }

    private Row job(String id) {
        return TaskAssertions.job(pool, id);
    }
}
