-- Outages of the DSPy service do not spend attempts: a job that meets an absent service (connection refused or lost,
-- no answer at all before the deadline, circuit breaker open) is put back without counting its attempt. This is when
-- the current outage began for the job (its first such postponement); an attempt that reaches the service and fails
-- (a counted retry) or is rescued clears it. The job ends DSPY_SERVICE_UNAVAILABLE once the outage has lasted
-- dspy-suite.retry.unavailable-max-wait.
ALTER TABLE orchestration.jobs ADD COLUMN unavailable_since timestamptz;

-- A task request that cannot be decoded or validated still ends its task (the gateway already answered 202): it is
-- stored as a discarded job of kind 'unknown' when its kind cannot be read, with an INVALID_REQUEST error.
ALTER TABLE orchestration.jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE orchestration.jobs ADD CONSTRAINT jobs_kind_check
    CHECK (kind IN ('predict', 'evaluate', 'optimize', 'unknown'));
