package io.dspysuite.gateway.support;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.auth.ApiKeyStore;
import io.dspysuite.gateway.auth.ApiKeyRole;

/** Registers the second tenant the isolation tests need. */
@ApplicationScoped
public class TestTenants {

    private final ApiKeyStore keys;

    public TestTenants(ApiKeyStore keys) {
        this.keys = keys;
    }

    /** A tenant of the test's own (e.g. so a list holds only the test's tasks). */
    public void ensureTenant(String tenantId, String key) {
        keys.ensureTenantKey(tenantId, "Test tenant " + tenantId, key, "test", ApiKeyRole.MEMBER, false)
                .await().atMost(Duration.ofSeconds(10));
    }

    public void ensureOtherTenant() {
        keys.ensureTenantKey(TestKeys.OTHER_TENANT, "Other tenant", TestKeys.OTHER, "test", ApiKeyRole.MEMBER, false)
                .await().atMost(Duration.ofSeconds(10));
    }
}
