package io.dspysuite.systemtests.logscan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs after every other end-to-end class of the run ({@code junit-platform.properties} orders classes by
 * {@link Order}; this one is last) and fails if any log line of the run holds an API key, the internal token, the
 * hosted-LM key or a prompt: the services' logs of every end-to-end suite ({@code target/e2e-logs}) and the log files
 * of the services' component tests ({@code <module>/target/test-logs}, written in the test profile).
 */
@Order(Integer.MAX_VALUE)
class NoSecretsInLogsTest {

    private static final Path ROOT = Path.of(System.getProperty("dspy-suite.root", "..")).toAbsolutePath().normalize();
    private static final Path E2E_LOGS = Path.of(System.getProperty("dspy-suite.log-dir", "target/e2e-logs"));

    @Test
    void noLogLineOfTheRunHoldsASecretOrAPrompt() {
        Map<String, String> secrets = new HashMap<>(LogCanaries.secrets());
        secrets.putAll(componentTestSecrets("gateway-service"));
        secrets.putAll(componentTestSecrets("orchestration-service"));
        List<Path> roots = new ArrayList<>(List.of(E2E_LOGS));
        for (String module : List.of("gateway-service", "orchestration-service")) {
            roots.add(ROOT.resolve(module).resolve("target").resolve("test-logs"));
        }

        Map<String, Pattern> patterns = new HashMap<>(LogCanaries.PATTERNS);
        // The gateway component tests' fixed keys (support/TestKeys: test-dev-tenant-key-..., test-other-...).
        patterns.put("a gateway component-test key", Pattern.compile("test-[a-z-]+-key-0123456789abcdef"));

        LogScanner.Result result = new LogScanner(secrets, patterns).scan(roots);

        System.out.printf("[log-scan] %d files, %d lines, %d secrets and %d patterns: %d findings%n", result.files(),
                result.lines(), secrets.size(), patterns.size(), result.findings().size());
        assertThat(E2E_LOGS).as("the end-to-end logs (run the e2e tests first)").isDirectory();
        assertThat(result.lines()).as("log lines scanned").isPositive();
        assertThat(result.findings()).as("log lines holding a secret or a prompt (file:line: what)").isEmpty();
    }

    /** The keys and the internal token a module's component tests use (its %test profile), which must not be logged. */
    private static Map<String, String> componentTestSecrets(String module) {
        Path file = ROOT.resolve(module).resolve("src/main/resources/application.properties");
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> secrets = new HashMap<>();
        for (String name : List.of("dspy-suite.dev-api-key", "dspy-suite.admin-api-key", "dspy-suite.internal.token")) {
            String value = properties.getProperty("%test." + name);
            if (value != null) {
                secrets.put(module + " test " + name, value);
            }
        }
        return secrets;
    }
}
