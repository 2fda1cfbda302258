/*
 * api: the JSON API v1 route table and its thin handlers. Each handler parses
 * the body, calls one operation of a model module, and replies; access rules
 * other than visibility live in the table.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "api.h"
#include "audit.h"
#include "db.h"
#include "http.h"
#include "input.h"
#include "meeting.h"
#include "model_list.h"
#include "record.h"
#include "router.h"
#include "str.h"

static int
h_healthz(struct http_req *rq, struct http_resp *rs)
{
	struct db *db = db_pool_get(rq->app->pool, 2000);
	int ok;

	ok = db != NULL && db_cmd(db, "SELECT 1", 0, NULL) == 0;
	db_pool_put(rq->app->pool, db);
	if (!ok)
		return http_json(rs, 503, json_pack("{s:s}", "status",
		    "database unavailable"));
	return http_json(rs, 200, json_pack("{s:s}", "status", "ok"));
}

static int
path_id(struct http_req *rq, struct http_resp *rs, long *id)
{
	if (http_param_id(rq, 0, id) == 0)
		return 0;
	http_error(rq, rs, 404, "id", "there is no strategy discussion with "
	    "that id");
	return -1;
}

int
api_run_op(struct http_req *rq, struct http_resp *rs, api_op op,
    const char *what, int allow_empty)
{
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	long id = 0;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, "id", "there is no %s with that "
		    "id", what);
	body = allow_empty && rq->body.len == 0 ? json_object() :
	    meeting_parse_body(rq->body.data, rq->body.len, &e);
	if (body == NULL)
		return e.status != 0 ? http_error_verr(rq, rs, &e) :
		    (rs->status = 500);
	if (op(rq->db, &rq->user, id, body, &out, &e) != 0) {
		json_decref(body);
		return http_error_verr(rq, rs, &e);
	}
	json_decref(body);
	return http_json(rs, 200, out);
}

/* POST /api/v1/meetings. With an Idempotency-Key header, a repeat of a
 * booking answers with the meeting booked the first time
 * (Idempotent-Replayed: true). */
static int
h_meeting_create(struct http_req *rq, struct http_resp *rs)
{
	const char *key = http_header(rq, "Idempotency-Key");
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	char loc[64];
	int replayed = 0, rc;

	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) == NULL)
		return http_error_verr(rq, rs, &e);
	rc = meeting_create_once(rq->db, &rq->user, body, key, &out,
	    &replayed, &e);
	json_decref(body);
	if (rc != 0)
		return http_error_verr(rq, rs, &e);
	snprintf(loc, sizeof(loc), "/api/v1/meetings/%lld",
	    (long long)json_integer_value(json_object_get(out, "id")));
	http_resp_header(rs, "Location", loc);
	if (replayed)
		http_resp_header(rs, "Idempotent-Replayed", "true");
	return http_json(rs, 201, out);
}

static int
h_meeting_update(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, meeting_update, "strategy discussion", 0);
}

static int
h_meeting_cancel(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, meeting_cancel, "strategy discussion", 0);
}

static int
h_meeting_attendance(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, meeting_record_attendance, "strategy discussion", 0);
}

static int
h_record_put(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, record_put, "strategy discussion", 0);
}

