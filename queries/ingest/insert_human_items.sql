-- One batch of survey item answers (staged as Parquet files).
insert into human_items (participant_id, sample, copy, item, value)
select participant_id, $sample, copy, item, value
from read_parquet($staged)
