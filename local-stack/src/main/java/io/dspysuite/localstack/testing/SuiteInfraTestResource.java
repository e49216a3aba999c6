package io.dspysuite.localstack.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.dspysuite.localstack.infra.KafkaBroker;
import io.dspysuite.localstack.infra.PostgresServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The shared Quarkus test resource: a real Kafka broker (KRaft) and a real PostgreSQL, no Docker, Dev Services off.
 * <p>
 * Use with {@code @QuarkusTestResource(SuiteInfraTestResource.class)} (or {@code @WithTestResource}) on one test
 * class of a module. Both servers start once per test JVM on free ports and stop when the JVM exits, so every Quarkus
 * application restart in the same run (test profiles) reuses them; each test creates its own task ids, so tests stay
 * independent.
 */
public class SuiteInfraTestResource implements QuarkusTestResourceLifecycleManager {

    private static SharedInfra shared;

    /** Starts (once) and returns the shared infrastructure; also usable from plain JUnit tests. */
    public static synchronized SharedInfra infra() {
        if (shared == null) {
            shared = SharedInfra.startOnFreePorts();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "suite-infra-stop"));
        }
        return shared;
    }

    @Override
    public Map<String, String> start() {
        SharedInfra infra = infra();
        return Map.of(
                "kafka.bootstrap.servers", infra.kafka().bootstrapServers(),
                "quarkus.datasource.reactive.url", infra.postgres().reactiveUrl(),
                "quarkus.datasource.jdbc.url", infra.postgres().jdbcUrl(),
                "quarkus.datasource.username", PostgresServer.USER,
                "quarkus.datasource.password", PostgresServer.PASSWORD);
    }

    @Override
    public void stop() {
        // Shared for the whole JVM: stopped by the shutdown hook, not per application.
    }

    /** Kafka and PostgreSQL for one test JVM. */
    public record SharedInfra(KafkaBroker kafka, PostgresServer postgres, Path workDir) implements AutoCloseable {

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
        }
    }
}
