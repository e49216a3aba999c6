package io.dspysuite.gateway.task.events;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import com.google.protobuf.Timestamp;

import io.dspysuite.gateway.json.Structs;
import io.dspysuite.gateway.task.model.ProgramSpec;
import io.dspysuite.gateway.task.model.TaskSpecs;
import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/** Publishes {@code TaskRequested} to {@code dspy.tasks.requested}, keyed by task id so per-task order holds. */
@ApplicationScoped
public class TaskRequestPublisher {

    /** Backstop above the producer's own delivery timeout: a submission never hangs. */
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(15);

    private final MutinyEmitter<TaskRequested> emitter;

    public TaskRequestPublisher(
            @Channel("task-requests") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024) MutinyEmitter<TaskRequested> emitter) {
        this.emitter = emitter;
    }

    /** Completes when the broker acknowledged the record (acks=all); fails otherwise. */
    public Uni<Void> publish(TaskRow task) {
        Instant requestedAt = task.createdAt().toInstant();
        TaskRequested.Builder request = TaskRequested.newBuilder()
                .setTaskId(task.id().toString())
                .setTenantId(task.tenantId())
                .setKind(task.kind().proto())
                .setProgram(ProgramSpec.fromStoredJson(task.program()).toProto())
                .setInputs(Structs.toStruct(task.inputs()))
                .setOptions(Structs.toStruct(task.options()))
                .setRequestedAt(Timestamp.newBuilder()
                        .setSeconds(requestedAt.getEpochSecond())
                        .setNanos(requestedAt.getNano()));
        TaskSpecs.apply(task.spec(), request);
        Message<TaskRequested> message = Message.of(request.build())
                .addMetadata(OutgoingKafkaRecordMetadata.<String> builder().withKey(task.id().toString()).build());
        return Uni.createFrom().deferred(() -> emitter.sendMessage(message))
                .ifNoItem().after(SEND_TIMEOUT).fail();
    }
}