static int
h_meeting_history(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;
	long id;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	if (record_history(rq->db, &rq->user, id, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

static int
h_meeting_get(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;
	long id;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	if (meeting_get(rq->db, &rq->user, id, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

static int
h_meeting_list(struct http_req *rq, struct http_resp *rs)
{
	struct discussion_filter f;
	struct discussion_list *l = NULL;
	struct verr e = { 0 };
	json_t *out;

	memset(&f, 0, sizeof(f));
	f.from = http_query(rq, "from");
	f.to = http_query(rq, "to");
	f.classification = http_query(rq, "classification");
	f.status = http_query(rq, "status");
	f.team = http_query(rq, "team");
	f.q = http_query(rq, "case_ref");
	if (http_query_long(rq, rs, "page", MODEL_LIST_PAGE_MAX, 0,
	    &f.page) != 0 ||
	    http_query_long(rq, rs, "per_page", MODEL_LIST_PER_PAGE_MAX, 0,
	    &f.per_page) != 0)
		return rs->status;
	if (model_list_load(rq->db, &rq->user, &f, &l, &e) != 0)
		return http_error_verr(rq, rs, &e);
	out = model_list_json(l);
	model_list_free(l);
	return http_json(rs, 200, out);		/* 500 when out is NULL */
}

/* ---- contacts directory --------------------------------------------------- */

static int
h_contacts_list(struct http_req *rq, struct http_resp *rs)
{
	const char *agency = http_query(rq, "agency");
	const char *p[1] = { agency && agency[0] ? agency : NULL };
	struct db_res r;
	json_t *o;

	if (db_exec(rq->db, &r, "SELECT json_build_object('contacts', coalesce("
	    "json_agg(json_build_object('id', c.id, 'name', c.name, 'role', "
	    "c.role, 'email', c.email, 'phone', c.phone, 'organisation_id', "
	    "o.id, 'organisation', o.name, 'agency', o.agency) ORDER BY "
	    "a.sort_order, o.name, c.name), '[]')) FROM contacts c JOIN "
	    "organisations o ON o.id = c.organisation_id JOIN agencies a ON "
	    "a.code = o.agency WHERE c.active AND o.active AND ($1::text IS "
	    "NULL OR o.agency = $1)", 1, p) != 0)
		return rs->status = 500;
	o = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return http_json(rs, 200, o);
}

/* Find or create the organisation named in body; its id goes to out. */
static int
contact_org(struct db *db, const struct auth_user *u, json_t *body, char *out,
    size_t outlen, struct verr *e)
{
	const char *org, *agency, *p[3];
	char aid[24];
	struct db_res r;
	long id;

	if (input_str(body, "organisation", "organisation", INPUT_REQUIRED,
	    MEETING_NAME_MAX, &org, e) != 0 ||
	    input_str(body, "agency", "agency", INPUT_REQUIRED,
	    MODEL_AGENCY_CODE_MAX, &agency,
	    e) != 0)
		return -1;
	p[0] = org;
	p[1] = agency;
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	p[2] = aid;
	/* A new organisation is the caller's authority's to edit; an
	 * existing one is shared, whoever created it. */
	if (db_exec(db, &r, "WITH i AS (INSERT INTO organisations (name, agency, "
	    "authority_id) SELECT $1, code, $3 FROM agencies WHERE code = $2 "
	    "ON CONFLICT DO NOTHING RETURNING id) SELECT id FROM i UNION ALL "
	    "SELECT id FROM organisations WHERE name = $1 AND agency = $2 "
	    "LIMIT 1", 3, p) != 0)
		return verr_set(e, 500, NULL, "error");
	id = db_res_rows(&r) ? db_res_long(&r, 0, 0, 0) : 0;
	db_res_free(&r);
	/* Created by a request that committed while our INSERT waited: only a
	 * new statement (a new snapshot) sees it. */
	if (id == 0) {
		if (db_exec(db, &r, "SELECT id FROM organisations WHERE name = $1 "
		    "AND agency = $2", 2, p) != 0)
			return verr_set(e, 500, NULL, "error");
		id = db_res_rows(&r) ? db_res_long(&r, 0, 0, 0) : 0;
		db_res_free(&r);
	}
	if (id == 0)
		return verr_set(e, 422, "agency", "agency: is not a known agency "
		    "(social_care, police, health, education, probation, "
		    "housing, other)");
	snprintf(out, outlen, "%ld", id);
	return 0;
}

static int
h_contacts_create(struct http_req *rq, struct http_resp *rs)
{
	static const char *const keys[] = { "name", "role", "email", "phone",
		"organisation", "agency", NULL };
	const char *name, *role, *email, *phone, *p[6];
	struct verr e = { 0 };
	struct db_res r;
	char org[24], aid[24];
	json_t *body, *after = NULL;
	long id;

	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) == NULL)
		return http_error_verr(rq, rs, &e);
	if (input_known_keys(body, keys, "", &e) != 0 ||
	    input_str(body, "name", "name", INPUT_REQUIRED, MEETING_NAME_MAX,
	    &name, &e) != 0 ||
	    input_str(body, "role", "role", INPUT_OPTIONAL, MEETING_NAME_MAX,
	    &role, &e) != 0 ||
	    input_email(body, "email", "email", INPUT_REQUIRED, &email, &e) ||
	    input_str(body, "phone", "phone", INPUT_OPTIONAL,
	    MODEL_PHONE_MAX, &phone,
	    &e) != 0)
		goto invalid;
	if (db_begin(rq->db) != 0 ||
	    contact_org(rq->db, &rq->user, body, org, sizeof(org), &e) != 0)
		goto invalid;
	p[0] = org; p[1] = name; p[2] = role ? role : ""; p[3] = email;
	p[4] = phone ? phone : "";
	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	p[5] = aid;
	if (db_exec(rq->db, &r, "INSERT INTO contacts (organisation_id, name, "
	    "role, email, phone, authority_id) VALUES ($1, $2, $3, $4, $5, $6) "
	    "RETURNING id", 6, p) != 0) {
		if (strcmp(db_last_sqlstate(), "23505") == 0)
			verr_set(&e, 409, "email", "email: a contact with this "
			    "address is already in the directory");
		else
			verr_set(&e, 500, NULL, "error");
		goto invalid;
	}
	id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	after = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id,
	    "name", name, "email", email, "organisation",
	    json_string_value(json_object_get(body, "organisation")),
	    "agency", json_string_value(json_object_get(body, "agency")));
	if (after == NULL || audit_record(rq->db, &rq->user, "contact.create",
	    "contact", id, NULL, after) != 0 || db_commit(rq->db) != 0) {
		verr_set(&e, 500, NULL, "error");
		goto invalid;
	}
	json_decref(body);
	return http_json(rs, 201, after);
invalid:
	db_rollback(rq->db);
	json_decref(after);
	json_decref(body);
	return http_error_verr(rq, rs, &e);
}

const struct route api_routes[] = {
	{ "GET", "/healthz", AUTH_NONE, 0, h_healthz, ROUTE_NO_DB,
	  "200 when the database answers, 503 otherwise" },
	{ "POST", "/api/v1/meetings", AUTH_TOKEN, ROLE_SOCIAL_WORKER,
	  h_meeting_create, 0, "book a strategy meeting or discussion" },
	{ "GET", "/api/v1/meetings", AUTH_TOKEN, ROLE_STAFF, h_meeting_list, 0,
	  "list meetings (filters, paging)" },
	{ "GET", "/api/v1/meetings/{id}", AUTH_TOKEN, ROLE_STAFF,
	  h_meeting_get, 0, "one meeting" },
	{ "PATCH", "/api/v1/meetings/{id}", AUTH_TOKEN, ROLE_SOCIAL_WORKER,
	  h_meeting_update, 0, "reschedule or change participants" },
	{ "POST", "/api/v1/meetings/{id}/cancel", AUTH_TOKEN,
	  ROLE_SOCIAL_WORKER, h_meeting_cancel, 0, "cancel with a reason" },
	{ "PUT", "/api/v1/meetings/{id}/attendance", AUTH_TOKEN,
	  ROLE_SOCIAL_WORKER, h_meeting_attendance, 0,
	  "record attendance and outcome" },
	{ "PUT", "/api/v1/meetings/{id}/record", AUTH_TOKEN,
	  ROLE_STAFF, h_record_put, 0,
	  "write the record of the discussion" },
	{ "GET", "/api/v1/meetings/{id}/history", AUTH_TOKEN, ROLE_STAFF,
	  h_meeting_history, 0, "the discussion's audit history" },
	{ "GET", "/api/v1/contacts", AUTH_TOKEN, ROLE_ANY, h_contacts_list, 0,
	  "the contacts directory" },
	{ "POST", "/api/v1/contacts", AUTH_TOKEN, ROLE_ADMIN,
	  h_contacts_create, 0, "add a contact (admin)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
