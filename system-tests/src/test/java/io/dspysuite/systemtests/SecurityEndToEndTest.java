package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.suite.Suite;
import io.dspysuite.systemtests.logscan.LogCanaries;

/**
 * Security properties of the real processes, as deployed by {@code ./suite run}: tenant isolation over REST, SSE and
 * WebSocket for tasks, programs and versions (another tenant's ids answer 404, never 403, so they do not leak); the
 * production limits (1 MiB bodies: 413, per-tenant submission rate: 429, both problem+json with a stable code); the
 * orchestration service's internal API refusing callers without the shared token. Uses the simulated LM (no model
 * time): the properties, not the answers, are under test.
 */
class SecurityEndToEndTest {

    private static final Duration TASK_TIMEOUT = Duration.ofMinutes(2);
    private static final String SIMULATED_PREDICT = """
            {"kind":"predict","program":{"signature":"question -> answer","module":"predict"},
             "inputs":{"question":"Who may read this? (%s)"},"options":{"model":"simulated"}}"""
            .formatted(LogCanaries.PROMPT_MARKER);

    private static Suite suite;
    private static SuiteClient admin;

    @BeforeAll
    static void startSuite() {
        suite = RunningSuite.get();
        // The local stack's dev key is an admin key: it creates the tenants of this test.
        admin = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    /** A fresh tenant with a member key, through the admin API. */
    private static SuiteClient newTenant(String prefix) {
        String tenant = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        SuiteClient.Response created = admin.post("/api/v1/admin/tenants", """
                {"id":"%s","name":"Security test %s"}""".formatted(tenant, prefix));
        assertThat(created.status()).as("tenant %s", created.body()).isEqualTo(201);
        SuiteClient.Response key = admin.post("/api/v1/admin/tenants/" + tenant + "/keys", "{\"name\":\"e2e\"}");
        assertThat(key.status()).as("key %s", key.body()).isEqualTo(201);
        String secret = key.body().path("key").asText();
        LogCanaries.secret("the key of tenant " + tenant, secret);
        return new SuiteClient(suite.config().gatewayUrl(), secret);
    }

    private static void assertNotFound(SuiteClient.Response response, String code) {
        assertThat(response.status()).as("response %s", response.body()).isEqualTo(404);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.body().path("code").asText()).isEqualTo(code);
    }

    @Test
    void anotherTenantCannotReadSubscribeToCancelOrListTasksProgramsAndVersions() {
        SuiteClient owner = newTenant("sec-a");
        SuiteClient stranger = newTenant("sec-b");

        // The owner's task and program version 2 (a labeled few-shot compile, no LM needed to compile).
        String program = "sec-prog-" + UUID.randomUUID().toString().substring(0, 8);
        SuiteClient.Response optimize = owner.post("/api/v1/tasks", """
                {"kind":"optimize","program":{"signature":"question -> answer","module":"predict"},
                 "optimizer":"labeled_few_shot","params":{"k":1},"metric":"exact_match",
                 "trainset":[{"question":"Secret question (%s)?","answer":"42"}],
                 "devset":[{"question":"Secret question (%s)?","answer":"42"}],
                 "target_program":"%s","options":{"model":"simulated"}}"""
                .formatted(LogCanaries.PROMPT_MARKER, LogCanaries.PROMPT_MARKER, program));
        assertThat(optimize.status()).as("optimize %s", optimize.body()).isEqualTo(202);
        String optimizeId = optimize.body().path("id").asText();
        JsonNode optimized = owner.awaitFinished(optimizeId, TASK_TIMEOUT);
        assertThat(optimized.path("status").asText()).as("task %s", optimized).isEqualTo("succeeded");
        assertThat(optimized.path("result").path("outputs").path("version").asInt()).isEqualTo(2);

        // REST: read, cancel, events (SSE), list.
        assertNotFound(stranger.get("/api/v1/tasks/" + optimizeId), "TASK_NOT_FOUND");
        assertNotFound(stranger.post("/api/v1/tasks/" + optimizeId + "/cancel", ""), "TASK_NOT_FOUND");
        assertNotFound(stranger.send(HttpRequest.newBuilder(URI.create(suite.config().gatewayUrl() + "/api/v1/tasks/"
                + optimizeId + "/events")).header("Authorization", "Bearer " + stranger.apiKey())
                .header("Accept", "text/event-stream").GET()), "TASK_NOT_FOUND");
        SuiteClient.Response list = stranger.get("/api/v1/tasks?limit=100");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("items").findValuesAsText("id")).doesNotContain(optimizeId);

