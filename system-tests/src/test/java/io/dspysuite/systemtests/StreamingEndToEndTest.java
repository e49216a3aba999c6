package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.suite.Suite;

/**
 * Output fields stream as {@code chunk} events while the local model generates, to WebSocket and SSE subscribers:
 * the chunks arrive before the result, and put together they are the field's final value.
 */
class StreamingEndToEndTest {

    private static final Duration TASK_TIMEOUT = Duration.ofMinutes(3);
    // Chain of thought: the reasoning is long enough to arrive in many chunks.
    private static final String REASONING_TASK = """
            {"kind":"predict","program":{"signature":"question -> answer","module":"chain_of_thought"},
             "inputs":{"question":"Why is the sky blue? Explain briefly. (canary-prompt-5d1f)"}}""";

    private static SuiteClient client;

    @BeforeAll
    static void startSuite() {
        Suite suite = RunningSuite.get();
        client = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    @Test
    void webSocketSubmitterReceivesChunksBeforeTheResultAndTheyAddUpToTheOutputs() {
        SuiteClient.Frames ws = client.openBrowserWebSocket();
        ws.send("""
                {"type":"submit","request_id":"stream-1","task":%s}""".formatted(REASONING_TASK));
        JsonNode accepted = ws.next(Duration.ofSeconds(30));
        assertThat(accepted.path("type").asText()).as("frame %s", accepted).isEqualTo("accepted");
        String taskId = accepted.path("task_id").asText();

        // Arrival order on the socket, which is what a user watching the page sees.
        List<JsonNode> events = ws.eventsUntilFinal(taskId, TASK_TIMEOUT);
        ws.close();

        List<String> kinds = events.stream().map(e -> e.path("event").asText()).toList();
        assertThat(kinds.indexOf("chunk")).as("a chunk arrived, before the result: %s", kinds)
                .isNotNegative().isLessThan(kinds.indexOf("result"));
        assertThat(kinds.stream().filter("chunk"::equals).count()).as("chunks %s", kinds).isGreaterThan(2);
        assertThat(events.stream().map(e -> e.path("seq").asLong()).toList()).as("gap-free seq")
                .isEqualTo(LongStream.rangeClosed(1, events.size()).boxed().toList());

        JsonNode outputs = resultOf(events).path("data").path("outputs");
        assertThat(joinedChunks(events, "reasoning")).isEqualTo(outputs.path("reasoning").asText().strip());
        assertThat(joinedChunks(events, "answer")).isEqualTo(outputs.path("answer").asText().strip());
    }

    @Test
    void sseSubscriberReceivesTheSameChunksInOrderAndTheStreamEndsAfterTheFinalStatus() {
        SuiteClient.Response accepted = client.post("/api/v1/tasks", REASONING_TASK);
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
        String taskId = accepted.body().path("id").asText();

        List<SuiteClient.SseEvent> stream = client.readEventStream(taskId, TASK_TIMEOUT);

        List<JsonNode> events = stream.stream().map(SuiteClient.SseEvent::data).toList();
        assertThat(stream).allSatisfy(e -> assertThat(e.event()).isEqualTo(e.data().path("event").asText()));
        assertThat(stream.stream().map(e -> Long.parseLong(e.id())).toList()).as("ids are the gap-free seqs")
                .isEqualTo(LongStream.rangeClosed(1, stream.size()).boxed().toList());
        List<String> kinds = events.stream().map(e -> e.path("event").asText()).toList();
        assertThat(kinds.indexOf("chunk")).as("kinds %s", kinds).isNotNegative().isLessThan(kinds.indexOf("result"));
        assertThat(SuiteClient.isFinalStatusEvent(events.get(events.size() - 1))).isTrue();

        JsonNode outputs = resultOf(events).path("data").path("outputs");
        assertThat(joinedChunks(events, "reasoning")).isEqualTo(outputs.path("reasoning").asText().strip());
    }

    private static JsonNode resultOf(List<JsonNode> events) {
        return events.stream().filter(e -> e.path("event").asText().equals("result")).findFirst().orElseThrow();
    }

    private static String joinedChunks(List<JsonNode> events, String field) {
        return events.stream().filter(e -> e.path("event").asText().equals("chunk"))
                .filter(e -> e.path("data").path("field").asText().equals(field))
                .map(e -> e.path("data").path("text").asText()).collect(Collectors.joining()).strip();
    }
}
