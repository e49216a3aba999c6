package io.dspysuite.localstack.suite;

import java.nio.file.Path;
import java.util.List;

/**
 * Where the suite's parts live and listen.
 *
 * @param repoRoot the checkout (holds the built service jars and the Python project)
 * @param python the Python interpreter of the service's virtual environment
 * @param dataDir Kafka and PostgreSQL data; kept between runs so tasks survive a restart
 * @param logDir one log file per service
 * @param dspyPorts one gRPC port per Python replica (the orchestration service balances calls over all of them)
 * @param apiKey the development tenant's API key handed to the gateway
 */
public record SuiteConfig(Path repoRoot, Path python, Path dataDir, Path logDir, int gatewayPort,
        int orchestrationPort, List<Integer> dspyPorts, int kafkaPort, int postgresPort, String apiKey) {

    public SuiteConfig {
        if (dspyPorts.isEmpty()) {
            throw new IllegalArgumentException("at least one Python replica is needed");
        }
        dspyPorts = List.copyOf(dspyPorts);
    }

    public Path gatewayJar() {
        return repoRoot.resolve("gateway-service/target/quarkus-app/quarkus-run.jar");
    }

    public Path orchestrationJar() {
        return repoRoot.resolve("orchestration-service/target/quarkus-app/quarkus-run.jar");
    }

    public Path pythonProject() {
        return repoRoot.resolve("dspy-python-service");
    }

    public String gatewayUrl() {
        return "http://localhost:" + gatewayPort;
    }
}
