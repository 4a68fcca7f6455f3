-- The answers one coder has coded (an answer is coded once by each coder).
with

codes_given as (
    select response_id, coder
    from codes
),

final as (
    select distinct response_id
    from codes_given
    where coder = $coder
)

select * from final
