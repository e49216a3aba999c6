package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.dspy.client.DspyCallCancelledException;
import io.dspysuite.orchestration.dspy.client.DspyCallException;
import io.dspysuite.orchestration.dspy.client.DspyCallHandle;
import io.dspysuite.orchestration.dspy.client.DspyClient;
import io.dspysuite.orchestration.dspy.client.DspyErrorCodes;
import io.dspysuite.orchestration.dspy.client.DspyErrorMapper;
import io.dspysuite.orchestration.dspy.client.DspyServiceUnavailableException;
import io.dspysuite.orchestration.dspy.client.ExecuteRequests;
import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobError;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.observability.TaskLogContext;
import io.dspysuite.orchestration.program.model.ResolvedProgram;
import io.dspysuite.orchestration.program.service.ProgramResolver;
import io.dspysuite.orchestration.program.service.VersionMetadata;
import io.dspysuite.orchestration.program.store.ProgramStore;
import io.dspysuite.orchestration.tool.service.JavaToolRunner;
import io.dspysuite.orchestration.tool.service.ToolCallRecord;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;

/**
 * Runs one claimed attempt: resolves its program against the tenant's registry (a named version becomes its source and
 * DSPy JSON state), calls the DSPy service (per-kind deadline, the request's trace context restored), forwards
 * its progress and chunks, answers the calls of the Java tools its program names (the call is then
 * {@code ExecuteInteractive}; each tool call becomes a progress event), and records the outcome with its events in one
 * statement:
 * <ul>
 * <li>success: {@code completed} (result, SUCCEEDED); an optimization also stores the program version it compiled,
 * in the same transaction;</li>
 * <li>the DSPy service unavailable (connection refused or lost, nothing received before the deadline, circuit breaker
 * open: {@link DspyServiceUnavailableException}): back to {@code available} after a delay, the attempt not counted
 * (QUEUED), until the outage has lasted {@code dspy-suite.retry.unavailable-max-wait} for the job; then
 * {@code discarded} with {@code DSPY_SERVICE_UNAVAILABLE};</li>
 * <li>transient failure with attempts left: {@code retryable} at now + backoff with jitter (QUEUED);</li>
 * <li>otherwise: {@code discarded} (error, FAILED).</li>
 * </ul>
 * Every outcome is guarded by attempt and owner: an attempt that lost its job (cancelled, lease rescued) changes
 * nothing. An attempt fenced by {@link LeaseFence} (its lease went unconfirmed) writes no outcome at all, and one
 * whose claim answered too late to hold its lease is not started. Events reach Kafka through the outbox.
 */
@ApplicationScoped
public class JobExecutor {

    private static final Logger LOG = Logger.getLogger(JobExecutor.class);

    private final DspyClient dspy;
    private final JobStore store;
    private final TaskEvents events;
    private final OutboxRelay relay;
    private final JobMetrics metrics;
    private final KindsConfig kinds;
    private final RetryPolicy retries;
    private final InFlightJobs inFlight;
    private final JobTracing tracing;
    private final Vertx vertx;
    private final Duration chunkCoalesce;
    private final ProgramResolver programs;
    private final ProgramStore programStore;
    private final JavaToolRunner tools;
    private final LeaseFence fence;

    JobExecutor(DspyClient dspy, JobStore store, TaskEvents events, OutboxRelay relay, JobMetrics metrics,
            KindsConfig kinds, RetryPolicy retries, InFlightJobs inFlight, JobTracing tracing, Vertx vertx,
            @ConfigProperty(name = "dspy-suite.outbox.chunk-coalesce", defaultValue = "50ms") Duration chunkCoalesce,
            ProgramResolver programs, ProgramStore programStore, JavaToolRunner tools, LeaseFence fence) {
        this.fence = fence;
        this.tools = tools;
        this.programs = programs;
        this.programStore = programStore;
        this.dspy = dspy;
        this.store = store;
        this.events = events;
        this.relay = relay;
        this.metrics = metrics;
        this.kinds = kinds;
        this.retries = retries;
        this.inFlight = inFlight;
        this.tracing = tracing;
        this.vertx = vertx;
        this.chunkCoalesce = chunkCoalesce;
    }

