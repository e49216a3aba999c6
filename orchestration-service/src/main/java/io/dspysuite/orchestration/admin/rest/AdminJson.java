package io.dspysuite.orchestration.admin.rest;

import java.time.OffsetDateTime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.orchestration.admin.service.JobPage;
import io.dspysuite.orchestration.admin.service.QueueStats;
import io.dspysuite.orchestration.job.model.JobView;

/** The admin API's JSON shapes (snake_case, timestamps ISO-8601, absent times as null). The gateway proxies them. */
final class AdminJson {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private AdminJson() {
    }

    static ObjectNode queues(java.util.List<QueueStats> stats) {
        ObjectNode json = JSON.objectNode();
        ArrayNode queues = json.putArray("queues");
        for (QueueStats s : stats) {
            queues.addObject()
                    .put("queue", s.depth().queue().dbValue())
                    .put("available", s.depth().available())
                    .put("scheduled", s.depth().scheduled())
                    .put("executing", s.depth().executing())
                    .put("retryable", s.depth().retryable())
                    .put("oldest_available_age_ms", s.depth().oldestDueAgeMillis())
                    .put("concurrency_limit", s.concurrencyLimit())
                    .put("in_flight_here", s.inFlightHere());
        }
        return json;
    }

    static ObjectNode page(JobPage page) {
        ObjectNode json = JSON.objectNode();
        ArrayNode items = json.putArray("items");
        page.items().forEach(job -> items.add(job(job)));
        if (page.nextCursor() == null) {
            json.putNull("next_cursor");
        } else {
            json.put("next_cursor", page.nextCursor());
        }
        return json;
    }

    static ObjectNode job(JobView job) {
        ObjectNode json = JSON.objectNode()
                .put("task_id", job.id().toString())
                .put("tenant_id", job.tenantId())
                .put("kind", job.kind())
                .put("queue", job.queue())
                .put("state", job.state())
                .put("priority", job.priority())
                .put("attempt", job.attempt())
                .put("max_attempts", job.maxAttempts());
        time(json, "scheduled_at", job.scheduledAt());
        time(json, "inserted_at", job.insertedAt());
        time(json, "attempted_at", job.attemptedAt());
        time(json, "finished_at", job.finishedAt());
        ArrayNode errors = json.putArray("errors");
        for (JobView.ErrorRecord error : job.errors()) {
            ObjectNode record = errors.addObject().put("attempt", error.attempt()).put("code", error.code())
                    .put("message", error.message());
            if (error.at() == null) {
                record.putNull("at");
            } else {
                record.put("at", instant(error.at()));
            }
        }
        return json;
    }

    /** PostgreSQL's jsonb timestamps ("...+00:00") in the same form as the other times ("...Z"). */
    private static String instant(String stored) {
        try {
            return OffsetDateTime.parse(stored).toInstant().toString();
        } catch (java.time.format.DateTimeParseException e) {
            return stored;
        }
    }

    private static void time(ObjectNode json, String field, OffsetDateTime value) {
        if (value == null) {
            json.putNull(field);
        } else {
            json.put(field, value.toInstant().toString());
        }
    }
}
