/*
 * actions: the actions agreed at strategy discussions, across discussions:
 * a worker's and a team's list (open first, overdue marked), and changing
 * one action's status (done; not done with the reason) without touching
 * the rest of the attendance. Visibility is the discussion's
 * (MEETING_TEAM_SEES); one transaction with its audit entry per change.
 */
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "api.h"
#include "audit.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "input.h"
#include "meeting.h"
#include "model.h"
#include "router.h"
#include "str.h"
#include "vocab.h"

#define ID_LEN	24

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

/* $1 authority, $2 a social worker's team, $3 "mine" user, $4 all, $5 id */
#define ACTIONS_SQL \
	"SELECT coalesce(json_agg(json_build_object('id', a.id," \
	" 'discussion_id', d.id, 'case_ref', c.case_ref, 'team', t.name," \
	" 'what', a.what, 'owner', a.owner, 'due', a.due_date," \
	" 'child_id', a.child_id, 'owner_participant_id'," \
	" a.owner_participant_id, 'owner_agency', a.owner_agency," \
	" 'status', a.status, 'not_done_reason', a.not_done_reason," \
	" 'overdue', coalesce(a.status = 'open' AND a.due_date < (now() AT" \
	" TIME ZONE 'Europe/London')::date, false)) ORDER BY a.status <> 'open'," \
	" a.due_date NULLS LAST, a.id), '[]') FROM (SELECT a.* FROM actions" \
	" a JOIN discussions d ON d.id = a.discussion_id JOIN cases c ON" \
	" c.id = d.case_id WHERE d.authority_id = $1 AND ($2::bigint IS NULL" \
	" OR " MEETING_TEAM_SEES("d", "$2") ") AND ($3::bigint IS NULL OR" \
	" c.allocated_worker_id = $3 OR EXISTS (SELECT 1 FROM participants p" \
	" WHERE p.id = a.owner_participant_id AND p.user_id = $3)) AND" \
	" ($4::boolean OR a.status = 'open') AND ($5::bigint IS NULL OR" \
	" a.id = $5) ORDER BY a.status <> 'open', a.due_date NULLS LAST, a.id" \
	" LIMIT 500) a JOIN discussions d ON d.id = a.discussion_id JOIN cases" \
	" c ON c.id = d.case_id JOIN teams t ON t.id = c.team_id"

static json_t *
load(struct db *db, const struct auth_user *u, int mine, int all, long id)
{
	char aid[ID_LEN], tid[ID_LEN], uid[ID_LEN], sid[ID_LEN];
	const char *p[5] = { aid, NULL, NULL, all ? "t" : "f", NULL }, *v;
	struct db_res r;
	json_t *o = NULL;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	snprintf(sid, sizeof(sid), "%ld", id);
	if (u->role == ROLE_SOCIAL_WORKER)
		p[1] = tid;
	if (mine)
		p[2] = uid;
	if (id > 0)
		p[4] = sid;
	if (db_exec(db, &r, ACTIONS_SQL, 5, p) != 0)
		return NULL;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return o;
}

int
actions_list(struct db *db, const struct auth_user *u, int mine, int all,
    json_t **out, struct verr *e)
{
	json_t *a = load(db, u, mine, all, 0);

	if (a == NULL)
		return internal(e);
	*out = json_pack("{s:o}", "actions", a);
	return *out != NULL ? 0 : internal(e);
}

int
actions_set_status(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	static const char *const keys[] = { "status", "not_done_reason", NULL };
	const char *status, *reason, *p[4];
	char sid[ID_LEN], uid[ID_LEN];
	json_t *seen = NULL, *b = NULL, *a = NULL, *one;
	int rc = -1;

	*out = NULL;
	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_enum(body, "status", "status", INPUT_REQUIRED,
	    vocab_codes(VOCAB_ACTION_STATUS), &status, e) != 0 ||
	    input_str(body, "not_done_reason", "not_done_reason",
	    INPUT_MULTILINE, MEETING_TEXT_MAX, &reason, e) != 0)
		return -1;
	if (strcmp(status, "not_done") == 0 && reason == NULL)
		return verr_set(e, 422, "not_done_reason", "not_done_reason: say "
		    "why the action was not done");
	if (db_begin(db) != 0)
		return internal(e);
	if ((seen = load(db, u, 0, 1, id)) == NULL) {
		internal(e);
		goto out;
	}
	if (json_array_size(seen) != 1) {
		verr_set(e, 404, NULL, "there is no action %ld that you can see",
		    id);
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	p[0] = sid;
	p[1] = status;
	p[2] = strcmp(status, "not_done") == 0 ? reason : NULL;
	p[3] = uid;
	b = json_pack("{s:O}", "status", json_object_get(json_array_get(seen,
	    0), "status"));
	a = json_pack("{s:s, s:b}", "status", status, "reason_written",
	    p[2] != NULL);
	if (b == NULL || a == NULL || db_cmd(db, "UPDATE actions SET status = "
	    "$2, not_done_reason = $3, status_by = $4, status_at = now() WHERE "
	    "id = $1", 4, p) != 0 || audit_record(db, u, "action.status",
	    "action", id, b, a) != 0 || (*out = load(db, u, 0, 1,
	    id)) == NULL || db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	/* The one action, not the list of one. */
	one = json_incref(json_array_get(*out, 0));
	json_decref(*out);
	*out = one;
	rc = 0;
out:
	db_rollback(db);
	json_decref(seen);
	json_decref(b);
	json_decref(a);
	return rc;
}

/* ---- routes -------------------------------------------------------------- */

static int
h_list(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	const char *scope = http_query(rq, "scope");
	const char *st = http_query(rq, "status");
	json_t *out;
	int mine = 0, all = 0;

	if (scope != NULL && scope[0] != '\0') {
		if (strcmp(scope, "mine") == 0)
			mine = 1;
		else if (strcmp(scope, "team") != 0)
			return http_error(rq, rs, 400, "scope", "scope: must be "
			    "mine or team");
	}
	if (st != NULL && st[0] != '\0') {
		if (strcmp(st, "all") == 0)
			all = 1;
		else if (strcmp(st, "open") != 0)
			return http_error(rq, rs, 400, "status", "status: must be "
			    "open or all");
	}
	if (actions_list(rq->db, &rq->user, mine, all, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

static int
h_patch(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, actions_set_status, "action", 0);
}

const struct route action_routes[] = {
	{ "GET", "/api/v1/actions", AUTH_TOKEN, ROLE_STAFF, h_list, 0,
	  "actions: yours (?scope=mine) or your team's, open first "
	  "(?status=open|all)" },
	{ "PATCH", "/api/v1/actions/{id}", AUTH_TOKEN, ROLE_STAFF, h_patch, 0,
	  "mark an action done or not done (with the reason)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
