package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.jboss.logging.Logger;

import io.dspysuite.orchestration.event.publish.OutboxRelay;
import io.dspysuite.orchestration.event.publish.TaskEvents;
import io.dspysuite.orchestration.event.publish.TaskRef;
import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.store.JobStore;
import io.dspysuite.orchestration.tool.service.ToolCallRecord;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.ProgressUpdate;
import io.dspysuite.protos.dspy.v1.TokenChunk;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;

/**
 * Turns the intermediate updates of one attempt (progress, token chunks, answered Java tool calls) into task events, written to the outbox one
 * batch after the other (so their seqs follow the order of the updates) and guarded by the attempt (a lost attempt
 * writes nothing). Chunks are coalesced for {@code coalesce} (consecutive chunks of one field become one event) to
 * bound writes while an LM streams tokens; a progress update or the end of the stream flushes them first.
 */
final class AttemptEvents {

    private static final Logger LOG = Logger.getLogger(AttemptEvents.class);

    private final ClaimedJob job;
    private final TaskRef task;
    private final JobStore store;
    private final TaskEvents events;
    private final OutboxRelay relay;
    private final Vertx vertx;
    private final long coalesceMillis;

    // Guarded by `this`.
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private final List<String[]> chunks = new ArrayList<>();
    private long flushTimer = -1;
    private double lastFraction;
    private int toolCalls;
    private volatile boolean lost;

    AttemptEvents(ClaimedJob job, TaskRef task, JobStore store, TaskEvents events, OutboxRelay relay, Vertx vertx,
            Duration coalesce) {
        this.job = job;
        this.task = task;
        this.store = store;
        this.events = events;
        this.relay = relay;
        this.vertx = vertx;
        this.coalesceMillis = coalesce.toMillis();
    }

    /** Called for every non-result update of the stream, in stream order. */
    void accept(ExecuteUpdate update) {
        switch (update.getUpdateCase()) {
            case PROGRESS -> {
                synchronized (this) {
                    flushChunks();
                    lastFraction = update.getProgress().getFraction();
                    write(List.of(events.progress(task, update.getProgress())));
                }
            }
            case CHUNK -> chunk(update.getChunk());
            // STATUS: RUNNING was already announced by the claim; TOOL_CALL: answered by the call itself.
            default -> {
            }
        }
    }

    /**
     * A Java tool call was answered: a progress event of phase {@code "tool"} (message "unit_convert answered in 3 ms"
     * or "unit_convert failed with TIMEOUT in 2001 ms", step = the attempt's tool calls so far), keeping the last
     * fraction the service reported so a progress bar does not jump back.
     */
    synchronized void toolCalled(ToolCallRecord record) {
        flushChunks();
        toolCalls++;
        String outcome = record.ok() ? "answered" : "failed with " + record.errorCode();
        write(List.of(events.progress(task, ProgressUpdate.newBuilder()
                .setFraction(lastFraction)
                .setPhase("tool")
                .setMessage(record.tool() + " " + outcome + " in " + record.duration().toMillis() + " ms")
                .setStep(toolCalls)
                .build())));
    }

    /** Flushes pending chunks; completes when everything accepted so far is written (or given up). */
    Uni<Void> drain() {
        CompletableFuture<Void> done;
        synchronized (this) {
            flushChunks();
            done = tail;
        }
        return Uni.createFrom().completionStage(done);
    }

    private synchronized void chunk(TokenChunk chunk) {
        int last = chunks.size() - 1;
        if (last >= 0 && chunks.get(last)[0].equals(chunk.getField())) {
            chunks.get(last)[1] = chunks.get(last)[1] + chunk.getText();
        } else {
            chunks.add(new String[] { chunk.getField(), chunk.getText() });
        }
        if (coalesceMillis <= 0) {
            flushChunks();
        } else if (flushTimer < 0) {
            flushTimer = vertx.setTimer(coalesceMillis, id -> {
                synchronized (this) {
                    flushTimer = -1;
                    flushChunks();
                }
            });
        }
    }

    // Caller holds the lock.
    private void flushChunks() {
        if (flushTimer >= 0) {
            vertx.cancelTimer(flushTimer);
            flushTimer = -1;
        }
        if (chunks.isEmpty()) {
            return;
        }
        List<TaskEvent> batch = chunks.stream().map(c -> events.chunk(task, c[0], c[1])).toList();
        chunks.clear();
        write(batch);
    }

    // Caller holds the lock.
    private void write(List<TaskEvent> batch) {
        tail = tail.thenCompose(ignored -> lost
                ? CompletableFuture.<Void> completedFuture(null)
                : store.append(job, batch).subscribeAsCompletionStage().handle((lastSeq, failure) -> {
                    if (failure != null) {
                        LOG.warnf(failure, "task %s: writing %d progress event(s) failed; dropped", task.taskId(),
                                batch.size());
                    } else if (lastSeq.isEmpty()) {
                        lost = true; // cancelled or rescued: the job's events are someone else's now
                    } else {
                        relay.kick();
                    }
                    return null;
                }));
    }
}
