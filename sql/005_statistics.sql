-- Statistics: England and Wales bank holidays and working days, managers'
-- reviews of flagged discussions and sign-off, and the pre-aggregated
-- figures behind /api/v1/stats. Every measure is defined in
-- docs/statistics.md.
--
-- How the figures stay exact and fast: each discussion has one row of
-- facts (stats_fact: 0/1 flags and working-day counts) and one row per
-- agency and per organisation involved (stats_agency_fact, stats_org_fact),
-- computed by the *_source views from the live tables. Summary tables hold
-- the sums of those facts per (authority, team, day, kind, format) at two
-- grains: 'd' (one calendar day) and 'm' (a month, keyed by its first day).
-- A query for any date range reads whole months at grain 'm' and the
-- partial months at its ends at grain 'd'. Whenever anything a fact depends
-- on changes (a discussion, its participants or outcomes, its case's
-- conference, a review, a sign-off, a bank holiday), the case is queued in
-- stats_dirty, and at commit a deferred trigger recomputes that case's facts
-- and adds the difference to the summaries, in one transaction with the
-- change. stats_verify() recomputes everything from the live tables and
-- counts the summary rows that differ; the tests require 0.

-- ---- bank holidays and working days ----------------------------------------

-- England and Wales bank holidays, editable by an admin (the API's
-- /api/v1/bank-holidays). Keep the shipped rows in step with the built-in
-- list in server/workdays.c (tests/unit/test_workdays.c compares them).
CREATE TABLE bank_holidays (
	day		date PRIMARY KEY,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- 2015-2030, with substitute days for weekend dates, 2020's early May
-- holiday moved to Friday 8 May (VE day), 2022's spring holiday moved to
-- Thursday 2 June with the Platinum Jubilee on Friday 3 June and the state
-- funeral of Queen Elizabeth II on Monday 19 September, and the coronation
-- of King Charles III on Monday 8 May 2023.
INSERT INTO bank_holidays (day, name) VALUES
	('2015-01-01', 'New Year''s Day'),
	('2015-04-03', 'Good Friday'),
	('2015-04-06', 'Easter Monday'),
	('2015-05-04', 'Early May bank holiday'),
	('2015-05-25', 'Spring bank holiday'),
	('2015-08-31', 'Summer bank holiday'),
	('2015-12-25', 'Christmas Day'),
	('2015-12-28', 'Boxing Day (substitute day)'),
	('2016-01-01', 'New Year''s Day'),
	('2016-03-25', 'Good Friday'),
	('2016-03-28', 'Easter Monday'),
	('2016-05-02', 'Early May bank holiday'),
	('2016-05-30', 'Spring bank holiday'),
	('2016-08-29', 'Summer bank holiday'),
	('2016-12-26', 'Boxing Day'),
	('2016-12-27', 'Christmas Day (substitute day)'),
	('2017-01-02', 'New Year''s Day (substitute day)'),
	('2017-04-14', 'Good Friday'),
	('2017-04-17', 'Easter Monday'),
	('2017-05-01', 'Early May bank holiday'),
	('2017-05-29', 'Spring bank holiday'),
	('2017-08-28', 'Summer bank holiday'),
	('2017-12-25', 'Christmas Day'),
	('2017-12-26', 'Boxing Day'),
	('2018-01-01', 'New Year''s Day'),
	('2018-03-30', 'Good Friday'),
	('2018-04-02', 'Easter Monday'),
	('2018-05-07', 'Early May bank holiday'),
	('2018-05-28', 'Spring bank holiday'),
	('2018-08-27', 'Summer bank holiday'),
	('2018-12-25', 'Christmas Day'),
	('2018-12-26', 'Boxing Day'),
	('2019-01-01', 'New Year''s Day'),
	('2019-04-19', 'Good Friday'),
	('2019-04-22', 'Easter Monday'),
	('2019-05-06', 'Early May bank holiday'),
	('2019-05-27', 'Spring bank holiday'),
	('2019-08-26', 'Summer bank holiday'),
	('2019-12-25', 'Christmas Day'),
	('2019-12-26', 'Boxing Day'),
	('2020-01-01', 'New Year''s Day'),
	('2020-04-10', 'Good Friday'),
	('2020-04-13', 'Easter Monday'),
	('2020-05-08', 'Early May bank holiday (VE day)'),
	('2020-05-25', 'Spring bank holiday'),
	('2020-08-31', 'Summer bank holiday'),
	('2020-12-25', 'Christmas Day'),
	('2020-12-28', 'Boxing Day (substitute day)'),
	('2021-01-01', 'New Year''s Day'),
	('2021-04-02', 'Good Friday'),
	('2021-04-05', 'Easter Monday'),
	('2021-05-03', 'Early May bank holiday'),
	('2021-05-31', 'Spring bank holiday'),
	('2021-08-30', 'Summer bank holiday'),
	('2021-12-27', 'Christmas Day (substitute day)'),
	('2021-12-28', 'Boxing Day (substitute day)'),
	('2022-01-03', 'New Year''s Day (substitute day)'),
	('2022-04-15', 'Good Friday'),
	('2022-04-18', 'Easter Monday'),
	('2022-05-02', 'Early May bank holiday'),
	('2022-06-02', 'Spring bank holiday'),
	('2022-06-03', 'Platinum Jubilee bank holiday'),
	('2022-08-29', 'Summer bank holiday'),
	('2022-09-19', 'Bank Holiday for the State Funeral of Queen Elizabeth II'),
	('2022-12-26', 'Boxing Day'),
	('2022-12-27', 'Christmas Day (substitute day)'),
	('2023-01-02', 'New Year''s Day (substitute day)'),
	('2023-04-07', 'Good Friday'),
	('2023-04-10', 'Easter Monday'),
	('2023-05-01', 'Early May bank holiday'),
	('2023-05-08', 'Bank holiday for the coronation of King Charles III'),
	('2023-05-29', 'Spring bank holiday'),
	('2023-08-28', 'Summer bank holiday'),
	('2023-12-25', 'Christmas Day'),
	('2023-12-26', 'Boxing Day'),
	('2024-01-01', 'New Year''s Day'),
	('2024-03-29', 'Good Friday'),
	('2024-04-01', 'Easter Monday'),
	('2024-05-06', 'Early May bank holiday'),
	('2024-05-27', 'Spring bank holiday'),
	('2024-08-26', 'Summer bank holiday'),
	('2024-12-25', 'Christmas Day'),
	('2024-12-26', 'Boxing Day'),
	('2025-01-01', 'New Year''s Day'),
	('2025-04-18', 'Good Friday'),
	('2025-04-21', 'Easter Monday'),
	('2025-05-05', 'Early May bank holiday'),
	('2025-05-26', 'Spring bank holiday'),
	('2025-08-25', 'Summer bank holiday'),
	('2025-12-25', 'Christmas Day'),
	('2025-12-26', 'Boxing Day'),
	('2026-01-01', 'New Year''s Day'),
	('2026-04-03', 'Good Friday'),
	('2026-04-06', 'Easter Monday'),
	('2026-05-04', 'Early May bank holiday'),
	('2026-05-25', 'Spring bank holiday'),
	('2026-08-31', 'Summer bank holiday'),
	('2026-12-25', 'Christmas Day'),
	('2026-12-28', 'Boxing Day (substitute day)'),
	('2027-01-01', 'New Year''s Day'),
	('2027-03-26', 'Good Friday'),
	('2027-03-29', 'Easter Monday'),
	('2027-05-03', 'Early May bank holiday'),
	('2027-05-31', 'Spring bank holiday'),
	('2027-08-30', 'Summer bank holiday'),
	('2027-12-27', 'Christmas Day (substitute day)'),
	('2027-12-28', 'Boxing Day (substitute day)'),
	('2028-01-03', 'New Year''s Day (substitute day)'),
	('2028-04-14', 'Good Friday'),
	('2028-04-17', 'Easter Monday'),
	('2028-05-01', 'Early May bank holiday'),
	('2028-05-29', 'Spring bank holiday'),
	('2028-08-28', 'Summer bank holiday'),
	('2028-12-25', 'Christmas Day'),
	('2028-12-26', 'Boxing Day'),
	('2029-01-01', 'New Year''s Day'),
	('2029-03-30', 'Good Friday'),
	('2029-04-02', 'Easter Monday'),
	('2029-05-07', 'Early May bank holiday'),
	('2029-05-28', 'Spring bank holiday'),
	('2029-08-27', 'Summer bank holiday'),
	('2029-12-25', 'Christmas Day'),
	('2029-12-26', 'Boxing Day'),
	('2030-01-01', 'New Year''s Day'),
	('2030-04-19', 'Good Friday'),
	('2030-04-22', 'Easter Monday'),
	('2030-05-06', 'Early May bank holiday'),
	('2030-05-27', 'Spring bank holiday'),
	('2030-08-26', 'Summer bank holiday'),
	('2030-12-25', 'Christmas Day'),
	('2030-12-26', 'Boxing Day');

-- Weekdays from Monday 0001-01-01 (proleptic Gregorian) up to, not
-- including, x: a closed form, so a span costs nothing per day.
CREATE FUNCTION stats_weekdays_before(x date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT 5 * ((x - date '0001-01-01') / 7) +
	    least((x - date '0001-01-01') % 7, 5)
$$;

-- Working days from d_from to d_to: the Mondays to Fridays d with
-- d_from < d <= d_to that are not bank holidays. The same day is 0, Friday
-- to the next Monday is 1; negative when d_to is before d_from. The same
-- rule as workdays_between() in server/workdays.c.
CREATE FUNCTION working_days_between(d_from date, d_to date) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN d_to >= d_from THEN 1 ELSE -1 END * (
	    stats_weekdays_before(greatest(d_from, d_to) + 1) -
	    stats_weekdays_before(least(d_from, d_to) + 1) -
	    (SELECT count(*)::integer FROM bank_holidays b
	     WHERE b.day > least(d_from, d_to)
	       AND b.day <= greatest(d_from, d_to)
	       AND extract(isodow FROM b.day) < 6))
$$;

-- The first day of d's month.
CREATE FUNCTION stats_month(d date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT date_trunc('month', d::timestamp)::date
$$;

-- ---- management oversight --------------------------------------------------

-- A manager's review of a flagged (single-agency or partial) discussion: the
-- current decision; every review, including replaced ones, is in audit_log.
CREATE TABLE discussion_reviews (
	discussion_id	bigint PRIMARY KEY REFERENCES discussions(id),
	decision	text NOT NULL
			CHECK (decision IN ('agree', 'practice_concern')),
	note		text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
	reviewed_by	bigint NOT NULL REFERENCES users(id),
	reviewed_at	timestamptz NOT NULL DEFAULT now()
);

-- A manager's sign-off of a held discussion's record.
CREATE TABLE discussion_signoffs (
	discussion_id	bigint PRIMARY KEY REFERENCES discussions(id),
	signed_off_by	bigint NOT NULL REFERENCES users(id),
	signed_off_at	timestamptz NOT NULL DEFAULT now(),
	note		text NOT NULL DEFAULT '' CHECK (length(note) <= 2000)
);

-- ---- facts: what each discussion contributes -------------------------------

-- One row per discussion. Flags are 0/1 so that a summary is a plain sum.
-- day: the London calendar date of starts_at (what from/to filter on).
-- cd: working days from the concern to the discussion (held ones; a concern
-- recorded after the discussion counts as 0). s47: a held discussion with a
-- Section 47 outcome that is the case's first such discussion (the one that
-- started the enquiry). Its conference is the case's icpc_date when that is
-- on or after the discussion; ic: working days from discussion to conference.
CREATE VIEW stats_fact_source AS
SELECT x.discussion_id, x.case_id, x.authority_id, x.team_id, x.day,
	x.kind, x.format, x.concern_day, x.icpc_date,
	1 AS n,
	(x.status = 'scheduled')::integer AS scheduled,
	x.held::integer AS held,
	(x.status = 'cancelled')::integer AS cancelled,
	(x.held AND x.cls = 'multi_agency')::integer AS multi_agency,
	(x.held AND x.cls = 'partial')::integer AS partial,
	(x.held AND x.cls = 'single_agency')::integer AS single_agency,
	(x.held AND 'social_care' = ANY (x.missing))::integer
	    AS missing_social_care,
	(x.held AND 'police' = ANY (x.missing))::integer AS missing_police,
	(x.held AND 'health' = ANY (x.missing))::integer AS missing_health,
	(x.held AND 'social_care' = ANY (x.contributed))::integer
	    AS contributed_social_care,
	(x.held AND 'police' = ANY (x.contributed))::integer
	    AS contributed_police,
	(x.held AND 'health' = ANY (x.contributed))::integer
	    AS contributed_health,
	(x.held AND x.views)::integer AS child_views_recorded,
	(x.held AND x.signed)::integer AS signed_off,
	x.flagged::integer AS flagged,
	(x.flagged AND x.review = 'agree')::integer AS reviewed_agree,
	(x.flagged AND x.review = 'practice_concern')::integer
	    AS practice_concern,
	(x.flagged AND x.review = '')::integer AS unreviewed_flags,
	CASE WHEN x.held THEN x.cd ELSE 0 END AS cd_sum,
	(x.held AND x.cd = 0)::integer AS cd_0,
	(x.held AND x.cd = 1)::integer AS cd_1,
	(x.held AND x.cd = 2)::integer AS cd_2,
	(x.held AND x.cd = 3)::integer AS cd_3,
	(x.held AND x.cd BETWEEN 4 AND 5)::integer AS cd_4_5,
	(x.held AND x.cd BETWEEN 6 AND 10)::integer AS cd_6_10,
	(x.held AND x.cd > 10)::integer AS cd_11p,
	x.s47::integer AS s47,
	(x.s47 AND x.icpc = 'held')::integer AS icpc_held,
	(x.s47 AND x.icpc = 'not_required')::integer AS icpc_not_required,
	(x.s47 AND x.icpc = 'awaiting')::integer AS icpc_awaiting,
	CASE WHEN x.s47 AND x.icpc = 'held' THEN x.ic ELSE 0 END AS ic_sum,
	(x.s47 AND x.icpc = 'held' AND x.ic <= 10)::integer AS ic_0_10,
	(x.s47 AND x.icpc = 'held' AND x.ic BETWEEN 11 AND 15)::integer
	    AS ic_11_15,
	(x.s47 AND x.icpc = 'held' AND x.ic BETWEEN 16 AND 20)::integer
	    AS ic_16_20,
	(x.s47 AND x.icpc = 'held' AND x.ic BETWEEN 21 AND 30)::integer
	    AS ic_21_30,
	(x.s47 AND x.icpc = 'held' AND x.ic > 30)::integer AS ic_31p
FROM (
	SELECT d.id AS discussion_id, d.case_id, d.authority_id, d.team_id,
	    l.day, d.kind, d.format, l.concern_day, d.status,
	    d.status = 'held' AS held,
	    coalesce(d.actual_classification, '') AS cls,
	    coalesce(d.actual_missing, '{}') AS missing,
	    coalesce(d.actual_contributed, '{}') AS contributed,
	    coalesce(d.child_views_recorded, false) AS views,
	    so.discussion_id IS NOT NULL AS signed,
	    d.status = 'held' AND coalesce(d.actual_classification, '') IN
		('single_agency', 'partial') AS flagged,
	    coalesce(rv.decision, '') AS review,
	    k.cd, k.s47,
	    CASE WHEN NOT k.s47 THEN NULL
		WHEN c.icpc_date >= l.day THEN 'held'
		WHEN c.icpc_not_required THEN 'not_required'
		ELSE 'awaiting' END AS icpc,
	    CASE WHEN k.s47 AND c.icpc_date >= l.day THEN c.icpc_date
		END AS icpc_date,
	    k2.ic
	FROM discussions d
	JOIN cases c ON c.id = d.case_id
	CROSS JOIN LATERAL (SELECT
	    (d.starts_at AT TIME ZONE 'Europe/London')::date AS day,
	    (d.concern_received_at AT TIME ZONE 'Europe/London')::date
		AS concern_day) l
	-- OFFSET 0 keeps these per-row subqueries whole, so that cd, s47 and
	-- ic are computed once per row rather than once per column that uses
	-- them, while a condition on case_id still reaches discussions.
	CROSS JOIN LATERAL (SELECT
	    greatest(0, working_days_between(l.concern_day, l.day)) AS cd,
	    d.status = 'held' AND EXISTS (
		SELECT 1 FROM outcomes o WHERE o.discussion_id = d.id
		AND o.decision IN ('s47_joint', 's47_single_agency'))
	    AND NOT EXISTS (
		SELECT 1 FROM discussions d2
		JOIN outcomes o2 ON o2.discussion_id = d2.id
		WHERE d2.case_id = d.case_id AND d2.status = 'held'
		AND o2.decision IN ('s47_joint', 's47_single_agency')
		AND (d2.starts_at, d2.id) < (d.starts_at, d.id)) AS s47
	    OFFSET 0) k
	CROSS JOIN LATERAL (SELECT CASE WHEN k.s47 AND c.icpc_date >= l.day
	    THEN working_days_between(l.day, c.icpc_date) END AS ic
	    OFFSET 0) k2
	LEFT JOIN discussion_reviews rv ON rv.discussion_id = d.id
	LEFT JOIN discussion_signoffs so ON so.discussion_id = d.id
) x;

-- One row per held discussion and agency that was invited or is a missing
-- statutory agency. present: someone from the agency attended;
-- contributed: sent information without anyone attending; missing: listed
-- in the discussion's actual_missing.
CREATE VIEW stats_agency_fact_source AS
SELECT d.id AS discussion_id, d.case_id, d.authority_id, d.team_id,
	(d.starts_at AT TIME ZONE 'Europe/London')::date AS day, d.kind,
	d.format, a.agency,
	1 AS n,
	max(a.invited) AS invited,
	max(a.present) AS present,
	(max(a.contributed) = 1 AND max(a.present) = 0)::integer
	    AS contributed,
	max(a.missing) AS missing
FROM discussions d
CROSS JOIN LATERAL (
	SELECT p.agency, 1 AS invited,
	    coalesce(p.attendance = 'attended', false)::integer AS present,
	    coalesce(p.attendance = 'contributed', false)::integer
		AS contributed,
	    0 AS missing
	FROM participants p
	WHERE p.discussion_id = d.id AND p.removed_at IS NULL
	UNION ALL
	SELECT m.agency, 0, 0, 0, 1
	FROM unnest(coalesce(d.actual_missing, '{}')) AS m(agency)
) a
WHERE d.status = 'held'
GROUP BY d.id, d.case_id, d.authority_id, d.team_id, d.starts_at, d.kind,
	d.format, a.agency;

-- One row per discussion and organisation with someone invited. For held
-- discussions: invited/present/contributed as for agencies. For any
-- status: people invited by email and their replies (iTIP PARTSTAT).
CREATE VIEW stats_org_fact_source AS
SELECT d.id AS discussion_id, d.case_id, d.authority_id, d.team_id,
	(d.starts_at AT TIME ZONE 'Europe/London')::date AS day, d.kind,
	d.format, p.agency, p.organisation,
	1 AS n,
	(d.status = 'held')::integer AS invited,
	(d.status = 'held' AND bool_or(coalesce(p.attendance = 'attended',
	    false)))::integer AS present,
	(d.status = 'held' AND bool_or(coalesce(p.attendance = 'contributed',
	    false)) AND NOT bool_or(coalesce(p.attendance = 'attended',
	    false)))::integer AS contributed,
	(count(*) FILTER (WHERE p.email <> ''))::integer AS people,
	(count(*) FILTER (WHERE p.email <> '' AND p.partstat = 'ACCEPTED'))
	    ::integer AS accepted,
	(count(*) FILTER (WHERE p.email <> '' AND p.partstat = 'DECLINED'))
	    ::integer AS declined,
	(count(*) FILTER (WHERE p.email <> '' AND p.partstat = 'TENTATIVE'))
	    ::integer AS tentative,
	(count(*) FILTER (WHERE p.email <> '' AND
	    p.partstat = 'NEEDS-ACTION'))::integer AS no_reply
FROM discussions d
JOIN participants p ON p.discussion_id = d.id AND p.removed_at IS NULL
GROUP BY d.id, d.case_id, d.authority_id, d.team_id, d.starts_at, d.kind,
	d.format, d.status, p.agency, p.organisation;

-- The stored facts: the views' rows as last computed.
CREATE TABLE stats_fact AS SELECT * FROM stats_fact_source WITH NO DATA;
ALTER TABLE stats_fact ADD PRIMARY KEY (discussion_id);
CREATE INDEX stats_fact_case ON stats_fact (case_id);
CREATE INDEX stats_fact_authority_day ON stats_fact (authority_id, day);
CREATE INDEX stats_fact_awaiting ON stats_fact (authority_id, day)
	WHERE icpc_awaiting = 1;

CREATE TABLE stats_agency_fact AS
	SELECT * FROM stats_agency_fact_source WITH NO DATA;
ALTER TABLE stats_agency_fact ADD PRIMARY KEY (discussion_id, agency);
CREATE INDEX stats_agency_fact_case ON stats_agency_fact (case_id);

CREATE TABLE stats_org_fact AS SELECT * FROM stats_org_fact_source WITH NO DATA;
ALTER TABLE stats_org_fact ADD PRIMARY KEY (discussion_id, agency,
	organisation);
CREATE INDEX stats_org_fact_case ON stats_org_fact (case_id);

-- ---- summaries -------------------------------------------------------------

-- Per (authority, grain, day, team, kind, format): sums of stats_fact.
CREATE TABLE stats_summary (
	authority_id	bigint NOT NULL,
	grain		"char" NOT NULL CHECK (grain IN ('d', 'm')),
	day		date NOT NULL,
	team_id		bigint NOT NULL,
	kind		text NOT NULL,
	format		text NOT NULL,
	n	bigint NOT NULL DEFAULT 0,
	scheduled	bigint NOT NULL DEFAULT 0,
	held	bigint NOT NULL DEFAULT 0,
	cancelled	bigint NOT NULL DEFAULT 0,
	multi_agency	bigint NOT NULL DEFAULT 0,
	partial	bigint NOT NULL DEFAULT 0,
	single_agency	bigint NOT NULL DEFAULT 0,
	missing_social_care	bigint NOT NULL DEFAULT 0,
	missing_police	bigint NOT NULL DEFAULT 0,
	missing_health	bigint NOT NULL DEFAULT 0,
	contributed_social_care	bigint NOT NULL DEFAULT 0,
	contributed_police	bigint NOT NULL DEFAULT 0,
	contributed_health	bigint NOT NULL DEFAULT 0,
	child_views_recorded	bigint NOT NULL DEFAULT 0,
	signed_off	bigint NOT NULL DEFAULT 0,
	flagged	bigint NOT NULL DEFAULT 0,
	reviewed_agree	bigint NOT NULL DEFAULT 0,
	practice_concern	bigint NOT NULL DEFAULT 0,
	unreviewed_flags	bigint NOT NULL DEFAULT 0,
	cd_sum	bigint NOT NULL DEFAULT 0,
	cd_0	bigint NOT NULL DEFAULT 0,
	cd_1	bigint NOT NULL DEFAULT 0,
	cd_2	bigint NOT NULL DEFAULT 0,
	cd_3	bigint NOT NULL DEFAULT 0,
	cd_4_5	bigint NOT NULL DEFAULT 0,
	cd_6_10	bigint NOT NULL DEFAULT 0,
	cd_11p	bigint NOT NULL DEFAULT 0,
	s47	bigint NOT NULL DEFAULT 0,
	icpc_held	bigint NOT NULL DEFAULT 0,
	icpc_not_required	bigint NOT NULL DEFAULT 0,
	icpc_awaiting	bigint NOT NULL DEFAULT 0,
	ic_sum	bigint NOT NULL DEFAULT 0,
	ic_0_10	bigint NOT NULL DEFAULT 0,
	ic_11_15	bigint NOT NULL DEFAULT 0,
	ic_16_20	bigint NOT NULL DEFAULT 0,
	ic_21_30	bigint NOT NULL DEFAULT 0,
	ic_31p	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (authority_id, grain, day, team_id, kind, format)
);

-- The same per agency: sums of stats_agency_fact.
CREATE TABLE stats_agency_summary (
	authority_id	bigint NOT NULL,
	grain		"char" NOT NULL CHECK (grain IN ('d', 'm')),
	day		date NOT NULL,
	team_id		bigint NOT NULL,
	kind		text NOT NULL,
	format		text NOT NULL,
	agency	text NOT NULL,
	n	bigint NOT NULL DEFAULT 0,
	invited	bigint NOT NULL DEFAULT 0,
	present	bigint NOT NULL DEFAULT 0,
	contributed	bigint NOT NULL DEFAULT 0,
	missing	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (authority_id, grain, day, team_id, kind, format, agency)
);

-- The same per organisation: sums of stats_org_fact.
CREATE TABLE stats_org_summary (
	authority_id	bigint NOT NULL,
	grain		"char" NOT NULL CHECK (grain IN ('d', 'm')),
	day		date NOT NULL,
	team_id		bigint NOT NULL,
	kind		text NOT NULL,
	format		text NOT NULL,
	agency	text NOT NULL,
	organisation	text NOT NULL,
	n	bigint NOT NULL DEFAULT 0,
	invited	bigint NOT NULL DEFAULT 0,
	present	bigint NOT NULL DEFAULT 0,
	contributed	bigint NOT NULL DEFAULT 0,
	people	bigint NOT NULL DEFAULT 0,
	accepted	bigint NOT NULL DEFAULT 0,
	declined	bigint NOT NULL DEFAULT 0,
	tentative	bigint NOT NULL DEFAULT 0,
	no_reply	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (authority_id, grain, day, team_id, kind, format, agency, organisation)
);

-- The organisation sums again without kind and format, for the usual
-- report that filters on neither: a sixth of the rows to add up.
CREATE TABLE stats_org_brief (
	authority_id	bigint NOT NULL,
	grain		"char" NOT NULL CHECK (grain IN ('d', 'm')),
	day		date NOT NULL,
	team_id		bigint NOT NULL,
	agency		text NOT NULL,
	organisation	text NOT NULL,
	n	bigint NOT NULL DEFAULT 0,
	invited	bigint NOT NULL DEFAULT 0,
	present	bigint NOT NULL DEFAULT 0,
	contributed	bigint NOT NULL DEFAULT 0,
	people	bigint NOT NULL DEFAULT 0,
	accepted	bigint NOT NULL DEFAULT 0,
	declined	bigint NOT NULL DEFAULT 0,
	tentative	bigint NOT NULL DEFAULT 0,
	no_reply	bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (authority_id, grain, day, team_id, agency, organisation)
);

-- ---- keeping the summaries exact -------------------------------------------

-- Recompute case p_case's facts and add the difference to the summaries.
-- Summary rows are changed in key order, so concurrent refreshes queue
-- rather than deadlock; a refresh that changes nothing writes nothing.
CREATE FUNCTION stats_refresh_case(p_case bigint) RETURNS void
LANGUAGE plpgsql
-- JIT spends seconds compiling these wide expressions: more than it saves.
SET jit = off AS $$
BEGIN
	INSERT INTO stats_summary AS t (authority_id, grain, day, team_id, kind, format, n, scheduled,
	    held, cancelled, multi_agency, partial, single_agency,
	    missing_social_care, missing_police, missing_health,
	    contributed_social_care, contributed_police,
	    contributed_health, child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p)
	SELECT x.authority_id, g.grain,
	    CASE g.grain WHEN 'd' THEN x.day ELSE stats_month(x.day) END,
	    x.team_id, x.kind, x.format, sum(x.n), sum(x.scheduled),
	    sum(x.held), sum(x.cancelled), sum(x.multi_agency),
	    sum(x.partial), sum(x.single_agency),
	    sum(x.missing_social_care), sum(x.missing_police),
	    sum(x.missing_health), sum(x.contributed_social_care),
	    sum(x.contributed_police), sum(x.contributed_health),
	    sum(x.child_views_recorded), sum(x.signed_off), sum(x.flagged),
	    sum(x.reviewed_agree), sum(x.practice_concern),
	    sum(x.unreviewed_flags), sum(x.cd_sum), sum(x.cd_0),
	    sum(x.cd_1), sum(x.cd_2), sum(x.cd_3), sum(x.cd_4_5),
	    sum(x.cd_6_10), sum(x.cd_11p), sum(x.s47), sum(x.icpc_held),
	    sum(x.icpc_not_required), sum(x.icpc_awaiting), sum(x.ic_sum),
	    sum(x.ic_0_10), sum(x.ic_11_15), sum(x.ic_16_20),
	    sum(x.ic_21_30), sum(x.ic_31p)
	FROM (SELECT authority_id, team_id, day, kind, format, n, scheduled, held,
	    cancelled, multi_agency, partial, single_agency,
	    missing_social_care, missing_police, missing_health,
	    contributed_social_care, contributed_police,
	    contributed_health, child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p
	    FROM stats_fact_source WHERE case_id = p_case
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, -n, -scheduled,
	    -held, -cancelled, -multi_agency, -partial, -single_agency,
	    -missing_social_care, -missing_police, -missing_health,
	    -contributed_social_care, -contributed_police,
	    -contributed_health, -child_views_recorded, -signed_off,
	    -flagged, -reviewed_agree, -practice_concern,
	    -unreviewed_flags, -cd_sum, -cd_0, -cd_1, -cd_2, -cd_3,
	    -cd_4_5, -cd_6_10, -cd_11p, -s47, -icpc_held,
	    -icpc_not_required, -icpc_awaiting, -ic_sum, -ic_0_10,
	    -ic_11_15, -ic_16_20, -ic_21_30, -ic_31p
	    FROM stats_fact WHERE case_id = p_case) x
	CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) g(grain)
	GROUP BY 1, 2, 3, 4, 5, 6
	HAVING sum(x.n) <> 0 OR sum(x.scheduled) <> 0 OR sum(x.held) <> 0
	    OR sum(x.cancelled) <> 0 OR sum(x.multi_agency) <> 0
	    OR sum(x.partial) <> 0 OR sum(x.single_agency) <> 0
	    OR sum(x.missing_social_care) <> 0
	    OR sum(x.missing_police) <> 0 OR sum(x.missing_health) <> 0
	    OR sum(x.contributed_social_care) <> 0
	    OR sum(x.contributed_police) <> 0
	    OR sum(x.contributed_health) <> 0
	    OR sum(x.child_views_recorded) <> 0 OR sum(x.signed_off) <> 0
	    OR sum(x.flagged) <> 0 OR sum(x.reviewed_agree) <> 0
	    OR sum(x.practice_concern) <> 0
	    OR sum(x.unreviewed_flags) <> 0 OR sum(x.cd_sum) <> 0
	    OR sum(x.cd_0) <> 0 OR sum(x.cd_1) <> 0 OR sum(x.cd_2) <> 0
	    OR sum(x.cd_3) <> 0 OR sum(x.cd_4_5) <> 0
	    OR sum(x.cd_6_10) <> 0 OR sum(x.cd_11p) <> 0
	    OR sum(x.s47) <> 0 OR sum(x.icpc_held) <> 0
	    OR sum(x.icpc_not_required) <> 0 OR sum(x.icpc_awaiting) <> 0
	    OR sum(x.ic_sum) <> 0 OR sum(x.ic_0_10) <> 0
	    OR sum(x.ic_11_15) <> 0 OR sum(x.ic_16_20) <> 0
	    OR sum(x.ic_21_30) <> 0 OR sum(x.ic_31p) <> 0
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (authority_id, grain, day, team_id, kind, format) DO UPDATE SET
	    n = t.n + EXCLUDED.n,
	    scheduled = t.scheduled + EXCLUDED.scheduled,
	    held = t.held + EXCLUDED.held,
	    cancelled = t.cancelled + EXCLUDED.cancelled,
	    multi_agency = t.multi_agency + EXCLUDED.multi_agency,
	    partial = t.partial + EXCLUDED.partial,
	    single_agency = t.single_agency + EXCLUDED.single_agency,
	    missing_social_care = t.missing_social_care + EXCLUDED.missing_social_care,
	    missing_police = t.missing_police + EXCLUDED.missing_police,
	    missing_health = t.missing_health + EXCLUDED.missing_health,
	    contributed_social_care = t.contributed_social_care + EXCLUDED.contributed_social_care,
	    contributed_police = t.contributed_police + EXCLUDED.contributed_police,
	    contributed_health = t.contributed_health + EXCLUDED.contributed_health,
	    child_views_recorded = t.child_views_recorded + EXCLUDED.child_views_recorded,
	    signed_off = t.signed_off + EXCLUDED.signed_off,
	    flagged = t.flagged + EXCLUDED.flagged,
	    reviewed_agree = t.reviewed_agree + EXCLUDED.reviewed_agree,
	    practice_concern = t.practice_concern + EXCLUDED.practice_concern,
	    unreviewed_flags = t.unreviewed_flags + EXCLUDED.unreviewed_flags,
	    cd_sum = t.cd_sum + EXCLUDED.cd_sum,
	    cd_0 = t.cd_0 + EXCLUDED.cd_0,
	    cd_1 = t.cd_1 + EXCLUDED.cd_1,
	    cd_2 = t.cd_2 + EXCLUDED.cd_2,
	    cd_3 = t.cd_3 + EXCLUDED.cd_3,
	    cd_4_5 = t.cd_4_5 + EXCLUDED.cd_4_5,
	    cd_6_10 = t.cd_6_10 + EXCLUDED.cd_6_10,
	    cd_11p = t.cd_11p + EXCLUDED.cd_11p,
	    s47 = t.s47 + EXCLUDED.s47,
	    icpc_held = t.icpc_held + EXCLUDED.icpc_held,
	    icpc_not_required = t.icpc_not_required + EXCLUDED.icpc_not_required,
	    icpc_awaiting = t.icpc_awaiting + EXCLUDED.icpc_awaiting,
	    ic_sum = t.ic_sum + EXCLUDED.ic_sum,
	    ic_0_10 = t.ic_0_10 + EXCLUDED.ic_0_10,
	    ic_11_15 = t.ic_11_15 + EXCLUDED.ic_11_15,
	    ic_16_20 = t.ic_16_20 + EXCLUDED.ic_16_20,
	    ic_21_30 = t.ic_21_30 + EXCLUDED.ic_21_30,
	    ic_31p = t.ic_31p + EXCLUDED.ic_31p;
	DELETE FROM stats_fact WHERE case_id = p_case;
	INSERT INTO stats_fact SELECT * FROM stats_fact_source WHERE case_id = p_case;

	INSERT INTO stats_agency_summary AS t (authority_id, grain, day, team_id, kind, format, agency, n,
	    invited, present, contributed, missing)
	SELECT x.authority_id, g.grain,
	    CASE g.grain WHEN 'd' THEN x.day ELSE stats_month(x.day) END,
	    x.team_id, x.kind, x.format, x.agency, sum(x.n),
	    sum(x.invited), sum(x.present), sum(x.contributed),
	    sum(x.missing)
	FROM (SELECT authority_id, team_id, day, kind, format, agency, n, invited,
	    present, contributed, missing
	    FROM stats_agency_fact_source WHERE case_id = p_case
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, agency, -n, -invited,
	    -present, -contributed, -missing
	    FROM stats_agency_fact WHERE case_id = p_case) x
	CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) g(grain)
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	HAVING sum(x.n) <> 0 OR sum(x.invited) <> 0 OR sum(x.present) <> 0
	    OR sum(x.contributed) <> 0 OR sum(x.missing) <> 0
	ORDER BY 1, 2, 3, 4, 5, 6, 7
	ON CONFLICT (authority_id, grain, day, team_id, kind, format, agency) DO UPDATE SET
	    n = t.n + EXCLUDED.n,
	    invited = t.invited + EXCLUDED.invited,
	    present = t.present + EXCLUDED.present,
	    contributed = t.contributed + EXCLUDED.contributed,
	    missing = t.missing + EXCLUDED.missing;
	DELETE FROM stats_agency_fact WHERE case_id = p_case;
	INSERT INTO stats_agency_fact SELECT * FROM stats_agency_fact_source WHERE case_id = p_case;

	INSERT INTO stats_org_summary AS t (authority_id, grain, day, team_id, kind, format, agency,
	    organisation, n, invited, present, contributed, people,
	    accepted, declined, tentative, no_reply)
	SELECT x.authority_id, g.grain,
	    CASE g.grain WHEN 'd' THEN x.day ELSE stats_month(x.day) END,
	    x.team_id, x.kind, x.format, x.agency, x.organisation,
	    sum(x.n), sum(x.invited), sum(x.present), sum(x.contributed),
	    sum(x.people), sum(x.accepted), sum(x.declined),
	    sum(x.tentative), sum(x.no_reply)
	FROM (SELECT authority_id, team_id, day, kind, format, agency, organisation,
	    n, invited, present, contributed, people, accepted, declined,
	    tentative, no_reply
	    FROM stats_org_fact_source WHERE case_id = p_case
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, agency, organisation,
	    -n, -invited, -present, -contributed, -people, -accepted,
	    -declined, -tentative, -no_reply
	    FROM stats_org_fact WHERE case_id = p_case) x
	CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) g(grain)
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
	HAVING sum(x.n) <> 0 OR sum(x.invited) <> 0 OR sum(x.present) <> 0
	    OR sum(x.contributed) <> 0 OR sum(x.people) <> 0
	    OR sum(x.accepted) <> 0 OR sum(x.declined) <> 0
	    OR sum(x.tentative) <> 0 OR sum(x.no_reply) <> 0
	ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
	ON CONFLICT (authority_id, grain, day, team_id, kind, format, agency, organisation) DO UPDATE SET
	    n = t.n + EXCLUDED.n,
	    invited = t.invited + EXCLUDED.invited,
	    present = t.present + EXCLUDED.present,
	    contributed = t.contributed + EXCLUDED.contributed,
	    people = t.people + EXCLUDED.people,
	    accepted = t.accepted + EXCLUDED.accepted,
	    declined = t.declined + EXCLUDED.declined,
	    tentative = t.tentative + EXCLUDED.tentative,
	    no_reply = t.no_reply + EXCLUDED.no_reply;
	INSERT INTO stats_org_brief AS t (authority_id, grain, day, team_id, agency, organisation, n,
	    invited, present, contributed, people, accepted, declined,
	    tentative, no_reply)
	SELECT x.authority_id, g.grain,
	    CASE g.grain WHEN 'd' THEN x.day ELSE stats_month(x.day) END,
	    x.team_id, x.agency, x.organisation, sum(x.n), sum(x.invited),
	    sum(x.present), sum(x.contributed), sum(x.people),
	    sum(x.accepted), sum(x.declined), sum(x.tentative),
	    sum(x.no_reply)
	FROM (SELECT authority_id, team_id, day, agency, organisation, n, invited,
	    present, contributed, people, accepted, declined, tentative,
	    no_reply
	    FROM stats_org_fact_source WHERE case_id = p_case
	    UNION ALL
	    SELECT authority_id, team_id, day, agency, organisation, -n, -invited,
	    -present, -contributed, -people, -accepted, -declined,
	    -tentative, -no_reply
	    FROM stats_org_fact WHERE case_id = p_case) x
	CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) g(grain)
	GROUP BY 1, 2, 3, 4, 5, 6
	HAVING sum(x.n) <> 0
	    OR sum(x.invited) <> 0
	    OR sum(x.present) <> 0
	    OR sum(x.contributed) <> 0
	    OR sum(x.people) <> 0
	    OR sum(x.accepted) <> 0
	    OR sum(x.declined) <> 0
	    OR sum(x.tentative) <> 0
	    OR sum(x.no_reply) <> 0
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (authority_id, grain, day, team_id, agency, organisation) DO UPDATE SET
	    n = t.n + EXCLUDED.n,
	    invited = t.invited + EXCLUDED.invited,
	    present = t.present + EXCLUDED.present,
	    contributed = t.contributed + EXCLUDED.contributed,
	    people = t.people + EXCLUDED.people,
	    accepted = t.accepted + EXCLUDED.accepted,
	    declined = t.declined + EXCLUDED.declined,
	    tentative = t.tentative + EXCLUDED.tentative,
	    no_reply = t.no_reply + EXCLUDED.no_reply;
	DELETE FROM stats_org_fact WHERE case_id = p_case;
	INSERT INTO stats_org_fact SELECT * FROM stats_org_fact_source WHERE case_id = p_case;

