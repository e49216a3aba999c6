package io.dspysuite.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.dspysuite.localstack.infra.FreePorts;
import io.dspysuite.localstack.infra.TempDirs;
import io.dspysuite.localstack.suite.Suite;
import io.dspysuite.localstack.suite.SuiteConfig;
import io.dspysuite.localstack.suite.TelemetryEnv;
import io.dspysuite.systemtests.logscan.LogCanaries;

/**
 * The real suite, started once for all end-to-end test classes of this JVM on free ports with fresh data, exactly as
 * {@code ./suite run} starts it, with two Python replicas: every end-to-end test then also proves that any replica
 * serves any request (no session affinity). All services export their traces to a test OTLP receiver. Stopped when
 * the JVM exits.
 */
final class RunningSuite {

    private static Suite suite;
    private static OtlpReceiver telemetry;

    private RunningSuite() {
    }

    static synchronized Suite get() {
        if (suite == null) {
            telemetry = startReceiver();
            SuiteConfig config = config();
            suite = Suite.start(config, line -> System.out.println("[e2e] " + line));
            LogCanaries.secret("the e2e API key", config.apiKey());
            LogCanaries.secret("the e2e internal token", suite.internalToken());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                suite.close();
                telemetry.close();
                TempDirs.deleteQuietly(config.dataDir());
            }, "e2e-suite-stop"));
        }
        return suite;
    }

    /** The OTLP receiver every service of the shared suite exports its traces to. */
    static synchronized OtlpReceiver telemetry() {
        get();
        return telemetry;
    }

    private static OtlpReceiver startReceiver() {
        try {
            return new OtlpReceiver();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * OTLP export to the test receiver, and the simulated LM offered beside the local model (the default): the ReAct
     * test needs an agent that actually calls tools, which SmolLM2-135M never does.
     */
    private static Map<String, String> serviceEnv() {
        Map<String, String> env = new HashMap<>(TelemetryEnv.forEndpoint(telemetry.endpoint()));
        env.put("DSPY_SERVICE_SIMULATED_LM", "true");
        // A hosted-LM key the services hold but must never print (the log scan looks for it).
        env.put("DSPY_LM_API_KEY", LogCanaries.LM_API_KEY);
        return env;
    }

    private static SuiteConfig config() {
        String python = System.getenv("DSPY_SUITE_PYTHON");
        if (python == null || python.isBlank()) {
            throw new IllegalStateException("DSPY_SUITE_PYTHON is not set: run the end-to-end tests with ./suite test");
        }
        try {
            Path dataDir = Files.createTempDirectory("dspy-suite-e2e");
            return new SuiteConfig(
                    Path.of(System.getProperty("dspy-suite.root", "..")).toAbsolutePath().normalize(),
                    Path.of(python), dataDir,
                    Path.of(System.getProperty("dspy-suite.log-dir", "target/e2e-logs")).toAbsolutePath(),
                    List.of(FreePorts.next()), List.of(FreePorts.next()), List.of(FreePorts.next(), FreePorts.next()),
                    FreePorts.next(), FreePorts.next(), serviceEnv(),
                    "dsk_e2e_" + UUID.randomUUID().toString().replace("-", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
