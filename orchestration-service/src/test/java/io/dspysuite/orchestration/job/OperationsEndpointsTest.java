package io.dspysuite.orchestration.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What operators and orchestrators probe: readiness covers Kafka, the database and the DSPy service, metrics include
 * the engine's.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class OperationsEndpointsTest {

    @TestHTTPResource("/q/health/ready")
    URL readiness;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void readinessIsUpAndCoversKafkaAndTheDatabase() throws Exception {
        HttpResponse<String> response = awaitReady();

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body())
                .contains("\"status\": \"UP\"")
                .contains("SmallRye Reactive Messaging")
                .contains("task-requests")
                .contains("task-events")
                .containsIgnoringCase("PostgreSQL")
                // The DSPy service (here the test gRPC server, whose standard health service answers SERVING).
                .contains("DSPy service (gRPC health)")
                .containsPattern("\"status\"\\s*:\\s*\"SERVING\"");
    }

    @Test
    void metricsExposeTheJobEngine() throws Exception {
        HttpResponse<String> response = get(metrics);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("dspy_suite_jobs_in_flight{queue=\"interactive\"}")
                .contains("dspy_suite_jobs_in_flight{queue=\"optimize\"}")
                // Removed: the same count is dspy_suite_job_run_seconds_count{queue,kind,outcome}.
                .doesNotContain("dspy_jobs_finished_total")
                // Removed: duplicates of dspy_suite_jobs_in_flight and dspy_suite_dspy_breaker_state.
                .doesNotContain("dspy_jobs_executing")
                .doesNotContain("dspy_circuit_open");
    }

    @Test
    void metricsExposeQueueDepthsInFlightJobsTheBreakerAndTheIngest() throws Exception {
        String body = get(metrics).body();

        for (String queue : new String[] { "interactive", "batch", "optimize" }) {
            for (String state : new String[] { "available", "scheduled", "executing", "retryable" }) {
                assertThat(body).containsPattern("(?m)^dspy_suite_queue_depth\\{queue=\"" + queue + "\",state=\""
                        + state + "\"} \\d");
            }
            assertThat(body).containsPattern("(?m)^dspy_suite_queue_oldest_age_seconds\\{queue=\"" + queue + "\"} ")
                    .containsPattern("(?m)^dspy_suite_jobs_in_flight\\{queue=\"" + queue + "\"} ");
        }
        assertThat(body).containsPattern("(?m)^dspy_suite_dspy_breaker_state [0-2]")
                .containsPattern("(?m)^dspy_suite_ingest_pending ");
    }

    @Test
    void healthReportsTheBreakerStateAsDataOfACheckThatStaysUp() throws Exception {
        HttpResponse<String> response = awaitReady();

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("DSPy circuit breaker")
                .containsPattern("\"dspy_breaker\"\\s*:\\s*\"closed\"");
    }

    /** Ready once every dependency answered (a DOWN answer of the DSPy check is reused for a few seconds). */
    private HttpResponse<String> awaitReady() {
        return await().atMost(Duration.ofSeconds(60)).until(() -> get(readiness), r -> r.statusCode() == 200);
    }

    private HttpResponse<String> get(URL url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url.toString())).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
