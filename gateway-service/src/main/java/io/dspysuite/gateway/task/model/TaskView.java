package io.dspysuite.gateway.task.model;

import java.time.OffsetDateTime;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A task as the API shows it (REST responses; the WebSocket sends the same data as events). */
@JsonPropertyOrder({ "id", "kind", "status", "program", "result", "usage", "error", "progress", "attempt", "trace_id",
        "created_at", "started_at", "finished_at", "updated_at", "cancel_requested_at", "last_seq" })
@Schema(name = "Task")
public record TaskView(
        UUID id,
        @Schema(enumeration = { "predict", "evaluate", "optimize" }) String kind,
        @Schema(enumeration = { "queued", "running", "succeeded", "failed", "cancelled" }) String status,
        @Schema(type = SchemaType.OBJECT, description = "The program as submitted (ad-hoc or named)") ObjectNode program,
        @Schema(description = "Set once the task succeeded", nullable = true) Result result,
        @Schema(description = "LM token usage, set with the result", nullable = true) Usage usage,
        @Schema(description = "Set when the task failed", nullable = true) Error error,
        @Schema(description = "Latest progress report, for long tasks", nullable = true) Progress progress,
        @Schema(description = "The attempt running or last run (0 before the first)") int attempt,
        @Schema(description = "W3C trace id of the task's trace", nullable = true) String traceId,
        OffsetDateTime createdAt,
        @Schema(description = "When the first attempt started", nullable = true) OffsetDateTime startedAt,
        @Schema(description = "When the task reached its final status", nullable = true) OffsetDateTime finishedAt,
        OffsetDateTime updatedAt,
        @Schema(description = "When the tenant asked to cancel the task (the status turns cancelled once the "
                + "orchestration service stopped it)", nullable = true) OffsetDateTime cancelRequestedAt,
        @Schema(description = "Sequence number of the last event applied; subscribe with after_seq to continue") long lastSeq) {

    @Schema(name = "TaskResult")
    public record Result(
            @Schema(type = SchemaType.OBJECT, description = "The signature's output fields by name (absent for evaluate "
                    + "and optimize results)", nullable = true) ObjectNode outputs,
            @Schema(description = "The model that answered", nullable = true) String model) {
    }

    @Schema(name = "TaskUsage")
    public record Usage(long inputTokens, long outputTokens,
            @Schema(description = "LM calls that reached the model") long lmCalls,
            @Schema(description = "LM calls answered from the durable call cache of an optimization (a retried "
                    + "attempt replaying what an earlier attempt had paid for)") long lmCallsReplayed) {
    }

    @Schema(name = "TaskError")
    public record Error(
            @Schema(description = "Stable code, e.g. LM_UNAVAILABLE, SUBMIT_FAILED", nullable = true) String code,
            @Schema(nullable = true) String message,
            @Schema(description = "Whether submitting the task again may succeed") boolean retryable) {
    }

    @Schema(name = "TaskProgress")
    public record Progress(
            @Schema(description = "Done so far, 0..1") double fraction,
            @Schema(nullable = true) String message,
            @Schema(description = "evaluating, compiling, bootstrapping, trial, compiled, ...", nullable = true)
            String phase,
            @Schema(description = "Steps done in this phase") long step,
            @Schema(description = "Steps expected in this phase (0 = unknown)") long total,
            @Schema(description = "Score of the latest evaluation or trial, percent", nullable = true) Double currentScore,
            @Schema(description = "Best score so far, percent", nullable = true) Double bestScore) {
    }
}
