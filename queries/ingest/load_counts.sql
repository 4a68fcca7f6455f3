-- What one survey load stored: participants (first records of an ID, as papers db info counts them),
-- excluded records (duplicates included), and the later copies of an ID already in the sample.
with

loaded as (
    select * from participants where run_id = $run_id
),

final as (
    select
        count(*) filter (where copy = 1) as participants,
        count(*) filter (where is_excluded) as excluded,
        count(*) filter (where copy > 1) as duplicates
    from loaded
)

select * from final
