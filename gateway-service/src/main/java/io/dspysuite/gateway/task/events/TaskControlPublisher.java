package io.dspysuite.gateway.task.events;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import com.google.protobuf.Timestamp;

import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.protos.events.v1.TaskControl;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/** Publishes {@code TaskControl} (cancel) to {@code dspy.tasks.control}, keyed by task id. */
@ApplicationScoped
public class TaskControlPublisher {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(15);

    private final MutinyEmitter<TaskControl> emitter;

    public TaskControlPublisher(
            @Channel("task-control") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024) MutinyEmitter<TaskControl> emitter) {
        this.emitter = emitter;
    }

    /** Completes when the broker acknowledged the cancel request (acks=all); fails otherwise. */
    public Uni<Void> cancel(TaskRow task) {
        Instant now = Instant.now();
        TaskControl control = TaskControl.newBuilder()
                .setTaskId(task.id().toString())
                .setTenantId(task.tenantId())
                .setRequestedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .setCancel(TaskControl.Cancel.getDefaultInstance())
                .build();
        Message<TaskControl> message = Message.of(control)
                .addMetadata(OutgoingKafkaRecordMetadata.<String> builder().withKey(task.id().toString()).build());
        return Uni.createFrom().deferred(() -> emitter.sendMessage(message))
                .ifNoItem().after(SEND_TIMEOUT).fail();
    }
}
