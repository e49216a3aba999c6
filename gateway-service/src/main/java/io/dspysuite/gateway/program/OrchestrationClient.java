package io.dspysuite.gateway.program;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestResponse;

import io.quarkus.rest.client.reactive.ClientExceptionMapper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.mutiny.Uni;

/**
 * The orchestration service's internal REST API (catalog, program registry, job engine admin). Base URL:
 * {@code quarkus.rest-client.orchestration.url} (env {@code QUARKUS_REST_CLIENT_ORCHESTRATION_URL}); every call carries
 * {@code X-Internal-Token} = {@code dspy-suite.internal.token} (env {@code DSPY_SUITE_INTERNAL_TOKEN}). Bodies are
 * relayed as JSON trees; an error status becomes an {@link OrchestrationException}.
 */
@RegisterRestClient(configKey = "orchestration")
@Path("/internal/v1")
@Produces(MediaType.APPLICATION_JSON)
@ClientHeaderParam(name = OrchestrationClient.TOKEN_HEADER, value = "{internalToken}", required = false)
public interface OrchestrationClient {

    String TOKEN_HEADER = "X-Internal-Token";
    String TOKEN_PROPERTY = "dspy-suite.internal.token";

    @GET
    @Path("/catalog")
    Uni<JsonNode> catalog();

    @GET
    @Path("/tenants/{tenant}/programs")
    Uni<JsonNode> programs(@PathParam("tenant") String tenant);

    @GET
    @Path("/tenants/{tenant}/programs/{name}/versions")
    Uni<JsonNode> versions(@PathParam("tenant") String tenant, @PathParam("name") String name,
            @QueryParam("include_state") Boolean includeState);

    @POST
    @Path("/tenants/{tenant}/programs/{name}/versions/{version}/promote")
    Uni<JsonNode> promote(@PathParam("tenant") String tenant, @PathParam("name") String name,
            @PathParam("version") String version);

    // Job engine admin API (relayed by /api/v1/admin/queues and /api/v1/admin/jobs).

    @GET
    @Path("/admin/queues")
    Uni<JsonNode> adminQueues();

    @GET
    @Path("/admin/jobs")
    Uni<JsonNode> adminJobs(@QueryParam("state") String state, @QueryParam("queue") String queue,
            @QueryParam("tenant_id") String tenantId, @QueryParam("limit") Integer limit,
            @QueryParam("cursor") String cursor);

    @GET
    @Path("/admin/jobs/{task_id}")
    Uni<JsonNode> adminJob(@PathParam("task_id") String taskId);

    /** {@code action} is one of retry, cancel, discard (checked by the caller). */
    @POST
    @Path("/admin/jobs/{task_id}/{action}")
    Uni<RestResponse<JsonNode>> adminJobAction(@PathParam("task_id") String taskId, @PathParam("action") String action);

    /** The shared token, or null (no header) when none is configured. */
    default String internalToken() {
        return ConfigProvider.getConfig().getOptionalValue(TOKEN_PROPERTY, String.class)
                .filter(token -> !token.isBlank()).orElse(null);
    }

    @ClientExceptionMapper
    static RuntimeException toException(Response response) {
        String code = null;
        String detail = "orchestration answered " + response.getStatus();
        try {
            String body = response.readEntity(String.class);
            if (body != null && !body.isBlank()) {
                JsonNode problem = new ObjectMapper().readTree(body);
                if (problem.path("code").isTextual()) {
                    code = problem.get("code").asText();
                }
                if (problem.path("detail").isTextual()) {
                    detail = problem.get("detail").asText();
                }
            }
        } catch (Exception e) {
            // Not a problem document: status only.
        }
        return new OrchestrationException(response.getStatus(), code, detail);
    }
}
