/*
 * model_list: reading the list of strategy discussions a person may see into
 * typed summaries, and the API's view of them. One statement returns plain
 * columns (the page's rows and the total over every page); they are copied
 * into one block of storage the list owns, so a list is three allocations
 * and model_list_free releases all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "ltime.h"
#include "meeting.h"
#include "model_list.h"
#include "str.h"
#include "vocab.h"

#define ID_LEN	24

/* ---- filters ------------------------------------------------------------- */

static int
check_filter(const struct discussion_filter *f, char *from, char *to,
    struct verr *e)
{
	char err[160];
	int y, m, d;

	from[0] = to[0] = '\0';
	if (f->from != NULL && f->from[0] != '\0') {
		if (ltime_parse_date(f->from, &y, &m, &d, err, sizeof(err)))
			return verr_set(e, 400, "from", "from: %s", err);
		snprintf(from, 11, "%04d-%02d-%02d", y, m, d);
	}
	if (f->to != NULL && f->to[0] != '\0') {
		if (ltime_parse_date(f->to, &y, &m, &d, err, sizeof(err)))
			return verr_set(e, 400, "to", "to: %s", err);
		snprintf(to, 11, "%04d-%02d-%02d", y, m, d);
	}
	if (f->classification != NULL && f->classification[0] != '\0' &&
	    !vocab_has(VOCAB_CLASSIFICATION, f->classification))
		return verr_set(e, 400, "classification", "classification: must "
		    "be multi_agency, partial or single_agency");
	if (f->status != NULL && f->status[0] != '\0' &&
	    !vocab_has(VOCAB_STATUS, f->status))
		return verr_set(e, 400, "status", "status: must be scheduled, "
		    "held or cancelled");
	return 0;
}

/* ---- the statement ------------------------------------------------------- */

/* Visibility ($1 authority, $2 a social worker's team) and the filters. */
#define LIST_WHERE \
	" FROM discussions d JOIN cases c ON c.id = d.case_id" \
	" JOIN teams t ON t.id = d.team_id" \
	" WHERE d.authority_id = $1 AND ($2::bigint IS NULL OR d.team_id = $2" \
	"  OR c.team_id = $2)" \
	" AND ($3::date IS NULL OR d.starts_at >= ($3::date)::timestamp" \
	"  AT TIME ZONE 'Europe/London')" \
	" AND ($4::date IS NULL OR d.starts_at < ($4::date + 1)::timestamp" \
	"  AT TIME ZONE 'Europe/London')" \
	" AND ($5::text IS NULL OR coalesce(d.actual_classification," \
	"  d.planned_classification) = $5)" \
	" AND ($6::text IS NULL OR d.status = $6)" \
	" AND ($7::text IS NULL OR t.name = $7)" \
	" AND ($8::text IS NULL OR c.case_ref ILIKE" \
	"  replace(replace($8, '%', ''), '_', '\\_') || '%')"

/*
 * The total joins the page's rows so that a page past the end still says
 * how many there are: one row of NULLs then. Times are written by to_json,
 * the API's format since it was json_agg's ("2026-12-05T10:00:00+00:00",
 * London offset, fraction only when there is one). Missing agencies are
 * agency codes (^[a-z_]+$, sql/001), so a comma joins them safely; NULL
 * stays NULL.
 */
/*
 * The total. Unfiltered (the list as it opens), it is the scope's kept
 * total (sql/042_list_totals.sql: $2's team, or 0 for the whole authority),
 * a sum of a few rows: counting a team's discussions was two index scans
 * over all of them, 13 ms at 45,000 and three quarters of PostgreSQL's time
 * in the 200 requests/s soak (docs/performance.md). Filtered, it is a count
 * of the matches. Each branch is an InitPlan, run only when the CASE
 * reaches it.
 */
#define LIST_TOTAL \
	"SELECT CASE WHEN $3::date IS NULL AND $4::date IS NULL AND" \
	" $5::text IS NULL AND $6::text IS NULL AND $7::text IS NULL AND" \
	" $8::text IS NULL THEN (SELECT coalesce(sum(l.n), 0) FROM" \
	" list_totals l WHERE l.authority_id = $1 AND" \
	" l.team_id = coalesce($2::bigint, 0))" \
	" ELSE (SELECT count(*)" LIST_WHERE ") END AS n"

