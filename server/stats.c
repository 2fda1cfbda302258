/*
 * stats: reads the compliance figures. Every figure comes from the summary
 * tables of sql/005_statistics.sql, which the database keeps equal to a
 * fresh count (stats_verify()); a date range is answered from whole months
 * at grain 'm' plus the days of its partial months at grain 'd', so the cost
 * of a report depends on the number of months, teams and organisations, not
 * on the number of discussions. One report is one read-only REPEATABLE READ
 * transaction, so its totals, groups and agency figures agree with each
 * other. Measures are defined in docs/statistics.md; the JSON names in
 * "totals" and "groups" are fixed for partners' dashboards.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "meeting.h"
#include "stats.h"
#include "str.h"
#include "workdays.h"

#define ID_LEN		24
#define DEFAULT_FROM	"1900-01-01"
#define DEFAULT_TO	"2100-12-31"

static const char *const kinds[] = { "meeting", "discussion", NULL };
static const char *const formats[] = { "in_person", "video", "phone", NULL };
static const char *const classes[] = { "multi_agency", "partial",
	"single_agency", NULL };
static const char *const statuses[] = { "scheduled", "held", "cancelled",
	NULL };
static const char *const reviews[] = { "flagged", "unreviewed", "agree",
	"practice_concern", NULL };
static const char *const concerns[] = { "within", "late", NULL };
static const char *const icpcs[] = { "s47", "within", "late",
	"not_required", "awaiting", "overdue", NULL };

/* STATS_AGENCY_MEASURES as data, for the JSON and the CSV. */
static const struct {
	const char	*csv, *json;
	int		 every;
} agency_measures[STATS_NAM] = {
#define AM_ROW_(id, csv, json, every) { csv, json, every },
	STATS_AGENCY_MEASURES(AM_ROW_)
#undef AM_ROW_
};

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong");
}

/* ---- filter ----------------------------------------------------------- */

static int
one_of(const char *v, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(v, allowed[i]) == 0)
			return 1;
	return 0;
}

