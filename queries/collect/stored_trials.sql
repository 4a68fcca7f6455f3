-- Which of these trials (by response id) are stored already, and with what outcome: a stored
-- trial is never requested again (one stored as an error only with --retry-errors).
with

responses as (
    select response_id, status
    from llm_responses
),

asked as (
    select unnest(from_json($response_ids, '["VARCHAR"]')) as response_id
),

final as (
    select responses.response_id, responses.status
    from asked
    inner join responses on responses.response_id = asked.response_id
)

select * from final
