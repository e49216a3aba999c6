package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.WebSocketClientConnection;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** Prefer: wait=N on submission, and per-tenant rate limits (Bucket4j), against the real broker and database. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class PreferWaitAndRateLimitTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Configured in the test profile: burst 2, one more per minute. */
    private static final String LIMITED = "limited";
    private static final String LIMITED_KEY = "test-limited-tenant-key-0123456789abcdef";

    @TestHTTPResource("/")
    URI baseUri;

    @Inject
    TestTenants tenants;

    @Inject
    ObjectMapper mapper;

    @Inject
    Pool pool;

    private static String task(String marker) {
        return """
                {"kind": "predict", "program": {"signature": "question -> answer"},
                 "inputs": {"question": "%s"}}""".formatted(marker);
    }

    private static Response submit(String key, String body, String prefer) {
        var request = given().header("Authorization", bearer(key)).contentType(ContentType.JSON).body(body);
        if (prefer != null) {
            request.header("Prefer", prefer);
        }
        return request.when().post("/api/v1/tasks");
    }

    @Test
    void waitAnswers200WithTheFinishedTaskWhenItEndsInTime() throws Exception {
        String marker = "wait-" + UUID.randomUUID();
        CompletableFuture<Response> answer = CompletableFuture.supplyAsync(
                () -> submit(TestKeys.DEV, task(marker), "respond-async, wait=15"));

        // Play the orchestrator once the request is on the broker: the client is still waiting.
        TaskRequested request = KafkaTestClient.awaitRequestMatching(
                r -> r.getInputs().getFieldsOrThrow("question").getStringValue().equals(marker), WAIT).orElseThrow();
        assertThat(answer).isNotDone();
        UUID id = UUID.fromString(request.getTaskId());
        KafkaTestClient.send(KafkaTestClient.succeeded(id, "answer", "Paris"));

        Response response = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        response.then()
                .statusCode(200)
                .header("Preference-Applied", "wait=15")
                .header("Location", "/api/v1/tasks/" + id)
                .body("id", equalTo(id.toString()))
                .body("status", equalTo("succeeded"))
                .body("result.outputs.answer", equalTo("Paris"))
                .body("last_seq", equalTo(4));
    }

    @Test
    void waitAnswers202WhenTheTaskIsNotDoneInTime() {
        long started = System.nanoTime();
        Response response = submit(TestKeys.DEV, task("slow-" + UUID.randomUUID()), "wait=1");
        response.then()
                .statusCode(202)
                .header("Preference-Applied", "wait=1")
                .body("status", equalTo("queued"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(900));

        // Nothing to wait for: no preference, wait=0 or an unreadable one are answered at once without the header.
        submit(TestKeys.DEV, task("x"), null).then().statusCode(202).header("Preference-Applied", nullValue());
        submit(TestKeys.DEV, task("x"), "wait=0").then().statusCode(202).header("Preference-Applied", nullValue());
        submit(TestKeys.DEV, task("x"), "wait=soon").then().statusCode(202).header("Preference-Applied", nullValue());
    }

    @Test
    void waitOnAnIdempotentRetryOfAFinishedTaskAnswersItAtOnce() {
        String key = "wait-retry-" + UUID.randomUUID();
        String body = task("retry-" + UUID.randomUUID());
        UUID id = UUID.fromString(given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(body).when().post("/api/v1/tasks").then().statusCode(202)
                .extract().path("id"));
        KafkaTestClient.send(KafkaTestClient.succeeded(id, "answer", "Paris"));

        // Over 60 is capped at 60; the finished task comes back as soon as the view has it.
        given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key).header("Prefer", "wait=600")
                .contentType(ContentType.JSON).body(body).when().post("/api/v1/tasks").then()
                .statusCode(200)
                .header("Preference-Applied", "wait=60")
                .body("id", equalTo(id.toString()))
                .body("status", equalTo("succeeded"));
    }

    @Test
    void submissionsBeyondTheTenantsRateAre429WithRetryAfterOverRestAndWebSocket() throws Exception {
        tenants.ensureTenant(LIMITED, LIMITED_KEY);
        long before = tasksOf(LIMITED);
        int accepted = 0;
        Response limited = null;
        for (int i = 0; i < 4 && limited == null; i++) {
            Response response = submit(LIMITED_KEY, task("limited-" + i), null);
            if (response.statusCode() == 429) {
                limited = response;
            } else {
                response.then().statusCode(202);
                accepted++;
            }
        }
        assertThat(limited).as("a 429 within 4 submissions").isNotNull();
        assertThat(accepted).isBetween(1, 3);
        limited.then()
                .contentType("application/problem+json")
                .body("status", equalTo(429))
                .body("code", equalTo("RATE_LIMITED"));
        long retryAfter = Long.parseLong(limited.header("Retry-After"));
        assertThat(retryAfter).isBetween(1L, 60L);
        assertThat(tasksOf(LIMITED)).isEqualTo(before + accepted);

        // The WebSocket draws from the same bucket.
        LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        WebSocketClientConnection connection = BasicWebSocketConnector.create()
                .addHeader("Authorization", bearer(LIMITED_KEY))
                .baseUri(baseUri).path("/ws/v1")
                .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                .onTextMessage((c, frame) -> {
                    if (!frame.contains("\"heartbeat\"")) {
                        frames.add(frame);
                    }
                })
                .connectAndAwait();
        try {
            connection.sendTextAndAwait("{\"type\":\"submit\",\"request_id\":\"r1\",\"task\":" + task("ws") + "}");
            String text = frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(text).isNotNull();
            JsonNode frame = mapper.readTree(text);
            assertThat(frame.path("type").asText()).isEqualTo("error");
            assertThat(frame.path("code").asText()).isEqualTo("RATE_LIMITED");
            assertThat(frame.path("request_id").asText()).isEqualTo("r1");
            assertThat(frame.path("retry_after").asLong()).isBetween(1L, 60L);
        } finally {
            connection.closeAndAwait();
        }
        assertThat(tasksOf(LIMITED)).isEqualTo(before + accepted);

        // Other tenants are not affected.
        submit(TestKeys.DEV, task("unaffected"), null).then().statusCode(202);
    }

    private long tasksOf(String tenant) {
        return pool.preparedQuery("SELECT count(*) FROM gateway.tasks WHERE tenant_id = $1").execute(Tuple.of(tenant))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
    }
}
