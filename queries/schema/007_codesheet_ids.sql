-- 007: code sheets name answers by ids salted per export (a random salt, not kept), so that a
-- coder cannot link an answer to its model by hashing public values; `papers ingest codes` maps
-- a sheet's ids back to response ids through this table.
create table codesheet_ids (
    sheet_id        varchar primary key,
    response_id     varchar not null,
    exported_at     timestamptz not null default current_timestamp
);
