-- People added on the day in the statistics (issue 11: "People added on
-- the day need agency, organisation and role; they are marked as added on
-- the day and shown so in statistics").
--
-- participants.added_on_day (001) is set when attendance adds a person who
-- was not invited. The per-agency facts gain added_on_day: how many
-- participants (not removed) of that agency were added on the day to the
-- held discussion. Like every per-agency figure it is summed in
-- stats_agency_summary, at both grains; a report's total is the sum over
-- its agencies. stats_refresh_case, stats_rebuild and stats_verify are
-- redefined for the new column (otherwise as in 012).

CREATE OR REPLACE VIEW stats_agency_fact_source AS
SELECT d.id AS discussion_id, d.case_id, d.authority_id, d.team_id,
	(d.starts_at AT TIME ZONE 'Europe/London')::date AS day, d.kind,
	d.format, a.agency,
	1 AS n,
	max(a.invited) AS invited,
	max(a.present) AS present,
	(max(a.contributed) = 1 AND max(a.present) = 0)::integer
	    AS contributed,
	max(a.missing) AS missing,
	max(a.missing_contributed) AS missing_contributed,
	sum(a.added_on_day)::integer AS added_on_day
FROM discussions d
CROSS JOIN LATERAL (
	SELECT p.agency, 1 AS invited,
	    coalesce(p.attendance = 'attended', false)::integer AS present,
	    coalesce(p.attendance = 'contributed', false)::integer
		AS contributed,
	    0 AS missing, 0 AS missing_contributed,
	    p.added_on_day::integer AS added_on_day
	FROM participants p
	WHERE p.discussion_id = d.id AND p.removed_at IS NULL
	UNION ALL
	SELECT m.agency, 0, 0, 0, 1,
	    (m.agency = ANY (coalesce(d.actual_contributed, '{}')))::integer,
	    0
	FROM unnest(coalesce(d.actual_missing, '{}')) AS m(agency)
) a
WHERE d.status = 'held'
GROUP BY d.id, d.case_id, d.authority_id, d.team_id, d.starts_at, d.kind,
	d.format, a.agency;

ALTER TABLE stats_agency_fact ADD COLUMN added_on_day integer;
ALTER TABLE stats_agency_summary ADD COLUMN added_on_day bigint
	NOT NULL DEFAULT 0;

-- ---- keeping the summaries exact ---------------------------------------------

CREATE OR REPLACE FUNCTION stats_refresh_case(p_case bigint) RETURNS void
LANGUAGE plpgsql
-- JIT spends seconds compiling these wide expressions: more than it saves.
SET jit = off AS $$
BEGIN
	INSERT INTO stats_summary AS t (authority_id, grain, day, team_id, kind, format, n, scheduled,
	    held, cancelled, multi_agency, partial, single_agency,
	    child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p)
	SELECT x.authority_id, g.grain,
	    CASE g.grain WHEN 'd' THEN x.day ELSE stats_month(x.day) END,
	    x.team_id, x.kind, x.format, sum(x.n), sum(x.scheduled),
	    sum(x.held), sum(x.cancelled), sum(x.multi_agency),
	    sum(x.partial), sum(x.single_agency),
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
	    child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p
	    FROM stats_fact_source WHERE case_id = p_case
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, -n, -scheduled,
	    -held, -cancelled, -multi_agency, -partial, -single_agency,
	    -child_views_recorded, -signed_off,
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
	    invited, present, contributed, missing, missing_contributed,
	    added_on_day)
	SELECT x.authority_id, g.grain,
	    CASE g.grain WHEN 'd' THEN x.day ELSE stats_month(x.day) END,
	    x.team_id, x.kind, x.format, x.agency, sum(x.n),
	    sum(x.invited), sum(x.present), sum(x.contributed),
	    sum(x.missing), sum(x.missing_contributed), sum(x.added_on_day)
	FROM (SELECT authority_id, team_id, day, kind, format, agency, n, invited,
	    present, contributed, missing, missing_contributed, added_on_day
	    FROM stats_agency_fact_source WHERE case_id = p_case
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, agency, -n, -invited,
	    -present, -contributed, -missing, -missing_contributed,
	    -added_on_day
	    FROM stats_agency_fact WHERE case_id = p_case) x
	CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) g(grain)
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	HAVING sum(x.n) <> 0 OR sum(x.invited) <> 0 OR sum(x.present) <> 0
	    OR sum(x.contributed) <> 0 OR sum(x.missing) <> 0
	    OR sum(x.missing_contributed) <> 0 OR sum(x.added_on_day) <> 0
	ORDER BY 1, 2, 3, 4, 5, 6, 7
	ON CONFLICT (authority_id, grain, day, team_id, kind, format, agency) DO UPDATE SET
	    n = t.n + EXCLUDED.n,
	    invited = t.invited + EXCLUDED.invited,
	    present = t.present + EXCLUDED.present,
	    contributed = t.contributed + EXCLUDED.contributed,
	    missing = t.missing + EXCLUDED.missing,
	    missing_contributed = t.missing_contributed +
		EXCLUDED.missing_contributed,
	    added_on_day = t.added_on_day + EXCLUDED.added_on_day;
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

