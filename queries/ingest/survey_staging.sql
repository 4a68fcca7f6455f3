-- Staging tables for one survey load; they live only inside its transaction.
create or replace temp table stage_participants (
    _i              ubigint,
    participant_id  varchar,
    reasons         varchar,
    source_row      integer
);
create or replace temp table stage_answers (
    _i          ubigint,
    dimension   varchar,
    value       double,
    task        varchar,
    condition   varchar
);
create or replace temp table stage_items (
    _i      ubigint,
    item    varchar,
    value   double
);
