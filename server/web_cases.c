/*
 * web_cases: a case's page: who holds it (team and allocated worker), the
 * transfers so far, and the form that moves it to another team or worker.
 * The rules (who may, what is valid, the audit entry) are cases.c's; this
 * is a view of them.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "auth.h"
#include "cases.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "meeting.h"
#include "web.h"

#define CASE_REF_PARAM_MAX	64	/* longer than any (sql/001: 40) */

/* The active social workers of u's authority: [{value, text, checked}],
 * "No one in particular" first, labelled with their team. */
static json_t *
worker_items(struct db *db, const struct auth_user *u, const char *current)
{
	char aid[24];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *a = json_array();
	const char *v;
	char text[300];
	int i;

	json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "Not allocated yet", "checked", current == NULL ||
	    current[0] == '\0'));
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_exec(db, &r, "SELECT u.username, coalesce(nullif("
	    "u.display_name, ''), u.username), t.name FROM users u JOIN teams "
	    "t ON t.id = u.team_id WHERE t.authority_id = $1 AND u.active AND "
	    "u.role = 'social_worker' ORDER BY t.name, 2", 1, p) != 0)
		return a;
	for (i = 0; i < db_res_rows(&r); i++) {
		v = db_res_get(&r, i, 0);
		snprintf(text, sizeof(text), "%s (%s)", db_res_get(&r, i, 1),
		    db_res_get(&r, i, 2));
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value",
		    v, "text", text, "checked", current != NULL &&
		    strcmp(current, v) == 0));
	}
	db_res_free(&r);
	return a;
}

/* The teams of u's authority as select items, current selected. */
static json_t *
team_items(struct db *db, const struct auth_user *u, const char *current)
{
	json_t *o = cases_teams(db, u), *a = json_array(), *t;
	const char *name;
	size_t i;

	json_array_foreach(json_object_get(o, "teams"), i, t) {
		name = json_string_value(json_object_get(t, "name"));
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value",
		    name, "text", name, "checked", current != NULL &&
		    strcmp(current, name) == 0));
	}
	json_decref(o);
	return a;
}

/* "Wednesday 2 December 2026, 10:00" for each transfer's time. */
static void
transfers_words(json_t *holder)
{
	json_t *x;
	size_t i;
	char when[80];

	json_array_foreach(json_object_get(holder, "transfers"), i, x) {
		web_when(json_string_value(json_object_get(x,
		    "transferred_at")), when, sizeof(when));
		json_object_set_new(x, "when", json_string(when));
	}
}

static int
page(struct http_req *rq, struct http_resp *rs, const char *ref,
    struct web_errors *we)
{
	struct verr e = { 0 };
	json_t *h, *d, *f;
	int posted = rq->form.n > 0;
	int status = we != NULL && web_errors_any(we) ? 422 : 200;

	if (cases_transfers_get(rq->db, &rq->user, ref, &h, &e) != 0)
		return web_fail(rq, rs, &e);
	transfers_words(h);
	json_object_set_new(h, "any_transfers", json_boolean(json_array_size(
	    json_object_get(h, "transfers")) > 0));
	d = json_pack("{s:s, s:o}", "case_ref", ref, "h", h);
	if (http_query(rq, "done") != NULL && !posted)
		json_object_set_new(d, "done", json_string("The case has been "
		    "transferred."));
	f = web_fld(we, "team", "Team", "The team that takes the case on",
	    NULL);
	json_object_set_new(f, "items", team_items(rq->db, &rq->user, posted ?
	    form_get(&rq->form, "team") : json_string_value(json_object_get(h,
	    "team"))));
	json_object_set_new(d, "f_team", f);
	f = web_fld(we, "allocated_worker", "Allocated social worker",
	    "Optional: someone in that team", NULL);
	json_object_set_new(f, "items", worker_items(rq->db, &rq->user,
	    posted ? form_get(&rq->form, "allocated_worker") :
	    json_string_value(json_object_get(h, "allocated_worker"))));
	json_object_set_new(d, "f_worker", f);
	json_object_set_new(d, "f_reason", web_fld(we, "reason",
	    "Why the case moves", "Kept with the case's history; not in "
	    "the audit log", posted ? form_get(&rq->form, "reason") : NULL));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, status, "case", "Case", d);
}

/*
 * The case reference from the query (GET) or the form (POST), when it can
 * be one, else NULL. Not in the path: a reference may hold "/" (sql/001),
 * which the path's unescaping would turn into a separator.
 */
static const char *
case_ref(struct http_req *rq)
{
	const char *ref = form_get(&rq->form, "ref");

	if (ref == NULL)
		ref = http_query(rq, "ref");
	if (ref == NULL || ref[0] == '\0' ||
	    strlen(ref) > CASE_REF_PARAM_MAX)
		return NULL;
	return ref;
}

/* 303 to the case page of ref, escaped for the query. */
static int
redirect_case(struct http_resp *rs, const char *ref)
{
	char *q = curl_easy_escape(NULL, ref, 0);
	int rc;

	if (q == NULL)
		return rs->status = 500;
	rc = web_redirectf(rs, "/case?ref=%s&done=1", q);
	curl_free(q);
	return rc;
}

int
web_case_page(struct http_req *rq, struct http_resp *rs)
{
	const char *ref = case_ref(rq);

	if (ref == NULL)
		return http_error(rq, rs, 404, NULL, "there is no such case");
	return page(rq, rs, ref, NULL);
}

/* After a transfer: whether the user still sees the case (a social worker
 * whose team gave it away does not). */
static int
still_seen(struct http_req *rq, const char *ref)
{
	struct verr e = { 0 };
	json_t *h = NULL;
	int seen = cases_transfers_get(rq->db, &rq->user, ref, &h, &e) == 0;

	json_decref(h);
	return seen;
}

int
web_case_transfer_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "team", "team",
		"allocated_worker", "allocated_worker", "reason", "reason",
		NULL };
	const char *ref = case_ref(rq);
	const char *w = form_get(&rq->form, "allocated_worker");
	struct web_errors we;
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	int rc;

	if (ref == NULL)
		return http_error(rq, rs, 404, NULL, "there is no such case");
	body = json_pack("{s:s?, s:s?}", "team", form_get(&rq->form, "team"),
	    "reason", form_get(&rq->form, "reason"));
	if (body == NULL)
		return rs->status = 500;
	if (w != NULL && w[0] != '\0')
		json_object_set_new(body, "allocated_worker", json_string(w));
	web_errors_init(&we);
	if (cases_transfer(rq->db, &rq->user, ref, body, &out, &e) == 0)
		rc = still_seen(rq, ref) ? redirect_case(rs, ref) :
		    web_redirectf(rs, "/?done=transferred");
	else if (e.status == 422) {
		web_error_verr(&we, &e, map);
		rc = page(rq, rs, ref, &we);
	} else
		rc = web_fail(rq, rs, &e);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rc;
}
