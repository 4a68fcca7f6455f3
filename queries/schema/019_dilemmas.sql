-- 019: dilemmas (issue "Says vs does"). A choose trial shows one scenario of the instrument's choose
-- task, its two actions in the order `item_order` lists the dimensions they serve (A first), and is
-- stored with the scenario's key; its valid answer is two llm_answers rows, rank 1 for the dimension
-- whose action was chosen and rank 2 for the other. An answer that takes both actions or neither has
-- its own status, `no_choice` (which of the two in `error`).
--
-- DuckDB cannot change a CHECK constraint in place, so llm_responses is rebuilt: a new table with
-- every column of the old (001, 006, 011) and `scenario`, the rows copied by name, the old dropped
-- and the new renamed. The views that read it (valid_responses, pinned_responses) name it, not its
-- storage, and read the new table. A column another migration adds to llm_responses must come after
-- this one; a store whose llm_responses has a column not listed here stops this migration with an
-- error rather than losing it.
create table llm_responses_019 (
    response_id         varchar primary key,
    run_id              integer not null,
    model               varchar not null,
    model_reported      varchar,
    instrument_sha256   varchar not null,
    task                varchar not null,
    condition           varchar not null,
    trial               integer not null,
    item_order          varchar[],
    temperature         double,
    prompt              varchar,
    raw_text            varchar,
    status              varchar not null
        check (status in ('valid', 'refused', 'unparseable', 'incomplete', 'no_choice', 'error')),
    error               varchar,
    latency_ms          double,
    input_tokens        bigint,
    output_tokens       bigint,
    cost_usd            double,
    created_at          timestamptz,
    variant             varchar default 'default',
    scenario            varchar
);

insert into llm_responses_019 by name select * from llm_responses;

drop table llm_responses;

alter table llm_responses_019 rename to llm_responses;

alter table batch_requests add column scenario varchar;

-- Per audit: each model's revealed priorities (Bradley-Terry worths of the dimensions from its
-- choices, per condition), the consistency of its choices with its stated order, and per scenario
-- how often it went against that order.
create table result_revealed (
    audit_id        varchar not null,
    model           varchar not null,
    condition       varchar not null,
    dimension       varchar not null,
    n               bigint,
    wins            bigint,
    worth           double,
    ci_low          double,
    ci_high         double,
    note            varchar,
    primary key (audit_id, model, condition, dimension)
);

create table result_consistency (
    audit_id                varchar not null,
    model                   varchar not null,
    condition               varchar not null,
    stated_task             varchar,
    n_choices               bigint,
    n_compared              bigint,
    consistency_share       double,
    consistency_ci_low      double,
    consistency_ci_high     double,
    chance                  double,
    stated_revealed_rho     double,
    rho_ci_low              double,
    rho_ci_high             double,
    label                   varchar,
    first_share             double,
    valid_share             double,
    refused_share           double,
    no_choice_share         double,
    unparseable_share       double,
    n_responses             bigint,
    note                    varchar,
    primary key (audit_id, model, condition)
);

create table result_dilemmas (
    audit_id        varchar not null,
    model           varchar not null,
    condition       varchar not null,
    scenario        varchar not null,
    dimension_a     varchar,
    dimension_b     varchar,
    n               bigint,
    chose_a         bigint,
    stated_higher   varchar,
    against         bigint,
    note            varchar,
    primary key (audit_id, model, condition, scenario)
);
