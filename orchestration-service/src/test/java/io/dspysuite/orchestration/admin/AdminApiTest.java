package io.dspysuite.orchestration.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.job.worker.JobPruner;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.JobRows;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * The admin API ({@code /internal/v1/admin}) and pruning against the real engine: Kafka, PostgreSQL and the fake
 * DSPy service. Each test uses its own tenant; rows in states the engine reaches only over time are written directly
 * ({@link JobRows}).
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class AdminApiTest {

    private static final String TOKEN = "test-internal-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @Inject
    JobPruner pruner;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL base;

    private final HttpClient http = HttpClient.newHttpClient();
    private KafkaTestClient kafka;
    private JobRows rows;
    private String tenant;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        rows = new JobRows(pool);
        tenant = "tenant-" + UUID.randomUUID();
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void listsNewestFirstWithFiltersAndKeysetPagination() throws Exception {
        OffsetDateTime start = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(10)
                .truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            TaskRequested request = request();
            boolean completed = i % 2 == 0;
            rows.job(request).state(completed ? "completed" : "cancelled").insertedAt(start.plusSeconds(i))
                    .completedAt(start.plusSeconds(i + 1)).insert();
            ids.add(request.getTaskId());
        }
        List<String> newestFirst = new ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = ok(get("/internal/v1/admin/jobs?tenant_id=" + tenant + "&limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor)));
            page.get("items").forEach(item -> seen.add(item.get("task_id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(newestFirst);

        JsonNode completed = ok(get("/internal/v1/admin/jobs?tenant_id=" + tenant + "&state=completed"));
        assertThat(completed.get("items")).hasSize(3);
        completed.get("items").forEach(item -> assertThat(item.get("state").asText()).isEqualTo("completed"));
        assertThat(completed.get("next_cursor").isNull()).isTrue();
        JsonNode first = completed.get("items").get(0);
        assertThat(first.get("task_id").asText()).isEqualTo(ids.get(4));
        assertThat(first.get("tenant_id").asText()).isEqualTo(tenant);
        assertThat(first.get("kind").asText()).isEqualTo("predict");
        assertThat(first.get("queue").asText()).isEqualTo("interactive");
        assertThat(first.get("max_attempts").asInt()).isEqualTo(3);
        assertThat(OffsetDateTime.parse(first.get("finished_at").asText()).toInstant())
                .isEqualTo(start.plusSeconds(5).toInstant());
        assertThat(first.get("attempted_at").isNull()).isTrue();
        assertThat(first.has("scheduled_at") && first.has("inserted_at") && first.has("priority")
                && first.has("attempt") && first.get("errors").isArray()).isTrue();

        assertThat(ok(get("/internal/v1/admin/jobs?tenant_id=" + tenant + "&state=completed,cancelled&queue=interactive"))
                .get("items")).hasSize(5);
        assertThat(ok(get("/internal/v1/admin/jobs?tenant_id=" + tenant + "&queue=batch")).get("items")).isEmpty();
    }

    @Test
    void badFilterValuesAreProblemsWithStableCodes() throws Exception {
        assertProblem(get("/internal/v1/admin/jobs?state=running"), 400, "INVALID_STATE");
        assertProblem(get("/internal/v1/admin/jobs?queue=nope"), 400, "INVALID_QUEUE");
        assertProblem(get("/internal/v1/admin/jobs?limit=0"), 400, "INVALID_LIMIT");
        assertProblem(get("/internal/v1/admin/jobs?limit=201"), 400, "INVALID_LIMIT");
        assertProblem(get("/internal/v1/admin/jobs?limit=ten"), 400, "INVALID_LIMIT");
        assertProblem(get("/internal/v1/admin/jobs?cursor=bm90LWEtY3Vyc29y"), 400, "INVALID_CURSOR");
        assertProblem(get("/internal/v1/admin/jobs/not-a-uuid"), 400, "INVALID_TASK_ID");
        assertProblem(get("/internal/v1/admin/jobs/" + UUID.randomUUID()), 404, "JOB_NOT_FOUND");
        assertProblem(post("/internal/v1/admin/jobs/" + UUID.randomUUID() + "/cancel"), 404, "JOB_NOT_FOUND");
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(uri("/internal/v1/admin/queues")).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(anonymous, 401, "INTERNAL_TOKEN_INVALID");
    }

    @Test
    void oneJobCarriesItsAttemptHistory() throws Exception {
        TaskRequested request = request();
        JsonArray attempts = new JsonArray()
                .add(new JsonObject().put("attempt", 1).put("code", "LM_UNAVAILABLE").put("message", "down")
                        .put("retryable", true).put("by", "host/1").put("at", "2026-11-24T08:00:00.123456+00:00"))
                .add(new JsonObject().put("attempt", 2).put("code", "DEADLINE_EXCEEDED").put("message", "slow")
                        .put("retryable", true).put("by", "host/2").put("at", "2026-11-24T08:00:05+00:00"));
        rows.job(request).state("discarded").attempt(2).attempts(attempts)
                .completedAt(OffsetDateTime.now(ZoneOffset.UTC)).insert();

        JsonNode job = ok(get("/internal/v1/admin/jobs/" + request.getTaskId()));

        assertThat(job.get("task_id").asText()).isEqualTo(request.getTaskId());
        assertThat(job.get("state").asText()).isEqualTo("discarded");
        assertThat(job.get("attempt").asInt()).isEqualTo(2);
        JsonNode errors = job.get("errors");
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0).get("attempt").asInt()).isEqualTo(1);
        assertThat(errors.get(0).get("code").asText()).isEqualTo("LM_UNAVAILABLE");
        assertThat(errors.get(0).get("message").asText()).isEqualTo("down");
        assertThat(errors.get(0).get("at").asText()).isEqualTo("2026-11-24T08:00:00.123456Z");
        assertThat(errors.get(1).get("code").asText()).isEqualTo("DEADLINE_EXCEEDED");
    }

    @Test
    void retryOfAScheduledJobRunsItNow() throws Exception {
        TaskRequested request = request();
        rows.job(request).state("scheduled").scheduledAt(OffsetDateTime.now(ZoneOffset.UTC).plusHours(1)).insert();

        JsonNode job = ok(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/retry"));

        assertThat(job.get("state").asText()).isIn("available", "executing", "completed");
        List<TaskEvent> events = kafka.awaitFinal(request.getTaskId());
        assertThat(finals(events)).containsExactly(TaskStatus.TASK_STATUS_SUCCEEDED);
        assertThat(fake.calls(request.getTaskId())).hasSize(1);
        assertThat(ok(get("/internal/v1/admin/jobs/" + request.getTaskId())).get("state").asText())
                .isEqualTo("completed");
    }

    @Test
    void retryOrDiscardOfAFinishedJobIsAConflict() throws Exception {
        TaskRequested request = request();
        rows.job(request).state("completed").completedAt(OffsetDateTime.now(ZoneOffset.UTC)).insert();

        assertProblem(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/retry"), 409, "JOB_FINISHED");
        assertProblem(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/discard"), 409, "JOB_FINISHED");
        assertProblem(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/cancel"), 409, "JOB_FINISHED");
        assertThat(rows.count("SELECT count(*) FROM orchestration.jobs WHERE id = $1 AND state = 'completed'",
                UUID.fromString(request.getTaskId()))).isEqualTo(1);
    }

    @Test
    void discardOfAWaitingJobEndsItFailedWithOneFinalEvent() throws Exception {
        TaskRequested request = request();
        rows.job(request).state("retryable").attempt(1)
                .scheduledAt(OffsetDateTime.now(ZoneOffset.UTC).plusHours(1)).insert();

        JsonNode job = ok(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/discard"));

        assertThat(job.get("state").asText()).isEqualTo("discarded");
        assertThat(job.get("finished_at").isNull()).isFalse();
        JsonNode last = job.get("errors").get(job.get("errors").size() - 1);
        assertThat(last.get("code").asText()).isEqualTo("DISCARDED_BY_OPERATOR");
        assertThat(last.get("attempt").asInt()).isEqualTo(1);
        List<TaskEvent> events = kafka.awaitFinal(request.getTaskId());
        awaitOutboxEmpty(request.getTaskId());
        events = kafka.events(request.getTaskId());
        assertThat(finals(events)).containsExactly(TaskStatus.TASK_STATUS_FAILED);
        TaskEvent error = events.stream().filter(TaskEvent::hasError).findFirst().orElseThrow();
        assertThat(error.getError().getCode()).isEqualTo("DISCARDED_BY_OPERATOR");
        assertThat(error.getError().getRetryable()).isFalse();
        assertThat(fake.calls(request.getTaskId())).isEmpty();
        assertProblem(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/discard"), 409, "JOB_FINISHED");
    }

    @Test
    void discardOfARunningJobCancelsItsCallAndEndsItFailed() throws Exception {
        TaskRequested request = request();
        fake.script(request.getTaskId(), FakeDspy.holdOpen());
        kafka.request(request);
        KafkaTestClient.await().until(() -> kafka.hasStatus(request.getTaskId(), TaskStatus.TASK_STATUS_RUNNING));

        JsonNode job = ok(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/discard"));

        assertThat(job.get("state").asText()).isEqualTo("discarded");
        KafkaTestClient.await().until(() -> fake.cancellations(request.getTaskId()) == 1);
        kafka.awaitFinal(request.getTaskId());
        awaitOutboxEmpty(request.getTaskId());
        assertThat(finals(kafka.events(request.getTaskId()))).containsExactly(TaskStatus.TASK_STATUS_FAILED);
    }

    @Test
    void cancelThroughTheAdminApiStopsARunningJobWithOneCancelledEvent() throws Exception {
        TaskRequested request = request();
        fake.script(request.getTaskId(), FakeDspy.holdOpen());
        kafka.request(request);
        KafkaTestClient.await().until(() -> kafka.hasStatus(request.getTaskId(), TaskStatus.TASK_STATUS_RUNNING));

        JsonNode job = ok(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/cancel"));

        assertThat(job.get("state").asText()).isEqualTo("cancelled");
        KafkaTestClient.await().until(() -> fake.cancellations(request.getTaskId()) == 1);
        kafka.awaitFinal(request.getTaskId());
        awaitOutboxEmpty(request.getTaskId());
        assertThat(finals(kafka.events(request.getTaskId()))).containsExactly(TaskStatus.TASK_STATUS_CANCELLED);
        assertProblem(post("/internal/v1/admin/jobs/" + request.getTaskId() + "/cancel"), 409, "JOB_FINISHED");
    }

    @Test
    void queueStatsCountEveryQueueAcrossStates() throws Exception {
        JsonNode before = queue(ok(get("/internal/v1/admin/queues")), "batch");
        List<UUID> scheduled = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TaskRequested request = TaskRequests.builder(TaskKind.TASK_KIND_EVALUATE, "q").setTenantId(tenant).build();
            scheduled.add(rows.job(request).kind("evaluate", "batch").state("scheduled")
                    .scheduledAt(OffsetDateTime.now(ZoneOffset.UTC).plusHours(1)).insert());
        }
        try {
            JsonNode stats = ok(get("/internal/v1/admin/queues"));
            assertThat(stats.get("queues")).extracting(q -> q.get("queue").asText())
                    .containsExactly("interactive", "batch", "optimize");
            JsonNode batch = queue(stats, "batch");
            assertThat(batch.get("scheduled").asLong() - before.get("scheduled").asLong()).isEqualTo(3);
            assertThat(batch.get("concurrency_limit").asInt()).isEqualTo(2);
            assertThat(queue(stats, "interactive").get("concurrency_limit").asInt()).isEqualTo(4);
            assertThat(queue(stats, "optimize").get("concurrency_limit").asInt()).isEqualTo(1);
            for (String field : List.of("available", "executing", "retryable", "oldest_available_age_ms",
                    "in_flight_here")) {
                assertThat(batch.get(field).isIntegralNumber()).as(field).isTrue();
            }
            // The gauge follows within a refresh interval (500 ms in tests).
            long expected = batch.get("scheduled").asLong();
            KafkaTestClient.await().until(() -> metric("dspy_suite_queue_depth{queue=\"batch\",state=\"scheduled\"}")
                    >= expected);
        } finally {
            rows.execute("DELETE FROM orchestration.jobs WHERE id = ANY($1)", (Object) scheduled.toArray(UUID[]::new));
        }
    }

    @Test
    void pruningDeletesOldFinishedJobsOnly() {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        UUID oldCompleted = rows.job(request()).state("completed").insertedAt(now.minusDays(9))
                .completedAt(now.minusDays(8)).insert();
        UUID oldCancelled = rows.job(request()).state("cancelled").insertedAt(now.minusDays(9))
                .completedAt(now.minusDays(8)).insert();
        UUID young = rows.job(request()).state("discarded").insertedAt(now.minusDays(2))
                .completedAt(now.minusDays(1)).insert();
        // Running for ten days (no lease to expire): never pruned, whatever its age.
        UUID running = rows.job(request()).state("executing").attempt(1).insertedAt(now.minusDays(10)).insert();
        UUID oldCancelRequest = UUID.randomUUID();
        rows.execute("INSERT INTO orchestration.cancel_requests (task_id, tenant_id, requested_at) VALUES ($1, $2, $3)",
                oldCancelRequest, tenant, now.minusDays(8));
        UUID youngCancelRequest = UUID.randomUUID();
        rows.execute("INSERT INTO orchestration.cancel_requests (task_id, tenant_id) VALUES ($1, $2)",
                youngCancelRequest, tenant);
        try {
            JobPruner.Pruned pruned = pruner.prune().await().atMost(java.time.Duration.ofSeconds(30));

            assertThat(pruned.jobs()).isGreaterThanOrEqualTo(2);
            assertThat(pruned.cancelRequests()).isGreaterThanOrEqualTo(1);
            assertThat(exists(oldCompleted)).isFalse();
            assertThat(exists(oldCancelled)).isFalse();
            assertThat(exists(young)).isTrue();
            assertThat(exists(running)).isTrue();
            assertThat(rows.count("SELECT count(*) FROM orchestration.cancel_requests WHERE task_id = $1",
                    oldCancelRequest)).isZero();
            assertThat(rows.count("SELECT count(*) FROM orchestration.cancel_requests WHERE task_id = $1",
                    youngCancelRequest)).isEqualTo(1);
        } finally {
            rows.execute("DELETE FROM orchestration.jobs WHERE id = ANY($1)",
                    (Object) new UUID[] { young, running });
            rows.execute("DELETE FROM orchestration.cancel_requests WHERE task_id = $1", youngCancelRequest);
        }
    }

    private double metric(String series) throws IOException, InterruptedException {
        String body = http.send(HttpRequest.newBuilder(uri("/q/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
                .orElse(-1.0);
    }

    private TaskRequested request() {
        return TaskRequests.builder(TaskKind.TASK_KIND_PREDICT, "What is 2+2?").setTenantId(tenant).build();
    }

    private boolean exists(UUID id) {
        return rows.count("SELECT count(*) FROM orchestration.jobs WHERE id = $1", id) == 1;
    }

    private void awaitOutboxEmpty(String taskId) {
        KafkaTestClient.await().until(() -> rows.count("SELECT count(*) FROM orchestration.outbox WHERE task_id = $1",
                UUID.fromString(taskId)) == 0);
    }

    private static List<TaskStatus> finals(List<TaskEvent> events) {
        return events.stream().filter(KafkaTestClient::isFinal).map(e -> e.getStatus().getStatus()).toList();
    }

    private static JsonNode queue(JsonNode stats, String name) {
        for (JsonNode q : stats.get("queues")) {
            if (q.get("queue").asText().equals(name)) {
                return q;
            }
        }
        throw new AssertionError("no queue " + name + " in " + stats);
    }

    private URI uri(String path) {
        return URI.create(base.toString().replaceAll("/$", "") + path);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).header("X-Internal-Token", TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).header("X-Internal-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static void assertProblem(HttpResponse<String> response, int status, String code) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(JSON.readTree(response.body()).get("code").asText()).isEqualTo(code);
    }
}