CREATE OR REPLACE FUNCTION stats_rebuild() RETURNS void
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
	    child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p)
	SELECT authority_id, 'd', day, team_id, kind, format, sum(n),
	    sum(scheduled), sum(held), sum(cancelled), sum(multi_agency),
	    sum(partial), sum(single_agency), sum(child_views_recorded),
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
	    invited, present, contributed, missing, missing_contributed,
	    added_on_day)
	SELECT authority_id, 'd', day, team_id, kind, format, agency, sum(n),
	    sum(invited), sum(present), sum(contributed), sum(missing),
	    sum(missing_contributed), sum(added_on_day)
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
	    child_views_recorded, signed_off, flagged,
	    reviewed_agree, practice_concern, unreviewed_flags, cd_sum,
	    cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47,
	    icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10,
	    ic_11_15, ic_16_20, ic_21_30, ic_31p)
	SELECT authority_id, 'm', stats_month(day), team_id, kind, format,
	    sum(n), sum(scheduled), sum(held), sum(cancelled),
	    sum(multi_agency), sum(partial), sum(single_agency),
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
	    invited, present, contributed, missing, missing_contributed,
	    added_on_day)
	SELECT authority_id, 'm', stats_month(day), team_id, kind, format,
	    agency, sum(n), sum(invited), sum(present), sum(contributed),
	    sum(missing), sum(missing_contributed), sum(added_on_day)
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
CREATE OR REPLACE FUNCTION stats_verify() RETURNS bigint
LANGUAGE sql STABLE
-- JIT spends seconds compiling these wide expressions: more than it saves.
SET jit = off AS $$
	SELECT
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6) EXCEPT ALL (SELECT authority_id, grain, day, team_id, kind, format, n, scheduled, held, cancelled, multi_agency, partial, single_agency, child_views_recorded, signed_off, flagged, reviewed_agree, practice_concern, unreviewed_flags, cd_sum, cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47, icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10, ic_11_15, ic_16_20, ic_21_30, ic_31p FROM stats_summary WHERE n <> 0 OR scheduled <> 0 OR held <> 0 OR cancelled <> 0 OR multi_agency <> 0 OR partial <> 0 OR single_agency <> 0 OR child_views_recorded <> 0 OR signed_off <> 0 OR flagged <> 0 OR reviewed_agree <> 0 OR practice_concern <> 0 OR unreviewed_flags <> 0 OR cd_sum <> 0 OR cd_0 <> 0 OR cd_1 <> 0 OR cd_2 <> 0 OR cd_3 <> 0 OR cd_4_5 <> 0 OR cd_6_10 <> 0 OR cd_11p <> 0 OR s47 <> 0 OR icpc_held <> 0 OR icpc_not_required <> 0 OR icpc_awaiting <> 0 OR ic_sum <> 0 OR ic_0_10 <> 0 OR ic_11_15 <> 0 OR ic_16_20 <> 0 OR ic_21_30 <> 0 OR ic_31p <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, kind, format, n, scheduled, held, cancelled, multi_agency, partial, single_agency, child_views_recorded, signed_off, flagged, reviewed_agree, practice_concern, unreviewed_flags, cd_sum, cd_0, cd_1, cd_2, cd_3, cd_4_5, cd_6_10, cd_11p, s47, icpc_held, icpc_not_required, icpc_awaiting, ic_sum, ic_0_10, ic_11_15, ic_16_20, ic_21_30, ic_31p FROM stats_summary WHERE n <> 0 OR scheduled <> 0 OR held <> 0 OR cancelled <> 0 OR multi_agency <> 0 OR partial <> 0 OR single_agency <> 0 OR child_views_recorded <> 0 OR signed_off <> 0 OR flagged <> 0 OR reviewed_agree <> 0 OR practice_concern <> 0 OR unreviewed_flags <> 0 OR cd_sum <> 0 OR cd_0 <> 0 OR cd_1 <> 0 OR cd_2 <> 0 OR cd_3 <> 0 OR cd_4_5 <> 0 OR cd_6_10 <> 0 OR cd_11p <> 0 OR s47 <> 0 OR icpc_held <> 0 OR icpc_not_required <> 0 OR icpc_awaiting <> 0 OR ic_sum <> 0 OR ic_0_10 <> 0 OR ic_11_15 <> 0 OR ic_16_20 <> 0 OR ic_21_30 <> 0 OR ic_31p <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, sum(n)::bigint, sum(scheduled)::bigint, sum(held)::bigint, sum(cancelled)::bigint, sum(multi_agency)::bigint, sum(partial)::bigint, sum(single_agency)::bigint, sum(child_views_recorded)::bigint, sum(signed_off)::bigint, sum(flagged)::bigint, sum(reviewed_agree)::bigint, sum(practice_concern)::bigint, sum(unreviewed_flags)::bigint, sum(cd_sum)::bigint, sum(cd_0)::bigint, sum(cd_1)::bigint, sum(cd_2)::bigint, sum(cd_3)::bigint, sum(cd_4_5)::bigint, sum(cd_6_10)::bigint, sum(cd_11p)::bigint, sum(s47)::bigint, sum(icpc_held)::bigint, sum(icpc_not_required)::bigint, sum(icpc_awaiting)::bigint, sum(ic_sum)::bigint, sum(ic_0_10)::bigint, sum(ic_11_15)::bigint, sum(ic_16_20)::bigint, sum(ic_21_30)::bigint, sum(ic_31p)::bigint FROM stats_fact_source GROUP BY 1, 2, 3, 4, 5, 6))) x) +
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint, sum(missing_contributed)::bigint, sum(added_on_day)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint, sum(missing_contributed)::bigint, sum(added_on_day)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7) EXCEPT ALL (SELECT authority_id, grain, day, team_id, kind, format, agency, n, invited, present, contributed, missing, missing_contributed, added_on_day FROM stats_agency_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR missing <> 0 OR missing_contributed <> 0 OR added_on_day <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, kind, format, agency, n, invited, present, contributed, missing, missing_contributed, added_on_day FROM stats_agency_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR missing <> 0 OR missing_contributed <> 0 OR added_on_day <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint, sum(missing_contributed)::bigint, sum(added_on_day)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(missing)::bigint, sum(missing_contributed)::bigint, sum(added_on_day)::bigint FROM stats_agency_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7))) x) +
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) EXCEPT ALL (SELECT authority_id, grain, day, team_id, kind, format, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, kind, format, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_summary WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, kind, format, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6, 7, 8))) x) +
		(SELECT count(*) FROM (((SELECT authority_id, 'd'::"char", day, team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6) EXCEPT ALL (SELECT authority_id, grain, day, team_id, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_brief WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0)) UNION ALL ((SELECT authority_id, grain, day, team_id, agency, organisation, n, invited, present, contributed, people, accepted, declined, tentative, no_reply FROM stats_org_brief WHERE n <> 0 OR invited <> 0 OR present <> 0 OR contributed <> 0 OR people <> 0 OR accepted <> 0 OR declined <> 0 OR tentative <> 0 OR no_reply <> 0) EXCEPT ALL (SELECT authority_id, 'd'::"char", day, team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6 UNION ALL SELECT authority_id, 'm'::"char", stats_month(day), team_id, agency, organisation, sum(n)::bigint, sum(invited)::bigint, sum(present)::bigint, sum(contributed)::bigint, sum(people)::bigint, sum(accepted)::bigint, sum(declined)::bigint, sum(tentative)::bigint, sum(no_reply)::bigint FROM stats_org_fact_source GROUP BY 1, 2, 3, 4, 5, 6))) x)
$$;

-- The figures as they now are, from the live tables.
DO $$ BEGIN PERFORM stats_rebuild(); END $$;
