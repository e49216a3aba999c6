package io.dspysuite.gateway.job.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.program.FakeOrchestration;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;

/**
 * The job engine admin proxy: the gateway's REST client calls {@link FakeOrchestration}, a stub of the orchestration
 * internal API served by this test app (it checks the internal token and echoes the query it received).
 */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class JobAdminResourceTest {

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

    static ValidatableResponse post(String key, String path) {
        return given().header("Authorization", bearer(key)).when().post(path).then();
    }

    @Test
    void queuesAndJobsAreRelayed() {
        get(TestKeys.ADMIN, "/api/v1/admin/queues").statusCode(200).contentType("application/json")
                .body("queues[0].queue", equalTo("interactive"))
                .body("queues[0].oldest_available_age_ms", equalTo(120))
                .body("queues[0].in_flight_here", equalTo(2));
        get(TestKeys.ADMIN, "/api/v1/admin/jobs?state=retryable,scheduled&queue=interactive&tenant_id=acme&limit=200"
                + "&cursor=abc.DEF-1")
                .statusCode(200)
                .body("items[0].task_id", equalTo(FakeOrchestration.KNOWN_JOB))
                .body("items[0].errors[0].code", equalTo("LM_UNAVAILABLE"))
                .body("next_cursor", equalTo("next-page"))
                .body("echo.state", equalTo("retryable,scheduled"))
                .body("echo.queue", equalTo("interactive"))
                .body("echo.tenant_id", equalTo("acme"))
                .body("echo.limit", equalTo(200))
                .body("echo.cursor", equalTo("abc.DEF-1"));
        // Absent parameters stay absent.
        get(TestKeys.ADMIN, "/api/v1/admin/jobs").statusCode(200)
                .body("echo.state", nullValue()).body("echo.limit", nullValue());
        get(TestKeys.ADMIN, "/api/v1/admin/jobs/" + FakeOrchestration.KNOWN_JOB).statusCode(200)
                .body("task_id", equalTo(FakeOrchestration.KNOWN_JOB))
                .body("max_attempts", equalTo(5));
    }

    @Test
    void actionsAreRelayedWithTheOrchestrationOutcome() {
        String job = "/api/v1/admin/jobs/" + FakeOrchestration.KNOWN_JOB;
        post(TestKeys.ADMIN, job + "/retry").statusCode(200).body("state", equalTo("available"));
        post(TestKeys.ADMIN, job + "/cancel").statusCode(200).body("state", equalTo("cancelled"));
        post(TestKeys.ADMIN, job + "/discard").statusCode(200).body("state", equalTo("discarded"));

        String finished = "/api/v1/admin/jobs/" + FakeOrchestration.FINISHED_JOB;
        for (String action : new String[] { "retry", "discard" }) {
            post(TestKeys.ADMIN, finished + "/" + action).statusCode(409)
                    .contentType("application/problem+json")
                    .body("code", equalTo("JOB_FINISHED"))
                    .body("title", equalTo("Job already finished"));
        }
        String unknown = "/api/v1/admin/jobs/" + UUID.randomUUID();
        get(TestKeys.ADMIN, unknown).statusCode(404).body("code", equalTo("JOB_NOT_FOUND"));
        post(TestKeys.ADMIN, unknown + "/retry").statusCode(404).body("code", equalTo("JOB_NOT_FOUND"));
    }

    @Test
    void parametersAreValidatedAtTheGateway() {
        get(TestKeys.ADMIN, "/api/v1/admin/jobs/not-a-uuid").statusCode(400)
                .body("code", equalTo("INVALID_PARAMETER")).body("violations.field", hasItem("task_id"));
        post(TestKeys.ADMIN, "/api/v1/admin/jobs/not-a-uuid/retry").statusCode(400)
                .body("code", equalTo("INVALID_PARAMETER"));
        for (String limit : new String[] { "0", "201", "-1" }) {
            get(TestKeys.ADMIN, "/api/v1/admin/jobs?limit=" + limit).statusCode(400)
                    .body("violations.field", hasItem("limit"));
        }
        get(TestKeys.ADMIN, "/api/v1/admin/jobs?limit=x").statusCode(400);
        get(TestKeys.ADMIN, "/api/v1/admin/jobs?state=RUNNING;drop&queue=a%20b&tenant_id=Not_Valid!").statusCode(400)
                .body("violations.field", hasItem("state"))
                .body("violations.field", hasItem("queue"))
                .body("violations.field", hasItem("tenant_id"));
        post(TestKeys.ADMIN, "/api/v1/admin/jobs/" + FakeOrchestration.KNOWN_JOB + "/explode").statusCode(404);
    }

    @Test
    void membersAreForbiddenAndNothingIsRelayedForThem() {
        get(TestKeys.OTHER, "/api/v1/admin/queues").statusCode(403).body("code", equalTo("FORBIDDEN"));
        post(TestKeys.OTHER, "/api/v1/admin/jobs/" + FakeOrchestration.KNOWN_JOB + "/cancel").statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        given().when().get("/api/v1/admin/jobs").then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }

    @Test
    void orchestrationFailuresAre503() {
        FakeOrchestration.mode.set(FakeOrchestration.Mode.ERROR_500);
        get(TestKeys.ADMIN, "/api/v1/admin/queues").statusCode(503)
                .contentType("application/problem+json").body("code", equalTo("ORCHESTRATION_UNAVAILABLE"));
        FakeOrchestration.mode.set(FakeOrchestration.Mode.WRONG_TOKEN_EXPECTED);
        post(TestKeys.ADMIN, "/api/v1/admin/jobs/" + FakeOrchestration.KNOWN_JOB + "/retry").statusCode(503)
                .body("code", equalTo("ORCHESTRATION_UNAVAILABLE"));
        FakeOrchestration.mode.set(FakeOrchestration.Mode.SLOW);
        get(TestKeys.ADMIN, "/api/v1/admin/jobs").statusCode(503).body("code", equalTo("ORCHESTRATION_UNAVAILABLE"));
    }
}
