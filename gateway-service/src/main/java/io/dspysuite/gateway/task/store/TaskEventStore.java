package io.dspysuite.gateway.task.store;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.gateway.task.model.EventType;
import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The per-task event log ({@code gateway.task_events}) and the projection of events onto the task rows.
 */
@ApplicationScoped
public class TaskEventStore {

    private static final String INSERT_EVENT = """
            INSERT INTO gateway.task_events (task_id, seq, type, data, occurred_at)
            SELECT $1, $2, $3, $4::text::jsonb, $5
            WHERE EXISTS (SELECT 1 FROM gateway.tasks WHERE id = $1)
            ON CONFLICT (task_id, seq) DO NOTHING""";

    // Each update applies only if the event is newer than anything applied (seq > last_seq): a redelivered or stale
    // event never moves a task backwards.
    private static final String APPLY_STATUS = """
            UPDATE gateway.tasks SET
                status = $3,
                attempt = CASE WHEN $4 > 0 THEN $4 ELSE attempt END,
                started_at = CASE WHEN $3 = 'running' THEN COALESCE(started_at, $5) ELSE started_at END,
                finished_at = CASE
                    WHEN $3 IN ('succeeded', 'failed', 'cancelled') THEN COALESCE(finished_at, $5)
                    ELSE NULL END,
                -- the broker took a request whose publish we had given up on: the orchestrator's word wins
                error = CASE WHEN error->>'code' = 'SUBMIT_FAILED' THEN NULL ELSE error END,
                -- the orchestrator has the request, whether or not its ack reached us: nothing left to sweep
                published_at = COALESCE(published_at, now()),
                trace_id = COALESCE(trace_id, $6),
                last_seq = $2,
                updated_at = now()
            WHERE id = $1 AND last_seq < $2""";
    private static final String APPLY_RESULT = """
            UPDATE gateway.tasks SET result = $3::text::jsonb, usage = $4::text::jsonb,
                trace_id = COALESCE(trace_id, $5), last_seq = $2, updated_at = now()
            WHERE id = $1 AND last_seq < $2""";
    private static final String APPLY_COLUMN = """
            UPDATE gateway.tasks SET %s = $3::text::jsonb, trace_id = COALESCE(trace_id, $4), last_seq = $2, updated_at = now()
            WHERE id = $1 AND last_seq < $2""";
    private static final String APPLY_SEQ_ONLY = """
            UPDATE gateway.tasks SET trace_id = COALESCE(trace_id, $3), last_seq = $2, updated_at = now()
            WHERE id = $1 AND last_seq < $2""";

    private final Pool pool;
    private final JsonColumns json;

    public TaskEventStore(Pool pool, JsonColumns json) {
        this.pool = pool;
        this.json = json;
    }

    /** What applying an event did. */
    public enum Applied {
        /** Logged and projected onto the task. */
        APPLIED,
        /** Already logged: a redelivery. */
        DUPLICATE,
        /** No such task in this gateway's store. */
        UNKNOWN_TASK
    }

    /** Logs the event and projects it onto its task, in one transaction (so the offset may be committed after). */
    public Uni<Applied> apply(TaskEventRecord event) {
        return pool.withTransaction(conn -> apply(conn, event));
    }

    /**
     * Logs and projects {@code events} in the given order, all in one transaction: one commit for a whole poll of the
     * topic instead of one per event, so the view keeps up with the topic however far it fell behind (each event
     * still costs its statements, the commit is shared). Fails, and writes nothing, if any event fails.
     */
    public Uni<List<Applied>> applyAll(List<TaskEventRecord> events) {
        return pool.withTransaction(conn -> Multi.createFrom().iterable(events)
                .onItem().transformToUniAndConcatenate(event -> apply(conn, event))
                .collect().asList());
    }

    private Uni<Applied> apply(SqlConnection conn, TaskEventRecord event) {
        return conn.preparedQuery(INSERT_EVENT)
                .execute(Tuple.of(event.taskId(), event.seq(), event.type().wire(), json.write(event.data()),
                        utc(event.occurredAt())))
                .chain(inserted -> {
                    if (inserted.rowCount() == 1) {
                        return project(conn, event).replaceWith(Applied.APPLIED);
                    }
                    return taskExists(conn, event.taskId())
                            .map(exists -> exists ? Applied.DUPLICATE : Applied.UNKNOWN_TASK);
                });
    }

