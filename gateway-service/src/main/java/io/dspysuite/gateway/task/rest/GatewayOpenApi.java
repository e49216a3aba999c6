package io.dspysuite.gateway.task.rest;

import jakarta.ws.rs.core.Application;

import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** OpenAPI document metadata and the tenant API key scheme. */
@OpenAPIDefinition(info = @Info(title = "DSPy Suite gateway API", version = "v1",
        description = "Submit DSPy tasks and follow them. Errors are application/problem+json with a stable code. "
                + "Live updates: Server-Sent Events (GET /api/v1/tasks/{id}/events) or the WebSocket /ws/v1 with JSON "
                + "frames: client submit/subscribe{task_id, after_seq}/unsubscribe/cancel/ping; server accepted, event, "
                + "cancel_requested, error{code, retry_after?}, pong and a heartbeat every 20 s. A connection that does "
                + "not read its frames is closed with code 4008; reconnect and subscribe with after_seq. Submissions "
                + "are rate-limited per tenant (429 RATE_LIMITED, Retry-After)."))
@SecurityScheme(securitySchemeName = GatewayOpenApi.BEARER, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "Tenant API key: Authorization: Bearer <key>")
public class GatewayOpenApi extends Application {

    public static final String BEARER = "api-key";
}
