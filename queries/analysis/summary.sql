-- Per model, condition and task: the first-priority dimension, stability and type, for summaries.
with

profiles as (
    select * from result_profiles where audit_id = $audit
),

stability as (
    select * from result_stability where audit_id = $audit
),

clusters as (
    select * from result_clusters where audit_id = $audit
),

firsts as (
    select
        model, condition, task,
        arg_min(dimension, mean) filter (where task = 'rank') as first_rank,
        arg_max(dimension, mean) filter (where task = 'rate') as first_rate,
        min(mean) filter (where task = 'rank') as rank_mean,
        max(mean) filter (where task = 'rate') as rate_mean
    from profiles
    group by all
),

final as (
    select
        firsts.condition,
        firsts.task,
        firsts.model,
        coalesce(firsts.first_rank, firsts.first_rate) as top_dimension,
        coalesce(firsts.rank_mean, firsts.rate_mean) as top_mean,
        stability.kendall_w,
        coalesce(clusters.model_type, 'not typed') as model_type
    from firsts
    left join stability using (model, condition, task)
    left join clusters using (model, condition, task)
)

select * from final order by condition, task, model
