-- The answers behind the dilemmas in which each model most often went against its stated order: per
-- model and condition the three scenarios with the most choices against it (ties: fewer answers,
-- then the scenario key), and in each the first two such answers by response id, with the text their
-- reasons are read from.
with

dilemmas as (
    select * from result_dilemmas where audit_id = $audit and against > 0
),

ranked as (
    select
        *,
        row_number() over (partition by model, condition order by against desc, n, scenario) as place
    from dilemmas
),

top as (
    select * from ranked where place <= 3
),

chosen as (
    select response_id, dimension from llm_answers where rank = 1
),

answers as (
    select
        responses.model,
        responses.condition,
        responses.scenario,
        responses.response_id,
        responses.raw_text,
        responses.item_order,
        chosen.dimension as chosen
    from pinned_responses as responses
    inner join chosen using (response_id)
    where responses.audit_id = $audit and responses.pinned_status = 'valid' and responses.task = 'choose'
),

against as (
    select
        top.place,
        answers.*,
        row_number() over (partition by answers.model, answers.condition, answers.scenario
                           order by answers.response_id) as nth
    from top
    inner join answers using (model, condition, scenario)
    where answers.chosen <> top.stated_higher
),

final as (
    select model, condition, scenario, place, response_id, raw_text, item_order from against where nth <= 2
)

select * from final order by model, condition, place, response_id
