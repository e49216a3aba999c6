package io.dspysuite.orchestration.admin.service;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.internalapi.InternalApiException;
import io.dspysuite.orchestration.job.control.JobCancellation;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.model.JobFilter;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.JobView;
import io.dspysuite.orchestration.job.store.JobQueries;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.job.store.JobStore.OperatorOutcome;
import io.dspysuite.orchestration.job.worker.Dispatcher;
import io.dspysuite.orchestration.job.worker.InFlightJobs;
import io.dspysuite.orchestration.job.worker.QueuesConfig;
import io.smallrye.mutiny.Uni;

/**
 * What operators may see and do to jobs. Every change is decided by the job's row (a conditional UPDATE, or the row
 * locked), never by what was read before, so it is safe against workers of any replica; events go through the same
 * outbox as the engine's, so every task still has exactly one final event.
 */
@ApplicationScoped
public class JobAdministration {

    private static final Logger LOG = Logger.getLogger(JobAdministration.class);

    /** The error a discarded job ends with: final, never retried. */
    public static final JobError DISCARDED = new JobError("DISCARDED_BY_OPERATOR", "discarded by an operator", false);

    private final JobQueries queries;
    private final JobStore store;
    private final JobCancellation cancellation;
    private final Dispatcher dispatcher;
    private final InFlightJobs inFlight;
    private final OutboxRelay relay;
    private final QueuesConfig queues;

    JobAdministration(JobQueries queries, JobStore store, JobCancellation cancellation, Dispatcher dispatcher,
            InFlightJobs inFlight, OutboxRelay relay, QueuesConfig queues) {
        this.queries = queries;
        this.store = store;
        this.cancellation = cancellation;
        this.dispatcher = dispatcher;
        this.inFlight = inFlight;
        this.relay = relay;
        this.queues = queues;
    }

    /** Every configured queue, empty ones included. */
    public Uni<List<QueueStats>> queues() {
        return queries.depths().map(depths -> depths.stream()
                .map(depth -> new QueueStats(depth, queues.of(depth.queue()).concurrency(),
                        dispatcher.inFlight(depth.queue())))
                .toList());
    }

    public Uni<JobPage> list(JobFilter filter) {
        return queries.list(filter, filter.limit() + 1).map(rows -> {
            if (rows.size() <= filter.limit()) {
                return new JobPage(rows, null);
            }
            List<JobView> page = rows.subList(0, filter.limit());
            JobView last = page.get(page.size() - 1);
            return new JobPage(page, JobCursor.encode(new JobFilter.Position(last.insertedAt(), last.id())));
        });
    }

    /** Decodes a cursor of {@link #list}; 400 {@code INVALID_CURSOR} when it is not one. */
    public static JobFilter.Position cursor(String cursor) {
        return JobCursor.decode(cursor);
    }

    public Uni<JobView> get(UUID id) {
        return queries.find(id).map(found -> found.orElseThrow(() -> notFound(id)));
    }

    /** A waiting job runs now (scheduled_at = now, dispatched); an executing or finished one is a 409. */
    public Uni<JobView> retry(UUID id) {
        return store.retryNow(id).chain(outcome -> switch (outcome) {
            case APPLIED_WAITING, APPLIED_EXECUTING -> get(id).invoke(job -> {
                LOG.infof("task %s: made available now by an operator", id);
                dispatcher.wake(JobQueue.valueOf(job.queue().toUpperCase(Locale.ROOT)));
            });
            case EXECUTING -> Uni.createFrom().failure(new InternalApiException(409, "JOB_EXECUTING",
                    "job " + id + " is executing; only a waiting job can be retried now"));
            case FINISHED -> Uni.createFrom().failure(finished(id));
            case NOT_FOUND -> Uni.createFrom().failure(notFound(id));
        });
    }

    /** The tenants' cancellation path, for any tenant's job: one CANCELLED event, a running call cancelled. */
    public Uni<JobView> cancel(UUID id) {
        return cancellation.byOperator(id).chain(outcome -> switch (outcome) {
            case CANCELLED_WAITING, CANCELLED_EXECUTING -> get(id);
            case ALREADY_FINISHED -> Uni.createFrom().failure(finished(id));
            case NOT_FOUND, REMEMBERED, TENANT_MISMATCH -> Uni.createFrom().failure(notFound(id));
        });
    }

    /**
     * An unfinished job ends {@code discarded} (FAILED, error {@code DISCARDED_BY_OPERATOR}, not retryable). The row
     * decides first (locked, then updated with its events); a running call is then stopped — here at once, on another
     * replica by its next heartbeat — and whatever that attempt reports is rejected by its guard.
     */
    public Uni<JobView> discard(UUID id) {
        return store.discardByOperator(id, DISCARDED, "operator").chain(outcome -> switch (outcome) {
            case APPLIED_WAITING, APPLIED_EXECUTING -> {
                boolean here = outcome == OperatorOutcome.APPLIED_EXECUTING && inFlight.cancel(id);
                LOG.infof("task %s: discarded by an operator%s", id, here ? " (its running call stopped)" : "");
                relay.kick();
                yield get(id);
            }
            case FINISHED -> Uni.createFrom().failure(finished(id));
            case NOT_FOUND -> Uni.createFrom().failure(notFound(id));
            case EXECUTING -> throw new IllegalStateException("a discard applies to executing jobs");
        });
    }

    private static InternalApiException notFound(UUID id) {
        return InternalApiException.notFound("JOB_NOT_FOUND", "no job " + id);
    }

    private static InternalApiException finished(UUID id) {
        return new InternalApiException(409, "JOB_FINISHED",
                "job " + id + " has finished; its final event was published, so it is never changed again");
    }
}
