package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.observability.TaskLogContext;
import io.vertx.mutiny.core.Vertx;

/**
 * Self-fencing: an attempt whose lease this replica could not confirm (its heartbeats fail or hang: the database
 * restarts, this replica is starved) is stopped <em>before</em> another replica can rescue the job, so two attempts of
 * one job never run at once. When the lease has gone unconfirmed until only {@code margin} of it is left, the attempt
 * is fenced: its DSPy call is cancelled and its outcome is not written (the database's guard would reject it once the
 * job is rescued anyway); the job is rescued when its lease expires, like a dead replica's.
 * <p>
 * Clocks: this replica measures on its monotonic clock ({@link System#nanoTime()}, immune to wall-clock steps) from
 * the moment it <em>sent</em> the statement that set the lease (claim or heartbeat); the database starts the lease at
 * its own {@code now()}, which comes later, and rescues on that same clock ({@code lease_expires_at < now()}). Both
 * ends of the lease are thus read from one clock and any offset between the two clocks cancels out: in real time the
 * database cannot rescue before {@code sent + lease} (up to the rate difference of the clocks, a few ms over a lease
 * for NTP-disciplined clocks). The margin covers what remains: the delay of the fence's own timer (a busy event loop,
 * a GC pause), the cancellation reaching the DSPy service, and that rate difference. Not covered: a step of the
 * database host's wall clock during a lease, and a replica frozen (SIGSTOP, a long stop-the-world pause) across the
 * whole margin: then nothing in the process runs, and the database guard on every write is the fence.
 * <p>
 * The default margin is half a heartbeat interval: large against the delays above (2.5 s with 5 s heartbeats), and
 * smaller than one interval so that a single lost heartbeat (a database blip) never stops a healthy attempt, since the
 * next heartbeat confirms the lease before the fence is due whenever the lease spans three heartbeats or more.
 */
@ApplicationScoped
public class LeaseFence {

    private static final Logger LOG = Logger.getLogger(LeaseFence.class);

    private final InFlightJobs inFlight;
    private final Vertx vertx;
    private final long marginNanos;

    LeaseFence(InFlightJobs inFlight, Vertx vertx, QueuesConfig queues,
            @ConfigProperty(name = "dspy-suite.jobs.heartbeat-interval", defaultValue = "10s") Duration heartbeatInterval,
            @ConfigProperty(name = "dspy-suite.jobs.lease-margin") Optional<Duration> configuredMargin) {
        Duration margin = configuredMargin.orElse(heartbeatInterval.dividedBy(2));
        if (margin.isNegative() || margin.isZero()) {
            throw new IllegalStateException("dspy-suite.jobs.lease-margin must be positive: " + margin);
        }
        for (JobQueue queue : JobQueue.values()) {
            Duration lease = queues.of(queue).lease();
            // A healthy replica renews every heartbeat interval: it must always be confirmed before it is fenced.
            if (lease.minus(margin).compareTo(heartbeatInterval) <= 0) {
                throw new IllegalStateException("dspy-suite.queues." + queue.dbValue() + ".lease (" + lease
                        + ") minus dspy-suite.jobs.lease-margin (" + margin
                        + ") must exceed dspy-suite.jobs.heartbeat-interval (" + heartbeatInterval + ")");
            }
        }
        this.inFlight = inFlight;
        this.vertx = vertx;
        this.marginNanos = margin.toNanos();
    }

    /**
     * Whether a just-claimed job's lease is already too close to its end to start the attempt (the claim's answer came
     * late: a starved replica, a slow database). Then the attempt is not started at all and the job is rescued when
     * its lease expires.
     */
    boolean tooLateToStart(ClaimedJob job) {
        return job.claimSentNanos() + job.lease().toNanos() - marginNanos - System.nanoTime() <= 0;
    }

    /** Fences {@code attempt} when its lease has not been confirmed for {@code lease - margin}. */
    void watch(InFlightJobs.Running attempt) {
        arm(attempt);
    }

    // One timer per attempt, due when the fence would be: it re-arms itself if a renewal moved the fence meanwhile,
    // so a heartbeat costs no timer work and an ended attempt's timer fires once more and stops.
    private void arm(InFlightJobs.Running attempt) {
        long wait = attempt.lease().nanosUntilFence(System.nanoTime(), marginNanos);
        if (wait <= 0) {
            fence(attempt);
            return;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(wait + TimeUnit.MILLISECONDS.toNanos(1) - 1);
        vertx.setTimer(Math.max(1, millis), id -> {
            if (inFlight.contains(attempt) && !attempt.lease().fenced()) {
                arm(attempt);
            }
        });
    }

    private void fence(InFlightJobs.Running attempt) {
        if (!attempt.lease().fence()) {
            return;
        }
        ClaimedJob job = attempt.job();
        long unconfirmed = TimeUnit.NANOSECONDS.toMillis(attempt.lease().unconfirmedNanos(System.nanoTime()));
        TaskLogContext.logAbout(job.id().toString(), job.tenantId(), () -> LOG.warnf(
                "task %s: attempt %d self-fenced: its lease (%d ms) has not been confirmed for %d ms, so another "
                        + "replica may rescue the job in %d ms; cancelling its call, its outcome will not be written",
                job.id(), job.attempt(), job.lease().toMillis(), unconfirmed,
                Math.max(0, job.lease().toMillis() - unconfirmed)));
        attempt.call().cancel();
    }
}
