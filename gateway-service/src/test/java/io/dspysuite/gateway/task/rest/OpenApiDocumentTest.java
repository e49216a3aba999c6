package io.dspysuite.gateway.task.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;

import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** /q/openapi describes what the endpoints do: every operation, its parameters, responses and schemas. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class OpenApiDocumentTest {

    @Test
    void theDocumentDescribesTheTaskApi() {
        given().when().get("/q/openapi?format=json").then()
                .statusCode(200)
                // Listing
                .body("paths.'/api/v1/tasks'.get.summary", equalTo("List tasks"))
                .body("paths.'/api/v1/tasks'.get.parameters.name", hasItems("status", "kind", "limit", "cursor"))
                .body("paths.'/api/v1/tasks'.get.responses.'200'.content.'application/json'.schema.$ref",
                        equalTo("#/components/schemas/TaskPage"))
                .body("paths.'/api/v1/tasks'.get.responses.'400'", notNullValue())
                .body("components.schemas.TaskPage.properties.next_cursor", notNullValue())
                .body("components.schemas.Task.properties.cancel_requested_at", notNullValue())
                // Submission: Prefer, 429 with Retry-After
                .body("paths.'/api/v1/tasks'.post.parameters.name", hasItems("Idempotency-Key", "Prefer"))
                .body("paths.'/api/v1/tasks'.post.responses.'429'.headers.Retry-After", notNullValue())
                .body("paths.'/api/v1/tasks'.post.responses.'200'.headers.Preference-Applied", notNullValue())
                // Cancel
                .body("paths.'/api/v1/tasks/{id}/cancel'.post.summary", equalTo("Cancel a task"))
                .body("paths.'/api/v1/tasks/{id}/cancel'.post.responses.keySet()", hasItems("202", "404", "409"))
                // SSE
                .body("paths.'/api/v1/tasks/{id}/events'.get.parameters.name", hasItems("Last-Event-ID", "after_seq"))
                .body("paths.'/api/v1/tasks/{id}/events'.get.responses.'200'.content.'text/event-stream'", notNullValue());
    }

    @Test
    void theDocumentDescribesEvaluateOptimizeAndThePrograms() {
        given().when().get("/q/openapi?format=json").then()
                .statusCode(200)
                .body("components.schemas.SubmitTaskRequest.properties.keySet()", hasItems("metric", "devset",
                        "max_examples", "max_outcomes", "optimizer", "params", "trainset", "target_program"))
                .body("components.schemas.SubmitTaskRequest.description", containsString("INVALID_INPUTS"))
                .body("components.schemas.AdHocProgram.properties.signature.oneOf.size()", equalTo(2))
                .body("components.schemas.AdHocProgram.properties.module.enum", hasItems("react", "best_of_n",
                        "refine", "multi_chain_comparison"))
                .body("components.schemas.SignatureField.properties.keySet()", hasItems("name", "type",
                        "description", "enum_values"))
                .body("components.schemas.ModuleOptions.properties.keySet()", hasItems("n", "tools", "max_iters",
                        "threshold"))
                .body("paths.'/api/v1/catalog'.get.responses.keySet()", hasItems("200", "401", "503"))
                .body("paths.'/api/v1/programs'.get.responses.keySet()", hasItems("200", "401", "503"))
                .body("paths.'/api/v1/programs/{name}/versions'.get.responses.keySet()", hasItems("200", "404"))
                .body("paths.'/api/v1/programs/{name}/versions/{version}/promote'.post.responses.keySet()",
                        hasItems("200", "400", "404", "503"));
    }

    @Test
    void theDocumentDescribesTheAdminApi() {
        given().when().get("/q/openapi?format=json").then()
                .statusCode(200)
                .body("paths.'/api/v1/admin/tenants'.post.responses.keySet()", hasItems("201", "401", "403", "409", "422"))
                .body("paths.'/api/v1/admin/tenants'.post.requestBody.content.'application/json'.schema.$ref",
                        equalTo("#/components/schemas/CreateTenantRequest"))
                .body("paths.'/api/v1/admin/tenants'.get.parameters.name", hasItems("limit", "cursor"))
                .body("paths.'/api/v1/admin/tenants/{tenant}/keys'.post.responses.keySet()", hasItems("201", "404"))
                .body("paths.'/api/v1/admin/tenants/{tenant}/keys'.post.responses.'201'.content.'application/json'.schema.$ref",
                        equalTo("#/components/schemas/CreatedApiKey"))
                .body("paths.'/api/v1/admin/tenants/{tenant}/keys'.get.responses.'200'", notNullValue())
                .body("paths.'/api/v1/admin/tenants/{tenant}/keys/{key_id}'.delete.responses.keySet()",
                        hasItems("204", "404"))
                .body("components.schemas.CreatedApiKey.properties.keySet()", hasItems("key_id", "key", "prefix",
                        "role", "created_at"))
                .body("components.schemas.ApiKey.properties.keySet()", hasItems("key_id", "prefix", "role",
                        "revoked_at", "last_used_at"))
                .body("components.schemas.CreateTenantRequest.properties.id.pattern", notNullValue())
                .body("paths.'/api/v1/admin/queues'.get.responses.keySet()", hasItems("200", "401", "403", "503"))
                .body("paths.'/api/v1/admin/jobs'.get.parameters.name", hasItems("state", "queue", "tenant_id",
                        "limit", "cursor"))
                .body("paths.'/api/v1/admin/jobs/{task_id}'.get.responses.keySet()", hasItems("200", "404"))
                .body("paths.'/api/v1/admin/jobs/{task_id}/retry'.post.responses.keySet()", hasItems("200", "404", "409"))
                .body("paths.'/api/v1/admin/jobs/{task_id}/cancel'.post.summary", equalTo("Cancel a job"))
                .body("paths.'/api/v1/admin/jobs/{task_id}/discard'.post.responses.keySet()", hasItems("409"));
    }
}
