-- The job table of the orchestration service: the Oban model. One row per task, the row *is* the queue entry.
-- Every state change is one UPDATE guarded by the expected current state, so any number of replicas can share it.

CREATE TABLE orchestration.jobs (
    -- The task id chosen by the gateway: a redelivered TaskRequested hits the primary key and never makes a second job.
    id               uuid        PRIMARY KEY,
    tenant_id        text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('predict', 'evaluate', 'optimize')),
    -- Per-queue concurrency limits keep a long optimization from starving quick predictions.
    queue            text        NOT NULL CHECK (queue IN ('interactive', 'batch', 'optimize')),
    -- Lower runs first (0 = most urgent), as in Oban.
    priority         smallint    NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
    -- 'retryable' and 'scheduled' are reserved for the durable engine (job-level retries with backoff, delayed jobs).
    state            text        NOT NULL DEFAULT 'available'
                     CHECK (state IN ('available', 'scheduled', 'executing', 'retryable', 'completed', 'discarded',
                                      'cancelled')),
    attempt          integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts     integer     NOT NULL DEFAULT 1 CHECK (max_attempts > 0),
    -- The TaskRequested protobuf exactly as received: everything needed to (re)build the call to the DSPy service.
    request          bytea       NOT NULL,
    -- The seq of the last TaskEvent allotted to this task; every event takes the next number, so there are no gaps.
    last_seq         bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- Until when the executing replica owns the job; a lapsed lease lets another replica rescue it.
    lease_expires_at timestamptz,
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    inserted_at      timestamptz NOT NULL DEFAULT now(),
    attempted_at     timestamptz,
    -- Which replica ran the last attempt (diagnostics, lease rescue).
    attempted_by     text,
    -- When the job reached a final state (completed, discarded or cancelled).
    completed_at     timestamptz,
    -- {"code", "message", "retryable", "attempt", "at"} of the last failed attempt.
    last_error       jsonb,
    -- W3C traceparent of the request: the trace context does not survive a hop through a table on its own.
    trace_parent     text
);

-- The claim query: available jobs of one queue in (priority, scheduled_at, id) order. Partial, so finished jobs
-- (the vast majority of rows over time) cost the claim nothing.
CREATE INDEX jobs_claim_idx ON orchestration.jobs (queue, priority, scheduled_at, id) WHERE state = 'available';

-- Lease rescue: executing jobs whose lease lapsed.
CREATE INDEX jobs_lease_idx ON orchestration.jobs (lease_expires_at) WHERE state = 'executing';
