package io.dspysuite.orchestration.job.control;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.job.store.JobStore.CancelOutcome;
import io.dspysuite.orchestration.job.worker.InFlightJobs;
import io.smallrye.mutiny.Uni;

/**
 * The one cancellation path, for tenants (via {@code dspy.tasks.control}) and operators (admin API): the job's row
 * decides in one transaction (exactly one CANCELLED event); then the running call, if this replica runs it, is
 * cancelled at once (else by the owning replica's next heartbeat, which finds the job no longer held), and the relay
 * is kicked so the event goes out now.
 */
@ApplicationScoped
public class JobCancellation {

    private static final Logger LOG = Logger.getLogger(JobCancellation.class);

    private final JobStore store;
    private final InFlightJobs inFlight;
    private final OutboxRelay relay;

    JobCancellation(JobStore store, InFlightJobs inFlight, OutboxRelay relay) {
        this.store = store;
        this.inFlight = inFlight;
        this.relay = relay;
    }

    /** A tenant's cancellation: only its own job; one that has not arrived yet is remembered. */
    public Uni<CancelOutcome> byTenant(UUID id, String tenantId) {
        return store.cancel(id, tenantId).invoke(outcome -> applied(id, outcome, "tenant"));
    }

    /** An operator's cancellation: any tenant's job; an unknown one is {@link CancelOutcome#NOT_FOUND}. */
    public Uni<CancelOutcome> byOperator(UUID id) {
        return store.cancelByOperator(id).invoke(outcome -> applied(id, outcome, "operator"));
    }

    private void applied(UUID id, CancelOutcome outcome, String by) {
        switch (outcome) {
            case CANCELLED_WAITING -> {
                LOG.infof("task %s: cancelled by %s while waiting", id, by);
                relay.kick();
            }
            case CANCELLED_EXECUTING -> {
                boolean here = inFlight.cancel(id);
                LOG.infof("task %s: cancelled by %s while executing (call stopped %s)", id, by,
                        here ? "here" : "by its replica's next heartbeat");
                relay.kick();
            }
            case ALREADY_FINISHED -> LOG.debugf("task %s: cancel of a finished task ignored", id);
            case TENANT_MISMATCH -> LOG.warnf("task %s: cancel from another tenant ignored", id);
            case REMEMBERED -> LOG.infof("task %s: cancel before the request; remembered", id);
            case NOT_FOUND -> LOG.debugf("task %s: cancel of an unknown task", id);
        }
    }
}
