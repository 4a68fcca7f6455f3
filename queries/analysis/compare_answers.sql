-- Valid rank and rate answers of two models for one instrument, one row per trial and dimension.
with

responses as (
    select * from valid_responses
    where instrument_sha256 = $instrument and task in ('rank', 'rate')
      and model in ($model_a, $model_b)
),

final as (
    select responses.model, responses.condition, responses.task, answers.dimension,
           coalesce(answers.rank::double, answers.rating) as value
    from responses
    join llm_answers as answers using (response_id)
)

select * from final
