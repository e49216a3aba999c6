package io.dspysuite.orchestration.job.store;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.protobuf.InvalidProtocolBufferException;

import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.NewJob;
import io.dspysuite.orchestration.job.model.TaskKinds;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The job table and its outbox, through the reactive PostgreSQL client (never blocks a thread).
 * <p>
 * Every state change is guarded by what it expects (state, attempt and, for the worker's own updates, the lease
 * owner): a replica that lost a job (lease rescued, cancelled) changes nothing and learns so from an empty result, so
 * a stale worker can never overwrite a newer attempt. Every change also allots the seqs of the events it implies
 * ({@code last_seq}) and writes those events to {@code orchestration.outbox} <em>in the same statement or
 * transaction</em>: an event exists exactly when the change it reports was committed, and the relay publishes it.
 */
@ApplicationScoped
public class JobStore {

    /**
     * Wraps a guarded single-row {@code UPDATE ... RETURNING id, last_seq} (which must advance last_seq by the number
     * of events, {@code %2$d}) so that the same statement inserts the events with their seqs into the outbox.
     * {@code $%3$d} is the bytea[] of events in order.
     */
    private static final String WITH_EVENTS = """
            WITH changed AS (%1$s),
                 written AS (INSERT INTO orchestration.outbox (task_id, seq, event)
                             SELECT changed.id, changed.last_seq - %2$d + e.k, e.event
                               FROM changed, unnest($%3$d::bytea[]) WITH ORDINALITY AS e(event, k))
            SELECT last_seq FROM changed
            """;

    private static final String LOCK_TASK = "SELECT pg_advisory_xact_lock(hashtext($1::text))";

    private static final String CANCEL_REQUESTED = "SELECT tenant_id FROM orchestration.cancel_requests WHERE task_id = $1";

    private static final String INSERT = """
            INSERT INTO orchestration.jobs (id, tenant_id, kind, queue, priority, state, max_attempts, request, last_seq,
                                            trace_parent, completed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, %1$d, $9, CASE WHEN $6 = 'cancelled' THEN now() END)
            ON CONFLICT (id) DO NOTHING
            RETURNING id, last_seq
            """;

    // A request that can never become a job, stored as its task's end: discarded with its error, no attempt made.
    // ON CONFLICT: a task that already has a job (a redelivery, or a valid request first) keeps it, nothing written.
    private static final String INSERT_REJECTED = """
            INSERT INTO orchestration.jobs (id, tenant_id, kind, queue, state, attempt, max_attempts, request, last_seq,
                                            trace_parent, completed_at, last_error, attempts)
            VALUES ($1, $2, $3, $4, 'discarded', 0, 1, $5, %d, $6, now(), $7::jsonb || jsonb_build_object('at', now()),
                    jsonb_build_array($7::jsonb || jsonb_build_object('at', now())))
            ON CONFLICT (id) DO NOTHING
            RETURNING id, last_seq
            """;

    // SKIP LOCKED lets replicas claim concurrently without waiting on each other's rows; the RUNNING event's seq is
    // allotted in the same statement and the event written in the same transaction.
    private static final String CLAIM = """
            UPDATE orchestration.jobs j
               SET state = 'executing', attempt = j.attempt + 1, attempted_at = now(), attempted_by = $4,
                   lease_expires_at = now() + $3 * interval '1 millisecond', last_seq = j.last_seq + 1
             WHERE j.id IN (SELECT id FROM orchestration.jobs
                             WHERE state IN ('available', 'scheduled', 'retryable') AND queue = $1
                               AND scheduled_at <= now()
                             ORDER BY priority, scheduled_at, id
                             LIMIT $2
                             FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.tenant_id, j.attempt, j.max_attempts, j.request, j.last_seq, j.trace_parent, j.inserted_at,
                      j.unavailable_since
            """;

    private static final String INSERT_EVENTS = """
            INSERT INTO orchestration.outbox (task_id, seq, event)
            SELECT $1, $2::bigint - cardinality($3::bytea[]) + e.k, e.event
              FROM unnest($3::bytea[]) WITH ORDINALITY AS e(event, k)
            """;

    /** The guard of every update a worker makes about its own attempt. */
    private static final String OWNED = "id = $1 AND state = 'executing' AND attempt = $2 AND attempted_by = $3";

