-- stats_mark_case runs twice in every booking (the discussion's row trigger
-- and the participants' statement trigger) and once in most other writes.
-- As a LANGUAGE sql function called from PL/pgSQL it is not inlined, and
-- PostgreSQL 15 parses and plans its body again at every call: 0.4 ms a
-- call under booking load against 0.05 ms for the INSERT itself
-- (pg_stat_statements, nested, in bench/run.sh --statements;
-- docs/performance.md, session 11). PL/pgSQL keeps the plan for the
-- connection's life. Same statement, same rule (sql/020).
CREATE OR REPLACE FUNCTION stats_mark_case(p_case bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO stats_queue (case_id) SELECT p_case
	WHERE p_case IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stats_queue
	    WHERE case_id = p_case AND tx = pg_current_xact_id());
END $$;
