-- Survey item answers of participants who were not excluded.
with

participants_kept as (
    select sample, participant_id, copy from participants where not is_excluded
),

samples as (
    select distinct sample from human_answers where instrument_sha256 = $instrument
),

final as (
    select items.sample, items.item, items.value
    from human_items as items
    join participants_kept using (sample, participant_id, copy)
    join samples using (sample)
    where items.value is not null
)

select * from final
