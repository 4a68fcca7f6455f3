-- The models with answers to one instrument, for choosing an audit's models by name or pattern.
with

responses as (
    select distinct model from llm_responses where instrument_sha256 = $instrument
),

final as (
    select model from responses
)

select * from final order by model
