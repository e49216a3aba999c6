package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.task.events.TaskPublishSweeper;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;

/**
 * Kafka unreachable for task requests: the task is recorded, so the client still hears 202 and the task stays queued
 * and unpublished for the publish sweeper (which keeps failing here, without harm).
 */
@QuarkusTest
@TestProfile(SubmitFailureTest.TaskQueueDown.class)
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class SubmitFailureTest {

    /** Only the producer points at a port where no broker listens; everything else is real. */
    public static class TaskQueueDown implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mp.messaging.outgoing.task-requests.bootstrap.servers", "localhost:1",
                    "mp.messaging.outgoing.task-requests.max.block.ms", "1000",
                    "mp.messaging.outgoing.task-requests.request.timeout.ms", "1000",
                    "mp.messaging.outgoing.task-requests.delivery.timeout.ms", "2000");
        }
    }

    @Inject
    Pool pool;

    @Inject
    TaskPublishSweeper sweeper;

    @Test
    void unpublishableTaskIsAcceptedAndLeftForTheSweeper() {
        String key = "down-" + UUID.randomUUID();
        String id = given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(TaskRestTest.PREDICT)
                .when().post("/api/v1/tasks").then()
                .statusCode(202)
                .body("status", equalTo("queued"))
                .extract().path("id");
        UUID taskId = UUID.fromString(id);
        try {
            given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/tasks/" + id).then()
                    .statusCode(200)
                    .body("status", equalTo("queued"))
                    .body("error", nullValue());
            assertThat(published(taskId)).isFalse();

            // A sweep that cannot reach the broker either leaves the row for the next one.
            makeDue(taskId);
            assertThat(sweeper.sweep().await().atMost(Duration.ofSeconds(30))).isZero();
            assertThat(published(taskId)).isFalse();

            // The client's idempotent retry returns the same task.
            given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                    .contentType(ContentType.JSON).body(TaskRestTest.PREDICT)
                    .when().post("/api/v1/tasks").then()
                    .statusCode(200)
                    .body("id", equalTo(id));
        } finally {
            // The other test apps share this database and their sweepers reach the broker: leave nothing for them
            // to publish in the middle of a test that counts records.
            pool.preparedQuery("DELETE FROM gateway.tasks WHERE id = $1").execute(Tuple.of(taskId))
                    .await().atMost(Duration.ofSeconds(10));
        }
    }

    private boolean published(UUID id) {
        return pool.preparedQuery("SELECT published_at IS NOT NULL AS published FROM gateway.tasks WHERE id = $1")
                .execute(Tuple.of(id)).map(rows -> rows.iterator().next().getBoolean("published"))
                .await().atMost(Duration.ofSeconds(10));
    }

    private void makeDue(UUID id) {
        pool.preparedQuery("UPDATE gateway.tasks SET created_at = created_at - interval '1 minute' WHERE id = $1")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(10));
    }
}
