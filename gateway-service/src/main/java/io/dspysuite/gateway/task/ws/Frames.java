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
 * <li>{@code {"type":"pong"}}</li>
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
        return new EventFrame(seq, terminal, write(frame));
    }

    public String accepted(String requestId, UUID taskId) {
        return write(mapper.createObjectNode()
                .put("type", "accepted")
                .put("request_id", requestId)
                .put("task_id", taskId.toString()));
    }

    public String error(String requestId, ErrorCode code, String message, UUID taskId, List<Violation> violations) {
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
        return write(frame);
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
