-- The model strings the provider reported for each model of an audit, over the answers it pinned
-- (error rows carry none worth showing).
with

responses as (
    select model, model_reported from pinned_responses
    where audit_id = $audit and pinned_status <> 'error' and model_reported is not null
),

final as (
    select model, list(distinct model_reported order by model_reported) as reported
    from responses
    group by model
)

select * from final order by model