/* An optional enumerated parameter into out (outlen bytes). */
static int
param_enum(stats_param_fn get, void *arg, const char *key,
    const char *const *allowed, char *out, size_t outlen, struct verr *e)
{
	const char *v = get(arg, key);
	char list[160];
	size_t i, used = 0;

	out[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	if (one_of(v, allowed) && strlen(v) < outlen) {
		str_copy(out, v, outlen);
		return 0;
	}
	list[0] = '\0';
	for (i = 0; allowed[i] != NULL && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s", i ? ", " : "", allowed[i]);
	return verr_set(e, 400, key, "%s: must be one of %s", key, list);
}

/* yes/no (also true/false) into "yes", "no" or "". */
static int
param_yes_no(stats_param_fn get, void *arg, const char *key, char *out,
    struct verr *e)
{
	const char *v = get(arg, key);

	out[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
		str_copy(out, "yes", 4);
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
		str_copy(out, "no", 4);
	else
		return verr_set(e, 400, key, "%s: must be yes or no", key);
	return 0;
}

static int
param_date(stats_param_fn get, void *arg, const char *key, char *out,
    long *day, struct verr *e)
{
	const char *v = get(arg, key);

	out[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	if (workdays_parse_date(v, day) != 0)
		return verr_set(e, 400, key, "%s: must be a date like "
		    "2026-12-01, between 1900 and 2100", key);
	workdays_format(*day, out, WORKDAYS_DATE_MAX);
	return 0;
}

static int
team_filter(struct db *db, const struct auth_user *u, const char *team,
    struct stats_filter *f, struct verr *e)
{
	char aid[ID_LEN];
	const char *p[2] = { aid, team };
	struct db_res r;

	if (u->role == ROLE_SOCIAL_WORKER) {
		if (u->team_id == 0)
			return verr_set(e, 403, "team", "team: you are not in "
			    "a team, so there are no team figures to show you");
		if (team != NULL && team[0] != '\0' &&
		    strcmp(team, u->team_name) != 0)
			return verr_set(e, 403, "team", "team: social workers "
			    "can see their own team's figures only");
		f->team_id = u->team_id;
		str_copy(f->team, u->team_name, sizeof(f->team));
		return 0;
	}
	if (u->role != ROLE_MANAGER)
		return verr_set(e, 403, NULL, "your role may not see "
		    "statistics");
	if (team == NULL || team[0] == '\0')
		return 0;
	if (!str_utf8_valid(team, strlen(team)) || str_has_ctl(team) ||
	    str_utf8_len(team) > STATS_TEAM_MAX)
		return verr_set(e, 400, "team", "team: must be a team name");
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_exec(db, &r, "SELECT id FROM teams WHERE authority_id = $1 "
	    "AND name = $2", 2, p) != 0)
		return internal(e);
	f->team_id = db_res_rows(&r) ? db_res_long(&r, 0, 0, 0) : 0;
	db_res_free(&r);
	if (f->team_id == 0)
		return verr_set(e, 400, "team", "team: there is no team of "
		    "that name");
	str_copy(f->team, team, sizeof(f->team));
	return 0;
}

/* The agency codes, from the agencies table, for a message. */
static void
agency_codes(struct db *db, char *out, size_t outlen)
{
	struct db_res r;

	str_copy(out, "see GET /api/v1/contacts", outlen);
	if (db_exec(db, &r, "SELECT string_agg(code, ', ' ORDER BY "
	    "sort_order, code) FROM agencies", 0, NULL) != 0)
		return;
	if (db_res_rows(&r) == 1 && db_res_get(&r, 0, 0) != NULL)
		str_copy(out, db_res_get(&r, 0, 0), outlen);
	db_res_free(&r);
}

/* missing=CODE: a code of the agencies table, any of them (not only the
 * statutory ones: history may name an agency that no longer is). */
static int
agency_filter(struct db *db, const char *v, struct stats_filter *f,
    struct verr *e)
{
	const char *p[1] = { v };
	char codes[400];
	struct db_res r;
	int found;

	f->missing[0] = f->missing_name[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	if (strlen(v) >= sizeof(f->missing))
		goto bad;
	if (db_exec(db, &r, "SELECT name FROM agencies WHERE code = $1", 1,
	    p) != 0)
		return internal(e);
	found = db_res_rows(&r) > 0;
	if (found)
		str_copy(f->missing_name, db_res_get(&r, 0, 0),
		    sizeof(f->missing_name));
	db_res_free(&r);
	if (!found)
		goto bad;
	str_copy(f->missing, v, sizeof(f->missing));
	return 0;
bad:
	agency_codes(db, codes, sizeof(codes));
	return verr_set(e, 400, "missing", "missing: must be an agency code "
	    "(%s)", codes);
}

int
stats_filter_parse(struct db *db, const struct auth_user *u,
    stats_param_fn get, void *arg, struct stats_filter *f, struct verr *e)
{
	static const char *const groups[] = { "month", "team", "agency",
		NULL };
	char group[8];

	memset(f, 0, sizeof(*f));
	f->authority_id = u->authority_id;
	workdays_parse_date(DEFAULT_FROM, &f->from_day);
	workdays_parse_date(DEFAULT_TO, &f->to_day);
	if (param_date(get, arg, "from", f->from, &f->from_day, e) != 0 ||
	    param_date(get, arg, "to", f->to, &f->to_day, e) != 0)
		return -1;
	if (f->to_day < f->from_day)
		return verr_set(e, 400, "to", "to: must not be before from");
	if (param_enum(get, arg, "kind", kinds, f->kind, sizeof(f->kind),
	    e) != 0 ||
	    param_enum(get, arg, "format", formats, f->format,
	    sizeof(f->format), e) != 0 ||
	    param_enum(get, arg, "group_by", groups, group, sizeof(group),
	    e) != 0 ||
	    param_enum(get, arg, "classification", classes,
	    f->classification, sizeof(f->classification), e) != 0 ||
	    param_enum(get, arg, "status", statuses, f->status,
	    sizeof(f->status), e) != 0 ||
	    param_enum(get, arg, "review", reviews, f->review,
	    sizeof(f->review), e) != 0 ||
	    param_enum(get, arg, "concern", concerns, f->concern,
	    sizeof(f->concern), e) != 0 ||
	    param_enum(get, arg, "icpc", icpcs, f->icpc, sizeof(f->icpc),
	    e) != 0 ||
	    param_yes_no(get, arg, "signed_off", f->signed_off, e) != 0 ||
	    param_yes_no(get, arg, "child_views", f->child_views, e) != 0)
		return -1;
	if (strcmp(group, "team") == 0)
		f->group = STATS_GROUP_TEAM;
	else if (strcmp(group, "agency") == 0)
		f->group = STATS_GROUP_AGENCY;
	else
		f->group = STATS_GROUP_MONTH;
	if (team_filter(db, u, get(arg, "team"), f, e) != 0 ||
	    agency_filter(db, get(arg, "missing"), f, e) != 0)
		return -1;
	return 0;
}

/* ---- parameters shared by the summary queries ---------------------------- */

/*
 * $1 authority, $2 team, $3 kind, $4 format, then the grain ranges: whole
 * months [$5, $6) at grain 'm', and the partial months' days [$7, $8) and
 * [$9, $10) at grain 'd'.
 */
#define NRANGE	10
#define SUMMARY_WHERE(t) \
	" " t ".authority_id = $1" \
	" AND ($2::bigint IS NULL OR " t ".team_id = $2)" \
	" AND ($3::text IS NULL OR " t ".kind = $3)" \
	" AND ($4::text IS NULL OR " t ".format = $4)" \
	" AND ((" t ".grain = 'm' AND " t ".day >= $5::date" \
	"  AND " t ".day < $6::date)" \
	"  OR (" t ".grain = 'd' AND " t ".day >= $7::date" \
	"  AND " t ".day < $8::date)" \
	"  OR (" t ".grain = 'd' AND " t ".day >= $9::date" \
	"  AND " t ".day < $10::date))"

/* The same for stats_org_brief, which has no kind or format: used only
 * when neither is asked for ($3 and $4 NULL). */
#define BRIEF_WHERE(t) \
	" " t ".authority_id = $1" \
	" AND ($2::bigint IS NULL OR " t ".team_id = $2)" \
	" AND $3::text IS NULL AND $4::text IS NULL" \
	" AND ((" t ".grain = 'm' AND " t ".day >= $5::date" \
	"  AND " t ".day < $6::date)" \
	"  OR (" t ".grain = 'd' AND " t ".day >= $7::date" \
	"  AND " t ".day < $8::date)" \
	"  OR (" t ".grain = 'd' AND " t ".day >= $9::date" \
	"  AND " t ".day < $10::date))"

struct qparams {
	char		 aid[ID_LEN], tid[ID_LEN];
	char		 days[6][WORKDAYS_DATE_MAX];
	char		 from[WORKDAYS_DATE_MAX], to[WORKDAYS_DATE_MAX];
	const char	*p[16];
};

static long
month_start(long day)
{
	int y, m, d;

	workdays_to_civil(day, &y, &m, &d);
	return workdays_from_civil(y, m, 1);
}

static long
next_month(long day)
{
	int y, m, d;

	workdays_to_civil(day, &y, &m, &d);
	return m == 12 ? workdays_from_civil(y + 1, 1, 1) :
	    workdays_from_civil(y, m + 1, 1);
}

static void
qparams_init(struct qparams *q, const struct stats_filter *f)
{
	long fm, em, r[6];
	int i;

	memset(q, 0, sizeof(*q));
	snprintf(q->aid, sizeof(q->aid), "%ld", f->authority_id);
	snprintf(q->tid, sizeof(q->tid), "%ld", f->team_id);
	fm = month_start(f->from_day) == f->from_day ? f->from_day :
	    next_month(f->from_day);
	em = month_start(f->to_day + 1);
	if (fm < em) {
		r[0] = fm;		r[1] = em;
		r[2] = f->from_day;	r[3] = fm;
		r[4] = em;		r[5] = f->to_day + 1;
	} else {
		r[0] = r[1] = f->from_day;
		r[2] = f->from_day;	r[3] = f->to_day + 1;
		r[4] = r[5] = f->from_day;
	}
	for (i = 0; i < 6; i++)
		workdays_format(r[i], q->days[i], sizeof(q->days[i]));
	workdays_format(f->from_day, q->from, sizeof(q->from));
	workdays_format(f->to_day, q->to, sizeof(q->to));
	q->p[0] = q->aid;
	q->p[1] = f->team_id ? q->tid : NULL;
	q->p[2] = f->kind[0] ? f->kind : NULL;
	q->p[3] = f->format[0] ? f->format : NULL;
	for (i = 0; i < 6; i++)
		q->p[4 + i] = q->days[i];
}

/* ---- the report --------------------------------------------------------- */

#define SUM_(id, name) ", coalesce(sum(s." name "), 0)::bigint"
#define SUMS	STATS_COLUMNS(SUM_)
#define NAMED_SUM_(id, name) ", sum(s." name ")::bigint AS " name
#define NAMED_SUMS	STATS_COLUMNS(NAMED_SUM_)
#define OUTER_SUM_(id, name) ", coalesce(x." name ", 0)"
#define OUTER_SUMS	STATS_COLUMNS(OUTER_SUM_)

static void
read_counts(const struct db_res *r, int row, int col0, struct stats_counts *c)
{
	int i;

	for (i = 0; i < STATS_NCOLS; i++)
		c->v[i] = db_res_long(r, row, col0 + i, 0);
}

static int
run_totals(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct db_res res;

	if (db_exec(db, &res, "SELECT 'total'" SUMS " FROM stats_summary s "
	    "WHERE" SUMMARY_WHERE("s"), NRANGE, q->p) != 0)
		return -1;
	read_counts(&res, 0, 1, &r->total);
	str_copy(r->total.key, "total", sizeof(r->total.key));
	r->total.from_day = r->f.from_day;
	r->total.to_day = r->f.to_day;
	db_res_free(&res);
	return 0;
}

static int
run_teams(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct db_res res;
	int i, n;

	/* Sum per team first, then add the teams without any: the summary's
	 * key leads with the dates, not the team. */
	if (db_exec(db, &res, "SELECT t.name" OUTER_SUMS " FROM teams t LEFT "
	    "JOIN (SELECT s.team_id" NAMED_SUMS " FROM stats_summary s WHERE"
	    SUMMARY_WHERE("s") " GROUP BY s.team_id) x ON x.team_id = t.id "
	    "WHERE t.authority_id = $1 AND ($2::bigint IS NULL OR t.id = $2) "
	    "ORDER BY t.name", NRANGE, q->p) != 0)
		return -1;
	n = db_res_rows(&res);
	if (n > 0 && (r->groups = calloc((size_t)n, sizeof(*r->groups))) ==
	    NULL) {
		db_res_free(&res);
		return -1;
	}
	for (i = 0; i < n; i++) {
		str_copy(r->groups[i].key, db_res_get(&res, i, 0),
		    sizeof(r->groups[i].key));
		read_counts(&res, i, 1, &r->groups[i]);
		r->groups[i].from_day = r->f.from_day;
		r->groups[i].to_day = r->f.to_day;
	}
	r->ngroups = (size_t)n;
	db_res_free(&res);
	return 0;
}

static int
month_of_key(const char *key, long *day)
{
	char s[WORKDAYS_DATE_MAX];

	if (key == NULL || strlen(key) != 7)
		return -1;
	snprintf(s, sizeof(s), "%.7s-01", key);
	return workdays_parse_date(s, day);
}

static void
month_group(struct stats_counts *g, const struct stats_filter *f, long m)
{
	long end = next_month(m) - 1;
	int y, mo, d;

	workdays_to_civil(m, &y, &mo, &d);
	snprintf(g->key, sizeof(g->key), "%04d-%02d", y, mo);
	g->from_day = m > f->from_day ? m : f->from_day;
	g->to_day = end < f->to_day ? end : f->to_day;
}

/*
 * Month groups. Empty months are filled in, over the whole range when both
 * ends were given, otherwise between the first and last month with data;
 * a range of more than STATS_MONTHS_MAX months lists months with data only.
 */
static int
run_months(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct db_res res;
	long first, last, m;
	size_t count = 0, k;
	int n, row = 0;

	if (db_exec(db, &res, "SELECT to_char(s.day, 'YYYY-MM')" SUMS
	    " FROM stats_summary s WHERE" SUMMARY_WHERE("s") " GROUP BY 1 "
	    "HAVING sum(s.n) > 0 ORDER BY 1", NRANGE, q->p) != 0)
		return -1;
	n = db_res_rows(&res);
	if (r->f.from[0] != '\0' && r->f.to[0] != '\0') {
		first = month_start(r->f.from_day);
		last = month_start(r->f.to_day);
	} else if (n == 0) {
		db_res_free(&res);
		return 0;
	} else if (month_of_key(db_res_get(&res, 0, 0), &first) != 0 ||
	    month_of_key(db_res_get(&res, n - 1, 0), &last) != 0)
		goto fail;
	for (m = first; m <= last && count <= STATS_MONTHS_MAX;
	    m = next_month(m))
		count++;
	if (count > STATS_MONTHS_MAX)
		count = (size_t)n;
	else
		n = -1;		/* fill */
	if (count > 0 && (r->groups = calloc(count, sizeof(*r->groups))) ==
	    NULL)
		goto fail;
	for (k = 0, m = first; k < count; k++) {
		struct stats_counts *g = &r->groups[k];

		if (n >= 0) {	/* months with data only */
			if (month_of_key(db_res_get(&res, (int)k, 0), &m) != 0)
				goto fail;
			read_counts(&res, (int)k, 1, g);
			month_group(g, &r->f, m);
			continue;
		}
		month_group(g, &r->f, m);
		if (row < db_res_rows(&res) &&
		    strcmp(db_res_get(&res, row, 0), g->key) == 0)
			read_counts(&res, row++, 1, g);
		m = next_month(m);
	}
	r->ngroups = count;
	db_res_free(&res);
	return 0;
fail:
	db_res_free(&res);
	return -1;
}

/*
 * The per-agency figures, read from stats_agency_summary in one statement
 * (one pass over the summary rows, with GROUPING SETS): first a row per
 * agency of the report (part 0: the authority's statutory set now, and any
 * agency invited to a held discussion of the period or classified missing
 * in one), in the agencies table's order, then a row per group and agency
 * with any per-agency measure that is not 0 (part 1). GKEY is the group's
 * key in the summary, TOTAL 1 for the per-agency totals (GROUPING), GNAME
 * the group's name from x.g, GJOIN what GNAME needs; SETS the grouping set
 * of the groups.
 */
#define AGENCY_SQL(gkey, total, gname, gjoin, sets) \
	"WITH x AS (SELECT " gkey " AS g, " total " AS total, " \
	"s.agency, sum(s.n) AS n, sum(s.invited) AS invited, " \
	"sum(s.present) AS present, sum(s.contributed) AS contributed, " \
	"sum(s.missing) AS missing, sum(s.missing_contributed) AS mc, " \
	"sum(s.added_on_day) AS aod FROM stats_agency_summary s WHERE" \
	SUMMARY_WHERE("s") " GROUP BY GROUPING SETS ((s.agency)" sets ")) " \
	"SELECT 0 AS part, NULL::text AS g, a.code, a.name, " \
	"st.agency IS NOT NULL, coalesce(x.n, 0), coalesce(x.invited, 0), " \
	"coalesce(x.present, 0), coalesce(x.contributed, 0), " \
	"coalesce(x.missing, 0), coalesce(x.mc, 0), coalesce(x.aod, 0), " \
	"a.sort_order FROM agencies a LEFT JOIN statutory_agencies st ON " \
	"st.authority_id = $1 AND st.agency = a.code LEFT JOIN x ON " \
	"x.total = 1 AND x.agency = a.code WHERE x.n > 0 OR st.agency IS " \
	"NOT NULL UNION ALL SELECT 1, " gname ", x.agency, NULL, NULL, 0, " \
	"0, 0, 0, x.missing, x.mc, x.aod, 0 FROM x" gjoin " WHERE " \
	"x.total = 0 AND (x.missing <> 0 OR x.mc <> 0 OR x.aod <> 0) " \
	"ORDER BY part, sort_order, code"

/* Column of the first per-agency measure in AGENCY_SQL's rows: missing,
 * missing_contributed, added_on_day follow in STATS_AGENCY_MEASURES'
 * order. */
#define AGENCY_COL_MEASURES	9
_Static_assert(STATS_AM_MISSING == 0 && STATS_AM_CONTRIBUTED == 1 &&
    STATS_AM_ADDED_ON_DAY == 2 && STATS_NAM == 3,
    "AGENCY_SQL's measure columns follow STATS_AGENCY_MEASURES");

static void
read_agency(const struct db_res *res, int i, struct stats_agency *a)
{
	str_copy(a->code, db_res_get(res, i, 2), sizeof(a->code));
	str_copy(a->name, db_res_get(res, i, 3), sizeof(a->name));
	a->statutory = db_res_bool(res, i, 4);
	a->n = db_res_long(res, i, 5, 0);
	a->invited = db_res_long(res, i, 6, 0);
	a->present = db_res_long(res, i, 7, 0);
	a->contributed = db_res_long(res, i, 8, 0);
	a->missing = db_res_long(res, i, AGENCY_COL_MEASURES, 0);
	a->missing_contributed = db_res_long(res, i, AGENCY_COL_MEASURES + 1,
	    0);
	a->added_on_day = db_res_long(res, i, AGENCY_COL_MEASURES + 2, 0);
	a->shown = a->statutory || a->missing > 0 ||
	    a->missing_contributed > 0;
}

/*
 * One block of per-agency cells for the totals and every group, a row of
 * nagencies per measure; the totals' come from the agency figures.
 */
static int
cells_init(struct stats_report *r)
{
	size_t na = r->nagencies, k, i, m;
	struct stats_counts *c;

	if (na == 0)
		return 0;
	if ((r->cells = calloc((r->ngroups + 1) * STATS_NAM * na,
	    sizeof(*r->cells))) == NULL)
		return -1;
	for (k = 0; k <= r->ngroups; k++) {
		c = k == 0 ? &r->total : &r->groups[k - 1];
		for (m = 0; m < STATS_NAM; m++)
			c->agency[m] = r->cells + (k * STATS_NAM + m) * na;
		c->missing = c->agency[STATS_AM_MISSING];
		c->contributed = c->agency[STATS_AM_CONTRIBUTED];
	}
	for (i = 0; i < na; i++) {
		r->total.missing[i] = r->agencies[i].missing;
		r->total.contributed[i] = r->agencies[i].missing_contributed;
		r->total.agency[STATS_AM_ADDED_ON_DAY][i] =
		    r->agencies[i].added_on_day;
	}
	return 0;
}

static long
agency_index(const struct stats_report *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->nagencies; i++)
		if (strcmp(r->agencies[i].code, code) == 0)
			return (long)i;
	return -1;
}

/* The group whose key is key; hint: where the last one was found. */
static struct stats_counts *
group_by_key(struct stats_report *r, const char *key, size_t *hint)
{
	size_t k, i;

	for (k = 0; k < r->ngroups; k++) {
		i = (*hint + k) % r->ngroups;
		if (strcmp(r->groups[i].key, key) == 0) {
			*hint = i;
			return &r->groups[i];
		}
	}
	return NULL;
}

/* Part 1 rows (from row first): a group's per-agency measures. A month
 * comes as its summary days (the whole month at grain 'm', and days at
 * grain 'd' in a cut month), so they are added up. */
static void
read_agency_groups(const struct db_res *res, int first,
    struct stats_report *r)
{
	struct stats_counts *g;
	size_t hint = 0;
	long a;
	int i, m;

	for (i = first; i < db_res_rows(res); i++) {
		if ((g = group_by_key(r, db_res_get(res, i, 1), &hint)) ==
		    NULL || (a = agency_index(r, db_res_get(res, i, 2))) < 0)
			continue;
		for (m = 0; m < STATS_NAM; m++)
			g->agency[m][a] += db_res_long(res, i,
			    AGENCY_COL_MEASURES + m, 0);
	}
}

/*
 * The report's agencies and every per-agency cell of the totals and
 * groups. Month and team groups come from the same statement as the
 * agencies, so the summary is read once.
 */
static int
run_agencies(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct db_res res;
	int i, n, rc;

	if (r->ngroups > 0 && r->f.group == STATS_GROUP_TEAM)
		rc = db_exec(db, &res, AGENCY_SQL("s.team_id",
		    "grouping(s.team_id)", "t.name",
		    " JOIN teams t ON t.id = x.g", ", (s.team_id, s.agency)"),
		    NRANGE, q->p);
	else if (r->ngroups > 0 && r->f.group == STATS_GROUP_MONTH)
		rc = db_exec(db, &res, AGENCY_SQL("s.day", "grouping(s.day)",
		    "to_char(x.g, 'YYYY-MM')", "", ", (s.day, s.agency)"),
		    NRANGE, q->p);
	else
		rc = db_exec(db, &res, AGENCY_SQL("NULL::text", "1", "x.g", "",
		    ""),
		    NRANGE, q->p);
	if (rc != 0)
		return -1;
	for (n = 0; n < db_res_rows(&res) && db_res_long(&res, n, 0, 1) == 0;
	    n++)
		;
	if (n > 0 && (r->agencies = calloc((size_t)n,
	    sizeof(*r->agencies))) == NULL) {
		db_res_free(&res);
		return -1;
	}
	for (i = 0; i < n; i++)
		read_agency(&res, i, &r->agencies[i]);
	r->nagencies = (size_t)n;
	if (cells_init(r) != 0) {
		db_res_free(&res);
		return -1;
	}
	read_agency_groups(&res, n, r);
	db_res_free(&res);
	return 0;
}

static int
run_orgs(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct db_res res;
	struct stats_org *o;
	int i, n;

#define ORGS_SQL(table, where) \
	"SELECT s.agency, s.organisation, sum(s.n), sum(s.invited), " \
	"sum(s.present), sum(s.contributed), sum(s.people), sum(s.accepted), " \
	"sum(s.declined), sum(s.tentative), sum(s.no_reply) FROM " table " s " \
	"JOIN agencies a ON a.code = s.agency WHERE" where \
	" GROUP BY s.agency, s.organisation, a.sort_order " \
	"HAVING sum(s.n) > 0 ORDER BY a.sort_order, s.agency, " \
	"s.organisation LIMIT 501"

	/* Without a kind or format filter the narrower table has the same
	 * sums in a sixth of the rows. */
	if (db_exec(db, &res, r->f.kind[0] || r->f.format[0] ?
	    ORGS_SQL("stats_org_summary", SUMMARY_WHERE("s")) :
	    ORGS_SQL("stats_org_brief", BRIEF_WHERE("s")), NRANGE,
	    q->p) != 0)
		return -1;
	n = db_res_rows(&res);
	if (n > STATS_ORGS_MAX) {
		n = STATS_ORGS_MAX;
		r->orgs_truncated = 1;
	}
	if (n > 0 && (r->orgs = calloc((size_t)n, sizeof(*o))) == NULL) {
		db_res_free(&res);
		return -1;
	}
	for (i = 0; i < n; i++) {
		o = &r->orgs[i];
		str_copy(o->agency, db_res_get(&res, i, 0), sizeof(o->agency));
		str_copy(o->name, db_res_get(&res, i, 1), sizeof(o->name));
		o->n = db_res_long(&res, i, 2, 0);
		o->invited = db_res_long(&res, i, 3, 0);
		o->present = db_res_long(&res, i, 4, 0);
		o->contributed = db_res_long(&res, i, 5, 0);
		o->people = db_res_long(&res, i, 6, 0);
		o->accepted = db_res_long(&res, i, 7, 0);
		o->declined = db_res_long(&res, i, 8, 0);
		o->tentative = db_res_long(&res, i, 9, 0);
		o->no_reply = db_res_long(&res, i, 10, 0);
	}
	r->norgs = (size_t)n;
	db_res_free(&res);
	return 0;
}

/*
 * Section 47 enquiries still waiting for a conference more than 15 working
 * days after the strategy discussion: depends on today, so it is counted
 * from the facts rather than summed. Working days to today only fall as
 * the discussion's day rises, so "more than 15" is "before the first day
 * from which there are 15 or fewer": found here with the bank holidays
 * table, once, rather than per row.
 */
static int
run_overdue(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct workdays w;
	const char *p[7];
	struct db_res res;
	char cutoff[WORKDAYS_DATE_MAX];
	long d = r->today;

	if (workdays_load(&w, db) != 0)
		return -1;
	while (workdays_between(&w, d - 1, r->today) <= WORKDAYS_ICPC_TARGET)
		d--;
	workdays_format(d, cutoff, sizeof(cutoff));
	memcpy(p, q->p, 4 * sizeof(p[0]));
	p[4] = q->from;
	p[5] = q->to;
	p[6] = cutoff;
	if (db_exec(db, &res, "SELECT count(*) FROM stats_fact f WHERE "
	    "f.authority_id = $1 AND f.icpc_awaiting = 1 AND ($2::bigint IS "
	    "NULL OR f.team_id = $2) AND ($3::text IS NULL OR f.kind = $3) AND "
	    "($4::text IS NULL OR f.format = $4) AND f.day >= $5::date AND "
	    "f.day <= $6::date AND f.day < $7::date", 7, p) != 0)
		return -1;
	r->icpc_overdue = db_res_long(&res, 0, 0, 0);
	db_res_free(&res);
	return 0;
}

static int
run_context(struct db *db, const struct qparams *q, struct stats_report *r)
{
	struct db_res res;
	int rc = -1;

	if (db_exec(db, &res, "SELECT a.target_working_days, to_char((now() "
	    "AT TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') FROM "
	    "authorities a WHERE a.id = $1", 1, q->p) != 0)
		return -1;
	if (db_res_rows(&res) == 1 &&
	    workdays_parse_date(db_res_get(&res, 0, 1), &r->today) == 0) {
		r->target_wd = (int)db_res_long(&res, 0, 0, 1);
		rc = 0;
	}
	db_res_free(&res);
	return rc;
}

/* A read-only snapshot without JIT: these queries are small, and JIT would
 * spend longer compiling them than running them. */
static int
snapshot_begin(struct db *db)
{
	if (db_begin(db) != 0 ||
	    db_cmd(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
	    "READ ONLY", 0, NULL) != 0 ||
	    db_cmd(db, "SET LOCAL jit = off", 0, NULL) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

int
stats_report_run(struct db *db, const struct stats_filter *f,
    struct stats_report *r, struct verr *e)
{
	struct qparams q;

	memset(r, 0, sizeof(*r));
	r->f = *f;
	qparams_init(&q, f);
	if (snapshot_begin(db) != 0)
		return internal(e);
	if (run_context(db, &q, r) != 0 || run_totals(db, &q, r) != 0 ||
	    (f->group == STATS_GROUP_MONTH && run_months(db, &q, r) != 0) ||
	    (f->group == STATS_GROUP_TEAM && run_teams(db, &q, r) != 0) ||
	    run_agencies(db, &q, r) != 0 || run_orgs(db, &q, r) != 0 ||
	    run_overdue(db, &q, r) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		stats_report_free(r);
		return internal(e);
	}
	return 0;
}

void
stats_report_free(struct stats_report *r)
{
	if (r == NULL)
		return;
	free(r->groups);
	free(r->agencies);
	free(r->orgs);
	free(r->cells);
	r->groups = NULL;
	r->agencies = NULL;
	r->orgs = NULL;
	r->cells = NULL;
	memset(r->total.agency, 0, sizeof(r->total.agency));
	r->total.missing = r->total.contributed = NULL;
	r->ngroups = r->nagencies = r->norgs = 0;
}

/* ---- derived figures ----------------------------------------------------- */

long long
stats_concern_within(const long long *v, int target_wd)
{
	long long n = v[STATS_CD_0];

	if (target_wd >= 1)
		n += v[STATS_CD_1];
	if (target_wd >= 2)
		n += v[STATS_CD_2];
	if (target_wd >= 3)
		n += v[STATS_CD_3];
	return n;
}

long long
stats_added_on_day(const struct stats_report *r, const struct stats_counts *c)
{
	const long long *a = c->agency[STATS_AM_ADDED_ON_DAY];
	long long n = 0;
	size_t i;

	for (i = 0; a != NULL && i < r->nagencies; i++)
		n += a[i];
	return n;
}

long long
stats_icpc_within(const long long *v)
{
	return v[STATS_IC_0_10] + v[STATS_IC_11_15];
}

double
stats_share(long long num, long long den)
{
	if (den <= 0)
		return -1;
	return floor((double)num / (double)den * 10000.0 + 0.5) / 10000.0;
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *
jshare(long long num, long long den)
{
	return den > 0 ? json_real(stats_share(num, den)) : json_null();
}

static json_t *
jmean(long long sum, long long n)
{
	if (n <= 0)
		return json_null();
	return json_real(floor((double)sum / (double)n * 10.0 + 0.5) / 10.0);
}

static json_t *
jdate(long day)
{
	char s[WORKDAYS_DATE_MAX];

	if (workdays_format(day, s, sizeof(s)) != 0)
		return json_null();
	return json_string(s);
}

static json_t *
distribution(const long long *v, const char *const *labels, int first,
    int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "working_days",
		    labels[i], "count", (json_int_t)v[first + i]));
	return a;
}

static json_t *
timeliness_json(const long long *v, int target_wd, long long overdue,
    int with_overdue)
{
	static const char *const cd_labels[] = { "0", "1", "2", "3", "4-5",
		"6-10", "11+" };
	static const char *const ic_labels[] = { "0-10", "11-15", "16-20",
		"21-30", "31+" };
	long long cw = stats_concern_within(v, target_wd);
	long long iw = stats_icpc_within(v);
	json_t *c, *i;

	c = json_pack("{s:i, s:I, s:I, s:o, s:o, s:o}",
	    "target_working_days", target_wd,
	    "measured", (json_int_t)v[STATS_HELD],
	    "within_target", (json_int_t)cw,
	    "share_within_target", jshare(cw, v[STATS_HELD]),
	    "mean_working_days", jmean(v[STATS_CD_SUM], v[STATS_HELD]),
	    "distribution", distribution(v, cd_labels, STATS_CD_0, 7));
	i = json_pack("{s:i, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:o}",
	    "target_working_days", WORKDAYS_ICPC_TARGET,
	    "section47_enquiries", (json_int_t)v[STATS_S47],
	    "conferences", (json_int_t)v[STATS_ICPC_HELD],
	    "within_target", (json_int_t)iw,
	    "share_within_target", jshare(iw, v[STATS_ICPC_HELD]),
	    "late", (json_int_t)(v[STATS_ICPC_HELD] - iw),
	    "not_required", (json_int_t)v[STATS_ICPC_NOT_REQUIRED],
	    "awaiting", (json_int_t)v[STATS_ICPC_AWAITING],
	    "mean_working_days", jmean(v[STATS_IC_SUM], v[STATS_ICPC_HELD]),
	    "distribution", distribution(v, ic_labels, STATS_IC_0_10, 5));
	if (i != NULL && with_overdue)
		json_object_set_new(i, "awaiting_overdue",
		    json_integer((json_int_t)overdue));
	return json_pack("{s:o*, s:o*}", "concern_to_discussion", c,
	    "discussion_to_conference", i);
}

/*
 * {agency code: count} over the report's shown agencies (every: all its
 * agencies), or with den >= 0 {agency code: share of den}. vals NULL (no
 * agencies): {}.
 */
static json_t *
by_agency(const struct stats_report *r, const long long *vals, long long den,
    int every)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && vals != NULL && i < r->nagencies; i++) {
		if (!every && !r->agencies[i].shown)
			continue;
		json_object_set_new(o, r->agencies[i].code, den >= 0 ?
		    jshare(vals[i], den) : json_integer((json_int_t)vals[i]));
	}
	return o;
}

static json_t *
counts_json(const struct stats_report *r, const struct stats_counts *c,
    int is_group)
{
	const long long *v = c->v;
	long long held = v[STATS_HELD];
	json_t *o;
	int m;

	o = json_object();
	if (o == NULL)
		return NULL;
	if (is_group) {
		json_object_set_new(o, "key", json_string(c->key));
		json_object_set_new(o, "from", jdate(c->from_day));
		json_object_set_new(o, "to", jdate(c->to_day));
	}
	json_object_set_new(o, "discussions", json_integer(v[STATS_N]));
	json_object_set_new(o, "held", json_integer(held));
	json_object_set_new(o, "multi_agency",
	    json_integer(v[STATS_MULTI_AGENCY]));
	json_object_set_new(o, "partial", json_integer(v[STATS_PARTIAL]));
	json_object_set_new(o, "single_agency",
	    json_integer(v[STATS_SINGLE_AGENCY]));
	json_object_set_new(o, "cancelled", json_integer(v[STATS_CANCELLED]));
	json_object_set_new(o, "scheduled", json_integer(v[STATS_SCHEDULED]));
	for (m = 0; m < STATS_NAM; m++)
		json_object_set_new(o, agency_measures[m].json,
		    by_agency(r, c->agency[m], -1, agency_measures[m].every));
	json_object_set_new(o, "added_on_day",
	    json_integer(stats_added_on_day(r, c)));
	json_object_set_new(o, "child_views_recorded",
	    json_integer(v[STATS_CHILD_VIEWS_RECORDED]));
	json_object_set_new(o, "signed_off", json_integer(v[STATS_SIGNED_OFF]));
	json_object_set_new(o, "flagged", json_integer(v[STATS_FLAGGED]));
	json_object_set_new(o, "reviewed", json_pack("{s:I, s:I}",
	    "agree", (json_int_t)v[STATS_REVIEWED_AGREE],
	    "practice_concern", (json_int_t)v[STATS_PRACTICE_CONCERN]));
	json_object_set_new(o, "unreviewed_flags",
	    json_integer(v[STATS_UNREVIEWED_FLAGS]));
	json_object_set_new(o, "shares", json_pack(
	    "{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "multi_agency", jshare(v[STATS_MULTI_AGENCY], held),
	    "partial", jshare(v[STATS_PARTIAL], held),
	    "single_agency", jshare(v[STATS_SINGLE_AGENCY], held),
	    "cancelled", jshare(v[STATS_CANCELLED], v[STATS_N]),
	    "child_views_recorded", jshare(v[STATS_CHILD_VIEWS_RECORDED], held),
	    "signed_off", jshare(v[STATS_SIGNED_OFF], held),
	    "missing", by_agency(r, c->missing, held, 0)));
	json_object_set_new(o, "timeliness", timeliness_json(v, r->target_wd,
	    r->icpc_overdue, !is_group));
	return o;
}

static json_t *
agency_json(const struct stats_report *r, const struct stats_agency *a,
    int as_group)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:o, s:o}",
	    as_group ? "key" : "agency", a->code,
	    "name", a->name,
	    "statutory", a->statutory,
	    "held", (json_int_t)r->total.v[STATS_HELD],
	    "invited", (json_int_t)a->invited,
	    "present", (json_int_t)a->present,
	    "contributed", (json_int_t)a->contributed,
	    "missing", (json_int_t)a->missing,
	    "missing_contributed", (json_int_t)a->missing_contributed,
	    "added_on_day", (json_int_t)a->added_on_day,
	    "attendance_rate", jshare(a->present, a->invited),
	    "missing_share", jshare(a->missing, r->total.v[STATS_HELD]));
	return o;
}