    public Uni<Void> execute(ClaimedJob job) {
        TaskRef task = TaskRef.of(job.id().toString(), job.tenantId(), job.traceParent());
        Duration timeout = kinds.of(job.request().getKind()).timeout();
        if (fence.tooLateToStart(job)) {
            LOG.warnf("task %s: attempt %d/%d not started: its claim was answered too late to hold the lease (%d ms); "
                    + "the job is rescued when the lease expires", task.taskId(), job.attempt(), job.maxAttempts(),
                    job.lease().toMillis());
            return Uni.createFrom().voidItem();
        }
        LOG.infof("task %s: attempt %d/%d started (queue %s)", task.taskId(), job.attempt(), job.maxAttempts(),
                job.queue().dbValue());
        Span span = tracing.startAttempt(job);
        metrics.started(job);
        Instant started = Instant.now();
        AttemptEvents updates = new AttemptEvents(job, task, store, events, relay, vertx, chunkCoalesce);
        DspyCallHandle call = new DspyCallHandle(updates::accept,
                tools.handlerFor(task.taskId(), record -> toolCalled(record, updates, span)),
                // The tenant travels as W3C baggage with the trace context: the DSPy service's logs and spans name it.
                Context.root().with(span).with(Baggage.builder().put("tenant.id", job.tenantId()).build()));
        InFlightJobs.Running attempt = inFlight.add(job, call);
        fence.watch(attempt);
        // The gRPC call completes on a gRPC thread: the outcome is recorded back on the attempt's context (whose
        // log lines name the task), when it runs on one.
        io.vertx.core.Context attemptContext = io.vertx.core.Vertx.currentContext();
        return Uni.createFrom().deferred(() -> programs.resolve(job.request()))
                .chain(program -> dspy.execute(tools.withCallerTools(
                        ExecuteRequests.forAttempt(job.request(), job.attempt(), program.spec())), timeout, call)
                        .map(result -> new Outcome(program, result)))
                .plug(uni -> attemptContext == null ? uni : uni.emitOn(TaskLogContext.on(attemptContext)))
                .onItemOrFailure().transformToUni((outcome, failure) -> attempt.lease().fenced()
                        ? fenced(job, task, span, started)
                        : updates.drain().chain(() -> failure == null
                                ? succeed(job, task, outcome, span, started)
                                : fail(job, task, failure, span, started)))
                .onTermination().invoke((ignored, failure, cancelled) -> {
                    inFlight.remove(job);
                    span.end();
                });
    }

    /**
     * The fence stopped the attempt: nothing is written, not even its pending progress awaited (the database may be
     * what is failing), whatever the call answered meanwhile; the job is rescued when its lease expires.
     */
    private Uni<Void> fenced(ClaimedJob job, TaskRef task, Span span, Instant started) {
        LOG.infof("task %s: attempt %d stopped (self-fenced: lease not confirmed), outcome not written", task.taskId(),
                job.attempt());
        span.setStatus(StatusCode.ERROR, "fenced");
        metrics.ended(job, Duration.between(started, Instant.now()), "fenced", "");
        return Uni.createFrom().voidItem();
    }

    private static void toolCalled(ToolCallRecord record, AttemptEvents updates, Span span) {
        updates.toolCalled(record);
        span.addEvent("tool_call", Attributes.builder()
                .put("dspy.tool.name", record.tool())
                .put("dspy.tool.call_id", record.callId())
                .put("dspy.tool.outcome", record.ok() ? "ok" : record.errorCode())
                .put("dspy.tool.duration_ms", record.duration().toMillis())
                .build());
    }

    /** What a successful call produced, and for which program. */
    private record Outcome(ResolvedProgram program, TaskResult result) {
    }

    private Uni<Void> succeed(ClaimedJob job, TaskRef task, Outcome outcome, Span span, Instant started) {
        TaskResult result = outcome.result();
        Uni<Optional<Long>> completed;
        if (job.request().getKind() == TaskKind.TASK_KIND_OPTIMIZE) {
            if (!result.hasOptimization() || result.getOptimization().getProgramStateJson().isBlank()) {
                return fail(job, task, DspyCallException.of(DspyErrorCodes.INTERNAL,
                        "the DSPy service answered an optimize task without a compiled program", false), span,
                        started);
            }
            // The new version and the job's completion commit together: a version exists exactly when its task
            // succeeded, and the result event names it.
            String name = ProgramResolver.targetName(job.request());
            completed = store.complete(job, conn -> programStore.insertNext(conn, job.tenantId(), name,
                    outcome.program().source(), result.getOptimization().getProgramStateJson(),
                    VersionMetadata.of(result, outcome.program(), job.id()), job.id())
                    .invoke(version -> LOG.infof("task %s: program '%s' version %d stored", task.taskId(), name,
                            version))
                    .map(version -> List.of(events.optimized(task, result, name, version, outcome.program().version()),
                            events.succeeded(task))));
        } else {
            completed = store.complete(job, List.of(events.result(task, result), events.succeeded(task)));
        }
        return completed
                .invoke(lastSeq -> {
                    if (held(job, lastSeq, "succeeded")) {
                        LOG.infof("task %s: attempt %d succeeded", task.taskId(), job.attempt());
                        metrics.ended(job, Duration.between(started, Instant.now()), "completed", "");
                    }
                })
                .replaceWithVoid();
    }

