-- Survey item answers of the participants an audit pinned who were not excluded.
with

pinned as (
    select sample, participant_id, copy from audit_participants where audit_id = $audit
),

participants_kept as (
    select sample, participant_id, copy from participants where not is_excluded
),

final as (
    select items.sample, items.item, items.value
    from human_items as items
    inner join pinned using (sample, participant_id, copy)
    inner join participants_kept using (sample, participant_id, copy)
    where items.value is not null
)

select * from final