#define LIST_SQL \
	"WITH total AS (" LIST_TOTAL ")" \
	" SELECT total.n, x.id, x.uid, x.case_ref, x.team, x.kind, x.format," \
	" x.starts_at, x.ends_at, x.status, x.planned_classification," \
	" x.classification, x.missing, x.sequence FROM total LEFT JOIN" \
	" (SELECT d.id, d.uid, c.case_ref, t.name AS team, d.kind, d.format," \
	" to_json(d.starts_at) #>> '{}' AS starts_at," \
	" to_json(d.ends_at) #>> '{}' AS ends_at, d.status," \
	" d.planned_classification, d.actual_classification AS" \
	" classification, array_to_string(CASE WHEN d.status = 'held'" \
	" THEN d.actual_missing ELSE d.planned_missing END, ',') AS missing," \
	" d.sequence, d.starts_at AS sort_at" LIST_WHERE \
	" ORDER BY d.starts_at DESC, d.id DESC LIMIT $9 OFFSET $10) x ON true" \
	" ORDER BY x.sort_at DESC, x.id DESC"

enum {
	C_TOTAL, C_ID, C_UID, C_CASE_REF, C_TEAM, C_KIND, C_FORMAT,
	C_STARTS_AT, C_ENDS_AT, C_STATUS, C_PLANNED, C_CLASS, C_MISSING,
	C_SEQUENCE
};

/* The string columns, copied into the list's storage. */
static const int string_cols[] = { C_UID, C_CASE_REF, C_TEAM, C_KIND,
	C_FORMAT, C_STATUS, C_PLANNED, C_CLASS, C_MISSING };
#define NSTRING_COLS	(sizeof(string_cols) / sizeof(string_cols[0]))

/* ---- decoding ------------------------------------------------------------ */

/* A copy of s at *at (advanced past it); NULL for NULL. */
static char *
put(char **at, const char *s)
{
	char *p = *at;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(p, s, n);
	*at += n;
	return p;
}

/* "police,health" (in place) into l. */
static void
split_agencies(char *s, struct agency_list *l)
{
	char *comma;

	l->n = 0;
	while (s != NULL && s[0] != '\0' && l->n < MODEL_MAX_AGENCIES) {
		l->codes[l->n++] = s;
		if ((comma = strchr(s, ',')) == NULL)
			break;
		*comma = '\0';
		s = comma + 1;
	}
}

static void
summary_of(const struct db_res *r, int row, char **at,
    struct discussion_summary *s)
{
	char *missing;

	s->id = db_res_long(r, row, C_ID, 0);
	s->uid = put(at, db_res_get(r, row, C_UID));
	s->case_ref = put(at, db_res_get(r, row, C_CASE_REF));
	s->team = put(at, db_res_get(r, row, C_TEAM));
	s->kind = put(at, db_res_get(r, row, C_KIND));
	s->format = put(at, db_res_get(r, row, C_FORMAT));
	str_copy(s->starts_at, db_res_get(r, row, C_STARTS_AT) ?
	    db_res_get(r, row, C_STARTS_AT) : "", sizeof(s->starts_at));
	str_copy(s->ends_at, db_res_get(r, row, C_ENDS_AT) ?
	    db_res_get(r, row, C_ENDS_AT) : "", sizeof(s->ends_at));
	s->status = put(at, db_res_get(r, row, C_STATUS));
	s->planned_classification = put(at, db_res_get(r, row, C_PLANNED));
	s->classification = put(at, db_res_get(r, row, C_CLASS));
	missing = put(at, db_res_get(r, row, C_MISSING));
	s->missing_known = missing != NULL;
	split_agencies(missing, &s->missing);
	s->sequence = db_res_long(r, row, C_SEQUENCE, 0);
}

