package io.dspysuite.orchestration.tool;

import static io.dspysuite.orchestration.testing.KafkaTestClient.await;
import static io.dspysuite.orchestration.testing.TaskAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.orchestration.testing.TestTools;
import io.dspysuite.orchestration.tool.builtin.DateCalcTool;
import io.dspysuite.orchestration.tool.builtin.UnitConvertTool;
import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ModuleOptions;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.dspy.v1.ToolCall;
import io.dspysuite.protos.dspy.v1.ToolResult;
import io.dspysuite.protos.dspy.v1.ToolSpec;
import io.dspysuite.protos.events.v1.TaskControl;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Java tools over {@code ExecuteInteractive}, end to end inside the service: a task whose ReAct program names Java
 * tools is run through the bidirectional call against the in-process fake DSPy service, which plays the Python side
 * (sends ToolCalls, checks the ToolResults, then answers). Real Kafka and PostgreSQL.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class JavaToolChannelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    FakeDspy fake;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL base;

    private KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void toolsRunAndTheirAnswersGoBackWithTheCallIds() {
        TaskRequested request = react("How many miles are 42 km?", "calculator", UnitConvertTool.NAME,
                DateCalcTool.NAME);
        String id = request.getTaskId();
        fake.scriptInteractive(id, FakeDspy.callTools(
                call("c-1", UnitConvertTool.NAME, Map.of("value", 42, "from_unit", "km", "to_unit", "mi")),
                call("c-2", DateCalcTool.NAME, Map.of("operation", "weekday", "date", "2024-03-01")),
                call("c-3", UnitConvertTool.NAME, Map.of("value", 1, "from_unit", "kg", "to_unit", "km"))));
        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_SUCCEEDED);
        // The call declared the Java tools the program names (not the Python built-in), with their timeouts.
        assertThat(fake.calls(id)).isEmpty();
        ExecuteRequest start = fake.interactiveCalls(id).get(0);
        assertThat(start.getCallerToolsList()).extracting(ToolSpec::getName)
                .containsExactly(UnitConvertTool.NAME, DateCalcTool.NAME);
        ToolSpec convert = start.getCallerTools(0);
        assertThat(convert.getTimeoutMs()).isEqualTo(3000); // 2 s + 1 s for the answer to travel
        assertThat(convert.getDescription()).contains("km");
        assertThat(convert.getArgsSchema().getFieldsOrThrow("required").getListValue().getValuesList())
                .extracting(Value::getStringValue).containsExactly("value", "from_unit", "to_unit");

        List<ToolResult> results = fake.toolResults(id);
        assertThat(results).extracting(ToolResult::getCallId).containsExactly("c-1", "c-2", "c-3");
        assertThat(results.get(0).getOutput()).isEqualTo("42 km ≈ 26.097590073968 mi");
        assertThat(results.get(1).getOutput()).isEqualTo("2024-03-01 is a Friday.");
        // A tool's own error is an answer, not a failure: ReAct sees it as an observation.
        assertThat(results.get(2).getError().getCode()).isEqualTo("INVALID_ARGUMENTS");
        assertThat(results.get(2).getError().getMessage()).contains("cannot convert mass (kg) to length (km)");
        TaskEvent result = events.get(events.size() - 2);
        assertThat(result.getResult().getOutputs().getFieldsOrThrow("answer").getStringValue())
                .contains("c-1: 42 km", "c-2: 2024-03-01 is a Friday.", "c-3: error INVALID_ARGUMENTS");

        // Each tool call is recorded as a progress event (tool, outcome, duration; no arguments).
        List<String> toolProgress = events.stream().filter(TaskEvent::hasProgress)
                .filter(e -> e.getProgress().getPhase().equals("tool")).map(e -> e.getProgress().getMessage())
                .toList();
        assertThat(toolProgress).hasSize(3);
        assertThat(toolProgress.get(0)).matches("unit_convert answered in \\d+ ms");
        assertThat(toolProgress.get(1)).matches("date_calc answered in \\d+ ms");
        assertThat(toolProgress.get(2)).matches("unit_convert failed with INVALID_ARGUMENTS in \\d+ ms");
        // The client half-closed its side after the result.
        await().until(() -> fake.halfClosed(id));
    }

    @Test
    void timeoutsUnknownToolsAndBrokenToolsAreAnsweredAsErrors() {
        TaskRequested request = react("misbehave", TestTools.SlowTool.NAME, TestTools.BrokenTool.NAME);
        String id = request.getTaskId();
        fake.scriptInteractive(id, FakeDspy.callTools(
                call("slow", TestTools.SlowTool.NAME, Map.of()),
                call("nope", "no_such_tool", Map.of("x", 1)),
                call("broken", TestTools.BrokenTool.NAME, Map.of())));
        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_SUCCEEDED);
        List<ToolResult> results = fake.toolResults(id);
        assertThat(results).extracting(ToolResult::getCallId).containsExactly("slow", "nope", "broken");
        assertThat(results.get(0).getError().getCode()).isEqualTo("TIMEOUT");
        assertThat(results.get(0).getError().getMessage()).contains("did not answer within 300 ms");
        assertThat(results.get(1).getError().getCode()).isEqualTo("NOT_FOUND");
        assertThat(results.get(1).getError().getMessage()).contains("no_such_tool");
        assertThat(results.get(2).getError().getCode()).isEqualTo("TOOL_FAILED");
        assertThat(results.get(2).getError().getMessage()).doesNotContain("internal detail");
        assertThat(fake.interactiveCalls(id).get(0).getCallerTools(0).getTimeoutMs()).isEqualTo(1300);
    }

    @Test
    void cancellingTheTaskCancelsTheInteractiveCall() {
        TaskRequested request = react("cancel me", UnitConvertTool.NAME);
        String id = request.getTaskId();
        fake.scriptInteractive(id, FakeDspy.callToolThenHold(
                call("c-1", UnitConvertTool.NAME, Map.of("value", "100", "from_unit", "C", "to_unit", "F"))));
        kafka.request(request);
        // The channel works while the call runs...
        await().until(() -> fake.toolResults(id).size() == 1);
        assertThat(fake.toolResults(id).get(0).getOutput()).isEqualTo("100 C = 212 F");

        kafka.control(TaskControl.newBuilder().setTaskId(id).setTenantId(TaskRequests.TENANT)
                .setRequestedAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()))
                .setCancel(TaskControl.Cancel.getDefaultInstance()).build());

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_CANCELLED);
        // ...and cancelling the task cancels the bidirectional call, so the DSPy service stops the work.
        await().until(() -> fake.cancellations(id) == 1);
        assertThat(fake.halfClosed(id)).isFalse();
    }

    @Test
    void failuresOfTheInteractiveCallMapLikeThoseOfExecute() {
        TaskRequested request = react("bad inputs", DateCalcTool.NAME);
        String id = request.getTaskId();
        fake.scriptInteractive(id, FakeDspy.ignoringTools(FakeDspy.failWith(Code.INVALID_ARGUMENT, "INVALID_INPUTS",
                false)));
        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_FAILED);
        TaskEvent error = events.get(events.size() - 2);
        assertThat(error.getError().getCode()).isEqualTo("INVALID_INPUTS");
        assertThat(error.getError().getMessage()).isEqualTo("fake INVALID_INPUTS");
        assertThat(error.getError().getRetryable()).isFalse();
        assertThat(fake.interactiveCalls(id)).hasSize(1);
    }

    @Test
    void programWithoutJavaToolsStillUsesExecute() {
        TaskRequested request = react("python tools only", "calculator");
        String id = request.getTaskId();
        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(id);
        assertStatus(events.get(events.size() - 1), TaskStatus.TASK_STATUS_SUCCEEDED);
        assertThat(fake.interactiveCalls(id)).isEmpty();
        assertThat(fake.calls(id)).singleElement().satisfies(call -> assertThat(call.getCallerToolsList()).isEmpty());
    }

    @Test
    void catalogListsJavaToolsNextToThePythonBuiltIns() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest
                .newBuilder(URI.create(base.toString().replaceAll("/$", "") + "/internal/v1/catalog"))
                .header("X-Internal-Token", "test-internal-token").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode tools = JSON.readTree(response.body()).get("tools");
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        StreamSupport.stream(tools.spliterator(), false).forEach(tool -> byName.put(tool.get("name").asText(), tool));

        assertThat(byName.get("calculator").get("side").asText()).isEqualTo("python");
        JsonNode convert = byName.get(UnitConvertTool.NAME);
        assertThat(convert.get("side").asText()).isEqualTo("java");
        assertThat(convert.get("timeout_ms").asLong()).isEqualTo(2000);
        assertThat(convert.get("description").asText()).contains("length");
        assertThat(convert.get("args_schema").get("properties").has("from_unit")).isTrue();
        assertThat(byName.get(DateCalcTool.NAME).get("side").asText()).isEqualTo("java");
        // The Python built-ins come first, in the service's order.
        assertThat(tools.get(0).get("name").asText()).isEqualTo("calculator");
    }

    private static TaskRequested react(String question, String... tools) {
        return TaskRequests.builder(TaskKind.TASK_KIND_PREDICT, question)
                .setProgram(ProgramSpec.newBuilder().setAdHoc(AdHocProgram.newBuilder()
                        .setSignature("question -> answer").setModule("react")
                        .setModuleOptions(ModuleOptions.newBuilder().addAllTools(List.of(tools)).setMaxIters(3))))
                .build();
    }

    private static ToolCall call(String callId, String tool, Map<String, Object> arguments) {
        Struct.Builder args = Struct.newBuilder();
        arguments.forEach((name, value) -> args.putFields(name, value instanceof Number number
                ? Value.newBuilder().setNumberValue(number.doubleValue()).build()
                : Value.newBuilder().setStringValue(value.toString()).build()));
        return ToolCall.newBuilder().setCallId(callId).setTool(tool).setArguments(args).setTimeoutMs(3000).build();
    }
}
