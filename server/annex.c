/*
 * annex: the child-level returns from the Section 47 enquiries per child.
 * A child is identified by the council's case-system id (person_id), else
 * Convene's own ("CV-" and the row id): never a name.
 */
#include <stdio.h>
#include <stdlib.h>

#include "annex.h"
#include "db.h"
#include "meeting.h"
#include "workdays.h"

#define ID_LEN	24

/* Ofsted's Annex A list of Section 47 enquiries, in its order. */
const struct stats_csv_col annex_a_cols[] = {
	{ "Child ID", "child_id" },
	{ "Gender", "gender" },
	{ "Ethnicity", "ethnicity" },
	{ "Disability", "disability" },
	{ "Age at the start of the enquiry", "age" },
	{ "Strategy discussion date", "strategy_discussion_date" },
	{ "Initial child protection conference needed", "icpc_needed" },
	{ "Initial child protection conference date", "icpc_date" },
	{ "Working days from strategy discussion to conference",
	    "working_days" },
	{ "Team", "team" },
	{ "Allocated worker", "worker" },
	{ NULL, NULL }
};

/* The CIN census Section 47 module, with its item names. */
const struct stats_csv_col annex_cin_cols[] = {
	{ "LAchildID", "child_id" },
	{ "S47ActualStartDate", "strategy_discussion_date" },
	{ "InitialCPConferenceDate", "icpc_date" },
	{ "ICPCnotRequired", "icpc_not_required" },
	{ NULL, NULL }
};

#define ANNEX_SQL \
	"SELECT json_build_object('enquiries', coalesce(json_agg(x ORDER BY" \
	" x.strategy_discussion_date, x.id), '[]')) FROM (SELECT e.id," \
	" coalesce(ch.person_id, 'CV-' || ch.id) AS child_id," \
	" coalesce((SELECT v.words FROM vocabulary v WHERE v.list = 'sex'" \
	" AND v.code = ch.sex), '') AS gender," \
	" coalesce(ch.ethnicity, '') AS ethnicity," \
	" coalesce(ch.disability, '') AS disability," \
	" CASE WHEN ch.date_of_birth IS NULL THEN 'unborn' ELSE" \
	" extract(year FROM age(e.started_on, ch.date_of_birth))::integer" \
	" ::text END AS age," \
	" to_char(e.started_on, 'YYYY-MM-DD') AS strategy_discussion_date," \
	" CASE WHEN e.icpc_not_required THEN 'no' WHEN e.icpc_held_on IS" \
	" NOT NULL OR e.icpc_booked_for IS NOT NULL THEN 'yes' ELSE" \
	" 'not yet known' END AS icpc_needed," \
	" to_char(e.icpc_held_on, 'YYYY-MM-DD') AS icpc_date," \
	" CASE WHEN e.icpc_held_on IS NOT NULL THEN working_days_between(" \
	" e.started_on, e.icpc_held_on) END AS working_days," \
	" t.name AS team, coalesce(nullif(w.display_name, ''), w.username," \
	" '') AS worker, e.icpc_not_required" \
	" FROM s47_enquiries e JOIN children ch ON ch.id = e.child_id" \
	" JOIN cases c ON c.id = e.case_id JOIN teams t ON t.id = c.team_id" \
	" LEFT JOIN users w ON w.id = c.allocated_worker_id" \
	" WHERE e.authority_id = $1 AND e.started_on >= $2::date AND" \
	" e.started_on <= $3::date AND ($4::bigint IS NULL OR c.team_id = $4)" \
	" ORDER BY e.started_on, e.id LIMIT $5) x"

