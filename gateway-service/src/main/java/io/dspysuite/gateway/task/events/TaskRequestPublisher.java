package io.dspysuite.gateway.task.events;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.internals.RecordHeaders;
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

    /** Kafka header with the task's tenant (read by the orchestration service's RejectedRequests). */
    public static final String TENANT_HEADER = "dspy-tenant-id";

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
        // The tenant also travels as a header: if the orchestration service cannot decode or accept the value, it
        // still knows whose task to end (failed, INVALID_REQUEST) from the key and this header.
        RecordHeaders headers = new RecordHeaders();
        headers.add(TENANT_HEADER, task.tenantId().getBytes(StandardCharsets.UTF_8));
        Message<TaskRequested> message = Message.of(request.build())
                .addMetadata(OutgoingKafkaRecordMetadata.<String> builder().withKey(task.id().toString())
                        .withHeaders(headers).build());
        return Uni.createFrom().deferred(() -> emitter.sendMessage(message))
                .ifNoItem().after(SEND_TIMEOUT).fail();
    }
}
