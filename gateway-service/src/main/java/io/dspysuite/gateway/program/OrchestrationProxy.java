package io.dspysuite.gateway.program;

import java.time.Duration;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.smallrye.mutiny.Uni;

/**
 * Calls the orchestration service for the catalog, the tenant's programs and the job engine admin API, and maps its
 * failures onto the public API: a 404, 400 or 409 keeps its status and code (PROGRAM_NOT_FOUND, JOB_NOT_FOUND,
 * JOB_FINISHED, ...); anything else (unreachable, timeout, 5xx, a rejected internal token) is 503
 * ORCHESTRATION_UNAVAILABLE — never a 500.
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

    public Uni<JsonNode> adminQueues() {
        return call("admin queues", client::adminQueues);
    }

    public Uni<JsonNode> adminJobs(String state, String queue, String tenantId, Integer limit, String cursor) {
        return call("admin jobs", () -> client.adminJobs(state, queue, tenantId, limit, cursor));
    }

    public Uni<JsonNode> adminJob(String taskId) {
        return call("admin job", () -> client.adminJob(taskId));
    }

    /** @param action retry, cancel or discard; the answer keeps the orchestration service's status */
    public Uni<RestResponse<JsonNode>> adminJobAction(String taskId, String action) {
        return call("admin job " + action, () -> client.adminJobAction(taskId, action));
    }

    private static <T> Uni<T> call(String what, Supplier<Uni<T>> call) {
        return Uni.createFrom().<T> deferred(call::get)
                .ifNoItem().after(CALL_TIMEOUT).fail()
                .onFailure().transform(failure -> map(what, failure));
    }

    static ApiException map(String what, Throwable failure) {
        if (failure instanceof OrchestrationException e) {
            String code = e.code() != null && e.code().matches(CODE) ? e.code() : null;
            if (e.status() == 404 && code != null) {
                return relayed(ErrorCode.NOT_FOUND, code, e.getMessage());
            }
            if (e.status() == 400 && code != null) {
                return relayed(ErrorCode.INVALID_PARAMETER, code, e.getMessage());
            }
            if (e.status() == 409 && code != null) {
                return relayed(ErrorCode.CONFLICT, code, e.getMessage());
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

    /** A code the gateway knows with the same status is answered as its own (its title); others keep the base's. */
    private static ApiException relayed(ErrorCode base, String code, String detail) {
        for (ErrorCode known : ErrorCode.values()) {
            if (known.name().equals(code) && known.status() == base.status()) {
                return new ApiException(known, detail);
            }
        }
        return ApiException.relayed(base, code, detail);
    }

    private static ApiException unavailable(String reason) {
        return new ApiException(ErrorCode.ORCHESTRATION_UNAVAILABLE,
                "The orchestration service is unavailable (" + reason + "); try again shortly");
    }
}
