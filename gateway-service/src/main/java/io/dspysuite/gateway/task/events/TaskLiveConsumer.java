package io.dspysuite.gateway.task.events;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.dspysuite.gateway.observability.TaskLogContext;
import io.dspysuite.gateway.task.ws.LiveEventHub;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.smallrye.mutiny.Uni;

/**
 * Live push: this replica's own consumer group reads every event from the latest offset and hands it to the sessions
 * subscribed here. Nothing is committed; what this consumer misses is filled from the event log.
 */
@ApplicationScoped
public class TaskLiveConsumer {

    private final LiveEventHub hub;

    public TaskLiveConsumer(LiveEventHub hub) {
        this.hub = hub;
    }

    // Returning a Uni keeps the method on the consumer's event loop (a void method would be dispatched to a worker).
    @Incoming("task-live")
    public Uni<Void> consume(Message<TaskEvent> message) {
        TaskEvent payload = message.getPayload();
        if (payload != null) {
            TaskLogContext.put(payload.getTaskId(), payload.getTenantId());
        }
        TaskEventMapper.map(message.getPayload()).ifPresent(hub::publish);
        return Uni.createFrom().completionStage(message::ack);
    }
}
