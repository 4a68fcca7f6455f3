-- Per model, condition and theme: one answer that a coder marked as showing the theme, with the
-- quoted evidence, among the codes an audit pinned, for the audits' "in their own words" examples.
with

pinned_codes as (
    select response_id, coder, dimension from audit_codes where audit_id = $audit
),

coded as (
    select codes.*
    from pinned_codes
    inner join codes using (response_id, coder, dimension)
    where codes.is_present
),

responses as (
    select * from pinned_responses where audit_id = $audit
),

numbered as (
    select
        responses.model,
        responses.condition,
        coded.dimension,
        coded.response_id,
        coded.evidence,
        responses.raw_text,
        row_number() over (
            partition by responses.model, responses.condition, coded.dimension
            order by length(responses.raw_text), coded.response_id, coded.coder
        ) as n
    from coded
    inner join responses using (response_id)
),

final as (
    select model, condition, dimension, response_id, evidence, raw_text
    from numbered
    where n = 1
)

select * from final order by model, condition, dimension
