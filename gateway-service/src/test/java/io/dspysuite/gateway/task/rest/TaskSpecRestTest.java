package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.KafkaTestClient.REQUESTED;
import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.EvaluateSpec;
import io.dspysuite.protos.dspy.v1.OptimizeSpec;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;

/** Evaluate and optimize tasks, structured signatures and module options, against real Kafka and PostgreSQL. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskSpecRestTest {

    @Inject
    Pool pool;

    static Response submit(String body) {
        return given().header("Authorization", bearer(TestKeys.DEV)).contentType(ContentType.JSON).body(body)
                .when().post("/api/v1/tasks");
    }

    @Test
    void anEvaluateRequestCarriesItsSpec() {
        Response response = submit("""
                {"kind": "evaluate", "program": {"name": "qa", "version": 2}, "metric": "answer_exact_match",
                 "devset": [{"question": "2+2?", "answer": "4"}, {"question": "Capital of France?", "answer": "Paris"}],
                 "max_examples": 2, "max_outcomes": 10}""");
        response.then().statusCode(202).body("kind", equalTo("evaluate")).body("program.name", equalTo("qa"));
        TaskRequested request = KafkaTestClient.awaitRequest(UUID.fromString(response.path("id"))).orElseThrow();
        assertThat(request.getKind()).isEqualTo(TaskKind.TASK_KIND_EVALUATE);
        assertThat(request.getProgram().getNamed().getVersion()).isEqualTo("2");
        assertThat(request.hasEvaluate()).isTrue();
        assertThat(request.hasOptimize()).isFalse();
        EvaluateSpec evaluate = request.getEvaluate();
        assertThat(evaluate.getMetric()).isEqualTo("answer_exact_match");
        assertThat(evaluate.getDevsetCount()).isEqualTo(2);
        assertThat(evaluate.getDevset(1).getFieldsOrThrow("answer").getStringValue()).isEqualTo("Paris");
        assertThat(evaluate.getMaxExamples()).isEqualTo(2);
        assertThat(evaluate.getMaxOutcomes()).isEqualTo(10);
        assertThat(request.getInputs().getFieldsCount()).isZero();
    }

    @Test
    void anOptimizeRequestOfAStructuredAdHocProgramCarriesItsSpec() {
        Response response = submit("""
                {"kind": "optimize",
                 "program": {"module": "chain_of_thought",
                             "signature": {"inputs": [{"name": "text", "description": "A review"}],
                                           "outputs": [{"name": "label", "type": "enum",
                                                        "enum_values": ["positive", "negative"]},
                                                       {"name": "confidence", "type": "float"}],
                                           "instructions": "Classify the review."}},
                 "optimizer": "bootstrap_few_shot", "params": {"max_bootstrapped_demos": 2},
                 "metric": "exact_match", "target_program": "sentiment",
                 "trainset": [{"text": "great", "label": "positive"}, {"text": "awful", "label": "negative"}],
                 "devset": [{"text": "fine", "label": "positive"}]}""");
        response.then().statusCode(202)
                .body("kind", equalTo("optimize"))
                .body("program.signature.outputs[0].enum_values", equalTo(List.of("positive", "negative")));
        TaskRequested request = KafkaTestClient.awaitRequest(UUID.fromString(response.path("id"))).orElseThrow();
        assertThat(request.getKind()).isEqualTo(TaskKind.TASK_KIND_OPTIMIZE);
        assertThat(request.getTargetProgram()).isEqualTo("sentiment");
        AdHocProgram program = request.getProgram().getAdHoc();
        assertThat(program.getSignature()).isEmpty();
        assertThat(program.getModule()).isEqualTo("chain_of_thought");
        assertThat(program.getStructuredSignature().getInputs(0).getName()).isEqualTo("text");
        assertThat(program.getStructuredSignature().getInputs(0).getType()).isEqualTo("str");
        assertThat(program.getStructuredSignature().getInputs(0).getDescription()).isEqualTo("A review");
        assertThat(program.getStructuredSignature().getOutputs(0).getEnumValuesList())
                .containsExactly("positive", "negative");
        assertThat(program.getStructuredSignature().getOutputs(1).getType()).isEqualTo("float");
        assertThat(program.getStructuredSignature().getInstructions()).isEqualTo("Classify the review.");
        OptimizeSpec optimize = request.getOptimize();
        assertThat(request.hasEvaluate()).isFalse();
        assertThat(optimize.getOptimizer()).isEqualTo("bootstrap_few_shot");
        assertThat(optimize.getMetric()).isEqualTo("exact_match");
        assertThat(optimize.getParams().getFieldsOrThrow("max_bootstrapped_demos").getNumberValue()).isEqualTo(2);
        assertThat(optimize.getTrainsetCount()).isEqualTo(2);
        assertThat(optimize.getDevsetCount()).isEqualTo(1);
        assertThat(optimize.getTrainset(1).getFieldsOrThrow("label").getStringValue()).isEqualTo("negative");
    }

    @Test
    void moduleOptionsAndNewModulesArePassedOn() {
        Response response = submit("""
                {"kind": "predict",
                 "program": {"signature": "question -> answer", "module": "react",
                             "module_options": {"tools": ["calculator", "search"], "max_iters": 4}},
                 "inputs": {"question": "What is 6*7?"}}""");
        response.then().statusCode(202).body("program.module_options.max_iters", equalTo(4));
        TaskRequested request = KafkaTestClient.awaitRequest(UUID.fromString(response.path("id"))).orElseThrow();
        AdHocProgram program = request.getProgram().getAdHoc();
        assertThat(program.getModule()).isEqualTo("react");
        assertThat(program.getModuleOptions().getToolsList()).containsExactly("calculator", "search");
        assertThat(program.getModuleOptions().getMaxIters()).isEqualTo(4);
        assertThat(program.getModuleOptions().hasThreshold()).isFalse();
        assertThat(request.hasEvaluate()).isFalse();
        assertThat(request.hasOptimize()).isFalse();
        assertThat(request.getTargetProgram()).isEmpty();

        response = submit("""
                {"kind": "predict",
                 "program": {"signature": "question -> answer", "module": "best_of_n",
                             "module_options": {"n": 3, "threshold": 0.5}},
                 "inputs": {"question": "x"}}""");
        response.then().statusCode(202);
        program = KafkaTestClient.awaitRequest(UUID.fromString(response.path("id"))).orElseThrow()
                .getProgram().getAdHoc();
        assertThat(program.getModuleOptions().getN()).isEqualTo(3);
        assertThat(program.getModuleOptions().getThreshold()).isEqualTo(0.5);
    }

    @Test
    void boundsViolationsAre422AndPublishNothing() {
        long published = KafkaTestClient.endOffsetSum(REQUESTED);
        long tasks = taskCount();
        String example = "{\"question\": \"q\", \"answer\": \"a\"}";
        String tooMany = "[" + String.join(",", java.util.Collections.nCopies(201, example)) + "]";
        String tooBig = "[{\"question\": \"" + "x".repeat(64 * 1024) + "\"}]";

        // evaluate: devset missing / too many / too big / not objects; bad max_* values; optimize-only fields
        invalid("""
                {"kind": "evaluate", "program": {"name": "qa"}}""", "devset");
        invalid("""
                {"kind": "evaluate", "program": {"name": "qa"}, "devset": %s}""".formatted(tooMany), "devset");
        invalid("""
                {"kind": "evaluate", "program": {"name": "qa"}, "devset": []}""", "devset");
        invalid("""
                {"kind": "evaluate", "program": {"name": "qa"}, "devset": %s}""".formatted(tooBig), "devset[0]");
        invalid("""
                {"kind": "evaluate", "program": {"name": "qa"}, "devset": [1]}""", "devset[0]");
        invalid("""
                {"kind": "evaluate", "program": {"name": "qa"}, "devset": [%s], "max_examples": -1,
                 "max_outcomes": 201, "optimizer": "x"}""".formatted(example),
                "max_examples", "max_outcomes", "optimizer");
        // optimize: optimizer and trainset required, trainset bounded, target_program pattern, params an object
        invalid("""
                {"kind": "optimize", "program": {"name": "qa"}}""", "optimizer", "trainset");
        invalid("""
                {"kind": "optimize", "program": {"name": "qa"}, "optimizer": "bootstrap_few_shot",
                 "trainset": %s}""".formatted(tooMany), "trainset");
        invalid("""
                {"kind": "optimize", "program": {"name": "qa"}, "optimizer": "bootstrap_few_shot",
                 "trainset": [%s], "target_program": "Bad Name", "params": [1]}""".formatted(example),
                "target_program", "params");
        invalid("""
                {"kind": "optimize", "program": {"signature": "q -> a"}, "optimizer": "bootstrap_few_shot",
                 "trainset": [%s]}""".formatted(example), "target_program");
        // predict refuses dataset fields; structured signatures and module options are checked
        invalid("""
                {"kind": "predict", "program": {"name": "qa"}, "inputs": {"q": "x"}, "devset": [%s]}"""
                .formatted(example), "devset");
        invalid("""
                {"kind": "predict", "inputs": {"q": "x"},
                 "program": {"signature": {"inputs": [], "outputs": [{"name": "a", "type": "complex",
                                                                      "enum_values": ["x"]}]}}}""",
                "program.signature.inputs", "program.signature.outputs[0].type");
        invalid("""
                {"kind": "predict", "inputs": {"q": "x"},
                 "program": {"signature": {"inputs": [{"name": "q"}], "outputs": [{"name": "q"},
                                                                                 {"name": "l", "type": "enum"}]}}}""",
                "program.signature.outputs[0].name", "program.signature.outputs[1].enum_values");
        invalid("""
                {"kind": "predict", "inputs": {"q": "x"},
                 "program": {"signature": "q -> a", "module": "teleport",
                             "module_options": {"n": 9, "max_iters": 0, "threshold": 2, "tools": [1], "x": 1}}}""",
                "program.module", "program.module_options.n", "program.module_options.max_iters",
                "program.module_options.threshold", "program.module_options.tools", "program.module_options.x");

        assertThat(taskCount()).isEqualTo(tasks);
        assertThat(KafkaTestClient.endOffsetSum(REQUESTED)).isEqualTo(published);
    }

    private static void invalid(String body, String... fields) {
        submit(body).then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItems(fields));
    }

    private long taskCount() {
        return pool.query("SELECT count(*) FROM gateway.tasks").execute().await().atMost(Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }
}
