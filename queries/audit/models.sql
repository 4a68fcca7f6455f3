-- The models with answers to one instrument, for choosing an audit's models by name or pattern; with a
-- collection window ($since inclusive, $until exclusive, either null for no bound), those with answers
-- collected in it.
with

responses as (
    select distinct model from llm_responses
    where instrument_sha256 = $instrument
        and ($since::timestamptz is null or created_at >= $since::timestamptz)
        and ($until::timestamptz is null or created_at < $until::timestamptz)
),

final as (
    select model from responses
)

select * from final order by model
