package io.dspysuite.gateway.program;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import java.net.URI;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;

/**
 * Catalog and program registry proxy: the gateway's REST client calls a test double of the orchestration internal API
 * ({@link FakeOrchestration}) served by this very test app.
 */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class ProgramResourceTest {

    @Inject
    TestTenants tenants;

    @BeforeEach
    void setUp() {
        tenants.ensureOtherTenant();
        FakeOrchestration.mode.set(FakeOrchestration.Mode.NORMAL);
    }

    @AfterEach
    void reset() {
        FakeOrchestration.mode.set(FakeOrchestration.Mode.NORMAL);
    }

    static ValidatableResponse get(String key, String path) {
        return given().header("Authorization", bearer(key)).when().get(path).then();
    }

    @Test
    void catalogAndProgramsAreRelayedForTheAuthenticatedTenant() {
        get(TestKeys.DEV, "/api/v1/catalog").statusCode(200)
                .contentType("application/json")
                .body("modules.name", hasItems("predict", "chain_of_thought"))
                .body("optimizers[0].name", equalTo("bootstrap_few_shot"))
                .body("field_types", hasItems("str", "enum"));
        get(TestKeys.DEV, "/api/v1/programs").statusCode(200)
                .body("tenant_id", equalTo("dev"))
                .body("programs[0].name", equalTo("qa"));
        get(TestKeys.OTHER, "/api/v1/programs").statusCode(200).body("tenant_id", equalTo(TestKeys.OTHER_TENANT));
        get(TestKeys.DEV, "/api/v1/programs/qa/versions").statusCode(200)
                .body("tenant_id", equalTo("dev"))
                .body("include_state", equalTo(false))
                .body("versions[1].optimizer", equalTo("bootstrap_few_shot"));
        get(TestKeys.DEV, "/api/v1/programs/qa/versions?include_state=true").statusCode(200)
                .body("include_state", equalTo(true));
        given().header("Authorization", bearer(TestKeys.DEV)).when()
                .post("/api/v1/programs/qa/versions/2/promote").then()
                .statusCode(200)
                .body("tenant_id", equalTo("dev"))
                .body("promoted_version", equalTo(2))
                .body("previous_version", equalTo(1));
    }

    @Test
    void needsAnApiKey() {
        for (String path : new String[] { "/api/v1/catalog", "/api/v1/programs", "/api/v1/programs/qa/versions" }) {
            given().when().get(path).then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
        }
        given().when().post("/api/v1/programs/qa/versions/2/promote").then().statusCode(401);
    }

    @Test
    void notFoundKeepsTheOrchestrationCode() {
        get(TestKeys.DEV, "/api/v1/programs/nope/versions").statusCode(404)
                .contentType("application/problem+json")
                .body("code", equalTo("PROGRAM_NOT_FOUND"))
                .body("status", equalTo(404))
                .body("type", equalTo("urn:dspysuite:problem:program-not-found"));
        given().header("Authorization", bearer(TestKeys.DEV)).when()
                .post("/api/v1/programs/qa/versions/7/promote").then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("code", equalTo("PROGRAM_VERSION_NOT_FOUND"));
    }

    @Test
    void invalidNamesAndVersionsAre400WithoutACall() {
        FakeOrchestration.mode.set(FakeOrchestration.Mode.ERROR_500);
        given().header("Authorization", bearer(TestKeys.DEV)).when()
                .post("/api/v1/programs/qa/versions/0/promote").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMETER"))
                .body("violations.field", hasItems("version"));
        given().header("Authorization", bearer(TestKeys.DEV)).when()
                .post("/api/v1/programs/qa/versions/latest/promote").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMETER"));
        get(TestKeys.DEV, "/api/v1/programs/%20bad/versions").statusCode(400)
                .body("violations.field", hasItems("name"));
    }

    @Test
    void serverErrorsTimeoutsAndRejectedTokensAre503() {
        for (FakeOrchestration.Mode mode : new FakeOrchestration.Mode[] { FakeOrchestration.Mode.ERROR_500,
                FakeOrchestration.Mode.SLOW, FakeOrchestration.Mode.WRONG_TOKEN_EXPECTED }) {
            FakeOrchestration.mode.set(mode);
            long start = System.nanoTime();
            get(TestKeys.DEV, "/api/v1/catalog").statusCode(503)
                    .contentType("application/problem+json")
                    .body("code", equalTo("ORCHESTRATION_UNAVAILABLE"));
            assertThat((System.nanoTime() - start) / 1_000_000).as("answered within the short timeout, mode " + mode)
                    .isLessThan(3_900);
            get(TestKeys.DEV, "/api/v1/programs/qa/versions").statusCode(503)
                    .body("code", equalTo("ORCHESTRATION_UNAVAILABLE"));
        }
    }

    @Test
    void anUnreachableOrchestratorIs503() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        OrchestrationClient client = QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create("http://localhost:" + port))
                .build(OrchestrationClient.class);
        Throwable failure = new OrchestrationProxy(client).catalog().onItem().<Throwable> transform(item -> null)
                .onFailure().recoverWithItem(e -> e)
                .await().atMost(java.time.Duration.ofSeconds(15));
        assertThat(failure).isInstanceOf(ApiException.class);
        assertThat(((ApiException) failure).codeName()).isEqualTo("ORCHESTRATION_UNAVAILABLE");
        assertThat(((ApiException) failure).code().status()).isEqualTo(503);
    }
}
