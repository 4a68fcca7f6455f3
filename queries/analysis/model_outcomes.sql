-- Outcome counts (valid, refused, unparseable, incomplete, error) per model, condition and task.
with

responses as (
    select * from llm_responses where instrument_sha256 = $instrument
),

final as (
    select model, condition, task, status, count(*) as n
    from responses
    group by all
)

select * from final order by all
