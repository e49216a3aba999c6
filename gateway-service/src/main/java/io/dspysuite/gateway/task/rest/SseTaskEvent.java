package io.dspysuite.gateway.task.rest;

import java.time.OffsetDateTime;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The OpenAPI description of one Server-Sent Event of {@code GET /api/v1/tasks/{id}/events} (documentation only:
 * {@link TaskEventStream} writes the events). In OpenAPI 3.1 the schema of a {@code text/event-stream} response
 * describes one event as its fields ({@code id}, {@code event}, {@code data}); {@code data} is JSON text whose
 * content is a {@link Frame}, the same object as a WebSocket {@code event} frame.
 */
@Schema(name = "TaskSseEvent", description = "One event of the stream (comment lines, the keep-alives, carry none)",
        requiredProperties = { "id", "event", "data" })
public record SseTaskEvent(
        @Schema(description = "The event's seq (send it back as Last-Event-ID to resume)", pattern = "^[0-9]+$")
        String id,
        @Schema(description = "The event type", enumeration = { "status", "progress", "chunk", "result", "error",
                "unknown" }) String event,
        @Schema(description = "The event as JSON (a WebSocket event frame)", contentMediaType = "application/json",
                contentSchema = Frame.class) String data) {

    /** The WebSocket {@code event} frame ({@code task/ws/Frames}), also the {@code data} of an SSE event. */
    @Schema(name = "TaskEventFrame", requiredProperties = { "type", "task_id", "seq", "event", "data",
            "occurred_at" })
    public record Frame(
            @Schema(enumeration = "event") String type,
            UUID taskId,
            @Schema(minimum = "1") long seq,
            @Schema(enumeration = { "status", "progress", "chunk", "result", "error", "unknown" }) String event,
            @Schema(type = SchemaType.OBJECT, description = "The event's payload: status {status, attempt, ...}, "
                    + "progress {fraction, ...}, chunk {field, text}, result {outputs, usage, model, ...}, error "
                    + "{code, message, retryable}") ObjectNode data,
            OffsetDateTime occurredAt) {
    }
}
