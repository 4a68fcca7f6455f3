-- Open answers on which coders disagree about a theme (valid codes only), with who said what.
with

coded as (
    select * from valid_codes
),

responses as (
    select * from llm_responses where instrument_sha256 = $instrument
),

votes as (
    select
        coded.response_id,
        coded.dimension,
        responses.model,
        responses.condition,
        responses.raw_text,
        string_agg(
            coded.coder || ': ' || case when coded.is_present then 'yes' else 'no' end, ', ' order by coded.coder
        ) as votes,
        count(distinct coded.is_present) as opinions
    from coded
    inner join responses using (response_id)
    group by all
),

final as (
    select model, condition, response_id, dimension, votes, raw_text
    from votes
    where opinions > 1
)

select * from final order by model, condition, response_id, dimension
