package io.dspysuite.gateway.observability;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.LogCapture;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.task.events.TaskViewConsumer;
import io.dspysuite.gateway.task.service.TaskSubmissionService;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Log lines about a task carry {@code task_id} and {@code tenant_id} in the MDC (the JSON log's {@code mdc} object):
 * on the REST submission path and in the Kafka consumer of task events. The WebSocket path is in TaskSocketTest.
 */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskLogFieldsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aRestSubmissionLogsWithTheTaskAndTenant() {
        try (LogCapture logs = LogCapture.of(TaskSubmissionService.class)) {
            String id = given().header("Authorization", bearer(TestKeys.DEV)).contentType(ContentType.JSON)
                    .body("""
                            {"kind": "predict", "program": {"signature": "question -> answer"},
                             "inputs": {"question": "secret prompt text"}}""")
                    .when().post("/api/v1/tasks").then().statusCode(202).extract().path("id");

            LogCapture.Line accepted = logs.lineContaining(id).orElseThrow();
            assertThat(accepted.message()).contains("accepted").doesNotContain("secret prompt text");
            assertThat(accepted.taskId()).isEqualTo(id);
            assertThat(accepted.tenant()).isEqualTo("dev");
        }
    }

    @Test
    void anEventConsumedFromKafkaLogsWithItsTaskAndTenant() {
        UUID unknown = UUID.randomUUID();
        try (LogCapture logs = LogCapture.debugOf(TaskViewConsumer.class)) {
            KafkaTestClient.send(KafkaTestClient.status(unknown, 1, TaskStatus.TASK_STATUS_QUEUED, 0));

            LogCapture.Line ignored = await().atMost(WAIT)
                    .until(() -> logs.lineContaining(unknown.toString()), line -> line.isPresent()).orElseThrow();
            assertThat(ignored.message()).contains("unknown task");
            assertThat(ignored.taskId()).isEqualTo(unknown.toString());
            assertThat(ignored.tenant()).isEqualTo("dev");
        }
    }

    @Test
    void nothingIsTaggedOffAVertxContext() {
        assertThat(TaskLogContext.put(UUID.randomUUID(), "dev")).isFalse();
        assertThat(org.jboss.logging.MDC.get(TaskLogContext.TASK_ID)).isNull();
    }
}
