package io.dspysuite.gateway.program;

import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.Problem;
import io.dspysuite.gateway.problem.Violation;
import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.task.rest.GatewayOpenApi;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * The DSPy catalog and the tenant's programs, served by the orchestration service's internal API and relayed as-is.
 * Every call acts for the tenant of the presented API key.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Programs")
@SecurityRequirement(name = GatewayOpenApi.BEARER)
@APIResponse(responseCode = "401", description = "Missing or invalid API key (code UNAUTHENTICATED)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "503", description = "The orchestration service did not answer in time or failed "
        + "(ORCHESTRATION_UNAVAILABLE); retry shortly",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class ProgramResource {

    static final String NAME = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$";
    static final String VERSION = TaskRules.VERSION_NUMBER;

    private final OrchestrationProxy orchestration;
    private final SecurityIdentity identity;

    public ProgramResource(OrchestrationProxy orchestration, SecurityIdentity identity) {
        this.orchestration = orchestration;
        this.identity = identity;
    }

    @GET
    @Path("/catalog")
    @Operation(summary = "What a task may use",
            description = "The DSPy service's catalog: modules (with their module_options), optimizers (with their "
                    + "parameters and availability), metrics, named programs (input/output fields), tools, the "
                    + "models a request may choose (options.model) and the signature field types. Names sent in "
                    + "tasks are checked against it by the DSPy service.")
    @APIResponse(responseCode = "200", description = "The catalog (snake_case JSON)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT),
                    examples = @ExampleObject(name = "catalog", value = """
                            {"modules": [{"name": "chain_of_thought", "added_outputs": ["reasoning"]}],
                             "optimizers": [{"name": "bootstrap_few_shot", "available": true}],
                             "metrics": [{"name": "exact_match"}], "programs": [{"name": "qa"}],
                             "tools": [{"name": "calculator"}], "models": [{"name": "smollm2-135m"}],
                             "field_types": ["str", "int", "float", "bool", "list[str]", "enum"]}""")))
    public Uni<JsonNode> catalog() {
        return orchestration.catalog();
    }

    @GET
    @Path("/programs")
    @Operation(summary = "The tenant's programs",
            description = "Programs registered in the DSPy service and those the tenant's optimizations created, each "
                    + "with its latest and promoted version.")
    @APIResponse(responseCode = "200", description = "{tenant_id, catalog_available, catalog_stale, programs: [...]}",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT)))
    public Uni<JsonNode> programs() {
        return orchestration.programs(tenant());
    }

    @GET
    @Path("/programs/{name}/versions")
    @Operation(summary = "A program's versions",
            description = "Every version of the program for this tenant, oldest first (version 1 is the program as "
                    + "defined; an optimize task adds one, with optimizer, parameters, dataset hash and scores before "
                    + "and after), with latest_version and promoted_version. include_state=true adds DSPy's JSON "
                    + "state of each version.")
    @APIResponse(responseCode = "200", description = "{tenant_id, name, source, latest_version, promoted_version, "
            + "versions: [...]}",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @APIResponse(responseCode = "400", description = "Invalid program name (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such program for this tenant (PROGRAM_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JsonNode> versions(
            @Parameter(description = "Program name", example = "qa",
                    schema = @Schema(type = SchemaType.STRING, pattern = NAME)) @PathParam("name") String name,
            // A String: JAX-RS would read any text but "true" as false (schemathesis sent include_state=0.01).
            @Parameter(description = "Include each version's DSPy JSON state",
                    schema = @Schema(type = SchemaType.BOOLEAN, defaultValue = "false"))
            @QueryParam("include_state") String includeState, @Context HttpServerRequest request) {
        check(name, null);
        // The raw value: RESTEasy hands an empty one over as none, but "include_state=" is no boolean either.
        String raw = request.getParam("include_state");
        if (raw != null && !raw.equals("true") && !raw.equals("false")) {
            throw ApiException.invalidParameter("include_state", "must be true or false");
        }
        return orchestration.versions(tenant(), name, "true".equals(includeState));
    }

    @POST
    @Path("/programs/{name}/versions/{version}/promote")
    @Operation(summary = "Promote a version",
            description = "Makes the version the one tasks run when they name the program without a version. "
                    + "Idempotent; answers the promotion with previous_version.")
    @APIResponse(responseCode = "200", description = "The promotion",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT)))
    @APIResponse(responseCode = "400", description = "Invalid program name or version (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such program or version for this tenant "
            + "(PROGRAM_NOT_FOUND, PROGRAM_VERSION_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JsonNode> promote(
            @Parameter(description = "Program name", example = "qa",
                    schema = @Schema(type = SchemaType.STRING, pattern = NAME)) @PathParam("name") String name,
            @Parameter(description = "Version number (from 1)", example = "2",
                    schema = @Schema(type = SchemaType.STRING, pattern = VERSION)) @PathParam("version") String version) {
        check(name, version);
        return orchestration.promote(tenant(), name, version);
    }

    private static void check(String name, String version) {
        List<Violation> violations = new ArrayList<>();
        if (name == null || !name.matches(NAME)) {
            violations.add(new Violation("name", "must be a program name"));
        }
        if (version != null && !version.matches(VERSION)) {
            violations.add(new Violation("version", "must be a positive version number"));
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalidParameters(violations);
        }
    }

    private String tenant() {
        return identity.getPrincipal().getName();
    }
}
