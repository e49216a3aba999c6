package io.dspysuite.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.localstack.suite.Suite;

/**
 * Everyday DSPy through the whole suite with the local model: the catalog, an evaluation, and an optimization whose
 * compiled version is stored by the orchestration service, listed by the gateway and used by a later predict.
 */
class DspyWorkflowsEndToEndTest {

    private static final Duration TASK_TIMEOUT = Duration.ofMinutes(4);
    private static final String EXAMPLES = """
            [{"question":"What is the capital of France?","answer":"Paris"},
             {"question":"What is the capital of Italy?","answer":"Rome"},
             {"question":"What is the capital of Spain?","answer":"Madrid"}]""";

    private static SuiteClient client;

    @BeforeAll
    static void startSuite() {
        Suite suite = RunningSuite.get();
        client = new SuiteClient(suite.config().gatewayUrl(), suite.config().apiKey());
    }

    @Test
    void catalogListsModulesOptimizersMetricsAndNamedPrograms() {
        SuiteClient.Response catalog = client.get("/api/v1/catalog");

        assertThat(catalog.status()).as("catalog %s", catalog.body()).isEqualTo(200);
        assertThat(names(catalog.body().path("modules"))).contains("predict", "chain_of_thought", "react");
        assertThat(names(catalog.body().path("optimizers"))).contains("labeled_few_shot", "bootstrap_few_shot");
        assertThat(names(catalog.body().path("metrics"))).contains("exact_match", "f1");
        assertThat(names(catalog.body().path("programs"))).contains("qa", "classify", "extract", "rag");
    }

    @Test
    void evaluationScoresTheProgramOnTheDevset() {
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"evaluate","program":{"signature":"question -> answer","module":"predict"},
                 "metric":"exact_match","devset":%s}""".formatted(EXAMPLES));
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);

        JsonNode task = awaitFinished(accepted.body().path("id").asText());
        assertThat(task.path("status").asText()).as("task %s", task).isEqualTo("succeeded");
        JsonNode outputs = task.path("result").path("outputs");
        assertThat(outputs.path("total").asInt()).isEqualTo(3);
        assertThat(outputs.path("score").isNumber()).as("outputs %s", outputs).isTrue();
        assertThat(outputs.path("score").asDouble()).isBetween(0.0, 100.0);
        assertThat(outputs.path("outcomes")).hasSize(3);
    }

    @Test
    void optimizationCreatesAVersionThatALaterPredictUses() {
        String program = "e2e-qa-" + UUID.randomUUID().toString().substring(0, 8);
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"optimize","program":{"signature":"question -> answer","module":"predict"},
                 "optimizer":"labeled_few_shot","params":{"k":2},"metric":"exact_match",
                 "trainset":%s,"devset":%s,"target_program":"%s"}""".formatted(EXAMPLES, EXAMPLES, program));
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);

        JsonNode optimized = awaitFinished(accepted.body().path("id").asText());
        assertThat(optimized.path("status").asText()).as("task %s", optimized).isEqualTo("succeeded");
        JsonNode outputs = optimized.path("result").path("outputs");
        assertThat(outputs.path("program").asText()).isEqualTo(program);
        assertThat(outputs.path("version").asInt()).isEqualTo(2);
        assertThat(outputs.path("demos_count").asInt()).isEqualTo(2);

        SuiteClient.Response versions = client.get("/api/v1/programs/" + program + "/versions");
        assertThat(versions.status()).as("versions %s", versions.body()).isEqualTo(200);
        List<Integer> numbers = new ArrayList<>();
        versions.body().path("versions").forEach(v -> numbers.add(v.path("version").asInt()));
        assertThat(numbers).contains(1, 2);

        SuiteClient.Response predict = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"name":"%s","version":2},
                 "inputs":{"question":"What is the capital of Germany?"}}""".formatted(program));
        assertThat(predict.status()).as("response %s", predict.body()).isEqualTo(202);
        JsonNode answered = awaitFinished(predict.body().path("id").asText());
        assertThat(answered.path("status").asText()).as("task %s", answered).isEqualTo("succeeded");
        assertThat(answered.path("result").path("outputs").path("answer").asText()).isNotBlank();
    }

    @Test
    void catalogListsJavaToolsBesideThePythonBuiltIns() {
        JsonNode tools = client.get("/api/v1/catalog").body().path("tools");
        List<String> java = new ArrayList<>();
        List<String> python = new ArrayList<>();
        tools.forEach(tool -> (tool.path("side").asText().equals("java") ? java : python)
                .add(tool.path("name").asText()));
        assertThat(java).contains("unit_convert", "date_calc", "current_time");
        assertThat(python).contains("calculator");
    }

    @Test
    void reactAgentCallsAJavaToolOverTheBidirectionalChannel() {
        // The simulated LM's agent calls each offered tool once, then finishes (SmolLM2-135M never calls a tool).
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"react",
                 "module_options":{"tools":["current_time"],"max_iters":3}},
                 "inputs":{"question":"What day of the week is it today?"},"options":{"model":"simulated"}}""");
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
        String id = accepted.body().path("id").asText();

        JsonNode task = awaitFinished(id);
        assertThat(task.path("status").asText()).as("task %s", task).isEqualTo("succeeded");
        List<String> toolCalls = client.readEventStream(id, Duration.ofSeconds(30)).stream()
                .filter(e -> e.event().equals("progress"))
                .filter(e -> e.data().path("data").path("phase").asText().equals("tool"))
                .map(e -> e.data().path("data").path("message").asText()).toList();
        assertThat(toolCalls).as("the Java tool answered the agent's call").singleElement().asString()
                .matches("current_time answered in \\d+ ms");
    }

    @Test
    void reactWithTheLocalModelDeclaresItsJavaToolsAndSucceeds() {
        // Without the declaration over ExecuteInteractive the DSPy service would refuse the unknown tool name.
        SuiteClient.Response accepted = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"react",
                 "module_options":{"tools":["unit_convert"],"max_iters":2}},
                 "inputs":{"question":"How many miles are 42 km?"}}""");
        assertThat(accepted.status()).as("response %s", accepted.body()).isEqualTo(202);
        JsonNode task = awaitFinished(accepted.body().path("id").asText());
        assertThat(task.path("status").asText()).as("task %s", task).isEqualTo("succeeded");
        assertThat(task.path("result").path("outputs").path("answer").asText()).isNotBlank();

        SuiteClient.Response unknown = client.post("/api/v1/tasks", """
                {"kind":"predict","program":{"signature":"question -> answer","module":"react",
                 "module_options":{"tools":["no_such_tool"],"max_iters":2}},
                 "inputs":{"question":"How many miles are 42 km?"}}""");
        JsonNode failed = awaitFinished(unknown.body().path("id").asText());
        assertThat(failed.path("status").asText()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asText()).isEqualTo("INVALID_PROGRAM");
        assertThat(failed.path("error").path("retryable").asBoolean()).isFalse();
    }

    private static List<String> names(JsonNode entries) {
        List<String> names = new ArrayList<>();
        entries.forEach(entry -> names.add(entry.path("name").asText()));
        return names;
    }

    private static JsonNode awaitFinished(String id) {
        return client.awaitFinished(id, TASK_TIMEOUT);
    }
}
