-- Per model, condition and task in both audits: first priority, type and best
-- concordance with a human sample (Lin's CCC), before and now.
with

firsts as (
    select
        audit_id, model, condition, task,
        case when task = 'rank' then arg_min(dimension, mean) else arg_max(dimension, mean) end as first_dimension
    from result_profiles
    where audit_id in ($now, $before)
    group by audit_id, model, condition, task
),

types as (
    select audit_id, model, condition, task, model_type from result_clusters where audit_id in ($now, $before)
),

agreement as (
    select audit_id, model, condition, task, max(ccc) as ccc
    from result_agreement where audit_id in ($now, $before)
    group by all
),

joined as (
    select firsts.*, types.model_type, agreement.ccc
    from firsts
    left join types using (audit_id, model, condition, task)
    left join agreement using (audit_id, model, condition, task)
),

final as (
    select
        coalesce(n.model, b.model) as model,
        coalesce(n.condition, b.condition) as condition,
        coalesce(n.task, b.task) as task,
        b.first_dimension as first_before, n.first_dimension as first_now,
        b.model_type as type_before, n.model_type as type_now,
        b.ccc as ccc_before, n.ccc as ccc_now
    from (select * from joined where audit_id = $now) as n
    join (select * from joined where audit_id = $before) as b using (model, condition, task)
)

select * from final order by model, condition, task