int
annex_enquiries(struct db *db, const struct stats_filter *f, json_t **out,
    struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN], lim[ID_LEN];
	char from[WORKDAYS_DATE_MAX], to[WORKDAYS_DATE_MAX];
	const char *p[5] = { aid, from, to, NULL, lim }, *v;
	struct db_res r;

	*out = NULL;
	snprintf(aid, sizeof(aid), "%ld", f->authority_id);
	snprintf(tid, sizeof(tid), "%ld", f->team_id);
	snprintf(lim, sizeof(lim), "%d", ANNEX_ROWS_MAX + 1);
	workdays_format(f->from_day, from, sizeof(from));
	workdays_format(f->to_day, to, sizeof(to));
	if (f->team_id != 0)
		p[3] = tid;
	if (db_exec(db, &r, ANNEX_SQL, 5, p) != 0)
		return verr_set(e, 500, NULL, "something went wrong");
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		*out = json_loads(v, 0, NULL);
	db_res_free(&r);
	if (*out == NULL)
		return verr_set(e, 500, NULL, "something went wrong");
	if (json_array_size(json_object_get(*out, "enquiries")) >
	    ANNEX_ROWS_MAX) {
		json_decref(*out);
		*out = NULL;
		return verr_set(e, 422, "from", "the list has more than %d "
		    "enquiries; narrow the dates or the team", ANNEX_ROWS_MAX);
	}
	return 0;
}

#define COUNTS_SQL \
	"SELECT count(*), count(e.icpc_held_on), count(*) FILTER (WHERE" \
	" e.icpc_held_on IS NOT NULL AND working_days_between(e.started_on," \
	" e.icpc_held_on) <= $7), count(*) FILTER (WHERE e.icpc_not_required)," \
	" count(*) FILTER (WHERE e.icpc_held_on IS NULL AND NOT" \
	" e.icpc_not_required), round(avg(working_days_between(e.started_on," \
	" e.icpc_held_on)) FILTER (WHERE e.icpc_held_on IS NOT NULL), 1)," \
	" count(*) FILTER (WHERE e.icpc_held_on IS NULL AND NOT" \
	" e.icpc_not_required AND working_days_between(e.started_on," \
	" (now() AT TIME ZONE 'Europe/London')::date) > $7)" \
	" FROM s47_enquiries e JOIN cases c ON c.id = e.case_id" \
	" JOIN discussions d ON d.id = e.discussion_id" \
	" WHERE e.authority_id = $1 AND e.started_on >= $2::date AND" \
	" e.started_on <= $3::date AND ($4::bigint IS NULL OR c.team_id = $4)" \
	" AND ($5::text IS NULL OR d.kind = $5) AND ($6::text IS NULL OR" \
	" d.format = $6)"

json_t *
annex_counts(struct db *db, const struct stats_filter *f)
{
	char aid[ID_LEN], tid[ID_LEN], tgt[ID_LEN];
	char from[WORKDAYS_DATE_MAX], to[WORKDAYS_DATE_MAX];
	const char *p[7] = { aid, from, to, NULL, f->kind[0] ? f->kind : NULL,
		f->format[0] ? f->format : NULL, tgt };
	struct db_res r;
	json_t *o = NULL;
	long n, held, within;

	snprintf(aid, sizeof(aid), "%ld", f->authority_id);
	snprintf(tid, sizeof(tid), "%ld", f->team_id);
	snprintf(tgt, sizeof(tgt), "%d", WORKDAYS_ICPC_TARGET);
	workdays_format(f->from_day, from, sizeof(from));
	workdays_format(f->to_day, to, sizeof(to));
	if (f->team_id != 0)
		p[3] = tid;
	if (db_exec(db, &r, COUNTS_SQL, 7, p) != 0)
		return NULL;
	if (db_res_rows(&r) == 1) {
		n = db_res_long(&r, 0, 0, 0);
		held = db_res_long(&r, 0, 1, 0);
		within = db_res_long(&r, 0, 2, 0);
		o = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		    "target_working_days", WORKDAYS_ICPC_TARGET,
		    "section47_enquiries", (json_int_t)n,
		    "conferences", (json_int_t)held,
		    "within_target", (json_int_t)within,
		    "late", (json_int_t)(held - within),
		    "not_required", (json_int_t)db_res_long(&r, 0, 3, 0),
		    "awaiting", (json_int_t)db_res_long(&r, 0, 4, 0),
		    "awaiting_overdue", (json_int_t)db_res_long(&r, 0, 6, 0),
		    "mean_working_days", db_res_get(&r, 0, 5) != NULL ?
		    json_real(strtod(db_res_get(&r, 0, 5), NULL)) :
		    json_null());
	}
	db_res_free(&r);
	return o;
}