static json_t *
org_json(const struct stats_org *o)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I, "
	    "s:I, s:I}}",
	    "organisation", o->name,
	    "agency", o->agency,
	    "invited", (json_int_t)o->invited,
	    "present", (json_int_t)o->present,
	    "contributed", (json_int_t)o->contributed,
	    "attendance_rate", jshare(o->present, o->invited),
	    "responses",
	    "invited", (json_int_t)o->people,
	    "accepted", (json_int_t)o->accepted,
	    "declined", (json_int_t)o->declined,
	    "tentative", (json_int_t)o->tentative,
	    "no_reply", (json_int_t)o->no_reply);
}

static const char *
group_name(enum stats_group g)
{
	switch (g) {
	case STATS_GROUP_TEAM:
		return "team";
	case STATS_GROUP_AGENCY:
		return "agency";
	default:
		return "month";
	}
}

json_t *
stats_report_json(const struct stats_report *r)
{
	json_t *o, *groups, *att, *orgs, *filters;
	size_t i;

	filters = json_pack("{s:o, s:o, s:o, s:o, s:o, s:s}",
	    "from", r->f.from[0] ? json_string(r->f.from) : json_null(),
	    "to", r->f.to[0] ? json_string(r->f.to) : json_null(),
	    "team", r->f.team[0] ? json_string(r->f.team) : json_null(),
	    "kind", r->f.kind[0] ? json_string(r->f.kind) : json_null(),
	    "format", r->f.format[0] ? json_string(r->f.format) : json_null(),
	    "group_by", group_name(r->f.group));
	groups = json_array();
	att = json_array();
	orgs = json_array();
	if (r->f.group == STATS_GROUP_AGENCY)
		for (i = 0; i < r->nagencies; i++)
			json_array_append_new(groups, agency_json(r,
			    &r->agencies[i], 1));
	else
		for (i = 0; i < r->ngroups; i++)
			json_array_append_new(groups, counts_json(r,
			    &r->groups[i], 1));
	for (i = 0; i < r->nagencies; i++)
		json_array_append_new(att, agency_json(r, &r->agencies[i], 0));
	for (i = 0; i < r->norgs; i++)
		json_array_append_new(orgs, org_json(&r->orgs[i]));
	o = json_pack("{s:o*, s:o*, s:o*, s:o*, s:b, s:o*}",
	    "filters", filters,
	    "totals", counts_json(r, &r->total, 0),
	    "attendance", att,
	    "organisations", orgs,
	    "organisations_truncated", r->orgs_truncated,
	    "groups", groups);
	return o;
}

