-- What one survey load stored: participants, how many are excluded, how many are later copies.
with

loaded as (
    select * from participants where run_id = $run_id
),

final as (
    select
        count(*) as participants,
        count(*) filter (where is_excluded) as excluded,
        count(*) filter (where copy > 1) as duplicates
    from loaded
)

select * from final
