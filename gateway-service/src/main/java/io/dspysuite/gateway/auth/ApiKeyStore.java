package io.dspysuite.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** Tenants and their API keys (table {@code gateway.api_keys} holds SHA-256 hashes only). */
@ApplicationScoped
public class ApiKeyStore {

    private final Pool pool;

    public ApiKeyStore(Pool pool) {
        this.pool = pool;
    }

    /** The tenant owning an active (not revoked) key with this hash, or a null item. */
    public Uni<String> findActiveTenant(String keyHash) {
        return pool.preparedQuery("SELECT tenant_id FROM gateway.api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .execute(Tuple.of(keyHash))
                .map(rows -> {
                    var it = rows.iterator();
                    return it.hasNext() ? it.next().getString("tenant_id") : null;
                });
    }

    /**
     * Makes sure the tenant exists and the key is active for it. With {@code exclusiveLabel}, other active keys of the
     * tenant carrying the same label are revoked, so a re-bootstrapped development key replaces the previous one.
     */
    public Uni<Void> ensureTenantKey(String tenantId, String tenantName, String keyHash, String label,
            boolean exclusiveLabel) {
        return pool.withTransaction(conn -> conn
                .preparedQuery("INSERT INTO gateway.tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .execute(Tuple.of(tenantId, tenantName))
                .chain(() -> conn.preparedQuery("""
                        INSERT INTO gateway.api_keys (tenant_id, key_hash, label) VALUES ($1, $2, $3)
                        ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL, label = EXCLUDED.label
                            WHERE gateway.api_keys.tenant_id = EXCLUDED.tenant_id
                        RETURNING tenant_id""")
                        .execute(Tuple.of(tenantId, keyHash, label)))
                .invoke(rows -> requireOwnedBy(rows, tenantId))
                .chain(() -> exclusiveLabel
                        ? conn.preparedQuery("""
                                UPDATE gateway.api_keys SET revoked_at = now()
                                WHERE tenant_id = $1 AND label = $2 AND key_hash <> $3 AND revoked_at IS NULL""")
                                .execute(Tuple.of(tenantId, label, keyHash)).replaceWithVoid()
                        : Uni.createFrom().voidItem()));
    }

    private static void requireOwnedBy(RowSet<Row> rows, String tenantId) {
        if (rows.rowCount() == 0) {
            throw new IllegalStateException("the API key is already registered for another tenant than " + tenantId);
        }
    }
}
