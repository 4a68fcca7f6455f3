-- Open answers on which coders disagree about a theme, among the codes an audit pinned, with who said what.
with

pinned_codes as (
    select response_id, coder, dimension from audit_codes where audit_id = $audit
),

coded as (
    select codes.*
    from pinned_codes
    inner join codes using (response_id, coder, dimension)
    where codes.is_present is not null
),

responses as (
    select * from pinned_responses where audit_id = $audit
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
