package io.dspysuite.systemtests.logscan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log scanner can fail: planted lines are found, clean lines are not, and findings never echo the secret. */
class LogScannerTest {

    private static final String KEY = "dsk_planted_0123456789abcdefXYZ";
    private static final String TOKEN = "planted-internal-token-4242";

    @Test
    void findsPlantedSecretsPromptsAndKeyShapedStrings(@TempDir Path logs) throws IOException {
        Path service = logs.resolve("nested").resolve("gateway-service.log");
        Files.createDirectories(service.getParent());
        Files.write(service, List.of(
                "{\"level\":\"INFO\",\"message\":\"started\"}",
                "{\"level\":\"WARN\",\"message\":\"lookup failed for " + TOKEN + "\"}",
                "{\"level\":\"INFO\",\"message\":\"task inputs {question=Why? " + LogCanaries.PROMPT_MARKER + "}\"}",
                "headers: Authorization: Bearer abcdefghijklmnop0123",
                "X-Internal-Token: 0123456789abcdef",
                "listing shows dsk_abcd1234 only",
                "a brand-new key " + "dsk_" + "Zx9".repeat(10)));
        Files.write(logs.resolve("python.log"), List.of("api_key=" + LogCanaries.LM_API_KEY));

        LogScanner.Result result = new LogScanner(Map.of("internal token", TOKEN, "prompt marker",
                LogCanaries.PROMPT_MARKER, "LM key", LogCanaries.LM_API_KEY), LogCanaries.PATTERNS).scan(List.of(logs));

        assertThat(result.files()).isEqualTo(2);
        assertThat(result.lines()).isEqualTo(8);
        assertThat(result.findings()).extracting(f -> f.file().getFileName() + ":" + f.line() + " " + f.label())
                .containsExactlyInAnyOrder(
                        "gateway-service.log:2 internal token",
                        "gateway-service.log:3 prompt marker",
                        "gateway-service.log:4 a bearer credential",
                        "gateway-service.log:5 an X-Internal-Token value",
                        "gateway-service.log:7 an API key (dsk_...)",
                        "python.log:1 LM key");
        // The report names what was found, never the value.
        assertThat(result.findings().toString()).doesNotContain(TOKEN, LogCanaries.LM_API_KEY, KEY);
    }

    @Test
    void cleanLogsAndMissingRootsHaveNoFindings(@TempDir Path logs) throws IOException {
        Files.write(logs.resolve("clean.log"), List.of("WWW-Authenticate: Bearer realm=\"dspy-suite\"",
                "task finished {\"input_tokens\": 12}", "key id 6f1c0c3e-2d1b-4c69-9d1e-3b0c9f6e8a11"));

        LogScanner.Result result = new LogScanner(Map.of("key", KEY), LogCanaries.PATTERNS)
                .scan(List.of(logs, logs.resolve("absent")));

        assertThat(result.findings()).isEmpty();
        assertThat(result.files()).isEqualTo(1);
    }

    @Test
    void refusesSecretsTooShortToScanFor() {
        assertThatThrownBy(() -> new LogScanner(Map.of("short", "abc"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
