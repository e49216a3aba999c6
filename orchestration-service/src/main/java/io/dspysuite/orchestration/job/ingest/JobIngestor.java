package io.dspysuite.orchestration.job.ingest;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.job.model.NewJob;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.job.worker.Dispatcher;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;

/**
 * Turns a task request into a stored job, idempotently: a redelivered request (same task id) changes nothing and
 * writes no event.
 * <p>
 * The row and its QUEUED event (seq 1) are written in one transaction (the outbox), so QUEUED exists exactly when the
 * job does and precedes RUNNING, whose seq is allotted by the claim after it. The Kafka offset is committed only after
 * the returned {@link Uni} completed, i.e. after that transaction committed. Then the relay is kicked (QUEUED goes out
 * at once) and the dispatcher woken (fast path).
 */
@ApplicationScoped
public class JobIngestor {

    private static final Logger LOG = Logger.getLogger(JobIngestor.class);

    private final NewJobFactory jobs;
    private final JobStore store;
    private final OutboxRelay relay;
    private final Dispatcher dispatcher;

    JobIngestor(NewJobFactory jobs, JobStore store, OutboxRelay relay, Dispatcher dispatcher) {
        this.jobs = jobs;
        this.store = store;
        this.relay = relay;
        this.dispatcher = dispatcher;
    }

    /** Completes when the job is durably stored (or already was); fails with the reason otherwise. */
    public Uni<Void> ingest(TaskRequested request, String traceParent) {
        NewJob job = jobs.create(request, traceParent);
        return store.insert(job)
                .invoke(runnable -> {
                    relay.kick();
                    if (runnable) {
                        LOG.infof("task %s: queued in %s", job.id(), job.queue().dbValue());
                        dispatcher.wake(job.queue());
                    }
                })
                .replaceWithVoid();
    }
}
