-- How many discussions each team's list shows, kept as it changes, so that
-- the meeting list as it opens says "N discussions" without counting them.
-- Counting was two index scans over every discussion a team can see: 13 ms a
-- list at 45,000 and, with the list a quarter of the soak's requests, three
-- quarters of PostgreSQL's time at 200 requests/s (docs/performance.md).
--
-- A team's list (server/model_list.c) is its authority's discussions that the
-- team booked or whose case it holds; an authority-wide list (managers,
-- admins) is every discussion of the authority, kept under team_id 0. Each
-- change adds rows of +k/-k; the total is their sum, exact in every
-- snapshot because a transaction's rows commit with its discussions. Writers
-- only INSERT, so bookings by one team never wait on each other for a
-- counter. The statistics folder (server/stats_fold.c) sums each scope's rows
-- into one now and then (list_totals_compact), so a read sums a handful.
CREATE TABLE list_totals (
	authority_id	bigint NOT NULL,
	team_id		bigint NOT NULL CHECK (team_id >= 0),
	n		bigint NOT NULL
);
CREATE INDEX list_totals_scope ON list_totals (authority_id, team_id)
	INCLUDE (n);

-- The scopes each discussion counts in: its authority (team_id 0), the team
-- that booked it, and the team holding its case when that is another team.
-- list_totals_rebuild() and list_totals_verify() count these; the trigger
-- below writes the same three for the discussions a statement changed.
CREATE VIEW list_totals_scopes AS
	SELECT d.authority_id, 0::bigint AS team_id FROM discussions d
	UNION ALL SELECT d.authority_id, d.team_id FROM discussions d
	UNION ALL SELECT d.authority_id, c.team_id FROM discussions d
	    JOIN cases c ON c.id = d.case_id WHERE c.team_id <> d.team_id;

-- What discussions added or removed change in each scope (as
-- list_totals_scopes, over the transition table "changed" of both
-- triggers): an INSERT adds, a DELETE (retention) takes away.
CREATE FUNCTION list_totals_discussions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO list_totals (authority_id, team_id, n)
	SELECT a, t, CASE TG_OP WHEN 'DELETE' THEN -count(*) ELSE count(*) END
	FROM (SELECT d.authority_id AS a, 0::bigint AS t FROM changed d
		UNION ALL SELECT d.authority_id, d.team_id FROM changed d
		UNION ALL SELECT d.authority_id, c.team_id FROM changed d
		    JOIN cases c ON c.id = d.case_id
		    WHERE c.team_id <> d.team_id) s
	GROUP BY a, t;
	RETURN NULL;
END $$;

CREATE TRIGGER list_totals_added AFTER INSERT ON discussions
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION list_totals_discussions();
CREATE TRIGGER list_totals_removed AFTER DELETE ON discussions
	REFERENCING OLD TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION list_totals_discussions();

-- A discussion stays in the authority, on the case and with the team it was
-- booked in and by (nothing in Convene moves one); a change that did would
-- leave the totals wrong, so it is refused instead.
CREATE FUNCTION list_totals_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'a discussion''s authority, case and team do not '
	    'change (sql/042_list_totals.sql)' USING ERRCODE = '55000';
END $$;

CREATE TRIGGER list_totals_fixed BEFORE UPDATE OF authority_id, case_id,
	team_id ON discussions FOR EACH ROW
	WHEN (OLD.authority_id <> NEW.authority_id OR
	    OLD.case_id <> NEW.case_id OR OLD.team_id <> NEW.team_id)
	EXECUTE FUNCTION list_totals_fixed();

-- A case moving team (server/cases.c, transfer) moves the discussions other
-- teams booked on it: the old holder stops seeing those, the new one starts.
-- A booking on the case that is in flight holds a KEY SHARE lock on the row
-- (its foreign key) and read the old team; FOR UPDATE waits for it to
-- commit, so the count below sees its discussion and moves it too. A
-- booking that comes after waits for this transaction in its foreign-key
-- check and then reads the new team.
CREATE FUNCTION list_totals_case_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM cases WHERE id = NEW.id FOR UPDATE;
	INSERT INTO list_totals (authority_id, team_id, n)
	SELECT NEW.authority_id, t, sum(k) FROM (
		SELECT OLD.team_id AS t, -1 AS k FROM discussions
		    WHERE case_id = NEW.id AND team_id <> OLD.team_id
		UNION ALL SELECT NEW.team_id, 1 FROM discussions
		    WHERE case_id = NEW.id AND team_id <> NEW.team_id) s
	GROUP BY t;
	RETURN NULL;
END $$;

CREATE TRIGGER list_totals_case_moved AFTER UPDATE OF team_id ON cases
	FOR EACH ROW WHEN (OLD.team_id <> NEW.team_id)
	EXECUTE FUNCTION list_totals_case_moved();

-- Each scope's rows summed into one. Only this deletes from list_totals; two
-- at once (two instances) each insert the sum of exactly the rows they
-- deleted, so the totals stay right either way. Returns the rows removed.
CREATE FUNCTION list_totals_compact() RETURNS bigint
LANGUAGE sql AS $$
	WITH many AS (SELECT authority_id, team_id FROM list_totals
		GROUP BY authority_id, team_id HAVING count(*) > 1),
	gone AS (DELETE FROM list_totals l USING many m
		WHERE l.authority_id = m.authority_id AND l.team_id = m.team_id
		RETURNING l.authority_id, l.team_id, l.n),
	summed AS (INSERT INTO list_totals (authority_id, team_id, n)
		SELECT authority_id, team_id, sum(n) FROM gone
		GROUP BY authority_id, team_id)
	SELECT count(*) FROM gone
$$;

-- From scratch: after a restore, or after discussions were written with the
-- triggers off (bench/bench.py's reference transaction). An operator's
-- repair, like stats_rebuild().
CREATE FUNCTION list_totals_rebuild() RETURNS void
LANGUAGE sql AS $$
	-- Writers wait: one committing between the DELETE's snapshot and the
	-- count's would be counted twice.
	LOCK TABLE discussions, cases IN SHARE MODE;
	DELETE FROM list_totals;
	INSERT INTO list_totals (authority_id, team_id, n)
	SELECT authority_id, team_id, count(*) FROM list_totals_scopes
	GROUP BY authority_id, team_id;
$$;

-- The scopes whose kept total differs from a count of their discussions:
-- 0 when all agree (docs/operations.md, the restore drill).
CREATE FUNCTION list_totals_verify() RETURNS bigint
LANGUAGE sql STABLE AS $$
	WITH kept AS (SELECT authority_id, team_id, sum(n) AS n
		FROM list_totals GROUP BY authority_id, team_id),
	counted AS (SELECT authority_id, team_id, count(*) AS n
		FROM list_totals_scopes GROUP BY authority_id, team_id)
	SELECT count(*) FROM kept k FULL JOIN counted c
	    USING (authority_id, team_id)
	WHERE coalesce(k.n, 0) <> coalesce(c.n, 0)
$$;

DO $$ BEGIN PERFORM list_totals_rebuild(); END $$;
