package io.dspysuite.gateway.auth;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Authentication's view of the API keys (table {@code gateway.api_keys} holds SHA-256 hashes only). Nothing is cached:
 * every request looks its key up (one indexed equality), so a revoked key is refused by every replica from the moment
 * the revocation commits.
 */
@ApplicationScoped
public class ApiKeyStore {

    private final Pool pool;

    public ApiKeyStore(Pool pool) {
        this.pool = pool;
    }

    /** An active key: who it acts for and what it may do. */
    public record ActiveKey(UUID keyId, String tenantId, ApiKeyRole role) {
    }

    /**
     * The active (not revoked) key with this hash, or a null item. Also records when the key was last used, at most
     * once a minute per key, so the lookup stays a read almost always (the touch re-checks the value it read, so
     * concurrent requests do not queue up behind one another's update).
     */
    public Uni<ActiveKey> findActive(String keyHash) {
        return pool.preparedQuery("""
                WITH k AS (
                    SELECT id, tenant_id, role, last_used_at FROM gateway.api_keys
                    WHERE key_hash = $1 AND revoked_at IS NULL),
                touched AS (
                    UPDATE gateway.api_keys a SET last_used_at = now() FROM k
                    WHERE a.id = k.id AND a.last_used_at IS NOT DISTINCT FROM k.last_used_at
                      AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'))
                SELECT id, tenant_id, role FROM k""")
                .execute(Tuple.of(keyHash))
                .map(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        return null;
                    }
                    Row row = it.next();
                    return new ActiveKey(row.getUUID("id"), row.getString("tenant_id"),
                            ApiKeyRole.fromWire(row.getString("role")).orElse(ApiKeyRole.MEMBER));
                });
    }

    /**
     * Which of these keys are revoked (or gone). Used to close WebSocket connections opened with a key revoked since:
     * they were authenticated once, at the upgrade.
     */
    public Uni<Set<UUID>> revokedAmong(Set<UUID> keyIds) {
        UUID[] ids = keyIds.toArray(UUID[]::new);
        return pool.preparedQuery("""
                SELECT c.key_id FROM unnest($1::uuid[]) AS c(key_id)
                WHERE NOT EXISTS (SELECT 1 FROM gateway.api_keys k WHERE k.id = c.key_id AND k.revoked_at IS NULL)""")
                .execute(Tuple.of(ids))
                .map(rows -> {
                    Set<UUID> revoked = new HashSet<>();
                    rows.forEach(row -> revoked.add(row.getUUID("key_id")));
                    return revoked;
                });
    }

    /**
     * Makes sure the tenant exists and the key is active for it with this role. With {@code exclusiveLabel}, other
     * active keys of the tenant carrying the same label are revoked, so a re-bootstrapped key replaces the previous one.
     */
    public Uni<Void> ensureTenantKey(String tenantId, String tenantName, String key, String label, ApiKeyRole role,
            boolean exclusiveLabel) {
        String keyHash = ApiKeys.hash(key);
        return pool.withTransaction(conn -> conn
                .preparedQuery("INSERT INTO gateway.tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .execute(Tuple.of(tenantId, tenantName))
                .chain(() -> conn.preparedQuery("""
                        INSERT INTO gateway.api_keys (tenant_id, key_hash, label, role, prefix) VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (key_hash) DO UPDATE
                            SET revoked_at = NULL, label = EXCLUDED.label, role = EXCLUDED.role, prefix = EXCLUDED.prefix
                            WHERE gateway.api_keys.tenant_id = EXCLUDED.tenant_id
                        RETURNING tenant_id""")
                        .execute(Tuple.of(tenantId, keyHash, label, role.wire(), ApiKeys.displayPrefix(key))))
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
