-- Participant keys that occur more than once in a sample: must be empty after every load.
select sample, participant_id, copy, count(*) as n
from participants
where sample = $sample
group by sample, participant_id, copy
having count(*) > 1
limit 5
