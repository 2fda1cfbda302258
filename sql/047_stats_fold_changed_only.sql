-- The fold writes only the facts that changed (issue 16; issue 12
-- section 3). sql/045 deleted every stored fact of each folded case and
-- inserted the case's source rows again, so a fold cost grew with the
-- case's discussions, not with what changed: a booking on a case with 40
-- discussions rewrote 40 facts, 160 agency and 160 organisation facts to
-- add one meeting (bench/run.sh soaks, which book on 997 case references;
-- docs/performance.md, session 12). Now, per fact table, chg is the source
-- rows with no identical stored row, old the stored rows with no identical
-- source row: only those are deleted, inserted and added to the summaries
-- (chg - old), and since identical rows cancel in src - old, the summaries
-- get the same delta as before. All sub-statements share one snapshot, so
-- chg compares with the facts as they were before old deleted any; the
-- rest of sql/045's reasoning (a changed fact re-inserted meets only its
-- deleted self) holds unchanged.

CREATE OR REPLACE FUNCTION stats_refresh_cases(p_cases bigint[]) RETURNS void
LANGUAGE plpgsql
-- JIT spends seconds compiling these wide expressions: more than it saves.
SET jit = off AS $$
BEGIN
	WITH src AS MATERIALIZED (SELECT * FROM stats_fact_source
	    WHERE case_id = ANY (p_cases)),
	chg AS MATERIALIZED (SELECT s.* FROM src s WHERE NOT EXISTS (
	    SELECT 1 FROM stats_fact f WHERE f.discussion_id = s.discussion_id
	    AND ROW(f.*) IS NOT DISTINCT FROM ROW(s.*))),
	old AS (DELETE FROM stats_fact f WHERE f.case_id = ANY (p_cases)
	    AND NOT EXISTS (SELECT 1 FROM src s WHERE f.discussion_id = s.discussion_id
	    AND ROW(s.*) IS NOT DISTINCT FROM ROW(f.*))
	    RETURNING f.*),
	ins AS (INSERT INTO stats_fact SELECT * FROM chg)
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
	    FROM chg
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, -n, -scheduled,
	    -held, -cancelled, -multi_agency, -partial, -single_agency,
	    -child_views_recorded, -signed_off,
	    -flagged, -reviewed_agree, -practice_concern,
	    -unreviewed_flags, -cd_sum, -cd_0, -cd_1, -cd_2, -cd_3,
	    -cd_4_5, -cd_6_10, -cd_11p, -s47, -icpc_held,
	    -icpc_not_required, -icpc_awaiting, -ic_sum, -ic_0_10,
	    -ic_11_15, -ic_16_20, -ic_21_30, -ic_31p
	    FROM old) x
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

	WITH src AS MATERIALIZED (SELECT * FROM stats_agency_fact_source
	    WHERE case_id = ANY (p_cases)),
	chg AS MATERIALIZED (SELECT s.* FROM src s WHERE NOT EXISTS (
	    SELECT 1 FROM stats_agency_fact f WHERE f.discussion_id = s.discussion_id
	    AND f.agency = s.agency
	    AND ROW(f.*) IS NOT DISTINCT FROM ROW(s.*))),
	old AS (DELETE FROM stats_agency_fact f WHERE f.case_id = ANY (p_cases)
	    AND NOT EXISTS (SELECT 1 FROM src s WHERE f.discussion_id = s.discussion_id
	    AND f.agency = s.agency
	    AND ROW(s.*) IS NOT DISTINCT FROM ROW(f.*))
	    RETURNING f.*),
	ins AS (INSERT INTO stats_agency_fact SELECT * FROM chg)
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
	    FROM chg
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, agency, -n, -invited,
	    -present, -contributed, -missing, -missing_contributed,
	    -added_on_day
	    FROM old) x
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

	WITH src AS MATERIALIZED (SELECT * FROM stats_org_fact_source
	    WHERE case_id = ANY (p_cases)),
	chg AS MATERIALIZED (SELECT s.* FROM src s WHERE NOT EXISTS (
	    SELECT 1 FROM stats_org_fact f WHERE f.discussion_id = s.discussion_id
	    AND f.agency = s.agency
	    AND f.organisation = s.organisation
	    AND ROW(f.*) IS NOT DISTINCT FROM ROW(s.*))),
	old AS (DELETE FROM stats_org_fact f WHERE f.case_id = ANY (p_cases)
	    AND NOT EXISTS (SELECT 1 FROM src s WHERE f.discussion_id = s.discussion_id
	    AND f.agency = s.agency
	    AND f.organisation = s.organisation
	    AND ROW(s.*) IS NOT DISTINCT FROM ROW(f.*))
	    RETURNING f.*),
	ins AS (INSERT INTO stats_org_fact SELECT * FROM chg),
	brief AS (INSERT INTO stats_org_brief AS t (authority_id, grain, day, team_id, agency, organisation, n,
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
		    FROM chg
		    UNION ALL
		    SELECT authority_id, team_id, day, agency, organisation, -n, -invited,
		    -present, -contributed, -people, -accepted, -declined,
		    -tentative, -no_reply
		    FROM old) x
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
		    no_reply = t.no_reply + EXCLUDED.no_reply)
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
	    FROM chg
	    UNION ALL
	    SELECT authority_id, team_id, day, kind, format, agency, organisation,
	    -n, -invited, -present, -contributed, -people, -accepted,
	    -declined, -tentative, -no_reply
	    FROM old) x
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
END $$;