    private static final String LOCK_OWNED = "SELECT id FROM orchestration.jobs WHERE " + OWNED + " FOR UPDATE";

    private static final String COMPLETE = """
            UPDATE orchestration.jobs
               SET state = 'completed', completed_at = now(), lease_expires_at = NULL, last_seq = last_seq + %d
             WHERE %s
            RETURNING id, last_seq
            """;

    /** An error record is appended to {@code attempts} (and kept as {@code last_error}); $4 is the record. */
    private static final String ERROR_RECORD = "$4::jsonb || jsonb_build_object('at', now())";

    private static final String DISCARD = """
            UPDATE orchestration.jobs
               SET state = 'discarded', completed_at = now(), lease_expires_at = NULL, last_seq = last_seq + %d,
                   last_error = %s, attempts = attempts || (%2$s)
             WHERE %s
            RETURNING id, last_seq
            """;

    private static final String RETRY = """
            UPDATE orchestration.jobs
               SET state = 'retryable', lease_expires_at = NULL, last_seq = last_seq + %d,
                   scheduled_at = now() + $5 * interval '1 millisecond', unavailable_since = NULL,
                   last_error = %s, attempts = attempts || (%2$s)
             WHERE %s
            RETURNING id, last_seq
            """;

    // The DSPy service was not there (or the circuit breaker open): the attempt is not counted. The outage's start is
    // kept from the first postponement on, so that outages cannot postpone the job for ever.
    private static final String POSTPONE = """
            UPDATE orchestration.jobs
               SET state = 'available', attempt = attempt - 1, lease_expires_at = NULL, last_seq = last_seq + %d,
                   scheduled_at = now() + $4 * interval '1 millisecond',
                   unavailable_since = coalesce(unavailable_since, now())
             WHERE %s
            RETURNING id, last_seq
            """;

    private static final String APPEND = """
            UPDATE orchestration.jobs SET last_seq = last_seq + %d WHERE %s RETURNING id, last_seq
            """;

    private static final String HEARTBEAT = """
            UPDATE orchestration.jobs j
               SET lease_expires_at = now() + h.lease_ms * interval '1 millisecond'
              FROM unnest($1::uuid[], $2::int[], $3::bigint[]) AS h(id, attempt, lease_ms)
             WHERE j.id = h.id AND j.attempt = h.attempt AND j.state = 'executing' AND j.attempted_by = $4
            RETURNING j.id, j.attempt
            """;

    private static final String EXPIRED = """
            SELECT id, tenant_id, queue, attempt, max_attempts, trace_parent, attempted_by
              FROM orchestration.jobs
             WHERE state = 'executing' AND lease_expires_at < now()
             ORDER BY lease_expires_at
             LIMIT $1
               FOR UPDATE SKIP LOCKED
            """;

    // Jobs a previous incarnation of this replica was running when it died: same name, other incarnation.
    private static final String ORPHANED = """
            SELECT id, tenant_id, queue, attempt, max_attempts, trace_parent, attempted_by
              FROM orchestration.jobs
             WHERE state = 'executing' AND left(attempted_by, length($1) + 1) = $1 || '/' AND attempted_by <> $2
             LIMIT $3
               FOR UPDATE SKIP LOCKED
            """;

    // scheduled_at is kept: a rescued job lost its run through no fault of its own and takes its old place in the
    // queue (ahead of work that arrived after it) instead of going to the back of a backlog.
    private static final String RESCUE = """
            UPDATE orchestration.jobs
               SET state = $5, lease_expires_at = NULL, last_seq = last_seq + %d, unavailable_since = NULL,
                   completed_at = CASE WHEN $5 = 'discarded' THEN now() END,
                   last_error = %s, attempts = attempts || (%2$s)
             WHERE id = $1 AND state = 'executing' AND attempt = $2 AND attempted_by IS NOT DISTINCT FROM $3
            RETURNING id, last_seq
            """;

    private static final String LOCK_JOB = """
            SELECT state, tenant_id, attempt, attempted_by, trace_parent FROM orchestration.jobs WHERE id = $1 FOR UPDATE
            """;

