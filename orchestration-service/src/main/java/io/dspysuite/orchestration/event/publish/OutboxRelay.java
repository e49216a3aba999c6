package io.dspysuite.orchestration.event.publish;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.google.protobuf.InvalidProtocolBufferException;

import io.dspysuite.orchestration.observability.TaskLogContext;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Publishes the outbox ({@code orchestration.outbox}) to {@code dspy.tasks.events} and deletes what the broker
 * acknowledged (acks=all).
 * <p>
 * Order: one relay at a time across all replicas (a transaction-scoped advisory lock), rows grouped by task and sent
 * in seq order, each after the previous one of its task was acknowledged (tasks in parallel); a failed send stops its
 * task for this round, so a later seq never overtakes an earlier one. A crash after a send and before the delete
 * republishes the rows with the same seqs, which consumers drop: at-least-once, in order, gap-free.
 * <p>
 * Fast path: every commit that wrote events calls {@link #kick()}. Backstop: a periodic scan
 * ({@code dspy-suite.outbox.poll-interval}) finds rows of other replicas, of crashed processes and of failed sends.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** Advisory lock key of the relay (any constant unique within the database). */
    private static final long RELAY_LOCK = 0x0D5B_0B0CL;
    private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(" + RELAY_LOCK + ") AS locked";
    private static final String BATCH = "SELECT id, task_id, seq, event FROM orchestration.outbox ORDER BY id LIMIT $1";
    private static final String DELETE = "DELETE FROM orchestration.outbox WHERE id = ANY($1)";
    private static final int TASKS_IN_PARALLEL = 64;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

    private final Pool pool;
    private final TaskEventPublisher publisher;
    private final Vertx vertx;
    private final Duration pollInterval;
    private final int batchSize;

    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile boolean stopped;
    private long timer = -1;

    OutboxRelay(Pool pool, TaskEventPublisher publisher, Vertx vertx,
            @ConfigProperty(name = "dspy-suite.outbox.poll-interval", defaultValue = "1s") Duration pollInterval,
            @ConfigProperty(name = "dspy-suite.outbox.batch-size", defaultValue = "500") int batchSize) {
        this.pool = pool;
        this.publisher = publisher;
        this.vertx = vertx;
        this.pollInterval = pollInterval;
        this.batchSize = batchSize;
    }

    void onStart(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(pollInterval.toMillis(), id -> kick());
        kick();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        vertx.cancelTimer(timer);
    }

    /** Events were committed: publish them now. Cheap, callable from any thread, coalesces. */
    public void kick() {
        again.set(true);
        drain();
    }

    private void drain() {
        while (!stopped && again.get() && running.compareAndSet(false, true)) {
            again.set(false);
            // Kicked from a task's own (tagged) context, the batch about many tasks runs on one of its own.
            TaskLogContext.runUntagged(vertx.getDelegate(), this::relayBatch).subscribe().with(this::relayed, this::relayFailed);
            return;
        }
    }

    private void relayed(int published) {
        running.set(false);
        if (published == batchSize) {
            again.set(true); // more may be waiting
        }
        drain();
    }

    private void relayFailed(Throwable failure) {
        running.set(false);
        // The rows stay; the periodic scan tries again (no busy loop while the database or broker is away).
        LOG.warnf(failure, "relaying task events failed; retrying within %d ms", pollInterval.toMillis());
    }

    /** One round; the number of rows fetched (-1 when another replica's relay holds the lock). */
    Uni<Integer> relayBatch() {
        return pool.withTransaction(conn -> conn.query(TRY_LOCK).execute().chain(lock -> {
            if (!lock.iterator().next().getBoolean("locked")) {
                // Another replica relays right now; our rows may have missed its snapshot, so look again shortly.
                vertx.setTimer(25, id -> kick());
                return Uni.createFrom().item(-1);
            }
            return conn.preparedQuery(BATCH).execute(Tuple.of(batchSize)).chain(rows -> {
                Map<UUID, List<Row>> byTask = new LinkedHashMap<>();
                rows.forEach(row -> byTask.computeIfAbsent(row.getUUID("task_id"), k -> new ArrayList<>()).add(row));
                if (byTask.isEmpty()) {
                    return Uni.createFrom().item(0);
                }
                int fetched = rows.rowCount();
                return Multi.createFrom().iterable(byTask.values())
                        .onItem().transformToUni(this::publishTask).merge(TASKS_IN_PARALLEL)
                        .collect().in(ArrayList<Long>::new, ArrayList::addAll)
                        .chain(sent -> sent.isEmpty() ? Uni.createFrom().item(fetched)
                                : conn.preparedQuery(DELETE).execute(Tuple.of(sent.toArray(Long[]::new)))
                                        .replaceWith(fetched));
            });
        }));
    }

    /** Publishes one task's rows in seq order, each after the previous was acknowledged; the ids sent. */
    private Uni<List<Long>> publishTask(List<Row> rows) {
        List<Long> sent = new ArrayList<>(rows.size());
        rows.sort((a, b) -> Long.compare(a.getLong("seq"), b.getLong("seq")));
        return Multi.createFrom().iterable(rows)
                .onItem().transformToUniAndConcatenate(row -> publisher.publish(decode(row))
                        .ifNoItem().after(SEND_TIMEOUT).fail()
                        .invoke(() -> sent.add(row.getLong("id"))))
                .collect().last()
                .replaceWith(sent)
                .onFailure().recoverWithItem(failure -> {
                    Row failed = rows.get(sent.size());
                    TaskLogContext.logAbout(failed.getUUID("task_id").toString(), tenantOf(failed),
                            () -> LOG.warnf(failure, "task %s: publishing event seq %d failed; retried later",
                                    failed.getUUID("task_id"), failed.getLong("seq")));
                    return sent;
                });
    }

    private static String tenantOf(Row row) {
        try {
            return TaskEvent.parseFrom(row.getBuffer("event").getBytes()).getTenantId();
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    private static TaskEvent decode(Row row) {
        try {
            return TaskEvents.withSeq(TaskEvent.parseFrom(row.getBuffer("event").getBytes()), row.getLong("seq"));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("outbox row " + row.getLong("id") + " is not a TaskEvent", e);
        }
    }
}
