-- Per model, condition and theme: one answer that a coder marked as showing the theme, with the
-- quoted evidence (valid codes only), for the audits' "in their own words" examples.
with

coded as (
    select r.model, r.condition, c.dimension, c.response_id, c.evidence, r.raw_text,
           row_number() over (partition by r.model, r.condition, c.dimension
                              order by length(r.raw_text), c.response_id, c.coder) as n
    from valid_codes as c
    inner join llm_responses as r using (response_id)
    where r.instrument_sha256 = $instrument and c.is_present
)

select model, condition, dimension, response_id, evidence, raw_text from coded where n = 1
order by model, condition, dimension
