package io.dspysuite.orchestration.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.job.ingest.JobIngestor;
import io.dspysuite.orchestration.job.worker.JobExecutor;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.LogCapture;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The lines the ingest and the worker write about a task carry {@code task_id} and {@code tenant_id} in the MDC (the
 * JSON log's {@code mdc} object), also those written after the gRPC call returned; no input text.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class TaskLogFieldsTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void ingestAndAttemptLinesNameTheTaskAndTenant() {
        TaskRequested request = TaskRequests.predict("a question nobody may log");
        String id = request.getTaskId();
        try (LogCapture ingest = LogCapture.of(JobIngestor.class);
                LogCapture worker = LogCapture.of(JobExecutor.class);
                KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.request(request);
            kafka.awaitFinal(id);

            KafkaTestClient.await().until(() -> worker.lineContaining("attempt 1 succeeded").isPresent());
            List<LogCapture.Line> lines = List.of(
                    find(ingest, id + ": queued"),
                    find(worker, id + ": attempt 1/"),
                    // Written after the gRPC call returned on a gRPC thread.
                    find(worker, id + ": attempt 1 succeeded"));
            assertThat(lines).allSatisfy(line -> {
                assertThat(line.taskId()).as(line.message()).isEqualTo(id);
                assertThat(line.tenant()).as(line.message()).isEqualTo(TaskRequests.TENANT);
            });
            assertThat(ingest.lines()).noneMatch(line -> line.message().contains("nobody may log"));
            assertThat(worker.lines()).noneMatch(line -> line.message().contains("nobody may log"));
        }
    }

    private static LogCapture.Line find(LogCapture logs, String text) {
        Optional<LogCapture.Line> line = logs.lineContaining(text);
        assertThat(line).as("a line containing '%s' in %s", text, logs.lines()).isPresent();
        return line.get();
    }
}
