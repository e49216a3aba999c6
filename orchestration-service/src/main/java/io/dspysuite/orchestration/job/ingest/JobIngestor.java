package io.dspysuite.orchestration.job.ingest;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.TaskEventPublisher;
import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.NewJob;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.job.worker.Dispatcher;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;

/**
 * Turns a task request into a stored job, idempotently: a redelivered request (same task id) changes nothing and
 * publishes nothing.
 * <p>
 * Order of work, and why: (1) skip if the job exists; (2) publish QUEUED (seq 1) and wait for the broker's ack;
 * (3) insert the row ({@code ON CONFLICT DO NOTHING}); (4) wake the dispatcher. Publishing before the insert makes
 * QUEUED precede RUNNING on the topic even when another replica's poller claims the row the instant it is committed,
 * which publishing after the insert could not promise. A crash between (2) and (3) only means the request is
 * redelivered and QUEUED published twice with the same seq, which consumers deduplicate; QUEUED is never lost.
 * The Kafka offset is committed only after the returned {@link Uni} completed, i.e. after the row is committed.
 */
@ApplicationScoped
public class JobIngestor {

    private static final Logger LOG = Logger.getLogger(JobIngestor.class);

    private final NewJobFactory jobs;
    private final JobStore store;
    private final TaskEvents events;
    private final TaskEventPublisher publisher;
    private final Dispatcher dispatcher;

    JobIngestor(NewJobFactory jobs, JobStore store, TaskEvents events, TaskEventPublisher publisher,
            Dispatcher dispatcher) {
        this.jobs = jobs;
        this.store = store;
        this.events = events;
        this.publisher = publisher;
        this.dispatcher = dispatcher;
    }

    /** Completes when the job is durably stored (or already was); fails with the reason otherwise. */
    public Uni<Void> ingest(TaskRequested request, String traceParent) {
        NewJob job = jobs.create(request, traceParent);
        TaskRef task = TaskRef.of(job.id().toString(), job.tenantId(), traceParent);
        return store.exists(job.id()).chain(exists -> {
            if (exists) {
                LOG.debugf("task %s: duplicate request ignored", task.taskId());
                return Uni.createFrom().voidItem();
            }
            return publisher.publish(events.queued(task))
                    .chain(() -> store.insert(job))
                    .invoke(inserted -> {
                        if (inserted) {
                            LOG.infof("task %s: queued in %s", task.taskId(), job.queue().dbValue());
                            dispatcher.wake(job.queue());
                        }
                    })
                    .replaceWithVoid();
        });
    }
}
