package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.events.v1.TaskControl;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/** GET /api/v1/tasks (filters, cursor pagination) and POST /api/v1/tasks/{id}/cancel, on real Kafka and PostgreSQL. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskListAndCancelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    TestTenants tenants;

    /** A tenant of its own, so its list holds exactly what the test created. */
    private String freshTenant() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String key = "test-list-key-" + suffix + "-0123456789abcdef";
        tenants.ensureTenant("list-" + suffix, key);
        return key;
    }

    private static UUID submit(String key, String body) {
        return UUID.fromString(given().header("Authorization", bearer(key)).contentType(ContentType.JSON).body(body)
                .when().post("/api/v1/tasks").then().statusCode(202).extract().path("id"));
    }

    private static Response list(String key, String query) {
        return given().header("Authorization", bearer(key)).when().get("/api/v1/tasks" + query);
    }

    @Test
    void listsTheTenantsTasksNewestFirstPageByPage() {
        String key = freshTenant();
        List<UUID> submitted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            submitted.add(submit(key, TaskRestTest.PREDICT));
        }
        List<String> newestFirst = new ArrayList<>(submitted.stream().map(UUID::toString).toList());
        java.util.Collections.reverse(newestFirst);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Response page = list(key, "?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            page.then().statusCode(200).contentType(ContentType.JSON);
            List<String> ids = page.path("items.id");
            assertThat(ids).hasSizeLessThanOrEqualTo(2);
            seen.addAll(ids);
            cursor = page.path("next_cursor");
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(newestFirst);

        // Default page size holds them all; the last page says so with an explicit null.
        list(key, "").then().statusCode(200)
                .body("items.size()", equalTo(5))
                .body("items[0].id", equalTo(newestFirst.get(0)))
                .body("items[0].status", equalTo("queued"))
                .body("items[0].program.signature", equalTo("question -> answer"))
                .body("next_cursor", nullValue());
        // An exact fit has no further page either.
        list(key, "?limit=5").then().body("items.size()", equalTo(5)).body("next_cursor", nullValue());

        // Another tenant sees none of them.
        List<String> others = list(TestKeys.OTHER, "?limit=100").path("items.id");
        assertThat(others).doesNotContainAnyElementsOf(newestFirst);
    }

    @Test
    void filtersByStatusAndKind() {
        String key = freshTenant();
        UUID done = submit(key, TaskRestTest.PREDICT);
        UUID running = submit(key, TaskRestTest.PREDICT);
        UUID queued = submit(key, TaskRestTest.PREDICT);
        KafkaTestClient.send(KafkaTestClient.succeeded(done, "answer", "Paris"));
        KafkaTestClient.send(KafkaTestClient.status(running, 1, TaskStatus.TASK_STATUS_RUNNING, 1));
        await().atMost(WAIT).untilAsserted(() -> {
            TaskRestTest.get(key, done).then().body("status", equalTo("succeeded"));
            TaskRestTest.get(key, running).then().body("status", equalTo("running"));
        });

        list(key, "?status=succeeded").then().statusCode(200)
                .body("items.id", equalTo(List.of(done.toString())))
                .body("items[0].result.outputs.answer", equalTo("Paris"));
        list(key, "?status=queued,running").then()
                .body("items.id", equalTo(List.of(queued.toString(), running.toString())));
        list(key, "?status=queued&status=succeeded").then()
                .body("items.id", equalTo(List.of(queued.toString(), done.toString())));
        list(key, "?status=failed").then().body("items.size()", equalTo(0)).body("next_cursor", nullValue());
        list(key, "?kind=predict").then().body("items.size()", equalTo(3));
        list(key, "?kind=optimize").then().body("items.size()", equalTo(0));
        list(key, "?kind=predict&status=running").then().body("items.id", equalTo(List.of(running.toString())));
    }

    @Test
    void badListParametersAre400ProblemJsonNamingEachOne() {
        list(TestKeys.DEV, "?status=done&kind=train&limit=0&cursor=bm9wZQ").then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("code", equalTo("INVALID_PARAMETER"))
                .body("violations.field", hasItems("status", "kind", "limit", "cursor"));
        list(TestKeys.DEV, "?limit=101").then().statusCode(400).body("violations[0].field", equalTo("limit"));
        list(TestKeys.DEV, "?limit=ten").then().statusCode(400).body("code", equalTo("INVALID_PARAMETER"));
        list(TestKeys.DEV, "?cursor=%%%").then().statusCode(400).body("violations[0].field", equalTo("cursor"));
        list(TestKeys.DEV, "?status=queued,").then().statusCode(400).body("violations[0].field", equalTo("status"));
        given().when().get("/api/v1/tasks").then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }

    @Test
    void cancelPublishesTaskControlAndTheCancelledStatusFollows() {
        tenants.ensureOtherTenant();
        UUID id = submit(TestKeys.DEV, TaskRestTest.PREDICT);

        given().header("Authorization", bearer(TestKeys.DEV)).when().post("/api/v1/tasks/" + id + "/cancel").then()
                .statusCode(202)
                .contentType(ContentType.JSON)
                .body("id", equalTo(id.toString()))
                .body("status", equalTo("queued"))
                .body("cancel_requested_at", notNullValue());
        List<TaskControl> controls = KafkaTestClient.controlsFor(id, WAIT);
        assertThat(controls).hasSize(1);
        assertThat(controls.get(0).hasCancel()).isTrue();
        assertThat(controls.get(0).getTenantId()).isEqualTo("dev");
        assertThat(controls.get(0).hasRequestedAt()).isTrue();

        // The orchestration service confirms.
        KafkaTestClient.send(
                KafkaTestClient.status(id, 1, TaskStatus.TASK_STATUS_QUEUED, 0),
                KafkaTestClient.status(id, 2, TaskStatus.TASK_STATUS_CANCELLED, 0));
        await().atMost(WAIT).untilAsserted(() -> TaskRestTest.get(TestKeys.DEV, id).then()
                .body("status", equalTo("cancelled")).body("finished_at", notNullValue()));

        // Now there is nothing left to cancel, and nothing more is published.
        given().header("Authorization", bearer(TestKeys.DEV)).when().post("/api/v1/tasks/" + id + "/cancel").then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("code", equalTo("TASK_FINISHED"))
                .body("task_id", equalTo(id.toString()));
        assertThat(KafkaTestClient.controlsFor(id, WAIT)).hasSize(1);
    }

    @Test
    void cancelOfARunningTaskIsAcceptedAndRepeatable() {
        UUID id = submit(TestKeys.DEV, TaskRestTest.PREDICT);
        KafkaTestClient.send(KafkaTestClient.status(id, 1, TaskStatus.TASK_STATUS_RUNNING, 1));
        await().atMost(WAIT).untilAsserted(() -> TaskRestTest.get(TestKeys.DEV, id).then().body("status", equalTo("running")));
        for (int i = 0; i < 2; i++) {
            given().header("Authorization", bearer(TestKeys.DEV)).when().post("/api/v1/tasks/" + id + "/cancel").then()
                    .statusCode(202).body("status", equalTo("running"));
        }
        await().atMost(WAIT).until(() -> KafkaTestClient.controlsFor(id, WAIT).size() == 2);
    }

    @Test
    void anotherTenantCannotCancelATaskAndLearnsNothing() {
        tenants.ensureOtherTenant();
        UUID id = submit(TestKeys.DEV, TaskRestTest.PREDICT);
        given().header("Authorization", bearer(TestKeys.OTHER)).when().post("/api/v1/tasks/" + id + "/cancel").then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("code", equalTo("TASK_NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).when().post("/api/v1/tasks/" + UUID.randomUUID() + "/cancel")
                .then().statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).when().post("/api/v1/tasks/nope/cancel")
                .then().statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
        given().when().post("/api/v1/tasks/" + id + "/cancel").then().statusCode(401);

        TaskRestTest.get(TestKeys.DEV, id).then().body("cancel_requested_at", nullValue());
        assertThat(KafkaTestClient.controlsFor(id, Duration.ofSeconds(2))).isEmpty();
    }
}