    private static final String CANCEL = """
            UPDATE orchestration.jobs
               SET state = 'cancelled', completed_at = now(), lease_expires_at = NULL, last_seq = last_seq + %d
             WHERE id = $1 AND state IN ('available', 'scheduled', 'retryable', 'executing')
            RETURNING id, last_seq
            """;

    private static final Set<String> FINISHED = Set.of("completed", "discarded", "cancelled");

    private static final String RETRY_NOW = """
            UPDATE orchestration.jobs SET state = 'available', scheduled_at = now()
             WHERE id = $1 AND state IN ('available', 'scheduled', 'retryable')
            """;

    private static final String STATE = "SELECT state FROM orchestration.jobs WHERE id = $1";

    // An operator's discard: any unfinished state; $2 is the error record.
    private static final String DISCARD_ANY = """
            UPDATE orchestration.jobs
               SET state = 'discarded', completed_at = now(), lease_expires_at = NULL, last_seq = last_seq + %d,
                   last_error = $2::jsonb || jsonb_build_object('at', now()),
                   attempts = attempts || ($2::jsonb || jsonb_build_object('at', now()))
             WHERE id = $1 AND state IN ('available', 'scheduled', 'retryable', 'executing')
            RETURNING id, last_seq
            """;

    private static final String REMEMBER_CANCEL = """
            INSERT INTO orchestration.cancel_requests (task_id, tenant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
            """;

    private final Pool pool;
    private final TaskEvents events;

    JobStore(Pool pool, TaskEvents events) {
        this.pool = pool;
        this.events = events;
    }

    /**
     * Inserts the job and its QUEUED event unless a job with its id exists; {@code true} when this call created it
     * as a runnable job. A cancellation that arrived first (same tenant) stores it cancelled instead (QUEUED then
     * CANCELLED) and answers {@code false}.
     */
    public Uni<Boolean> insert(NewJob job) {
        TaskRef task = TaskRef.of(job.id().toString(), job.tenantId(), job.traceParent());
        return pool.withTransaction(conn -> conn.preparedQuery(LOCK_TASK).execute(Tuple.of(job.id().toString()))
                .chain(() -> conn.preparedQuery(CANCEL_REQUESTED).execute(Tuple.of(job.id())))
                .chain(cancels -> {
                    boolean cancelled = cancels.rowCount() == 1
                            && job.tenantId().equals(cancels.iterator().next().getString("tenant_id"));
                    List<TaskEvent> batch = cancelled
                            ? List.of(events.queued(task), events.cancelled(task))
                            : List.of(events.queued(task));
                    Tuple params = Tuple.tuple()
                            .addUUID(job.id())
                            .addString(job.tenantId())
                            .addString(TaskKinds.dbValue(job.request().getKind()))
                            .addString(job.queue().dbValue())
                            .addShort((short) job.priority())
                            .addString(cancelled ? "cancelled" : "available")
                            .addInteger(job.maxAttempts())
                            .addBuffer(Buffer.buffer(job.request().toByteArray()))
                            .addString(job.traceParent());
                    return withEvents(conn, INSERT.formatted(batch.size()), params, batch)
                            .map(lastSeq -> lastSeq.isPresent() && !cancelled);
                }));
    }

    /**
     * Ends the task of a request that can never become a job: stores its job as {@code discarded} with {@code error}
     * (attempt 0, the error in its history; {@code request} is what could be recovered of the request, not the
     * undecodable bytes, which the DLQ keeps) and writes {@code batch} (error, FAILED) in the same statement.
     * {@code false}, with nothing written, when the task already has a job.
     */
    public Uni<Boolean> insertRejected(TaskRequested request, String kind, JobQueue queue, String traceParent,
            JobError error, List<TaskEvent> batch) {
        Tuple params = Tuple.tuple()
                .addUUID(UUID.fromString(request.getTaskId()))
                .addString(request.getTenantId())
                .addString(kind)
                .addString(queue.dbValue())
                .addBuffer(Buffer.buffer(request.toByteArray()))
                .addString(traceParent)
                .addJsonObject(errorRecord(0, "ingest", error));
        return withEvents(pool, INSERT_REJECTED.formatted(batch.size()), params, batch).map(Optional::isPresent);
    }

