-- Statistics off the commit path (issue 12, section 3; issue 16).
--
-- A write used to recompute its case's figures inside its own COMMIT (a
-- deferred trigger on stats_dirty): 35-100 ms per booking, holding the
-- team's summary rows, so one team's writes queued behind each other. Now
-- a write only queues its case (one small row, no unique key, so no write
-- ever waits for another); stats_fold() applies the queue. The server's
-- folding thread calls it continuously (within a second of a commit), and
-- every statistics read calls it first, so the figures a manager reads
-- include every write acknowledged before the request.

CREATE TABLE stats_queue (
	id		bigserial PRIMARY KEY,
	case_id		bigint NOT NULL,
	tx		xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX stats_queue_case ON stats_queue (case_id, tx);

INSERT INTO stats_queue (case_id) SELECT case_id FROM stats_dirty;
DROP TRIGGER stats_dirty_run ON stats_dirty;
DROP FUNCTION stats_dirty_run();

-- Once per case per transaction: a booking's discussion and participant
-- rows all mark the same case.
CREATE OR REPLACE FUNCTION stats_mark_case(p_case bigint) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO stats_queue (case_id) SELECT p_case
	WHERE p_case IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stats_queue
	    WHERE case_id = p_case AND tx = pg_current_xact_id())
$$;

CREATE OR REPLACE FUNCTION stats_mark_holidays(changed date[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO stats_queue (case_id)
	SELECT DISTINCT f.case_id FROM stats_fact f
	WHERE EXISTS (SELECT 1 FROM unnest(changed) h(day)
	    WHERE (h.day > f.concern_day AND h.day <= f.day)
	       OR (h.day > f.day AND h.day <= f.icpc_date))
$$;

DROP TABLE stats_dirty;

-- Fold up to p_max queued cases, oldest first; the number folded.
--
-- stats_refresh_case adds (source - stored facts) to the sums and then
-- stores the source as the facts, in several statements. Under READ
-- COMMITTED each statement sees a newer snapshot, so a write committed
-- between them would be stored in the facts but never added to the sums,
-- for good. So the fold runs in one REPEATABLE READ snapshot: the queue
-- rows it removes and the facts it computes are of the same moment, and
-- anything committed later keeps its queue row for the next fold.
--
-- One folder at a time across every instance: the advisory lock (20, 1),
-- taken by the caller at session level *before* the transaction starts
-- (taken inside, a folder committing between the snapshot and the lock
-- would make this one's summary updates fail to serialise). Here it is
-- taken again at transaction level, which the holder always gets and
-- anyone else does not: p_wait waits for it, otherwise 0 is returned.
-- server/stats_fold.c and tests/integration/convene_test.py stats_fold()
-- follow this protocol.
CREATE FUNCTION stats_fold(p_max integer, p_wait boolean) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	c	bigint;
	n	integer := 0;
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
	FOR c IN SELECT case_id FROM stats_queue GROUP BY case_id
	    ORDER BY min(id) LIMIT p_max LOOP
		DELETE FROM stats_queue WHERE case_id = c;
		PERFORM stats_refresh_case(c);
		n := n + 1;
	END LOOP;
	RETURN n;
END $$;
