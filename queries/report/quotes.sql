-- A few open answers per model and condition, shortest first among the valid ones, for quoting.
with

answers as (
    select model, condition, response_id, raw_text,
           row_number() over (partition by model, condition order by length(raw_text), response_id) as n
    from valid_responses
    where instrument_sha256 = $instrument and task = 'open'
)

select model, condition, response_id, raw_text from answers where n <= $per_model order by model, condition, n
