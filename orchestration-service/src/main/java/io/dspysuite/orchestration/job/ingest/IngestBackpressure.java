package io.dspysuite.orchestration.job.ingest;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * Bounds what the ingest holds in memory: Reactive Streams demand towards the Kafka connector. The subscriber asks
 * for {@code dspy-suite.ingest.max-pending} records up front and for one more each time a record is done (stored and
 * acknowledged, or sent to the DLQ), so at most that many requests are in flight here. The connector buffers at most
 * {@code max.poll.records × max-queue-size-factor} records and pauses the Kafka consumer (and resumes it) on its own,
 * so everything beyond waits in Kafka.
 * <p>
 * Nothing else holds waiting jobs: a stored job lives in PostgreSQL only; the dispatcher's fast path merely wakes the
 * queue runner, which claims as many jobs as it has free slots ({@code dspy-suite.queues.*.concurrency}). With every
 * slot busy, ingestion therefore runs at the database's insert rate and memory stays flat.
 */
@ApplicationScoped
public class IngestBackpressure {

    private static final Logger LOG = Logger.getLogger(IngestBackpressure.class);

    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger highWater = new AtomicInteger();

    IngestBackpressure(MeterRegistry registry,
            @ConfigProperty(name = "dspy-suite.ingest.max-pending", defaultValue = "500") int maxPending) {
        if (maxPending < 1) {
            throw new IllegalStateException("dspy-suite.ingest.max-pending must be at least 1");
        }
        this.maxPending = maxPending;
        Gauge.builder("dspy.suite.ingest.pending", pending::get)
                .description("Task requests received from Kafka and not yet stored (bounded by max-pending)")
                .register(registry);
    }

    /** A subscriber that runs {@code handler} for each record, never more than max-pending at a time. */
    <T> Flow.Subscriber<T> subscriber(Function<T, Uni<Void>> handler) {
        return new Bounded<>(handler);
    }

    /** Requests received and not yet done, right now. */
    public int pending() {
        return pending.get();
    }

    /** The most requests ever in flight at once since start (or the last {@link #resetHighWater()}). */
    public int highWater() {
        return highWater.get();
    }

    public void resetHighWater() {
        highWater.set(pending.get());
    }

    public int maxPending() {
        return maxPending;
    }

    private final class Bounded<T> implements Flow.Subscriber<T> {

        private final Function<T, Uni<Void>> handler;
        private Flow.Subscription subscription;

        Bounded(Function<T, Uni<Void>> handler) {
            this.handler = handler;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            request(maxPending);
        }

        @Override
        public void onNext(T item) {
            int now = pending.incrementAndGet();
            highWater.accumulateAndGet(now, Math::max);
            handler.apply(item)
                    .onTermination().invoke(() -> {
                        pending.decrementAndGet();
                        request(1);
                    })
                    .subscribe().with(ignored -> {
                    }, failure -> LOG.errorf(failure, "ingesting a task request failed unexpectedly"));
        }

        @Override
        public void onError(Throwable failure) {
            LOG.errorf(failure, "the task request stream failed");
        }

        @Override
        public void onComplete() {
            LOG.info("the task request stream completed");
        }

        // Completions arrive on several threads; Reactive Streams wants request() calls serialised (rule 2.7).
        private synchronized void request(long n) {
            subscription.request(n);
        }
    }
}
