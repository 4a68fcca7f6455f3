-- Per model of an audit: what the API reported, when, how many calls, tokens and cost, the
-- endpoint the calls went to (as the collect run recorded it, without credentials; a run before
-- endpoints were recorded names its --api-base, if any), and the settings used, over the answers
-- the audit pinned. Counts use each answer's pinned outcome; dates,
-- tokens, cost, reported model and source come from the answers pinned with an outcome other than
-- error, since only errors are ever requested again (collect --retry-errors), which rewrites them.
with

responses as (
    select * from pinned_responses where audit_id = $audit
),

runs_used as (
    select run_id, kind, settings from runs
),

run_endpoints as (
    select
        run_id,
        json_extract_string(endpoint, '$.model') as model,
        case
            when json_extract_string(endpoint, '$.url') is null then json_extract_string(endpoint, '$.source')
            else json_extract_string(endpoint, '$.url') || ' (' || json_extract_string(endpoint, '$.source') || ')'
        end as endpoint
    from (
        select run_id, unnest(json_extract(settings, '$.endpoints[*]')) as endpoint
        from runs_used
    )
),

legacy_endpoints as (
    select run_id, json_extract_string(settings, '$.api_base') || ' (from --api-base)' as endpoint
    from runs_used
    where kind = 'collect'
        and json_extract(settings, '$.endpoints') is null
        and json_extract_string(settings, '$.api_base') is not null
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
            filter (where responses.pinned_status <> 'error') as sources,
        string_agg(
            distinct coalesce(run_endpoints.endpoint, legacy_endpoints.endpoint), '; '
            order by coalesce(run_endpoints.endpoint, legacy_endpoints.endpoint)
        ) filter (where responses.pinned_status <> 'error') as endpoints
    from responses
    left join runs_used using (run_id)
    left join run_endpoints
        on run_endpoints.run_id = responses.run_id and run_endpoints.model = responses.model
    left join legacy_endpoints on legacy_endpoints.run_id = responses.run_id
    group by responses.model
)

select * from final order by model
