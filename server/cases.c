/*
 * cases: who holds a case, and moving it between the teams of its
 * authority. A transfer validates the whole request, locks the case, checks
 * who may move it, writes the case and its transfer row, audits and commits
 * in one transaction. A case the caller may not see is "not found", the same
 * answer as for no such case, so references cannot be probed.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "cases.h"
#include "db.h"
#include "http.h"
#include "input.h"
#include "meeting.h"
#include "model.h"
#include "router.h"
#include "str.h"

#define ID_LEN		24
#define TEAM_NAME_MAX	200	/* sql/001 teams.name CHECK */
#define USERNAME_MAX	64	/* sql/001 users.username CHECK */
#define CASE_UNKNOWN	"there is no case with that reference that you can see"

struct holder {
	long	 case_id;
	long	 team_id;
	long	 worker_id;	/* 0: not allocated */
	char	 team[TEAM_NAME_MAX * 4 + 1];
	char	 worker[USERNAME_MAX + 1];
};

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

/*
 * The case ref of u's authority as u may see it: a social worker only when
 * their team holds it, a manager any. Locked when lock is set.
 */
static int
find_holder(struct db *db, const struct auth_user *u, const char *ref,
    int lock, struct holder *h, struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN];
	const char *p[3] = { aid, ref, NULL };
	struct db_res r;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	if (u->role != ROLE_MANAGER)
		p[2] = tid;
	if (db_exec(db, &r, lock ?
	    "SELECT c.id, c.team_id, coalesce(c.allocated_worker_id, 0), "
	    "t.name, coalesce(w.username, '') FROM cases c JOIN teams t ON "
	    "t.id = c.team_id LEFT JOIN users w ON w.id = "
	    "c.allocated_worker_id WHERE c.authority_id = $1 AND c.case_ref = "
	    "$2 AND ($3::bigint IS NULL OR c.team_id = $3) FOR UPDATE OF c" :
	    "SELECT c.id, c.team_id, coalesce(c.allocated_worker_id, 0), "
	    "t.name, coalesce(w.username, '') FROM cases c JOIN teams t ON "
	    "t.id = c.team_id LEFT JOIN users w ON w.id = "
	    "c.allocated_worker_id WHERE c.authority_id = $1 AND c.case_ref = "
	    "$2 AND ($3::bigint IS NULL OR c.team_id = $3)", 3, p) != 0)
		return internal(e);
	if (db_res_rows(&r) == 0) {
		verr_set(e, 404, "case_ref", CASE_UNKNOWN);
		goto out;
	}
	h->case_id = db_res_long(&r, 0, 0, 0);
	h->team_id = db_res_long(&r, 0, 1, 0);
	h->worker_id = db_res_long(&r, 0, 2, 0);
	str_copy(h->team, db_res_get(&r, 0, 3), sizeof(h->team));
	str_copy(h->worker, db_res_get(&r, 0, 4), sizeof(h->worker));
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

/* The team called name in u's authority into *id. */
static int
find_team(struct db *db, const struct auth_user *u, const char *name,
    long *id, struct verr *e)
{
	char aid[ID_LEN];
	const char *p[2] = { aid, name };
	struct db_res r;
	int n;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_exec(db, &r, "SELECT id FROM teams WHERE authority_id = $1 AND "
	    "name = $2", 2, p) != 0)
		return internal(e);
	if ((n = db_res_rows(&r)) == 1)
		*id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	if (n != 1)
		return verr_set(e, 422, "team", "team: there is no team with "
		    "that name in your authority");
	return 0;
}

/* The active social worker username of team into *id (0 when none is
 * asked for). */
static int
find_worker(struct db *db, long team, const char *username, long *id,
    struct verr *e)
{
	char tid[ID_LEN];
	const char *p[2] = { tid, username };
	struct db_res r;
	int n;

	*id = 0;
	if (username == NULL)
		return 0;
	snprintf(tid, sizeof(tid), "%ld", team);
	if (db_exec(db, &r, "SELECT id FROM users WHERE team_id = $1 AND "
	    "lower(username) = lower($2) AND active AND role = "
	    "'social_worker'", 2, p) != 0)
		return internal(e);
	if ((n = db_res_rows(&r)) == 1)
		*id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	if (n != 1)
		return verr_set(e, 422, "allocated_worker", "allocated_worker: "
		    "must be an active social worker of the team the case "
		    "goes to");
	return 0;
}

