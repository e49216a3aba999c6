package io.dspysuite.orchestration.job.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Flow;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.observability.TaskLogContext;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.vertx.core.Vertx;

/**
 * Consumes {@code dspy.tasks.requested} with bounded demand: at most {@code dspy-suite.ingest.max-pending} requests
 * are being stored at a time (see {@link IngestBackpressure}); the Kafka connector pauses the consumer when its own
 * small buffer is full, so a flood of requests waits in Kafka, not in memory.
 * <p>
 * A record is acknowledged when its job row is committed (so its offset is committed only once the row is), and
 * nacked when storing it fails for good, which sends it to {@code dspy.tasks.requested.dlq}. Records that do not even
 * decode arrive without a payload and go the same way. A request that can never become a job (undecodable or invalid)
 * also ends its task, failed with INVALID_REQUEST, when its task id and tenant can be recovered
 * ({@link RejectedRequests}). Transient failures (database or broker briefly away) are retried
 * here with backoff first: the DLQ is for requests that can never succeed, not for outages.
 */
@ApplicationScoped
public class TaskRequestConsumer {

    private static final Logger LOG = Logger.getLogger(TaskRequestConsumer.class);
    private static final String TRACEPARENT = "traceparent";

    private final JobIngestor ingestor;
    private final RejectedRequests rejected;
    private final IngestBackpressure backpressure;
    private final Duration retryFor;
    private final Vertx vertx;

    TaskRequestConsumer(JobIngestor ingestor, RejectedRequests rejected, IngestBackpressure backpressure,
            @ConfigProperty(name = "dspy-suite.ingest.retry-for", defaultValue = "10m") Duration retryFor,
            Vertx vertx) {
        this.vertx = vertx;
        this.ingestor = ingestor;
        this.rejected = rejected;
        this.backpressure = backpressure;
        this.retryFor = retryFor;
    }

    @Incoming("task-requests")
    public Flow.Subscriber<Message<TaskRequested>> consume() {
        return backpressure.subscriber(this::ingest);
    }

    /**
     * Stores one request; acks or nacks its record when done. Never fails (the outcome is in the ack). Runs on a
     * duplicated context of its own whose log lines carry the task's id and tenant (a subscriber method is called
     * outside the record's context).
     */
    Uni<Void> ingest(Message<TaskRequested> message) {
        TaskRequested request = message.getPayload();
        return TaskLogContext.run(vertx, request == null ? null : request.getTaskId(),
                request == null ? null : request.getTenantId(), () -> store(message));
    }

    private Uni<Void> store(Message<TaskRequested> message) {
        TaskRequested request = message.getPayload();
        String traceParent = traceParent(message);
        return Uni.createFrom().deferred(() -> ingestor.ingest(request, traceParent))
                .onFailure(failure -> !(failure instanceof InvalidTaskRequestException))
                .retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5)).expireIn(retryFor.toMillis())
                .onItem().transformToUni(ignored -> Uni.createFrom().completionStage(message::ack))
                .onFailure().recoverWithUni(failure -> endTask(message, failure, traceParent).chain(() -> {
                    LOG.warnf("task request %s rejected, sent to the DLQ: %s", where(message), failure.getMessage());
                    return Uni.createFrom().completionStage(() -> message.nack(failure));
                }))
                .onFailure().recoverWithItem(failure -> {
                    LOG.errorf(failure, "task request %s: acknowledging failed", where(message));
                    return null;
                });
    }

    /**
     * A request that can never become a job still ends its task (failed, INVALID_REQUEST) when the task can be
     * identified: the gateway answered 202 long ago. Storing that is retried like an ingest (database briefly away);
     * if it still fails, the record goes to the DLQ anyway (the log says so).
     */
    private Uni<Void> endTask(Message<TaskRequested> message, Throwable failure, String traceParent) {
        if (!(failure instanceof InvalidTaskRequestException invalid)) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> rejected.end(message, invalid, traceParent))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5))
                .expireIn(retryFor.toMillis())
                .onFailure().recoverWithItem(e -> {
                    LOG.errorf("task request %s: ending its task failed (%s); the task stays unanswered",
                            where(message), e.getClass().getSimpleName());
                    return null;
                });
    }

    private static String traceParent(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(metadata -> metadata.getHeaders().lastHeader(TRACEPARENT))
                .map(Header::value)
                .map(value -> new String(value, StandardCharsets.UTF_8))
                .orElse(null);
    }

    private static String where(Message<?> message) {
        return RejectedRequests.where(message);
    }
}
