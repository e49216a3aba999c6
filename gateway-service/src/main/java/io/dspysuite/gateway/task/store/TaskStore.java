package io.dspysuite.gateway.task.store;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;


import io.dspysuite.gateway.task.model.TaskKind;
import io.dspysuite.gateway.task.model.TaskStatus;
import io.dspysuite.gateway.task.model.TaskSubmission;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** The task rows: created at submission, read by GET, updated by the event view ({@link TaskEventStore}). */
@ApplicationScoped
public class TaskStore {

    /** Everything a view needs; request payloads are left out of reads that only show the task. */
    private static final String VIEW_COLUMNS = """
            id, tenant_id, kind, status, program::text AS program, result::text AS result, usage::text AS usage,
            error::text AS error, progress::text AS progress, last_seq, attempt, trace_id, idempotency_key,
            request_hash, created_at, started_at, finished_at, updated_at, cancel_requested_at""";
    private static final String FULL_COLUMNS = VIEW_COLUMNS + ", inputs::text AS inputs, options::text AS options, spec::text AS spec";

    private final Pool pool;
    private final JsonColumns json;

    public TaskStore(Pool pool, JsonColumns json) {
        this.pool = pool;
        this.json = json;
    }

    /** Outcome of an insert: the new row, or the tenant's existing task with the same idempotency key. */
    public record Inserted(TaskRow task, boolean created) {
    }

