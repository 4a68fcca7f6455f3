-- Per model of an audit: what the API reported, when, how many calls, tokens and cost, and the
-- settings used, over the answers the audit pinned. Counts use each answer's pinned outcome; dates,
-- tokens, cost, reported model and source come from the answers pinned with an outcome other than
-- error, since only errors are ever requested again (collect --retry-errors), which rewrites them.
with

responses as (
    select * from pinned_responses where audit_id = $audit
),

runs_used as (
    select run_id, kind from runs
),

final as (
    select
        responses.model,
        string_agg(distinct responses.model_reported, ', ' order by responses.model_reported)
            filter (where responses.pinned_status <> 'error') as model_reported,
        min(responses.created_at) filter (where responses.pinned_status <> 'error') as first_answer,
        max(responses.created_at) filter (where responses.pinned_status <> 'error') as last_answer,
        count(*) as responses,
        count(*) filter (where responses.pinned_status = 'valid') as valid,
        sum(responses.input_tokens) filter (where responses.pinned_status <> 'error') as input_tokens,
        sum(responses.output_tokens) filter (where responses.pinned_status <> 'error') as output_tokens,
        sum(responses.cost_usd) filter (where responses.pinned_status <> 'error') as cost_usd,
        string_agg(distinct responses.temperature::varchar, ', ' order by responses.temperature::varchar)
            as temperatures,
        string_agg(distinct runs_used.kind, ', ' order by runs_used.kind)
            filter (where responses.pinned_status <> 'error') as sources
    from responses
    left join runs_used using (run_id)
    group by responses.model
)

select * from final order by model