    private Uni<Void> project(SqlConnection conn, TaskEventRecord event) {
        ObjectNode data = event.data();
        Tuple params = switch (event.type()) {
            case STATUS -> Tuple.tuple().addUUID(event.taskId()).addLong(event.seq()).addString(event.status().wire())
                    .addInteger(data.path("attempt").asInt(0)).addOffsetDateTime(utc(event.occurredAt()))
                    .addString(event.traceId());
            case RESULT -> Tuple.tuple().addUUID(event.taskId()).addLong(event.seq())
                    .addString(json.write(resultColumn(data))).addString(json.write(data.get("usage")))
                    .addString(event.traceId());
            case ERROR, PROGRESS -> Tuple.tuple().addUUID(event.taskId()).addLong(event.seq())
                    .addString(json.write(data)).addString(event.traceId());
            case CHUNK, UNKNOWN -> Tuple.tuple().addUUID(event.taskId()).addLong(event.seq()).addString(event.traceId());
        };
        String sql = switch (event.type()) {
            case STATUS -> APPLY_STATUS;
            case RESULT -> APPLY_RESULT;
            case ERROR -> APPLY_COLUMN.formatted("error");
            case PROGRESS -> APPLY_COLUMN.formatted("progress");
            case CHUNK, UNKNOWN -> APPLY_SEQ_ONLY;
        };
        return conn.preparedQuery(sql).execute(params).replaceWithVoid();
    }

    /** The task's {@code result} column: outputs and model (usage has its own column). */
    private static ObjectNode resultColumn(ObjectNode data) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        result.set("outputs", data.get("outputs"));
        result.set("model", data.get("model"));
        return result;
    }

    private static Uni<Boolean> taskExists(SqlConnection conn, UUID taskId) {
        return conn.preparedQuery("SELECT 1 FROM gateway.tasks WHERE id = $1").execute(Tuple.of(taskId))
                .map(rows -> rows.rowCount() > 0);
    }

    /** A stored event, ready to be sent. */
    public record StoredEvent(long seq, EventType type, ObjectNode data, Instant occurredAt) {
    }

    /**
     * A page of a task's log after {@code afterSeq}, with the task's status and last applied seq read <em>before</em>
     * the events: every event up to that {@code lastSeq} is then certainly in the page (or a later one).
     *
     * @param more true when the page is full and more events may follow
     */
    public record EventPage(List<StoredEvent> events, boolean more, TaskStatus status, long lastSeq) {
    }

    public Uni<EventPage> page(UUID taskId, long afterSeq, int limit) {
        return pool.preparedQuery("SELECT status, last_seq FROM gateway.tasks WHERE id = $1")
                .execute(Tuple.of(taskId))
                .chain(taskRows -> {
                    var it = taskRows.iterator();
                    if (!it.hasNext()) {
                        return Uni.createFrom().item(new EventPage(List.of(), false, null, 0));
                    }
                    Row task = it.next();
                    TaskStatus status = TaskStatus.fromWire(task.getString("status")).orElseThrow();
                    long lastSeq = task.getLong("last_seq");
                    return pool.preparedQuery("""
                            SELECT seq, type, data::text AS data, occurred_at FROM gateway.task_events
                            WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3""")
                            .execute(Tuple.of(taskId, afterSeq, limit))
                            .map(rows -> {
                                List<StoredEvent> events = new ArrayList<>(rows.size());
                                for (Row row : rows) {
                                    events.add(new StoredEvent(row.getLong("seq"), type(row.getString("type")),
                                            json.readObject(row.getString("data")),
                                            row.getOffsetDateTime("occurred_at").toInstant()));
                                }
                                return new EventPage(events, events.size() == limit, status, lastSeq);
                            });
                });
    }

    private static EventType type(String wire) {
        for (EventType type : EventType.values()) {
            if (type.wire().equals(wire)) {
                return type;
            }
        }
        return EventType.UNKNOWN;
    }

    private static OffsetDateTime utc(Instant instant) {
        return (instant == null ? Instant.now() : instant).atOffset(ZoneOffset.UTC);
    }
}
