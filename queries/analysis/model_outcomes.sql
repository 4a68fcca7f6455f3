-- Outcome counts (valid, refused, unparseable, incomplete, error) per model, condition and task,
-- with each answer's status as the audit pinned it.
with

responses as (
    select * from pinned_responses where audit_id = $audit
),

final as (
    select model, condition, task, pinned_status as status, count(*) as n
    from responses
    group by all
)

select * from final order by all