END $$;

-- Cases whose facts must be recomputed before this transaction commits.
CREATE TABLE stats_dirty (
	case_id		bigint PRIMARY KEY
);

CREATE FUNCTION stats_mark_case(p_case bigint) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO stats_dirty (case_id) SELECT p_case
	WHERE p_case IS NOT NULL ON CONFLICT DO NOTHING
$$;

-- Fires at commit, once per case marked in the transaction.
CREATE FUNCTION stats_dirty_run() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM stats_refresh_case(NEW.case_id);
	DELETE FROM stats_dirty WHERE case_id = NEW.case_id;
	RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER stats_dirty_run AFTER INSERT ON stats_dirty
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION stats_dirty_run();

CREATE FUNCTION stats_mark_discussion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'DELETE' THEN
		PERFORM stats_mark_case(NEW.case_id);
	END IF;
	IF TG_OP <> 'INSERT' THEN
		PERFORM stats_mark_case(OLD.case_id);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER stats_mark AFTER INSERT OR UPDATE OR DELETE ON discussions
	FOR EACH ROW EXECUTE FUNCTION stats_mark_discussion();

-- Rows that carry a discussion_id: participants, outcomes, reviews and
-- sign-offs.
CREATE FUNCTION stats_mark_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'DELETE' THEN
		PERFORM stats_mark_case((SELECT case_id FROM discussions
		    WHERE id = NEW.discussion_id));
	END IF;
	IF TG_OP <> 'INSERT' THEN
		PERFORM stats_mark_case((SELECT case_id FROM discussions
		    WHERE id = OLD.discussion_id));
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER stats_mark AFTER INSERT OR UPDATE OR DELETE ON participants
	FOR EACH ROW EXECUTE FUNCTION stats_mark_child();
