-- 010: provider batch jobs (`papers collect --batch`). A row of `batches` is written when its
-- input file is uploaded, before the job is created, so a run killed in between finds the file
-- and adopts or creates its job rather than submitting the same trials twice; the provider's id
-- and state are written as they become known, and `stored_at` in the transaction that stores the
-- job's results. `batch_requests` holds each request of a job with what its trial needs to be
-- stored (a trial in a job not yet stored is never submitted again). No keys: rows are written
-- once and updated by batch_key (see docs/design.md, "The store").
create table batches (
    batch_key           varchar not null,
    kind                varchar not null,
    run_id              integer not null,
    model               varchar not null,
    provider            varchar not null,
    api_base            varchar,
    instrument_sha256   varchar,
    settings            json,
    requests            integer not null,
    input_file_id       varchar not null,
    provider_batch_id   varchar,
    status              varchar not null,
    output_file_id      varchar,
    error_file_id       varchar,
    completed           integer,
    failed              integer,
    submitted_at        timestamptz not null default current_timestamp,
    checked_at          timestamptz,
    stored_at           timestamptz
);

create table batch_requests (
    batch_key       varchar not null,
    response_id     varchar not null,
    task            varchar,
    condition       varchar,
    trial           integer,
    item_order      varchar[],
    sampling_seed   bigint
);
