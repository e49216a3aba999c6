package io.dspysuite.gateway.task.service;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskRow;

/** Task rows as the API shows them. */
@ApplicationScoped
public class TaskViews {

    private final ObjectMapper mapper;

    public TaskViews(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public TaskView of(TaskRow row) {
        return new TaskView(
                row.id(),
                row.kind().wire(),
                row.status().wire(),
                row.program(),
                read(row.result(), TaskView.Result.class),
                read(row.usage(), TaskView.Usage.class),
                read(row.error(), TaskView.Error.class),
                read(row.progress(), TaskView.Progress.class),
                row.attempt(),
                row.traceId(),
                row.createdAt(),
                row.startedAt(),
                row.finishedAt(),
                row.updatedAt(),
                row.cancelRequestedAt(),
                row.lastSeq());
    }

    private <T> T read(ObjectNode json, Class<T> type) {
        if (json == null) {
            return null;
        }
        try {
            return mapper.treeToValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored " + type.getSimpleName() + " does not match the API shape", e);
        }
    }
}
