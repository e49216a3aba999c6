-- Transactional-outbox marker: when the broker acknowledged the task's TaskRequested record. A submission inserts the
-- row with NULL and sets it once Kafka acks; the publish sweeper re-publishes queued rows still NULL after a grace
-- period (the orchestration ingest is idempotent by task id, so a second publish is harmless).
--
-- Rows that exist before this migration count as published: the DEFAULT is evaluated once (no table rewrite) and then
-- dropped, so new rows start unpublished.
ALTER TABLE gateway.tasks ADD COLUMN published_at timestamptz DEFAULT now();
ALTER TABLE gateway.tasks ALTER COLUMN published_at DROP DEFAULT;

-- The sweeper's scan: only the (few) unpublished rows are indexed.
CREATE INDEX tasks_unpublished_idx ON gateway.tasks (created_at) WHERE published_at IS NULL;
