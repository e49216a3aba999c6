package io.dspysuite.orchestration.job.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.protobuf.InvalidProtocolBufferException;

import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.NewJob;
import io.dspysuite.orchestration.job.model.TaskKinds;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The job table, through the reactive PostgreSQL client (never blocks a thread).
 * <p>
 * Every operation is a single statement, hence its own transaction, and every state change is guarded by the state
 * (and attempt) it expects: a replica that lost a job (lease rescued, cancelled) changes nothing and learns so from an
 * empty result. Each change also allots the event sequence numbers of the events it implies, so events are numbered
 * in the same transaction that makes them true.
 */
@ApplicationScoped
public class JobStore {

    private static final String EXISTS = "SELECT EXISTS (SELECT 1 FROM orchestration.jobs WHERE id = $1)";

    // last_seq starts at 1: the QUEUED event (seq 1) is published before the row is inserted (see JobIngestor).
    private static final String INSERT = """
            INSERT INTO orchestration.jobs (id, tenant_id, kind, queue, priority, state, max_attempts, request, last_seq,
                                            trace_parent)
            VALUES ($1, $2, $3, $4, $5, 'available', $6, $7, 1, $8)
            ON CONFLICT (id) DO NOTHING
            """;

    // SKIP LOCKED lets replicas claim concurrently without waiting on each other's rows; the UPDATE takes the RUNNING
    // event's seq in the same statement.
    private static final String CLAIM = """
            UPDATE orchestration.jobs j
               SET state = 'executing', attempt = j.attempt + 1, attempted_at = now(), attempted_by = $4,
                   lease_expires_at = now() + $3 * interval '1 millisecond', last_seq = j.last_seq + 1
             WHERE j.id IN (SELECT id FROM orchestration.jobs
                             WHERE state = 'available' AND queue = $1 AND scheduled_at <= now()
                             ORDER BY priority, scheduled_at, id
                             LIMIT $2
                             FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.tenant_id, j.attempt, j.max_attempts, j.request, j.last_seq, j.trace_parent
            """;

    // Two events follow completion (result, SUCCEEDED) and two follow a discard (error, FAILED): seq advances by 2.
    private static final String COMPLETE = """
            UPDATE orchestration.jobs
               SET state = 'completed', completed_at = now(), lease_expires_at = NULL, last_seq = last_seq + 2
             WHERE id = $1 AND state = 'executing' AND attempt = $2
            RETURNING last_seq
            """;

    private static final String DISCARD = """
            UPDATE orchestration.jobs
               SET state = 'discarded', completed_at = now(), lease_expires_at = NULL, last_seq = last_seq + 2,
                   last_error = $3
             WHERE id = $1 AND state = 'executing' AND attempt = $2
            RETURNING last_seq
            """;

    private final Pool pool;

    JobStore(Pool pool) {
        this.pool = pool;
    }

    public Uni<Boolean> exists(UUID id) {
        return pool.preparedQuery(EXISTS).execute(Tuple.of(id))
                .map(rows -> rows.iterator().next().getBoolean(0));
    }

    /** Inserts the job unless one with its id exists; {@code true} when this call created it. */
    public Uni<Boolean> insert(NewJob job) {
        Tuple params = Tuple.tuple()
                .addUUID(job.id())
                .addString(job.tenantId())
                .addString(TaskKinds.dbValue(job.request().getKind()))
                .addString(job.queue().dbValue())
                .addShort((short) job.priority())
                .addInteger(job.maxAttempts())
                .addBuffer(Buffer.buffer(job.request().toByteArray()))
                .addString(job.traceParent());
        return pool.preparedQuery(INSERT).execute(params).map(rows -> rows.rowCount() == 1);
    }

    /**
     * Claims up to {@code limit} available jobs of {@code queue} for this replica: they become {@code executing} with
     * a lease of {@code lease}, their attempt counter and event seq advance by one.
     */
    public Uni<List<ClaimedJob>> claim(JobQueue queue, int limit, Duration lease, String claimedBy) {
        Tuple params = Tuple.tuple()
                .addString(queue.dbValue())
                .addInteger(limit)
                .addLong(lease.toMillis())
                .addString(claimedBy);
        return pool.preparedQuery(CLAIM).execute(params).map(rows -> toClaimedJobs(queue, rows));
    }

    /** Marks the attempt completed; the job's new {@code last_seq}, or empty when this replica no longer holds it. */
    public Uni<Optional<Long>> complete(UUID id, int attempt) {
        return pool.preparedQuery(COMPLETE).execute(Tuple.of(id, attempt)).map(JobStore::lastSeq);
    }

    /** Marks the job discarded with {@code error}; its new {@code last_seq}, or empty when this replica lost it. */
    public Uni<Optional<Long>> discard(UUID id, int attempt, JobError error) {
        JsonObject lastError = new JsonObject()
                .put("code", error.code())
                .put("message", error.message())
                .put("retryable", error.retryable())
                .put("attempt", attempt)
                .put("at", Instant.now().toString());
        Tuple params = Tuple.tuple().addUUID(id).addInteger(attempt).addJsonObject(lastError);
        return pool.preparedQuery(DISCARD).execute(params).map(JobStore::lastSeq);
    }

    private static Optional<Long> lastSeq(RowSet<Row> rows) {
        return rows.rowCount() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getLong("last_seq"));
    }

    private static List<ClaimedJob> toClaimedJobs(JobQueue queue, RowSet<Row> rows) {
        List<ClaimedJob> jobs = new ArrayList<>(rows.rowCount());
        for (Row row : rows) {
            jobs.add(new ClaimedJob(
                    row.getUUID("id"),
                    row.getString("tenant_id"),
                    queue,
                    row.getInteger("attempt"),
                    row.getInteger("max_attempts"),
                    parseRequest(row.getBuffer("request")),
                    row.getLong("last_seq"),
                    row.getString("trace_parent")));
        }
        return jobs;
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
