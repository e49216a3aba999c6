package io.dspysuite.localstack;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import io.dspysuite.localstack.suite.Suite;
import io.dspysuite.localstack.suite.SuiteConfig;
import io.dspysuite.localstack.suite.TelemetryEnv;

/**
 * {@code suite run}: starts the whole suite locally, prints the browser app's URL and the development API key, and
 * keeps it running (restarting any service that dies) until Ctrl-C or SIGTERM, which stops everything cleanly.
 * <p>
 * Environment: {@code DSPY_SUITE_ROOT} (checkout), {@code DSPY_SUITE_PYTHON} (the service venv's python),
 * {@code DSPY_SUITE_HOME} (data and logs), {@code DSPY_SUITE_API_KEY} (pins the dev key),
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} (an OTLP/HTTP endpoint all services export traces to; unset = no export), and ports
 * {@code DSPY_SUITE_GATEWAY_PORT} (8080), {@code DSPY_SUITE_ORCHESTRATION_PORT} (8081), {@code DSPY_SUITE_DSPY_PORT}
 * (50051; replica i of {@code DSPY_SUITE_PYTHON_REPLICAS}, default 1, listens on 50051 + i), {@code DSPY_SUITE_KAFKA_PORT} (9092), {@code DSPY_SUITE_POSTGRES_PORT} (5432).
 */
public final class LocalStackMain {

    private LocalStackMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path home = Path.of(env("DSPY_SUITE_HOME", System.getProperty("user.home") + "/.cache/dspy-suite/local"));
        String apiKey = env("DSPY_SUITE_API_KEY", "");
        boolean generatedKey = apiKey.isBlank();
        if (generatedKey) {
            apiKey = newApiKey();
        }
        SuiteConfig config = new SuiteConfig(
                Path.of(env("DSPY_SUITE_ROOT", ".")).toAbsolutePath().normalize(),
                Path.of(required("DSPY_SUITE_PYTHON")),
                home.resolve("data"), home.resolve("logs"),
                List.of(intEnv("DSPY_SUITE_GATEWAY_PORT", 8080)), List.of(intEnv("DSPY_SUITE_ORCHESTRATION_PORT", 8081)),
                dspyPorts(intEnv("DSPY_SUITE_DSPY_PORT", 50051), intEnv("DSPY_SUITE_PYTHON_REPLICAS", 1)),
                intEnv("DSPY_SUITE_KAFKA_PORT", 9092),
                intEnv("DSPY_SUITE_POSTGRES_PORT", 5432),
                TelemetryEnv.forEndpoint(System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")), apiKey);

        Suite suite = Suite.start(config, LocalStackMain::report);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            report("stopping the suite");
            suite.close();
            report("stopped");
            stopped.countDown();
        }, "suite-stop"));

        System.out.println();
        System.out.println("  DSPy Suite is up.");
        System.out.println("  Browser app:  " + config.gatewayUrl() + "/");
        System.out.println("  REST API:     " + config.gatewayUrl() + "/api/v1  (OpenAPI: " + config.gatewayUrl()
                + "/q/swagger-ui)");
        System.out.println("  Dev API key:  " + apiKey + (generatedKey ? "  (new each run; set DSPY_SUITE_API_KEY to pin it)" : ""));
        System.out.println("  Logs:         " + config.logDir());
        System.out.println("  Stop with Ctrl-C.");
        System.out.println();
        stopped.await();
    }

    private static String newApiKey() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return "dsk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void report(String line) {
        System.out.println(LocalTime.now().format(DateTimeFormatter.ISO_LOCAL_TIME).substring(0, 8) + " " + line);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set; start the suite with ./suite run");
        }
        return value;
    }

    private static List<Integer> dspyPorts(int first, int replicas) {
        return IntStream.range(0, Math.max(1, replicas)).mapToObj(i -> first + i).toList();
    }

    private static int intEnv(String name, int fallback) {
        return Integer.parseInt(env(name, String.valueOf(fallback)));
    }
}
