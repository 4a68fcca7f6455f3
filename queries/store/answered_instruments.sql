-- The instruments that model answers of the given tasks (all tasks when the list is empty)
-- belong to, with how many answers each: what a command is about when no instrument is named.
with

answers as (
    select instrument_sha256, count(*) as answers
    from llm_responses
    where len($tasks) = 0 or list_contains($tasks, task)
    group by instrument_sha256
),

final as (
    select instruments.sha256, instruments.instrument_id, instruments.version, instruments.spec, answers.answers
    from answers
    inner join instruments on instruments.sha256 = answers.instrument_sha256
)

select * from final order by answers desc, sha256
