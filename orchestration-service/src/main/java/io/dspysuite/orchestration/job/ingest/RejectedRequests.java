package io.dspysuite.orchestration.job.ingest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.TaskKinds;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/**
 * Ends the task of a request that can never become a job (undecodable, or invalid): the gateway already answered 202,
 * so without this its client would wait for ever. When the task id and tenant can be recovered (from the request if
 * it decoded, else from the record's key, which the gateway sets to the task id, and its {@value #TENANT_HEADER}
 * header), the task's job is stored {@code discarded} with {@value #INVALID_REQUEST} and its error + FAILED events go
 * out through the outbox like every other task's end. Otherwise nothing can be told to anyone: the record only goes to
 * the DLQ (the caller's job), and the log says why (never the record's content).
 */
@ApplicationScoped
public class RejectedRequests {

    /** The error code of a task whose request the orchestration service could not read or accept. */
    public static final String INVALID_REQUEST = "INVALID_REQUEST";

    /** Kafka header with the task's tenant, set by the gateway on {@code dspy.tasks.requested} records. */
    public static final String TENANT_HEADER = "dspy-tenant-id";

    /** Tenant ids longer than this are not believed (as in the admin API). */
    private static final int MAX_TENANT_LENGTH = 128;

    private static final Logger LOG = Logger.getLogger(RejectedRequests.class);

    private final JobStore store;
    private final TaskEvents events;
    private final OutboxRelay relay;

    RejectedRequests(JobStore store, TaskEvents events, OutboxRelay relay) {
        this.store = store;
        this.events = events;
        this.relay = relay;
    }

    /**
     * Ends the task of {@code message}, rejected for {@code reason}, when it can be identified. Completes when the
     * failure is stored (or there is nothing to store); fails when storing failed (the caller retries).
     */
    public Uni<Void> end(Message<TaskRequested> message, InvalidTaskRequestException reason, String traceParent) {
        Optional<TaskRequested> identity = identify(message);
        if (identity.isEmpty()) {
            LOG.warnf("task request %s: its task id and tenant cannot be recovered (no UUID task id in the request or"
                    + " the record key, or no tenant in the request or the %s header): no task to end, DLQ only",
                    where(message), TENANT_HEADER);
            return Uni.createFrom().voidItem();
        }
        TaskRequested task = identity.get();
        Optional<JobQueue> queue = JobQueue.forKind(task.getKind());
        String kind = queue.isPresent() ? TaskKinds.dbValue(task.getKind()) : "unknown";
        // An undecodable record reaches the consumer without a payload (see UndecodableTaskRequests).
        String why = message.getPayload() == null ? "it could not be decoded" : reason.getMessage();
        JobError error = new JobError(INVALID_REQUEST, "the orchestration service could not accept the task request: "
                + why, false);
        TaskRef ref = TaskRef.of(task.getTaskId(), task.getTenantId(), traceParent);
        return store.insertRejected(task, kind, queue.orElse(JobQueue.INTERACTIVE), traceParent, error,
                List.of(events.error(ref, error), events.failed(ref)))
                .invoke(written -> {
                    if (written) {
                        relay.kick();
                        LOG.infof("task %s: request rejected (%s), task failed with %s", task.getTaskId(), why,
                                INVALID_REQUEST);
                    } else {
                        LOG.infof("task %s: request rejected (%s); the task already has a job, left as it is",
                                task.getTaskId(), why);
                    }
                })
                .replaceWithVoid();
    }

    /**
     * The task id and tenant (and kind, when known) of a rejected request: the request's own fields when it decoded
     * and they are usable, else the record's key and tenant header. Only identity travels on; inputs never do.
     */
    static Optional<TaskRequested> identify(Message<TaskRequested> message) {
        TaskRequested payload = message.getPayload();
        Optional<IncomingKafkaRecordMetadata> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class);
        Optional<String> taskId = Optional.ofNullable(payload).map(TaskRequested::getTaskId)
                .filter(RejectedRequests::isTaskId)
                .or(() -> kafka.map(IncomingKafkaRecordMetadata::getKey).filter(String.class::isInstance)
                        .map(String.class::cast).filter(RejectedRequests::isTaskId));
        Optional<String> tenant = Optional.ofNullable(payload).map(TaskRequested::getTenantId)
                .filter(RejectedRequests::isTenant)
                .or(() -> kafka.map(metadata -> metadata.getHeaders().lastHeader(TENANT_HEADER))
                        .map(Header::value)
                        .map(value -> new String(value, StandardCharsets.UTF_8))
                        .filter(RejectedRequests::isTenant));
        if (taskId.isEmpty() || tenant.isEmpty()) {
            return Optional.empty();
        }
        TaskRequested.Builder identity = TaskRequested.newBuilder().setTaskId(taskId.get()).setTenantId(tenant.get());
        if (payload != null) {
            identity.setKindValue(payload.getKindValue());
        }
        return Optional.of(identity.build());
    }

    private static boolean isTaskId(String value) {
        try {
            // Canonical form only, as for valid requests (UUID.fromString is lenient).
            return value != null && UUID.fromString(value).toString().equalsIgnoreCase(value);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isTenant(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_TENANT_LENGTH
                && value.chars().noneMatch(Character::isISOControl);
    }

    static String where(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> m.getTopic() + "-" + m.getPartition() + "@" + m.getOffset())
                .orElse("(no Kafka metadata)");
    }
}
