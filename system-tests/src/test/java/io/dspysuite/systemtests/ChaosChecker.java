package io.dspysuite.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The chaos soak's independent checker: it reads only the client-side {@link ChaosLog} (what the client sent and
 * what it was delivered), never the suite, and verifies that
 * <ul>
 * <li>every accepted task reached exactly one final state (none lost, none stuck, no final event twice);</li>
 * <li>every task's events, as delivered across all of its stream connections, are gap-free from 1, without a
 * repeat, the final status last;</li>
 * <li>no task failed for a transient cause (a retryable error code) within its retry budget, read from the job's
 * attempt history the admin API showed the client; no valid task failed, was cancelled or was refused;</li>
 * <li>no example of a succeeded evaluation failed because the LM was briefly away (an availability error
 * code);</li>
 * <li>one submission (one {@code Idempotency-Key}) made one task however often it was sent, and every optimization
 * made its own program version (no version named by two tasks).</li>
 * </ul>
 */
final class ChaosChecker {

    /** Error codes the contract documents as transient (retryable), plus the Java client's own. */
    static final Set<String> TRANSIENT_CODES = Set.of("LM_RATE_LIMITED", "LM_UNAVAILABLE", "OUTPUT_PARSE_FAILED",
            "DEADLINE_EXCEEDED", "LM_TIMEOUT", "TOOL_FAILED", "DSPY_SERVICE_UNAVAILABLE");

    /** LM availability codes: an evaluation retries those in place, so no example may end failed with one. */
    static final Set<String> LM_AWAY_CODES = Set.of("LM_UNAVAILABLE", "LM_RATE_LIMITED", "LM_TIMEOUT");

    /** What the check found. */
    record Report(Map<String, Integer> acceptedByKind, Map<String, Integer> finalByStatus,
            Map<String, Integer> faults, int submissions, int submitRetries, int abandoned, int events, int lost,
            int duplicates, int gaps, int retries, Map<String, Integer> retriedCodes, int budgetExhausted,
            int resumes, Map<String, Integer> streamEnds, List<String> violations) {

        int accepted() {
            return acceptedByKind.values().stream().mapToInt(Integer::intValue).sum();
        }

        @Override
        public String toString() {
            return "accepted tasks " + accepted() + " " + acceptedByKind + "; final " + finalByStatus + "; faults "
                    + faults + "; submissions " + submissions + " (" + submitRetries + " re-sent, " + abandoned
                    + " abandoned unanswered); events delivered " + events + "; lost " + lost + ", duplicates "
                    + duplicates + ", gaps " + gaps + "; retries (attempts after the first) " + retries + " "
                    + retriedCodes + ", retry budget exhausted " + budgetExhausted + "; stream resumes " + resumes
                    + ", stream ends " + streamEnds + "; " + violations.size() + " violation(s)"
                    + (violations.isEmpty() ? "" : ": " + violations);
        }
    }

    private static final class Task {
        String kind;
        final List<JsonNode> delivered = new ArrayList<>();
        JsonNode view;
        boolean gaveUp;
    }

    private ChaosChecker() {
    }

