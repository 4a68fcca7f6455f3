-- SHA-256 of every input row an audit would read: its models' answers and outcomes (those collected in
-- its window, when it has one), the human answers, exclusions and items, and the valid codes. Same
-- data, same hash; any change, another hash.
with

responses as (
    select * from llm_responses
    where instrument_sha256 = $instrument and list_contains($models, model)
        and ($since::timestamptz is null or created_at >= $since::timestamptz)
        and ($until::timestamptz is null or created_at < $until::timestamptz)
),

model_rows as (
    select concat_ws('|', 'r', responses.response_id, responses.model, responses.condition, responses.task,
                     responses.status, coalesce(answers.dimension, ''), coalesce(answers.rank::varchar, ''),
                     coalesce(answers.rating::varchar, '')) as line
    from responses
    left join llm_answers as answers using (response_id)
),

human_rows as (
    select concat_ws('|', 'h', answers.sample, answers.participant_id, answers.copy::varchar, answers.task,
                     answers.condition, answers.dimension, coalesce(answers.rank::varchar, ''),
                     coalesce(answers.rating::varchar, ''), participants.is_excluded::varchar) as line
    from human_answers as answers
    inner join participants using (sample, participant_id, copy)
    where answers.instrument_sha256 = $instrument
),

item_rows as (
    select concat_ws('|', 'i', items.sample, items.participant_id, items.copy::varchar, items.item,
                     coalesce(items.value::varchar, '')) as line
    from human_items as items
    where items.sample in (select distinct sample from human_answers where instrument_sha256 = $instrument)
),

code_rows as (
    select concat_ws('|', 'c', codes.response_id, codes.coder, codes.dimension, codes.is_present::varchar) as line
    from valid_codes as codes
    inner join responses using (response_id)
    where responses.status = 'valid'
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
