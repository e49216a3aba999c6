package io.dspysuite.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Proves from the orchestration replicas' JSON logs that no job ran two attempts at once: per task, an attempt may
 * start only when the previous one has ended on its replica (succeeded, failed, postponed, stopped, or ended without
 * recording its outcome: "did not finish cleanly", e.g. the database went away as it wrote it) or that replica was
 * killed after the previous attempt started. Attempt numbers may repeat: an attempt postponed because the DSPy
 * service was unavailable (not there, or the breaker open) is not counted and its number is claimed again.
 */
final class AttemptLogChecker {

    private static final Pattern START = Pattern.compile("^task (\\S+): attempt (\\d+)/\\d+ started");
    private static final Pattern END = Pattern.compile(
            "^task (\\S+): (?:attempt (\\d+)(?:/\\d+)? (?:succeeded|failed|stopped|no longer held by this replica"
                    + "|did not finish cleanly)"
                    + "|DSPy (?:circuit open|service unavailable), attempt (\\d+) not counted)");

    /** A replica killed at an instant: its attempts open at that instant ended then. */
    record Kill(String replica, Instant at) {
    }

    private record Entry(Instant at, String replica, String task, int attempt, boolean start) {
    }

    /** What the check found. */
    record Result(Map<String, Integer> startsByReplica, List<String> overlaps) {
    }

    static Result check(Map<String, Path> logsByReplica, List<Kill> kills) {
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> starts = new HashMap<>();
        logsByReplica.forEach((replica, log) -> entries.addAll(read(replica, log, starts)));
        entries.sort(Comparator.comparing(Entry::at));
        Map<String, Entry> open = new HashMap<>(); // task -> the attempt running now
        List<String> overlaps = new ArrayList<>();
        for (Entry entry : entries) {
            Entry running = open.get(entry.task());
            if (entry.start()) {
                if (running != null && !killedSince(running, entry.at(), kills)) {
                    overlaps.add(entry.task() + ": attempt " + entry.attempt() + " on " + entry.replica() + " at "
                            + entry.at() + " while attempt " + running.attempt() + " on " + running.replica()
                            + " (since " + running.at() + ") was still running");
                }
                open.put(entry.task(), entry);
            } else if (running != null && running.replica().equals(entry.replica())
                    && running.attempt() == entry.attempt()) {
                open.remove(entry.task());
            }
        }
        return new Result(starts, overlaps);
    }

    private static boolean killedSince(Entry running, Instant now, List<Kill> kills) {
        return kills.stream().anyMatch(kill -> kill.replica().equals(running.replica())
                && kill.at().isAfter(running.at()) && !kill.at().isAfter(now));
    }

    private static List<Entry> read(String replica, Path log, Map<String, Integer> starts) {
        List<Entry> entries = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(log)) {
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonNode json = SuiteClient.JSON.readTree(line);
                String message = json.path("message").asText();
                Instant at = Instant.parse(json.path("timestamp").asText());
                Matcher start = START.matcher(message);
                if (start.find()) {
                    starts.merge(replica, 1, Integer::sum);
                    entries.add(new Entry(at, replica, start.group(1), Integer.parseInt(start.group(2)), true));
                    continue;
                }
                Matcher end = END.matcher(message);
                if (end.find()) {
                    String number = end.group(2) != null ? end.group(2) : end.group(3);
                    entries.add(new Entry(at, replica, end.group(1), Integer.parseInt(number), false));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }
}
