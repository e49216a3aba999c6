package io.dspysuite.gateway.program;

import java.time.Duration;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.smallrye.mutiny.Uni;

/**
 * Calls the orchestration service for the catalog and the tenant's programs and maps its failures onto the public
 * API: a 404 keeps its code (PROGRAM_NOT_FOUND, PROGRAM_VERSION_NOT_FOUND), a 400 its code as a 400, anything else
 * (unreachable, timeout, 5xx, a rejected internal token) is 503 ORCHESTRATION_UNAVAILABLE — never a 500.
 */
@ApplicationScoped
public class OrchestrationProxy {

    private static final Logger LOG = Logger.getLogger(OrchestrationProxy.class);
    /** Backstop above the client's connect/read timeouts. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final String CODE = "[A-Z][A-Z0-9_]{0,63}";

    private final OrchestrationClient client;

    public OrchestrationProxy(@RestClient OrchestrationClient client) {
        this.client = client;
    }

    public Uni<JsonNode> catalog() {
        return call("catalog", client::catalog);
    }

    public Uni<JsonNode> programs(String tenant) {
        return call("programs", () -> client.programs(tenant));
    }

    public Uni<JsonNode> versions(String tenant, String name, boolean includeState) {
        return call("versions", () -> client.versions(tenant, name, includeState ? Boolean.TRUE : null));
    }

    public Uni<JsonNode> promote(String tenant, String name, String version) {
        return call("promote", () -> client.promote(tenant, name, version));
    }

    private static Uni<JsonNode> call(String what, Supplier<Uni<JsonNode>> call) {
        return Uni.createFrom().<JsonNode> deferred(call::get)
                .ifNoItem().after(CALL_TIMEOUT).fail()
                .onFailure().transform(failure -> map(what, failure));
    }

    static ApiException map(String what, Throwable failure) {
        if (failure instanceof OrchestrationException e) {
            String code = e.code() != null && e.code().matches(CODE) ? e.code() : null;
            if (e.status() == 404 && code != null) {
                return ApiException.relayed(ErrorCode.NOT_FOUND, code, e.getMessage());
            }
            if (e.status() == 400 && code != null) {
                return ApiException.relayed(ErrorCode.INVALID_PARAMETER, code, e.getMessage());
            }
            if (e.status() == 401 || e.status() == 403) {
                LOG.errorf("orchestration refused the %s call (%d %s): check dspy-suite.internal.token "
                        + "(DSPY_SUITE_INTERNAL_TOKEN) on both services", what, e.status(), code);
            } else {
                LOG.warnf("orchestration %s call failed: %d %s %s", what, e.status(), code, e.getMessage());
            }
            return unavailable(code == null ? "status " + e.status() : code);
        }
        if (failure instanceof ApiException api) {
            return api;
        }
        LOG.warnf("orchestration %s call failed: %s", what, failure.toString());
        return unavailable(failure instanceof io.smallrye.mutiny.TimeoutException ? "timeout"
                : failure.getClass().getSimpleName());
    }

    private static ApiException unavailable(String reason) {
        return new ApiException(ErrorCode.ORCHESTRATION_UNAVAILABLE,
                "The orchestration service is unavailable (" + reason + "); try again shortly");
    }
}
