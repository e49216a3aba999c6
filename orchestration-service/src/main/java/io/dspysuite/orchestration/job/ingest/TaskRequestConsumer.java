package io.dspysuite.orchestration.job.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.dspysuite.protos.events.v1.TaskRequested;
import io.smallrye.mutiny.Uni;

/**
 * Consumes {@code dspy.tasks.requested}. The record is acknowledged when the returned {@link Uni} completes (so its
 * offset is committed only once the job row is), and nacked when it fails, which sends it to
 * {@code dspy.tasks.requested.dlq}. Records that do not even decode go to the DLQ before reaching this method.
 * <p>
 * Transient failures (database or broker briefly away) are retried here with backoff first: the DLQ is for requests
 * that can never succeed, not for outages.
 */
@ApplicationScoped
public class TaskRequestConsumer {

    private static final Logger LOG = Logger.getLogger(TaskRequestConsumer.class);
    private static final String TRACEPARENT = "traceparent";

    private final JobIngestor ingestor;
    private final int maxRetries;

    TaskRequestConsumer(JobIngestor ingestor,
            @ConfigProperty(name = "dspy-suite.ingest.max-retries", defaultValue = "8") int maxRetries) {
        this.ingestor = ingestor;
        this.maxRetries = maxRetries;
    }

    @Incoming("task-requests")
    public Uni<Void> consume(ConsumerRecord<String, TaskRequested> record) {
        TaskRequested request = record.value();
        String traceParent = header(record, TRACEPARENT);
        return Uni.createFrom().deferred(() -> ingestor.ingest(request, traceParent))
                .onFailure(failure -> !(failure instanceof InvalidTaskRequestException))
                .retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(5)).atMost(maxRetries)
                .onFailure().invoke(failure -> LOG.warnf("task request at %s-%d@%d rejected, sent to the DLQ: %s",
                        record.topic(), record.partition(), record.offset(), failure.getMessage()));
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
