-- Per model, condition and task: the dimensions in priority order (the first of them is the
-- model's first priority, wherever a summary or the changes page names one), whether that order
-- is non-random, stability (mean inter-trial Spearman with its interval), type, and the best
-- concordance (Lin's CCC) with any human sample.
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

agreement as (
    select * from result_agreement where audit_id = $audit
),

ordered as (
    select
        model,
        condition,
        task,
        -- rank 1 is the highest priority; for ratings the highest mean; ties go to the dimension key
        list(dimension order by case when task = 'rank' then mean else -mean end, dimension) as dimensions
    from profiles
    group by all
),

best_agreement as (
    select model, condition, task, max(ccc) as best_ccc
    from agreement
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
        coalesce(clusters.model_type, 'not typed') as model_type,
        ordered.dimensions[1] as first_dimension,
        best_agreement.best_ccc
    from ordered
    left join stability using (model, condition, task)
    left join clusters using (model, condition, task)
    left join best_agreement using (model, condition, task)
)

select * from final order by condition, task, model
