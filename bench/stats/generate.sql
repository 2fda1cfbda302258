-- bench/stats/generate.sql: a national-scale data set for the statistics
-- benchmark, made with generate_series in the database. psql variables:
--   discussions   strategy discussions (default run: 1000000)
--   authorities   local authorities (150); the first, code a001, holds
--                 big_share per mille of all discussions (the biggest
--                 council, the one the benchmark asks about)
--   big_share     per mille (40 = 4%; 1000 with authorities=1)
--   teams         teams per authority (6)
-- Every discussion has exactly four participants (4,000,000 for 1,000,000),
-- over five years (2021-2025). Triggers are off while loading (the
-- session_replication_role needs a superuser), so the statistics
-- summaries are built afterwards with stats_rebuild(), as after any bulk
-- load.
\set ON_ERROR_STOP on
SET synchronous_commit = off;

-- Small tables, triggers on (each authority gets its statutory agencies).
INSERT INTO authorities (code, name)
SELECT 'a' || lpad(i::text, 3, '0'), 'Authority ' || i
FROM generate_series(1, :authorities) i;
CREATE TEMP TABLE bench_auth AS
SELECT row_number() OVER (ORDER BY code) AS idx, id
FROM authorities WHERE code ~ '^a[0-9]{3}$';
INSERT INTO teams (authority_id, name)
SELECT a.id, 'Team ' || t FROM bench_auth a, generate_series(1, :teams) t;
CREATE TEMP TABLE bench_team AS
SELECT a.idx, row_number() OVER (PARTITION BY a.idx ORDER BY t.id) AS tno,
	t.id, t.authority_id
FROM teams t JOIN bench_auth a ON a.id = t.authority_id;
CREATE INDEX ON bench_team (idx, tno);
INSERT INTO users (authority_id, team_id, username, display_name, role,
	password_hash)
SELECT t.authority_id, t.id, 'bench-sw-' || t.idx || '-' || t.tno,
	'Worker ' || t.idx || '-' || t.tno, 'social_worker', 'x'
FROM bench_team t;
ANALYZE;

SET session_replication_role = replica;

-- Cases: about two discussions each, in an authority chosen with the skew.
CREATE TEMP TABLE bench_case AS
SELECT g AS n,
	CASE WHEN :authorities = 1 OR abs(hashint4(g)) % 1000 < :big_share
	    THEN 1 ELSE 2 + abs(hashint4(g + 7)) % greatest(:authorities - 1, 1)
	    END AS idx,
	1 + abs(hashint4(g + 13)) % :teams AS tno
FROM generate_series(1, (:discussions / 2)::integer) g;
INSERT INTO cases (id, authority_id, case_ref, team_id, allocated_worker_id)
SELECT 1000000 + c.n, t.authority_id, 'B' || c.n, t.id, u.id
FROM bench_case c JOIN bench_team t ON t.idx = c.idx AND t.tno = c.tno
JOIN users u ON u.team_id = t.id;
-- authority_id is set by a trigger, and triggers are off here.
INSERT INTO children (case_id, authority_id, name, date_of_birth)
SELECT 1000000 + c.n, t.authority_id, 'Bench Child ' || c.n,
	date '2012-01-01' + c.n % 3000
FROM bench_case c JOIN bench_team t ON t.idx = c.idx AND t.tno = c.tno;

-- Discussions: uniform over 2021-2025; 85% held, 7% cancelled, 8% still
-- scheduled; of the held, 60% multi-agency, 28% partial (health missing
-- more often than police), 12% single-agency.
CREATE TEMP TABLE bench_d AS
SELECT g AS n, 1000000 + 1 + (g - 1) % (:discussions / 2)::integer AS case_id,
	abs(hashint4(g)) AS h1, abs(hashint4(g + 101)) AS h2,
	abs(hashint4(g + 202)) AS h3
FROM generate_series(1, :discussions) g;
INSERT INTO discussions (id, authority_id, case_id, team_id, kind, reason,
	concern_received_at, starts_at, ends_at, format, status, uid,
	planned_classification, actual_classification, actual_missing,
	actual_contributed, child_views_recorded, held_recorded_at)
SELECT 1000000 + d.n, c.authority_id, d.case_id, c.team_id,
	CASE WHEN d.h1 % 3 = 0 THEN 'discussion' ELSE 'meeting' END,
	'Bench concern',
	x.starts - (d.h2 % 5760) * interval '1 minute',
	x.starts, x.starts + interval '1 hour',
	(ARRAY['in_person', 'video', 'phone'])[1 + d.h1 % 3],
	x.status, 'bench-' || d.n, 'multi_agency',
	CASE WHEN x.status = 'held' THEN x.cls END,
	CASE WHEN x.status <> 'held' THEN NULL
	    WHEN x.cls = 'multi_agency' THEN '{}'::text[]
	    WHEN x.cls = 'single_agency' THEN '{police,health}'::text[]
	    WHEN d.h3 % 10 < 7 THEN '{health}'::text[]
	    ELSE '{police}'::text[] END,
	CASE WHEN x.status = 'held' THEN '{}'::text[] END,
	CASE WHEN x.status = 'held' THEN d.h3 % 10 < 7 END,
	CASE WHEN x.status = 'held' THEN x.starts + interval '2 hours' END
