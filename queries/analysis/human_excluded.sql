-- Excluded participant records per sample of this instrument's survey loads.
with

samples as (
    select distinct sample from human_answers where instrument_sha256 = $instrument
),

final as (
    select participants.sample, count(*) filter (where participants.is_excluded) as excluded
    from participants
    join samples using (sample)
    group by all
)

select * from final
