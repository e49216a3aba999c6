package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;

import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.tenant.model.CreateTenantRequest;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Regression tests for what schemathesis' conformance checks found (issue 9): the server answers what its OpenAPI
 * document says, and the document states the server's real rules, taken from the same constants.
 */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class OpenApiConformanceTest {

    // --- The server keeps to the document -------------------------------------------------------------------------

    /** ST204: a 405 names the path's methods in Allow (RFC 9110), from RESTEasy and from the router alike. */
    @Test
    void methodNotAllowedCarriesAllow() {
        given().header("Authorization", bearer(TestKeys.DEV)).when().put("/api/v1/tasks").then()
                .statusCode(405).contentType("application/problem+json").body("code", equalTo("METHOD_NOT_ALLOWED"))
                .header("Allow", equalTo("GET, HEAD, POST"));
        given().header("Authorization", bearer(TestKeys.DEV)).when().delete("/api/v1/tasks/" + java.util.UUID.randomUUID())
                .then().statusCode(405).header("Allow", equalTo("GET, HEAD"));
        given().header("Authorization", bearer(TestKeys.DEV)).when().patch("/api/v1/admin/tenants/dev/keys/x").then()
                .statusCode(405).header("Allow", equalTo("DELETE"));
        // TRACE never reaches a resource: Quarkus refuses it in the router.
        given().header("Authorization", bearer(TestKeys.DEV)).when().request("TRACE", "/api/v1/catalog").then()
                .statusCode(405).contentType("application/problem+json").header("Allow", equalTo("GET, HEAD"));
    }

    /** ST104/ST109: a body of the wrong shape on the admin API was a bare 400 without a body. */
    @Test
    void aWronglyShapedAdminBodyIsProblemJson() {
        given().header("Authorization", bearer(TestKeys.ADMIN)).contentType(ContentType.JSON)
                .body("{\"id\": \"acme-shape\", \"name\": {}}").when().post("/api/v1/admin/tenants").then()
                .statusCode(422).contentType("application/problem+json").body("code", equalTo("VALIDATION_FAILED"))
                .body("violations.field", hasItem("name"));
        given().header("Authorization", bearer(TestKeys.ADMIN)).contentType(ContentType.JSON)
                .body("\"\\u0011 a string\"").when().post("/api/v1/admin/tenants/dev/keys").then()
                .statusCode(422).contentType("application/problem+json").body("code", equalTo("VALIDATION_FAILED"));
    }

    /** ST201: include_state=0.01 was read as false; a boolean is true or false. */
    @Test
    void includeStateIsAStrictBoolean() {
        given().header("Authorization", bearer(TestKeys.DEV)).queryParam("include_state", "0.01")
                .when().get("/api/v1/programs/qa/versions").then()
                .statusCode(400).contentType("application/problem+json").body("code", equalTo("INVALID_PARAMETER"));
        // An empty value is no boolean either (RESTEasy would hand it over as no value at all).
        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/programs/qa/versions?include_state=")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMETER"));
    }

    /** ST201: empty values were read as absent ones, though the document types them (integer, key pattern). */
    @Test
    void emptyValuesAreNotAbsentOnes() {
        given().header("Authorization", bearer(TestKeys.DEV)).when().get("/api/v1/tasks?limit=").then()
                .statusCode(400).body("violations.field", hasItem("limit"));
        given().header("Authorization", bearer(TestKeys.ADMIN)).when().get("/api/v1/admin/tenants?limit=").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMETER"));
        given().header("Authorization", bearer(TestKeys.DEV)).header("Idempotency-Key", "").contentType(ContentType.JSON)
                .body("{\"kind\": \"predict\", \"program\": {\"signature\": \"q -> a\"}, \"inputs\": {\"q\": \"x\"}}")
                .when().post("/api/v1/tasks").then()
                .statusCode(422).body("violations.field", hasItem("Idempotency-Key"));
    }

    /** ST201: a negative after_seq was ignored when a Last-Event-ID came with it; each must be what it says. */
    @Test
    void everyResumeParameterIsChecked() {
        given().header("Authorization", bearer(TestKeys.DEV)).header("Last-Event-ID", "3")
                .queryParam("after_seq", "-5").when().get("/api/v1/tasks/" + java.util.UUID.randomUUID() + "/events")
                .then().statusCode(400).contentType("application/problem+json")
                .body("code", equalTo("INVALID_PARAMETER")).body("violations.field", hasItem("after_seq"));
    }

    /** The document's signature rule (at most 1024 characters, with an arrow) is the server's. */
    @Test
    void theSignatureLimitIsCountedInCharacters() {
        String longest = "q -> a" + " ".repeat(TaskRules.MAX_SIGNATURE_LENGTH - 6);
        given().header("Authorization", bearer(TestKeys.DEV)).contentType(ContentType.JSON)
                .body("{\"kind\": \"predict\", \"program\": {\"signature\": \"" + longest + "x\"}, "
                        + "\"inputs\": {\"q\": \"x\"}}")
                .when().post("/api/v1/tasks").then()
                .statusCode(422).body("violations.field", hasItem("program.signature"));
    }

    // --- The document states the server's rules --------------------------------------------------------------------

    @Test
    void nullableResponseFieldsAdmitNull() {
        given().when().get("/q/openapi?format=json").then().statusCode(200)
                // "error": null is a valid Task: the type admits null, not only the anyOf beside it.
                .body("components.schemas.Task.properties.error.type", hasItems("object", "null"))
                .body("components.schemas.Task.properties.result.type", hasItems("object", "null"))
                .body("components.schemas.Task.properties.progress.type", hasItems("object", "null"))
                .body("components.schemas.Task.properties.finished_at.type", hasItems("string", "null"))
                .body("components.schemas.TaskProgress.properties.best_score.type", hasItems("number", "null"))
                // A named program's version may be null (the promoted version): its oneOf admits null too.
                .body("components.schemas.NamedProgram.properties.version.oneOf.type", hasItem("null"));
    }

    @Test
    void theEventStreamIsDocumentedAsEvents() {
        given().when().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/api/v1/tasks/{id}/events'.get.responses.'200'.content.'text/event-stream'.schema.$ref",
                        equalTo("#/components/schemas/TaskSseEvent"))
                .body("components.schemas.TaskSseEvent.properties.data.contentMediaType", equalTo("application/json"))
                .body("components.schemas.TaskSseEvent.properties.data.contentSchema.$ref",
                        equalTo("#/components/schemas/TaskEventFrame"))
                .body("components.schemas.TaskEventFrame.required", hasItems("task_id", "seq", "event", "data"));
    }

    @Test
    void constraintsComeFromTheServersOwnRules() {
        given().when().get("/q/openapi?format=json").then().statusCode(200)
                .body("components.schemas.CreateTenantRequest.properties.id.pattern",
                        equalTo(CreateTenantRequest.ID_PATTERN))
                .body("components.schemas.CreateTenantRequest.properties.name.pattern", equalTo(TaskRules.NOT_BLANK))
                .body("components.schemas.NamedProgram.properties.name.pattern", equalTo(TaskRules.PROGRAM_NAME))
                .body("components.schemas.NamedProgram.additionalProperties", equalTo(false))
                .body("components.schemas.SignatureText.maxLength", equalTo(TaskRules.MAX_SIGNATURE_LENGTH))
                .body("components.schemas.SignatureField.properties.name.pattern", equalTo(TaskRules.IDENTIFIER))
                .body("components.schemas.SubmitTaskRequest.properties.target_program.pattern",
                        equalTo(TaskRules.TARGET_PROGRAM))
                .body("components.schemas.Program.oneOf.size()", equalTo(2))
                .body("paths.'/api/v1/tasks'.post.parameters.find { it.name == 'Idempotency-Key' }.schema.pattern",
                        equalTo(TaskRules.IDEMPOTENCY_KEY))
                .body("paths.'/api/v1/tasks'.get.parameters.find { it.name == 'status' }.schema.items.$ref",
                        equalTo("#/components/schemas/StatusName"))
                .body("components.schemas.StatusName.enum", hasItems("queued", "running", "succeeded", "failed",
                        "cancelled"))
                .body("paths.'/api/v1/admin/tenants/{tenant}'.get.parameters.find { it.name == 'tenant' }.schema.pattern",
                        notNullValue())
                .body("paths.'/api/v1/admin/jobs/{task_id}'.get.parameters.find { it.name == 'task_id' }.schema.format",
                        equalTo("uuid"));
    }
}
