-- Open answers on which coders disagree about a theme (valid codes only), with who said what.
with

votes as (
    select c.response_id, c.dimension, r.model, r.condition, r.raw_text,
           string_agg(c.coder || ': ' || case when c.is_present then 'yes' else 'no' end, ', ' order by c.coder) as votes,
           count(distinct c.is_present) as opinions
    from valid_codes as c
    inner join llm_responses as r using (response_id)
    where r.instrument_sha256 = $instrument
    group by all
)

select model, condition, response_id, dimension, votes, raw_text from votes where opinions > 1
order by model, condition, response_id, dimension
