-- The valid rank and rate answers an audit pinned for some of its models (two, or a brief's candidates), one row per trial and dimension.
with

responses as (
    select * from pinned_responses
    where audit_id = $audit and pinned_status = 'valid' and task in ('rank', 'rate') and list_contains($models, model)
),

answers as (
    select * from llm_answers
),

final as (
    select
        responses.model,
        responses.condition,
        responses.task,
        answers.dimension,
        coalesce(answers.rank::double, answers.rating) as value
    from responses
    inner join answers using (response_id)
)

select * from final
