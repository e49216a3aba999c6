package io.dspysuite.gateway.task.events;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.dspysuite.gateway.observability.TaskLogContext;
import io.dspysuite.gateway.task.model.TaskEventRecord;
import io.dspysuite.gateway.task.store.TaskEventStore;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;

/**
 * Keeps the task view and event log (shared consumer group {@code gateway-task-view}): each event is applied in one
 * transaction and acknowledged only after it committed, so the committed offset never runs ahead of the database.
 */
@ApplicationScoped
public class TaskViewConsumer {

    private static final Logger LOG = Logger.getLogger(TaskViewConsumer.class);

    private final TaskEventStore store;

    public TaskViewConsumer(TaskEventStore store) {
        this.store = store;
    }

    @Incoming("task-view")
    public Uni<Void> consume(Message<TaskEvent> message) {
        TaskEvent payload = message.getPayload();
        if (payload != null) {
            // Each record has its own duplicated context: the tags end with it.
            TaskLogContext.put(payload.getTaskId(), payload.getTenantId());
        }
        TaskEventRecord event = TaskEventMapper.map(message.getPayload()).orElse(null);
        if (event == null) {
            LOG.warnf("skipping a record on dspy.tasks.events that is not a valid task event: %s", describe(message));
            return ack(message);
        }
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
                .invoke(applied -> {
                    if (applied == TaskEventStore.Applied.UNKNOWN_TASK) {
                        LOG.debugf("event %d of unknown task %s ignored", event.seq(), event.taskId());
                    }
                })
                .chain(() -> ack(message));
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

    private static String describe(Message<TaskEvent> message) {
        TaskEvent payload = message.getPayload();
        return payload == null ? "undecodable payload" : "task_id='" + payload.getTaskId() + "' seq=" + payload.getSeq();
    }
}
