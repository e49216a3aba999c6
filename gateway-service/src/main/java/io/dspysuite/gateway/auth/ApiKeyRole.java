package io.dspysuite.gateway.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a key may do. Every key acts for its own tenant (tasks, programs, catalog); an {@code admin} key may also call
 * the operator API under {@code /api/v1/admin} (tenants, keys, the job engine), whatever tenant it belongs to.
 */
public enum ApiKeyRole {
    MEMBER,
    ADMIN;

    /** The security role an admin key's identity carries ({@code @RolesAllowed(ApiKeyRole.ADMIN_ROLE)}). */
    public static final String ADMIN_ROLE = "admin";

    /** As stored in {@code api_keys.role} and sent on the wire. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ApiKeyRole> fromWire(String value) {
        return Arrays.stream(values()).filter(role -> role.wire().equals(value)).findFirst();
    }
}
