-- Share of the valid rank trials an audit pinned giving each dimension each rank, per model and condition.
with

responses as (
    select * from pinned_responses where audit_id = $audit and pinned_status = 'valid' and task = 'rank'
),

answers as (
    select * from llm_answers
),

counts as (
    select responses.model, responses.condition, answers.dimension, answers.rank, count(*) as n
    from responses
    inner join answers using (response_id)
    group by all
),

final as (
    select *, n / sum(n) over (partition by model, condition, dimension) as share
    from counts
)

select * from final order by model, condition, dimension, rank
