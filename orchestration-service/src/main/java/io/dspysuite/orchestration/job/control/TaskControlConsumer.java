package io.dspysuite.orchestration.job.control;

import java.time.Duration;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.observability.TaskLogContext;

import io.dspysuite.protos.events.v1.TaskControl;
import io.smallrye.mutiny.Uni;

/**
 * Consumes {@code dspy.tasks.control} (group {@code orchestration-control}): cancellations.
 * <p>
 * The job's row decides, in one transaction: a waiting job becomes {@code cancelled} at once; an executing one too,
 * and its call is stopped — right here when this replica runs it, else by the owning replica's next heartbeat (which
 * finds the job no longer held). Either way exactly one CANCELLED event is written, and the stopped attempt's outcome
 * is rejected by its guard. A finished job or another tenant's changes nothing; a job not stored yet (the request is
 * still on its way on the other topic) is remembered and stored cancelled when its request arrives.
 */
@ApplicationScoped
public class TaskControlConsumer {

    private static final Logger LOG = Logger.getLogger(TaskControlConsumer.class);

    private final JobCancellation cancellation;
    private final Duration retryFor;

    TaskControlConsumer(JobCancellation cancellation,
            @ConfigProperty(name = "dspy-suite.ingest.retry-for", defaultValue = "10m") Duration retryFor) {
        this.cancellation = cancellation;
        this.retryFor = retryFor;
    }

    @Incoming("task-control")
    public Uni<Void> consume(ConsumerRecord<String, TaskControl> record) {
        TaskControl control = record.value();
        if (control == null) {
            LOG.warnf("undecodable control record at %s-%d@%d skipped", record.topic(), record.partition(),
                    record.offset());
            return Uni.createFrom().voidItem();
        }
        if (!control.hasCancel()) {
            LOG.debugf("task %s: control action %s not handled", control.getTaskId(), control.getActionCase());
            return Uni.createFrom().voidItem();
        }
        UUID id;
        try {
            id = UUID.fromString(control.getTaskId());
        } catch (IllegalArgumentException e) {
            LOG.warnf("cancel for a task id that is not a UUID skipped");
            return Uni.createFrom().voidItem();
        }
        // Each record has its own duplicated context: the tags end with it.
        TaskLogContext.put(id.toString(), control.getTenantId());
        if (control.getTenantId().isBlank()) {
            LOG.warnf("task %s: cancel without tenant skipped", id);
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> cancellation.byTenant(id, control.getTenantId()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5))
                .expireIn(retryFor.toMillis())
                .onFailure().recoverWithItem(failure -> {
                    LOG.errorf(failure, "task %s: cancelling failed; the request is dropped", id);
                    return null;
                })
                .replaceWithVoid();
    }
}
