package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.suite.Suite;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;

/**
 * One trace per task across the language boundary, from the real OTLP exports of all three services: the gateway's
 * request, the Kafka hop, the orchestration's job attempt and gRPC call, the Python service's module and LM spans
 * with the GenAI attributes; prompts are not recorded.
 */
class TracingEndToEndTest {

    private static final String QUESTION = "What colour is a ripe banana?";

    private static SuiteClient client;
    private static OtlpReceiver telemetry;

    @BeforeAll
    static void startSuite() {
        Suite suite = RunningSuite.get();
        telemetry = RunningSuite.telemetry();
        client = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    @Test
    void aPredictionIsOneTraceFromTheGatewayThroughKafkaAndTheJobToTheLmCall() {
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"predict"},
                 "inputs":{"question":"%s"}}""".formatted(QUESTION));
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
        JsonNode task = client.awaitFinished(accepted.body().path("id").asText(), Duration.ofMinutes(3));
        assertThat(task.path("status").asText()).isEqualTo("succeeded");
        String traceId = task.path("trace_id").asText();
        assertThat(traceId).hasSize(32);

        // Each service exports its spans in batches, so a parent (e.g. the gateway's POST span, which ends last) may
        // arrive after its children: wait until the trace is whole, then check it.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> services(traceId)
                .containsAll(Set.of("gateway-service", "orchestration-service", "dspy-python-service"))
                && telemetry.spansOfTrace(traceId).stream().anyMatch(s -> s.attributes().containsKey("gen_ai.operation.name"))
                && connected(telemetry.spansOfTrace(traceId)));
        List<OtlpReceiver.ReceivedSpan> spans = telemetry.spansOfTrace(traceId);
        String tree = OtlpReceiver.tree(spans);
        System.out.println("[e2e] span tree of task " + task.path("id").asText() + ":\n" + tree);

        assertThat(spans).as(tree).anySatisfy(s -> {
            assertThat(s.service()).isEqualTo("orchestration-service");
            assertThat(s.kind()).isEqualTo(SpanKind.SPAN_KIND_CONSUMER);
            assertThat(s.attributes()).containsEntry("messaging.system", "kafka");
        });
        assertThat(spans).as(tree).anySatisfy(s -> {
            assertThat(s.service()).isEqualTo("dspy-python-service");
            assertThat(s.kind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
            assertThat(s.attributes()).containsEntry("rpc.system", "grpc");
        });
        OtlpReceiver.ReceivedSpan lm = spans.stream().filter(s -> s.attributes().containsKey("gen_ai.operation.name"))
                .findFirst().orElseThrow();
        assertThat(lm.service()).isEqualTo("dspy-python-service");
        assertThat(lm.attributes()).containsKeys("gen_ai.request.model", "gen_ai.response.model",
                "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens");
        assertThat(Long.parseLong(lm.attributes().get("gen_ai.usage.output_tokens"))).isPositive();
        assertThat(spans).as("the prompt is not recorded by default").allSatisfy(
                s -> assertThat(s.attributes().values()).noneMatch(value -> value.contains(QUESTION)));
        assertThat(spans).as("every span but the root has its parent in the trace: one connected tree")
                .filteredOn(s -> !s.parentSpanId().isEmpty())
                .allSatisfy(s -> assertThat(spans).anyMatch(p -> p.spanId().equals(s.parentSpanId())));
    }

    private static boolean connected(List<OtlpReceiver.ReceivedSpan> spans) {
        Set<String> ids = spans.stream().map(OtlpReceiver.ReceivedSpan::spanId).collect(Collectors.toSet());
        return spans.stream().allMatch(s -> s.parentSpanId().isEmpty() || ids.contains(s.parentSpanId()));
    }

    private static Set<String> services(String traceId) {
        return telemetry.spansOfTrace(traceId).stream().map(OtlpReceiver.ReceivedSpan::service)
                .collect(Collectors.toSet());
    }
}
