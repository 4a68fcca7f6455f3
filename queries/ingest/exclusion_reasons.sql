-- Why the participants of one survey load were excluded: the first reason of each, counted.
with

excluded as (
    select split_part(exclusion_reason, '; ', 1) as reason
    from participants
    where run_id = $run_id and is_excluded
),

final as (
    select regexp_replace(reason, ' \(.*\)$', '') as reason, count(*) as participants
    from excluded
    group by 1
)

select * from final order by participants desc, reason
