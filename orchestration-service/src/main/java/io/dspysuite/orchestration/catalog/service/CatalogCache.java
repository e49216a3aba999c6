package io.dspysuite.orchestration.catalog.service;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.dspy.client.DspyCatalogClient;
import io.dspysuite.protos.dspy.v1.Catalog;
import io.dspysuite.protos.dspy.v1.NamedProgramInfo;
import io.smallrye.mutiny.Uni;

/**
 * The DSPy service's catalog, cached: one {@code GetCatalog} per {@code dspy-suite.catalog.ttl} (30 s) however many
 * readers ask ({@code memoize()}: concurrent readers share one call). When a refresh fails, the last good catalog is
 * served, marked stale, and the next refresh is tried after {@code dspy-suite.catalog.error-ttl} (5 s); only without
 * any good catalog does a read fail ({@link CatalogUnavailableException}).
 * <p>
 * {@code memoize().until(...)} rather than {@code forFixedDuration}: a failure (or a stale answer) must expire after
 * the short error TTL, a fresh catalog after the full TTL.
 */
@ApplicationScoped
public class CatalogCache {

    private static final Logger LOG = Logger.getLogger(CatalogCache.class);

    /** A catalog as served: when it was fetched and whether the last refresh failed. */
    public record Snapshot(Catalog catalog, Instant fetchedAt, boolean stale) {

        public Optional<NamedProgramInfo> program(String name) {
            return catalog.getProgramsList().stream().filter(p -> p.getName().equals(name)).findFirst();
        }
    }

    /** No catalog could be fetched yet and the DSPy service does not answer. */
    public static class CatalogUnavailableException extends RuntimeException {
        CatalogUnavailableException(Throwable cause) {
            super("the DSPy service's catalog is unavailable: " + cause.getMessage(), cause);
        }
    }

    private final DspyCatalogClient client;
    private final Duration ttl;
    private final Duration errorTtl;
    private final AtomicReference<Snapshot> lastGood = new AtomicReference<>();
    private volatile Instant expiresAt = Instant.MIN;
    private final Uni<Snapshot> cached;

    CatalogCache(DspyCatalogClient client,
            @ConfigProperty(name = "dspy-suite.catalog.ttl", defaultValue = "30s") Duration ttl,
            @ConfigProperty(name = "dspy-suite.catalog.error-ttl", defaultValue = "5s") Duration errorTtl) {
        this.client = client;
        this.ttl = ttl;
        this.errorTtl = errorTtl;
        this.cached = Uni.createFrom().deferred(this::load)
                .memoize().until(() -> !Instant.now().isBefore(expiresAt));
    }

    public Uni<Snapshot> get() {
        return cached;
    }

    /** Makes the next read fetch the catalog again (the last good one is still kept for stale serving). */
    public void expire() {
        expiresAt = Instant.MIN;
    }

    private Uni<Snapshot> load() {
        return client.catalog()
                .map(catalog -> {
                    Instant now = Instant.now();
                    Snapshot fresh = new Snapshot(catalog, now, false);
                    lastGood.set(fresh);
                    expiresAt = now.plus(ttl);
                    return fresh;
                })
                .onFailure().recoverWithUni(failure -> {
                    expiresAt = Instant.now().plus(errorTtl);
                    Snapshot last = lastGood.get();
                    LOG.warnf("fetching the DSPy catalog failed (%s); %s", failure.getMessage(),
                            last == null ? "no catalog to serve" : "serving the one fetched at " + last.fetchedAt());
                    return last == null
                            ? Uni.createFrom().failure(new CatalogUnavailableException(failure))
                            : Uni.createFrom().item(new Snapshot(last.catalog(), last.fetchedAt(), true));
                });
    }
}
