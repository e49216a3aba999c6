package io.dspysuite.orchestration.event.publish;

import java.time.Clock;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.dspysuite.protos.events.v1.Error;
import io.dspysuite.protos.events.v1.Result;
import io.dspysuite.protos.events.v1.StatusChanged;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskStatus;

/**
 * Builds the {@link TaskEvent}s of a task. The caller supplies the seq: it is allotted by the job store in the same
 * statement that makes the event true, which is what keeps a task's seqs gap-free across replicas.
 */
@ApplicationScoped
public class TaskEvents {

    /** The first event of every task. */
    public static final long QUEUED_SEQ = 1;

    private final Clock clock;

    @Inject
    public TaskEvents() {
        this(Clock.systemUTC());
    }

    public TaskEvents(Clock clock) {
        this.clock = clock;
    }

    public TaskEvent queued(TaskRef task) {
        return status(task, QUEUED_SEQ, TaskStatus.TASK_STATUS_QUEUED, 0);
    }

    public TaskEvent running(TaskRef task, long seq, int attempt) {
        return status(task, seq, TaskStatus.TASK_STATUS_RUNNING, attempt);
    }

    public TaskEvent succeeded(TaskRef task, long seq) {
        return status(task, seq, TaskStatus.TASK_STATUS_SUCCEEDED, 0);
    }

    public TaskEvent failed(TaskRef task, long seq) {
        return status(task, seq, TaskStatus.TASK_STATUS_FAILED, 0);
    }

    public TaskEvent result(TaskRef task, long seq, TaskResult result) {
        Result payload = Result.newBuilder()
                .setOutputs(result.getOutputs())
                .setUsage(result.getUsage())
                .setModel(result.getModel())
                .build();
        return envelope(task, seq).setResult(payload).build();
    }

    public TaskEvent error(TaskRef task, long seq, JobError error) {
        Error payload = Error.newBuilder()
                .setCode(error.code())
                .setMessage(error.message())
                .setRetryable(error.retryable())
                .build();
        return envelope(task, seq).setError(payload).build();
    }

    private TaskEvent status(TaskRef task, long seq, TaskStatus status, int attempt) {
        return envelope(task, seq)
                .setStatus(StatusChanged.newBuilder().setStatus(status).setAttempt(attempt))
                .build();
    }

    private TaskEvent.Builder envelope(TaskRef task, long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("event seqs start at 1, got " + seq);
        }
        Instant now = clock.instant();
        return TaskEvent.newBuilder()
                .setTaskId(task.taskId())
                .setTenantId(task.tenantId())
                .setSeq(seq)
                .setTraceId(task.traceId())
                .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
    }
}
