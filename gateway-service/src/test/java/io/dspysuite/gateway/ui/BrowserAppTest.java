package io.dspysuite.gateway.ui;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** The browser app's files and its unauthenticated settings endpoint. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class BrowserAppTest {

    @Test
    void uiConfigIsOpenAndCarriesTheTraceLinkTemplate() {
        given().when().get("/api/v1/ui-config").then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .body("trace_url_template", equalTo("https://traces.example.test/trace/{trace_id}"));
    }

    @Test
    void onlyUiConfigIsOpenTheRestOfTheApiStillNeedsAKey() {
        given().when().get("/api/v1/tasks").then()
                .statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
        given().when().get("/api/v1/ui-config/anything").then().statusCode(401);
    }

    @Test
    void theBuiltAppIsServedAtTheRoot() {
        given().when().get("/").then()
                .statusCode(200).contentType(ContentType.HTML)
                .body(containsString("src=\"app.js\""), containsString("id=\"api-key\""));
        given().when().get("/app.js").then().statusCode(200).body(containsString("bearer-token-carrier"));
        given().when().get("/app.css").then().statusCode(200).contentType("text/css");
    }
}
