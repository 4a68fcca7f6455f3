-- One batch of long survey answers (staged as Parquet files): ranks for rank tasks, ratings for rate.
insert into human_answers
    (participant_id, sample, copy, instrument_sha256, task, condition, dimension, rank, rating)
select
    participant_id,
    $sample,
    copy,
    $instrument_sha256,
    task,
    condition,
    dimension,
    case when task = 'rank' then cast(value as integer) end,
    case when task = 'rate' then value end
from read_parquet($staged)