/* The list of r's rows; NULL when out of memory. */
static struct discussion_list *
decode(const struct db_res *r)
{
	struct discussion_list *l;
	const char *v;
	size_t bytes = 1, i, k;
	int n, row;
	char *at;

	/* Only the row of NULLs (no id) when the page is empty. */
	n = db_res_rows(r);
	if (n > 0 && db_res_get(r, 0, C_ID) == NULL)
		n = 0;
	for (row = 0; row < n; row++)
		for (k = 0; k < NSTRING_COLS; k++)
			if ((v = db_res_get(r, row, string_cols[k])) != NULL)
				bytes += strlen(v) + 1;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->total = db_res_long(r, 0, C_TOTAL, 0);
	if ((l->strings = malloc(bytes)) == NULL ||
	    (n > 0 && (l->items = calloc((size_t)n, sizeof(*l->items))) ==
	    NULL)) {
		model_list_free(l);
		return NULL;
	}
	at = l->strings;
	for (i = 0; i < (size_t)n; i++)
		summary_of(r, (int)i, &at, &l->items[i]);
	l->n = (size_t)n;
	return l;
}

/* ---- reading ------------------------------------------------------------- */

#define NZ(s) ((s) != NULL && (s)[0] != '\0' ? (s) : NULL)

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

int
model_list_load(struct db *db, const struct auth_user *u,
    const struct discussion_filter *f, struct discussion_list **out,
    struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN], from[11], to[11], lim[ID_LEN],
	    off[ID_LEN];
	const char *p[10];
	struct db_res r;
	struct discussion_list *l;
	long page = f->page > 0 ? f->page : 1;
	long per = f->per_page > 0 ? f->per_page : MODEL_LIST_PER_PAGE;
	int result = -1;

	*out = NULL;
	if (check_filter(f, from, to, e) != 0)
		goto out;
	if (per > MODEL_LIST_PER_PAGE_MAX)
		per = MODEL_LIST_PER_PAGE_MAX;
	if (page > MODEL_LIST_PAGE_MAX) {
		verr_set(e, 400, "page", "page: too large");
		goto out;
	}
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(lim, sizeof(lim), "%ld", per);
	snprintf(off, sizeof(off), "%ld", (page - 1) * per);
	p[0] = aid;
	p[1] = u->role == ROLE_SOCIAL_WORKER ? tid : NULL;
	p[2] = NZ(from);
	p[3] = NZ(to);
	p[4] = NZ(f->classification);
	p[5] = NZ(f->status);
	p[6] = NZ(f->team);
	p[7] = NZ(f->q);
	p[8] = lim;
	p[9] = off;
	if (db_exec(db, &r, LIST_SQL, 10, p) != 0) {
		internal(e);
		goto out;
	}
	l = decode(&r);
	db_res_free(&r);
	if (l == NULL) {
		internal(e);
		goto out;
	}
	l->page = page;
	l->per_page = per;
	*out = l;
	result = 0;
out:
	return result;
}

void
model_list_free(struct discussion_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	free(l->strings);
	free(l);
}

/* ---- the API view -------------------------------------------------------- */

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
jmissing(const struct discussion_summary *s)
{
	json_t *a;
	size_t i;

	if (!s->missing_known)
		return json_null();
	a = json_array();
	for (i = 0; a != NULL && i < s->missing.n; i++)
		json_array_append_new(a, json_string(s->missing.codes[i]));
	return a;
}

json_t *
model_summary_json(const struct discussion_summary *s)
{
	/* Keys in the order json_agg wrote them before this view. */
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:o, "
	    "s:o, s:o, s:I}", "id", (json_int_t)s->id, "uid", jstr(s->uid),
	    "case_ref", jstr(s->case_ref), "team", jstr(s->team), "kind",
	    jstr(s->kind), "format", jstr(s->format), "starts_at",
	    s->starts_at, "ends_at", s->ends_at, "status", jstr(s->status),
	    "planned_classification", jstr(s->planned_classification),
	    "classification", jstr(s->classification), "missing_agencies",
	    jmissing(s), "sequence", (json_int_t)s->sequence);
}

json_t *
model_list_json(const struct discussion_list *l)
{
	json_t *a, *m;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if ((m = model_summary_json(&l->items[i])) == NULL ||
		    json_array_append_new(a, m) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return json_pack("{s:o, s:I, s:I, s:I}", "meetings", a, "total",
	    (json_int_t)l->total, "page", (json_int_t)l->page, "per_page",
	    (json_int_t)l->per_page);
}
