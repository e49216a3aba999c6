package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.KafkaTestClient.REQUESTED;
import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** The REST API against a real Kafka broker and PostgreSQL; Kafka plays the orchestration service. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskRestTest {

    static final String PREDICT = """
            {"kind": "predict",
             "program": {"signature": "question -> answer", "module": "chain_of_thought"},
             "inputs": {"question": "What is the capital of France? (canary-prompt-5d1f)"},
             "options": {"temperature": 0.2}}""";

    @Inject
    Pool pool;

    @TestHTTPResource("/")
    java.net.URI baseUri;

    @Inject
    TestTenants tenants;

    @BeforeEach
    void tenants() {
        tenants.ensureOtherTenant();
    }

    static Response submit(String key, String body) {
        return given().header("Authorization", bearer(key)).contentType(ContentType.JSON).body(body)
                .when().post("/api/v1/tasks");
    }

    static UUID submitPredict() {
        return UUID.fromString(submit(TestKeys.DEV, PREDICT).then().statusCode(202).extract().path("id"));
    }

    @Test
    void submitQueuesTheTaskAndGetFollowsItsEventsToTheResult() {
        Response response = submit(TestKeys.DEV, PREDICT);
        response.then()
                .statusCode(202)
                .contentType(ContentType.JSON)
                .header("Location", startsWith("/api/v1/tasks/"))
                .body("status", equalTo("queued"))
                .body("kind", equalTo("predict"))
                .body("created_at", notNullValue())
                .body("last_seq", equalTo(0))
                .body("program.signature", equalTo("question -> answer"))
                .body("result", nullValue());
        UUID id = UUID.fromString(response.path("id"));
        assertThat(id.version()).isEqualTo(7);
        assertThat(response.header("Location")).isEqualTo("/api/v1/tasks/" + id);

        TaskRequested request = KafkaTestClient.awaitRequest(id).orElseThrow();
        assertThat(request.getTenantId()).isEqualTo("dev");
        assertThat(request.getKind()).isEqualTo(TaskKind.TASK_KIND_PREDICT);
        assertThat(request.getProgram().getAdHoc().getSignature()).isEqualTo("question -> answer");
        assertThat(request.getProgram().getAdHoc().getModule()).isEqualTo("chain_of_thought");
        assertThat(request.getInputs().getFieldsOrThrow("question").getStringValue())
                .isEqualTo("What is the capital of France? (canary-prompt-5d1f)");
        assertThat(request.getOptions().getFieldsOrThrow("temperature").getNumberValue()).isEqualTo(0.2);
        assertThat(request.hasRequestedAt()).isTrue();

        KafkaTestClient.send(KafkaTestClient.succeeded(id, "answer", "Paris"));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> get(TestKeys.DEV, id).then()
                .statusCode(200)
                .body("status", equalTo("succeeded"))
                .body("last_seq", equalTo(4)));
        get(TestKeys.DEV, id).then()
                .body("id", equalTo(id.toString()))
                .body("result.outputs.answer", equalTo("Paris"))
                .body("result.model", equalTo("smollm2-135m"))
                .body("usage.input_tokens", equalTo(42))
                .body("usage.output_tokens", equalTo(7))
                .body("error", nullValue())
                .body("attempt", equalTo(1))
                .body("started_at", notNullValue())
                .body("finished_at", notNullValue());
    }

    @Test
    void failedTaskShowsItsError() {
        UUID id = submitPredict();
        KafkaTestClient.send(
                KafkaTestClient.status(id, 1, TaskStatus.TASK_STATUS_QUEUED, 0),
                KafkaTestClient.status(id, 2, TaskStatus.TASK_STATUS_RUNNING, 1),
                KafkaTestClient.error(id, 3, "LM_UNAVAILABLE", true),
                KafkaTestClient.status(id, 4, TaskStatus.TASK_STATUS_FAILED, 0));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> get(TestKeys.DEV, id).then()
                .body("status", equalTo("failed"))
                .body("error.code", equalTo("LM_UNAVAILABLE"))
                .body("error.message", equalTo("it broke"))
                .body("error.retryable", equalTo(true))
                .body("result", nullValue()));
    }

    @Test
    void redeliveredAndStaleEventsChangeNothing() {
        UUID id = submitPredict();
        KafkaTestClient.send(KafkaTestClient.succeeded(id, "answer", "Paris"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> get(TestKeys.DEV, id).then().body("status", equalTo("succeeded")));

        // A redelivery of the whole stream, then an older status: neither may move the task back.
        KafkaTestClient.send(KafkaTestClient.succeeded(id, "answer", "Lyon"));
        KafkaTestClient.send(KafkaTestClient.status(id, 2, TaskStatus.TASK_STATUS_RUNNING, 1));
        UUID marker = submitPredict();
        KafkaTestClient.send(KafkaTestClient.status(marker, 1, TaskStatus.TASK_STATUS_QUEUED, 0));
        // Events of one task id share a partition, but the marker may sit on another: wait for the view to pass both.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> get(TestKeys.DEV, marker).then().body("last_seq", equalTo(1)));

        get(TestKeys.DEV, id).then()
                .body("status", equalTo("succeeded"))
                .body("result.outputs.answer", equalTo("Paris"))
                .body("last_seq", equalTo(4));
        assertThat(count("SELECT count(*) FROM gateway.task_events WHERE task_id = $1", id)).isEqualTo(4);
    }

    @Test
    void nulCharactersInInputsAreStoredInsteadOfFailing() {
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "q -> a"}, "inputs": {"q": "a\\u0000b"}}""").then()
                .statusCode(202);
    }

    @Test
    void aRecordThatIsNotATaskEventIsSkipped() throws Exception {
        KafkaTestClient.sendRaw(UUID.randomUUID().toString(), new byte[] { (byte) 0xff, 0x01, 0x02 });
        UUID id = submitPredict();
        KafkaTestClient.send(KafkaTestClient.status(id, 1, TaskStatus.TASK_STATUS_QUEUED, 0));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> get(TestKeys.DEV, id).then().body("last_seq", equalTo(1)));
    }

    @Test
    void malformedJsonIsRejectedWithoutQueueingAnything() {
        long published = KafkaTestClient.endOffsetSum(REQUESTED);
        long tasks = taskCount();

        submit(TestKeys.DEV, "{\"kind\": \"predict\", ").then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("code", equalTo("MALFORMED_JSON"))
                .body("status", equalTo(400))
                .body("type", startsWith("urn:dspysuite:problem:"))
                .body("title", notNullValue());
        submit(TestKeys.DEV, "{} trailing").then().statusCode(400).body("code", equalTo("MALFORMED_JSON"));
        submit(TestKeys.DEV, "").then().statusCode(400).body("code", equalTo("MALFORMED_JSON"));

        assertNothingQueued(published, tasks);
    }

    @Test
    void invalidTasksAnswer422WithViolationsAndQueueNothing() {
        long published = KafkaTestClient.endOffsetSum(REQUESTED);
        long tasks = taskCount();

        submit(TestKeys.DEV, """
                {"kind": "summon", "program": {"signature": "q -> a"}, "inputs": {"q": "x"}}""").then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("kind"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "question -> answer"}}""").then()
                .statusCode(422)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("inputs"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "question -> answer"}, "inputs": {}}""").then()
                .statusCode(422)
                .body("violations.field", hasItem("inputs"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "question -> answer"}, "inputs": "what?"}""").then()
                .statusCode(422)
                .body("violations.field", hasItem("inputs"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "question -> answer", "module": "telepathy"},
                 "inputs": {"question": "x"}, "options": {"temperature": 9, "colour": "red"}}""").then()
                .statusCode(422)
                .body("violations.field", hasItem("program.module"))
                .body("violations.field", hasItem("options.temperature"))
                .body("violations.field", hasItem("options.colour"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "%s -> answer"}, "inputs": {"q": "x"}}"""
                .formatted("q".repeat(4097))).then()
                .statusCode(422)
                .body("violations.field", hasItem("program.signature"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"signature": "q -> a", "name": "qa"}, "inputs": {"q": "x"}}""").then()
                .statusCode(422)
                .body("violations.field", hasItem("program"));
        submit(TestKeys.DEV, "[1, 2]").then().statusCode(422).body("code", equalTo("VALIDATION_FAILED"));
        submit(TestKeys.DEV, """
                {"kind": "predict", "program": "qa", "inputs": {"q": "x"}}""").then()
                .statusCode(422)
                .body("violations.field", hasItem("program"));

        assertNothingQueued(published, tasks);
    }

    @Test
    void aRegisteredProgramIsPassedOnByName() {
        Response response = submit(TestKeys.DEV, """
                {"kind": "predict", "program": {"name": "qa", "version": 3}, "inputs": {"question": "x"}}""");
        response.then().statusCode(202).body("program.name", equalTo("qa")).body("program.version", equalTo("3"));
        TaskRequested request = KafkaTestClient.awaitRequest(UUID.fromString(response.path("id"))).orElseThrow();
        assertThat(request.getProgram().getNamed().getName()).isEqualTo("qa");
        assertThat(request.getProgram().getNamed().getVersion()).isEqualTo("3");
    }

    @Test
    void missingOrWrongKeyIs401ProblemJsonAndQueuesNothing() {
        long published = KafkaTestClient.endOffsetSum(REQUESTED);
        long tasks = taskCount();

        given().contentType(ContentType.JSON).body(PREDICT).when().post("/api/v1/tasks").then()
                .statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("code", equalTo("UNAUTHENTICATED"));
        submit("wrong-key-0123456789abcdef", PREDICT).then()
                .statusCode(401)
                .contentType("application/problem+json")
                .body("code", equalTo("UNAUTHENTICATED"));
        given().header("Authorization", "Basic dXNlcjpwYXNz").contentType(ContentType.JSON).body(PREDICT)
                .when().post("/api/v1/tasks").then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
        given().when().get("/api/v1/tasks/" + UUID.randomUUID()).then()
                .statusCode(401).body("code", equalTo("UNAUTHENTICATED"));

        assertNothingQueued(published, tasks);
    }

    @Test
    void anotherTenantsTaskIsNotFound() {
        UUID id = submitPredict();
        get(TestKeys.OTHER, id).then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("code", equalTo("TASK_NOT_FOUND"));
        get(TestKeys.DEV, id).then().statusCode(200);
        get(TestKeys.DEV, UUID.randomUUID()).then().statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/tasks/not-a-uuid").then()
                .statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
    }

    @Test
    void idempotencyKeyReturnsTheOriginalTask() {
        String key = "retry-" + UUID.randomUUID();
        Response first = given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(PREDICT).when().post("/api/v1/tasks");
        first.then().statusCode(202);
        String id = first.path("id");

        given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(PREDICT).when().post("/api/v1/tasks").then()
                .statusCode(200)
                .header("Location", endsWith(id))
                .body("id", equalTo(id));
        // The same key with another body is a client bug, not a retry.
        given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(PREDICT.replace("France", "Italy")).when().post("/api/v1/tasks").then()
                .statusCode(409)
                .body("code", equalTo("IDEMPOTENCY_CONFLICT"))
                .body("task_id", equalTo(id));
        // Keys are per tenant: another tenant's identical key is a different task.
        given().header("Authorization", bearer(TestKeys.OTHER)).header("Idempotency-Key", key)
                .contentType(ContentType.JSON).body(PREDICT).when().post("/api/v1/tasks").then()
                .statusCode(202)
                .body("id", org.hamcrest.Matchers.not(equalTo(id)));

        assertThat(count("SELECT count(*) FROM gateway.tasks WHERE tenant_id = 'dev' AND idempotency_key = $1", key))
                .isEqualTo(1);
        assertThat(KafkaTestClient.requestsFor(UUID.fromString(id), Duration.ofSeconds(20))).hasSize(1);
        // The tenant travels as a header too, so that the orchestration service can end a task whose request it
        // cannot decode.
        assertThat(KafkaTestClient.tenantHeadersFor(UUID.fromString(id), Duration.ofSeconds(20))).containsExactly("dev");
    }

    @Test
    void oversizedBodyIs413ProblemJson() {
        String huge = "{\"kind\":\"predict\",\"program\":{\"signature\":\"q -> a\"},\"inputs\":{\"q\":\""
                + "x".repeat(1024 * 1024) + "\"}}";
        submit(TestKeys.DEV, huge).then()
                .statusCode(413)
                .contentType("application/problem+json")
                .body("code", equalTo("PAYLOAD_TOO_LARGE"));
    }

    /**
     * Regression: Java's HttpClient (HTTP/2 preferred, upgrading over h2c) got "GOAWAY received" instead of the 413,
     * because the limit handler closed the whole connection with "Connection: close" also on HTTP/2.
     */
    @Test
    void oversizedBodyIs413ProblemJsonForAnHttp2ClientToo() throws Exception {
        String huge = "{\"kind\":\"predict\",\"inputs\":{\"q\":\"" + "x".repeat(1100 * 1024) + "\"}}";
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_2).build();
        for (int i = 0; i < 2; i++) { // the second on the connection the first one upgraded
            java.net.http.HttpResponse<String> response = client.send(
                    java.net.http.HttpRequest.newBuilder(baseUri.resolve("/api/v1/tasks"))
                            .header("Authorization", bearer(TestKeys.DEV))
                            .header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(huge))
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(response.body()).contains("\"code\":\"PAYLOAD_TOO_LARGE\"");
        }
        // The connection still serves.
        assertThat(client.send(java.net.http.HttpRequest.newBuilder(baseUri.resolve("/q/health/live")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void oversizedChunkedBodyIs413ProblemJsonToo() throws Exception {
        // No Content-Length: the limit can only be enforced while reading.
        byte[] huge = ("{\"kind\":\"predict\",\"inputs\":{\"q\":\"" + "x".repeat(1100 * 1024) + "\"}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(baseUri.resolve("/api/v1/tasks"))
                        .header("Authorization", bearer(TestKeys.DEV))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(huge)))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(response.body()).contains("\"code\":\"PAYLOAD_TOO_LARGE\"");
    }

    @Test
    void chunkedBodiesWithinTheLimitAreRead() throws Exception {
        byte[] body = PREDICT.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(baseUri.resolve("/api/v1/tasks"))
                        .header("Authorization", bearer(TestKeys.DEV))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(body)))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(202);
    }

    @Test
    void protocolErrorsAreProblemJsonToo() {
        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/nothing-here").then()
                .statusCode(404).contentType("application/problem+json").body("code", equalTo("NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).when().delete("/api/v1/tasks").then()
                .statusCode(405).contentType("application/problem+json").body("code", equalTo("METHOD_NOT_ALLOWED"));
        given().header("Authorization", bearer(TestKeys.DEV)).contentType(ContentType.TEXT).body("hello")
                .when().post("/api/v1/tasks").then()
                .statusCode(415).contentType("application/problem+json").body("code", equalTo("UNSUPPORTED_MEDIA_TYPE"));
        given().when().get("/no/such/page").then()
                .statusCode(404).contentType("application/problem+json").body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void operationalEndpointsAndThePageAreOpen() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/openapi?format=json").then()
                .statusCode(200)
                .body("components.securitySchemes.api-key.scheme", equalTo("bearer"))
                .body("paths.'/api/v1/tasks'.post.summary", equalTo("Submit a task"));
        given().when().get("/q/metrics").then().statusCode(200);
        given().when().get("/q/swagger-ui/").then().statusCode(200).contentType(ContentType.HTML);
        given().when().get("/").then().statusCode(200).contentType(ContentType.HTML);
        given().when().get("/app.js").then().statusCode(200);
    }

    static Response get(String key, UUID id) {
        return given().header("Authorization", bearer(key)).when().get("/api/v1/tasks/" + id);
    }

    private void assertNothingQueued(long publishedBefore, long tasksBefore) {
        assertThat(taskCount()).isEqualTo(tasksBefore);
        assertThat(KafkaTestClient.endOffsetSum(REQUESTED)).isEqualTo(publishedBefore);
    }

    private long taskCount() {
        return pool.query("SELECT count(*) FROM gateway.tasks").execute().await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }

    private long count(String sql, Object parameter) {
        return pool.preparedQuery(sql).execute(Tuple.of(parameter)).await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }
}