CREATE TRIGGER stats_mark AFTER INSERT OR UPDATE OR DELETE ON outcomes
	FOR EACH ROW EXECUTE FUNCTION stats_mark_child();
CREATE TRIGGER stats_mark AFTER INSERT OR UPDATE OR DELETE
	ON discussion_reviews
	FOR EACH ROW EXECUTE FUNCTION stats_mark_child();
CREATE TRIGGER stats_mark AFTER INSERT OR UPDATE OR DELETE
	ON discussion_signoffs
	FOR EACH ROW EXECUTE FUNCTION stats_mark_child();

CREATE FUNCTION stats_mark_case_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM stats_mark_case(NEW.id);
	RETURN NULL;
END $$;

CREATE TRIGGER stats_mark AFTER UPDATE OF icpc_date, icpc_not_required
	ON cases FOR EACH ROW EXECUTE FUNCTION stats_mark_case_row();

-- A bank holiday added, moved or removed changes the working-day counts of
-- the discussions whose spans cross it.
CREATE FUNCTION stats_mark_holidays(changed date[]) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO stats_dirty (case_id)
	SELECT DISTINCT f.case_id FROM stats_fact f
	WHERE EXISTS (SELECT 1 FROM unnest(changed) h(day)
	    WHERE (h.day > f.concern_day AND h.day <= f.day)
	       OR (h.day > f.day AND h.day <= f.icpc_date))
	ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION stats_holidays_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM stats_mark_holidays(ARRAY(SELECT day FROM new_days));
	RETURN NULL;