/* ---- CSV ---------------------------------------------------------------- */

void
stats_csv_bom(struct buf *b)
{
	buf_append(b, "\xEF\xBB\xBF", 3);
}

void
stats_csv_text(struct buf *b, const char *s, int first)
{
	const char *p;
	int quote;

	if (!first)
		buf_append(b, ",", 1);
	if (s == NULL || s[0] == '\0')
		return;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	/* A leading = + - @ (or TAB or CR) makes a spreadsheet read a
	 * formula; an apostrophe makes it text. */
	if (strchr("=+-@\t\r", s[0]) != NULL) {
		quote = 1;
		buf_puts(b, "\"'");
	} else if (quote)
		buf_append(b, "\"", 1);
	if (!quote) {
		buf_puts(b, s);
		return;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			buf_append(b, "\"\"", 2);
		else
			buf_append(b, p, 1);
	}
	buf_append(b, "\"", 1);
}

void
stats_csv_int(struct buf *b, long long v, int first)
{
	buf_printf(b, "%s%lld", first ? "" : ",", v);
}

void
stats_csv_end(struct buf *b)
{
	buf_append(b, "\r\n", 2);
}

static void
csv_date(struct buf *b, long day)
{
	char s[WORKDAYS_DATE_MAX];

	if (workdays_format(day, s, sizeof(s)) != 0)
		s[0] = '\0';
	stats_csv_text(b, s, 0);
}

