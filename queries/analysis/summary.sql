-- Per model, condition and task: the dimensions in priority order, whether that order is
-- non-random, stability (mean inter-trial Spearman with its interval) and type, for summaries.
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

ordered as (
    select
        model,
        condition,
        task,
        list(dimension order by case when task = 'rank' then mean else -mean end, dimension) as dimensions
    from profiles
    group by all
),

final as (
    select
        ordered.condition,
        ordered.task,
        ordered.model,
        ordered.dimensions,
        stability.friedman_p,
        stability.mean_rho,
        stability.mean_rho_ci_low,
        stability.mean_rho_ci_high,
        coalesce(clusters.model_type, 'not typed') as model_type
    from ordered
    left join stability using (model, condition, task)
    left join clusters using (model, condition, task)
)

select * from final order by condition, task, model
