-- The instruments a human sample answered (one, normally), for planning power against its profile.
with

answers as (
    select distinct instrument_sha256 from human_answers where sample = $sample
),

final as (
    select instruments.sha256, instruments.instrument_id, instruments.version, instruments.spec
    from answers
    inner join instruments on instruments.sha256 = answers.instrument_sha256
)

select * from final order by sha256
