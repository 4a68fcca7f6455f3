-- Move one staged survey load into the public tables.
-- Later copies of a participant ID in the sample (in this file or an earlier one) are kept, numbered
-- and excluded as duplicates.
create or replace temp table staged_participants as
with

incoming as (
    select * from stage_participants
),

existing as (
    select participant_id, max(copy) as max_copy
    from participants
    where sample = $sample
    group by participant_id
),

numbered as (
    select
        incoming.*,
        coalesce(existing.max_copy, 0)
            + row_number() over (partition by incoming.participant_id order by incoming._i) as copy
    from incoming
    left join existing using (participant_id)
),

final as (
    select
        _i,
        participant_id,
        copy,
        source_row,
        nullif(concat_ws('; ',
            reasons,
            case when copy > 1 then 'duplicate participant (copy ' || copy || ')' end
        ), '') as exclusion_reason
    from numbered
)

select * from final;

insert into participants
    (participant_id, sample, copy, run_id, source_file, source_row, is_excluded, exclusion_reason, attributes)
select
    staged.participant_id,
    $sample,
    staged.copy,
    $run_id,
    $source_file,
    staged.source_row,
    staged.exclusion_reason is not null,
    staged.exclusion_reason,
    demographics.attributes
from staged_participants as staged
left join _demographics as demographics using (participant_id);

insert into human_answers
    (participant_id, sample, copy, instrument_sha256, task, condition, dimension, rank, rating)
select
    staged.participant_id,
    $sample,
    staged.copy,
    $instrument_sha256,
    answers.task,
    answers.condition,
    answers.dimension,
    case when answers.task = 'rank' then cast(answers.value as integer) end,
    case when answers.task = 'rate' then answers.value end
from stage_answers as answers
join staged_participants as staged using (_i);

insert into human_items (participant_id, sample, copy, item, value)
select staged.participant_id, $sample, staged.copy, items.item, items.value
from stage_items as items
join staged_participants as staged using (_i);

drop table staged_participants;
