package io.dspysuite.gateway.support;

/** API keys of the test tenants. */
public final class TestKeys {

    /** Pinned for the dev tenant in the test profile (dspy-suite.dev-api-key); an admin key, like every dev key. */
    public static final String DEV = "test-dev-tenant-key-0123456789abcdef";
    public static final String OTHER_TENANT = "other";
    public static final String OTHER = "test-other-tenant-key-0123456789abcdef";
    /** The operator's admin key, bootstrapped in the test profile (dspy-suite.admin-api-key). */
    public static final String ADMIN = "test-operator-admin-key-0123456789abcdef";

    private TestKeys() {
    }

    public static String bearer(String key) {
        return "Bearer " + key;
    }
}