/* The case's holder and its transfers, as the API shows them. */
static json_t *
holder_json(struct db *db, const char *ref, long case_id)
{
	char cid[ID_LEN];
	const char *p[2] = { cid, ref };
	struct db_res r;
	json_t *o = NULL;
	const char *v;

	snprintf(cid, sizeof(cid), "%ld", case_id);
	if (db_exec(db, &r, "SELECT json_build_object('case_ref', $2::text, "
	    "'team', t.name, 'allocated_worker', w.username, 'transfers', "
	    "coalesce((SELECT json_agg(json_build_object('from_team', ft.name, "
	    "'to_team', tt.name, 'from_worker', fw.username, 'to_worker', "
	    "tw.username, 'reason', x.reason, 'transferred_by', b.username, "
	    "'transferred_at', x.transferred_at) ORDER BY x.id) FROM "
	    "case_transfers x JOIN teams ft ON ft.id = x.from_team_id JOIN "
	    "teams tt ON tt.id = x.to_team_id JOIN users b ON b.id = "
	    "x.transferred_by LEFT JOIN users fw ON fw.id = x.from_worker_id "
	    "LEFT JOIN users tw ON tw.id = x.to_worker_id WHERE x.case_id = "
	    "c.id), '[]')) FROM cases c JOIN teams t ON t.id = c.team_id LEFT "
	    "JOIN users w ON w.id = c.allocated_worker_id WHERE c.id = $1", 2,
	    p) != 0)
		return NULL;
	if (db_res_rows(&r) == 1 && (v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return o;
}

struct transfer_req {
	const char	*team;
	const char	*worker;
	const char	*reason;
};

static int
transfer_read(json_t *body, struct transfer_req *t, struct verr *e)
{
	static const char *const keys[] = { "team", "allocated_worker",
		"reason", NULL };

	return input_known_keys(body, keys, "", e) != 0 ||
	    input_str(body, "team", "team", INPUT_REQUIRED, TEAM_NAME_MAX,
	    &t->team, e) != 0 ||
	    input_str(body, "allocated_worker", "allocated_worker",
	    INPUT_OPTIONAL, USERNAME_MAX, &t->worker, e) != 0 ||
	    input_str(body, "reason", "reason", INPUT_REQUIRED,
	    CASES_REASON_MAX, &t->reason, e) != 0 ? -1 : 0;
}

/* Write the move of h to team/worker; the audit entry names teams and
 * workers, never the reason (free text that may name a child). */
static int
transfer_write(struct db *db, const struct auth_user *u,
    const struct holder *h, long team, const char *team_name, long worker,
    const char *worker_name, const char *reason)
{
	char cid[ID_LEN], ft[ID_LEN], tt[ID_LEN], fw[ID_LEN], tw[ID_LEN],
	    by[ID_LEN];
	const char *p[7] = { cid, ft, tt, NULL, NULL, reason, by };
	json_t *before, *after;
	int rc = -1;

	snprintf(cid, sizeof(cid), "%ld", h->case_id);
	snprintf(ft, sizeof(ft), "%ld", h->team_id);
	snprintf(tt, sizeof(tt), "%ld", team);
	snprintf(fw, sizeof(fw), "%ld", h->worker_id);
	snprintf(tw, sizeof(tw), "%ld", worker);
	snprintf(by, sizeof(by), "%ld", u->id);
	p[3] = h->worker_id ? fw : NULL;
	p[4] = worker ? tw : NULL;
	before = json_pack("{s:s, s:s?}", "team", h->team, "allocated_worker",
	    h->worker_id ? h->worker : NULL);
	after = json_pack("{s:s, s:s?, s:b}", "team", team_name,
	    "allocated_worker", worker ? worker_name : NULL, "reason_written",
	    1);
	if (before == NULL || after == NULL ||
	    db_cmd(db, "UPDATE cases SET team_id = $2, allocated_worker_id = "
	    "$3 WHERE id = $1", 3, (const char *[]){ cid, tt, p[4] }) != 0 ||
	    db_cmd(db, "INSERT INTO case_transfers (case_id, from_team_id, "
	    "to_team_id, from_worker_id, to_worker_id, reason, transferred_by) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, p) != 0 ||
	    audit_record(db, u, "case.transfer", "case", h->case_id, before,
	    after) != 0)
		goto out;
	rc = 0;
out:
	json_decref(before);
	json_decref(after);
	return rc;
}

int
cases_transfer(struct db *db, const struct auth_user *u, const char *ref,
    json_t *body, json_t **out, struct verr *e)
{
	struct transfer_req t = { 0 };
	struct holder h;
	long team = 0, worker = 0;
	int rc = -1;

	*out = NULL;
	if (transfer_read(body, &t, e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if (find_holder(db, u, ref, 1, &h, e) != 0 ||
	    find_team(db, u, t.team, &team, e) != 0 ||
	    find_worker(db, team, t.worker, &worker, e) != 0)
		goto out;
	/* Within the team, a transfer is a reallocation to someone else. */
	if (team == h.team_id && (worker == 0 || worker == h.worker_id)) {
		verr_set(e, 422, "team", "team: the case is already with this "
		    "team; to reallocate it, name another allocated_worker");
		goto out;
	}
	if (transfer_write(db, u, &h, team, t.team, worker, t.worker,
	    t.reason) != 0 || (*out = holder_json(db, ref, h.case_id)) == NULL ||
	    db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	rc = 0;
out:
	db_rollback(db);
	return rc;
}

int
cases_transfers_get(struct db *db, const struct auth_user *u,
    const char *ref, json_t **out, struct verr *e)
{
	struct holder h;

	if (find_holder(db, u, ref, 0, &h, e) != 0)
		return -1;
	if ((*out = holder_json(db, ref, h.case_id)) == NULL)
		return internal(e);
	return 0;
}

/* ---- teams --------------------------------------------------------------- */

json_t *
cases_teams(struct db *db, const struct auth_user *u)
{
	char aid[ID_LEN];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *o = NULL;
	const char *v;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_exec(db, &r, "SELECT json_build_object('teams', coalesce("
	    "json_agg(json_build_object('id', id, 'name', name, 'front_door', "
	    "front_door) ORDER BY name), '[]')) FROM teams WHERE authority_id "
	    "= $1", 1, p) != 0)
		return NULL;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return o;
}

int
cases_team_set_front_door(struct db *db, const struct auth_user *u, long id,
    int front_door, json_t **out, struct verr *e)
{
	char sid[ID_LEN], aid[ID_LEN];
	const char *p[3] = { sid, aid, front_door ? "t" : "f" };
	struct db_res r;
	json_t *before = NULL, *after = NULL;
	int rc = -1, was;

	*out = NULL;
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_begin(db) != 0)
		return internal(e);
	if (db_exec(db, &r, "SELECT front_door FROM teams WHERE id = $1 AND "
	    "authority_id = $2 FOR UPDATE", 2, p) != 0) {
		internal(e);
		goto out;
	}
	if (db_res_rows(&r) != 1) {
		db_res_free(&r);
		verr_set(e, 404, NULL, "there is no team %ld in your authority",
		    id);
		goto out;
	}
	was = db_res_bool(&r, 0, 0);
	db_res_free(&r);
	before = json_pack("{s:b}", "front_door", was);
	after = json_pack("{s:b}", "front_door", front_door);
	if (before == NULL || after == NULL || db_cmd(db, "UPDATE teams SET "
	    "front_door = $3::boolean WHERE id = $1 AND authority_id = $2", 3,
	    p) != 0 || audit_record(db, u, "team.front_door", "team", id,
	    before, after) != 0 || (*out = cases_teams(db, u)) == NULL ||
	    db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	rc = 0;
out:
	db_rollback(db);
	json_decref(before);
	json_decref(after);
	return rc;
}

/* ---- routes -------------------------------------------------------------- */

static int
h_teams(struct http_req *rq, struct http_resp *rs)
{
	json_t *o = cases_teams(rq->db, &rq->user);

	if (o == NULL)
		return rs->status = 500;
	return http_json(rs, 200, o);
}

static int
h_team_patch(struct http_req *rq, struct http_resp *rs)
{
	static const char *const keys[] = { "front_door", NULL };
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	long id;
	int fd = 0, rc;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such team");
	if ((body = meeting_parse_body(rq->body.data, rq->body.len,
	    &e)) == NULL)
		return http_error_verr(rq, rs, &e);
	rc = input_known_keys(body, keys, "", &e) != 0 ||
	    input_bool(body, "front_door", "front_door", INPUT_REQUIRED, &fd,
	    NULL, &e) != 0 ||
	    cases_team_set_front_door(rq->db, &rq->user, id, fd, &out,
	    &e) != 0;
	json_decref(body);
	if (rc)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

const struct route case_routes[] = {
	{ "GET", "/api/v1/teams", AUTH_TOKEN, ROLE_ANY, h_teams, 0,
	  "the teams of your authority, and which are front doors" },
	{ "PATCH", "/api/v1/teams/{id}", AUTH_TOKEN, ROLE_ADMIN, h_team_patch,
	  0, "mark a team as a front door (MASH, out of hours) or not "
	  "(admin)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
