package io.dspysuite.orchestration.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.job.ingest.IngestBackpressure;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.job.worker.Dispatcher;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.JobRows;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * The ingest stays memory-bounded while requests flood in and every worker slot is busy: the requests in flight
 * never exceed {@code dspy-suite.ingest.max-pending} (50 in the test profile), the jobs running here never exceed
 * the queue's concurrency, and every request still becomes a job row (the waiting ones live in PostgreSQL only).
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class IngestBackpressureTest {

    private static final int REQUESTS = 2000;

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @Inject
    IngestBackpressure backpressure;

    @Inject
    Dispatcher dispatcher;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "dspy-suite.queues.interactive.concurrency")
    int concurrency;

    private KafkaTestClient kafka;
    private JobRows rows;
    private final CompletableFuture<Void> gate = new CompletableFuture<>();

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        rows = new JobRows(pool);
    }

    @AfterEach
    void disconnect() {
        gate.complete(null);
        kafka.close();
    }

    @Test
    void floodOfRequestsWithBlockedWorkersStaysWithinTheLimits() {
        String tenant = "tenant-flood-" + UUID.randomUUID();
        List<TaskRequested> requests = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            TaskRequested request = TaskRequests.builder(TaskKind.TASK_KIND_PREDICT, "q" + i).setTenantId(tenant)
                    .build();
            fake.script(request.getTaskId(), FakeDspy.answerWhen(gate));
            requests.add(request);
        }
        backpressure.resetHighWater();
        AtomicInteger mostRunning = new AtomicInteger();

        kafka.requestAll(requests);
        try {
            KafkaTestClient.await().until(() -> {
                mostRunning.accumulateAndGet(dispatcher.inFlight(JobQueue.INTERACTIVE), Math::max);
                return rows.count("SELECT count(*) FROM orchestration.jobs WHERE tenant_id = $1", tenant) == REQUESTS;
            });

            assertThat(backpressure.maxPending()).isEqualTo(50);
            assertThat(backpressure.highWater()).isBetween(1, backpressure.maxPending());
            assertThat(mostRunning.get()).isLessThanOrEqualTo(concurrency);
            assertThat(rows.count("SELECT count(*) FROM orchestration.jobs WHERE tenant_id = $1 AND state = 'executing'",
                    tenant)).isLessThanOrEqualTo(concurrency);
            KafkaTestClient.await().until(() -> backpressure.pending() == 0);
        } finally {
            // The waiting jobs would keep the interactive queue busy for the next tests: end them here.
            rows.execute("""
                    UPDATE orchestration.jobs SET state = 'cancelled', completed_at = now()
                     WHERE tenant_id = $1 AND state IN ('available', 'scheduled', 'retryable')
                    """, tenant);
            gate.complete(null);
        }
        KafkaTestClient.await().until(() -> rows.count(
                "SELECT count(*) FROM orchestration.jobs WHERE tenant_id = $1 AND state = 'executing'", tenant) == 0);
    }
}
