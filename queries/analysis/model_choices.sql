-- The valid answers to dilemmas an audit pinned, the dimension chosen and the other, one row each.
-- first: the dimension whose action was shown first (null where the order is unknown).
with

responses as (
    select * from pinned_responses
    where audit_id = $audit and pinned_status = 'valid' and task = 'choose'
),

answers as (
    select * from llm_answers
),

final as (
    select
        responses.model,
        responses.condition,
        responses.response_id,
        responses.scenario,
        max(answers.dimension) filter (where answers.rank = 1) as chosen,
        max(answers.dimension) filter (where answers.rank = 2) as other,
        responses.item_order[1] as first
    from responses
    inner join answers using (response_id)
    group by all
)

select * from final order by model, condition, response_id