/* A percentage with one decimal place; empty when den is 0. */
static void
csv_pct(struct buf *b, long long num, long long den)
{
	if (den <= 0) {
		buf_append(b, ",", 1);
		return;
	}
	buf_printf(b, ",%.1f", floor((double)num / (double)den * 1000.0 +
	    0.5) / 10.0);
}

static void
csv_mean(struct buf *b, long long sum, long long n)
{
	if (n <= 0) {
		buf_append(b, ",", 1);
		return;
	}
	buf_printf(b, ",%.1f", floor((double)sum / (double)n * 10.0 + 0.5) /
	    10.0);
}

/*
 * The figures a CSV column can show: the summary's measures (enum
 * stats_col), then these derived ones.
 */
enum {
	FIG_TARGET = STATS_NCOLS,	/* the authority's target */
	FIG_CONCERN_WITHIN,
	FIG_ICPC_WITHIN,
	FIG_ADDED_ON_DAY,
	FIG_N
};

enum csv_how {
	CSV_COUNT,	/* fig */
	CSV_PCT,	/* fig / den as a percentage */
	CSV_MEAN,	/* fig / den, one decimal place */
	CSV_AGENCIES	/* a column per agency for each per-agency measure */
};

/*
 * The columns of the counts' CSV (after group_by, key, from, to), the one
 * list its header and its rows are written from. CSV_AGENCIES gives the
 * STATS_AGENCY_MEASURES columns, PREFIX_CODE for each agency they cover.
 */
