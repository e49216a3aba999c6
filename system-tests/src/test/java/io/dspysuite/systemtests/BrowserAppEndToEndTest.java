package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.suite.Suite;

/**
 * The browser app in headless Chromium (Debian's chromium driven by playwright-core) against the real suite: the
 * scenarios live in {@code system-tests/browser/spa.test.mjs} (node's test runner): a predict streaming its answer, a
 * reload and a dropped connection resuming a running task without gaps, an optimization with its progress bar and
 * promotion, the keyboard-only flow on a phone-sized screen, the admin jobs view. This test runs them against the
 * suite the other end-to-end tests share and fails with their output when any of them fails. Screenshots are kept in
 * {@code system-tests/target/browser-artifacts}.
 */
class BrowserAppEndToEndTest {

    private static final long TIMEOUT_MINUTES = 15;

    @Test
    void browserAppScenariosPassInHeadlessChromium() throws IOException, InterruptedException {
        Suite suite = RunningSuite.get();
        Path browserTests = suite.config().repoRoot().resolve("system-tests/browser");
        assertThat(browserTests.resolve("node_modules/playwright-core"))
                .as("playwright-core is installed (./suite test runs npm ci in system-tests/browser)").exists();
        Path output = Files.createDirectories(Path.of("target")).resolve("browser-test.log");

        ProcessBuilder node = new ProcessBuilder("node", "--test", "spa.test.mjs")
                .directory(browserTests.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        node.environment().put("DSPY_SUITE_URL", suite.config().gatewayUrl());
        node.environment().put("DSPY_SUITE_API_KEY", suite.config().apiKey());
        node.environment().put("DSPY_SUITE_SCREENSHOTS",
                Path.of("target", "browser-artifacts").toAbsolutePath().toString());
        Process process = node.start();
        boolean finished = process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly();
        }
        String log = Files.readString(output);
        System.out.println(log);

        assertThat(finished).as("browser test finished within %d minutes:%n%s", TIMEOUT_MINUTES, log).isTrue();
        assertThat(process.exitValue()).as("browser test output:%n%s", log).isZero();
        assertThat(log).contains("# fail 0");
    }
}
