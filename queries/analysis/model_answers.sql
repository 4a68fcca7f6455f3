-- The valid rank and rate answers an audit pinned, one row per trial and dimension.
with

responses as (
    select * from pinned_responses
    where audit_id = $audit and pinned_status = 'valid' and task in ('rank', 'rate')
),

answers as (
    select * from llm_answers
),

final as (
    select
        responses.model,
        responses.condition,
        responses.task,
        responses.response_id,
        responses.trial,
        responses.item_order,
        responses.variant,
        answers.dimension,
        coalesce(answers.rank::double, answers.rating) as value
    from responses
    inner join answers using (response_id)
)

select * from final
