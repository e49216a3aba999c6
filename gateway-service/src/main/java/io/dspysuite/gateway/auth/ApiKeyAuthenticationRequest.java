package io.dspysuite.gateway.auth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** A tenant API key presented as {@code Authorization: Bearer <key>}; its own type so no other provider claims it. */
public final class ApiKeyAuthenticationRequest extends BaseAuthenticationRequest {

    private final String key;

    public ApiKeyAuthenticationRequest(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }
}
