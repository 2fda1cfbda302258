/*
 * stats_api: the statistics routes of the JSON API (figures, CSV, the list
 * of discussions behind a figure, the Section 47 / Annex A export), managers'
 * review and sign-off of discussions, the initial conference recorded on a
 * case, and the admin-editable bank holidays. Reads of figures go to the
 * read replica when one is configured (falling back to the primary), so
 * heavy reporting never slows down booking; every write goes to the
 * primary in one transaction with its audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "input.h"
#include "meeting.h"
#include "annex.h"
#include "api.h"
#include "approval.h"
#include "authorise.h"
#include "cases.h"
#include "review.h"
#include "router.h"
#include "stats.h"
#include "stats_fold.h"
#include "str.h"
#include "web_stats.h"
#include "workdays.h"

#define STATS_CSV_MAX	(48 * 1024 * 1024)	/* bytes in one export */
#define STATS_DB_WAIT	2000			/* ms for a connection */

/* JSON with shares printed as 0.6667, not 0.66669999999999996. */
static int
send_json(struct http_resp *rs, int status, json_t *o)
{
	char *s;

	if (o == NULL)
		return rs->status = 500;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_decref(o);
	if (s == NULL)
		return rs->status = 500;
	http_send(rs, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
	return rs->status;
}

static int
send_csv(struct http_resp *rs, struct buf *b, const char *name,
    const struct stats_filter *f)
{
	char disp[160];

	if (b->failed)
		return rs->status = 500;
	snprintf(disp, sizeof(disp), "attachment; filename=\"convene-%s%s%s"
	    "%s%s.csv\"", name, f->from[0] ? "-from-" : "", f->from,
	    f->to[0] ? "-to-" : "", f->to);
	http_send(rs, 200, "text/csv; charset=utf-8", buf_cstr(b), b->len);
	http_resp_header(rs, "Content-Disposition", disp);
	return rs->status;
}

/*
 * The connection statistics are read from: the replica pool's when there is
 * one and it answers, else the request's own (the primary). *owner is the
 * pool to give it back to, NULL for the request's own. What is still queued
 * is folded on the primary first (a replica shows it once replayed).
 */
struct db *
stats_read_db(struct http_req *rq, struct db_pool **owner)
{
	struct db *db;

	*owner = NULL;
	(void)stats_fold_pending(rq->db);
	if (rq->app->stats_pool == NULL)
		return rq->db;
	db = db_pool_get_fallback(rq->app->stats_pool, rq->app->pool,
	    STATS_DB_WAIT, owner);
	if (db != NULL && *owner == rq->app->pool) {
		/* The replica is down: this request already holds a
		 * connection to the primary. */
		db_pool_put(*owner, db);
		*owner = NULL;
		return rq->db;
	}
	if (db == NULL) {
		*owner = NULL;
		return rq->db;
	}
	return db;
}

void
stats_read_db_put(struct db *db, struct db_pool *owner)
{
	if (owner != NULL)
		db_pool_put(owner, db);
}

static const char *
qget(void *arg, const char *key)
{
	return http_query(arg, key);
}

/* ---- figures ------------------------------------------------------------ */

static int
report(struct http_req *rq, struct http_resp *rs, int csv)
{
	struct stats_report r;
	struct stats_filter f;
	struct verr e = { 0 };
	struct db_pool *owner;
	struct db *db;
	struct buf b;
	json_t *out, *kids;
	int status;

	db = stats_read_db(rq, &owner);
	if (stats_filter_parse(db, &rq->user, qget, rq, &f, &e) != 0 ||
	    stats_report_run(db, &f, &r, &e) != 0) {
		stats_read_db_put(db, owner);
		return http_error_verr(rq, rs, &e);
	}
	/* The child-level counts the returns use, beside the figures per
	 * discussion (docs/statistics.md "Per child"), from the same
	 * connection (the replica when there is one). */
	kids = csv ? NULL : annex_counts(db, &f);
	stats_read_db_put(db, owner);
	if (!csv) {
		out = stats_report_json(&r);
		stats_report_free(&r);
		if (out == NULL || kids == NULL) {
			json_decref(out);
			json_decref(kids);
			return rs->status = 500;
		}
		json_object_set_new(out, "children", kids);
		return send_json(rs, 200, out);
	}
	buf_init(&b, STATS_CSV_MAX);
	stats_report_csv(&r, &b);
	stats_report_free(&r);
	status = send_csv(rs, &b, "statistics", &f);
	buf_free(&b);
	return status;
}

static int
h_stats(struct http_req *rq, struct http_resp *rs)
{
	return report(rq, rs, 0);
}

static int
h_stats_csv(struct http_req *rq, struct http_resp *rs)
{
	return report(rq, rs, 1);
}

/* The discussions behind a figure, as JSON pages or one CSV. */
static int
list(struct http_req *rq, struct http_resp *rs, int csv)
{
	struct stats_filter f;
	struct verr e = { 0 };
	struct db_pool *owner;
	struct db *db;
	long page = 1, per = 50;
	json_t *out = NULL;
	struct buf b;
	int status;

	if (!csv && (http_query_long(rq, rs, "page", 100000, 1, &page) != 0 ||
	    http_query_long(rq, rs, "per_page", STATS_PAGE_MAX, 50, &per) != 0))
		return rs->status;
	db = stats_read_db(rq, &owner);
	if (stats_filter_parse(db, &rq->user, qget, rq, &f, &e) != 0 ||
	    stats_list(db, &f, csv ? STATS_LIST_MAX : per,
	    csv ? 0 : (page - 1) * per, &out, &e) != 0) {
		stats_read_db_put(db, owner);
		return http_error_verr(rq, rs, &e);
	}
	stats_read_db_put(db, owner);
	if (!csv) {
		json_object_set_new(out, "page", json_integer(page));
		json_object_set_new(out, "per_page", json_integer(per));
		return send_json(rs, 200, out);
	}
	buf_init(&b, STATS_CSV_MAX);
	stats_list_csv(out, &b);
	json_decref(out);
	status = send_csv(rs, &b, "discussions", &f);
	buf_free(&b);
	return status;
}

static int
h_list(struct http_req *rq, struct http_resp *rs)
{
	return list(rq, rs, 0);
}

static int
h_list_csv(struct http_req *rq, struct http_resp *rs)
{
	return list(rq, rs, 1);
}

static int
section47(struct http_req *rq, struct http_resp *rs, int csv)
{
	struct stats_filter f;
	struct verr e = { 0 };
	struct db_pool *owner;
	struct db *db;
	json_t *out = NULL;
	struct buf b;
	int status;

	db = stats_read_db(rq, &owner);
	if (stats_filter_parse(db, &rq->user, qget, rq, &f, &e) != 0 ||
	    stats_section47(db, &f, &out, &e) != 0) {
		stats_read_db_put(db, owner);
		return http_error_verr(rq, rs, &e);
	}
	stats_read_db_put(db, owner);
	if (!csv)
		return send_json(rs, 200, out);
	buf_init(&b, STATS_CSV_MAX);
	stats_section47_csv(out, &b);
	json_decref(out);
	status = send_csv(rs, &b, "section47", &f);
	buf_free(&b);
	return status;
}

static int
h_s47(struct http_req *rq, struct http_resp *rs)
{
	return section47(rq, rs, 0);
}

/*
 * The child-level returns (server/annex.c): one row per child's Section 47
 * enquiry started in the dates, as Annex A (section47.csv) or the CIN
 * census module (cin-census.csv). Read on the primary: enquiries are
 * written by authorisation, not folded.
 */
static int
annex(struct http_req *rq, struct http_resp *rs,
    const struct stats_csv_col *cols, const char *name)
{
	struct stats_filter f;
	struct verr e = { 0 };
	json_t *out = NULL;
	struct buf b;
	int status;

	if (stats_filter_parse(rq->db, &rq->user, qget, rq, &f, &e) != 0 ||
	    annex_enquiries(rq->db, &f, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	buf_init(&b, STATS_CSV_MAX);
	stats_csv_rows(json_object_get(out, "enquiries"), cols, &b);
	json_decref(out);
	status = send_csv(rs, &b, name, &f);
	buf_free(&b);
	return status;
}

static int
h_s47_csv(struct http_req *rq, struct http_resp *rs)
{
	return annex(rq, rs, annex_a_cols, "section47");
}

static int
h_cin_csv(struct http_req *rq, struct http_resp *rs)
{
	return annex(rq, rs, annex_cin_cols, "cin-census");
}

/* ---- review and sign-off --------------------------------------------------- */

static int
path_id(struct http_req *rq, struct http_resp *rs, long *id)
{
	if (http_param_id(rq, 0, id) == 0)
		return 0;
	http_error(rq, rs, 404, "id", "there is no strategy discussion with "
	    "that id");
	return -1;
}

/* The request body as a JSON object; an empty body is an empty object
 * when allow_empty is set. */
static json_t *
body_json(struct http_req *rq, int allow_empty, struct verr *e)
{
	if (allow_empty && rq->body.len == 0)
		return json_object();
	return meeting_parse_body(rq->body.data, rq->body.len, e);
}

static int
h_review_get(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;
	long id;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	if (review_get(rq->db, &rq->user, id, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return send_json(rs, 200, out);
}

static int
h_review(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, review_flag, "strategy discussion", 0);
}

static int
h_sign_off(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, review_sign_off, "strategy discussion", 1);
}

/* ---- authorisation (server/authorise.c) --------------------------------- */

static int
authorise(struct db *db, const struct auth_user *u, long id, json_t *body,
    json_t **out, struct verr *e)
{
	return authorise_record(db, u, id, body, 0, out, e);
}

static int
h_submit(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, authorise_submit, "strategy discussion", 1);
}

static int
h_authorise(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, authorise, "strategy discussion", 0);
}

static int
h_approval(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, approval_decide, "strategy discussion", 0);
}

