-- What an evaluate or optimize task runs on, beside its program: {"evaluate": {...}} or
-- {"optimize": {...}, "target_program": "..."} (metric, datasets, optimizer and its parameters), as validated by the
-- gateway. NULL for predict tasks. Read only where the request must be (re)published.
ALTER TABLE gateway.tasks ADD COLUMN spec jsonb;
