package io.dspysuite.localstack.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.dspysuite.localstack.infra.KafkaBroker;
import io.dspysuite.localstack.infra.PostgresServer;
import io.dspysuite.localstack.infra.TempDirs;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The shared Quarkus test resource: a real Kafka broker (KRaft) and a real PostgreSQL, no Docker, Dev Services off.
 * <p>
 * Use with {@code @QuarkusTestResource(SuiteInfraTestResource.class)} (or {@code @WithTestResource}) on one test
 * class of a module. Both servers start once per test JVM on free ports and stop when the JVM exits, so every Quarkus
 * application restart in the same run (test profiles) reuses them; each test creates its own task ids, so tests stay
 * independent.
 * <p>
 * Quarkus loads test resources in a fresh class loader for every application restart, so a static field alone would
 * start a second broker per test profile. The addresses of the running servers are therefore published as JVM-wide
 * system properties, which every class loader sees.
 */
public class SuiteInfraTestResource implements QuarkusTestResourceLifecycleManager {

    private static final String KAFKA_PROPERTY = "dspy-suite.test-infra.kafka";
    private static final String POSTGRES_PORT_PROPERTY = "dspy-suite.test-infra.postgres-port";

    /** Starts (once per JVM) the shared infrastructure and returns its addresses; also usable from plain JUnit tests. */
    public static InfraAddresses infra() {
        synchronized (System.class) {
            if (System.getProperty(KAFKA_PROPERTY) == null) {
                SharedInfra shared = SharedInfra.startOnFreePorts();
                Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "suite-infra-stop"));
                System.setProperty(KAFKA_PROPERTY, shared.kafka().bootstrapServers());
                System.setProperty(POSTGRES_PORT_PROPERTY, String.valueOf(shared.postgres().port()));
            }
            return new InfraAddresses(System.getProperty(KAFKA_PROPERTY),
                    Integer.parseInt(System.getProperty(POSTGRES_PORT_PROPERTY)));
        }
    }

    @Override
    public Map<String, String> start() {
        InfraAddresses infra = infra();
        return Map.of(
                "kafka.bootstrap.servers", infra.kafkaBootstrapServers(),
                "quarkus.datasource.reactive.url", infra.postgresReactiveUrl(),
                "quarkus.datasource.jdbc.url", infra.postgresJdbcUrl(),
                "quarkus.datasource.username", PostgresServer.USER,
                "quarkus.datasource.password", PostgresServer.PASSWORD);
    }

    @Override
    public void stop() {
        // Shared for the whole JVM: stopped by the shutdown hook, not per application.
    }

    /** Where the shared servers listen. */
    public record InfraAddresses(String kafkaBootstrapServers, int postgresPort) {

        public String postgresReactiveUrl() {
            return "postgresql://localhost:" + postgresPort + "/" + PostgresServer.DATABASE;
        }

        public String postgresJdbcUrl() {
            return "jdbc:postgresql://localhost:" + postgresPort + "/" + PostgresServer.DATABASE;
        }
    }

    /** Kafka and PostgreSQL for one test JVM. */
    record SharedInfra(KafkaBroker kafka, PostgresServer postgres, Path workDir) implements AutoCloseable {

        static SharedInfra startOnFreePorts() {
            try {
                Path workDir = Files.createTempDirectory("dspy-suite-test-infra");
                PostgresServer postgres = PostgresServer.start(0, null);
                KafkaBroker kafka = KafkaBroker.start(0, workDir.resolve("kafka"));
                kafka.createSuiteTopics();
                return new SharedInfra(kafka, postgres, workDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            kafka.close();
            postgres.close();
            TempDirs.deleteQuietly(workDir);
        }
    }
}
