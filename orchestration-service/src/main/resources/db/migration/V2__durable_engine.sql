-- The durable engine: job-level retries with an error record per attempt, a transactional outbox for task events,
-- and cancellations that arrive before their task.

-- One entry per failed attempt: {"attempt", "code", "message", "retryable", "at", "by"}, oldest first.
ALTER TABLE orchestration.jobs ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]'::jsonb;

-- Retryable (and scheduled) jobs are claimed directly once their scheduled_at has passed: no staging step.
DROP INDEX orchestration.jobs_claim_idx;
CREATE INDEX jobs_claim_idx ON orchestration.jobs (queue, priority, scheduled_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');

-- Task events waiting to be published. Every state change of a job inserts its events here in the same statement
-- (hence transaction) that allots their seqs, so an event exists exactly when the change it reports was committed.
-- The relay publishes rows in seq order per task (key = task id) and deletes them once the broker acknowledged them.
-- `event` is the TaskEvent without its seq: the seq column is authoritative and set when the row is published.
CREATE TABLE orchestration.outbox (
    id         bigserial   PRIMARY KEY,
    task_id    uuid        NOT NULL,
    seq        bigint      NOT NULL CHECK (seq > 0),
    event      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_id, seq)
);

-- A TaskControl.cancel for a task whose TaskRequested has not been consumed yet (the two topics are consumed
-- independently): the job is stored cancelled when its request arrives.
CREATE TABLE orchestration.cancel_requests (
    task_id      uuid        PRIMARY KEY,
    tenant_id    text        NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
