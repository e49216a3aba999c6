package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/** Kafka unreachable for task requests: the client hears 503 at once and the task is marked failed, not lost. */
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

    @Test
    void unpublishableTaskAnswers503AndIsMarkedFailed() {
        String key = "down-" + UUID.randomUUID();
        String id = given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(TaskRestTest.PREDICT)
                .when().post("/api/v1/tasks").then()
                .statusCode(503)
                .contentType("application/problem+json")
                .body("code", equalTo("SUBMIT_FAILED"))
                .body("task_id", notNullValue())
                .extract().path("task_id");

        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/tasks/" + id).then()
                .statusCode(200)
                .body("status", equalTo("failed"))
                .body("error.code", equalTo("SUBMIT_FAILED"))
                .body("error.retryable", equalTo(true))
                .body("finished_at", notNullValue());

        // The retry the client was told to make tries to publish the same task again (and fails again here).
        given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(TaskRestTest.PREDICT)
                .when().post("/api/v1/tasks").then()
                .statusCode(503)
                .body("code", equalTo("SUBMIT_FAILED"))
                .body("task_id", equalTo(id));
    }
}
