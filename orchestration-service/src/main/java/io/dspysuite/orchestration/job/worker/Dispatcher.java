package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.store.JobStore;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Feeds the queue runners. Two triggers: the ingest's wake-up right after it stored a job (the fast path, no polling
 * latency) and a periodic poll, the durable backstop that finds everything else (jobs stored by other replicas, jobs
 * left waiting while all slots were busy, wake-ups lost to a failure).
 */
@ApplicationScoped
public class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class);

    private final Map<JobQueue, QueueRunner> runners = new EnumMap<>(JobQueue.class);
    private final Vertx vertx;
    private final Duration pollInterval;
    private long pollTimer = -1;

    Dispatcher(QueuesConfig config, JobStore store, JobExecutor executor, Vertx vertx,
            Replica replica, DspyCircuit circuit, OutboxRelay relay,
            @ConfigProperty(name = "dspy-suite.dispatcher.poll-interval", defaultValue = "500ms") Duration pollInterval) {
        this.vertx = vertx;
        this.pollInterval = pollInterval;
        String replicaId = replica.id();
        for (JobQueue queue : JobQueue.values()) {
            QueuesConfig.Queue settings = config.of(queue);
            runners.put(queue, new QueueRunner(queue, settings.concurrency(), settings.lease(), replicaId, store,
                    executor, circuit, relay, vertx));
        }
    }

    void onStart(@Observes StartupEvent event) {
        // A Vert.x timer rather than @Scheduled: Quarkus' scheduler ticks once a second at best, and the poll is
        // non-blocking, so the event loop is the right place for it anyway.
        pollTimer = vertx.setPeriodic(pollInterval.toMillis(), id -> poll());
        LOG.infof("dispatcher polling queues %s every %d ms", runners.keySet(), pollInterval.toMillis());
    }

    void onStop(@Observes ShutdownEvent event) {
        // Stop claiming; jobs still executing finish if the process lives long enough, else their leases lapse.
        vertx.cancelTimer(pollTimer);
        runners.values().forEach(QueueRunner::stop);
    }

    /** A job was just stored in {@code queue}: try to run it at once. */
    public void wake(JobQueue queue) {
        runners.get(queue).wake();
    }

    /** Jobs of {@code queue} running on this replica now (its slots in use). */
    public int inFlight(JobQueue queue) {
        return runners.get(queue).executing();
    }

    void poll() {
        runners.values().forEach(QueueRunner::wake);
    }
}
