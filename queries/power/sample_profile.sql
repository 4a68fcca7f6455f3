-- A human sample's mean profile per condition and dimension on one task, from the participants
-- not excluded; with the number of people who answered.
with

answers as (
    select * from human_answers
    where sample = $sample and instrument_sha256 = $instrument and task = $task
),

included as (
    select sample, participant_id, copy from participants where sample = $sample and not is_excluded
),

final as (
    select
        answers.condition,
        answers.dimension,
        avg(coalesce(answers.rank::double, answers.rating)) as mean,
        count(distinct answers.participant_id || '#' || answers.copy) as people
    from answers
    inner join included using (sample, participant_id, copy)
    group by answers.condition, answers.dimension
)

select * from final order by condition, dimension
