package io.dspysuite.localstack.suite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.dspysuite.localstack.infra.FreePorts;
import io.dspysuite.localstack.infra.KafkaBroker;
import io.dspysuite.localstack.infra.PostgresServer;
import io.dspysuite.localstack.process.HealthProbe;
import io.dspysuite.localstack.process.SupervisedProcess;

/**
 * The whole suite on one machine, from real parts: PostgreSQL and a Kafka broker in this JVM, and the three services
 * as supervised child processes, started in dependency order, each awaited until healthy. Used by {@code suite run}
 * and by the end-to-end tests.
 */
public final class Suite implements AutoCloseable {

    private static final Duration PYTHON_START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration JAVA_START_TIMEOUT = Duration.ofMinutes(2);
    /**
     * The orchestration service's readiness includes the Python service's gRPC health, which reports SERVING only
     * once the model is warmed up (after the port the Python probe waits for opened): its wait covers that too.
     */
    private static final Duration ORCHESTRATION_READY_TIMEOUT = JAVA_START_TIMEOUT.plus(Duration.ofMinutes(3));

    private final SuiteConfig config;
    private final Consumer<String> reporter;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final Map<String, SupervisedProcess> services = new HashMap<>();
    /** The Prometheus port of each Python replica (its own port: replicas share the host). */
    private final List<Integer> pythonMetricsPorts = new ArrayList<>();
    /** Shared secret of the orchestration service's internal read API, new for every start of the suite. */
    private final String internalToken = newToken();
    private PostgresServer postgres;
    private KafkaBroker kafka;

    private Suite(SuiteConfig config, Consumer<String> reporter) {
        this.config = config;
        this.reporter = reporter;
    }

    /** Starts everything and returns once every part is healthy; on failure, stops what it started. */
    public static Suite start(SuiteConfig config, Consumer<String> reporter) {
        Suite suite = new Suite(config, reporter);
        try {
            suite.startAll();
            return suite;
        } catch (RuntimeException e) {
            suite.close();
            throw e;
        }
    }

    private void startAll() {
        requireFile(config.gatewayJar(), "build the services first (mvn package)");
        requireFile(config.orchestrationJar(), "build the services first (mvn package)");
        requireFile(config.python(), "set up the Python environment first (./suite setup)");

        reporter.accept("starting PostgreSQL on port " + config.postgresPort());
        postgres = PostgresServer.start(config.postgresPort(), config.dataDir().resolve("postgres"));
        started.add(postgres);

        reporter.accept("starting Kafka (KRaft) on port " + config.kafkaPort());
        kafka = KafkaBroker.start(config.kafkaPort(), config.dataDir().resolve("kafka"));
        started.add(kafka);
        kafka.createSuiteTopics();

        // Replicas start together (each loads DSPy and the model) and are awaited one by one.
        List<SupervisedProcess> pythons = new ArrayList<>();
        for (int replica = 0; replica < config.dspyPorts().size(); replica++) {
            pythons.add(startService(pythonName(replica), List.of(config.python().toString(), "-m", "dspy_service"),
                    pythonEnv(config.dspyPorts().get(replica)), config.pythonProject()));
        }
        for (int replica = 0; replica < pythons.size(); replica++) {
            HealthProbe.await(pythonName(replica), HealthProbe.tcp(config.dspyPorts().get(replica)),
                    PYTHON_START_TIMEOUT, pythons.get(replica));
        }

        List<SupervisedProcess> orchestrations = new ArrayList<>();
        for (int replica = 0; replica < config.orchestrationPorts().size(); replica++) {
            orchestrations.add(startService(replicaName("orchestration-service", replica),
                    javaCommand(config.orchestrationJar(), dspyDiscovery()),
                    orchestrationEnv(config.orchestrationPorts().get(replica), replica), config.repoRoot()));
        }
        for (int replica = 0; replica < orchestrations.size(); replica++) {
            HealthProbe.await(replicaName("orchestration-service", replica), HealthProbe.http200(
                    "http://localhost:" + config.orchestrationPorts().get(replica) + "/q/health/ready"),
                    ORCHESTRATION_READY_TIMEOUT, orchestrations.get(replica));
        }

        List<SupervisedProcess> gateways = new ArrayList<>();
        for (int replica = 0; replica < config.gatewayPorts().size(); replica++) {
            gateways.add(startService(replicaName("gateway-service", replica), javaCommand(config.gatewayJar(), List.of()),
                    gatewayEnv(config.gatewayPorts().get(replica)), config.repoRoot()));
        }
        for (int replica = 0; replica < gateways.size(); replica++) {
            HealthProbe.await(replicaName("gateway-service", replica),
                    HealthProbe.http200(config.gatewayUrl(replica) + "/q/health/ready"), JAVA_START_TIMEOUT,
                    gateways.get(replica));
        }
    }

    private SupervisedProcess startService(String name, List<String> command, Map<String, String> env, Path dir) {
        reporter.accept("starting " + name + " (log: " + config.logDir().resolve(name + ".log") + ")");
        SupervisedProcess process = new SupervisedProcess(name, command, env, dir,
                config.logDir().resolve(name + ".log"), reporter);
        process.start();
        started.add(process);
        services.put(name, process);
        return process;
    }