    /**
     * Claims up to {@code limit} claimable jobs of {@code queue} for {@code owner}: they become {@code executing} with
     * a lease of {@code lease}, their attempt counter advances, and their RUNNING event is written.
     */
    public Uni<List<ClaimedJob>> claim(JobQueue queue, int limit, Duration lease, String owner) {
        Tuple params = Tuple.tuple()
                .addString(queue.dbValue())
                .addInteger(limit)
                .addLong(lease.toMillis())
                .addString(owner);
        // Read at subscription, before the transaction is begun: the database's now() of the lease comes later.
        return Uni.createFrom().deferred(() -> claim(params, queue, lease, owner, System.nanoTime()));
    }

    private Uni<List<ClaimedJob>> claim(Tuple params, JobQueue queue, Duration lease, String owner,
            long sentNanos) {
        return pool.withTransaction(conn -> conn.preparedQuery(CLAIM).execute(params).chain(rows -> {
            List<ClaimedJob> jobs = new ArrayList<>(rows.rowCount());
            List<Uni<RowSet<Row>>> inserts = new ArrayList<>(rows.rowCount());
            for (Row row : rows) {
                ClaimedJob job = toClaimedJob(queue, lease, owner, sentNanos, row);
                jobs.add(job);
                TaskEvent running = events.running(ref(job), job.attempt());
                inserts.add(conn.preparedQuery(INSERT_EVENTS)
                        .execute(eventsTuple(Tuple.tuple().addUUID(job.id()).addLong(row.getLong("last_seq")),
                                List.of(running))));
            }
            if (inserts.isEmpty()) {
                return Uni.createFrom().item(jobs);
            }
            // One connection runs its queries in order; joining only waits for them all.
            return Uni.join().all(inserts).andFailFast().replaceWith(jobs);
        }));
    }

    /** The attempt succeeded: result and SUCCEEDED are written; empty when {@code job}'s attempt is no longer held. */
    public Uni<Optional<Long>> complete(ClaimedJob job, List<TaskEvent> batch) {
        return withEvents(pool, COMPLETE.formatted(batch.size(), OWNED), owned(job), batch);
    }

    /**
     * The attempt succeeded, and more must be written in the same transaction (e.g. the program version an
     * optimization created): locks the job while this attempt holds it, runs {@code inTransaction} on the transaction's
     * connection, which answers the events to write, then completes the job with them. Empty (and nothing written)
     * when the attempt is no longer held; a failure of {@code inTransaction} rolls everything back.
     */
    public Uni<Optional<Long>> complete(ClaimedJob job, Function<SqlClient, Uni<List<TaskEvent>>> inTransaction) {
        return pool.withTransaction(conn -> conn.preparedQuery(LOCK_OWNED).execute(owned(job)).chain(rows -> {
            if (rows.rowCount() == 0) {
                return Uni.createFrom().item(Optional.<Long> empty());
            }
            return inTransaction.apply(conn).chain(batch -> withEvents(conn, COMPLETE.formatted(batch.size(), OWNED),
                    owned(job), batch));
        }));
    }

    /** The job fails for good with {@code error} (error and FAILED written, attempt recorded). */
    public Uni<Optional<Long>> discard(ClaimedJob job, JobError error, List<TaskEvent> batch) {
        Tuple params = owned(job).addJsonObject(errorRecord(job.attempt(), job.owner(), error));
        return withEvents(pool, DISCARD.formatted(batch.size(), ERROR_RECORD, OWNED), params, batch);
    }

    /** The attempt failed transiently: runs again after {@code delay} (QUEUED written, attempt recorded). */
    public Uni<Optional<Long>> retry(ClaimedJob job, JobError error, Duration delay, List<TaskEvent> batch) {
        Tuple params = owned(job).addJsonObject(errorRecord(job.attempt(), job.owner(), error))
                .addLong(delay.toMillis());
        return withEvents(pool, RETRY.formatted(batch.size(), ERROR_RECORD, OWNED), params, batch);
    }

    /**
     * The DSPy service was not there (or the circuit breaker open): back to available after {@code delay}, attempt not
     * counted; the outage's start is recorded unless an earlier postponement did.
     */
    public Uni<Optional<Long>> postpone(ClaimedJob job, Duration delay, List<TaskEvent> batch) {
        return withEvents(pool, POSTPONE.formatted(batch.size(), OWNED), owned(job).addLong(delay.toMillis()), batch);
    }

