package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.observability.TaskLogContext;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;

/**
 * Leases: renews the leases of the attempts running here (heartbeat; each answered renewal confirms the attempt's lease
 * for {@link LeaseFence}, which stops attempts whose lease went unconfirmed too long), stops attempts whose job this
 * replica no longer holds (cancelled on another replica, or rescued after a pause), and rescues jobs whose lease
 * expired because their replica died ({@code FOR UPDATE SKIP LOCKED}, so any number of replicas may rescue at once).
 */
@ApplicationScoped
public class LeaseKeeper {

    private static final Logger LOG = Logger.getLogger(LeaseKeeper.class);
    private static final int RESCUE_BATCH = 100;
    private static final int MAX_HEARTBEATS_IN_FLIGHT = 2;

    private final JobStore store;
    private final InFlightJobs inFlight;
    private final Replica replica;
    private final Dispatcher dispatcher;
    private final OutboxRelay relay;
    private final Vertx vertx;
    private final Duration heartbeatInterval;
    private final Duration rescueInterval;
    /** Heartbeat statements sent and not answered yet (bounded: a database that hangs must not collect them). */
    private final AtomicInteger heartbeatsInFlight = new AtomicInteger();
    private final AtomicBoolean rescuing = new AtomicBoolean();
    private long heartbeatTimer = -1;
    private long rescueTimer = -1;

    LeaseKeeper(JobStore store, InFlightJobs inFlight, Replica replica, Dispatcher dispatcher, OutboxRelay relay,
            Vertx vertx, QueuesConfig queues,
            @ConfigProperty(name = "dspy-suite.jobs.heartbeat-interval", defaultValue = "10s") Duration heartbeatInterval,
            @ConfigProperty(name = "dspy-suite.jobs.rescue-interval", defaultValue = "5s") Duration rescueInterval) {
        for (JobQueue queue : JobQueue.values()) {
            Duration lease = queues.of(queue).lease();
            if (lease.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
                throw new IllegalStateException("dspy-suite.queues." + queue.dbValue() + ".lease (" + lease
                        + ") must be at least twice dspy-suite.jobs.heartbeat-interval (" + heartbeatInterval + ")");
            }
        }
        this.store = store;
        this.inFlight = inFlight;
        this.replica = replica;
        this.dispatcher = dispatcher;
        this.relay = relay;
        this.vertx = vertx;
        this.heartbeatInterval = heartbeatInterval;
        this.rescueInterval = rescueInterval;
    }

    void onStart(@Observes StartupEvent event) {
        rescueOrphans();
        heartbeatTimer = vertx.setPeriodic(heartbeatInterval.toMillis(), id -> heartbeat());
        rescueTimer = vertx.setPeriodic(rescueInterval.toMillis(), id -> rescue());
    }

    void onStop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(heartbeatTimer);
        vertx.cancelTimer(rescueTimer);
    }

    void heartbeat() {
        // Fenced attempts are being stopped: renewing their leases would only delay the rescue of their jobs.
        List<InFlightJobs.Running> running = inFlight.snapshot().stream()
                .filter(attempt -> !attempt.lease().fenced()).toList();
        if (running.isEmpty() || heartbeatsInFlight.get() >= MAX_HEARTBEATS_IN_FLIGHT) {
            return;
        }
        heartbeatsInFlight.incrementAndGet();
        List<ClaimedJob> jobs = running.stream().map(InFlightJobs.Running::job).toList();
        // Read before the statement is sent: the database's now() that starts the renewed leases comes later.
        long sentNanos = System.nanoTime();
        // A slow heartbeat does not hold back the next one (up to MAX_HEARTBEATS_IN_FLIGHT), and its late answer still
        // counts: it is stamped with the moment it was sent, before the database's now() renewed the leases, so a
        // slow but live database confirms leases instead of fencing every attempt.
        store.heartbeat(jobs, replica.id())
                .onTermination().invoke(heartbeatsInFlight::decrementAndGet)
                .subscribe().with(renewed -> confirm(running, renewed, sentNanos),
                        failure -> LOG.warnf(failure, "renewing %d lease(s) failed", jobs.size()));
    }

    private void confirm(List<InFlightJobs.Running> running, List<ClaimedJob> renewed, long sentNanos) {
        Set<ClaimedJob> held = Set.copyOf(renewed);
        for (InFlightJobs.Running attempt : running) {
            if (held.contains(attempt.job())) {
                attempt.lease().renewed(sentNanos);
            } else {
                stopLost(attempt.job());
            }
        }
    }

    private void stopLost(ClaimedJob job) {
        TaskLogContext.logAbout(job.id().toString(), job.tenantId(), () -> LOG.infof(
                "task %s: attempt %d is no longer held here (cancelled or rescued); stopping its call",
                job.id(), job.attempt()));
        inFlight.cancel(job);
    }

    /** Once at start: the jobs this replica's previous incarnation left running run again now. */
    void rescueOrphans() {
        store.rescueOrphans(replica.name(), replica.id(), RESCUE_BATCH * 10).subscribe().with(queues -> {
            if (!queues.isEmpty()) {
                LOG.warnf("rescued %d job(s) left running by a previous incarnation of replica %s", queues.size(),
                        replica.name());
                relay.kick();
                queues.stream().distinct().forEach(dispatcher::wake);
            }
        }, failure -> LOG.warnf(failure, "rescuing the jobs of a previous incarnation failed; their leases will expire"));
    }

    void rescue() {
        if (!rescuing.compareAndSet(false, true)) {
            return;
        }
        store.rescueExpired(RESCUE_BATCH)
                .onTermination().invoke(() -> rescuing.set(false))
                .subscribe().with(queues -> {
                    if (!queues.isEmpty()) {
                        LOG.warnf("rescued %d job(s) whose lease expired", queues.size());
                        relay.kick();
                        queues.stream().distinct().forEach(dispatcher::wake);
                    }
                }, failure -> LOG.warnf(failure, "rescuing expired leases failed"));
    }
}
