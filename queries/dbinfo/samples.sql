-- Human samples: participants (first records) and excluded records.
with

records as (
    select * from participants
),

final as (
    select
        sample,
        count(*) filter (where copy = 1) as participants,
        count(*) filter (where is_excluded) as excluded
    from records
    group by sample
)

select * from final order by sample