END $$;

CREATE FUNCTION stats_holidays_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM stats_mark_holidays(ARRAY(SELECT day FROM old_days));
	RETURN NULL;
END $$;

CREATE FUNCTION stats_holidays_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM stats_mark_holidays(ARRAY(SELECT day FROM new_days
	    UNION SELECT day FROM old_days));
	RETURN NULL;
END $$;

CREATE TRIGGER stats_holidays_inserted AFTER INSERT ON bank_holidays
	REFERENCING NEW TABLE AS new_days
	FOR EACH STATEMENT EXECUTE FUNCTION stats_holidays_inserted();
CREATE TRIGGER stats_holidays_deleted AFTER DELETE ON bank_holidays
	REFERENCING OLD TABLE AS old_days
	FOR EACH STATEMENT EXECUTE FUNCTION stats_holidays_deleted();
CREATE TRIGGER stats_holidays_updated AFTER UPDATE ON bank_holidays
	REFERENCING OLD TABLE AS old_days NEW TABLE AS new_days
	FOR EACH STATEMENT EXECUTE FUNCTION stats_holidays_updated();

-- Recompute every fact and summary from the live tables: after a bulk load
-- made with triggers off (the benchmark), or to repair. Takes the tables'
-- locks for the rest of the transaction. Rows go in in key order, which
-- keeps index builds cheap and a report's rows on few pages.
CREATE FUNCTION stats_rebuild() RETURNS void
LANGUAGE plpgsql
-- JIT spends seconds compiling these wide expressions: more than it saves.
SET jit = off AS $$
BEGIN
	TRUNCATE stats_fact, stats_agency_fact, stats_org_fact, stats_summary,
	    stats_agency_summary, stats_org_summary, stats_org_brief;
	INSERT INTO stats_fact SELECT * FROM stats_fact_source;
	INSERT INTO stats_agency_fact SELECT * FROM stats_agency_fact_source;
	INSERT INTO stats_org_fact SELECT * FROM stats_org_fact_source;
	INSERT INTO stats_summary (authority_id, grain, day, team_id, kind, format, n, scheduled,
	    held, cancelled, multi_agency, partial, single_agency,
	    missing_social_care, missing_police, missing_health,
	    contributed_social_care, contributed_police,
	    contributed_health, child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p)
	SELECT authority_id, 'd', day, team_id, kind, format, sum(n),
	    sum(scheduled), sum(held), sum(cancelled), sum(multi_agency),
	    sum(partial), sum(single_agency), sum(missing_social_care),
	    sum(missing_police), sum(missing_health),
	    sum(contributed_social_care), sum(contributed_police),
	    sum(contributed_health), sum(child_views_recorded),
	    sum(signed_off), sum(flagged), sum(reviewed_agree),
	    sum(practice_concern), sum(unreviewed_flags), sum(cd_sum),
	    sum(cd_0), sum(cd_1), sum(cd_2), sum(cd_3), sum(cd_4_5),
	    sum(cd_6_10), sum(cd_11p), sum(s47), sum(icpc_held),
	    sum(icpc_not_required), sum(icpc_awaiting), sum(ic_sum),
	    sum(ic_0_10), sum(ic_11_15), sum(ic_16_20), sum(ic_21_30),
	    sum(ic_31p)
	FROM stats_fact
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6;

	INSERT INTO stats_agency_summary (authority_id, grain, day, team_id, kind, format, agency, n,
	    invited, present, contributed, missing)
	SELECT authority_id, 'd', day, team_id, kind, format, agency, sum(n),
	    sum(invited), sum(present), sum(contributed), sum(missing)
	FROM stats_agency_fact
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	ORDER BY 1, 2, 3, 4, 5, 6, 7;

	INSERT INTO stats_org_summary (authority_id, grain, day, team_id, kind, format, agency,
	    organisation, n, invited, present, contributed, people,
	    accepted, declined, tentative, no_reply)
	SELECT authority_id, 'd', day, team_id, kind, format, agency,
	    organisation, sum(n), sum(invited), sum(present),
	    sum(contributed), sum(people), sum(accepted), sum(declined),
	    sum(tentative), sum(no_reply)
	FROM stats_org_fact
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
	ORDER BY 1, 2, 3, 4, 5, 6, 7, 8;

	INSERT INTO stats_summary (authority_id, grain, day, team_id, kind, format, n, scheduled,
	    held, cancelled, multi_agency, partial, single_agency,
	    missing_social_care, missing_police, missing_health,
	    contributed_social_care, contributed_police,
	    contributed_health, child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p)
	SELECT authority_id, 'm', stats_month(day), team_id, kind, format,
	    sum(n), sum(scheduled), sum(held), sum(cancelled),
	    sum(multi_agency), sum(partial), sum(single_agency),
	    sum(missing_social_care), sum(missing_police),
	    sum(missing_health), sum(contributed_social_care),
	    sum(contributed_police), sum(contributed_health),
	    sum(child_views_recorded), sum(signed_off), sum(flagged),
	    sum(reviewed_agree), sum(practice_concern),
	    sum(unreviewed_flags), sum(cd_sum), sum(cd_0), sum(cd_1),
	    sum(cd_2), sum(cd_3), sum(cd_4_5), sum(cd_6_10), sum(cd_11p),
	    sum(s47), sum(icpc_held), sum(icpc_not_required),
	    sum(icpc_awaiting), sum(ic_sum), sum(ic_0_10), sum(ic_11_15),
	    sum(ic_16_20), sum(ic_21_30), sum(ic_31p)
	FROM stats_fact
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6;

	INSERT INTO stats_agency_summary (authority_id, grain, day, team_id, kind, format, agency, n,
	    invited, present, contributed, missing)
	SELECT authority_id, 'm', stats_month(day), team_id, kind, format,
	    agency, sum(n), sum(invited), sum(present), sum(contributed),
	    sum(missing)
	FROM stats_agency_fact
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	ORDER BY 1, 2, 3, 4, 5, 6, 7;

	INSERT INTO stats_org_summary (authority_id, grain, day, team_id, kind, format, agency,
	    organisation, n, invited, present, contributed, people,
	    accepted, declined, tentative, no_reply)
	SELECT authority_id, 'm', stats_month(day), team_id, kind, format,
	    agency, organisation, sum(n), sum(invited), sum(present),
	    sum(contributed), sum(people), sum(accepted), sum(declined),
	    sum(tentative), sum(no_reply)
	FROM stats_org_fact
	GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
	ORDER BY 1, 2, 3, 4, 5, 6, 7, 8;

	INSERT INTO stats_org_brief (authority_id, grain, day, team_id, agency, organisation, n,
	    invited, present, contributed, people, accepted, declined,
	    tentative, no_reply)
	SELECT authority_id, 'd', day, team_id, agency, organisation, sum(n),
	    sum(invited), sum(present), sum(contributed), sum(people),
	    sum(accepted), sum(declined), sum(tentative), sum(no_reply)
	FROM stats_org_fact
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6;

	INSERT INTO stats_org_brief (authority_id, grain, day, team_id, agency, organisation, n,
	    invited, present, contributed, people, accepted, declined,
	    tentative, no_reply)
	SELECT authority_id, 'm', stats_month(day), team_id, agency,
	    organisation, sum(n), sum(invited), sum(present),
	    sum(contributed), sum(people), sum(accepted), sum(declined),
	    sum(tentative), sum(no_reply)
	FROM stats_org_fact
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6;