static const struct {
	const char	*name;
	enum csv_how	 how;
	int		 fig, den;
} counts_cols[] = {
	{ "discussions", CSV_COUNT, STATS_N, 0 },
	{ "scheduled", CSV_COUNT, STATS_SCHEDULED, 0 },
	{ "held", CSV_COUNT, STATS_HELD, 0 },
	{ "multi_agency", CSV_COUNT, STATS_MULTI_AGENCY, 0 },
	{ "multi_agency_pct", CSV_PCT, STATS_MULTI_AGENCY, STATS_HELD },
	{ "partial", CSV_COUNT, STATS_PARTIAL, 0 },
	{ "partial_pct", CSV_PCT, STATS_PARTIAL, STATS_HELD },
	{ "single_agency", CSV_COUNT, STATS_SINGLE_AGENCY, 0 },
	{ "single_agency_pct", CSV_PCT, STATS_SINGLE_AGENCY, STATS_HELD },
	{ "cancelled", CSV_COUNT, STATS_CANCELLED, 0 },
	{ NULL, CSV_AGENCIES, 0, 0 },
	{ "child_views_recorded", CSV_COUNT, STATS_CHILD_VIEWS_RECORDED, 0 },
	{ "child_views_recorded_pct", CSV_PCT, STATS_CHILD_VIEWS_RECORDED,
	    STATS_HELD },
	{ "signed_off", CSV_COUNT, STATS_SIGNED_OFF, 0 },
	{ "signed_off_pct", CSV_PCT, STATS_SIGNED_OFF, STATS_HELD },
	{ "flagged", CSV_COUNT, STATS_FLAGGED, 0 },
	{ "reviewed_agree", CSV_COUNT, STATS_REVIEWED_AGREE, 0 },
	{ "practice_concerns", CSV_COUNT, STATS_PRACTICE_CONCERN, 0 },
	{ "unreviewed_flags", CSV_COUNT, STATS_UNREVIEWED_FLAGS, 0 },
	{ "concern_target_working_days", CSV_COUNT, FIG_TARGET, 0 },
	{ "concern_within_target", CSV_COUNT, FIG_CONCERN_WITHIN, 0 },
	{ "concern_within_target_pct", CSV_PCT, FIG_CONCERN_WITHIN,
	    STATS_HELD },
	{ "concern_mean_working_days", CSV_MEAN, STATS_CD_SUM, STATS_HELD },
	{ "section47_enquiries", CSV_COUNT, STATS_S47, 0 },
	{ "conferences", CSV_COUNT, STATS_ICPC_HELD, 0 },
	{ "conferences_within_15", CSV_COUNT, FIG_ICPC_WITHIN, 0 },
	{ "conferences_within_15_pct", CSV_PCT, FIG_ICPC_WITHIN,
	    STATS_ICPC_HELD },
	{ "conference_not_required", CSV_COUNT, STATS_ICPC_NOT_REQUIRED, 0 },
	{ "conference_awaiting", CSV_COUNT, STATS_ICPC_AWAITING, 0 },
	{ "added_on_day", CSV_COUNT, FIG_ADDED_ON_DAY, 0 },
};

#define NCOUNTS_COLS	(sizeof(counts_cols) / sizeof(counts_cols[0]))

static void
figures(const struct stats_report *r, const struct stats_counts *c,
    long long *fig)
{
	memcpy(fig, c->v, sizeof(c->v));
	fig[FIG_TARGET] = r->target_wd;
	fig[FIG_CONCERN_WITHIN] = stats_concern_within(c->v, r->target_wd);
	fig[FIG_ICPC_WITHIN] = stats_icpc_within(c->v);
	fig[FIG_ADDED_ON_DAY] = stats_added_on_day(r, c);
}

/* Whether agency i has a column for per-agency measure m. */
static int
agency_col(const struct stats_report *r, size_t m, size_t i)
{
	return agency_measures[m].every || r->agencies[i].shown;
}

