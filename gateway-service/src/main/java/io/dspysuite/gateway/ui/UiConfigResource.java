package io.dspysuite.gateway.ui;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code GET /api/v1/ui-config}: what the browser app needs before the user has entered a key. Open to anyone (see
 * the {@code ui-config} HTTP permission in application.properties), so it must only ever hold non-secret
 * presentation settings.
 */
@Path("/api/v1/ui-config")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Browser app")
@PermitAll
public class UiConfigResource {

    /** The page's settings on the wire (snake_case). */
    public record UiSettings(String traceUrlTemplate) {
    }

    private final UiSettings settings;

    public UiConfigResource(UiConfig config) {
        this.settings = new UiSettings(config.traceUrlTemplate().map(String::strip).orElse(""));
    }

    @GET
    @Operation(summary = "Browser app settings",
            description = "Unauthenticated. trace_url_template: a link template with {trace_id} for a task's trace "
                    + "(empty: the page shows the trace id as text).")
    @APIResponse(responseCode = "200", description = "{\"trace_url_template\": \"...\"}")
    public UiSettings get() {
        return settings;
    }
}
