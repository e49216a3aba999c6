package io.dspysuite.gateway.auth;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * The development tenant {@code dev}. With {@code dspy-suite.dev-api-key} (env {@code DSPY_SUITE_API_KEY}) its key is
 * pinned; otherwise, where {@code dspy-suite.dev-tenant.generate-key} is on (dev and prod-local profiles), a fresh key
 * is generated and printed once, the only place a key is ever shown.
 */
@ApplicationScoped
public class DevTenantBootstrap {

    public static final String TENANT_ID = "dev";
    static final String LABEL = "dev-bootstrap";

    private static final Logger LOG = Logger.getLogger(DevTenantBootstrap.class);

    private final ApiKeyStore store;
    private final Optional<String> pinnedKey;
    private final boolean generateKey;

    public DevTenantBootstrap(ApiKeyStore store,
            @ConfigProperty(name = "dspy-suite.dev-api-key") Optional<String> pinnedKey,
            @ConfigProperty(name = "dspy-suite.dev-tenant.generate-key", defaultValue = "false") boolean generateKey) {
        this.store = store;
        this.pinnedKey = pinnedKey.map(String::trim).filter(k -> !k.isEmpty());
        this.generateKey = generateKey;
    }

    // Start-up runs on the main thread, not an event loop: waiting for the row here is allowed and makes the key
    // usable before the first request.
    void onStart(@Observes StartupEvent event) {
        if (pinnedKey.isPresent()) {
            String key = pinnedKey.get();
            if (!ApiKeys.isWellFormed(key)) {
                throw new IllegalStateException(
                        "DSPY_SUITE_API_KEY must be 16-256 printable ASCII characters without spaces");
            }
            register(key);
            LOG.info("Development tenant '" + TENANT_ID + "' uses the key from DSPY_SUITE_API_KEY");
        } else if (generateKey) {
            String key = ApiKeys.generate();
            register(key);
            // Printed on stdout, not logged: the launcher and the developer read it; log shippers never see it.
            System.out.println();
            System.out.println("==== DSPy Suite development tenant '" + TENANT_ID + "' (pin it with DSPY_SUITE_API_KEY) ====");
            System.out.println("DSPY_SUITE_API_KEY=" + key);
            System.out.println();
            System.out.flush();
        }
    }

    private void register(String key) {
        store.ensureTenantKey(TENANT_ID, "Development tenant", ApiKeys.hash(key), LABEL, true)
                .await().atMost(Duration.ofSeconds(30));
    }
}
