package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.process.HealthProbe;
import io.dspysuite.localstack.process.SupervisedProcess;
import io.dspysuite.localstack.suite.Suite;

/**
 * One task travels REST/WebSocket → Kafka → orchestration → gRPC → real DSPy with the local SmolLM2 model → back, on
 * real processes, a real Kafka broker and a real PostgreSQL.
 */
class WalkingSkeletonEndToEndTest {

    private static final Duration TASK_TIMEOUT = Duration.ofMinutes(3);
    private static final String CAPITAL_QUESTION = """
            {"kind":"predict","program":{"signature":"question -> answer","module":"predict"},
             "inputs":{"question":"What is the capital of France?"}}""";

    private static Suite suite;
    private static SuiteClient client;

    @BeforeAll
    static void startSuite() {
        suite = RunningSuite.get();
        client = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    @Test
    void restSubmittedPredictSucceedsWithTheLocalModelsAnswer() {
        SuiteClient.Response accepted = client.post("/api/v1/tasks", CAPITAL_QUESTION);

        assertThat(accepted.status()).isEqualTo(202);
        String id = accepted.body().path("id").asText();
        assertThat(id).isNotBlank();
        assertThat(accepted.body().path("status").asText()).isEqualTo("queued");
        assertThat(accepted.raw().headers().firstValue("Location")).hasValueSatisfying(
                location -> assertThat(location).endsWith("/api/v1/tasks/" + id));

        JsonNode task = awaitFinished(id);
        assertThat(task.path("status").asText()).as("task %s", task).isEqualTo("succeeded");
        assertThat(task.path("result").path("outputs").path("answer").asText()).isNotBlank();
        assertThat(task.path("usage").path("output_tokens").asLong()).isPositive();
    }

    @Test
    void chainOfThoughtReturnsReasoningAndAnswer() {
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"chain_of_thought"},
                 "inputs":{"question":"What is 2 + 2? (canary-prompt-5d1f)"}}""");
        assertThat(accepted.status()).isEqualTo(202);

        JsonNode task = awaitFinished(accepted.body().path("id").asText());
        assertThat(task.path("status").asText()).as("task %s", task).isEqualTo("succeeded");
        assertThat(task.path("result").path("outputs").path("reasoning").asText()).isNotBlank();
        assertThat(task.path("result").path("outputs").path("answer").asText()).isNotBlank();
    }

    @Test
    void webSocketSubmitterReceivesStatusAndResultEventsInSeqOrder() {
        SuiteClient.Frames ws = client.openBrowserWebSocket();
        ws.send("""
                {"type":"submit","request_id":"r-1","task":%s}""".formatted(CAPITAL_QUESTION));

        JsonNode accepted = ws.next(Duration.ofSeconds(30));
        assertThat(accepted.path("type").asText()).as("frame %s", accepted).isEqualTo("accepted");
        assertThat(accepted.path("request_id").asText()).isEqualTo("r-1");
        String taskId = accepted.path("task_id").asText();

        List<JsonNode> events = ws.eventsUntilFinal(taskId, TASK_TIMEOUT);
        ws.close();

        List<Long> seqs = events.stream().map(e -> e.path("seq").asLong()).toList();
        List<String> kinds = events.stream().map(e -> e.path("event").asText()).toList();
        assertThat(seqs).as("gap-free, in order, from 1").isEqualTo(
                java.util.stream.LongStream.rangeClosed(1, seqs.size()).boxed().toList());
        assertThat(kinds).containsSubsequence("status", "result", "status");
        JsonNode result = events.stream().filter(e -> e.path("event").asText().equals("result")).findFirst().orElseThrow();
        assertThat(result.path("data").path("outputs").path("answer").asText()).isNotBlank();
        assertThat(events.get(events.size() - 1).path("data").path("status").asText()).isEqualTo("succeeded");
    }

    @Test
    void invalidSignatureEndsTheTaskFailedWithItsReasonAndNoRetry() {
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> -> answer","module":"predict"},
                 "inputs":{"question":"hello"}}""");
        assertThat(accepted.status()).isEqualTo(202);

        JsonNode task = awaitFinished(accepted.body().path("id").asText());
        assertThat(task.path("status").asText()).as("task %s", task).isEqualTo("failed");
        assertThat(task.path("error").path("code").asText()).isEqualTo("INVALID_SIGNATURE");
        assertThat(task.path("error").path("retryable").asBoolean()).isFalse();
    }

    @Test
    void badRequestsAreRefusedWithProblemJsonAndNeverQueued() {
        SuiteClient.Response malformed = client.post("/api/v1/tasks", "{not json");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.contentType()).startsWith("application/problem+json");
        assertThat(malformed.body().path("code").asText()).isEqualTo("MALFORMED_JSON");

        SuiteClient.Response unknownKind = client.post("/api/v1/tasks", CAPITAL_QUESTION.replace("predict\",\"program",
                "summon\",\"program"));
        assertThat(unknownKind.status()).isBetween(400, 499);
        assertThat(unknownKind.contentType()).startsWith("application/problem+json");
        assertThat(unknownKind.body().path("code").asText()).isNotBlank();

        SuiteClient.Response wrongKey = new SuiteClient(suite.config().gatewayUrl(), "dsk_wrong")
                .post("/api/v1/tasks", CAPITAL_QUESTION);
        assertThat(wrongKey.status()).isEqualTo(401);
        assertThat(wrongKey.contentType()).startsWith("application/problem+json");
        assertThat(wrongKey.body().path("code").asText()).isEqualTo("UNAUTHENTICATED");
    }

    @Test
    void aKilledServiceIsRestartedBySupervisionAndServesAgain() {
        SupervisedProcess orchestration = suite.services().get("orchestration-service");
        int restartsBefore = orchestration.restarts();
        Process victim = orchestration.process();

        victim.destroyForcibly();

        await().atMost(Duration.ofSeconds(30)).until(() -> orchestration.restarts() == restartsBefore + 1);
        String ready = "http://localhost:" + suite.config().orchestrationPort() + "/q/health/ready";
        await().atMost(Duration.ofMinutes(2)).until(() -> HealthProbe.http200(ready).getAsBoolean());
        assertThat(orchestration.process().pid()).isNotEqualTo(victim.pid());

        // The restarted orchestration service picks up new work.
        String id = client.post("/api/v1/tasks", CAPITAL_QUESTION).body().path("id").asText();
        assertThat(awaitFinished(id).path("status").asText()).isEqualTo("succeeded");
    }

    private static JsonNode awaitFinished(String id) {
        return client.awaitFinished(id, TASK_TIMEOUT);
    }
}