static void
csv_counts(struct buf *b, const struct stats_report *r, const char *group,
    const struct stats_counts *c)
{
	long long fig[FIG_N];
	size_t k, m, i;

	figures(r, c, fig);
	stats_csv_text(b, group, 1);
	stats_csv_text(b, c->key, 0);
	csv_date(b, c->from_day);
	csv_date(b, c->to_day);
	for (k = 0; k < NCOUNTS_COLS; k++) {
		switch (counts_cols[k].how) {
		case CSV_COUNT:
			stats_csv_int(b, fig[counts_cols[k].fig], 0);
			break;
		case CSV_PCT:
			csv_pct(b, fig[counts_cols[k].fig],
			    fig[counts_cols[k].den]);
			break;
		case CSV_MEAN:
			csv_mean(b, fig[counts_cols[k].fig],
			    fig[counts_cols[k].den]);
			break;
		case CSV_AGENCIES:
			for (m = 0; m < STATS_NAM; m++)
				for (i = 0; i < r->nagencies; i++)
					if (agency_col(r, m, i))
						stats_csv_int(b,
						    c->agency[m][i], 0);
			break;
		}
	}
	stats_csv_end(b);
}

static const char *const agency_header[] = {
	"group_by", "key", "agency", "statutory", "from", "to", "held",
	"invited", "present", "contributed", "missing", "attendance_rate_pct",
	"missing_pct", "missing_contributed", "added_on_day", NULL
};

static void
csv_header(struct buf *b, const char *const *h)
{
	size_t i;

	for (i = 0; h[i] != NULL; i++)
		stats_csv_text(b, h[i], i == 0);
	stats_csv_end(b);
}

/* The counts' header row, from counts_cols. */
static void
csv_counts_header(struct buf *b, const struct stats_report *r)
{
	static const char *const lead[] = { "group_by", "key", "from", "to" };
	char name[64];
	size_t k, m, i;

	for (k = 0; k < sizeof(lead) / sizeof(lead[0]); k++)
		stats_csv_text(b, lead[k], k == 0);
	for (k = 0; k < NCOUNTS_COLS; k++) {
		if (counts_cols[k].how != CSV_AGENCIES) {
			stats_csv_text(b, counts_cols[k].name, 0);
			continue;
		}
		for (m = 0; m < STATS_NAM; m++)
			for (i = 0; i < r->nagencies; i++) {
				if (!agency_col(r, m, i))
					continue;
				snprintf(name, sizeof(name), "%s_%s",
				    agency_measures[m].csv,
				    r->agencies[i].code);
				stats_csv_text(b, name, 0);
			}
	}
	stats_csv_end(b);
}

int
stats_report_csv(const struct stats_report *r, struct buf *b)
{
	const struct stats_agency *a;
	size_t i;

	stats_csv_bom(b);
	if (r->f.group == STATS_GROUP_AGENCY) {
		csv_header(b, agency_header);
		for (i = 0; i < r->nagencies; i++) {
			a = &r->agencies[i];
			stats_csv_text(b, "agency", 1);
			stats_csv_text(b, a->code, 0);
			stats_csv_text(b, a->name, 0);
			stats_csv_text(b, a->statutory ? "yes" : "no", 0);
			csv_date(b, r->f.from_day);
			csv_date(b, r->f.to_day);
			stats_csv_int(b, r->total.v[STATS_HELD], 0);
			stats_csv_int(b, a->invited, 0);
			stats_csv_int(b, a->present, 0);
			stats_csv_int(b, a->contributed, 0);
			stats_csv_int(b, a->missing, 0);
			csv_pct(b, a->present, a->invited);
			csv_pct(b, a->missing, r->total.v[STATS_HELD]);
			stats_csv_int(b, a->missing_contributed, 0);
			stats_csv_int(b, a->added_on_day, 0);
			stats_csv_end(b);
		}
		return b->failed ? -1 : 0;
	}
	csv_counts_header(b, r);
	csv_counts(b, r, "total", &r->total);
	for (i = 0; i < r->ngroups; i++)
		csv_counts(b, r, group_name(r->f.group), &r->groups[i]);
	return b->failed ? -1 : 0;
}

/* ---- list exports --------------------------------------------------------- */

/*
 * $1-$4 as SUMMARY_WHERE, $5 from, $6 to, $7 classification, $8 status,
 * $9 missing agency, $10 review, $11 signed_off (0/1), $12 child views
 * (0/1), $13 concern (within/late), $14 icpc, $15 today.
 */
#define LIST_FROM \
	" FROM stats_fact f JOIN discussions d ON d.id = f.discussion_id" \
	" JOIN cases c ON c.id = d.case_id JOIN teams t ON t.id = d.team_id" \
	" JOIN authorities au ON au.id = f.authority_id" \
	" LEFT JOIN discussion_reviews rv ON rv.discussion_id = d.id" \
	" WHERE f.authority_id = $1" \
	" AND ($2::bigint IS NULL OR f.team_id = $2)" \
	" AND ($3::text IS NULL OR f.kind = $3)" \
	" AND ($4::text IS NULL OR f.format = $4)" \
	" AND f.day >= $5::date AND f.day <= $6::date" \
	" AND ($7::text IS NULL OR (f.held = 1 AND" \
	"  d.actual_classification = $7))" \
	" AND ($8::text IS NULL OR d.status = $8)" \
	" AND ($9::text IS NULL OR (f.held = 1 AND" \
	"  $9 = ANY (d.actual_missing)))" \
	" AND ($10::text IS NULL OR ($10 = 'flagged' AND f.flagged = 1)" \
	"  OR ($10 = 'unreviewed' AND f.unreviewed_flags = 1)" \
	"  OR ($10 = 'agree' AND f.reviewed_agree = 1)" \
	"  OR ($10 = 'practice_concern' AND f.practice_concern = 1))" \
	" AND ($11::integer IS NULL OR (f.held = 1 AND" \
	"  f.signed_off = $11::integer))" \
	" AND ($12::integer IS NULL OR (f.held = 1 AND" \
	"  f.child_views_recorded = $12::integer))" \
	" AND ($13::text IS NULL OR (f.held = 1 AND" \
	"  (f.cd_sum <= au.target_working_days) = ($13 = 'within')))" \
	" AND ($14::text IS NULL OR ($14 = 's47' AND f.s47 = 1)" \
	"  OR ($14 = 'within' AND f.ic_0_10 + f.ic_11_15 = 1)" \
	"  OR ($14 = 'late' AND f.icpc_held = 1" \
	"   AND f.ic_0_10 + f.ic_11_15 = 0)" \
	"  OR ($14 = 'not_required' AND f.icpc_not_required = 1)" \
	"  OR ($14 = 'awaiting' AND f.icpc_awaiting = 1)" \
	"  OR ($14 = 'overdue' AND f.icpc_awaiting = 1" \
	"   AND working_days_between(f.day, $15::date) > 15))"

#define NLIST	15

struct lparams {
	struct qparams	 q;
	char		 today[WORKDAYS_DATE_MAX];
};

static void
lparams_init(struct lparams *l, const struct stats_filter *f)
{
	qparams_init(&l->q, f);
	l->q.p[4] = l->q.from;
	l->q.p[5] = l->q.to;
#define NZ(s) ((s)[0] != '\0' ? (s) : NULL)
	l->q.p[6] = NZ(f->classification);
	l->q.p[7] = NZ(f->status);
	l->q.p[8] = NZ(f->missing);
	l->q.p[9] = NZ(f->review);
	l->q.p[10] = f->signed_off[0] ? (f->signed_off[0] == 'y' ? "1" :
	    "0") : NULL;
	l->q.p[11] = f->child_views[0] ? (f->child_views[0] == 'y' ? "1" :
	    "0") : NULL;
	l->q.p[12] = NZ(f->concern);
	l->q.p[13] = NZ(f->icpc);
#undef NZ
	l->q.p[14] = l->today;
}

