package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.suite.Suite;

/**
 * Every service exposes Prometheus metrics that move with the work: a prediction through the suite raises the
 * gateway's submissions, the orchestration's finished jobs and the Python service's tasks, LM tokens and LM calls.
 * The orchestration service also exposes its Kafka consumers' lag (the name the consumer-lag alert queries) and is
 * ready, its readiness covering the Python service through gRPC health.
 */
class MetricsEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Suite suite;
    private static SuiteClient client;

    @BeforeAll
    static void startSuite() {
        suite = RunningSuite.get();
        client = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    @Test
    void aPredictionMovesTheCountersOfAllThreeServices() {
        String gateway = suite.config().gatewayUrl() + "/q/metrics";
        String orchestration = "http://localhost:" + suite.config().orchestrationPort() + "/q/metrics";
        double submittedBefore = sum(scrape(gateway), "dspy_suite_tasks_submitted_total", "kind=\"predict\"");
        double finishedBefore = sum(scrape(orchestration), "dspy_suite_tasks_finished_total", "status=\"succeeded\"");
        double pythonTasksBefore = pythonSum("dspy_service_tasks_total", "outcome=\"succeeded\"");
        double tokensBefore = pythonSum("dspy_service_lm_tokens_total", "direction=\"output\"");

        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"predict"},
                 "inputs":{"question":"Name a primary colour. (canary-prompt-5d1f)"}}""");
        assertThat(accepted.status()).isEqualTo(202);
        assertThat(client.awaitFinished(accepted.body().path("id").asText(), Duration.ofMinutes(3))
                .path("status").asText()).isEqualTo("succeeded");

        String orchestrationMetrics = scrape(orchestration);
        assertThat(sum(scrape(gateway), "dspy_suite_tasks_submitted_total", "kind=\"predict\""))
                .isEqualTo(submittedBefore + 1);
        assertThat(sum(orchestrationMetrics, "dspy_suite_tasks_finished_total", "status=\"succeeded\""))
                .isGreaterThanOrEqualTo(finishedBefore + 1);
        assertThat(sum(orchestrationMetrics, "dspy_suite_job_run_seconds_count", "")).isPositive();
        assertThat(orchestrationMetrics).contains("dspy_suite_queue_depth", "dspy_suite_dspy_breaker_state")
                .doesNotContain("dspy_jobs_finished_total");
        // The Micrometer Kafka binder's consumer lag, exactly as deploy/observability's alert rule queries it.
        List<Double> lags = samples(orchestrationMetrics, "kafka_consumer_fetch_manager_records_lag_max");
        assertThat(lags).as("consumer lag samples").isNotEmpty()
                .anySatisfy(lag -> assertThat(lag).isFinite())
                .allSatisfy(lag -> assertThat(lag.isNaN() || lag >= 0).as("lag %s", lag).isTrue());
        assertThat(pythonSum("dspy_service_tasks_total", "outcome=\"succeeded\"")).isEqualTo(pythonTasksBefore + 1);
        assertThat(pythonSum("dspy_service_lm_tokens_total", "direction=\"output\"")).isGreaterThan(tokensBefore);
    }

    @Test
    void orchestrationReadinessCoversThePythonService() {
        SuiteClient orchestration = new SuiteClient("http://localhost:" + suite.config().orchestrationPort(), "");
        // Awaited: a slow answer (DOWN) of the DSPy check is reused for a few seconds before it is asked again.
        SuiteClient.Response ready = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> orchestration.get("/q/health/ready"), response -> response.status() == 200);
        assertThat(ready.body().path("checks")).anySatisfy(check -> {
            assertThat(check.path("name").asText()).isEqualTo("DSPy service (gRPC health)");
            assertThat(check.path("status").asText()).isEqualTo("UP");
        });
    }

    /** Every sample of a metric (any labels); NaN where the client has not measured anything yet. */
    static List<Double> samples(String exposition, String metric) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "(\\{[^}]*\\})?\\s+(\\S+)").matcher(exposition);
        List<Double> values = new ArrayList<>();
        while (m.find()) {
            values.add(Double.parseDouble(m.group(2)));
        }
        return values;
    }

    /** The sum over both Python replicas (the call went to one of them). */
    private static double pythonSum(String metric, String labelFilter) {
        double total = 0;
        for (int replica = 0; replica < suite.config().dspyPorts().size(); replica++) {
            total += sum(scrape(suite.pythonMetricsUrl(replica)), metric, labelFilter);
        }
        return total;
    }

    /** The sum of a metric's samples whose labels contain {@code labelFilter} (Prometheus text format). */
    static double sum(String exposition, String metric, String labelFilter) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "(\\{[^}]*\\})?\\s+(\\S+)").matcher(exposition);
        double total = 0;
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            if (labels.contains(labelFilter)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    static String scrape(String url) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("GET %s", url).isEqualTo(200);
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
