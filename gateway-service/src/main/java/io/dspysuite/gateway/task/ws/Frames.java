package io.dspysuite.gateway.task.ws;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.task.model.EventType;
import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.dspysuite.gateway.task.store.TaskEventStore.StoredEvent;

/**
 * Server-to-client frames of {@code /ws/v1}:
 * <ul>
 * <li>{@code {"type":"accepted","request_id","task_id"}}</li>
 * <li>{@code {"type":"event","task_id","seq","event","data","occurred_at"}}</li>
 * <li>{@code {"type":"error","request_id","code","message"}} (+ {@code task_id}, {@code violations} when relevant)</li>
 * <li>{@code {"type":"cancel_requested","request_id","task_id"}}</li>
 * <li>{@code {"type":"pong"}}</li>
 * <li>{@code {"type":"heartbeat"}} (every {@code dspy-suite.ws.heartbeat-interval}, so clients can tell a silent
 * connection from a dead one)</li>
 * </ul>
 */
@ApplicationScoped
public class Frames {

    private final ObjectMapper mapper;

    public Frames(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public EventFrame event(TaskEventRecord event) {
        return event(event.taskId(), event.seq(), event.type(), event.data(), event.occurredAt(), event.isTerminal());
    }

    public EventFrame event(UUID taskId, StoredEvent event) {
        boolean terminal = event.type() == EventType.STATUS
                && TaskStatus.fromWire(event.data().path("status").asText()).map(TaskStatus::isTerminal).orElse(false);
        return event(taskId, event.seq(), event.type(), event.data(), event.occurredAt(), terminal);
    }

    private EventFrame event(UUID taskId, long seq, EventType type, ObjectNode data, Instant occurredAt,
            boolean terminal) {
        ObjectNode frame = mapper.createObjectNode()
                .put("type", "event")
                .put("task_id", taskId.toString())
                .put("seq", seq)
                .put("event", type.wire());
        frame.set("data", data);
        frame.put("occurred_at", occurredAt.toString());
        return new EventFrame(seq, type.wire(), terminal, write(frame));
    }

    public String accepted(String requestId, UUID taskId) {
        return write(mapper.createObjectNode()
                .put("type", "accepted")
                .put("request_id", requestId)
                .put("task_id", taskId.toString()));
    }

    /** The error frame of a failed request; RATE_LIMITED adds {@code retry_after} (seconds). */
    public String error(String requestId, io.dspysuite.gateway.problem.ApiException failure) {
        ObjectNode frame = errorFrame(requestId, failure.code(), failure.getMessage(), failure.taskId(),
                failure.violations());
        if (failure.retryAfterSeconds() > 0) {
            frame.put("retry_after", failure.retryAfterSeconds());
        }
        return write(frame);
    }

    public String error(String requestId, ErrorCode code, String message, UUID taskId, List<Violation> violations) {
        return write(errorFrame(requestId, code, message, taskId, violations));
    }

    private ObjectNode errorFrame(String requestId, ErrorCode code, String message, UUID taskId,
            List<Violation> violations) {
        ObjectNode frame = mapper.createObjectNode()
                .put("type", "error")
                .put("request_id", requestId)
                .put("code", code.name())
                .put("message", message);
        if (taskId != null) {
            frame.put("task_id", taskId.toString());
        }
        if (violations != null && !violations.isEmpty()) {
            ArrayNode list = frame.putArray("violations");
            violations.forEach(v -> list.addObject().put("field", v.field()).put("message", v.message()));
        }
        return frame;
    }

    public String cancelRequested(String requestId, UUID taskId) {
        ObjectNode frame = mapper.createObjectNode().put("type", "cancel_requested");
        if (requestId != null) {
            frame.put("request_id", requestId);
        }
        return write(frame.put("task_id", taskId.toString()));
    }

    public String heartbeat() {
        return write(mapper.createObjectNode().put("type", "heartbeat"));
    }

    public String pong(String requestId) {
        ObjectNode frame = mapper.createObjectNode().put("type", "pong");
        if (requestId != null) {
            frame.put("request_id", requestId);
        }
        return write(frame);
    }

    private String write(ObjectNode frame) {
        try {
            return mapper.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a frame did not serialize", e);
        }
    }
}