    /**
     * Records a queued task. A second submission with the tenant's same idempotency key inserts nothing (unique
     * constraint) and yields the original task instead, race-free across replicas.
     */
    public Uni<Inserted> insert(UUID id, String tenantId, TaskSubmission submission, String traceId) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        Tuple params = Tuple.tuple()
                .addUUID(id)
                .addString(tenantId)
                .addString(submission.kind().wire())
                .addString(json.write(submission.program().toJson()))
                .addString(json.write(submission.inputs()))
                .addString(json.write(submission.options()))
                .addString(traceId)
                .addString(submission.idempotencyKey())
                .addString(submission.requestHash())
                .addOffsetDateTime(now)
                .addString(submission.spec() == null ? null : json.write(submission.spec()));
        return pool.preparedQuery("""
                INSERT INTO gateway.tasks (id, tenant_id, kind, status, program, inputs, options, trace_id,
                                           idempotency_key, request_hash, created_at, updated_at, spec)
                VALUES ($1, $2, $3, 'queued', $4::text::jsonb, $5::text::jsonb, $6::text::jsonb, $7, $8, $9, $10, $10,
                        $11::text::jsonb)
                ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                RETURNING %s""".formatted(FULL_COLUMNS))
                .execute(params)
                .chain(rows -> {
                    Optional<TaskRow> created = first(rows);
                    if (created.isPresent()) {
                        return Uni.createFrom().item(new Inserted(created.get(), true));
                    }
                    return findByIdempotencyKey(tenantId, submission.idempotencyKey())
                            .map(existing -> new Inserted(existing.orElseThrow(
                                    () -> new IllegalStateException("idempotency conflict without a row")), false));
                });
    }

    /** Position in a tenant's list, newest first: the last row of a page. */
    public record ListPosition(OffsetDateTime createdAt, UUID id) {
    }

    /**
     * A page of the tenant's tasks, newest first ({@code created_at DESC, id DESC}; ids are UUIDv7, so ties are
     * ordered too), strictly after {@code after} when given. Reads {@code limit + 1} rows so the caller knows whether
     * more follow.
     *
     * @param statuses empty for all
     * @param kind null for all
     */
    public Uni<List<TaskRow>> list(String tenantId, Set<TaskStatus> statuses, TaskKind kind, ListPosition after,
            int limit) {
        String[] statusArray = statuses.isEmpty() ? null : statuses.stream().map(TaskStatus::wire).toArray(String[]::new);
        Tuple params = Tuple.tuple()
                .addString(tenantId)
                .addArrayOfString(statusArray)
                .addString(kind == null ? null : kind.wire())
                .addOffsetDateTime(after == null ? null : after.createdAt())
                .addUUID(after == null ? null : after.id())
                .addInteger(limit + 1);
        return pool.preparedQuery("SELECT " + VIEW_COLUMNS + """
                 FROM gateway.tasks
                WHERE tenant_id = $1
                  AND ($2::text[] IS NULL OR status = ANY($2::text[]))
                  AND ($3::text IS NULL OR kind = $3)
                  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
                ORDER BY created_at DESC, id DESC
                LIMIT $6""")
                .execute(params)
                .map(rows -> {
                    List<TaskRow> page = new ArrayList<>(rows.size());
                    rows.forEach(row -> page.add(toRow(row)));
                    return page;
                });
    }

    /**
     * Records a cancel request on the tenant's task if it is not final yet.
     *
     * @return the task after the update, or (when it was already final) as it is; empty when the tenant has no such task
     */
    public Uni<Optional<TaskRow>> requestCancel(UUID id, String tenantId) {
        return pool.preparedQuery("""
                UPDATE gateway.tasks SET cancel_requested_at = COALESCE(cancel_requested_at, now()), updated_at = now()
                WHERE id = $1 AND tenant_id = $2 AND status IN ('queued', 'running')
                RETURNING %s""".formatted(VIEW_COLUMNS))
                .execute(Tuple.of(id, tenantId))
                .chain(rows -> {
                    Optional<TaskRow> updated = first(rows);
                    return updated.isPresent() ? Uni.createFrom().item(updated) : find(id, tenantId);
                });
    }

    /** The tenant's task; another tenant's task is indistinguishable from a missing one. */
    public Uni<Optional<TaskRow>> find(UUID id, String tenantId) {
        return pool.preparedQuery("SELECT " + VIEW_COLUMNS + " FROM gateway.tasks WHERE id = $1 AND tenant_id = $2")
                .execute(Tuple.of(id, tenantId))
                .map(this::first);
    }

    private Uni<Optional<TaskRow>> findByIdempotencyKey(String tenantId, String idempotencyKey) {
        return pool.preparedQuery("SELECT " + FULL_COLUMNS
                + " FROM gateway.tasks WHERE tenant_id = $1 AND idempotency_key = $2")
                .execute(Tuple.of(tenantId, idempotencyKey))
                .map(this::first);
    }

    /** Records that the broker acknowledged the task's request (the publish sweeper skips it from then on). */
    public Uni<Void> markPublished(UUID id) {
        return pool.preparedQuery("UPDATE gateway.tasks SET published_at = now() WHERE id = $1 AND published_at IS NULL")
                .execute(Tuple.of(id))
                .replaceWithVoid();
    }

    /**
     * One sweep of the outbox: in one transaction, locks up to {@code batchSize} queued tasks whose request was not
     * acknowledged within {@code grace} (oldest first, {@code FOR UPDATE SKIP LOCKED}, so concurrent sweeps on other
     * replicas take other rows), hands them to {@code publish} and marks the ids it returns as published before the
     * locks go. A row another sweep holds or has just marked is never handed out twice.
     *
     * @param publish publishes the rows and yields the ids the broker acknowledged; must not fail
     * @return how many rows were marked published
     */
    public Uni<Integer> sweepUnpublished(Duration grace, int batchSize,
            Function<List<TaskRow>, Uni<List<UUID>>> publish) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT " + FULL_COLUMNS + """
                 FROM gateway.tasks
                WHERE published_at IS NULL AND status = 'queued' AND created_at < now() - make_interval(secs => $1)
                ORDER BY created_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED""")
                .execute(Tuple.of((double) grace.toMillis() / 1000.0, batchSize))
                .chain(rows -> {
                    List<TaskRow> due = new ArrayList<>(rows.size());
                    rows.forEach(row -> due.add(toRow(row)));
                    return due.isEmpty() ? Uni.createFrom().item(List.<UUID> of()) : publish.apply(due);
                })
                .chain(published -> published.isEmpty() ? Uni.createFrom().item(0)
                        : conn.preparedQuery("UPDATE gateway.tasks SET published_at = now() WHERE id = ANY($1)")
                                .execute(Tuple.of(published.toArray(UUID[]::new)))
                                .map(RowSet::rowCount)));
    }

    /**
     * Puts a task that failed to submit (before the publish sweeper existed, a failed publish failed the task) back in
     * the queue, unpublished, so an idempotent retry publishes it again. Exactly one
     * concurrent retry wins the update.
     */
    public Uni<Optional<TaskRow>> requeueSubmitFailed(UUID id) {
        return pool.preparedQuery("""
                UPDATE gateway.tasks SET status = 'queued', error = NULL, finished_at = NULL, published_at = NULL,
                                         updated_at = now()
                WHERE id = $1 AND status = 'failed' AND last_seq = 0 AND error->>'code' = 'SUBMIT_FAILED'
                RETURNING %s""".formatted(FULL_COLUMNS))
                .execute(Tuple.of(id))
                .map(this::first);
    }

    private Optional<TaskRow> first(RowSet<Row> rows) {
        var it = rows.iterator();
        return it.hasNext() ? Optional.of(toRow(it.next())) : Optional.empty();
    }

    private TaskRow toRow(Row row) {
        boolean full = row.getColumnIndex("inputs") >= 0;
        return new TaskRow(
                row.getUUID("id"),
                row.getString("tenant_id"),
                TaskKind.fromWire(row.getString("kind")).orElseThrow(),
                TaskStatus.fromWire(row.getString("status")).orElseThrow(),
                json.readObject(row.getString("program")),
                full ? json.readObject(row.getString("inputs")) : null,
                full ? json.readObject(row.getString("options")) : null,
                json.readObject(row.getString("result")),
                json.readObject(row.getString("usage")),
                json.readObject(row.getString("error")),
                json.readObject(row.getString("progress")),
                row.getLong("last_seq"),
                row.getInteger("attempt"),
                row.getString("trace_id"),
                row.getString("idempotency_key"),
                row.getString("request_hash"),
                row.getOffsetDateTime("created_at"),
                row.getOffsetDateTime("started_at"),
                row.getOffsetDateTime("finished_at"),
                row.getOffsetDateTime("updated_at"),
                row.getOffsetDateTime("cancel_requested_at"),
                full ? json.readObject(row.getString("spec")) : null);
    }
}