    /** Events the running attempt produced (progress, chunks); empty when the attempt is no longer held. */
    public Uni<Optional<Long>> append(ClaimedJob job, List<TaskEvent> batch) {
        return withEvents(pool, APPEND.formatted(batch.size(), OWNED), owned(job), batch);
    }

    /**
     * Renews the leases of {@code jobs} held by {@code owner}; answers those whose lease was renewed (the others are
     * lost: cancelled or rescued). Matched by id and attempt, since an old attempt of a job may still be stopping here
     * while its rescued one runs.
     */
    public Uni<List<ClaimedJob>> heartbeat(List<ClaimedJob> jobs, String owner) {
        UUID[] ids = jobs.stream().map(ClaimedJob::id).toArray(UUID[]::new);
        Integer[] attempts = jobs.stream().map(ClaimedJob::attempt).toArray(Integer[]::new);
        Long[] leases = jobs.stream().map(job -> job.lease().toMillis()).toArray(Long[]::new);
        io.vertx.sqlclient.Tuple params = io.vertx.sqlclient.Tuple.tuple()
                .addArrayOfUUID(ids).addArrayOfInteger(attempts).addArrayOfLong(leases).addString(owner);
        return pool.preparedQuery(HEARTBEAT).execute(Tuple.newInstance(params)).map(rows -> {
            Set<String> renewed = new HashSet<>();
            rows.forEach(row -> renewed.add(row.getUUID("id") + "/" + row.getInteger("attempt")));
            return jobs.stream().filter(job -> renewed.contains(job.id() + "/" + job.attempt())).toList();
        });
    }

    /**
     * Rescues up to {@code limit} executing jobs whose lease expired (their replica died or hangs): the attempt is
     * recorded as {@code LEASE_EXPIRED} and the job runs again, or fails when that was its last attempt. The queues
     * of the rescued jobs are returned (to wake them).
     */
    public Uni<List<JobQueue>> rescueExpired(int limit) {
        return rescueSelected(EXPIRED, Tuple.of(limit), "LEASE_EXPIRED", "stopped renewing its lease");
    }

    /**
     * Rescues at once the jobs that an earlier incarnation of the replica {@code replicaName} was running (it was
     * killed and has restarted as {@code currentId}): no other replica can hold them, so there is no need to wait
     * for their leases to expire.
     */
    public Uni<List<JobQueue>> rescueOrphans(String replicaName, String currentId, int limit) {
        return rescueSelected(ORPHANED, Tuple.of(replicaName, currentId, limit), "REPLICA_RESTARTED",
                "was killed or crashed; it restarted");
    }

    private Uni<List<JobQueue>> rescueSelected(String select, Tuple params, String code, String why) {
        return pool.withTransaction(conn -> conn.preparedQuery(select).execute(params).chain(rows -> {
            List<Row> found = new ArrayList<>();
            rows.forEach(found::add);
            return Multi.createFrom().iterable(found)
                    .onItem().transformToUniAndConcatenate(row -> rescue(conn, row, code, why))
                    .collect().asList();
        }));
    }

    private Uni<JobQueue> rescue(SqlClient conn, Row row, String code, String why) {
        UUID id = row.getUUID("id");
        int attempt = row.getInteger("attempt");
        String owner = row.getString("attempted_by");
        TaskRef task = TaskRef.of(id.toString(), row.getString("tenant_id"), row.getString("trace_parent"));
        JobError error = new JobError(code, "the replica running attempt " + attempt + " " + why, true);
        boolean last = attempt >= row.getInteger("max_attempts");
        List<TaskEvent> batch = last
                ? List.of(events.error(task, error), events.failed(task))
                : List.of(events.queued(task));
        Tuple params = Tuple.tuple().addUUID(id).addInteger(attempt).addString(owner)
                .addJsonObject(errorRecord(attempt, owner, error)).addString(last ? "discarded" : "available");
        return withEvents(conn, RESCUE.formatted(batch.size(), ERROR_RECORD), params, batch)
                .replaceWith(JobQueue.valueOf(row.getString("queue").toUpperCase(java.util.Locale.ROOT)));
    }

