-- The answers of the participants an audit pinned who were not excluded, one row per participant,
-- task block and dimension.
with

pinned as (
    select sample, participant_id, copy from audit_participants where audit_id = $audit
),

participants_kept as (
    select sample, participant_id, copy from participants where not is_excluded
),

answers as (
    select * from human_answers where instrument_sha256 = $instrument
),

final as (
    select
        answers.sample,
        answers.condition,
        answers.task,
        answers.participant_id || '#' || answers.copy as participant,
        answers.dimension,
        coalesce(answers.rank::double, answers.rating) as value
    from answers
    inner join pinned using (sample, participant_id, copy)
    inner join participants_kept using (sample, participant_id, copy)
)

select * from final
