package io.dspysuite.gateway.task.events;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;

/** The outbox sweeper against the real PostgreSQL and Kafka. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskPublishSweeperTest {

    @Inject
    Pool pool;

    @Inject
    TaskPublishSweeper sweeper;

    /** A queued task as a submission leaves it when the process dies between the insert and the publish. */
    private UUID insertUnpublished(Duration age) {
        UUID id = Uuids.v7();
        pool.preparedQuery("""
                INSERT INTO gateway.tasks (id, tenant_id, kind, status, program, inputs, options, created_at, updated_at)
                VALUES ($1, 'dev', 'predict', 'queued',
                        '{"signature": "question -> answer", "module": "predict"}'::jsonb,
                        '{"question": "swept?"}'::jsonb, '{}'::jsonb, $2, $2)""")
                .execute(Tuple.of(id, OffsetDateTime.now().minus(age)))
                .await().atMost(Duration.ofSeconds(10));
        return id;
    }

    private OffsetDateTime publishedAt(UUID id) {
        return pool.preparedQuery("SELECT published_at FROM gateway.tasks WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.iterator().next().getOffsetDateTime("published_at"))
                .await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void racingSweepsPublishAnUnpublishedTaskExactlyOnce() {
        UUID id = insertUnpublished(Duration.ofMinutes(1));

        // Two sweeps at once (the scheduled one may join as a third): SKIP LOCKED hands the row to one of them.
        List<Integer> counts = Uni.join().all(sweeper.sweep(), sweeper.sweep()).andFailFast()
                .await().atMost(Duration.ofSeconds(30));
        assertThat(counts).allMatch(count -> count >= 0);

        // Marked in the same transaction as the claim: once set, no sweep can take the row again.
        await().atMost(Duration.ofSeconds(20)).until(() -> publishedAt(id) != null);
        List<TaskRequested> records = KafkaTestClient.requestsFor(id, Duration.ofSeconds(20));
        assertThat(records).hasSize(1);
        TaskRequested request = records.get(0);
        assertThat(request.getTaskId()).isEqualTo(id.toString());
        assertThat(request.getTenantId()).isEqualTo("dev");
        assertThat(request.getInputs().getFieldsOrThrow("question").getStringValue()).isEqualTo("swept?");

        // Further sweeps leave it alone.
        sweeper.sweep().await().atMost(Duration.ofSeconds(30));
        assertThat(KafkaTestClient.requestsFor(id, Duration.ofSeconds(5))).hasSize(1);
    }

    @Test
    void aTaskWithinTheGracePeriodIsLeftToItsSubmission() {
        UUID id = insertUnpublished(Duration.ZERO);
        sweeper.sweep().await().atMost(Duration.ofSeconds(30));
        // The test profile's grace is 3 s: the explicit sweep right after the insert did not take it...
        assertThat(publishedAt(id)).isNull();
        // ...but the scheduled sweeper does once the grace has passed.
        await().atMost(Duration.ofSeconds(30)).until(() -> publishedAt(id) != null);
        assertThat(KafkaTestClient.requestsFor(id, Duration.ofSeconds(20))).hasSize(1);
    }

    @Test
    void anAcknowledgedSubmissionIsMarkedPublishedAndNeverSweptAgain() {
        String id = given().header("Authorization", bearer(TestKeys.DEV)).contentType(ContentType.JSON)
                .body("""
                        {"kind": "predict", "program": {"signature": "question -> answer", "module": "predict"},
                         "inputs": {"question": "acked?"}}""")
                .when().post("/api/v1/tasks").then().statusCode(202).extract().path("id");
        UUID taskId = UUID.fromString(id);
        assertThat(publishedAt(taskId)).isNotNull();
        sweeper.sweep().await().atMost(Duration.ofSeconds(30));
        assertThat(KafkaTestClient.requestsFor(taskId, Duration.ofSeconds(20))).hasSize(1);
    }

    @Test
    void finishedOrLegacyRowsAreNotSwept() {
        UUID id = insertUnpublished(Duration.ofMinutes(1));
        pool.preparedQuery("UPDATE gateway.tasks SET status = 'cancelled' WHERE id = $1").execute(Tuple.of(id))
                .await().atMost(Duration.ofSeconds(10));
        sweeper.sweep().await().atMost(Duration.ofSeconds(30));
        assertThat(publishedAt(id)).isNull();
        assertThat(KafkaTestClient.requestsFor(id, Duration.ofSeconds(3))).isEmpty();
    }
}
