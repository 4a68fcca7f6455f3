-- One batch of survey participants (staged as Parquet files) into the public table.
insert into participants
    (participant_id, sample, copy, run_id, source_file, source_row, is_excluded, exclusion_reason, attributes)
select
    participant_id,
    $sample,
    copy,
    $run_id,
    $source_file,
    source_row,
    exclusion_reason is not null,
    exclusion_reason,
    attributes
from read_parquet($staged)
