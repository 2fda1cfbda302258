-- Which decisions start a Section 47 enquiry is vocabulary (the list
-- "section47" in server/vocab.c, copied into the vocabulary table by
-- vocab_sync), not literals in the statistics: the view that feeds
-- stats_fact reads the list. Same columns, same figures as 012's.

CREATE OR REPLACE VIEW stats_fact_source AS
SELECT x.discussion_id, x.case_id, x.authority_id, x.team_id, x.day,
	x.kind, x.format, x.concern_day, x.icpc_date,
	1 AS n,
	(x.status = 'scheduled')::integer AS scheduled,
	x.held::integer AS held,
	(x.status = 'cancelled')::integer AS cancelled,
	(x.held AND x.cls = 'multi_agency')::integer AS multi_agency,
	(x.held AND x.cls = 'partial')::integer AS partial,
	(x.held AND x.cls = 'single_agency')::integer AS single_agency,
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
		AND o.decision IN (SELECT s.code FROM vocabulary s
		    WHERE s.list = 'section47'))
	    AND NOT EXISTS (
		SELECT 1 FROM discussions d2
		JOIN outcomes o2 ON o2.discussion_id = d2.id
		WHERE d2.case_id = d.case_id AND d2.status = 'held'
		AND o2.decision IN (SELECT s.code FROM vocabulary s
		    WHERE s.list = 'section47')
		AND (d2.starts_at, d2.id) < (d.starts_at, d.id)) AS s47
	    OFFSET 0) k
	CROSS JOIN LATERAL (SELECT CASE WHEN k.s47 AND c.icpc_date >= l.day
	    THEN working_days_between(l.day, c.icpc_date) END AS ic
	    OFFSET 0) k2
	LEFT JOIN discussion_reviews rv ON rv.discussion_id = d.id
	LEFT JOIN discussion_signoffs so ON so.discussion_id = d.id
) x;
