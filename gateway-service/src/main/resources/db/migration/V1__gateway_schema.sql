-- The gateway's own store: tenants and their API keys, the task view that GET/list read, and the per-task event log
-- that WebSocket/SSE subscribers replay from. The orchestration service owns the jobs; these rows are a projection of
-- the events it publishes (plus what the gateway knows at submission time).

CREATE TABLE gateway.tenants (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Keys are stored as the SHA-256 hex of the key: a leaked table does not leak usable keys, and API keys are random
-- enough (>= 128 bits) that an unsalted fast hash is the right tool (lookups stay a single indexed equality).
CREATE TABLE gateway.api_keys (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   text        NOT NULL REFERENCES gateway.tenants (id),
    key_hash    char(64)    NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    label       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE INDEX api_keys_tenant_idx ON gateway.api_keys (tenant_id);

CREATE TABLE gateway.tasks (
    id               uuid PRIMARY KEY,
    tenant_id        text        NOT NULL REFERENCES gateway.tenants (id),
    kind             text        NOT NULL CHECK (kind IN ('predict', 'evaluate', 'optimize')),
    status           text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    program          jsonb       NOT NULL,
    inputs           jsonb       NOT NULL,
    options          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    result           jsonb,
    usage            jsonb,
    error            jsonb,
    progress         jsonb,
    -- Highest event sequence number applied to this row; events at or below it are redeliveries.
    last_seq         bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    attempt          integer     NOT NULL DEFAULT 0,
    trace_id         text,
    idempotency_key  text,
    -- SHA-256 of the canonical request, so a reused Idempotency-Key with a different body is detected.
    request_hash     char(64),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- NULLs are distinct, so tasks without a key never collide.
    CONSTRAINT tasks_tenant_idempotency_key_uq UNIQUE (tenant_id, idempotency_key)
);

-- Listing a tenant's tasks newest first (cursor = created_at, id).
CREATE INDEX tasks_tenant_created_idx ON gateway.tasks (tenant_id, created_at DESC, id DESC);

CREATE TABLE gateway.task_events (
    task_id      uuid        NOT NULL REFERENCES gateway.tasks (id) ON DELETE CASCADE,
    seq          bigint      NOT NULL CHECK (seq > 0),
    type         text        NOT NULL,
    data         jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (task_id, seq)
);
