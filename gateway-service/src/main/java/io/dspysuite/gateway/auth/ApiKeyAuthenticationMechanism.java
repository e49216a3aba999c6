package io.dspysuite.gateway.auth;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.problem.Problem;
import io.dspysuite.gateway.problem.ProblemWriter;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads {@code Authorization: Bearer <key>} (for browsers' WebSocket upgrades Quarkus copies it there from the
 * {@code quarkus-http-upgrade#Authorization#...} subprotocol first). No header means anonymous: the path policy then
 * challenges. The challenge is a problem+json 401, never an empty or HTML body.
 */
@ApplicationScoped
public class ApiKeyAuthenticationMechanism implements HttpAuthenticationMechanism {

    private static final String BEARER = "Bearer ";
    private static final String CHALLENGE = "Bearer realm=\"dspy-suite\"";

    private final ProblemWriter problems;

    public ApiKeyAuthenticationMechanism(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String header = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            return Uni.createFrom().nullItem();
        }
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Uni.createFrom().failure(new AuthenticationFailedException("unsupported authorization scheme"));
        }
        String key = header.substring(BEARER.length()).trim();
        if (!ApiKeys.isWellFormed(key)) {
            return Uni.createFrom().failure(new AuthenticationFailedException("malformed API key"));
        }
        return identityProviderManager.authenticate(
                HttpSecurityUtils.setRoutingContextAttribute(new ApiKeyAuthenticationRequest(key), context));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", CHALLENGE));
    }

    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        boolean presented = context.request().getHeader(HttpHeaders.AUTHORIZATION) != null;
        String detail = presented
                ? "The API key is not valid"
                : "An API key is required: send Authorization: Bearer <key>";
        context.response().putHeader("WWW-Authenticate", CHALLENGE);
        return problems.write(context.response(), Problem.of(ErrorCode.UNAUTHENTICATED, detail)).replaceWith(true);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiKeyAuthenticationRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.AUTHORIZATION, "bearer"));
    }
}
