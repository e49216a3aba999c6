package io.dspysuite.gateway.auth;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * Keys that exist because the configuration says so.
 * <ul>
 * <li>The development tenant {@code dev}. With {@code dspy-suite.dev-api-key} (env {@code DSPY_SUITE_API_KEY}) its key
 * is pinned; otherwise, where {@code dspy-suite.dev-tenant.generate-key} is on (dev and prod-local profiles), a fresh
 * key is generated and printed once, the only place a key is ever shown. The key is an {@code admin} key by default,
 * so the local browser app can show the admin view; that is meant for the local stack only: a deployment that pins
 * a development key sets {@code dspy-suite.dev-tenant.role=member} (env {@code DSPY_SUITE_DEV_KEY_ROLE}).</li>
 * <li>The operator tenant {@code operator}, when {@code dspy-suite.admin-api-key} (env {@code DSPY_SUITE_ADMIN_KEY})
 * is set: an admin key for deployments, which creates the tenants and their keys through the admin API.</li>
 * </ul>
 * A re-bootstrapped key replaces the previous one of the same kind (the old one is revoked).
 */
@ApplicationScoped
public class DevTenantBootstrap {

    public static final String TENANT_ID = "dev";
    public static final String OPERATOR_TENANT_ID = "operator";
    static final String LABEL = "dev-bootstrap";
    static final String OPERATOR_LABEL = "admin-bootstrap";

    private static final Logger LOG = Logger.getLogger(DevTenantBootstrap.class);

    private final ApiKeyStore store;
    private final Optional<String> pinnedKey;
    private final Optional<String> adminKey;
    private final boolean generateKey;
    private final ApiKeyRole devRole;

    public DevTenantBootstrap(ApiKeyStore store,
            @ConfigProperty(name = "dspy-suite.dev-api-key") Optional<String> pinnedKey,
            @ConfigProperty(name = "dspy-suite.admin-api-key") Optional<String> adminKey,
            @ConfigProperty(name = "dspy-suite.dev-tenant.generate-key", defaultValue = "false") boolean generateKey,
            @ConfigProperty(name = "dspy-suite.dev-tenant.role", defaultValue = "admin") String devRole) {
        this.devRole = ApiKeyRole.fromWire(devRole).orElseThrow(() -> new IllegalStateException(
                "dspy-suite.dev-tenant.role (DSPY_SUITE_DEV_KEY_ROLE) must be member or admin"));
        this.store = store;
        this.pinnedKey = pinnedKey.map(String::trim).filter(k -> !k.isEmpty());
        this.adminKey = adminKey.map(String::trim).filter(k -> !k.isEmpty());
        this.generateKey = generateKey;
    }

    // Start-up runs on the main thread, not an event loop: waiting for the row here is allowed and makes the key
    // usable before the first request.
    void onStart(@Observes StartupEvent event) {
        if (pinnedKey.isPresent()) {
            String key = requireWellFormed(pinnedKey.get(), "DSPY_SUITE_API_KEY");
            register(TENANT_ID, "Development tenant", key, LABEL, devRole);
            LOG.info("Development tenant '" + TENANT_ID + "' uses the key from DSPY_SUITE_API_KEY (role "
                    + devRole.wire() + ")");
        } else if (generateKey) {
            String key = ApiKeys.generate();
            register(TENANT_ID, "Development tenant", key, LABEL, devRole);
            // Printed on stdout, not logged: the launcher and the developer read it; log shippers never see it.
            System.out.println();
            System.out.println("==== DSPy Suite development tenant '" + TENANT_ID + "' (pin it with DSPY_SUITE_API_KEY) ====");
            System.out.println("DSPY_SUITE_API_KEY=" + key);
            System.out.println();
            System.out.flush();
        }
        if (adminKey.isPresent()) {
            String key = requireWellFormed(adminKey.get(), "DSPY_SUITE_ADMIN_KEY");
            if (pinnedKey.isPresent() && pinnedKey.get().equals(key)) {
                throw new IllegalStateException("DSPY_SUITE_ADMIN_KEY must differ from DSPY_SUITE_API_KEY");
            }
            register(OPERATOR_TENANT_ID, "Operator", key, OPERATOR_LABEL, ApiKeyRole.ADMIN);
            LOG.info("Operator tenant '" + OPERATOR_TENANT_ID + "' has the admin key from DSPY_SUITE_ADMIN_KEY");
        }
    }

    private static String requireWellFormed(String key, String variable) {
        if (!ApiKeys.isWellFormed(key)) {
            throw new IllegalStateException(variable + " must be 16-256 printable ASCII characters without spaces");
        }
        return key;
    }

    private void register(String tenantId, String tenantName, String key, String label, ApiKeyRole role) {
        store.ensureTenantKey(tenantId, tenantName, key, label, role, true)
                .await().atMost(Duration.ofSeconds(30));
    }
}
