-- SHA-256 of every input row an audit reads: model answers and outcomes, human answers,
-- exclusions and items, and codes. Same data, same hash; any change, another hash.
with

model_rows as (
    select concat_ws('|', 'r', r.response_id, r.model, r.condition, r.task, r.status,
                     coalesce(a.dimension, ''), coalesce(a.rank::varchar, ''), coalesce(a.rating::varchar, '')) as line
    from llm_responses as r
    left join llm_answers as a using (response_id)
    where r.instrument_sha256 = $instrument
),

human_rows as (
    select concat_ws('|', 'h', h.sample, h.participant_id, h.copy::varchar, h.task, h.condition, h.dimension,
                     coalesce(h.rank::varchar, ''), coalesce(h.rating::varchar, ''), p.is_excluded::varchar) as line
    from human_answers as h
    join participants as p using (sample, participant_id, copy)
    where h.instrument_sha256 = $instrument
),

item_rows as (
    select concat_ws('|', 'i', i.sample, i.participant_id, i.copy::varchar, i.item, coalesce(i.value::varchar, '')) as line
    from human_items as i
    where i.sample in (select distinct sample from human_answers where instrument_sha256 = $instrument)
),

code_rows as (
    select concat_ws('|', 'c', c.response_id, c.coder, c.dimension, c.is_present::varchar) as line
    from codes as c
    join llm_responses as r using (response_id)
    where r.instrument_sha256 = $instrument
),

final as (
    select sha256(coalesce(string_agg(line, chr(10) order by line), '')) as data_sha256
    from (
        select line from model_rows
        union all select line from human_rows
        union all select line from item_rows
        union all select line from code_rows
    )
)

select * from final