END $$;

-- Summary rows that differ from a fresh computation over the live tables
-- (rows whose sums are all zero count as absent). 0 when exact.
CREATE FUNCTION stats_verify() RETURNS bigint
LANGUAGE sql STABLE
-- JIT spends seconds compiling these wide expressions: more than it saves.
SET jit = off AS $$
	SELECT
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(missing_social_care)::bigint, sum(missing_police)::bigint, sum(missing_health)::bigint, sum(contributed_social_care)::bigint, sum(contributed_police)::bigint, sum(contributed_health)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(missing_social_care)::bigint, sum(missing_police)::bigint, sum(missing_health)::bigint, sum(contributed_social_care)::bigint, sum(contributed_police)::bigint, sum(contributed_health)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6) EXCEPT ALL (SELECT authority_id, grain, day, team_id, kind, format, n, scheduled, held, cancelled, multi_agency, partial, single_agency, missing_social_care, missing_police, missing_health, contributed_social_care, contributed_police, contributed_health, child_views_recorded, signed_off, flagged, reviewed_agree, practice_concern, unreviewed_flags, cd_sum, cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47, icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10, ic_11_15, ic_16_20, ic_21_30, ic_31p FROM stats_summary WHERE n <> 0 OR scheduled <> 0 OR held <> 0 OR cancelled <> 0 OR multi_agency <> 0 OR partial <> 0 OR single_agency <> 0 OR missing_social_care <> 0 OR missing_police <> 0 OR missing_health <> 0 OR contributed_social_care <> 0 OR contributed_police <> 0 OR contributed_health <> 0 OR child_views_recorded <> 0 OR signed_off <> 0 OR flagged <> 0 OR reviewed_agree <> 0 OR practice_concern <> 0 OR unreviewed_flags <> 0 OR cd_sum <> 0 OR cd_0 <> 0 OR cd_1 <> 0 OR cd_2 <> 0 OR cd_3 <> 0 OR cd_4_5 <> 0 OR cd_6_10 <> 0 OR cd_11p <> 0 OR s47 <> 0 OR icpc_held <> 0 OR icpc_not_required <> 0 OR icpc_awaiting <> 0 OR ic_sum <> 0 OR ic_0_10 <> 0 OR ic_11_15 <> 0 OR ic_16_20 <> 0 OR ic_21_30 <> 0 OR ic_31p <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, kind, format, n, scheduled, held, cancelled, multi_agency, partial, single_agency, missing_social_care, missing_police, missing_health, contributed_social_care, contributed_police, contributed_health, child_views_recorded, signed_off, flagged, reviewed_agree, practice_concern, unreviewed_flags, cd_sum, cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47, icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10, ic_11_15, ic_16_20, ic_21_30, ic_31p FROM stats_summary WHERE n <> 0 OR scheduled <> 0 OR held <> 0 OR cancelled <> 0 OR multi_agency <> 0 OR partial <> 0 OR single_agency <> 0 OR missing_social_care <> 0 OR missing_police <> 0 OR missing_health <> 0 OR contributed_social_care <> 0 OR contributed_police <> 0 OR contributed_health <> 0 OR child_views_recorded <> 0 OR signed_off <> 0 OR flagged <> 0 OR reviewed_agree <> 0 OR practice_concern <> 0 OR unreviewed_flags <> 0 OR cd_sum <> 0 OR cd_0 <> 0 OR cd_1 <> 0 OR cd_2 <> 0 OR cd_3 <> 0 OR cd_4_5 <> 0 OR cd_6_10 <> 0 OR cd_11p <> 0 OR s47 <> 0 OR icpc_held <> 0 OR icpc_not_required <> 0 OR icpc_awaiting <> 0 OR ic_sum <> 0 OR ic_0_10 <> 0 OR ic_11_15 <> 0 OR ic_16_20 <> 0 OR ic_21_30 <> 0 OR ic_31p <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(missing_social_care)::bigint, sum(missing_police)::bigint, sum(missing_health)::bigint, sum(contributed_social_care)::bigint, sum(contributed_police)::bigint, sum(contributed_health)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(missing_social_care)::bigint, sum(missing_police)::bigint, sum(missing_health)::bigint, sum(contributed_social_care)::bigint, sum(contributed_police)::bigint, sum(contributed_health)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6))) x) +
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7) EXCEPT ALL (SELECT authority_id, grain, day, team_id, kind, format, agency, n, invited, present, contributed, missing FROM stats_agency_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR missing <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, kind, format, agency, n, invited, present, contributed, missing FROM stats_agency_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR missing <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7))) x) +
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) EXCEPT ALL (SELECT authority_id, grain, day, team_id, kind, format, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, kind, format, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8))) x) +
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6) EXCEPT ALL (SELECT authority_id, grain, day, team_id, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_brief WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_brief WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6))) x)
$$;

-- Existing discussions (a database upgraded to this version).
DO $$ BEGIN PERFORM stats_rebuild(); END $$;
