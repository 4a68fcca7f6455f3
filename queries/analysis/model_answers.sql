-- The valid rank and rate answers of one instrument, one row per trial and dimension.
with

responses as (
    select * from valid_responses
    where instrument_sha256 = $instrument and task in ('rank', 'rate')
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
        answers.dimension,
        coalesce(answers.rank::double, answers.rating) as value
    from responses
    join answers using (response_id)
)

select * from final
