package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.observability.TaskLogContext;
import io.vertx.core.Vertx;

/**
 * Claims and runs the jobs of one queue on this replica, never more than {@code concurrency} at a time.
 * <p>
 * Lock-free: at most one claim query per queue is in flight ({@code claiming}); wake-ups that arrive meanwhile set
 * {@code wakeRequested} and are served when it returns. Slots are counted when a claim returns and released when a
 * job ends, and since only one claim runs at a time and it asks for the free slots only, the limit always holds.
 */
final class QueueRunner {

    private static final Logger LOG = Logger.getLogger(QueueRunner.class);

    private final JobQueue queue;
    private final int concurrency;
    private final Duration lease;
    private final String replicaId;
    private final JobStore store;
    private final JobExecutor executor;
    private final DspyCircuit circuit;
    private final OutboxRelay relay;
    private final Vertx vertx;

    private final AtomicInteger executing = new AtomicInteger();
    private final AtomicBoolean claiming = new AtomicBoolean();
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    private volatile boolean stopped;

    QueueRunner(JobQueue queue, int concurrency, Duration lease, String replicaId, JobStore store,
            JobExecutor executor, DspyCircuit circuit, OutboxRelay relay, Vertx vertx) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("queue " + queue.dbValue() + ": concurrency must be at least 1");
        }
        this.queue = queue;
        this.concurrency = concurrency;
        this.lease = lease;
        this.replicaId = replicaId;
        this.store = store;
        this.executor = executor;
        this.circuit = circuit;
        this.relay = relay;
        this.vertx = vertx;
    }

    /** Asks the runner to look for work now; cheap and safe to call from any thread, as often as one likes. */
    void wake() {
        wakeRequested.set(true);
        drain();
    }

    void stop() {
        stopped = true;
    }

    int executing() {
        return executing.get();
    }

    private void drain() {
        while (!stopped && wakeRequested.get() && claiming.compareAndSet(false, true)) {
            wakeRequested.set(false);
            if (circuit.holdsClaims()) {
                // The DSPy service is failing: leave the jobs waiting (no attempt spent); the poll looks again.
                claiming.set(false);
                return;
            }
            int free = concurrency - executing.get();
            if (free <= 0) {
                // Full: a finishing job wakes us. Re-check, since that wake-up may have found `claiming` taken.
                claiming.set(false);
                continue;
            }
            // A wake-up may come from a task's own (tagged) context; the claim is about other tasks.
            TaskLogContext.runUntagged(vertx, () -> store.claim(queue, free, lease, replicaId))
                    .subscribe().with(this::claimed, this::claimFailed);
            return;
        }
    }

    private void claimed(List<ClaimedJob> jobs) {
        executing.addAndGet(jobs.size());
        claiming.set(false);
        if (!jobs.isEmpty()) {
            relay.kick(); // their RUNNING events
        }
        jobs.forEach(this::start);
        drain();
    }

    private void claimFailed(Throwable failure) {
        claiming.set(false);
        // No immediate retry: the periodic poll tries again, so a database outage does not turn into a busy loop.
        LOG.errorf(failure, "claiming jobs of queue %s failed", queue.dbValue());
    }

    /** Each attempt runs on a duplicated context of its own, so its log lines carry its task id and tenant. */
    private void start(ClaimedJob job) {
        TaskLogContext.run(vertx, job.id().toString(), job.tenantId(), () -> executor.execute(job))
                .onTermination().invoke(this::release)
                .subscribe().with(
                        ignored -> {
                        },
                        failure -> LOG.errorf(failure,
                                "task %s: attempt %d did not finish cleanly; its lease will expire", job.id(),
                                job.attempt()));
    }

    private void release() {
        executing.decrementAndGet();
        wake();
    }
}
