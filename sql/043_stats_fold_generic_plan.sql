-- A fold of a few cases was 15-25 ms, of which the statements themselves
-- ran 3-4: the rest was planning. stats_refresh_cases' statements read wide
-- views (stats_fact_source and the like) and take the cases as an array
-- parameter, and with plan_cache_mode auto PostgreSQL plans them afresh for
-- each call that has not yet tried the generic plan five times, which a
-- pooled connection folding now and then never has. Measured on 45,000
-- discussions (docs/performance.md, session 10): one light case 17-25 ms
-- custom, 2-3 ms generic; 256 cases 224 ms against 94 ms; 1,000 about even;
-- 3,000 1.0 s against 1.3 s, where a plan made for the array wins. So the
-- generic plan up to 1,000 cases (the folder's batch, a read's few), a
-- custom one for the large folds after a bulk load. SET LOCAL: the setting
-- ends with the fold's transaction.
CREATE OR REPLACE FUNCTION stats_fold(p_max integer, p_wait boolean)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	cs	bigint[];
BEGIN
	IF current_setting('transaction_isolation') = 'read committed' THEN
		RAISE EXCEPTION 'stats_fold must run in a REPEATABLE READ '
		    'transaction (see sql/020_stats_fold.sql)';
	END IF;
	IF p_wait THEN
		PERFORM pg_advisory_xact_lock(20, 1);
	ELSIF NOT pg_try_advisory_xact_lock(20, 1) THEN
		RETURN 0;
	END IF;
	SELECT array_agg(case_id) INTO cs FROM (SELECT case_id FROM stats_queue
	    GROUP BY case_id ORDER BY min(id) LIMIT p_max) q;
	IF cs IS NULL THEN
		RETURN 0;
	END IF;
	DELETE FROM stats_queue WHERE case_id = ANY (cs);
	PERFORM set_config('plan_cache_mode', CASE WHEN cardinality(cs) <= 1000
	    THEN 'force_generic_plan' ELSE 'auto' END, true);
	PERFORM stats_refresh_cases(cs);
	RETURN cardinality(cs);
END $$;
