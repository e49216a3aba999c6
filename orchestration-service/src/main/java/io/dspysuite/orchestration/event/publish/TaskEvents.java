package io.dspysuite.orchestration.event.publish;

import java.time.Clock;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;

import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.protos.dspy.v1.ProgressUpdate;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.dspysuite.protos.events.v1.Chunk;
import io.dspysuite.protos.events.v1.Error;
import io.dspysuite.protos.events.v1.Progress;
import io.dspysuite.protos.events.v1.Result;
import io.dspysuite.protos.events.v1.StatusChanged;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskStatus;

/**
 * Builds the {@link TaskEvent}s of a task, <em>without</em> their seq: the job store allots seqs in the same statement
 * that makes the events true and writes them to the outbox, and the relay stamps the seq on when it publishes
 * ({@link #withSeq}). That is what keeps a task's seqs gap-free and ordered across replicas.
 */
@ApplicationScoped
public class TaskEvents {

    private final Clock clock;

    @Inject
    public TaskEvents() {
        this(Clock.systemUTC());
    }

    public TaskEvents(Clock clock) {
        this.clock = clock;
    }

    public TaskEvent queued(TaskRef task) {
        return status(task, TaskStatus.TASK_STATUS_QUEUED, 0);
    }

    public TaskEvent running(TaskRef task, int attempt) {
        return status(task, TaskStatus.TASK_STATUS_RUNNING, attempt);
    }

    public TaskEvent succeeded(TaskRef task) {
        return status(task, TaskStatus.TASK_STATUS_SUCCEEDED, 0);
    }

    public TaskEvent failed(TaskRef task) {
        return status(task, TaskStatus.TASK_STATUS_FAILED, 0);
    }

    public TaskEvent cancelled(TaskRef task) {
        return status(task, TaskStatus.TASK_STATUS_CANCELLED, 0);
    }

    /**
     * The result of a predict or evaluate task. An evaluation travels in {@code outputs} (see
     * {@link TaskResults#evaluationOutputs}), since {@code events.v1.Result} has no field of its own for it.
     */
    public TaskEvent result(TaskRef task, TaskResult result) {
        Struct outputs = result.hasEvaluation()
                ? TaskResults.merge(result.getOutputs(), TaskResults.evaluationOutputs(result.getEvaluation()))
                : result.getOutputs();
        return result(task, result, outputs);
    }

    /** The result of an optimize task: the program version it created travels in {@code outputs}. */
    public TaskEvent optimized(TaskRef task, TaskResult result, String program, int version, int baseVersion) {
        return result(task, result, TaskResults.merge(result.getOutputs(),
                TaskResults.optimizationOutputs(result.getOptimization(), program, version, baseVersion)));
    }

    private TaskEvent result(TaskRef task, TaskResult result, Struct outputs) {
        Result payload = Result.newBuilder()
                .setOutputs(outputs)
                .setUsage(result.getUsage())
                .setModel(result.getModel())
                .build();
        return envelope(task).setResult(payload).build();
    }

    public TaskEvent error(TaskRef task, JobError error) {
        Error payload = Error.newBuilder()
                .setCode(error.code())
                .setMessage(error.message())
                .setRetryable(error.retryable())
                .build();
        return envelope(task).setError(payload).build();
    }

    /**
     * A progress event: the DSPy service's update field by field (fraction, message, phase, step/total, current and
     * best score; the scores only when the service sent them).
     */
    public TaskEvent progress(TaskRef task, ProgressUpdate update) {
        Progress.Builder progress = Progress.newBuilder()
                .setFraction(update.getFraction())
                .setMessage(update.getMessage())
                .setPhase(update.getPhase())
                .setStep(update.getStep())
                .setTotal(update.getTotal());
        if (update.hasCurrentScore()) {
            progress.setCurrentScore(update.getCurrentScore());
        }
        if (update.hasBestScore()) {
            progress.setBestScore(update.getBestScore());
        }
        return envelope(task).setProgress(progress).build();
    }

    public TaskEvent chunk(TaskRef task, String field, String text) {
        return envelope(task).setChunk(Chunk.newBuilder().setField(field).setText(text)).build();
    }

    /** The event as published: with the seq the store allotted to it. */
    public static TaskEvent withSeq(TaskEvent event, long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("event seqs start at 1, got " + seq);
        }
        return event.toBuilder().setSeq(seq).build();
    }

    private TaskEvent status(TaskRef task, TaskStatus status, int attempt) {
        return envelope(task)
                .setStatus(StatusChanged.newBuilder().setStatus(status).setAttempt(attempt))
                .build();
    }

    private TaskEvent.Builder envelope(TaskRef task) {
        Instant now = clock.instant();
        return TaskEvent.newBuilder()
                .setTaskId(task.taskId())
                .setTenantId(task.tenantId())
                .setTraceId(task.traceId())
                .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
    }
}
