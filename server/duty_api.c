/*
 * duty_api: the routes of duty contacts and chasers (issue 13, part 3;
 * docs/chasers.md, docs/api.md): an organisation's duty rota, who is on
 * duty at a time, a meeting's chases and calls, and the statistics table
 * of acceptance by agency and organisation. Handlers are thin: the models
 * are rota.c, calls.c and the acceptance read below.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "authority.h"
#include "buf.h"
#include "calls.h"
#include "db.h"
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "rota.h"
#include "router.h"
#include "stats.h"
#include "web_duty.h"

#define ID_LEN		24
#define AGENCY_MAX	32
#define CSV_MAX		(4 * 1024 * 1024)	/* bytes in the table */

/* ---- the acceptance table ----------------------------------------------- */

/* The columns of the table, JSON key and CSV header, defined once. */
static const struct stats_csv_col acceptance_cols[] = {
	{ "agency", "agency" },
	{ "organisation", "organisation" },
	{ "invitations", "invitations" },
	{ "accepted", "accepted" },
	{ "declined", "declined" },
	{ "no_answer", "no_answer" },
	{ "reminders", "reminders" },
	{ "escalations", "escalations" },
	{ "median_hours_to_accept", "median_hours_to_accept" },
	{ NULL, NULL }
};

/*
 * Per agency (but the convening one) and organisation, over the authority's
 * booked meetings that were not cancelled: invitations sent by email, how
 * they were answered, chases, and the median hours from booking to
 * acceptance. No case or child data: counts by directory entry.
 */
static const char acceptance_sql[] =
    "WITH p AS (SELECT p.agency, coalesce(nullif(p.organisation, ''), "
    "'(none)') AS organisation, p.partstat, extract(epoch FROM "
    "p.accepted_at - d.created_at) / 3600.0 AS hours FROM participants p "
    "JOIN discussions d ON d.id = p.discussion_id WHERE d.authority_id = "
    "$1 AND d.kind = 'meeting' AND d.status <> 'cancelled' AND "
    "p.removed_at IS NULL AND coalesce(p.email, '') <> '' AND p.agency <> "
    "$2), "
    "k AS (SELECT k.agency, coalesce(o.name, '(none)') AS organisation, "
    "count(*) FILTER (WHERE k.kind = 'reminder') AS reminders, count(*) "
    "FILTER (WHERE k.kind = 'escalation') AS escalations FROM chases k "
    "JOIN discussions d ON d.id = k.discussion_id LEFT JOIN organisations "
    "o ON o.id = k.organisation_id WHERE d.authority_id = $1 GROUP BY 1, "
    "2), "
    "a AS (SELECT agency, organisation, count(*) AS invitations, count(*) "
    "FILTER (WHERE partstat = 'ACCEPTED') AS accepted, count(*) FILTER "
    "(WHERE partstat = 'DECLINED') AS declined, count(*) FILTER (WHERE "
    "partstat IN ('NEEDS-ACTION', 'TENTATIVE')) AS no_answer, "
    "round((percentile_cont(0.5) WITHIN GROUP (ORDER BY hours))::numeric, "
    "1) AS median FROM p GROUP BY 1, 2) "
    "SELECT coalesce(json_agg(json_build_object('agency', a.agency, "
    "'organisation', a.organisation, 'invitations', a.invitations, "
    "'accepted', a.accepted, 'declined', a.declined, 'no_answer', "
    "a.no_answer, 'reminders', coalesce(k.reminders, 0), 'escalations', "
    "coalesce(k.escalations, 0), 'median_hours_to_accept', a.median) "
    "ORDER BY g.sort_order, a.agency, a.organisation), '[]'::json)::text "
    "FROM a JOIN agencies g ON g.code = a.agency LEFT JOIN k ON k.agency = "
    "a.agency AND k.organisation = a.organisation";

static json_t *
acceptance_rows(struct db *db, long authority)
{
	char aid[ID_LEN];
	const char *p[2] = { aid, AUTHORITY_LEAD_AGENCY };
	struct db_res r;
	json_t *o;

	snprintf(aid, sizeof(aid), "%ld", authority);
	if (db_exec(db, &r, acceptance_sql, 2, p) != 0)
		return NULL;
	o = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return o;
}

