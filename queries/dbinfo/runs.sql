-- Loads and runs by kind: how many, and when the last one ended (or started, if it did not end).
with

ended as (
    select kind, coalesce(finished_at, started_at) as ended_at from runs
),

final as (
    select kind, count(*) as runs, max(ended_at) as last_at from ended group by kind
)

select * from final order by kind
