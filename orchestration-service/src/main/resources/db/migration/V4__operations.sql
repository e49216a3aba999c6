-- Operations: the admin API's listing (newest first, keyset pagination, optional filters), the queue statistics and
-- the pruning of finished jobs. Partial indexes, so that the ever-growing set of finished jobs costs the hot paths
-- (claims, statistics) nothing.

-- Admin listing: ORDER BY inserted_at DESC, id DESC with a (inserted_at, id) < cursor bound; per tenant too.
CREATE INDEX jobs_listing_idx ON orchestration.jobs (inserted_at, id);
CREATE INDEX jobs_tenant_listing_idx ON orchestration.jobs (tenant_id, inserted_at, id);

-- Queue statistics (one GROUP BY over the unfinished jobs only).
CREATE INDEX jobs_active_idx ON orchestration.jobs (queue, state, scheduled_at)
    WHERE state IN ('available', 'scheduled', 'executing', 'retryable');

-- Pruning: the oldest finished jobs first.
CREATE INDEX jobs_finished_idx ON orchestration.jobs (completed_at)
    WHERE state IN ('completed', 'discarded', 'cancelled');

-- Pruning of remembered cancellations.
CREATE INDEX cancel_requests_age_idx ON orchestration.cancel_requests (requested_at);
