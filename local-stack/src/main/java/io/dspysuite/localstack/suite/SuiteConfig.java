package io.dspysuite.localstack.suite;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where the suite's parts live and listen.
 *
 * @param repoRoot the checkout (holds the built service jars and the Python project)
 * @param python the Python interpreter of the service's virtual environment
 * @param dataDir Kafka and PostgreSQL data; kept between runs so tasks survive a restart
 * @param logDir one log file per service
 * @param gatewayPorts one HTTP port per gateway replica (they share the task view; each pushes every event live)
 * @param orchestrationPorts one HTTP port per orchestration replica (they share the job table and consumer groups)
 * @param dspyPorts one gRPC port per Python replica (the orchestration service balances calls over all of them)
 * @param serviceEnv extra environment for every service process (e.g. OTLP export, the fault tests' simulated LM)
 * @param apiKey the development tenant's API key handed to the gateway
 */
public record SuiteConfig(Path repoRoot, Path python, Path dataDir, Path logDir, List<Integer> gatewayPorts,
        List<Integer> orchestrationPorts, List<Integer> dspyPorts, int kafkaPort, int postgresPort,
        Map<String, String> serviceEnv, String apiKey) {

    public SuiteConfig {
        if (gatewayPorts.isEmpty() || dspyPorts.isEmpty() || orchestrationPorts.isEmpty()) {
            throw new IllegalArgumentException("at least one replica of each service is needed");
        }
        gatewayPorts = List.copyOf(gatewayPorts);
        orchestrationPorts = List.copyOf(orchestrationPorts);
        dspyPorts = List.copyOf(dspyPorts);
        serviceEnv = Map.copyOf(serviceEnv);
    }

    /** The first orchestration replica: the one the gateway's internal API client calls. */
    public int orchestrationPort() {
        return orchestrationPorts.get(0);
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

    public int gatewayPort() {
        return gatewayPorts.get(0);
    }

    /** The first gateway replica's base URL. */
    public String gatewayUrl() {
        return gatewayUrl(0);
    }

    public String gatewayUrl(int replica) {
        return "http://localhost:" + gatewayPorts.get(replica);
    }
}
