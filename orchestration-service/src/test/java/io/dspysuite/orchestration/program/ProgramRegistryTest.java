package io.dspysuite.orchestration.program;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.catalog.service.CatalogCache;
import io.dspysuite.orchestration.testing.FakeDspy;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.dspysuite.orchestration.testing.KafkaTestClient;
import io.dspysuite.orchestration.testing.TaskRequests;
import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.EvaluateSpec;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.NamedProgramRef;
import io.dspysuite.protos.dspy.v1.OptimizeSpec;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.Progress;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Evaluations and optimizations through the engine, the program registry (versions created by optimizations, resolved
 * for later tasks, promotion) and the internal read API, with real Kafka and PostgreSQL and the fake DSPy service.
 * Each test uses its own tenant, so registries do not meet.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class ProgramRegistryTest {

    private static final String TOKEN = "test-internal-token";
    private static final String STATE = "{\"self\": {\"demos\": [{\"question\": \"1+1?\", \"answer\": \"2\"}]}}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    FakeDspy fake;

    @Inject
    Pool pool;

    @Inject
    CatalogCache catalogCache;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL base;

    private final HttpClient http = HttpClient.newHttpClient();
    private KafkaTestClient kafka;
    private String tenant;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        tenant = "tenant-" + UUID.randomUUID();
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void evaluateTaskForwardsItsSpecAndReportsStructuredProgressAndTheScore() {
        EvaluateSpec spec = EvaluateSpec.newBuilder().setMetric("exact_match").setMaxOutcomes(10)
                .addDevset(example("2+2?", "4")).addDevset(example("3+3?", "6")).addDevset(example("1+0?", "1"))
                .build();
        TaskRequested request = task(TaskKind.TASK_KIND_EVALUATE, named("qa", "")).setEvaluate(spec).build();
        fake.script(request.getTaskId(), FakeDspy.evaluate(66.7));

        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(request.getTaskId());
        assertThat(events.get(events.size() - 1).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_SUCCEEDED);
        List<Progress> progress = events.stream().filter(TaskEvent::hasProgress).map(TaskEvent::getProgress).toList();
        assertThat(progress).hasSize(3);
        assertThat(progress).extracting(Progress::getPhase).containsOnly("evaluating");
        assertThat(progress).extracting(Progress::getStep).containsExactly(1L, 2L, 3L);
        assertThat(progress).extracting(Progress::getTotal).containsOnly(3L);
        assertThat(progress.get(2).getCurrentScore()).isEqualTo(66.7);
        Struct outputs = result(events).getOutputs();
        assertThat(outputs.getFieldsOrThrow("score").getNumberValue()).isEqualTo(66.7);
        assertThat(outputs.getFieldsOrThrow("total").getNumberValue()).isEqualTo(3);
        assertThat(outputs.getFieldsOrThrow("outcomes").getListValue().getValuesCount()).isEqualTo(3);

        ExecuteRequest call = fake.calls(request.getTaskId()).get(0);
        assertThat(call.getEvaluate()).isEqualTo(spec);
        assertThat(call.hasOptimize()).isFalse();
        // No version stored or promoted: version 1, the registered program as defined, without state.
        assertThat(call.getProgram().getNamed().getName()).isEqualTo("qa");
        assertThat(call.getProgram().getNamed().getVersion()).isEqualTo("1");
        assertThat(call.getProgram().getProgramStateJson()).isEmpty();
        assertThat(job(request.getTaskId()).getString("queue")).isEqualTo("batch");
    }

    @Test
    void optimizationStoresVersionTwoAndLaterTasksRunItByNumberLatestOrPromotion() throws Exception {
        OptimizeSpec spec = OptimizeSpec.newBuilder().setOptimizer("bootstrap_few_shot").setMetric("exact_match")
                .setParams(Struct.newBuilder().putFields("max_bootstrapped_demos", number(2)))
                .addTrainset(example("1+1?", "2")).addTrainset(example("2+1?", "3")).addDevset(example("2+2?", "4"))
                .build();
        TaskRequested optimize = task(TaskKind.TASK_KIND_OPTIMIZE, named("qa", "latest")).setOptimize(spec).build();
        fake.script(optimize.getTaskId(), FakeDspy.optimize(STATE));

        kafka.request(optimize);

        List<TaskEvent> events = kafka.awaitFinal(optimize.getTaskId());
        assertThat(events.get(events.size() - 1).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_SUCCEEDED);
        assertThat(events.stream().filter(TaskEvent::hasProgress).map(e -> e.getProgress().getPhase()))
                .containsExactly("compiling", "trial", "compiled");
        Progress trial = events.stream().filter(TaskEvent::hasProgress).map(TaskEvent::getProgress).toList().get(1);
        assertThat(trial.getBestScore()).isEqualTo(75);
        assertThat(trial.getCurrentScore()).isEqualTo(75);
        Struct outputs = result(events).getOutputs();
        assertThat(outputs.getFieldsOrThrow("program").getStringValue()).isEqualTo("qa");
        assertThat(outputs.getFieldsOrThrow("version").getNumberValue()).isEqualTo(2);
        assertThat(outputs.getFieldsOrThrow("base_version").getNumberValue()).isEqualTo(1);
        assertThat(outputs.getFieldsOrThrow("score_after").getNumberValue()).isEqualTo(75);
        assertThat(fake.calls(optimize.getTaskId()).get(0).getOptimize()).isEqualTo(spec);
        assertThat(job(optimize.getTaskId()).getString("queue")).isEqualTo("optimize");

        Row stored = row("SELECT * FROM orchestration.program_versions WHERE tenant_id = $1 AND name = 'qa'", tenant);
        assertThat(stored.getInteger("version")).isEqualTo(2);
        assertThat(stored.getString("state_json")).isEqualTo(STATE);
        assertThat(stored.getUUID("task_id")).isEqualTo(UUID.fromString(optimize.getTaskId()));
        assertThat(stored.getJsonObject("metadata").getString("optimizer")).isEqualTo("bootstrap_few_shot");
        assertThat(stored.getJsonObject("metadata").getDouble("score_before")).isEqualTo(50.0);
        assertThat(stored.getJsonObject("metadata").getString("dataset_hash")).isEqualTo("sha256:feed");
        assertThat(stored.getJsonObject("metadata").getJsonObject("params").getInteger("max_bootstrapped_demos"))
                .isEqualTo(2);

        // By number and as "latest": the compiled state travels with the call.
        for (String version : List.of("2", "latest")) {
            ExecuteRequest call = predict(named("qa", version));
            assertThat(call.getProgram().getNamed().getName()).isEqualTo("qa");
            assertThat(call.getProgram().getNamed().getVersion()).isEqualTo("2");
            assertThat(call.getProgram().getProgramStateJson()).isEqualTo(STATE);
        }
        // Without a version: the promoted one, version 1 until a promotion.
        assertThat(predict(named("qa", "")).getProgram().getProgramStateJson()).isEmpty();

        HttpResponse<String> promoted = post("/internal/v1/tenants/" + tenant + "/programs/qa/versions/2/promote");
        assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
        JsonNode promotion = JSON.readTree(promoted.body());
        assertThat(promotion.get("promoted_version").asInt()).isEqualTo(2);
        assertThat(promotion.get("previous_version").asInt()).isEqualTo(1);

        for (String version : List.of("", "promoted")) {
            assertThat(predict(named("qa", version)).getProgram().getProgramStateJson()).isEqualTo(STATE);
        }
        assertThat(predict(named("qa", "1")).getProgram().getProgramStateJson()).isEmpty();

        JsonNode versions = getJson("/internal/v1/tenants/" + tenant + "/programs/qa/versions?include_state=true");
        assertThat(versions.get("source").asText()).isEqualTo("registered");
        assertThat(versions.get("latest_version").asInt()).isEqualTo(2);
        assertThat(versions.get("promoted_version").asInt()).isEqualTo(2);
        assertThat(versions.get("versions")).hasSize(2);
        JsonNode first = versions.get("versions").get(0);
        assertThat(first.get("version").asInt()).isEqualTo(1);
        assertThat(first.get("implicit").asBoolean()).isTrue();
        assertThat(first.get("promoted").asBoolean()).isFalse();
        JsonNode second = versions.get("versions").get(1);
        assertThat(second.get("compiled").asBoolean()).isTrue();
        assertThat(second.get("promoted").asBoolean()).isTrue();
        assertThat(second.get("task_id").asText()).isEqualTo(optimize.getTaskId());
        assertThat(second.get("metadata").get("score_after").asDouble()).isEqualTo(75.0);
        assertThat(second.get("program").get("named").get("name").asText()).isEqualTo("qa");
        assertThat(second.get("state").get("self").get("demos")).hasSize(1);
        assertThat(getJson("/internal/v1/tenants/" + tenant + "/programs/qa/versions").get("versions").get(1)
                .has("state")).isFalse();

        // Another tenant sees none of it.
        JsonNode other = getJson("/internal/v1/tenants/other-" + tenant + "/programs/qa/versions");
        assertThat(other.get("versions")).hasSize(1);
        assertThat(other.get("promoted_version").asInt()).isEqualTo(1);
    }

    @Test
    void optimizedAdHocProgramBecomesNamedWithItsSource() throws Exception {
        String name = "faq-" + UUID.randomUUID().toString().substring(0, 8);
        ProgramSpec adHoc = ProgramSpec.newBuilder().setAdHoc(AdHocProgram.newBuilder()
                .setSignature("question -> answer").setModule("chain_of_thought").setInstructions("Be brief.")).build();
        TaskRequested optimize = task(TaskKind.TASK_KIND_OPTIMIZE, adHoc).setTargetProgram(name)
                .setOptimize(OptimizeSpec.newBuilder().setOptimizer("labeled_few_shot")
                        .addTrainset(example("1+1?", "2")))
                .build();
        fake.script(optimize.getTaskId(), FakeDspy.optimize(STATE));

        kafka.request(optimize);

        Struct outputs = result(kafka.awaitFinal(optimize.getTaskId())).getOutputs();
        assertThat(outputs.getFieldsOrThrow("program").getStringValue()).isEqualTo(name);
        assertThat(outputs.getFieldsOrThrow("version").getNumberValue()).isEqualTo(2);
        assertThat(outputs.getFieldsOrThrow("base_version").getNumberValue()).isEqualTo(0);

        ExecuteRequest call = predict(named(name, "2"));
        assertThat(call.getProgram().getAdHoc()).isEqualTo(adHoc.getAdHoc());
        assertThat(call.getProgram().getProgramStateJson()).isEqualTo(STATE);
        ExecuteRequest uncompiled = predict(named(name, "1"));
        assertThat(uncompiled.getProgram().getAdHoc()).isEqualTo(adHoc.getAdHoc());
        assertThat(uncompiled.getProgram().getProgramStateJson()).isEmpty();

        JsonNode programs = getJson("/internal/v1/tenants/" + tenant + "/programs");
        assertThat(programs.get("catalog_available").asBoolean()).isTrue();
        JsonNode registered = find(programs.get("programs"), "qa");
        assertThat(registered.get("source").asText()).isEqualTo("registered");
        assertThat(registered.get("module").asText()).isEqualTo("chain_of_thought");
        assertThat(registered.get("inputs").get(0).get("name").asText()).isEqualTo("question");
        assertThat(registered.get("latest_version").asInt()).isEqualTo(1);
        assertThat(registered.get("stored_versions").asInt()).isEqualTo(0);
        JsonNode born = find(programs.get("programs"), name);
        assertThat(born.get("source").asText()).isEqualTo("tenant");
        assertThat(born.get("module").asText()).isEqualTo("chain_of_thought");
        assertThat(born.get("program").get("ad_hoc").get("signature").asText()).isEqualTo("question -> answer");
        assertThat(born.get("latest_version").asInt()).isEqualTo(2);
        assertThat(born.get("promoted_version").asInt()).isEqualTo(1);
        assertThat(born.get("stored_versions").asInt()).isEqualTo(2);

        JsonNode versions = getJson("/internal/v1/tenants/" + tenant + "/programs/" + name + "/versions");
        assertThat(versions.get("source").asText()).isEqualTo("tenant");
        assertThat(versions.get("versions")).hasSize(2);
        assertThat(versions.get("versions").get(0).get("implicit").asBoolean()).isFalse();
        assertThat(versions.get("versions").get(0).get("compiled").asBoolean()).isFalse();
        assertThat(versions.get("versions").get(0).get("program").get("ad_hoc").get("module").asText())
                .isEqualTo("chain_of_thought");
    }

    @Test
    void unknownVersionFailsTheTaskWithoutRetryOrCall() throws Exception {
        TaskRequested request = task(TaskKind.TASK_KIND_PREDICT, named("qa", "7")).build();

        kafka.request(request);

        List<TaskEvent> events = kafka.awaitFinal(request.getTaskId());
        TaskEvent error = events.stream().filter(TaskEvent::hasError).findFirst().orElseThrow();
        assertThat(error.getError().getCode()).isEqualTo("PROGRAM_VERSION_NOT_FOUND");
        assertThat(error.getError().getRetryable()).isFalse();
        assertThat(events.get(events.size() - 1).getStatus().getStatus()).isEqualTo(TaskStatus.TASK_STATUS_FAILED);
        assertThat(fake.calls(request.getTaskId())).isEmpty();
        assertThat(job(request.getTaskId()).getInteger("attempt")).isEqualTo(1);
        assertThat(job(request.getTaskId()).getString("state")).isEqualTo("discarded");

        HttpResponse<String> promote = post("/internal/v1/tenants/" + tenant + "/programs/qa/versions/7/promote");
        assertThat(promote.statusCode()).isEqualTo(404);
        assertThat(promote.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(JSON.readTree(promote.body()).get("code").asText()).isEqualTo("PROGRAM_VERSION_NOT_FOUND");
        assertThat(JSON.readTree(post("/internal/v1/tenants/" + tenant + "/programs/qa/versions/x/promote").body())
                .get("code").asText()).isEqualTo("INVALID_VERSION");
        HttpResponse<String> unknown = get("/internal/v1/tenants/" + tenant + "/programs/nope/versions", TOKEN);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).get("code").asText()).isEqualTo("PROGRAM_NOT_FOUND");
    }

    @Test
    void optimizationOfAnAdHocProgramNeedsAFreeTargetNameAndFailsBeforeCallingPythonOtherwise() {
        TaskRequested request = task(TaskKind.TASK_KIND_OPTIMIZE, TaskRequests.predict("x").getProgram())
                .setOptimize(OptimizeSpec.newBuilder().setOptimizer("labeled_few_shot").addTrainset(example("a", "b")))
                .build();

        kafka.request(request);

        TaskEvent error = kafka.awaitFinal(request.getTaskId()).stream().filter(TaskEvent::hasError).findFirst()
                .orElseThrow();
        assertThat(error.getError().getCode()).isEqualTo("INVALID_INPUTS");
        assertThat(error.getError().getRetryable()).isFalse();
        assertThat(fake.calls(request.getTaskId())).isEmpty();

        // Nor under the name of a program registered in the DSPy service.
        TaskRequested taken = request.toBuilder().setTaskId(UUID.randomUUID().toString()).setTargetProgram("qa")
                .build();
        kafka.request(taken);
        TaskEvent refused = kafka.awaitFinal(taken.getTaskId()).stream().filter(TaskEvent::hasError).findFirst()
                .orElseThrow();
        assertThat(refused.getError().getCode()).isEqualTo("INVALID_INPUTS");
        assertThat(refused.getError().getMessage()).contains("registered");
        assertThat(fake.calls(taken.getTaskId())).isEmpty();
    }

    @Test
    void internalApiNeedsTheTokenAndAnswersProblems() throws Exception {
        for (String token : new String[] { null, "wrong" }) {
            HttpResponse<String> denied = get("/internal/v1/catalog", token);
            assertThat(denied.statusCode()).isEqualTo(401);
            assertThat(denied.headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
            JsonNode problem = JSON.readTree(denied.body());
            assertThat(problem.get("code").asText()).isEqualTo("INTERNAL_TOKEN_INVALID");
            assertThat(problem.get("status").asInt()).isEqualTo(401);
            assertThat(problem.get("type").asText()).isEqualTo("urn:dspysuite:problem:internal-token-invalid");
        }
        assertThat(get("/internal/v1/tenants/t/programs", null).statusCode()).isEqualTo(401);
        assertThat(get("/q/health/ready", null).statusCode()).isEqualTo(200);
    }

    @Test
    void catalogIsCachedAndServedStaleWhileTheServiceFails() throws Exception {
        catalogCache.expire();
        int before = fake.catalogCalls();

        JsonNode catalog = getJson("/internal/v1/catalog");
        getJson("/internal/v1/catalog");
        getJson("/internal/v1/tenants/" + tenant + "/programs");

        assertThat(fake.catalogCalls() - before).isEqualTo(1);
        assertThat(catalog.get("stale").asBoolean()).isFalse();
        assertThat(catalog.get("fetched_at").asText()).isNotBlank();
        assertThat(catalog.get("programs").get(0).get("name").asText()).isEqualTo("qa");
        assertThat(catalog.get("programs").get(0).get("outputs")).hasSize(2);
        assertThat(catalog.get("models").get(0).get("is_default").asBoolean()).isTrue();
        assertThat(catalog.get("modules").get(0).get("added_outputs")).isEmpty();
        assertThat(catalog.get("service_version").asText()).isEqualTo("fake");

        fake.failCatalog(true);
        try {
            catalogCache.expire();
            JsonNode stale = getJson("/internal/v1/catalog");
            assertThat(stale.get("stale").asBoolean()).isTrue();
            assertThat(stale.get("fetched_at").asText()).isEqualTo(catalog.get("fetched_at").asText());
            assertThat(stale.get("programs").get(0).get("name").asText()).isEqualTo("qa");
            // The failure is remembered for the error TTL: no call per read while the service is down.
            getJson("/internal/v1/catalog");
            assertThat(fake.catalogCalls() - before).isEqualTo(2);
        } finally {
            fake.failCatalog(false);
            catalogCache.expire();
        }
        assertThat(getJson("/internal/v1/catalog").get("stale").asBoolean()).isFalse();
        assertThat(fake.catalogCalls() - before).isEqualTo(3);
    }

    /** Runs a predict task of {@code program} to success and answers the call the fake received. */
    private ExecuteRequest predict(ProgramSpec program) {
        TaskRequested request = task(TaskKind.TASK_KIND_PREDICT, program).build();
        kafka.request(request);
        List<TaskEvent> events = kafka.awaitFinal(request.getTaskId());
        assertThat(events.get(events.size() - 1).getStatus().getStatus()).as("%s", events)
                .isEqualTo(TaskStatus.TASK_STATUS_SUCCEEDED);
        return fake.calls(request.getTaskId()).get(0);
    }

    private TaskRequested.Builder task(TaskKind kind, ProgramSpec program) {
        return TaskRequests.builder(kind, "what is 2+2?").clearTargetProgram().setTenantId(tenant).setProgram(program);
    }

    private static ProgramSpec named(String name, String version) {
        return ProgramSpec.newBuilder().setNamed(NamedProgramRef.newBuilder().setName(name).setVersion(version))
                .build();
    }

    private static Struct example(String question, String answer) {
        return Struct.newBuilder().putFields("question", Value.newBuilder().setStringValue(question).build())
                .putFields("answer", Value.newBuilder().setStringValue(answer).build()).build();
    }

    private static Value number(double value) {
        return Value.newBuilder().setNumberValue(value).build();
    }

    private static io.dspysuite.protos.events.v1.Result result(List<TaskEvent> events) {
        return events.stream().filter(TaskEvent::hasResult).findFirst().orElseThrow(
                () -> new AssertionError("no result event in " + events)).getResult();
    }

    private static JsonNode find(JsonNode programs, String name) {
        for (JsonNode program : programs) {
            if (program.get("name").asText().equals(name)) {
                return program;
            }
        }
        throw new AssertionError("no program " + name + " in " + programs);
    }

    private JsonNode getJson(String path) throws Exception {
        HttpResponse<String> response = get(path, TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        if (token != null) {
            request.header("X-Internal-Token", token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("X-Internal-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create(base.toString().replaceAll("/$", "") + path);
    }

    private Row job(String id) {
        return row("SELECT * FROM orchestration.jobs WHERE id = $1", UUID.fromString(id));
    }

    private Row row(String sql, Object param) {
        RowSet<Row> rows = pool.preparedQuery(sql).execute(Tuple.of(param)).await().atMost(Duration.ofSeconds(10));
        assertThat(rows.rowCount()).as(sql).isEqualTo(1);
        return rows.iterator().next();
    }
}
