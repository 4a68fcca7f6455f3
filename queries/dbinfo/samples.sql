-- Human samples: participants (first records), excluded records, and the records that repeat a participant ID.
with

records as (
    select * from participants
),

final as (
    select
        sample,
        count(*) filter (where copy = 1) as participants,
        count(*) filter (where is_excluded) as excluded,
        count(*) filter (where copy > 1) as duplicates
    from records
    group by sample
)

select * from final order by sample
