package io.dspysuite.gateway.task.service;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.model.TaskView;
import io.dspysuite.gateway.task.store.TaskRow;
import io.dspysuite.gateway.task.store.TaskStore;
import io.dspysuite.gateway.task.ws.EventFrame;
import io.dspysuite.gateway.task.ws.TaskSubscription;
import io.dspysuite.gateway.task.ws.TaskSubscriptions;
import io.smallrye.mutiny.Uni;

/**
 * Waits for a task to finish without holding a thread ({@code Prefer: wait=N}): a {@link TaskSubscription} on the live
 * hub (with the event log as backstop) signals the final status event; the task is then read from the view.
 */
@ApplicationScoped
public class TaskCompletions {

    private final TaskSubscriptions subscriptions;
    private final TaskStore store;
    private final TaskViews views;

    public TaskCompletions(TaskSubscriptions subscriptions, TaskStore store, TaskViews views) {
        this.subscriptions = subscriptions;
        this.store = store;
        this.views = views;
    }

    /** Starts watching; register before the request is published so not even a fast task slips by. */
    public Watch watch(UUID taskId) {
        return new Watch(taskId);
    }

    /** Thrown (internally) while the view has not yet caught up with a final event the live hub already saw. */
    private static final class NotFinalYet extends RuntimeException {
        final transient TaskRow row;

        NotFinalYet(TaskRow row) {
            super(null, null, false, false);
            this.row = row;
        }
    }

    public final class Watch {

        private final CompletableFuture<Boolean> finished = new CompletableFuture<>();
        private final TaskSubscription subscription;

        private Watch(UUID taskId) {
            subscription = subscriptions.open(taskId, 0, new TaskSubscription.Sink() {
                @Override
                public void send(EventFrame frame) {
                    // Only the end matters here.
                }

                @Override
                public void completed(TaskSubscription s) {
                    finished.complete(true);
                }

                @Override
                public void failed(TaskSubscription s, ErrorCode code, String message) {
                    finished.complete(false);
                }
            });
            subscription.start();
        }

        /**
         * The finished task, or null if it did not finish within {@code timeout}. Always releases the watch.
         */
        public Uni<TaskView> await(String tenantId, UUID taskId, Duration timeout) {
            Instant deadline = Instant.now().plus(timeout);
            return Uni.createFrom().completionStage(finished)
                    .ifNoItem().after(timeout).recoverWithItem(false)
                    .chain(done -> done ? readFinal(tenantId, taskId, deadline) : Uni.createFrom().nullItem())
                    .eventually(this::close);
        }

        public void close() {
            subscriptions.close(subscription);
            finished.complete(false);
        }

        private Uni<TaskView> readFinal(String tenantId, UUID taskId, Instant deadline) {
            return store.find(taskId, tenantId)
                    .map(found -> {
                        TaskRow row = found.orElse(null);
                        if (row != null && !row.status().isTerminal()) {
                            throw new NotFinalYet(row);
                        }
                        return row == null ? null : views.of(row);
                    })
                    .onFailure(NotFinalYet.class).retry()
                    .withBackOff(Duration.ofMillis(10), Duration.ofMillis(200)).expireAt(deadline.toEpochMilli())
                    .onFailure(NotFinalYet.class).recoverWithNull();
        }
    }
}
