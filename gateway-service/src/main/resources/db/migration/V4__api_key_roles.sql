-- API key roles and the admin API's key metadata. A key is either a tenant "member" (the task, program and catalog
-- endpoints, for its own tenant) or an "admin" (additionally /api/v1/admin: tenants, keys, the job engine). Every key
-- that existed before this migration becomes a member; the development bootstrap key is promoted to admin when the
-- gateway starts (DevTenantBootstrap).
ALTER TABLE gateway.api_keys
    ADD COLUMN role text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin'));

-- The first characters of the key (e.g. "dsk_Ab3xK9Qe"), so an operator can tell keys apart without the secret. NULL
-- for keys created before this migration.
ALTER TABLE gateway.api_keys ADD COLUMN prefix text CHECK (length(prefix) <= 16);

-- When the key last authenticated a request, to within a minute (the lookup writes it at most once a minute per key).
ALTER TABLE gateway.api_keys ADD COLUMN last_used_at timestamptz;

-- The admin API lists a tenant's keys oldest first.
DROP INDEX gateway.api_keys_tenant_idx;
CREATE INDEX api_keys_tenant_created_idx ON gateway.api_keys (tenant_id, created_at, id);