    /**
     * The internal API's shared secret of this start, for tests that must prove it never reaches a log line (the
     * end-to-end log scan). Never print it.
     */
    public String internalToken() {
        return internalToken;
    }

    /** {@code dspy-python-service}, then {@code dspy-python-service-2}, ... */
    public static String pythonName(int replica) {
        return replicaName("dspy-python-service", replica);
    }

    /** {@code name} for the first replica, then {@code name-2}, {@code name-3}, ... */
    public static String replicaName(String name, int replica) {
        return replica == 0 ? name : name + "-" + (replica + 1);
    }

    private Map<String, String> pythonEnv(int port) {
        Map<String, String> env = new HashMap<>();
        env.put("DSPY_SERVICE_HOST", "127.0.0.1");
        env.put("DSPY_SERVICE_PORT", String.valueOf(port));
        int metricsPort = FreePorts.next();
        pythonMetricsPorts.add(metricsPort);
        env.put("DSPY_SERVICE_METRICS_PORT", String.valueOf(metricsPort));
        // Shared by the replicas, as a volume would be on a cluster: a retried optimization replays on any replica.
        env.put("DSPY_SERVICE_CACHE_DIR", config.dataDir().resolve("optimization-calls").toString());
        env.put("PYTHONUNBUFFERED", "1");
        // The shared venv holds the dependencies only; the service's code is this checkout's.
        env.put("PYTHONPATH", config.pythonProject().resolve("src").toString());
        env.putAll(config.serviceEnv());
        return env;
    }

    private Map<String, String> orchestrationEnv(int port, int replica) {
        Map<String, String> env = commonJavaEnv(port);
        // Stable across supervised restarts, unique per replica: a restarted replica rescues its own jobs at once.
        env.put("DSPY_SUITE_REPLICA_NAME", replicaName("orchestration-service", replica));
        env.put("DSPY_SUITE_INTERNAL_TOKEN", internalToken);
        return env;
    }

    private Map<String, String> gatewayEnv(int port) {
        Map<String, String> env = commonJavaEnv(port);
        env.put("DSPY_SUITE_API_KEY", config.apiKey());
        env.put("DSPY_SUITE_INTERNAL_TOKEN", internalToken);
        env.put("QUARKUS_REST_CLIENT_ORCHESTRATION_URL", "http://localhost:" + config.orchestrationPort());
        return env;
    }

    private Map<String, String> commonJavaEnv(int httpPort) {
        Map<String, String> env = new HashMap<>(config.serviceEnv());
        env.put("QUARKUS_HTTP_PORT", String.valueOf(httpPort));
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", postgres.reactiveUrl());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", postgres.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", PostgresServer.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", PostgresServer.PASSWORD);
        return env;
    }

    /**
     * The Python replicas as a Stork static list, balanced by gRPC's {@code round_robin}: the orchestration service's
     * {@code stork-addresses} name resolver turns {@code stork-addresses://dspy} into every replica's address, and
     * {@code round_robin} sends calls to the replicas it is connected to, skipping one that is down and reconnecting to
     * it when it is back (Quarkus' own {@code name-resolver=stork} balancer did not reconnect a restarted replica).
     * Passed as system properties because the list's keys ({@code quarkus.stork."dspy".service-discovery.address-list})
     * have no unambiguous environment-variable form.
     */
    private List<String> dspyDiscovery() {
        String addresses = String.join(",", config.dspyPorts().stream().map(port -> "localhost:" + port).toList());
        return List.of("-Dquarkus.grpc.clients.dspy.host=dspy",
                "-Dquarkus.grpc.clients.dspy.name-resolver=stork-addresses",
                "-Dquarkus.grpc.clients.dspy.load-balancing-policy=round_robin",
                "-Dquarkus.stork.dspy.service-discovery.type=static",
                "-Dquarkus.stork.dspy.service-discovery.address-list=" + addresses);
    }

    private static List<String> javaCommand(Path jar, List<String> properties) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Two cores are shared by five processes locally: a small heap and the serial collector keep them polite.
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC"));
        command.addAll(properties);
        command.addAll(List.of("-jar", jar.toString()));
        return command;
    }

    private static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void requireFile(Path file, String hint) {
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: " + hint);
        }
    }

    public SuiteConfig config() {
        return config;
    }

    /** The Prometheus endpoint of Python replica {@code replica} ({@code /metrics}). */
    public String pythonMetricsUrl(int replica) {
        return "http://127.0.0.1:" + pythonMetricsPorts.get(replica) + "/metrics";
    }

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    public Map<String, SupervisedProcess> services() {
        return Collections.unmodifiableMap(services);
    }

    /** Stops the Kafka broker and starts it again on the same port and log (a broker restart under load). */
    public void restartKafka() {
        reporter.accept("restarting Kafka");
        kafka.restart();
    }

    /** Stops PostgreSQL and starts it again on the same port and data directory. */
    public void restartPostgres() {
        reporter.accept("restarting PostgreSQL");
        postgres.restart();
    }

    /** Stops everything in reverse order of start. */
    @Override
    public void close() {
        List<AutoCloseable> reversed = new ArrayList<>(started);
        Collections.reverse(reversed);
        for (AutoCloseable part : reversed) {
            try {
                part.close();
            } catch (Exception e) {
                reporter.accept("stopping " + part + " failed: " + e);
            }
        }
        started.clear();
    }
}
