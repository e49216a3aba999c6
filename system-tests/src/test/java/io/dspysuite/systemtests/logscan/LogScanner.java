package io.dspysuite.systemtests.logscan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads log files line by line and reports every line that holds a secret or a prompt: exact strings (the keys and
 * tokens a test run used, the marker strings its prompts carry) and patterns (any API key of the suite's format, any
 * bearer credential). Findings name the file, the line number and the label of what was found, never the value, so
 * the report itself does not become a leak.
 */
public final class LogScanner {

    /** One line that must not exist. */
    public record Finding(Path file, long line, String label) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + label;
        }
    }

    /** What was scanned: the proof that the scan looked at something. */
    public record Result(List<Finding> findings, int files, long lines) {
    }

    private final Map<String, String> exact;
    private final Map<String, Pattern> patterns;

    /**
     * @param exact label → a string no log line may contain (case-sensitive)
     * @param patterns label → a pattern no log line may match
     */
    public LogScanner(Map<String, String> exact, Map<String, Pattern> patterns) {
        exact.forEach((label, value) -> {
            if (value == null || value.length() < 8) {
                throw new IllegalArgumentException(label + ": too short to scan for without false findings");
            }
        });
        this.exact = Map.copyOf(exact);
        this.patterns = Map.copyOf(patterns);
    }

    /** Every regular file under the roots that exist (a missing root is skipped). */
    public Result scan(Collection<Path> roots) {
        List<Finding> findings = new ArrayList<>();
        int files = 0;
        long lines = 0;
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            List<Path> logs;
            try (Stream<Path> walk = Files.walk(root)) {
                logs = walk.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Path log : logs) {
                files++;
                lines += scanFile(log, findings);
            }
        }
        return new Result(List.copyOf(findings), files, lines);
    }

    private long scanFile(Path file, List<Finding> findings) {
        long number = 0;
        // ISO-8859-1 maps every byte to one char: binary or odd bytes never stop the scan, ASCII secrets still match.
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = reader.readLine()) != null) {
                number++;
                for (Map.Entry<String, String> secret : exact.entrySet()) {
                    if (line.contains(secret.getValue())) {
                        findings.add(new Finding(file, number, secret.getKey()));
                    }
                }
                for (Map.Entry<String, Pattern> pattern : patterns.entrySet()) {
                    if (pattern.getValue().matcher(line).find()) {
                        findings.add(new Finding(file, number, pattern.getKey()));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return number;
    }
}