    static Report check(Path logFile) {
        Map<String, Task> tasks = new LinkedHashMap<>();
        Map<String, Set<String>> tasksByKey = new HashMap<>();
        Map<String, Integer> faults = new TreeMap<>();
        Map<String, Integer> streamEnds = new TreeMap<>();
        List<String> violations = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        int submits = 0;
        int abandoned = 0;
        int resumes = 0;
        for (JsonNode line : read(logFile)) {
            String taskId = line.path("task_id").asText();
            switch (line.path("type").asText()) {
                case "submit" -> {
                    submits++;
                    keys.add(line.path("key").asText());
                }
                case "ack" -> {
                    tasks.computeIfAbsent(taskId, id -> new Task()).kind = line.path("kind").asText();
                    tasksByKey.computeIfAbsent(line.path("key").asText(), k -> new HashSet<>()).add(taskId);
                }
                case "submit_rejected" -> violations.add("submission " + line.path("key").asText() + " ("
                        + line.path("kind").asText() + ") refused with " + line.path("status").asInt());
                case "submit_abandoned" -> abandoned++;
                case "stream_open" -> resumes += line.path("after_seq").asLong() > 0 ? 1 : 0;
                case "stream_end" -> streamEnds.merge(line.path("reason").asText(), 1, Integer::sum);
                case "event" -> task(tasks, taskId, violations).delivered.add(line);
                case "gave_up" -> task(tasks, taskId, violations).gaveUp = true;
                case "view" -> task(tasks, taskId, violations).view = line;
                case "fault" -> {
                    if (line.path("phase").asText().equals("recovered")) {
                        faults.merge(line.path("fault").asText(), 1, Integer::sum);
                    }
                }
                default -> {
                }
            }
        }
        tasksByKey.forEach((key, ids) -> {
            if (ids.size() > 1) {
                violations.add("submission " + key + " made " + ids.size() + " tasks: " + ids);
            }
        });

        Map<String, Integer> acceptedByKind = new TreeMap<>();
        Map<String, Integer> finalByStatus = new TreeMap<>();
        Map<String, Integer> retriedCodes = new TreeMap<>();
        int events = 0;
        int lost = 0;
        int duplicates = 0;
        int gaps = 0;
        int retries = 0;
        int budgetExhausted = 0;
        Map<String, String> versionOwners = new HashMap<>();
        for (Map.Entry<String, Task> entry : tasks.entrySet()) {
            String id = entry.getKey();
            Task task = entry.getValue();
            acceptedByKind.merge(String.valueOf(task.kind), 1, Integer::sum);
            events += task.delivered.size();
            List<Long> seqs = task.delivered.stream().map(e -> e.path("id").asLong(-1)).toList();
            List<JsonNode> finals = task.delivered.stream().filter(e -> SuiteClient.isFinalStatusEvent(e.path("data")))
                    .toList();
            if (finals.isEmpty()) {
                lost++;
                violations.add(id + " (" + task.kind + "): no final state delivered"
                        + (task.gaveUp ? " (the client gave up waiting)" : "") + "; seqs " + seqs + "; API view "
                        + (task.view == null ? "none" : task.view.path("task").path("status").asText()));
                continue;
            }
            if (finals.size() > 1) {
                duplicates++;
                violations.add(id + ": " + finals.size() + " final events delivered");
            }
            if (new HashSet<>(seqs).size() != seqs.size()) {
                duplicates++;
                violations.add(id + ": an event delivered twice: " + seqs);
            }
            if (!isGapFreeFromOne(seqs)) {
                gaps++;
                violations.add(id + ": events not gap-free from 1 as delivered: " + seqs);
            }
            if (!SuiteClient.isFinalStatusEvent(task.delivered.get(task.delivered.size() - 1).path("data"))) {
                violations.add(id + ": an event after the final status: " + seqs);
            }
            String status = finals.get(0).path("data").path("data").path("status").asText();
            finalByStatus.merge(status, 1, Integer::sum);

            JsonNode job = task.view == null ? null : task.view.path("job");
            if (task.view == null) {
                violations.add(id + ": no final view logged");
            } else {
                String viewStatus = task.view.path("task").path("status").asText();
                if (!viewStatus.equals(status)) {
                    violations.add(id + ": stream ended " + status + " but the API says " + viewStatus);
                }
                int attempt = job.path("attempt").asInt();
                retries += Math.max(0, attempt - 1);
                for (JsonNode error : job.path("errors")) {
                    retriedCodes.merge(error.path("code").asText(), 1, Integer::sum);
                }
            }
            JsonNode outputs = task.view == null ? null : task.view.path("task").path("result").path("outputs");
            if (status.equals("succeeded") && outputs != null) {
                for (JsonNode outcome : outputs.path("outcomes")) {
                    if (LM_AWAY_CODES.contains(outcome.path("error").asText())) {
                        violations.add(id + " (evaluate): example " + outcome.path("index").asInt()
                                + " failed for a transient cause: " + outcome.path("error").asText());
                    }
                }
                if (outputs.has("program") && outputs.has("version")) {
                    String version = outputs.path("program").asText() + " v" + outputs.path("version").asInt();
                    String owner = versionOwners.putIfAbsent(version, id);
                    if (owner != null) {
                        duplicates++;
                        violations.add(id + " and " + owner + " both made " + version);
                    }
                }
            }
            if (status.equals("failed")) {
                JsonNode error = task.delivered.stream().filter(e -> e.path("event").asText().equals("error"))
                        .reduce((a, b) -> b).map(e -> e.path("data").path("data")).orElse(null);
                String code = error == null ? "?" : error.path("code").asText();
                boolean transientCause = TRANSIENT_CODES.contains(code)
                        || error != null && error.path("retryable").asBoolean();
                int attempt = job == null ? 0 : job.path("attempt").asInt();
                int budget = job == null ? 0 : job.has("max_attempts") ? job.path("max_attempts").asInt()
                        : job.path("maxAttempts").asInt();
                if (transientCause && attempt >= budget && budget > 0) {
                    budgetExhausted++;
                } else if (transientCause) {
                    violations.add(id + " (" + task.kind + "): failed with transient " + code + " after attempt "
                            + attempt + " of " + budget + ": " + error);
                } else {
                    violations.add(id + " (" + task.kind + "): a valid task failed with " + code + ": " + error);
                }
            } else if (!status.equals("succeeded")) {
                violations.add(id + " (" + task.kind + "): ended " + status + " though nobody cancelled it");
            }
        }
        return new Report(acceptedByKind, finalByStatus, faults, keys.size(), submits - keys.size(), abandoned,
                events, lost, duplicates, gaps, retries, retriedCodes, budgetExhausted, resumes, streamEnds,
                violations);
    }

    private static Task task(Map<String, Task> tasks, String id, List<String> violations) {
        Task task = tasks.get(id);
        if (task == null) {
            // Logged only for accepted tasks; a line for another one means the client log itself is broken.
            violations.add(id + ": delivered without an acknowledgement");
            task = new Task();
            tasks.put(id, task);
        }
        return task;
    }

    private static boolean isGapFreeFromOne(List<Long> seqs) {
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != i + 1) {
                return false;
            }
        }
        return true;
    }

    private static List<JsonNode> read(Path logFile) {
        try {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(logFile)) {
                if (!line.isBlank()) {
                    lines.add(SuiteClient.JSON.readTree(line));
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