    /** What a cancellation found. */
    public enum CancelOutcome {
        /** Was waiting (available, scheduled, retryable): cancelled, never runs. */
        CANCELLED_WAITING,
        /** Was executing: cancelled; the running call must be stopped by its replica. */
        CANCELLED_EXECUTING,
        /** Already in a final state: nothing changed. */
        ALREADY_FINISHED,
        /** Belongs to another tenant: nothing changed. */
        TENANT_MISMATCH,
        /** No such job yet: remembered, the job is stored cancelled when its request arrives. */
        REMEMBERED,
        /** No such job, and the caller (an operator) does not want it remembered. */
        NOT_FOUND
    }

    /** What an operator's retry or discard found. */
    public enum OperatorOutcome {
        /** Applied to a waiting job (available, scheduled, retryable). */
        APPLIED_WAITING,
        /** Applied to an executing job: its running call must be stopped by its replica. */
        APPLIED_EXECUTING,
        /** Not applicable: the job is executing (a retry has nothing to hurry). */
        EXECUTING,
        /** Not applicable: the job is final (its final event is out; it is never resurrected). */
        FINISHED,
        NOT_FOUND
    }

    /**
     * Makes a waiting job (available, scheduled or retryable) claimable now: {@code available}, {@code scheduled_at =
     * now()}. One conditional UPDATE, so a worker claiming it at the same moment either wins (EXECUTING) or finds it
     * already updated. Its attempts are kept (a retryable job still has attempts left). No event: it stays queued.
     */
    public Uni<OperatorOutcome> retryNow(UUID id) {
        return pool.preparedQuery(RETRY_NOW).execute(Tuple.of(id)).chain(rows -> rows.rowCount() == 1
                ? Uni.createFrom().item(OperatorOutcome.APPLIED_WAITING)
                : pool.preparedQuery(STATE).execute(Tuple.of(id)).map(state -> {
                    if (state.rowCount() == 0) {
                        return OperatorOutcome.NOT_FOUND;
                    }
                    return FINISHED.contains(state.iterator().next().getString("state")) ? OperatorOutcome.FINISHED
                            : OperatorOutcome.EXECUTING;
                }));
    }

    /**
     * Ends an unfinished job as {@code discarded} with {@code error} (recorded as an attempt entry by {@code by}):
     * error and FAILED events, in the same transaction as the change, the row locked meanwhile. An executing
     * attempt's later outcome is rejected by its guard; its call must be stopped by its replica.
     */
    public Uni<OperatorOutcome> discardByOperator(UUID id, JobError error, String by) {
        return pool.withTransaction(conn -> conn.preparedQuery(LOCK_JOB).execute(Tuple.of(id)).chain(rows -> {
            if (rows.rowCount() == 0) {
                return Uni.createFrom().item(OperatorOutcome.NOT_FOUND);
            }
            Row job = rows.iterator().next();
            String state = job.getString("state");
            if (FINISHED.contains(state)) {
                return Uni.createFrom().item(OperatorOutcome.FINISHED);
            }
            TaskRef task = TaskRef.of(id.toString(), job.getString("tenant_id"), job.getString("trace_parent"));
            List<TaskEvent> batch = List.of(events.error(task, error), events.failed(task));
            Tuple params = Tuple.tuple().addUUID(id)
                    .addJsonObject(errorRecord(job.getInteger("attempt"), by, error));
            return withEvents(conn, DISCARD_ANY.formatted(batch.size()), params, batch)
                    .map(lastSeq -> state.equals("executing") ? OperatorOutcome.APPLIED_EXECUTING
                            : OperatorOutcome.APPLIED_WAITING);
        }));
    }

    /** Cancels the job if {@code tenantId} owns it and it has not finished; one CANCELLED event when it does. */
    public Uni<CancelOutcome> cancel(UUID id, String tenantId) {
        Objects.requireNonNull(tenantId, "tenantId");
        return cancel(id, Optional.of(tenantId));
    }

    /**
     * An operator's cancellation (admin API): like {@link #cancel(UUID, String)} for whichever tenant owns the job,
     * but a job that does not exist is {@link CancelOutcome#NOT_FOUND}, not remembered.
     */
    public Uni<CancelOutcome> cancelByOperator(UUID id) {
        return cancel(id, Optional.empty());
    }

