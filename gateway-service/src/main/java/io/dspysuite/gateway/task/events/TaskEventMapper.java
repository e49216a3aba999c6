package io.dspysuite.gateway.task.events;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.json.Structs;
import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.task.model.EventType;
import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.dspysuite.protos.dspy.v1.Usage;
import io.dspysuite.protos.events.v1.Progress;
import io.dspysuite.protos.events.v1.TaskEvent;

/**
 * Decodes a Kafka {@link TaskEvent} into the public event shape, once, for both the stored log and live frames:
 * <ul>
 * <li>status: {@code {status, attempt}}</li>
 * <li>progress: {@code {fraction, message, phase, step, total, current_score?, best_score?}}</li>
 * <li>chunk: {@code {field, text}}</li>
 * <li>result: {@code {outputs, usage: {input_tokens, output_tokens, lm_calls, lm_calls_replayed}, model}}</li>
 * <li>error: {@code {code, message, retryable}}</li>
 * </ul>
 */
public final class TaskEventMapper {

    private TaskEventMapper() {
    }

    /** Empty when the envelope cannot name a task event (no task id, a seq below 1, an unspecified status). */
    public static Optional<TaskEventRecord> map(TaskEvent event) {
        if (event == null || event.getSeq() < 1) {
            return Optional.empty();
        }
        Optional<UUID> taskId = Uuids.parse(event.getTaskId());
        if (taskId.isEmpty()) {
            return Optional.empty();
        }
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode data = f.objectNode();
        EventType type;
        TaskStatus status = null;
        switch (event.getPayloadCase()) {
            case STATUS -> {
                Optional<TaskStatus> known = TaskStatus.fromProto(event.getStatus().getStatus());
                if (known.isEmpty()) {
                    return Optional.empty();
                }
                type = EventType.STATUS;
                status = known.get();
                data.put("status", status.wire()).put("attempt", event.getStatus().getAttempt());
            }
            case PROGRESS -> {
                type = EventType.PROGRESS;
                data.setAll(progressData(event.getProgress()));
            }
            case CHUNK -> {
                type = EventType.CHUNK;
                data.put("field", event.getChunk().getField()).put("text", event.getChunk().getText());
            }
            case RESULT -> {
                type = EventType.RESULT;
                Usage usage = event.getResult().getUsage();
                data.set("outputs", Structs.toJson(event.getResult().getOutputs()));
                data.set("usage", f.objectNode()
                        .put("input_tokens", usage.getInputTokens())
                        .put("output_tokens", usage.getOutputTokens())
                        .put("lm_calls", usage.getLmCalls())
                        .put("lm_calls_replayed", usage.getLmCallsReplayed()));
                data.put("model", event.getResult().getModel());
            }
            case ERROR -> {
                type = EventType.ERROR;
                data.put("code", event.getError().getCode())
                        .put("message", event.getError().getMessage())
                        .put("retryable", event.getError().getRetryable());
            }
            default -> type = EventType.UNKNOWN;
        }
        Instant occurredAt = event.hasOccurredAt()
                ? Instant.ofEpochSecond(event.getOccurredAt().getSeconds(), event.getOccurredAt().getNanos())
                : Instant.now();
        String traceId = event.getTraceId().isBlank() ? null : event.getTraceId();
        return Optional.of(new TaskEventRecord(taskId.get(), event.getSeq(), type, data, occurredAt, status, traceId));
    }

    /** {@code {fraction, message, phase, step, total, current_score?, best_score?}}: scores only once known. */
    private static ObjectNode progressData(Progress progress) {
        ObjectNode data = JsonNodeFactory.instance.objectNode()
                .put("fraction", progress.getFraction())
                .put("message", progress.getMessage())
                .put("phase", progress.getPhase())
                .put("step", progress.getStep())
                .put("total", progress.getTotal());
        if (progress.hasCurrentScore()) {
            data.put("current_score", progress.getCurrentScore());
        }
        if (progress.hasBestScore()) {
            data.put("best_score", progress.getBestScore());
        }
        return data;
    }

}