static int
today_str(struct db *db, char *out)
{
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT to_char((now() AT TIME ZONE "
	    "'Europe/London')::date, 'YYYY-MM-DD')", 0, NULL) != 0)
		return -1;
	if (db_res_get(&r, 0, 0) != NULL) {
		str_copy(out, db_res_get(&r, 0, 0), WORKDAYS_DATE_MAX);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

static json_t *
load_json_value(struct db_res *r)
{
	const char *v = db_res_get(r, 0, 0);

	return v != NULL ? json_loads(v, 0, NULL) : NULL;
}

int
stats_list(struct db *db, const struct stats_filter *f, long limit,
    long offset, json_t **out, struct verr *e)
{
	struct lparams l;
	char lim[ID_LEN], off[ID_LEN];
	const char *p[NLIST + 2];
	struct db_res r;
	json_t *o;

	*out = NULL;
	if (limit < 1 || limit > STATS_LIST_MAX)
		limit = STATS_LIST_MAX;
	lparams_init(&l, f);
	if (today_str(db, l.today) != 0)
		return internal(e);
	memcpy(p, l.q.p, NLIST * sizeof(p[0]));
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset < 0 ? 0 : offset);
	p[NLIST] = lim;
	p[NLIST + 1] = off;
	if (snapshot_begin(db) != 0)
		return internal(e);
	if (db_exec(db, &r, "SELECT json_build_object('total', (SELECT "
	    "count(*)" LIST_FROM "), 'discussions', coalesce((SELECT "
	    "json_agg(x) FROM (SELECT d.id, c.case_ref, t.name AS team, "
	    "d.kind, d.format, d.starts_at, to_char(f.day, 'YYYY-MM-DD') AS "
	    "date, d.status, d.actual_classification AS classification, "
	    "to_json(coalesce(d.actual_missing, '{}')) AS missing_agencies, "
	    "to_json(coalesce(d.actual_contributed, '{}')) AS "
	    "contributed_agencies, CASE WHEN f.held = 1 THEN "
	    "f.child_views_recorded = 1 END AS child_views_recorded, "
	    "CASE WHEN f.held = 1 THEN f.cd_sum END AS concern_working_days, "
	    "CASE WHEN f.flagged = 1 THEN coalesce(rv.decision, 'unreviewed') "
	    "END AS review, f.signed_off = 1 AS signed_off, f.s47 = 1 AS s47, "
	    "CASE WHEN f.icpc_held = 1 THEN to_char(f.icpc_date, "
	    "'YYYY-MM-DD') WHEN f.icpc_not_required = 1 THEN 'not required' "
	    "WHEN f.icpc_awaiting = 1 THEN 'awaiting' END AS conference, "
	    "CASE WHEN f.icpc_held = 1 THEN f.ic_sum END AS "
	    "conference_working_days" LIST_FROM " ORDER BY d.starts_at DESC, "
	    "d.id DESC LIMIT $16 OFFSET $17) x), '[]'))", NLIST + 2, p) != 0) {
		db_rollback(db);
		return internal(e);
	}
	o = load_json_value(&r);
	db_res_free(&r);
	if (o == NULL || db_commit(db) != 0) {
		db_rollback(db);
		json_decref(o);
		return internal(e);
	}
	if (json_integer_value(json_object_get(o, "total")) > STATS_LIST_MAX &&
	    limit == STATS_LIST_MAX) {
		json_decref(o);
		return verr_set(e, 422, "from", "the list has more than %d "
		    "discussions; narrow the dates or filters", STATS_LIST_MAX);
	}
	*out = o;
	return 0;
}

/* One value of a JSON row as CSV text. */
static void
csv_json(struct buf *b, json_t *v, int first)
{
	char num[32];
	size_t i;
	struct buf tmp;

	if (v == NULL || json_is_null(v))
		stats_csv_text(b, "", first);
	else if (json_is_string(v))
		stats_csv_text(b, json_string_value(v), first);
	else if (json_is_true(v))
		stats_csv_text(b, "yes", first);
	else if (json_is_false(v))
		stats_csv_text(b, "no", first);
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		stats_csv_text(b, num, first);
	} else if (json_is_array(v)) {
		buf_init(&tmp, 4096);
		for (i = 0; i < json_array_size(v); i++)
			buf_printf(&tmp, "%s%s", i ? " " : "",
			    json_string_value(json_array_get(v, i)) ?
			    json_string_value(json_array_get(v, i)) : "");
		stats_csv_text(b, buf_cstr(&tmp), first);
		buf_free(&tmp);
	} else
		stats_csv_text(b, "", first);
}

int
stats_csv_rows(json_t *rows, const struct stats_csv_col *cols, struct buf *b)
{
	size_t i, j;
	json_t *row;

	stats_csv_bom(b);
	for (j = 0; cols[j].header != NULL; j++)
		stats_csv_text(b, cols[j].header, j == 0);
	stats_csv_end(b);
	json_array_foreach(rows, i, row) {
		for (j = 0; cols[j].header != NULL; j++)
			csv_json(b, json_object_get(row, cols[j].key), j == 0);
		stats_csv_end(b);
	}
	return b->failed ? -1 : 0;
}

int
stats_list_csv(json_t *list, struct buf *b)
{
	static const struct stats_csv_col cols[] = {
		{ "id", "id" }, { "case_ref", "case_ref" }, { "team", "team" },
		{ "kind", "kind" }, { "format", "format" }, { "date", "date" },
		{ "starts_at", "starts_at" }, { "status", "status" },
		{ "classification", "classification" },
		{ "missing_agencies", "missing_agencies" },
		{ "contributed_agencies", "contributed_agencies" },
		{ "child_views_recorded", "child_views_recorded" },
		{ "concern_working_days", "concern_working_days" },
		{ "review", "review" }, { "signed_off", "signed_off" },
		{ "section47", "s47" }, { "conference", "conference" },
		{ "conference_working_days", "conference_working_days" },
		{ NULL, NULL }
	};

	return stats_csv_rows(json_object_get(list, "discussions"), cols, b);
}

int
stats_section47(struct db *db, const struct stats_filter *f, json_t **out,
    struct verr *e)
{
	struct stats_filter g = *f;
	struct lparams l;
	struct db_res r;
	json_t *o;

	*out = NULL;
	/* Every Section 47 enquiry in the period; the list filters that
	 * are about the conference still apply. */
	if (g.icpc[0] == '\0')
		str_copy(g.icpc, "s47", sizeof(g.icpc));
	lparams_init(&l, &g);
	if (today_str(db, l.today) != 0)
		return internal(e);
	if (snapshot_begin(db) != 0)
		return internal(e);
	if (db_exec(db, &r, "SELECT json_build_object('enquiries', "
	    "coalesce((SELECT json_agg(x) FROM (SELECT c.case_ref, t.name AS "
	    "team, (SELECT coalesce(nullif(w.display_name, ''), w.username) FROM "
	    "users w WHERE w.id = c.allocated_worker_id) AS worker, "
	    "to_char(f.day, 'YYYY-MM-DD') AS strategy_discussion_date, "
	    "(SELECT v.words FROM outcomes o JOIN vocabulary v ON v.list = "
	    "'section47' AND v.code = o.decision WHERE o.discussion_id = d.id "
	    "ORDER BY v.sort_order LIMIT 1) AS decision, CASE WHEN "
	    "f.icpc_held = 1 THEN "
	    "to_char(f.icpc_date, 'YYYY-MM-DD') WHEN f.icpc_not_required = 1 "
	    "THEN 'not required' END AS conference, CASE WHEN f.icpc_held = 1 "
	    "THEN f.ic_sum END AS working_days, CASE WHEN f.icpc_held = 1 THEN "
	    "f.ic_sum <= 15 END AS within_15, d.id AS discussion_id"
	    LIST_FROM " AND f.s47 = 1 ORDER BY f.day, d.id LIMIT 100001) x), "
	    "'[]'))" , NLIST, l.q.p) != 0) {
		db_rollback(db);
		return internal(e);
	}
	o = load_json_value(&r);
	db_res_free(&r);
	if (o == NULL || db_commit(db) != 0) {
		db_rollback(db);
		json_decref(o);
		return internal(e);
	}
	if (json_array_size(json_object_get(o, "enquiries")) > STATS_LIST_MAX) {
		json_decref(o);
		return verr_set(e, 422, "from", "the list has more than %d "
		    "enquiries; narrow the dates or filters", STATS_LIST_MAX);
	}
	*out = o;
	return 0;
}

int
stats_section47_csv(json_t *list, struct buf *b)
{
	static const struct stats_csv_col cols[] = {
		{ "Case reference", "case_ref" },
		{ "Team", "team" },
		{ "Allocated worker", "worker" },
		{ "Strategy discussion date", "strategy_discussion_date" },
		{ "Section 47 enquiry", "decision" },
		{ "Initial child protection conference date",
		    "conference" },
		{ "Working days from strategy discussion to conference",
		    "working_days" },
		{ "Within 15 working days", "within_15" },
		{ "Strategy discussion id", "discussion_id" },
		{ NULL, NULL }
	};

	return stats_csv_rows(json_object_get(list, "enquiries"), cols, b);
}
