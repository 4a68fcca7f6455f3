-- 001: the public store schema of docs/design.md ("The store").
-- Raw rows are never edited in place; keys make duplicate rows impossible.

create table instruments (
    sha256          varchar primary key,
    instrument_id   varchar not null,
    version         varchar not null,
    spec            json not null,
    loaded_at       timestamptz not null default current_timestamp
);

create sequence run_id_seq start 1;

create table runs (
    run_id              integer primary key default nextval('run_id_seq'),
    kind                varchar not null,
    started_at          timestamptz not null default current_timestamp,
    finished_at         timestamptz,
    instrument_sha256   varchar,
    settings            json,
    tool_version        varchar not null,
    source_file         varchar,
    source_sha256       varchar,
    -- what makes a load the same load again: kind, file content and the options that shape it
    load_key            varchar unique
);

create table llm_responses (
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
    status              varchar not null check (status in ('valid', 'refused', 'unparseable', 'incomplete', 'error')),
    error               varchar,
    latency_ms          double,
    input_tokens        integer,
    output_tokens       integer,
    cost_usd            double,
    created_at          timestamptz
);

create table llm_answers (
    response_id     varchar not null,
    dimension       varchar not null,
    rank            integer,
    rating          double,
    primary key (response_id, dimension)
);

create table participants (
    participant_id      varchar not null,
    sample              varchar not null,
    -- 1 for the first record of a participant in a sample, 2.. for later copies (excluded)
    copy                integer not null default 1,
    run_id              integer not null,
    source_file         varchar not null,
    source_row          integer not null,
    is_excluded         boolean not null,
    exclusion_reason    varchar,
    attributes          json
    -- (sample, participant_id, copy) is unique: the loader numbers copies and checks the key inside
    -- each load's transaction. It is not an index because DuckDB holds an indexed table's new rows
    -- in memory until commit, about 1 GB per million participants.
);

create table human_answers (
    participant_id      varchar not null,
    sample              varchar not null,
    copy                integer not null default 1,
    instrument_sha256   varchar not null,
    task                varchar not null,
    condition           varchar not null,
    dimension           varchar not null,
    rank                integer,
    rating              double
);

create table human_items (
    participant_id  varchar not null,
    sample          varchar not null,
    copy            integer not null default 1,
    item            varchar not null,
    value           double
);

create table codes (
    response_id     varchar not null,
    coder           varchar not null,
    dimension       varchar not null,
    is_present      boolean not null,
    evidence        varchar,
    primary key (response_id, coder, dimension)
);

create table rejects (
    run_id          integer not null,
    source_file     varchar not null,
    row_number      integer not null,
    raw             varchar,
    reason          varchar not null,
    primary key (run_id, row_number)
);

create table audits (
    audit_id            varchar primary key,
    created_at          timestamptz not null default current_timestamp,
    instrument_sha256   varchar not null,
    data_sha256         varchar not null,
    settings            json,
    tool_version        varchar not null
);
