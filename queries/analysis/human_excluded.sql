-- Excluded participant records per sample, among those an audit pinned.
with

pinned as (
    select sample, participant_id, copy from audit_participants where audit_id = $audit
),

final as (
    select participants.sample, count(*) filter (where participants.is_excluded) as excluded
    from participants
    inner join pinned using (sample, participant_id, copy)
    group by all
)

select * from final
