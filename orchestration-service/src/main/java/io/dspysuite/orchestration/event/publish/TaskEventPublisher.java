package io.dspysuite.orchestration.event.publish;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.dspysuite.protos.events.v1.TaskEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * Publishes task events to {@code dspy.tasks.events}, keyed by task id so all events of a task share a partition and
 * keep their order. A returned {@link Uni} completes once the broker acknowledged the record (acks=all).
 * <p>
 * Only the {@link OutboxRelay} publishes: events reach the topic from the outbox, never straight from a state change.
 */
@ApplicationScoped
public class TaskEventPublisher {

    private final MutinyEmitter<TaskEvent> emitter;

    TaskEventPublisher(@Channel("task-events") MutinyEmitter<TaskEvent> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> publish(TaskEvent event) {
        OutgoingKafkaRecordMetadata<String> key = OutgoingKafkaRecordMetadata.<String> builder()
                .withKey(event.getTaskId())
                .build();
        return emitter.sendMessage(Message.of(event).addMetadata(key));
    }

    /** Publishes the events one after the other, each once the previous one was acknowledged. */
    public Uni<Void> publishInOrder(List<TaskEvent> events) {
        return Multi.createFrom().iterable(events)
                .onItem().transformToUniAndConcatenate(this::publish)
                .collect().last()
                .replaceWithVoid();
    }
}
