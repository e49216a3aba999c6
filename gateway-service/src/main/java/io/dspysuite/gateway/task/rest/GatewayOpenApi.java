package io.dspysuite.gateway.task.rest;

import jakarta.ws.rs.core.Application;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** OpenAPI document metadata and the tenant API key scheme. */
@OpenAPIDefinition(info = @Info(title = "DSPy Suite gateway API", version = "v1",
        description = "Submit DSPy tasks and follow them. Errors are application/problem+json with a stable code. "
                + "Live updates: WebSocket /ws/v1 (JSON frames submit/subscribe/unsubscribe/ping)."))
@SecurityScheme(securitySchemeName = GatewayOpenApi.BEARER, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "Tenant API key: Authorization: Bearer <key>")
public class GatewayOpenApi extends Application {

    public static final String BEARER = "api-key";
}
