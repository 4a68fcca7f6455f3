-- A few open answers per model and condition, shortest first among the valid ones the audit pinned, for quoting.
with

answers as (
    select * from pinned_responses where audit_id = $audit and pinned_status = 'valid' and task = 'open'
),

numbered as (
    select
        model,
        condition,
        response_id,
        raw_text,
        row_number() over (partition by model, condition order by length(raw_text), response_id) as n
    from answers
),

final as (
    select model, condition, response_id, raw_text, n
    from numbered
    where n <= $per_model
)

select * exclude (n) from final order by model, condition, n