        // Programs and versions: the owner's program does not exist for the stranger.
        assertThat(owner.get("/api/v1/programs").body().path("programs").findValuesAsText("name")).contains(program);
        assertThat(stranger.get("/api/v1/programs").body().path("programs").findValuesAsText("name"))
                .doesNotContain(program);
        SuiteClient.Response versions = stranger.get("/api/v1/programs/" + program + "/versions?include_state=true");
        assertThat(versions.status()).as("versions %s", versions.body()).isEqualTo(404);
        assertThat(versions.body().toString()).doesNotContain(LogCanaries.PROMPT_MARKER);
        SuiteClient.Response promote = stranger.post("/api/v1/programs/" + program + "/versions/2/promote", "");
        assertThat(promote.status()).as("promote %s", promote.body()).isEqualTo(404);
        // Nor can the stranger run it: the task fails as an unknown program, without the owner's demos.
        SuiteClient.Response run = stranger.post("/api/v1/tasks", """
                {"kind":"predict","program":{"name":"%s","version":2},"inputs":{"question":"q"},
                 "options":{"model":"simulated"}}""".formatted(program));
        if (run.status() == 202) {
            JsonNode ran = stranger.awaitFinished(run.body().path("id").asText(), TASK_TIMEOUT);
            assertThat(ran.path("status").asText()).as("task %s", ran).isEqualTo("failed");
            assertThat(ran.path("error").path("code").asText()).as("task %s", ran).endsWith("NOT_FOUND");
        } else {
            assertThat(run.status()).as("run %s", run.body()).isIn(400, 404, 422);
        }

        // WebSocket: subscribe and cancel are refused as unknown tasks, and nothing of the task arrives.
        SuiteClient.Frames ws = stranger.openWebSocket();
        ws.send("{\"type\":\"subscribe\",\"request_id\":\"s1\",\"task_id\":\"" + optimizeId + "\",\"after_seq\":0}");
        JsonNode refused = ws.next(Duration.ofSeconds(10));
        assertThat(refused.path("type").asText()).as("frame %s", refused).isEqualTo("error");
        assertThat(refused.path("code").asText()).isEqualTo("TASK_NOT_FOUND");
        ws.send("{\"type\":\"cancel\",\"request_id\":\"c1\",\"task_id\":\"" + optimizeId + "\"}");
        JsonNode cancel = ws.next(Duration.ofSeconds(10));
        assertThat(cancel.path("code").asText()).as("frame %s", cancel).isEqualTo("TASK_NOT_FOUND");
        ws.send("{\"type\":\"ping\"}");
        assertThat(ws.next(Duration.ofSeconds(10)).path("type").asText()).isEqualTo("pong");
        ws.close();

        // The control: the owner sees all of it.
        assertThat(owner.get("/api/v1/tasks/" + optimizeId).status()).isEqualTo(200);
        assertThat(owner.get("/api/v1/programs/" + program + "/versions").status()).isEqualTo(200);
    }

    @Test
    void overTheLimitsTheGatewayAnswers413And429ProblemsNever5xx() {
        SuiteClient tenant = newTenant("sec-limits");

        // 1 MiB bodies (quarkus.http.limits.max-body-size) on the production configuration.
        String huge = SIMULATED_PREDICT.replace("Who may read this?", "x".repeat(1024 * 1024 + 1));
        SuiteClient.Response tooLarge = tenant.post("/api/v1/tasks", huge);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.contentType()).startsWith("application/problem+json");
        assertThat(tooLarge.body().path("code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");

        // Default rate: burst 30, refilled at 120/min (2/s): a fresh tenant submitting as fast as it can meets the
        // limit after a little more than 30 (45 in 9 s did not, on a loaded machine); stop at the first 429.
        List<Integer> statuses = new ArrayList<>();
        SuiteClient.Response limited = null;
        for (int i = 0; i < 200 && limited == null; i++) {
            SuiteClient.Response response = tenant.post("/api/v1/tasks", SIMULATED_PREDICT);
            statuses.add(response.status());
            if (response.status() == 429 && limited == null) {
                limited = response;
            }
        }
        assertThat(statuses).as("statuses").allMatch(s -> s == 202 || s == 429);
        assertThat(limited).as("a 429 among %s", statuses).isNotNull();
        assertThat(limited.contentType()).startsWith("application/problem+json");
        assertThat(limited.body().path("code").asText()).isEqualTo("RATE_LIMITED");
        assertThat(limited.raw().headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void theOrchestrationServicesInternalApiNeedsTheSharedToken() {
        String orchestration = "http://localhost:" + suite.config().orchestrationPort();
        SuiteClient anyone = new SuiteClient(orchestration, "irrelevant-key-0123456789");
        for (String path : List.of("/internal/v1/catalog", "/internal/v1/admin/queues", "/internal/v1/admin/jobs",
                "/internal/v1/tenants/dev/programs")) {
            SuiteClient.Response withoutToken = anyone.get(path);
            assertThat(withoutToken.status()).as(path).isEqualTo(401);
            assertThat(withoutToken.body().path("code").asText()).isEqualTo("INTERNAL_TOKEN_INVALID");
            SuiteClient.Response wrongToken = anyone.send(HttpRequest.newBuilder(URI.create(orchestration + path))
                    .header("X-Internal-Token", "not-the-token").GET());
            assertThat(wrongToken.status()).as(path).isEqualTo(401);
        }
        assertThat(anyone.send(HttpRequest.newBuilder(URI.create(orchestration + "/internal/v1/catalog"))
                .header("X-Internal-Token", suite.internalToken()).GET()).status()).isEqualTo(200);
        // And the gateway, which has it, relays for an API key.
        assertThat(admin.get("/api/v1/catalog").status()).isEqualTo(200);
    }
}
