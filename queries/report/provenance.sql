-- Per model: what the API reported, when, how many calls, tokens and cost, and the settings used.
with

responses as (
    select * from llm_responses where instrument_sha256 = $instrument
),

runs_used as (
    select run_id, kind, settings from runs
),

final as (
    select
        responses.model,
        string_agg(distinct responses.model_reported, ', ' order by responses.model_reported) as model_reported,
        min(responses.created_at) as first_answer,
        max(responses.created_at) as last_answer,
        count(*) as responses,
        count(*) filter (where responses.status = 'valid') as valid,
        sum(responses.input_tokens) as input_tokens,
        sum(responses.output_tokens) as output_tokens,
        sum(responses.cost_usd) as cost_usd,
        string_agg(distinct responses.temperature::varchar, ', ') as temperatures,
        string_agg(distinct runs_used.kind, ', ' order by runs_used.kind) as sources
    from responses
    left join runs_used using (run_id)
    group by responses.model
)

select * from final order by model
