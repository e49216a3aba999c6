package io.dspysuite.gateway.task.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.dspysuite.gateway.observability.TaskLogContext;
import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.dspysuite.gateway.task.store.TaskEventStore;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;

/**
 * Keeps the task view and event log (shared consumer group {@code gateway-task-view}). The channel delivers batches
 * (one poll of the topic, {@code batch=true}): a batch is applied in order in one transaction and acknowledged only
 * after it committed, so the committed offset never runs ahead of the database.
 * <p>
 * Why batches: one transaction per event made this consumer the suite's bottleneck (four round trips and a commit
 * per event, strictly one after another); once it fell behind, every WebSocket subscriber waited for it, since a
 * fresh subscription replays the events it missed from this log. With batches a backlog is caught up in a few
 * commits. If a batch fails (the database is away, or refuses one event), its events are applied one by one as
 * before: transient failures retried in order until they succeed, an event the database refuses skipped. Applying an
 * event twice changes nothing (the log is keyed by task and seq, projections only move forward).
 */
@ApplicationScoped
public class TaskViewConsumer {

    private static final Logger LOG = Logger.getLogger(TaskViewConsumer.class);

    private final TaskEventStore store;

    public TaskViewConsumer(TaskEventStore store) {
        this.store = store;
    }

    @Incoming("task-view")
    public Uni<Void> consume(Message<List<TaskEvent>> batch) {
        List<TaskEventRecord> events = new ArrayList<>(batch.getPayload().size());
        List<String> tenants = new ArrayList<>(batch.getPayload().size());
        for (TaskEvent payload : batch.getPayload()) {
            TaskEventMapper.map(payload).ifPresentOrElse(event -> {
                events.add(event);
                tenants.add(payload.getTenantId());
            }, () -> LOG.warnf("skipping a record on dspy.tasks.events that is not a valid task event: %s",
                    describe(payload)));
        }
        if (events.isEmpty()) {
            return ack(batch);
        }
        return store.applyAll(events)
                .invoke(outcomes -> {
                    for (int i = 0; i < outcomes.size(); i++) {
                        logIfUnknown(events.get(i), tenants.get(i), outcomes.get(i));
                    }
                })
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> {
                    LOG.debugf(failure, "applying a batch of %d task events failed; applying them one by one",
                            events.size());
                    return Multi.createFrom().range(0, events.size())
                            .onItem().transformToUniAndConcatenate(i -> applyOne(events.get(i), tenants.get(i)))
                            .collect().last()
                            .replaceWithVoid();
                })
                .chain(() -> ack(batch));
    }

    /** One event in its own transaction: transient failures retried until it is in, a refused event skipped. */
    private Uni<Void> applyOne(TaskEventRecord event, String tenant) {
        return store.apply(event)
                .onFailure(TaskViewConsumer::isTransient)
                .invoke(e -> LOG.warnf(e, "applying event %d of task %s failed; retrying", event.seq(), event.taskId()))
                // A database outage must not skip events (the view would stay wrong forever): retry, keeping the
                // partition's order, until the event is in.
                .onFailure(TaskViewConsumer::isTransient).retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(10)).indefinitely()
                // The database refusing this very event (bad data) would block the partition forever: skip it.
                .onFailure().recoverWithItem(e -> {
                    LOG.errorf(e, "event %d of task %s was rejected by the database; skipped", event.seq(),
                            event.taskId());
                    return null;
                })
                .invoke(applied -> logIfUnknown(event, tenant, applied))
                .replaceWithVoid();
    }

    /**
     * An event of a task this gateway never stored (another deployment's, or published before its row) is ignored.
     * A batch spans many tasks, so the task's id is on the record's context for this line only.
     */
    private static void logIfUnknown(TaskEventRecord event, String tenant, TaskEventStore.Applied applied) {
        if (applied != TaskEventStore.Applied.UNKNOWN_TASK) {
            return;
        }
        boolean tagged = TaskLogContext.put(event.taskId(), tenant);
        try {
            LOG.debugf("event %d of unknown task %s ignored", event.seq(), event.taskId());
        } finally {
            if (tagged) {
                TaskLogContext.clear();
            }
        }
    }

    /** SQLSTATE classes 22 (data exception) and 23 (integrity violation) will fail the same way every time. */
    static boolean isTransient(Throwable failure) {
        if (failure instanceof PgException pg && pg.getSqlState() != null) {
            return !(pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23"));
        }
        return !(failure instanceof IllegalArgumentException);
    }

    private static Uni<Void> ack(Message<?> message) {
        return Uni.createFrom().completionStage(message::ack);
    }

    private static String describe(TaskEvent payload) {
        return payload == null ? "undecodable payload" : "task_id='" + payload.getTaskId() + "' seq=" + payload.getSeq();
    }
}