    private Uni<CancelOutcome> cancel(UUID id, Optional<String> tenant) {
        return pool.withTransaction(conn -> conn.preparedQuery(LOCK_TASK).execute(Tuple.of(id.toString()))
                .chain(() -> conn.preparedQuery(LOCK_JOB).execute(Tuple.of(id)))
                .chain(rows -> {
                    if (rows.rowCount() == 0) {
                        return tenant.isEmpty() ? Uni.createFrom().item(CancelOutcome.NOT_FOUND)
                                : conn.preparedQuery(REMEMBER_CANCEL).execute(Tuple.of(id, tenant.get()))
                                        .replaceWith(CancelOutcome.REMEMBERED);
                    }
                    Row job = rows.iterator().next();
                    String tenantId = job.getString("tenant_id");
                    if (tenant.isPresent() && !tenant.get().equals(tenantId)) {
                        return Uni.createFrom().item(CancelOutcome.TENANT_MISMATCH);
                    }
                    String state = job.getString("state");
                    if (FINISHED.contains(state)) {
                        return Uni.createFrom().item(CancelOutcome.ALREADY_FINISHED);
                    }
                    TaskRef task = TaskRef.of(id.toString(), tenantId, job.getString("trace_parent"));
                    List<TaskEvent> batch = List.of(events.cancelled(task));
                    return withEvents(conn, CANCEL.formatted(batch.size()), Tuple.of(id), batch)
                            .replaceWith(state.equals("executing") ? CancelOutcome.CANCELLED_EXECUTING
                                    : CancelOutcome.CANCELLED_WAITING);
                }));
    }

    private static Uni<Optional<Long>> withEvents(SqlClient client, String update, Tuple params,
            List<TaskEvent> batch) {
        int eventsParam = params.size() + 1;
        String sql = WITH_EVENTS.formatted(update.strip(), batch.size(), eventsParam);
        return client.preparedQuery(sql).execute(eventsTuple(params, batch))
                .map(rows -> rows.rowCount() == 0 ? Optional.<Long> empty()
                        : Optional.of(rows.iterator().next().getLong("last_seq")));
    }

    /** {@code params} plus the events (without seqs) as a bytea[]. */
    private static Tuple eventsTuple(Tuple params, List<TaskEvent> batch) {
        io.vertx.core.buffer.Buffer[] encoded = batch.stream()
                .map(event -> io.vertx.core.buffer.Buffer.buffer(event.toByteArray()))
                .toArray(io.vertx.core.buffer.Buffer[]::new);
        io.vertx.sqlclient.Tuple delegate = params.getDelegate();
        delegate.addArrayOfBuffer(encoded);
        return params;
    }

    private static Tuple owned(ClaimedJob job) {
        return Tuple.tuple().addUUID(job.id()).addInteger(job.attempt()).addString(job.owner());
    }

    private static JsonObject errorRecord(int attempt, String owner, JobError error) {
        return new JsonObject()
                .put("attempt", attempt)
                .put("code", error.code())
                .put("message", error.message())
                .put("retryable", error.retryable())
                .put("by", owner);
    }

    private static TaskRef ref(ClaimedJob job) {
        return TaskRef.of(job.id().toString(), job.tenantId(), job.traceParent());
    }

    private static ClaimedJob toClaimedJob(JobQueue queue, Duration lease, String owner, long sentNanos, Row row) {
        OffsetDateTime insertedAt = row.getOffsetDateTime("inserted_at");
        return new ClaimedJob(
                row.getUUID("id"),
                row.getString("tenant_id"),
                queue,
                row.getInteger("attempt"),
                row.getInteger("max_attempts"),
                parseRequest(row.getBuffer("request")),
                row.getString("trace_parent"),
                lease,
                insertedAt.toInstant(),
                owner,
                Optional.ofNullable(row.getOffsetDateTime("unavailable_since")).map(OffsetDateTime::toInstant)
                        .orElse(null),
                sentNanos);
    }

    private static TaskRequested parseRequest(Buffer stored) {
        try {
            return TaskRequested.parseFrom(stored.getBytes());
        } catch (InvalidProtocolBufferException e) {
            // Only validated requests are ever stored, so this is corruption, not bad input.
            throw new IllegalStateException("stored request is not a valid TaskRequested", e);
        }
    }
}
