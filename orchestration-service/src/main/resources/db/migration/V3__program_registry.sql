-- The program registry: compiled versions of programs per tenant, and which version each tenant promoted.
-- A version is the program's source (what the DSPy service builds it from) plus DSPy's JSON state (demos,
-- instructions per predictor) — never a pickle. Version 1 is the program as defined: implicit (no row) for programs
-- registered in the DSPy service's code, stored (state_json NULL) for ad-hoc programs that became named when they
-- were first optimized. Every successful optimize task adds version max + 1 in the transaction that completes its job.

CREATE TABLE orchestration.program_versions (
    tenant_id  text        NOT NULL,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    version    integer     NOT NULL CHECK (version >= 1),
    -- The source as a dspysuite.dspy.v1.ProgramSpec in protobuf JSON (ad_hoc: signature/module/instructions/...,
    -- or named: the registered program's name), without program_state_json.
    program    jsonb       NOT NULL,
    -- DSPy's JSON state (module.dump_state()) as the DSPy service returned it; NULL = the uncompiled program.
    state_json text,
    -- {optimizer, params, metric, dataset_hash, score_before, score_after, demos_count, trainset_size, devset_size,
    --  compile_seconds, base_version, task_id, model} for compiled versions; {origin, task_id} for a stored version 1.
    metadata   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- The optimize task that created the version.
    task_id    uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name, version)
);

CREATE INDEX program_versions_task_idx ON orchestration.program_versions (task_id);

-- The version a request without a version (or with "promoted") runs; version 1 while a program has no row here.
CREATE TABLE orchestration.program_promotions (
    tenant_id   text        NOT NULL,
    name        text        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    promoted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
