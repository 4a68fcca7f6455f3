-- Per candidate of an audit: calls, tokens, latency and the cost recorded when the answers were
-- collected, over every answer the audit pinned for it (all tasks and outcomes: each was a call).
with

responses as (
    select * from pinned_responses where audit_id = $audit
),

candidates as (
    select unnest($models::varchar[]) as model
),

final as (
    select
        candidates.model,
        count(*) as calls,
        count(responses.input_tokens) as calls_with_tokens,
        avg(responses.input_tokens) as input_tokens_per_call,
        avg(responses.output_tokens) as output_tokens_per_call,
        count(responses.latency_ms) as calls_with_latency,
        avg(responses.latency_ms) as latency_ms_mean,
        median(responses.latency_ms) as latency_ms_median,
        count(responses.cost_usd) as calls_with_cost,
        sum(responses.cost_usd) as cost_usd
    from candidates
    inner join responses on responses.model = candidates.model
    group by candidates.model
)

select * from final order by model
