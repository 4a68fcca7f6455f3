-- 002: every failed attempt of a collection call, including those a retry then got past.
-- llm_responses keeps one row per trial (its final outcome); this table keeps the faults.
create table llm_errors (
    response_id     varchar not null,
    run_id          integer not null,
    attempt         integer not null,
    error           varchar not null,
    created_at      timestamptz not null default current_timestamp
);
