-- Listing a tenant's tasks by status, newest first (the unfiltered list uses tasks_tenant_created_idx).
CREATE INDEX tasks_tenant_status_created_idx ON gateway.tasks (tenant_id, status, created_at DESC, id DESC);

-- When the tenant last asked to cancel the task (POST /api/v1/tasks/{id}/cancel or the WebSocket cancel frame). The
-- status changes only when the orchestration service reports it (status event "cancelled").
ALTER TABLE gateway.tasks ADD COLUMN cancel_requested_at timestamptz;
