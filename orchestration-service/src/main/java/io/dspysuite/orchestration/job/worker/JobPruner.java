package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.job.store.JobRetention;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;

/**
 * Deletes finished jobs older than {@code dspy-suite.jobs.prune.max-age} (with their attempt history, which is part of
 * the row) and remembered cancellations that age, every {@code dspy-suite.jobs.prune.interval}, in batches of
 * {@code dspy-suite.jobs.prune.batch-size} (each its own short statement), until a batch comes back short or
 * {@code max-batches} ran. Safe on every replica at once (SKIP LOCKED; a deleted row is simply gone for the others).
 * <p>
 * A Vert.x timer, like the engine's other periodic work: the statements are non-blocking, and the Quarkus scheduler
 * is not a dependency of this service.
 */
@ApplicationScoped
public class JobPruner {

    private static final Logger LOG = Logger.getLogger(JobPruner.class);

    /** What one pruning run deleted. */
    public record Pruned(long jobs, long cancelRequests) {
    }

    private final JobRetention retention;
    private final Vertx vertx;
    private final Duration maxAge;
    private final int batchSize;
    private final int maxBatches;
    private final Duration interval;
    private final AtomicBoolean running = new AtomicBoolean();
    private long timer = -1;

    JobPruner(JobRetention retention, Vertx vertx,
            @ConfigProperty(name = "dspy-suite.jobs.prune.max-age", defaultValue = "P7D") Duration maxAge,
            @ConfigProperty(name = "dspy-suite.jobs.prune.batch-size", defaultValue = "1000") int batchSize,
            @ConfigProperty(name = "dspy-suite.jobs.prune.max-batches", defaultValue = "100") int maxBatches,
            @ConfigProperty(name = "dspy-suite.jobs.prune.interval", defaultValue = "10m") Duration interval) {
        if (batchSize < 1 || maxBatches < 1 || maxAge.isNegative()) {
            throw new IllegalStateException("dspy-suite.jobs.prune: batch-size and max-batches must be at least 1, "
                    + "max-age not negative");
        }
        this.retention = retention;
        this.vertx = vertx;
        this.maxAge = maxAge;
        this.batchSize = batchSize;
        this.maxBatches = maxBatches;
        this.interval = interval;
    }

    void onStart(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(interval.toMillis(), id -> {
            if (running.compareAndSet(false, true)) {
                prune().onTermination().invoke(() -> running.set(false)).subscribe().with(
                        pruned -> {
                        }, failure -> LOG.warnf(failure, "pruning finished jobs failed; next try in %s", interval));
            }
        });
        LOG.infof("pruning jobs finished more than %s ago every %s (batches of %d)", maxAge, interval, batchSize);
    }

    void onStop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
    }

    /** One pruning run (also what the timer runs); logs the counts when anything was deleted. */
    public Uni<Pruned> prune() {
        return batches(() -> retention.pruneJobs(maxAge, batchSize))
                .chain(jobs -> batches(() -> retention.pruneCancelRequests(maxAge, batchSize))
                        .map(cancels -> new Pruned(jobs, cancels)))
                .invoke(pruned -> {
                    if (pruned.jobs() > 0 || pruned.cancelRequests() > 0) {
                        LOG.infof("pruned %d finished job(s) and %d cancel request(s) older than %s", pruned.jobs(),
                                pruned.cancelRequests(), maxAge);
                    }
                });
    }

    /** Runs {@code batch} until it deletes fewer than a full batch (or max-batches ran); the total deleted. */
    private Uni<Long> batches(java.util.function.Supplier<Uni<? extends Integer>> batch) {
        return Multi.createBy().repeating().<Integer> uni(batch).whilst(deleted -> deleted == batchSize)
                .select().first(maxBatches)
                .collect().with(java.util.stream.Collectors.summingLong(Integer::longValue));
    }
}
