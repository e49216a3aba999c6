package io.dspysuite.orchestration.admin.service;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.model.JobState;
import io.dspysuite.orchestration.job.model.QueueDepth;
import io.dspysuite.orchestration.job.store.JobQueries;
import io.dspysuite.orchestration.job.worker.Dispatcher;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;

/**
 * Queue gauges on {@code /q/metrics}: {@code dspy_suite_queue_depth{queue,state}} and
 * {@code dspy_suite_queue_oldest_age_seconds{queue}} (whole cluster, from one GROUP BY refreshed every
 * {@code dspy-suite.metrics.queue-refresh-interval}, so a scrape never touches the database), and
 * {@code dspy_suite_jobs_in_flight{queue}} (this replica, live). Every replica reports the same depths: aggregate
 * them with {@code max}, not {@code sum}.
 */
@ApplicationScoped
public class QueueMetrics {

    private static final Logger LOG = Logger.getLogger(QueueMetrics.class);
    private static final List<JobState> WAITING_OR_RUNNING = List.of(JobState.AVAILABLE, JobState.SCHEDULED,
            JobState.EXECUTING, JobState.RETRYABLE);

    private final JobQueries queries;
    private final Vertx vertx;
    private final Duration interval;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Map<JobQueue, QueueDepth> depths = new EnumMap<>(JobQueue.class);
    private long timer = -1;

    QueueMetrics(JobQueries queries, Dispatcher dispatcher, MeterRegistry registry, Vertx vertx,
            @ConfigProperty(name = "dspy-suite.metrics.queue-refresh-interval", defaultValue = "15s") Duration interval) {
        this.queries = queries;
        this.vertx = vertx;
        this.interval = interval;
        for (JobQueue queue : JobQueue.values()) {
            for (JobState state : WAITING_OR_RUNNING) {
                Gauge.builder("dspy.suite.queue.depth", () -> depth(queue).count(state))
                        .description("Unfinished jobs per queue and state, all replicas (refreshed periodically)")
                        .tag("queue", queue.dbValue()).tag("state", state.dbValue())
                        .register(registry);
            }
            Gauge.builder("dspy.suite.queue.oldest.age.seconds", () -> depth(queue).oldestDueAgeMillis() / 1000.0)
                    .description("How long the longest-waiting claimable job of the queue has waited")
                    .tag("queue", queue.dbValue())
                    .register(registry);
            Gauge.builder("dspy.suite.jobs.in.flight", () -> dispatcher.inFlight(queue))
                    .description("Jobs of the queue running on this replica")
                    .tag("queue", queue.dbValue())
                    .register(registry);
        }
    }

    void onStart(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(1, interval.toMillis(), id -> refresh());
    }

    void onStop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
    }

    void refresh() {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        queries.depths()
                .onTermination().invoke(() -> refreshing.set(false))
                .subscribe().with(list -> {
                    Map<JobQueue, QueueDepth> next = new EnumMap<>(JobQueue.class);
                    list.forEach(depth -> next.put(depth.queue(), depth));
                    depths = next;
                }, failure -> LOG.warnf(failure, "refreshing the queue gauges failed; they keep their last values"));
    }

    private QueueDepth depth(JobQueue queue) {
        return depths.getOrDefault(queue, QueueDepth.empty(queue));
    }
}