static int
h_versions(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;
	long id;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	if (authorise_versions(rq->db, &rq->user, id, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return send_json(rs, 200, out);
}

/* ---- the initial conference on a case ------------------------------------ */

/*
 * "/api/v1/cases/<ref>/<what>": a reference may hold "/", so the router
 * matches "/api/v1/cases/{*}" and the last segment says what is asked for.
 */
#define CASES_WHAT_MAX	16

/* Split the path's rest into ref (reflen bytes) and what (after the last
 * "/"). 0, or -1 after answering 404. */
static int
case_path(struct http_req *rq, struct http_resp *rs, char *ref, size_t reflen,
    char *what)
{
	const char *rest = rq->nparams > 0 ? rq->params[0] : "";
	const char *sl = strrchr(rest, '/');
	size_t n = sl != NULL ? (size_t)(sl - rest) : 0;

	if (sl != NULL && n > 0 && n < reflen &&
	    strlen(sl + 1) < CASES_WHAT_MAX) {
		memcpy(ref, rest, n);
		ref[n] = '\0';
		str_copy(what, sl + 1, CASES_WHAT_MAX);
		return 0;
	}
	http_error(rq, rs, 404, NULL, "there is nothing at this address");
	return -1;
}

static int
h_case_get(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;
	char ref[64], what[CASES_WHAT_MAX];
	int rc;

	if (case_path(rq, rs, ref, sizeof(ref), what) != 0)
		return rs->status;
	if (strcmp(what, "conference") == 0)
		rc = review_conference_get(rq->db, &rq->user, ref, &out, &e);
	else if (strcmp(what, "transfers") == 0)
		rc = cases_transfers_get(rq->db, &rq->user, ref, &out, &e);
	else
		return http_error(rq, rs, 404, NULL, "there is nothing at this "
		    "address");
	if (rc != 0)
		return http_error_verr(rq, rs, &e);
	return send_json(rs, 200, out);
}

/* PUT and POST .../conference record the conference; POST .../transfer
 * moves the case. */
static int
h_case_write(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	char ref[64], what[CASES_WHAT_MAX];
	int rc, transfer;

	if (case_path(rq, rs, ref, sizeof(ref), what) != 0)
		return rs->status;
	transfer = strcmp(what, "transfer") == 0 &&
	    strcmp(rq->method, "POST") == 0;
	if (!transfer && strcmp(what, "conference") != 0)
		return http_error(rq, rs, 404, NULL, "there is nothing at this "
		    "address");
	if ((body = body_json(rq, 0, &e)) == NULL)
		return http_error_verr(rq, rs, &e);
	rc = transfer ? cases_transfer(rq->db, &rq->user, ref, body, &out, &e) :
	    review_conference_set(rq->db, &rq->user, ref, body, &out, &e);
	json_decref(body);
	if (rc != 0)
		return http_error_verr(rq, rs, &e);
	return send_json(rs, 200, out);
}

/* ---- bank holidays ------------------------------------------------------- */

static int
h_holidays(struct http_req *rq, struct http_resp *rs)
{
	const char *year = http_query(rq, "year");
	const char *p[1] = { NULL };
	struct db_res r;
	json_t *o;
	long y;

	if (year != NULL && year[0] != '\0') {
		if (str_to_long(year, 1900, 2100, &y) != 0)
			return http_error(rq, rs, 400, "year", "year: must be a "
			    "year from 1900 to 2100");
		p[0] = year;
	}
	if (db_exec(rq->db, &r, "SELECT json_build_object('bank_holidays', "
	    "coalesce(json_agg(json_build_object('date', to_char(day, "
	    "'YYYY-MM-DD'), 'name', name) ORDER BY day), '[]')) FROM "
	    "bank_holidays WHERE $1::integer IS NULL OR extract(year FROM day) "
	    "= $1::integer", 1, p) != 0)
		return rs->status = 500;
	o = json_loads(db_res_get(&r, 0, 0) ? db_res_get(&r, 0, 0) : "", 0,
	    NULL);
	db_res_free(&r);
	return send_json(rs, 200, o);
}

/* The {date} of the path, checked; its yyyymmdd as the audit entity id. */
static int
path_date(struct http_req *rq, struct http_resp *rs, char *out, long *eid)
{
	long day;
	int y, m, d;

	if (rq->nparams < 1 || workdays_parse_date(rq->params[0], &day) != 0) {
		http_error(rq, rs, 404, "date", "date: the address must end "
		    "with a date like 2026-12-25");
		return -1;
	}
	workdays_format(day, out, WORKDAYS_DATE_MAX);
	workdays_to_civil(day, &y, &m, &d);
	*eid = (long)y * 10000 + m * 100 + d;
	return 0;
}

static int
h_holiday_put(struct http_req *rq, struct http_resp *rs)
{
	static const char *const keys[] = { "name", NULL };
	char date[WORKDAYS_DATE_MAX];
	const char *name, *p[2];
	struct verr e = { 0 };
	json_t *body, *before = NULL, *after = NULL;
	struct db_res r;
	long eid;
	int created;

	if (path_date(rq, rs, date, &eid) != 0)
		return rs->status;
	if ((body = body_json(rq, 0, &e)) == NULL)
		return http_error_verr(rq, rs, &e);
	if (input_known_keys(body, keys, "", &e) != 0 ||
	    input_str(body, "name", "name", INPUT_REQUIRED, 200, &name,
	    &e) != 0) {
		json_decref(body);
		return http_error_verr(rq, rs, &e);
	}
	p[0] = date;
	p[1] = name;
	if (db_begin(rq->db) != 0 ||
	    db_exec(rq->db, &r, "SELECT name FROM bank_holidays WHERE day = "
	    "$1::date FOR UPDATE", 1, p) != 0)
		goto fail;
	created = db_res_rows(&r) == 0;
	if (!created)
		before = json_pack("{s:s, s:s}", "date", date, "name",
		    db_res_get(&r, 0, 0));
	db_res_free(&r);
	after = json_pack("{s:s, s:s}", "date", date, "name", name);
	if (after == NULL || db_cmd(rq->db, "INSERT INTO bank_holidays (day, "
	    "name) VALUES ($1::date, $2) ON CONFLICT (day) DO UPDATE SET name "
	    "= EXCLUDED.name", 2, p) != 0 ||
	    audit_record(rq->db, &rq->user, "bank_holiday.set",
	    "bank_holiday", eid, before, after) != 0 ||
	    db_commit(rq->db) != 0)
		goto fail;
	json_decref(body);
	json_decref(before);
	return send_json(rs, created ? 201 : 200, after);
fail:
	db_rollback(rq->db);
	json_decref(body);
	json_decref(before);
	json_decref(after);
	return rs->status = 500;
}

static int
h_holiday_delete(struct http_req *rq, struct http_resp *rs)
{
	char date[WORKDAYS_DATE_MAX];
	const char *p[1] = { date };
	json_t *before = NULL;
	struct db_res r;
	long eid;

	if (path_date(rq, rs, date, &eid) != 0)
		return rs->status;
	if (db_begin(rq->db) != 0 ||
	    db_exec(rq->db, &r, "DELETE FROM bank_holidays WHERE day = "
	    "$1::date RETURNING name", 1, p) != 0)
		goto fail;
	if (db_res_rows(&r) == 0) {
		db_res_free(&r);
		db_rollback(rq->db);
		return http_error(rq, rs, 404, "date", "date: is not a bank "
		    "holiday");
	}
	before = json_pack("{s:s, s:s}", "date", date, "name",
	    db_res_get(&r, 0, 0));
	db_res_free(&r);
	if (before == NULL || audit_record(rq->db, &rq->user,
	    "bank_holiday.delete", "bank_holiday", eid, before, NULL) != 0 ||
	    db_commit(rq->db) != 0)
		goto fail;
	json_decref(before);
	return send_json(rs, 200, json_pack("{s:s}", "deleted", date));
fail:
	db_rollback(rq->db);
	json_decref(before);
	return rs->status = 500;
}

const struct route stats_routes[] = {
	{ "GET", "/api/v1/stats", AUTH_TOKEN, ROLE_STAFF, h_stats, 0,
	  "statistics: totals and groups (docs/statistics.md)" },
	{ "GET", "/api/v1/stats.csv", AUTH_TOKEN, ROLE_STAFF, h_stats_csv, 0,
	  "statistics as CSV" },
	{ "GET", "/api/v1/stats/discussions", AUTH_TOKEN, ROLE_STAFF, h_list,
	  0, "the discussions behind a figure (paged)" },
	{ "GET", "/api/v1/stats/discussions.csv", AUTH_TOKEN, ROLE_STAFF,
	  h_list_csv, 0, "the discussions behind a figure, CSV" },
	{ "GET", "/api/v1/stats/section47", AUTH_TOKEN, ROLE_STAFF, h_s47, 0,
	  "Section 47 enquiries and initial conferences (Annex A)" },
	{ "GET", "/api/v1/stats/section47.csv", AUTH_TOKEN, ROLE_STAFF,
	  h_s47_csv, 0, "Section 47 enquiries per child (Annex A), CSV" },
	{ "GET", "/api/v1/stats/cin-census.csv", AUTH_TOKEN, ROLE_STAFF,
	  h_cin_csv, 0, "the CIN census Section 47 module per child, CSV" },
	{ "GET", "/api/v1/meetings/{id}/review", AUTH_TOKEN, ROLE_STAFF,
	  h_review_get, 0, "a discussion's review and sign-off" },
	{ "POST", "/api/v1/meetings/{id}/review", AUTH_TOKEN, ROLE_MANAGER,
	  h_review, 0, "review a single-agency or partial discussion" },
	{ "POST", "/api/v1/meetings/{id}/sign-off", AUTH_TOKEN, ROLE_MANAGER,
	  h_sign_off, 0, "sign off a held discussion's record" },
	{ "POST", "/api/v1/meetings/{id}/record/submit", AUTH_TOKEN,
	  ROLE_SOCIAL_WORKER, h_submit, 0, "submit the record for a manager's "
	  "authorisation (the team)" },
	{ "POST", "/api/v1/meetings/{id}/authorisation", AUTH_TOKEN,
	  ROLE_MANAGER, h_authorise, 0, "authorise the record, confirming or "
	  "changing each child's decision (manager)" },
	{ "POST", "/api/v1/meetings/{id}/approval", AUTH_TOKEN, ROLE_MANAGER,
	  h_approval, 0, "approve or refuse a booking without every statutory "
	  "agency, where the authority requires it (manager)" },
	{ "GET", "/api/v1/meetings/{id}/record/versions", AUTH_TOKEN,
	  ROLE_STAFF, h_versions, 0, "the record's authorised versions and "
	  "the one being worked on" },
	{ "GET", "/api/v1/cases/*", AUTH_TOKEN, ROLE_STAFF, h_case_get,
	  0, "a case's initial conference (/api/v1/cases/REF/conference) or "
	  "its holder and transfers (/api/v1/cases/REF/transfers)" },
	{ "PUT", "/api/v1/cases/*", AUTH_TOKEN, ROLE_STAFF, h_case_write,
	  0, "record a case's initial conference" },
	{ "POST", "/api/v1/cases/*", AUTH_TOKEN, ROLE_STAFF, h_case_write,
	  0, "record a case's initial conference, or move the case to another "
	  "team (/api/v1/cases/REF/transfer: its team or a manager)" },
	{ "GET", "/api/v1/bank-holidays", AUTH_TOKEN, ROLE_ANY, h_holidays, 0,
	  "England and Wales bank holidays" },
	{ "PUT", "/api/v1/bank-holidays/{date}", AUTH_TOKEN, ROLE_ADMIN,
	  h_holiday_put, 0, "add or rename a bank holiday (admin)" },
	{ "DELETE", "/api/v1/bank-holidays/{date}", AUTH_TOKEN, ROLE_ADMIN,
	  h_holiday_delete, 0, "remove a bank holiday (admin)" },
	/* Pages (server/web_stats.c). */
	{ "GET", "/stats", AUTH_SESSION, ROLE_STAFF, web_stats_dashboard, 0,
	  "the statistics dashboard: cards, charts, tables, exports" },
	{ "GET", "/stats/discussions", AUTH_SESSION, ROLE_STAFF,
	  web_stats_list, 0, "the discussions behind a figure" },
	{ "GET", "/stats/discussions/{id}/review", AUTH_SESSION, ROLE_MANAGER,
	  web_stats_review_form, 0, "review a flagged discussion: the form" },
	{ "POST", "/stats/discussions/{id}/review", AUTH_SESSION, ROLE_MANAGER,
	  web_stats_review_post, 0, "review a flagged discussion" },
	{ "POST", "/stats/discussions/{id}/sign-off", AUTH_SESSION,
	  ROLE_MANAGER, web_stats_sign_off_post, 0,
	  "sign off a held discussion's record" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
