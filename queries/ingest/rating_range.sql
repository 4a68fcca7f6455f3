-- The lowest and highest rating that one survey load's participants gave.
with

loaded as (
    select sample, participant_id, copy from participants where run_id = $run_id
),

ratings as (
    select human_answers.rating
    from human_answers
    inner join loaded using (sample, participant_id, copy)
    where human_answers.task = 'rate'
),

final as (
    select min(rating) as lowest, max(rating) as highest from ratings
)

select * from final
