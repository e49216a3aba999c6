package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chaos checker on hand-written client logs: it must catch every kind of violation it claims to. */
class ChaosCheckerTest {

    @TempDir
    Path dir;

    private final List<String> lines = new ArrayList<>();

    @Test
    void aCleanLogAcrossAResumedStreamHasNoViolationsAndItsFigures() throws IOException {
        ack("k1", "t1", "PREDICT");
        ack("k1", "t1", "PREDICT"); // the same submission re-sent: the same task
        event("t1", 1, "status", "queued");
        event("t1", 2, "status", "running");
        // The stream broke here; the client resumed after seq 2 on the other gateway.
        lines.add("""
                {"type":"stream_open","task_id":"t1","after_seq":2}""");
        event("t1", 3, "status", "succeeded");
        view("t1", "succeeded", 2, 5, "{}");
        lines.add("""
                {"type":"fault","fault":"KILL_GATEWAY","phase":"recovered"}""");

        ChaosChecker.Report report = check();

        assertThat(report.violations()).isEmpty();
        assertThat(report.acceptedByKind()).containsEntry("PREDICT", 1);
        assertThat(report.finalByStatus()).containsEntry("succeeded", 1);
        assertThat(report.retries()).isEqualTo(1);
        assertThat(report.resumes()).isEqualTo(1);
        assertThat(report.faults()).containsEntry("KILL_GATEWAY", 1);
    }

    @Test
    void aTaskWithoutAFinalEventIsLost() throws IOException {
        ack("k1", "t1", "PREDICT");
        event("t1", 1, "status", "queued");
        lines.add("""
                {"type":"gave_up","task_id":"t1"}""");

        ChaosChecker.Report report = check();

        assertThat(report.lost()).isEqualTo(1);
        assertThat(report.violations()).singleElement().asString().contains("no final state");
    }

    @Test
    void aSecondFinalEventARepeatAndAGapAreCaught() throws IOException {
        ack("k1", "t1", "PREDICT");
        event("t1", 1, "status", "succeeded");
        event("t1", 1, "status", "succeeded");
        ack("k2", "t2", "PREDICT");
        event("t2", 1, "status", "queued");
        event("t2", 3, "status", "succeeded");
        view("t1", "succeeded", 1, 5, "{}");
        view("t2", "succeeded", 1, 5, "{}");

        ChaosChecker.Report report = check();

        assertThat(report.duplicates()).isEqualTo(2);
        assertThat(report.gaps()).isEqualTo(2);
        assertThat(report.violations()).anyMatch(v -> v.contains("t1: 2 final events"))
                .anyMatch(v -> v.contains("t2: events not gap-free"));
    }

    @Test
    void aTransientFailureWithinTheRetryBudgetIsAViolationButNotOnceTheBudgetIsSpent() throws IOException {
        ack("k1", "t1", "PREDICT");
        failed("t1", "LM_UNAVAILABLE");
        view("t1", "failed", 2, 5, "{}");
        ack("k2", "t2", "PREDICT");
        failed("t2", "LM_UNAVAILABLE");
        view("t2", "failed", 5, 5, "{}");

        ChaosChecker.Report report = check();

        assertThat(report.violations()).singleElement().asString()
                .contains("t1 (PREDICT): failed with transient LM_UNAVAILABLE after attempt 2 of 5");
        assertThat(report.budgetExhausted()).isEqualTo(1);
    }

    @Test
    void anEvaluationExampleFailedForATransientCauseAndTwoTasksOfOneVersionAreCaught() throws IOException {
        ack("k1", "t1", "EVALUATE");
        event("t1", 1, "status", "succeeded");
        view("t1", "succeeded", 1, 3, """
                {"outputs":{"total":2,"failed":1,"outcomes":[{"index":0},{"index":1,"error":"LM_UNAVAILABLE"}]}}""");
        ack("k2", "t2", "OPTIMIZE");
        event("t2", 1, "status", "succeeded");
        view("t2", "succeeded", 1, 3, """
                {"outputs":{"program":"p","version":2}}""");
        ack("k3", "t3", "OPTIMIZE");
        event("t3", 1, "status", "succeeded");
        view("t3", "succeeded", 1, 3, """
                {"outputs":{"program":"p","version":2}}""");

        ChaosChecker.Report report = check();

        assertThat(report.violations()).hasSize(2)
                .anyMatch(v -> v.contains("t1 (evaluate): example 1 failed for a transient cause"))
                .anyMatch(v -> v.contains("both made p v2"));
    }

    @Test
    void oneSubmissionThatMadeTwoTasksIsCaught() throws IOException {
        ack("k1", "t1", "PREDICT");
        ack("k1", "t2", "PREDICT");
        for (String id : List.of("t1", "t2")) {
            event(id, 1, "status", "succeeded");
            view(id, "succeeded", 1, 5, "{}");
        }

        assertThat(check().violations()).singleElement().asString().contains("submission k1 made 2 tasks");
    }

    private void ack(String key, String taskId, String kind) {
        lines.add("""
                {"type":"submit","key":"%s"}""".formatted(key));
        lines.add("""
                {"type":"ack","key":"%s","task_id":"%s","kind":"%s"}""".formatted(key, taskId, kind));
    }

    private void event(String taskId, long seq, String event, String status) {
        lines.add("""
                {"type":"event","task_id":"%s","id":"%d","event":"%s",
                 "data":{"task_id":"%s","seq":%d,"event":"%s","data":{"status":"%s"}}}"""
                .formatted(taskId, seq, event, taskId, seq, event, status).replace("\n", ""));
    }

    private void failed(String taskId, String code) {
        lines.add("""
                {"type":"event","task_id":"%s","id":"1","event":"error",
                 "data":{"event":"error","data":{"code":"%s","retryable":true}}}"""
                .formatted(taskId, code).replace("\n", ""));
        event(taskId, 2, "status", "failed");
    }

    private void view(String taskId, String status, int attempt, int maxAttempts, String result) {
        lines.add("""
                {"type":"view","task_id":"%s","task":{"status":"%s","result":%s},
                 "job":{"attempt":%d,"max_attempts":%d,"errors":[]}}"""
                .formatted(taskId, status, result, attempt, maxAttempts).replace("\n", ""));
    }

    private ChaosChecker.Report check() throws IOException {
        Path log = dir.resolve("chaos.jsonl");
        Files.write(log, lines);
        return ChaosChecker.check(log);
    }
}
