-- Study 1 codes of this instrument's open answers, with the model and condition of each answer.
with

responses as (
    select response_id, model, condition from valid_responses
    where instrument_sha256 = $instrument and task = 'open'
),

final as (
    select responses.model, responses.condition, codes.response_id, codes.coder, codes.dimension, codes.is_present
    from valid_codes as codes
    inner join responses using (response_id)
)

select * from final
