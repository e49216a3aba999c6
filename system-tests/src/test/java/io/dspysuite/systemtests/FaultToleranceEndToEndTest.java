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
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.infra.FreePorts;
import io.dspysuite.localstack.infra.TempDirs;
import io.dspysuite.localstack.process.HealthProbe;
import io.dspysuite.localstack.process.SupervisedProcess;
import io.dspysuite.localstack.suite.Suite;
import io.dspysuite.localstack.suite.SuiteConfig;
import io.dspysuite.systemtests.logscan.LogCanaries;

/**
 * The job engine under faults injected into real processes: two orchestration replicas share the work of a load of
 * predictions (the simulated LM of the DSPy service, with latency and transient errors) while one replica is killed
 * with SIGKILL, the Python service is stopped for a while and the Kafka broker is restarted. Every accepted task must
 * end exactly once, succeeded, as the gateway's event streams show; no attempt of a job may run twice.
 * <p>
 * Then a chaos soak ({@link #chaosSoakOfMixedTasksUnderEveryKindOfFaultLosesAndDuplicatesNothing}): a paced, seeded mix
 * of predictions, evaluations and short optimizations from a client that logs every acknowledgement and every event it
 * is delivered ({@link ChaosLoad}, {@link ChaosLog}), while a seeded fault schedule kill -9s a gateway, an
 * orchestration and a Python replica, restarts the Kafka broker and PostgreSQL and stalls the Python service
 * ({@link ChaosFaults}); afterwards an independent checker reads only the client's log ({@link ChaosChecker}).
 * <p>
 * Its own suite (faults would disturb the other end-to-end tests). {@code -Dfaults.tasks=N} sets the tasks per fault
 * (default 40; the closing-note figures come from a larger run). The soak: {@code -Dchaos.tasks=N} (default 150),
 * {@code -Dchaos.minutes=M} (default 2: the load's span; the fault schedule runs rounds of every fault kind while
 * time is left, at least one), {@code -Dchaos.seed=S} (default 11), {@code -Dchaos.drain-minutes=D} (default 5: how long the client waits
 * for the last tasks after the load before it counts them lost), {@code -Dchaos.recovery-minutes=R} (default 3: how
 * long a killed service may take to be healthy again).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultToleranceEndToEndTest {

    private static final int TASKS_PER_FAULT = Integer.getInteger("faults.tasks", 40);
    private static final Duration FINISH_TIMEOUT = Duration.ofMinutes(5);
    private static final String ORCHESTRATION = "orchestration-service";

    private static Suite suite;
    private static SuiteClient client;
    private static Path dataDir;
    private static final List<String> allAccepted = Collections.synchronizedList(new ArrayList<>());
    private static final List<AttemptLogChecker.Kill> kills = Collections.synchronizedList(new ArrayList<>());
    private static final int CHAOS_TASKS = Integer.getInteger("chaos.tasks", 150);
    private static final Duration CHAOS_SPAN = Duration
            .ofSeconds(Math.round(Double.parseDouble(System.getProperty("chaos.minutes", "2")) * 60));
    private static final long CHAOS_SEED = Long.getLong("chaos.seed", 11);
    /** After the load: how long the client waits for the last tasks to finish before it calls them lost. */
    /** How long a killed service may take to be back (a JVM starts in seconds, far slower on a crowded host). */
    private static final Duration CHAOS_RECOVERY = Duration.ofMinutes(Long.getLong("chaos.recovery-minutes", 3));
    private static final Duration CHAOS_DRAIN = Duration.ofMinutes(Long.getLong("chaos.drain-minutes", 5));

    @BeforeAll
    static void startSuite() throws IOException {
        String python = System.getenv("DSPY_SUITE_PYTHON");
        assertThat(python).as("DSPY_SUITE_PYTHON (run with ./suite test)").isNotBlank();
        dataDir = Files.createTempDirectory("dspy-suite-faults");
        SuiteConfig config = new SuiteConfig(
                Path.of(System.getProperty("dspy-suite.root", "..")).toAbsolutePath().normalize(), Path.of(python),
                // Fresh logs per run: the attempt checker reads them whole.
                dataDir, Path.of(System.getProperty("dspy-suite.log-dir", "target/e2e-logs"))
                        .resolve("faults-" + System.currentTimeMillis()).toAbsolutePath(),
                List.of(FreePorts.next(), FreePorts.next()), List.of(FreePorts.next(), FreePorts.next()),
                List.of(FreePorts.next()),
                FreePorts.next(), FreePorts.next(),
                // A clearly named simulation: the faults, not the model, are under test here.
                // A task takes 1-1.5 s, so a batch keeps the 8 slots busy for a few seconds while faults hit.
                Map.of("DSPY_SERVICE_SIMULATED_LM", "true", "DSPY_SERVICE_SIMULATED_LM_LATENCY_MS", "1000",
                        "DSPY_SERVICE_SIMULATED_LM_JITTER_MS", "500", "DSPY_SERVICE_SIMULATED_LM_ERROR_RATE", "0.05",
                        // A call that cannot reach any replica fails at its deadline: keep it short for a 1 s task.
                        "DSPY_SUITE_DSPY_TIMEOUT_SECONDS", "8",
                        // The load comes from one tenant, far above a partner's default submission rate.
                        "DSPY_SUITE_RATE_LIMIT_SUBMITS_PER_MINUTE", "100000", "DSPY_SUITE_RATE_LIMIT_BURST", "10000"),
                "dsk_faults_" + UUID.randomUUID().toString().replace("-", ""));
        suite = Suite.start(config, line -> System.out.println("[faults] " + line));
        LogCanaries.secret("the fault suite's API key", config.apiKey());
        LogCanaries.secret("the fault suite's internal token", suite.internalToken());
        // Also when the test JVM is stopped from outside (a killed build): no orphaned service processes.
        Runtime.getRuntime().addShutdownHook(new Thread(FaultToleranceEndToEndTest::stopSuite, "faults-suite-stop"));
        client = new SuiteClient(config.gatewayUrl(), config.apiKey());
    }

    @AfterAll
    static synchronized void stopSuite() {
        if (suite != null) {
            suite.close();
            suite = null;
            TempDirs.deleteQuietly(dataDir);
        }
    }

    @Test
    @Order(0)
    void aWebSocketClientOfOneGatewayGetsTheLiveEventsOfATaskSubmittedThroughTheOther() {
        SuiteClient other = new SuiteClient(suite.config().gatewayUrl(1), suite.config().apiKey());
        SuiteClient.Frames ws = other.openWebSocket();
        // The local model's chain of thought runs for seconds: the subscription is in place while it runs.
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"chain_of_thought"},
                 "inputs":{"question":"Why do leaves change colour in autumn?"}}""");
        assertThat(accepted.status()).isEqualTo(202);
        String id = accepted.body().path("id").asText();
        ws.send("""
                {"type":"subscribe","task_id":"%s","after_seq":0}""".formatted(id));
        String statusAtSubscribe = other.get("/api/v1/tasks/" + id).body().path("status").asText();

        List<JsonNode> events = ws.eventsUntilFinal(id, FINISH_TIMEOUT);
        ws.close();

        assertThat(SuiteClient.isFinal(statusAtSubscribe)).as("the task was still running when subscribed").isFalse();
        assertThat(events.stream().map(e -> e.path("seq").asLong()).toList()).as("gap-free, in order, from 1")
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events.get(events.size() - 1).path("data").path("status").asText()).isEqualTo("succeeded");
        assertThat(events).as("chunks pushed live by the other replica")
                .anyMatch(e -> e.path("event").asText().equals("chunk"));
    }

    @Test
    @Order(1)
    void killMinus9OfAnOrchestrationReplicaWhileJobsRunLosesNothing() {
        List<String> ids = submit(TASKS_PER_FAULT);
        await().atMost(Duration.ofMinutes(1)).until(() -> !running(ids).isEmpty());
        Map<String, Integer> runningAtKill = running(ids);
        SupervisedProcess victim = suite.services().get(ORCHESTRATION);
        int restarts = victim.restarts();

        Instant killedAt = Instant.now();
        victim.process().destroyForcibly();
        kills.add(new AttemptLogChecker.Kill(ORCHESTRATION, killedAt));

        // Resumed: every task that was running at the kill has started a new attempt elsewhere or finished.
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> runningAtKill.entrySet().stream().allMatch(e -> movedOn(e.getKey(), e.getValue())));
        Duration recovery = Duration.between(killedAt, Instant.now());
        System.out.printf("[faults] kill -9 of %s with %d task(s) running: all of them moved on after %d ms%n",
                ORCHESTRATION, runningAtKill.size(), recovery.toMillis());

        awaitAllFinal(ids);
        await().atMost(Duration.ofMinutes(2)).until(() -> victim.restarts() > restarts);
        assertExactlyOnceAndSucceeded(ids);
    }

    @Test
    @Order(2)
    void pythonServiceStoppedUnderLoadOpensTheBreakerAndNoTaskFails() {
        SupervisedProcess python = suite.services().get(Suite.pythonName(0));
        python.close();
        List<String> ids;
        try {
            ids = submit(TASKS_PER_FAULT);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                    .until(() -> breakerOpenOnSomeReplica());
        } finally {
            python.start();
            HealthProbe.await("dspy-python-service", HealthProbe.tcp(suite.config().dspyPorts().get(0)),
                    Duration.ofMinutes(3), python);
        }

        awaitAllFinal(ids);
        assertExactlyOnceAndSucceeded(ids);
    }

    @Test
    @Order(3)
    void kafkaBrokerRestartedUnderLoadLosesNoAcceptedTask() throws InterruptedException {
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        Thread load = new Thread(() -> {
            for (int i = 0; i < TASKS_PER_FAULT; i++) {
                SuiteClient.Response response = client.post("/api/v1/tasks", predict(i));
                if (response.status() == 202) {
                    ids.add(response.body().path("id").asText());
                }
            }
        }, "faults-load");
        load.start();
        await().atMost(Duration.ofMinutes(1)).until(() -> ids.size() >= TASKS_PER_FAULT / 4);
        suite.restartKafka();
        load.join(Duration.ofMinutes(3).toMillis());

        assertThat(ids).as("accepted while the broker restarted").isNotEmpty();
        allAccepted.addAll(ids);
        awaitAllFinal(ids);
        assertExactlyOnceAndSucceeded(ids);
    }

    @Test
    @Order(4)
    void chaosSoakOfMixedTasksUnderEveryKindOfFaultLosesAndDuplicatesNothing() throws IOException {
        Throwable scheduleFailure;
        Path logFile = Path.of("target", "chaos", "chaos-" + System.currentTimeMillis() + ".jsonl").toAbsolutePath();
        Random seeds = new Random(CHAOS_SEED);
        List<String> gateways = java.util.stream.IntStream.range(0, suite.config().gatewayPorts().size())
                .mapToObj(suite.config()::gatewayUrl).toList();
        System.out.printf("[chaos] %d tasks over %s, seed %d, client log %s%n", CHAOS_TASKS, CHAOS_SPAN, CHAOS_SEED,
                logFile);
        try (ChaosLog log = new ChaosLog(logFile);
                ChaosLoad load = new ChaosLoad(gateways, suite.config().apiKey(), log, new Random(seeds.nextLong()),
                        Duration.ofSeconds(60))) {
            ChaosFaults faults = new ChaosFaults(suite, log, new Random(seeds.nextLong()), Duration.ofSeconds(5),
                    Duration.ofSeconds(10), CHAOS_RECOVERY, kills::add);
            Instant deadline = Instant.now().plus(CHAOS_SPAN);
            CompletableFuture<Void> schedule = CompletableFuture.runAsync(() -> faults.run(deadline),
                    runnable -> new Thread(runnable, "chaos-faults").start());
            load.run(CHAOS_TASKS, CHAOS_SPAN, faults.running());
            // A fault the suite did not recover from fails the test, after the check of what the client saw.
            scheduleFailure = schedule.handle((done, failure) -> failure).join();
            load.drain(CHAOS_DRAIN);
            load.logFinalViews();
        }

        ChaosChecker.Report report = ChaosChecker.check(logFile);
        System.out.println("[chaos] " + report);
        Files.writeString(Path.of(logFile.toString().replace(".jsonl", "-report.txt")), report + "\n");
        assertThat(scheduleFailure).as("the fault schedule ran to its end").isNull();
        assertThat(report.faults()).as("every fault kind injected")
                .containsOnlyKeys(java.util.Arrays.stream(ChaosFaults.Fault.values()).map(Enum::name).toList());
        assertThat(report.accepted()).as("accepted tasks").isPositive();
        assertThat(report.acceptedByKind()).as("a mixed load").containsOnlyKeys("PREDICT", "EVALUATE", "OPTIMIZE");
        assertThat(report.violations()).isEmpty();
        assertThat(report.lost()).isZero();
        assertThat(report.duplicates()).isZero();
    }

    @Test
    @Order(5)
    void twoOrchestrationReplicasSharedTheWorkAndNeverRanTwoAttemptsOfAJobAtOnce() {
        Map<String, Path> logs = new HashMap<>();
        for (int replica = 0; replica < 2; replica++) {
            String name = Suite.replicaName(ORCHESTRATION, replica);
            logs.put(name, suite.services().get(name).logFile());
        }
        // Over the whole run, the soak included: a replica whose heartbeats fail (PostgreSQL restarted) stops its
        // attempts itself before their leases can expire (self-fencing), so a rescued attempt always runs alone.
        AttemptLogChecker.Result result = AttemptLogChecker.check(logs, kills);
        System.out.printf("[faults] attempts started per replica: %s; %d accepted tasks in all%n",
                result.startsByReplica(), allAccepted.size());
        assertThat(result.startsByReplica()).as("both replicas ran attempts").hasSize(2);
        assertThat(result.overlaps()).as("no job ran two attempts at once").isEmpty();
    }

    private static List<String> submit(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SuiteClient.Response response = client.post("/api/v1/tasks", predict(i));
            assertThat(response.status()).as("response %s", response.body()).isEqualTo(202);
            ids.add(response.body().path("id").asText());
        }
        allAccepted.addAll(ids);
        return ids;
    }

    private static String predict(int i) {
        return """
                {"kind":"predict","program":{"signature":"question -> answer","module":"predict"},
                 "inputs":{"question":"fault test question %d canary-prompt-5d1f"},"options":{"model":"simulated"}}""".formatted(i);
    }

    /** Tasks of {@code ids} running now, with their attempt (one page of the tenant's running tasks). */
    private static Map<String, Integer> running(List<String> ids) {
        Map<String, Integer> running = new HashMap<>();
        for (JsonNode task : client.get("/api/v1/tasks?status=running&limit=100").body().path("items")) {
            if (ids.contains(task.path("id").asText())) {
                running.put(task.path("id").asText(), task.path("attempt").asInt());
            }
        }
        return running;
    }

    private static boolean movedOn(String id, int attemptAtKill) {
        JsonNode task = client.get("/api/v1/tasks/" + id).body();
        return SuiteClient.isFinal(task.path("status").asText()) || task.path("attempt").asInt() > attemptAtKill;
    }

    private static boolean breakerOpenOnSomeReplica() {
        for (int port : suite.config().orchestrationPorts()) {
            SuiteClient.Response health = new SuiteClient("http://localhost:" + port, "").get("/q/health");
            for (JsonNode check : health.body().path("checks")) {
                if (check.path("data").path("dspy_breaker").asText().equals("open")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void awaitAllFinal(List<String> ids) {
        for (String id : ids) {
            client.awaitFinished(id, FINISH_TIMEOUT);
        }
    }

    private static void assertExactlyOnceAndSucceeded(List<String> ids) {
        ExactlyOnceChecker.Report report = new ExactlyOnceChecker(client).check(ids, Duration.ofSeconds(30));
        System.out.println("[faults] " + report);
        assertThat(report.violations()).isEmpty();
        assertThat(report.byStatus()).as("no task failed for a transient cause within its retry budget")
                .containsOnlyKeys("succeeded");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
