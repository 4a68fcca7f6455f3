-- 009: an audit pins the rows it used, and records the models it covers.
-- An audit reads its inputs through these tables, so analyzing, comparing and reporting it again
-- later gives the same numbers whatever was collected, loaded or retried since: `audit_responses`
-- keeps each model answer with the status it had (retrying an error later does not change the
-- audit's outcome counts), `audit_participants` each human record (and with it its answers and
-- items), `audit_codes` each valid Study 1 code. No keys: each audit's pins are written once, in
-- the analysis' own transaction (see docs/design.md, "The store").
alter table audits add column models varchar[];
alter table audits add column model_patterns varchar[];

create table audit_responses (
    audit_id        varchar not null,
    response_id     varchar not null,
    status          varchar not null
);

create table audit_participants (
    audit_id        varchar not null,
    sample          varchar not null,
    participant_id  varchar not null,
    copy            integer not null
);

create table audit_codes (
    audit_id        varchar not null,
    response_id     varchar not null,
    coder           varchar not null,
    dimension       varchar not null
);

-- Audits made before this migration are pinned to the rows their instrument had at the upgrade.
insert into audit_responses
select audits.audit_id, llm_responses.response_id, llm_responses.status
from audits
inner join llm_responses on llm_responses.instrument_sha256 = audits.instrument_sha256;

insert into audit_participants
select distinct audits.audit_id, participants.sample, participants.participant_id, participants.copy
from audits
inner join human_answers on human_answers.instrument_sha256 = audits.instrument_sha256
inner join participants using (sample, participant_id, copy);

insert into audit_codes
select audits.audit_id, valid_codes.response_id, valid_codes.coder, valid_codes.dimension
from audits
inner join llm_responses on llm_responses.instrument_sha256 = audits.instrument_sha256
inner join valid_codes using (response_id);

update audits set models = (
    select list(distinct llm_responses.model order by llm_responses.model)
    from llm_responses where llm_responses.instrument_sha256 = audits.instrument_sha256
);

create or replace view pinned_responses as
select audit_responses.audit_id, audit_responses.status as pinned_status, llm_responses.*
from audit_responses
inner join llm_responses using (response_id);
