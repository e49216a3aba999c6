package io.dspysuite.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/** Resolves an API key to its tenant by the key's hash, reactively (no worker thread, no blocking). */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthenticationRequest> {

    /** Every authenticated caller is a tenant; the principal name is the tenant id. */
    public static final String TENANT_ROLE = "tenant";

    private static final Logger LOG = Logger.getLogger(ApiKeyIdentityProvider.class);

    private final ApiKeyStore store;

    public ApiKeyIdentityProvider(ApiKeyStore store) {
        this.store = store;
    }

    @Override
    public Class<ApiKeyAuthenticationRequest> getRequestType() {
        return ApiKeyAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyAuthenticationRequest request, AuthenticationRequestContext context) {
        return store.findActiveTenant(ApiKeys.hash(request.key()))
                .onFailure().transform(e -> {
                    // Not the caller's fault: answer 503 instead of a misleading 401.
                    LOG.warn("API key lookup failed", e);
                    return new ApiException(ErrorCode.SERVICE_UNAVAILABLE, "Authentication is temporarily unavailable", e);
                })
                .onItem().ifNull().failWith(() -> new AuthenticationFailedException("unknown or revoked API key"))
                .map(tenantId -> QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal(tenantId))
                        .addRole(TENANT_ROLE)
                        .build());
    }
}
