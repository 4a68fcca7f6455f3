-- Pin the human records an audit uses: every record of a sample that answered its instrument,
-- the excluded ones too (the audit counts them).
insert into audit_participants (audit_id, sample, participant_id, copy)
with

samples as (
    select distinct sample from human_answers where instrument_sha256 = $instrument
),

final as (
    select distinct $audit as audit_id, participants.sample, participants.participant_id, participants.copy
    from participants
    inner join samples using (sample)
)

select * from final
