package io.dspysuite.orchestration.job.worker;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.dspy.client.DspyCallException;
import io.dspysuite.orchestration.dspy.client.DspyClient;
import io.dspysuite.orchestration.dspy.client.DspyErrorCodes;
import io.dspysuite.orchestration.dspy.client.DspyErrorMapper;
import io.dspysuite.orchestration.dspy.client.ExecuteRequests;
import io.dspysuite.orchestration.event.publish.TaskEventPublisher;
import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.smallrye.mutiny.Uni;

/**
 * Runs one claimed job: announces it RUNNING, calls the DSPy service, records the outcome, then publishes it.
 * <p>
 * Each outcome is committed before its events are published, and the events carry the seqs the commit allotted.
 * Publication failures are logged and swallowed: the job's state is already durable, and losing an event here is the
 * same gap a crash between commit and publish leaves (closed later by an outbox).
 */
@ApplicationScoped
public class JobExecutor {

    private static final Logger LOG = Logger.getLogger(JobExecutor.class);

    private final DspyClient dspy;
    private final JobStore store;
    private final TaskEvents events;
    private final TaskEventPublisher publisher;
    private final JobMetrics metrics;

    JobExecutor(DspyClient dspy, JobStore store, TaskEvents events, TaskEventPublisher publisher, JobMetrics metrics) {
        this.dspy = dspy;
        this.store = store;
        this.events = events;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    public Uni<Void> execute(ClaimedJob job) {
        TaskRef task = TaskRef.of(job.id().toString(), job.tenantId(), job.traceParent());
        LOG.infof("task %s: attempt %d started (queue %s)", task.taskId(), job.attempt(), job.queue().dbValue());
        // RUNNING is acknowledged before the call starts, so it precedes anything the call produces on the topic.
        return publishQuietly(task, List.of(events.running(task, job.runningSeq(), job.attempt())))
                .chain(() -> dspy.execute(ExecuteRequests.forAttempt(job.request(), job.attempt())))
                .onItemOrFailure().transformToUni((result, failure) -> failure == null
                        ? succeed(job, task, result)
                        : fail(job, task, toJobError(task, failure)));
    }

    private static JobError toJobError(TaskRef task, Throwable failure) {
        DspyCallException error = DspyErrorMapper.fromFailure(failure);
        if (DspyErrorCodes.INTERNAL.equals(error.code())) {
            // INTERNAL means a bug (here or in the DSPy service): keep the evidence.
            LOG.warnf(failure, "task %s: internal error", task.taskId());
        }
        return error.toJobError();
    }

    private Uni<Void> succeed(ClaimedJob job, TaskRef task, TaskResult result) {
        return store.complete(job.id(), job.attempt()).chain(lastSeq -> {
            if (lost(job, lastSeq)) {
                return Uni.createFrom().voidItem();
            }
            long seq = lastSeq.get();
            LOG.infof("task %s: attempt %d succeeded", task.taskId(), job.attempt());
            metrics.finished(job.queue(), "completed");
            return publishQuietly(task, List.of(events.result(task, seq - 1, result), events.succeeded(task, seq)));
        });
    }

    private Uni<Void> fail(ClaimedJob job, TaskRef task, JobError error) {
        // The walking skeleton discards on the first failed attempt; job-level retries (state 'retryable', backoff)
        // come with the durable engine and will consult error.retryable() and max_attempts here.
        return store.discard(job.id(), job.attempt(), error).chain(lastSeq -> {
            if (lost(job, lastSeq)) {
                return Uni.createFrom().voidItem();
            }
            long seq = lastSeq.get();
            LOG.infof("task %s: attempt %d failed with %s (retryable=%s), discarded", task.taskId(), job.attempt(),
                    error.code(), error.retryable());
            metrics.finished(job.queue(), "discarded");
            return publishQuietly(task, List.of(events.error(task, seq - 1, error), events.failed(task, seq)));
        });
    }

    private static boolean lost(ClaimedJob job, Optional<Long> lastSeq) {
        if (lastSeq.isEmpty()) {
            // Someone else owns the job now (lease rescued, cancelled): their events describe it, not ours.
            LOG.warnf("task %s: attempt %d no longer held by this replica, outcome dropped", job.id(), job.attempt());
            return true;
        }
        return false;
    }

    private Uni<Void> publishQuietly(TaskRef task, List<TaskEvent> batch) {
        return publisher.publishInOrder(batch)
                .onFailure().recoverWithUni(failure -> {
                    LOG.errorf(failure, "task %s: publishing events %d..%d failed; they are lost", task.taskId(),
                            batch.get(0).getSeq(), batch.get(batch.size() - 1).getSeq());
                    return Uni.createFrom().voidItem();
                });
    }
}
