package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.process.SupervisedProcess;
import io.dspysuite.localstack.suite.Suite;

/**
 * Stateless Python workers: the suite runs two replicas of the DSPy service and the orchestration service balances
 * calls over both. Any replica serves any request, and an optimization whose worker is killed mid-run is retried and
 * replays the LM calls its first run had already paid for from the durable call cache.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PythonReplicasEndToEndTest {

    private static final Duration TASK_TIMEOUT = Duration.ofMinutes(4);
    private static final String QUESTION = """
            {"kind":"predict","program":{"signature":"question -> answer","module":"predict"},
             "inputs":{"question":"What is the capital of %s?"}}""";
    private static final String TRAINSET = """
            [{"question":"What is the capital of France?","answer":"Paris"},
             {"question":"What is the capital of Italy?","answer":"Rome"},
             {"question":"What is the capital of Spain?","answer":"Madrid"},
             {"question":"What is the capital of Germany?","answer":"Berlin"},
             {"question":"What is the capital of Austria?","answer":"Vienna"},
             {"question":"What is the capital of Portugal?","answer":"Lisbon"}]""";
    private static final String DEVSET = """
            [{"question":"What is the capital of Greece?","answer":"Athens"},
             {"question":"What is the capital of Norway?","answer":"Oslo"},
             {"question":"What is the capital of Poland?","answer":"Warsaw"}]""";

    private static Suite suite;
    private static SuiteClient client;
    /** The replica the kill test killed (-1 before it ran). */
    private static int killedReplica = -1;

    @BeforeAll
    static void startSuite() {
        suite = RunningSuite.get();
        client = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    @Test
    @Order(1)
    void predictionsAreServedByBothReplicas() {
        assertThat(suite.config().dspyPorts()).hasSize(2);
        List<String> ids = new ArrayList<>();
        // Batches until each replica's log names a task it ran (round-robin over the two, no affinity).
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<String> batch = new ArrayList<>();
            for (String country : List.of("Japan", "Chile", "Kenya", "Canada")) {
                SuiteClient.Response accepted = client.post("/api/v1/tasks", QUESTION.formatted(country));
                assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
                batch.add(accepted.body().path("id").asText());
            }
            for (String id : batch) {
                assertThat(client.awaitFinished(id, TASK_TIMEOUT).path("status").asText()).isEqualTo("succeeded");
            }
            ids.addAll(batch);
            return tasksRunBy(0, ids) > 0 && tasksRunBy(1, ids) > 0;
        });
        System.out.printf("[e2e] %d predictions: %d run by replica 1, %d by replica 2%n", ids.size(),
                tasksRunBy(0, ids), tasksRunBy(1, ids));
    }

    private static long tasksRunBy(int replica, List<String> ids) {
        String log = read(suite.services().get(Suite.pythonName(replica)).logFile());
        return ids.stream().filter(log::contains).count();
    }

    @Test
    @Order(2)
    void anOptimizationWhoseWorkerIsKilledMidRunIsRetriedAndReplaysTheFinishedCallsFromTheCache() {
        String program = "e2e-kill-" + UUID.randomUUID().toString().substring(0, 8);
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"optimize","program":{"signature":"question -> answer","module":"predict"},
                 "optimizer":"bootstrap_few_shot","params":{"max_bootstrapped_demos":2,"max_labeled_demos":2},
                 "metric":"exact_match","trainset":%s,"devset":%s,"target_program":"%s"}"""
                .formatted(TRAINSET, DEVSET, program));
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
        String id = accepted.body().path("id").asText();

        // Once it is bootstrapping, the evaluation before compiling and at least one bootstrap call are cached.
        AtomicReference<JsonNode> running = new AtomicReference<>();
        await().atMost(TASK_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode task = client.get("/api/v1/tasks/" + id).body();
            running.set(task);
            return task.path("progress").path("phase").asText().equals("bootstrapping")
                    || SuiteClient.isFinal(task.path("status").asText());
        });
        assertThat(running.get().path("status").asText()).as("still running when killed: %s", running.get())
                .isEqualTo("running");
        int replica = replicaRunning(id).orElseThrow(() -> new AssertionError("no replica logged " + id));
        SupervisedProcess worker = suite.services().get(Suite.pythonName(replica));
        killedReplica = replica;
        int restartsBefore = worker.restarts();
        worker.process().destroyForcibly();

        JsonNode finished = client.awaitFinished(id, TASK_TIMEOUT);

        assertThat(worker.restarts()).as("the killed replica was restarted").isGreaterThan(restartsBefore);
        assertThat(finished.path("status").asText()).as("task %s", finished).isEqualTo("succeeded");
        // The call lost its replica (a bare UNAVAILABLE): an outage of the DSPy service, so the job was put back
        // without counting an attempt (orchestration README, "Outages of the DSPy service do not spend attempts").
        // That it ran again is shown by the finished calls it replayed from the cache below.
        assertThat(finished.path("attempt").asInt()).as("the outage spent no attempt").isEqualTo(1);
        JsonNode usage = finished.path("usage");
        assertThat(usage.path("lm_calls_replayed").asLong()).as("usage %s", usage).isGreaterThanOrEqualTo(4);
        System.out.printf("[e2e] optimization killed mid-run: attempt %d, LM calls made by the last attempt %d, "
                + "replayed from cache %d%n", finished.path("attempt").asInt(), usage.path("lm_calls").asLong(),
                usage.path("lm_calls_replayed").asLong());
        assertThat(finished.path("result").path("outputs").path("program").asText()).isEqualTo(program);

        // Both runs belong to the task's one trace: the stored trace context was restored for the re-run (both are
        // attempt 1, since the outage was not counted).
        String traceId = finished.path("trace_id").asText();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(RunningSuite.telemetry()
                .spansOfTrace(traceId).stream().map(s -> s.attributes().get("dspy_suite.job.attempt"))
                .filter("1"::equals).count()).as("job spans of both runs").isGreaterThanOrEqualTo(2));
    }

    // The orchestration service's channel (Stork static list, gRPC round_robin) reconnects to a restarted replica:
    // predictions reach both replicas again, seen in each replica's own counter of Execute calls.
    @Test
    @Order(3)
    void theRestartedReplicaServesPredictionsAgain() {
        assertThat(killedReplica).as("the kill test ran first").isNotNegative();
        int other = 1 - killedReplica;
        SupervisedProcess restarted = suite.services().get(Suite.pythonName(killedReplica));
        // The restarted process serves its metrics once it runs (a fresh process: its counters start at zero).
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> executeCalls(killedReplica) >= 0);
        Instant processStarted = restarted.process().info().startInstant().orElseThrow();
        double restartedBefore = executeCalls(killedReplica);
        double otherBefore = executeCalls(other);
        Instant submitting = Instant.now();
        AtomicReference<Instant> firstCall = new AtomicReference<>(restartedBefore > 0 ? submitting : null);
        List<String> ids = new ArrayList<>();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            List<String> batch = new ArrayList<>();
            for (String country : List.of("Peru", "Ghana", "Nepal", "Cuba")) {
                SuiteClient.Response accepted = client.post("/api/v1/tasks", QUESTION.formatted(country));
                assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
                batch.add(accepted.body().path("id").asText());
            }
            for (String id : batch) {
                assertThat(client.awaitFinished(id, TASK_TIMEOUT).path("status").asText()).isEqualTo("succeeded");
            }
            ids.addAll(batch);
            if (executeCalls(killedReplica) > restartedBefore) {
                firstCall.compareAndSet(null, Instant.now());
            }
            return firstCall.get() != null && executeCalls(other) > otherBefore;
        });
        System.out.printf("[e2e] restarted replica %d: Execute calls before %.0f, after %.0f (other replica %.0f -> "
                + "%.0f) over %d predictions; first call seen %d ms after the predictions started, process up %d ms%n",
                killedReplica + 1, restartedBefore, executeCalls(killedReplica), otherBefore, executeCalls(other),
                ids.size(), Duration.between(submitting, firstCall.get()).toMillis(),
                Duration.between(processStarted, firstCall.get()).toMillis());
    }

    /** Execute calls the replica's current process has finished (its own Prometheus counter). */
    private static double executeCalls(int replica) {
        return MetricsEndToEndTest.sum(MetricsEndToEndTest.scrape(suite.pythonMetricsUrl(replica)),
                "dspy_service_rpc_requests_total", "method=\"Execute\"");
    }

    private static Optional<Integer> replicaRunning(String taskId) {
        for (int replica = 0; replica < suite.config().dspyPorts().size(); replica++) {
            SupervisedProcess process = suite.services().get(Suite.pythonName(replica));
            if (read(process.logFile()).contains(taskId)) {
                return Optional.of(replica);
            }
        }
        return Optional.empty();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
