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

/**
 * Resolves an API key to its tenant and role by the key's hash, reactively (no worker thread, no blocking). Admin keys
 * carry the {@code admin} role besides {@code tenant}.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthenticationRequest> {

    /** Every authenticated caller is a tenant; the principal name is the tenant id. */
    public static final String TENANT_ROLE = "tenant";
    /** Identity attribute: the id (not the secret) of the key that authenticated the request. */
    public static final String KEY_ID_ATTRIBUTE = "dspy-suite.api-key-id";

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
        return store.findActive(ApiKeys.hash(request.key()))
                .onFailure().transform(e -> {
                    // Not the caller's fault: answer 503 instead of a misleading 401.
                    LOG.warn("API key lookup failed", e);
                    return new ApiException(ErrorCode.SERVICE_UNAVAILABLE, "Authentication is temporarily unavailable", e);
                })
                .onItem().ifNull().failWith(() -> new AuthenticationFailedException("unknown or revoked API key"))
                .map(key -> {
                    QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                            .setPrincipal(new QuarkusPrincipal(key.tenantId()))
                            .addRole(TENANT_ROLE)
                            .addAttribute(KEY_ID_ATTRIBUTE, key.keyId().toString());
                    if (key.role() == ApiKeyRole.ADMIN) {
                        identity.addRole(ApiKeyRole.ADMIN_ROLE);
                    }
                    return identity.build();
                });
    }
}
