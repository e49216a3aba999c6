package io.dspysuite.orchestration.testing;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import io.dspysuite.protos.events.v1.TaskRequested;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Job rows written straight into the table, for states the engine reaches only over time (scheduled for later,
 * finished days ago, executing without a lease). The request is a real one, so the engine can run the job.
 */
public final class JobRows {

    private final Pool pool;

    public JobRows(Pool pool) {
        this.pool = pool;
    }

    /** A row builder for {@code request} (its id, tenant and the predict kind/interactive queue by default). */
    public Builder job(TaskRequested request) {
        return new Builder(request);
    }

    public long count(String sql, Object... params) {
        return pool.preparedQuery(sql).execute(Tuple.tuple(java.util.List.of(params)))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
    }

    public void execute(String sql, Object... params) {
        pool.preparedQuery(sql).execute(Tuple.tuple(java.util.List.of(params))).await().atMost(Duration.ofSeconds(10));
    }

    public final class Builder {

        private final TaskRequested request;
        private String kind = "predict";
        private String queue = "interactive";
        private String state = "available";
        private int attempt;
        private OffsetDateTime insertedAt = OffsetDateTime.now(ZoneOffset.UTC);
        private OffsetDateTime scheduledAt = insertedAt;
        private OffsetDateTime completedAt;
        private JsonArray attempts = new JsonArray();

        private Builder(TaskRequested request) {
            this.request = request;
        }

        public Builder kind(String kind, String queue) {
            this.kind = kind;
            this.queue = queue;
            return this;
        }

        public Builder state(String state) {
            this.state = state;
            return this;
        }

        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        public Builder insertedAt(OffsetDateTime at) {
            this.insertedAt = at;
            return this;
        }

        public Builder scheduledAt(OffsetDateTime at) {
            this.scheduledAt = at;
            return this;
        }

        public Builder completedAt(OffsetDateTime at) {
            this.completedAt = at;
            return this;
        }

        public Builder attempts(JsonArray attempts) {
            this.attempts = attempts;
            return this;
        }

        public UUID insert() {
            UUID id = UUID.fromString(request.getTaskId());
            Tuple params = Tuple.tuple().addUUID(id).addString(request.getTenantId()).addString(kind)
                    .addString(queue).addString(state).addInteger(attempt).addInteger(3)
                    .addBuffer(Buffer.buffer(request.toByteArray())).addOffsetDateTime(insertedAt)
                    .addOffsetDateTime(scheduledAt).addOffsetDateTime(completedAt)
                    .addValue(attempts);
            pool.preparedQuery("""
                    INSERT INTO orchestration.jobs (id, tenant_id, kind, queue, state, attempt, max_attempts, request,
                                                    inserted_at, scheduled_at, completed_at, attempts, last_seq)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)
                    """).execute(params).await().atMost(Duration.ofSeconds(10));
            return id;
        }
    }
}
