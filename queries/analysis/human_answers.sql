-- The answers of participants who were not excluded, one row per participant, task block and dimension.
with

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
    join participants_kept using (sample, participant_id, copy)
)

select * from final
