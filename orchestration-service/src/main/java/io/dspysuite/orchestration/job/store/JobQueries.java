package io.dspysuite.orchestration.job.store;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.job.model.JobFilter;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.JobState;
import io.dspysuite.orchestration.job.model.JobView;
import io.dspysuite.orchestration.job.model.QueueDepth;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/** Read-only views of the job table for operators: listing, one job, queue depths. Never locks a row. */
@ApplicationScoped
public class JobQueries {

    private static final String COLUMNS = """
            SELECT id, tenant_id, kind, queue, state, priority, attempt, max_attempts, scheduled_at, inserted_at,
                   attempted_at, completed_at, attempts
              FROM orchestration.jobs
            """;

    // One GROUP BY over the unfinished jobs (partial index jobs_active_idx). The age is that of the longest-claimable
    // job: how long it has waited since its scheduled_at passed.
    private static final String DEPTHS = """
            SELECT queue, state, count(*) AS n,
                   COALESCE(floor(EXTRACT(EPOCH FROM now() - min(scheduled_at)
                                          FILTER (WHERE state <> 'executing' AND scheduled_at <= now())) * 1000),
                            0)::bigint AS oldest_ms
              FROM orchestration.jobs
             WHERE state IN ('available', 'scheduled', 'executing', 'retryable')
             GROUP BY queue, state
            """;

    private final Pool pool;

    JobQueries(Pool pool) {
        this.pool = pool;
    }

    /** One page, newest first ({@code inserted_at DESC, id DESC}); asks for one row more to know if more follow. */
    public Uni<List<JobView>> list(JobFilter filter, int rows) {
        StringBuilder sql = new StringBuilder(COLUMNS).append(" WHERE true");
        Tuple params = Tuple.tuple();
        if (!filter.states().isEmpty()) {
            params.addArrayOfString(filter.states().stream().map(JobState::dbValue).toArray(String[]::new));
            sql.append(" AND state = ANY($").append(params.size()).append(')');
        }
        if (!filter.queues().isEmpty()) {
            params.addArrayOfString(filter.queues().stream().map(JobQueue::dbValue).toArray(String[]::new));
            sql.append(" AND queue = ANY($").append(params.size()).append(')');
        }
        if (filter.tenantId() != null) {
            params.addString(filter.tenantId());
            sql.append(" AND tenant_id = $").append(params.size());
        }
        if (filter.after() != null) {
            params.addOffsetDateTime(filter.after().insertedAt()).addUUID(filter.after().id());
            sql.append(" AND (inserted_at, id) < ($").append(params.size() - 1).append(", $").append(params.size())
                    .append(')');
        }
        params.addInteger(rows);
        sql.append(" ORDER BY inserted_at DESC, id DESC LIMIT $").append(params.size());
        return pool.preparedQuery(sql.toString()).execute(params).map(result -> {
            List<JobView> views = new ArrayList<>(result.rowCount());
            result.forEach(row -> views.add(view(row)));
            return views;
        });
    }

    public Uni<Optional<JobView>> find(UUID id) {
        return pool.preparedQuery(COLUMNS + " WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(view(rows.iterator().next())));
    }

    /** Every queue of {@link JobQueue}, empty ones included. */
    public Uni<List<QueueDepth>> depths() {
        return pool.query(DEPTHS).execute().map(rows -> {
            Map<JobQueue, long[]> counts = new EnumMap<>(JobQueue.class);
            for (Row row : rows) {
                JobQueue queue = JobQueue.valueOf(row.getString("queue").toUpperCase(Locale.ROOT));
                long[] c = counts.computeIfAbsent(queue, q -> new long[5]);
                long n = row.getLong("n");
                switch (row.getString("state")) {
                    case "available" -> c[0] = n;
                    case "scheduled" -> c[1] = n;
                    case "executing" -> c[2] = n;
                    case "retryable" -> c[3] = n;
                    default -> {
                    }
                }
                c[4] = Math.max(c[4], Math.max(0, row.getLong("oldest_ms")));
            }
            List<QueueDepth> depths = new ArrayList<>();
            for (JobQueue queue : JobQueue.values()) {
                long[] c = counts.get(queue);
                depths.add(c == null ? QueueDepth.empty(queue) : new QueueDepth(queue, c[0], c[1], c[2], c[3], c[4]));
            }
            return depths;
        });
    }

    private static JobView view(Row row) {
        List<JobView.ErrorRecord> errors = new ArrayList<>();
        Object attempts = row.getValue("attempts");
        if (attempts instanceof JsonArray array) {
            for (int i = 0; i < array.size(); i++) {
                JsonObject record = array.getJsonObject(i);
                errors.add(new JobView.ErrorRecord(record.getInteger("attempt", 0), record.getString("code", ""),
                        record.getString("message", ""), record.getString("at")));
            }
        }
        return new JobView(row.getUUID("id"), row.getString("tenant_id"), row.getString("kind"),
                row.getString("queue"), row.getString("state"), row.getShort("priority"), row.getInteger("attempt"),
                row.getInteger("max_attempts"), row.getOffsetDateTime("scheduled_at"),
                row.getOffsetDateTime("inserted_at"), row.getOffsetDateTime("attempted_at"),
                row.getOffsetDateTime("completed_at"), errors);
    }
}