    private Uni<Void> fail(ClaimedJob job, TaskRef task, Throwable failure, Span span, Instant started) {
        if (failure instanceof DspyCallCancelledException) {
            // Cancelled by this service: the job was cancelled or lost its lease; whoever did that wrote its state.
            LOG.infof("task %s: attempt %d stopped (job cancelled or lease lost)", task.taskId(), job.attempt());
            span.setStatus(StatusCode.ERROR, "cancelled");
            return Uni.createFrom().voidItem();
        }
        DspyCallException exception = DspyErrorMapper.fromFailure(failure);
        JobError error = toJobError(task, exception);
        span.setStatus(StatusCode.ERROR, error.code());
        if (exception instanceof DspyServiceUnavailableException) {
            Instant now = Instant.now();
            Duration away = job.unavailableSince() == null ? Duration.ZERO : Duration.between(job.unavailableSince(), now);
            if (away.compareTo(retries.unavailableMaxWait()) < 0) {
                return postpone(job, task, error, retries.unavailableDelay(away), started);
            }
            // Absent for good, as far as this task is concerned: it ends with the outage's code (this attempt counted).
            return discard(job, task, new JobError(error.code(), "the DSPy service has been unavailable for "
                    + away.toSeconds() + " s (dspy-suite.retry.unavailable-max-wait "
                    + retries.unavailableMaxWait().toSeconds() + " s); last: " + error.message(), true), started);
        }
        if (error.retryable() && job.attempt() < job.maxAttempts()) {
            Duration delay = retries.backoff(job.attempt());
            return store.retry(job, error, delay, List.of(events.queued(task))).invoke(lastSeq -> {
                if (held(job, lastSeq, "retryable")) {
                    LOG.infof("task %s: attempt %d/%d failed with %s, retrying in %d ms", task.taskId(),
                            job.attempt(), job.maxAttempts(), error.code(), delay.toMillis());
                    metrics.ended(job, Duration.between(started, Instant.now()), "retryable", error.code());
                }
            }).replaceWithVoid();
        }
        return discard(job, task, error, started);
    }

    /**
     * The DSPy service was not there: the job waits {@code delay} and its attempt is not counted (the outage says
     * nothing about the task). The log line's "attempt N not counted" is what the end-to-end attempt checker reads.
     */
    private Uni<Void> postpone(ClaimedJob job, TaskRef task, JobError error, Duration delay, Instant started) {
        return store.postpone(job, delay, List.of(events.queued(task))).invoke(lastSeq -> {
            if (held(job, lastSeq, "postponed")) {
                LOG.infof("task %s: DSPy service unavailable, attempt %d not counted, postponed by %d ms (%s)",
                        task.taskId(), job.attempt(), delay.toMillis(), error.message());
                metrics.ended(job, Duration.between(started, Instant.now()), "postponed", error.code());
            }
        }).replaceWithVoid();
    }

    private Uni<Void> discard(ClaimedJob job, TaskRef task, JobError error, Instant started) {
        return store.discard(job, error, List.of(events.error(task, error), events.failed(task))).invoke(lastSeq -> {
            if (held(job, lastSeq, "discarded")) {
                LOG.infof("task %s: attempt %d/%d failed with %s (retryable=%s), discarded", task.taskId(),
                        job.attempt(), job.maxAttempts(), error.code(), error.retryable());
                metrics.ended(job, Duration.between(started, Instant.now()), "discarded", error.code());
            }
        }).replaceWithVoid();
    }

    private static JobError toJobError(TaskRef task, DspyCallException error) {
        if (DspyErrorCodes.INTERNAL.equals(error.code())) {
            // INTERNAL means a bug (here or in the DSPy service): keep the evidence.
            LOG.warnf(error, "task %s: internal error", task.taskId());
        }
        return error.toJobError();
    }

    /** Whether the outcome was recorded; when not, another replica or a cancellation owns the job now. */
    private boolean held(ClaimedJob job, Optional<Long> lastSeq, String outcome) {
        if (lastSeq.isEmpty()) {
            LOG.warnf("task %s: attempt %d no longer held by this replica, outcome %s dropped", job.id(),
                    job.attempt(), outcome);
            return false;
        }
        relay.kick();
        return true;
    }
}
