package io.dspysuite.gateway.task.events;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.gateway.task.store.TaskStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * The outbox relay for task requests. A submission commits the task row, publishes {@code TaskRequested} and marks the
 * row published when the broker acknowledges it; if the publish failed (broker down) or the process died in between,
 * the row stays unpublished and this sweeper, every {@code dspy-suite.publish-sweeper.interval} on every replica,
 * publishes queued rows still unpublished after {@code dspy-suite.publish-sweeper.grace}, at most
 * {@code dspy-suite.publish-sweeper.batch-size} per sweep. Replicas share the table safely: rows are claimed with
 * {@code FOR UPDATE SKIP LOCKED} and marked in the same transaction. A record that reached the broker although its ack
 * was lost is published twice; the orchestration ingest is idempotent by task id.
 */
@ApplicationScoped
public class TaskPublishSweeper {

    private static final Logger LOG = Logger.getLogger(TaskPublishSweeper.class);

    private final TaskStore store;
    private final TaskRequestPublisher publisher;
    private final Duration grace;
    private final int batchSize;
    private final Counter republished;

    public TaskPublishSweeper(TaskStore store, TaskRequestPublisher publisher, MeterRegistry registry,
            @ConfigProperty(name = "dspy-suite.publish-sweeper.grace") Duration grace,
            @ConfigProperty(name = "dspy-suite.publish-sweeper.batch-size") int batchSize) {
        this.store = store;
        this.publisher = publisher;
        this.grace = grace;
        this.batchSize = batchSize;
        this.republished = Counter.builder("dspy_suite_gateway_tasks_republished")
                .description("Task requests published by the sweeper because the submission's publish was not "
                        + "acknowledged")
                .register(registry);
    }

    // SKIP: a sweep still publishing (broker slow) is not overtaken by the next one on this replica.
    @Scheduled(identity = "task-publish-sweeper", every = "${dspy-suite.publish-sweeper.interval}",
            delayed = "${dspy-suite.publish-sweeper.interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledSweep() {
        return sweep().replaceWithVoid();
    }

    /** One sweep; yields how many tasks it published. Never fails: a failed sweep is logged and the next one retries. */
    public Uni<Integer> sweep() {
        return store.sweepUnpublished(grace, batchSize, this::publishAll)
                .invoke(count -> {
                    if (count > 0) {
                        republished.increment(count);
                        LOG.infof("publish sweeper published %d task request(s) that were not acknowledged before",
                                count);
                    }
                })
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("publish sweep failed (retried at the next one): %s", failure.toString());
                    return 0;
                });
    }

    /** Publishes every row concurrently; the ids the broker acknowledged. */
    private Uni<List<UUID>> publishAll(List<TaskRow> due) {
        List<Uni<UUID>> publishes = due.stream()
                .map(task -> publisher.publish(task)
                        .replaceWith(task.id())
                        .onFailure().recoverWithItem(failure -> {
                            LOG.debugf("re-publishing task %s failed: %s", task.id(), failure.toString());
                            return null;
                        }))
                .toList();
        return Uni.join().all(publishes).andCollectFailures()
                .map(ids -> ids.stream().filter(Objects::nonNull).toList());
    }
}
