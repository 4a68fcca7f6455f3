-- The valid open answers to one instrument: the answers a code sheet lists, and those a filled
-- sheet may code.
with

responses as (
    select response_id, instrument_sha256, task, condition, model, raw_text
    from valid_responses
),

final as (
    select response_id, condition, model, raw_text
    from responses
    where instrument_sha256 = $instrument and task = 'open'
)

select * from final order by response_id
