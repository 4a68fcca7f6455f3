-- 012: a declined statistic is NULL in every column that belongs to it, with the reason in the
-- row's note (issue "statistics printed where they were declined"). The tables that had no note get
-- one. Notes now name what they decline, "statistic[, statistic]: reason", segments joined by "; ".
-- Audits computed before this migration keep their rows as they were (NaN where a value was not
-- estimable); reports print "not computed" for those values and never an interval beside them.
alter table result_human_profiles add column note varchar;
alter table result_items add column note varchar;
alter table result_themes add column note varchar;
