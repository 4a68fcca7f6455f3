-- Where the rows an audit pinned came from: every load or collection that wrote one of its model
-- answers (with the models it wrote) or one of its participants, with the file it read (if any) and
-- that file's SHA-256; and the coders of its codes. The report names simulated and bundled example
-- data from these (papers.report.synthetic).
with

responses as (
    select run_id, model from pinned_responses where audit_id = $audit
),

people as (
    select participants.run_id
    from audit_participants
    inner join participants using (sample, participant_id, copy)
    where audit_participants.audit_id = $audit
),

coders as (
    select distinct coder from audit_codes where audit_id = $audit
),

runs_used as (
    select run_id, 'answers' as role, list(distinct model order by model) as names from responses group by run_id
    union all
    select distinct run_id, 'participants' as role, []::varchar[] as names from people
),

final as (
    select runs_used.role, runs.kind, runs.source_file, runs.source_sha256, runs_used.names
    from runs_used
    inner join runs using (run_id)
    union all
    select 'codes' as role, 'code' as kind, null as source_file, null as source_sha256,
        list(coder order by coder) as names
    from coders
    having count(*) > 0
)

select * from final order by role, source_file nulls last, kind
