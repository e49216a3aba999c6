package io.dspysuite.orchestration.job;

import static io.dspysuite.orchestration.testing.TaskAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.awaitility.core.ConditionFactory;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.job.worker.InFlightJobs;
import io.dspysuite.orchestration.job.worker.Replica;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspy.CallEvent;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskAssertions;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.events.v1.TaskControl;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Self-fencing with real Kafka and PostgreSQL: an attempt whose heartbeats fail is stopped by its own replica before
 * its lease can expire, so the rescued attempt runs alone (the database refuses the heartbeats of that attempt through
 * a trigger: a real failed statement, as during a PostgreSQL restart); and an attempt whose call answers after its job
 * was rescued elsewhere (a paused replica waking up) writes nothing. Test timings: 3 s leases, 500 ms heartbeats, a
 * 1 s fence margin, 300 ms rescue scans (%test profile).
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class LeaseFenceTest {

    private static final Duration LEASE = Duration.ofSeconds(3);

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @Inject
    Replica replica;

    @Inject
    InFlightJobs inFlight;

    @ConfigProperty(name = "dspy-suite.jobs.lease-margin")
    Duration margin;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        sql("""
                CREATE OR REPLACE FUNCTION orchestration.test_refuse_heartbeat() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'test: heartbeat refused';
                END $$""");
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void anAttemptWhoseHeartbeatsFailIsStoppedBeforeItsLeaseExpiresAndTheRescuedAttemptRunsAlone() {
        TaskRequested request = TaskRequests.predict("heartbeats refused");
        String id = request.getTaskId();
        CompletableFuture<Void> releaseSecond = new CompletableFuture<>();
        fake.script(id, FakeDspy.holdOpen(), FakeDspy.answerWhen(releaseSecond));
        refuseHeartbeatsOfFirstAttempt(id);
        try {
            kafka.request(request);
            await().until(() -> hasStatus(id, TaskStatus.TASK_STATUS_RUNNING));
            // Set by the claim and never renewed (every heartbeat of attempt 1 fails): when the database may rescue.
            Row claimed = job(id);
            Instant claimedAt = claimed.getOffsetDateTime("attempted_at").toInstant();
            Instant leaseExpiresAt = claimed.getOffsetDateTime("lease_expires_at").toInstant();
            assertThat(Duration.between(claimedAt, leaseExpiresAt)).isEqualTo(LEASE);

            await().until(() -> fake.calls(id).size() == 2);
            List<CallEvent> history = fake.history(id);
            assertThat(history).extracting(CallEvent::kind, CallEvent::attempt).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(CallEvent.Kind.CALLED, 1),
                    org.assertj.core.groups.Tuple.tuple(CallEvent.Kind.CANCELLED, 1),
                    org.assertj.core.groups.Tuple.tuple(CallEvent.Kind.CALLED, 2));
            Instant stopped = history.get(1).at();
            // Stopped by its own replica before the database could give the job to anyone else (same host, so the
            // two clocks agree), yet not before the lease had gone unconfirmed for lease - margin.
            assertThat(stopped).isBefore(leaseExpiresAt);
            assertThat(Duration.between(claimedAt, stopped)).isGreaterThan(LEASE.minus(margin).minusMillis(200));
            assertThat(history.get(2).at()).isAfter(leaseExpiresAt);
            Row rescued = job(id);
            assertThat(rescued.getInteger("attempt")).isEqualTo(2);
            assertThat(rescued.getOffsetDateTime("attempted_at").toInstant()).isAfter(stopped);
        } finally {
            dropTrigger(id);
            releaseSecond.complete(null);
        }

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).extracting(TaskEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertStatus(events.get(1), TaskStatus.TASK_STATUS_RUNNING);
        assertStatus(events.get(2), TaskStatus.TASK_STATUS_QUEUED);
        assertStatus(events.get(3), TaskStatus.TASK_STATUS_RUNNING);
        assertThat(events.get(3).getStatus().getAttempt()).isEqualTo(2);
        assertThat(events.get(4).getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.RESULT);
        assertStatus(events.get(5), TaskStatus.TASK_STATUS_SUCCEEDED);
        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("completed");
        JsonArray attempts = (JsonArray) job.getValue("attempts");
        assertThat(attempts).hasSize(1);
        assertThat(attempts.getJsonObject(0).getString("code")).isEqualTo("LEASE_EXPIRED");
        assertThat(attempts.getJsonObject(0).getString("by")).isEqualTo(replica.id());
        assertThat(fake.cancellations(id)).isEqualTo(1);
    }

    @Test
    void aReplicaThatWakesUpAfterItsJobWasRescuedElsewhereWritesNoOutcome() {
        TaskRequested request = TaskRequests.predict("paused replica");
        String id = request.getTaskId();
        CompletableFuture<Void> wakeUp = new CompletableFuture<>();
        fake.script(id, FakeDspy.answerWhen(wakeUp));
        kafka.request(request);
        await().until(() -> hasStatus(id, TaskStatus.TASK_STATUS_RUNNING));

        // While this replica "sleeps", its lease expires and another replica rescues the job and claims attempt 2.
        // That change stays uncommitted until the woken attempt's outcome reaches the database, so neither a
        // heartbeat (blocked on the row) nor the lease fence can stop the attempt first: the outcome meets the
        // database's guard, as when a paused replica's call answers the moment it resumes.
        SqlConnection rescuer = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        try {
            Transaction rescue = rescuer.begin().await().atMost(Duration.ofSeconds(10));
            rescuer.preparedQuery("""
                    UPDATE orchestration.jobs SET attempt = 2, attempted_by = 'other-replica/1-live',
                           lease_expires_at = now() + interval '1 hour'
                     WHERE id = $1""").execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(10));
            wakeUp.complete(null);
            await().until(this::anOutcomeWaitsForTheRescuedRow);
            rescue.commit().await().atMost(Duration.ofSeconds(10));
        } finally {
            wakeUp.complete(null);
            rescuer.close().await().atMost(Duration.ofSeconds(10));
        }

        await().until(() -> !inFlight.isRunning(UUID.fromString(id)));
        assertThat(fake.cancellations(id)).as("the call answered; only the guard stopped its outcome").isZero();
        Row job = job(id);
        assertThat(job.getString("state")).isEqualTo("executing");
        assertThat(job.getInteger("attempt")).isEqualTo(2);
        assertThat(job.getString("attempted_by")).isEqualTo("other-replica/1-live");
        assertThat(job.getLong("last_seq")).isEqualTo(2);
        assertThat((JsonArray) job.getValue("attempts")).isEmpty();
        assertThat(kafka.events(id)).hasSize(2);
        // Leave nothing executing for the next test.
        kafka.control(cancel(id));
        List<TaskEvent> events = kafka.awaitFinal(id);
        assertThat(events).hasSize(3);
        assertStatus(events.get(2), TaskStatus.TASK_STATUS_CANCELLED);
    }

    /** Whether the stale attempt's completion is waiting for the row lock held by the uncommitted rescue. */
    private boolean anOutcomeWaitsForTheRescuedRow() {
        return pool.query("""
                SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND query LIKE '%state = ''completed''%'""")
                .execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0) > 0;
    }

    private void refuseHeartbeatsOfFirstAttempt(String id) {
        // The claim (from 'available') and the rescue (to 'available') pass; renewals of attempt 1 are refused.
        sql("CREATE TRIGGER " + trigger(id) + " BEFORE UPDATE OF lease_expires_at ON orchestration.jobs FOR EACH ROW"
                + " WHEN (OLD.id = '" + UUID.fromString(id) + "' AND OLD.attempt = 1 AND NEW.attempt = 1"
                + " AND OLD.state = 'executing' AND NEW.state = 'executing')"
                + " EXECUTE FUNCTION orchestration.test_refuse_heartbeat()");
    }

    private void dropTrigger(String id) {
        sql("DROP TRIGGER IF EXISTS " + trigger(id) + " ON orchestration.jobs");
    }

    private static String trigger(String id) {
        return "test_refuse_heartbeat_" + UUID.fromString(id).toString().replace("-", "");
    }

    private static TaskControl cancel(String taskId) {
        return TaskControl.newBuilder()
                .setTaskId(taskId)
                .setTenantId(TaskRequests.TENANT)
                .setRequestedAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()))
                .setCancel(TaskControl.Cancel.getDefaultInstance())
                .build();
    }

    private static ConditionFactory await() {
        return KafkaTestClient.await();
    }

    private boolean hasStatus(String taskId, TaskStatus status) {
        return kafka.hasStatus(taskId, status);
    }

    private void sql(String statement) {
        pool.query(statement).execute().await().atMost(Duration.ofSeconds(10));
    }

    private void sql(String statement, String id) {
        pool.preparedQuery(statement).execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(10));
    }

    private Row job(String id) {
        return TaskAssertions.job(pool, id);
    }
}
