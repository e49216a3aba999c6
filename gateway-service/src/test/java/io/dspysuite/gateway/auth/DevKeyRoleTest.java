package io.dspysuite.gateway.auth;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** A deployment that pins a development key makes it a member key (DSPY_SUITE_DEV_KEY_ROLE=member). */
@QuarkusTest
@TestProfile(DevKeyRoleTest.MemberDevKey.class)
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class DevKeyRoleTest {

    public static class MemberDevKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dspy-suite.dev-tenant.role", "member");
        }
    }

    @Test
    void theDevKeyIsAMemberAndTheOperatorKeyStaysAdmin() {
        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/tasks").then().statusCode(200);
        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/admin/tenants").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN"));
        given().header("Authorization", bearer(TestKeys.ADMIN)).when().get("/api/v1/admin/tenants/dev/keys").then()
                .statusCode(200)
                .body("items.find { it.name == 'dev-bootstrap' && it.revoked_at == null }.role", equalTo("member"));
    }
}
