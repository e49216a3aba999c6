package io.dspysuite.orchestration.internalapi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Guards {@code /internal/v1}: the caller (the gateway) must send the shared token in {@code X-Internal-Token}
 * ({@code dspy-suite.internal.token}, env {@code DSPY_SUITE_INTERNAL_TOKEN}). Without a configured token the internal
 * API is off: 503 {@code INTERNAL_API_DISABLED}. A missing or wrong token: 401 {@code INTERNAL_TOKEN_INVALID}. The
 * comparison takes constant time. (In Kubernetes the NetworkPolicy additionally admits only the gateway.)
 */
public class InternalTokenFilter {

    public static final String HEADER = "X-Internal-Token";
    static final String PREFIX = "/internal/";

    private final Optional<byte[]> token;

    InternalTokenFilter(@ConfigProperty(name = "dspy-suite.internal.token") Optional<String> token) {
        this.token = token.filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    @ServerRequestFilter
    public Optional<Response> check(ContainerRequestContext request) {
        return check(request.getUriInfo().getPath(), request.getHeaderString(HEADER));
    }

    /** The problem to answer instead of serving {@code path}, or empty to serve it. */
    Optional<Response> check(String path, String sentToken) {
        if (!path.startsWith(PREFIX)) {
            return Optional.empty();
        }
        if (token.isEmpty()) {
            return Optional.of(Problems.response(503, "INTERNAL_API_DISABLED",
                    "the internal API is disabled: no dspy-suite.internal.token (DSPY_SUITE_INTERNAL_TOKEN) is set"));
        }
        if (sentToken == null || !MessageDigest.isEqual(token.get(), sentToken.getBytes(StandardCharsets.UTF_8))) {
            return Optional.of(Problems.response(401, "INTERNAL_TOKEN_INVALID",
                    "missing or wrong " + HEADER + " header"));
        }
        return Optional.empty();
    }
}
