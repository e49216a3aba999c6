package io.dspysuite.gateway.tenant.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.auth.ApiKeyRole;
import io.dspysuite.gateway.tenant.model.ApiKeyInfo;
import io.dspysuite.gateway.tenant.model.Tenant;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** Tenants and their keys as the admin API manages them. Stores key hashes only; never sees a secret's text. */
@ApplicationScoped
public class TenantStore {

    /** A tenant's key listing stops here; a tenant with more keys than this has a key-hygiene problem to fix. */
    public static final int MAX_KEYS_LISTED = 1000;

    private static final String KEY_COLUMNS = "id, tenant_id, label, prefix, role, created_at, revoked_at, last_used_at";

    private final Pool pool;

    public TenantStore(Pool pool) {
        this.pool = pool;
    }

    /** The new tenant, or empty when the id is taken (race-free: the primary key decides). */
    public Uni<Optional<Tenant>> create(String id, String name) {
        return pool.preparedQuery("""
                INSERT INTO gateway.tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING
                RETURNING id, name, created_at""")
                .execute(Tuple.of(id, name))
                .map(rows -> first(rows).map(TenantStore::tenant));
    }

    public Uni<Optional<Tenant>> find(String id) {
        return pool.preparedQuery("SELECT id, name, created_at FROM gateway.tenants WHERE id = $1")
                .execute(Tuple.of(id))
                .map(rows -> first(rows).map(TenantStore::tenant));
    }

    /** Tenants ordered by id, strictly after {@code afterId} when given; {@code limit} rows at most. */
    public Uni<List<Tenant>> list(String afterId, int limit) {
        return pool.preparedQuery("""
                SELECT id, name, created_at FROM gateway.tenants
                WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2""")
                .execute(Tuple.of(afterId, limit))
                .map(rows -> {
                    List<Tenant> tenants = new ArrayList<>(rows.size());
                    rows.forEach(row -> tenants.add(tenant(row)));
                    return tenants;
                });
    }

    /** Stores a new key (its hash) for the tenant; empty when there is no such tenant. */
    public Uni<Optional<ApiKeyInfo>> createKey(String tenantId, String name, ApiKeyRole role, String keyHash,
            String prefix) {
        return pool.preparedQuery("""
                INSERT INTO gateway.api_keys (tenant_id, key_hash, label, role, prefix)
                SELECT id, $2, $3, $4, $5 FROM gateway.tenants WHERE id = $1
                RETURNING %s""".formatted(KEY_COLUMNS))
                .execute(Tuple.of(tenantId, keyHash, name, role.wire(), prefix))
                .map(rows -> first(rows).map(TenantStore::key));
    }

    /** The tenant's keys oldest first, revoked ones included; empty when there is no such tenant. */
    public Uni<Optional<List<ApiKeyInfo>>> keys(String tenantId) {
        return pool.preparedQuery("""
                SELECT t.id AS tenant, k.id, k.tenant_id, k.label, k.prefix, k.role, k.created_at, k.revoked_at,
                       k.last_used_at
                FROM gateway.tenants t
                LEFT JOIN LATERAL (
                    SELECT * FROM gateway.api_keys WHERE tenant_id = t.id ORDER BY created_at, id LIMIT $2) k ON true
                WHERE t.id = $1
                ORDER BY k.created_at, k.id""")
                .execute(Tuple.of(tenantId, MAX_KEYS_LISTED))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Optional.empty();
                    }
                    List<ApiKeyInfo> keys = new ArrayList<>(rows.size());
                    rows.forEach(row -> {
                        if (row.getUUID("id") != null) {
                            keys.add(key(row));
                        }
                    });
                    return Optional.of(keys);
                });
    }

    /** What a revocation found. */
    public enum Revocation { REVOKED, NO_SUCH_TENANT, NO_SUCH_KEY }

    /**
     * Revokes the tenant's key. Idempotent: a key revoked before keeps its first {@code revoked_at}. From the commit on,
     * every replica refuses the key (authentication does not cache keys).
     */
    public Uni<Revocation> revokeKey(String tenantId, UUID keyId) {
        return pool.preparedQuery("""
                WITH revoked AS (
                    UPDATE gateway.api_keys SET revoked_at = COALESCE(revoked_at, now())
                    WHERE tenant_id = $1 AND id = $2 RETURNING id)
                SELECT EXISTS (SELECT 1 FROM gateway.tenants WHERE id = $1) AS tenant,
                       EXISTS (SELECT 1 FROM revoked) AS revoked""")
                .execute(Tuple.of(tenantId, keyId))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    if (row.getBoolean("revoked")) {
                        return Revocation.REVOKED;
                    }
                    return row.getBoolean("tenant") ? Revocation.NO_SUCH_KEY : Revocation.NO_SUCH_TENANT;
                });
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        var it = rows.iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    private static Tenant tenant(Row row) {
        return new Tenant(row.getString("id"), row.getString("name"), row.getOffsetDateTime("created_at"));
    }

    private static ApiKeyInfo key(Row row) {
        return new ApiKeyInfo(row.getUUID("id"), row.getString("tenant_id"), row.getString("label"),
                row.getString("prefix"), row.getString("role"), row.getOffsetDateTime("created_at"),
                row.getOffsetDateTime("revoked_at"), row.getOffsetDateTime("last_used_at"));
    }
}