static int
acceptance(struct http_req *rq, struct http_resp *rs, int csv)
{
	json_t *rows;
	struct buf b;
	int status;

	if ((rows = acceptance_rows(rq->db, rq->user.authority_id)) == NULL)
		return http_error(rq, rs, 500, NULL, "something went wrong");
	if (!csv)
		return http_json(rs, 200, json_pack("{s:o}", "rows", rows));
	buf_init(&b, CSV_MAX);
	if (stats_csv_rows(rows, acceptance_cols, &b) != 0)
		status = http_error(rq, rs, 500, NULL, "something went wrong");
	else {
		status = http_send(rs, 200, "text/csv; charset=utf-8",
		    buf_cstr(&b), b.len);
		http_resp_header(rs, "Content-Disposition",
		    "attachment; filename=\"convene-acceptance.csv\"");
	}
	buf_free(&b);
	json_decref(rows);
	return status;
}

static int
h_acceptance(struct http_req *rq, struct http_resp *rs)
{
	return acceptance(rq, rs, 0);
}

static int
h_acceptance_csv(struct http_req *rq, struct http_resp *rs)
{
	return acceptance(rq, rs, 1);
}

/* ---- the rota ---------------------------------------------------------- */

static int
h_rota_get(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, rota_get, "organisation", 1);
}

static int
h_rota_put(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, rota_put, "organisation", 0);
}

/* GET /api/v1/directory/on-duty?at=TIME&agency=CODE (both optional). */
static int
h_on_duty(struct http_req *rq, struct http_resp *rs)
{
	const char *at = http_query(rq, "at"), *agency = http_query(rq,
	    "agency");
	char err[128];
	json_t *o;
	time_t t = time(NULL);

	if (at != NULL && at[0] != '\0' && ltime_parse(at, &t, err,
	    sizeof(err)) != 0)
		return http_error(rq, rs, 400, "at", "at: %s", err);
	if (agency != NULL && strlen(agency) > AGENCY_MAX)
		return http_error(rq, rs, 400, "agency", "agency: at most %d "
		    "characters", AGENCY_MAX);
	if ((o = rota_on_duty(rq->db, t, agency != NULL ? agency : "")) ==
	    NULL)
		return http_error(rq, rs, 500, NULL, "something went wrong");
	return http_json(rs, 200, json_pack("{s:o}", "organisations", o));
}

/* ---- chases and calls -------------------------------------------------- */

static int
h_chases(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, calls_at_risk, "meeting", 1);
}

static int
h_call_log(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	long id;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, "id", "there is no meeting with "
		    "that id");
	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) ==
	    NULL)
		return http_error_verr(rq, rs, &e);
	if (calls_log(rq->db, &rq->user, id, body, &out, &e) != 0) {
		json_decref(body);
		return http_error_verr(rq, rs, &e);
	}
	json_decref(body);
	return http_json(rs, 201, out);
}

const struct route duty_routes[] = {
	{ "GET", "/api/v1/organisations/{id}/rota", AUTH_TOKEN, ROLE_ANY,
	  h_rota_get, 0, "an organisation's duty inbox, phone and rota" },
	{ "PUT", "/api/v1/organisations/{id}/rota", AUTH_TOKEN, ROLE_ADMIN,
	  h_rota_put, 0, "replace an organisation's duty inbox, phone and "
	  "rota (its authority's admins)" },
	{ "GET", "/api/v1/directory/on-duty", AUTH_TOKEN, ROLE_ANY, h_on_duty,
	  0, "who is on duty at a time, per organisation" },
	{ "GET", "/api/v1/meetings/{id}/chases", AUTH_TOKEN, ROLE_STAFF,
	  h_chases, 0, "agencies not accepted, chases sent, calls logged" },
	{ "POST", "/api/v1/meetings/{id}/calls", AUTH_TOKEN, ROLE_STAFF,
	  h_call_log, 0, "log a call to an agency (time, who, outcome)" },
	{ "GET", "/api/v1/stats/acceptance", AUTH_TOKEN, ROLE_STAFF,
	  h_acceptance, 0, "acceptance by agency and organisation" },
	{ "GET", "/api/v1/stats/acceptance.csv", AUTH_TOKEN, ROLE_STAFF,
	  h_acceptance_csv, 0, "the same, as CSV" },
	{ "POST", "/meetings/{id}/calls", AUTH_SESSION, ROLE_STAFF,
	  web_duty_call_post, 0, "log a call from the meeting page" },
	{ "GET", "/directory/organisations/{id}/rota", AUTH_SESSION,
	  ROLE_ADMIN, web_duty_rota_form, 0, "an organisation's duty contact "
	  "and rota page (admins)" },
	{ "POST", "/directory/organisations/{id}/rota", AUTH_SESSION,
	  ROLE_ADMIN, web_duty_rota_post, 0, "change them" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