FROM bench_d d
JOIN cases c ON c.id = d.case_id
CROSS JOIN LATERAL (SELECT
	timestamptz '2021-01-01 08:00+00' +
	    (d.h1 % 1826) * interval '1 day' + (d.h2 % 600) * interval '1 minute'
	    AS starts,
	CASE WHEN d.h2 % 100 < 85 THEN 'held' WHEN d.h2 % 100 < 92 THEN
	    'cancelled' ELSE 'scheduled' END AS status,
	CASE WHEN d.h3 % 100 < 60 THEN 'multi_agency' WHEN d.h3 % 100 < 88
	    THEN 'partial' ELSE 'single_agency' END AS cls) x;

-- Four participants each: social care, police, health and one more (a
-- school or a second officer). Attendance follows the classification.
INSERT INTO participants (discussion_id, name, email, agency, organisation,
	attendance, partstat)
SELECT d.id, 'Bench person', 'p' || d.id || '-' || k || '@bench.example',
	a.agency, a.org, a.att,
	(ARRAY['ACCEPTED', 'DECLINED', 'TENTATIVE', 'NEEDS-ACTION'])
	    [1 + abs(hashint4((d.id * 4 + k)::integer)) % 4]
FROM discussions d
CROSS JOIN generate_series(1, 4) k
CROSS JOIN LATERAL (SELECT
	(ARRAY['social_care', 'police', 'health',
	    CASE WHEN d.id % 2 = 0 THEN 'education' ELSE 'police' END])[k]
	    AS agency,
	(ARRAY['Children''s Services ' || d.authority_id,
	    'Police force ' || d.authority_id % 40,
	    'NHS Trust ' || d.authority_id % 200,
	    CASE WHEN d.id % 2 = 0 THEN 'School ' || d.id % 50
	    ELSE 'Police force ' || d.authority_id % 40 END])[k] AS org,
	CASE WHEN d.status <> 'held' THEN NULL
	    WHEN k = 2 AND 'police' = ANY (d.actual_missing) THEN 'absent'
	    WHEN k = 3 AND 'health' = ANY (d.actual_missing) THEN 'apologies'
	    WHEN k = 4 AND d.id % 2 = 1 THEN 'absent'
	    ELSE 'attended' END AS att) a
WHERE d.uid LIKE 'bench-%';

-- Section 47 outcomes for 55% of held discussions; conferences on most of
-- their cases, 5 to 30 days later; 10% "not required".
INSERT INTO outcomes (discussion_id, child_id, decision)
SELECT d.id, ch.id, CASE WHEN d.id % 5 = 0 THEN 's47_single_agency'
	ELSE 's47_joint' END
FROM discussions d JOIN children ch ON ch.case_id = d.case_id
WHERE d.uid LIKE 'bench-%' AND d.status = 'held'
	AND abs(hashint4(d.id::integer + 303)) % 100 < 55;
UPDATE cases c SET
	icpc_date = CASE WHEN c.id % 10 < 8 THEN (x.first AT TIME ZONE
	    'Europe/London')::date + (5 + c.id % 26)::integer END,
	icpc_not_required = c.id % 10 = 8
FROM (SELECT d.case_id, min(d.starts_at) AS first FROM discussions d
	JOIN outcomes o ON o.discussion_id = d.id
	WHERE d.uid LIKE 'bench-%' GROUP BY d.case_id) x
WHERE x.case_id = c.id;

-- Reviews of 60% of flagged discussions, sign-off of half the held ones.
INSERT INTO discussion_reviews (discussion_id, decision, note, reviewed_by)
SELECT d.id, CASE WHEN d.id % 4 = 0 THEN 'practice_concern' ELSE 'agree'
	END, 'Bench review', (SELECT min(id) FROM users)
FROM discussions d
WHERE d.uid LIKE 'bench-%' AND d.status = 'held'
	AND d.actual_classification <> 'multi_agency' AND d.id % 10 < 6;
INSERT INTO discussion_signoffs (discussion_id, signed_off_by)
SELECT d.id, (SELECT min(id) FROM users)
FROM discussions d
WHERE d.uid LIKE 'bench-%' AND d.status = 'held' AND d.id % 2 = 0;

SET session_replication_role = origin;
SELECT setval('discussions_id_seq', (SELECT max(id) FROM discussions));
SELECT setval('cases_id_seq', (SELECT max(id) FROM cases));
