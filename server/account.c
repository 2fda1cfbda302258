/*
 * account: deactivation, API tokens, password change and reset (the rules
 * are in include/account.h), and their JSON API routes. Each change is one
 * transaction with its audit entry; nothing logs a password or a token.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "input.h"
#include "log.h"
#include "meeting.h"
#include "router.h"
#include "str.h"

#define ID_LEN	24

/* ---- the operations -------------------------------------------------------- */

int
account_find(struct db *db, const char *username, long *id)
{
	const char *p[1] = { username };
	struct db_res r;
	int rc;

	if (db_exec(db, &r, "SELECT id FROM users WHERE lower(username) = "
	    "lower($1)", 1, p) != 0)
		return -1;
	rc = db_res_rows(&r) == 1 ? 0 : ACCOUNT_NOT_FOUND;
	if (rc == 0)
		*id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	return rc;
}

/* Lock user uid for a change by actor: 0, ACCOUNT_NOT_FOUND (also for a
 * user of another authority: their existence is not revealed), -1. */
static int
lock_user(struct db *db, const struct auth_user *actor, long uid)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	int rc;

	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_exec(db, &r, "SELECT authority_id FROM users WHERE id = $1 "
	    "FOR UPDATE", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) != 1)
		rc = ACCOUNT_NOT_FOUND;
	else if (actor != NULL &&
	    db_res_long(&r, 0, 0, -1) != actor->authority_id)
		rc = ACCOUNT_NOT_FOUND;
	else
		rc = 0;
	db_res_free(&r);
	return rc;
}

/* One audit entry about user uid, in the caller's transaction. */
static int
audit_user(struct db *db, const struct auth_user *actor, const char *action,
    long uid, const char *after)
{
	char aid[ID_LEN], sid[ID_LEN];
	const char *p[4] = { NULL, action, sid, after };

	if (actor != NULL) {
		snprintf(aid, sizeof(aid), "%ld", actor->id);
		p[0] = aid;
	}
	snprintf(sid, sizeof(sid), "%ld", uid);
	return db_cmd(db, "INSERT INTO audit_log (authority_id, user_id, action, "
	    "entity, entity_id, after) SELECT authority_id, $1::bigint, $2, "
	    "'user', id, $4::jsonb FROM users WHERE id = $3", 4, p);
}

/* End every session and token of uid (in the caller's transaction). */
static int
end_access(struct db *db, long uid)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_cmd(db, "DELETE FROM sessions WHERE user_id = $1", 1, p) != 0 ||
	    db_cmd(db, "UPDATE api_tokens SET revoked_at = now() WHERE "
	    "user_id = $1 AND revoked_at IS NULL", 1, p) != 0)
		return -1;
	return 0;
}

int
account_set_active(struct db *db, const struct auth_user *actor, long uid,
    int active)
{
	char sid[ID_LEN];
	const char *p[2] = { sid, active ? "true" : "false" };
	int rc = -1;

	if (actor != NULL && actor->id == uid)
		return ACCOUNT_REFUSED;
	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_begin(db) != 0)
		return -1;
	if ((rc = lock_user(db, actor, uid)) != 0)
		goto out;
	rc = -1;
	if (db_cmd(db, "UPDATE users SET active = $2::boolean WHERE id = $1",
	    2, p) != 0 || (!active && end_access(db, uid) != 0) ||
	    audit_user(db, actor, active ? "user.reactivate" :
	    "user.deactivate", uid, NULL) != 0 || db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_rollback(db);
	return rc;
}

json_t *
account_tokens(struct db *db, long uid)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	json_t *a;
	int i;

	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_exec(db, &r, "SELECT id, label, to_char(created_at AT TIME ZONE "
	    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char(expires_at AT "
	    "TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), to_char("
	    "revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= "
	    "now() THEN 'expired' ELSE 'active' END FROM api_tokens WHERE "
	    "user_id = $1 ORDER BY id DESC", 1, p) != 0)
		return NULL;
	a = json_array();
	for (i = 0; a != NULL && i < db_res_rows(&r); i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:s?, "
		    "s:s}", "id", (json_int_t)db_res_long(&r, i, 0, 0), "label",
		    db_res_get(&r, i, 1), "created_at", db_res_get(&r, i, 2),
		    "expires_at", db_res_get(&r, i, 3), "revoked_at",
		    db_res_get(&r, i, 4), "state", db_res_get(&r, i, 5)));
	db_res_free(&r);
	return a;
}

int
account_token_revoke(struct db *db, const struct auth_user *actor, long tid,
    long owner, long authority)
{
	char st[ID_LEN], so[ID_LEN], sa[ID_LEN], after[64];
	const char *p[3] = { st, so, sa };
	struct db_res r;
	long uid;
	int rc = -1;

	db_res_init(&r);
	snprintf(st, sizeof(st), "%ld", tid);
	snprintf(so, sizeof(so), "%ld", owner);
	snprintf(sa, sizeof(sa), "%ld", authority);
	if (db_begin(db) != 0)
		return -1;
	if (db_exec(db, &r, "SELECT k.user_id FROM api_tokens k JOIN users u "
	    "ON u.id = k.user_id WHERE k.id = $1 AND ($2::bigint = 0 OR "
	    "k.user_id = $2::bigint) AND ($3::bigint = 0 OR u.authority_id = "
	    "$3::bigint) FOR UPDATE OF k", 3, p) != 0)
		goto out;
	if (db_res_rows(&r) != 1) {
		rc = ACCOUNT_NOT_FOUND;
		goto out;
	}
	uid = db_res_long(&r, 0, 0, 0);
	snprintf(after, sizeof(after), "{\"token_id\": %ld}", tid);
	if (db_cmd(db, "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, "
	    "now()) WHERE id = $1", 1, p) != 0 ||
	    audit_user(db, actor, "token.revoke", uid, after) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_res_free(&r);
	db_rollback(db);
	return rc;
}

/* A new password: long enough, not too long, no control characters. */
static int
password_ok(const char *pw)
{
	size_t n = strlen(pw);

	return n <= ACCOUNT_PASSWORD_MAX && str_utf8_valid(pw, n) &&
	    !str_has_ctl(pw) && str_utf8_len(pw) >= ACCOUNT_PASSWORD_MIN;
}

int
account_password_change(struct db *db, const struct auth_user *u,
    const char *current, const char *next, const char *keep_session)
{
	char hash[crypto_pwhash_STRBYTES], sid[ID_LEN];
	const char *p[2] = { sid, hash };
	const char *kp[2] = { sid, keep_session };
	struct db_res r;
	int rc = -1;

	db_res_init(&r);
	if (!password_ok(next) || strcmp(current, next) == 0)
		return ACCOUNT_WEAK_PASSWORD;
	snprintf(sid, sizeof(sid), "%ld", u->id);
	if (db_exec(db, &r, "SELECT password_hash FROM users WHERE id = $1 AND "
	    "active", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) != 1 ||
	    !auth_password_verify(db_res_get(&r, 0, 0), current)) {
		rc = ACCOUNT_WRONG_PASSWORD;
		goto out;
	}
	if (auth_password_hash(next, hash, sizeof(hash)) != 0 ||
	    db_begin(db) != 0)
		goto out;
	if (db_cmd(db, "UPDATE users SET password_hash = $2, "
	    "must_change_password = false, password_changed_at = now() WHERE "
	    "id = $1", 2, p) != 0 ||
	    db_cmd(db, "DELETE FROM sessions WHERE user_id = $1 AND id_hash IS "
	    "DISTINCT FROM $2", 2, kp) != 0 ||
	    audit_user(db, u, "user.password_change", u->id, NULL) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_res_free(&r);
	db_rollback(db);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
account_password_reset(struct db *db, const struct auth_user *actor,
    long uid, char *pw, size_t pwlen)
{
	char hash[crypto_pwhash_STRBYTES], sid[ID_LEN];
	const char *p[2] = { sid, hash };
	int rc = -1;

	if (actor != NULL && actor->id == uid)
		return ACCOUNT_REFUSED;	/* one's own: change it instead */
	snprintf(sid, sizeof(sid), "%ld", uid);
	if (auth_random_hex(pw, pwlen, 12) != 0 ||
	    auth_password_hash(pw, hash, sizeof(hash)) != 0 || db_begin(db) != 0)
		goto out;
	if ((rc = lock_user(db, actor, uid)) != 0)
		goto out;
	rc = -1;
	if (db_cmd(db, "UPDATE users SET password_hash = $2, "
	    "must_change_password = true, password_changed_at = now() WHERE "
	    "id = $1", 2, p) != 0 || end_access(db, uid) != 0 ||
	    audit_user(db, actor, "user.password_reset", uid, NULL) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_rollback(db);	/* safe without a transaction */
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0)
		sodium_memzero(pw, pwlen);
	return rc;
}

json_t *
account_users(struct db *db, long authority)
{
	char sa[ID_LEN];
	const char *p[1] = { sa };
	struct db_res r;
	json_t *a;
	int i;

	snprintf(sa, sizeof(sa), "%ld", authority);
	if (db_exec(db, &r, "SELECT u.id, u.username, u.role, coalesce(t.name, "
	    "''), u.active, u.must_change_password FROM users u LEFT JOIN teams "
	    "t ON t.id = u.team_id WHERE $1::bigint = 0 OR u.authority_id = "
	    "$1::bigint ORDER BY lower(u.username)", 1, p) != 0)
		return NULL;
	a = json_array();
	for (i = 0; a != NULL && i < db_res_rows(&r); i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:b, "
		    "s:b}", "id", (json_int_t)db_res_long(&r, i, 0, 0),
		    "username", db_res_get(&r, i, 1), "role",
		    db_res_get(&r, i, 2), "team", db_res_get(&r, i, 3),
		    "active", db_res_bool(&r, i, 4), "must_change_password",
		    db_res_bool(&r, i, 5)));
	db_res_free(&r);
	return a;
}

/* ---- the JSON API ------------------------------------------------------------ */

static int
reply_verr(struct http_req *rq, struct http_resp *rs, const struct verr *e)
{
	if (e->status == 500)
		return rs->status = 500;
	return http_error(rq, rs, e->status, e->field[0] ? e->field : NULL,
	    "%s", e->msg);
}

/* The {id} capture i as a user of the admin's own authority. */
static int
path_user(struct http_req *rq, struct http_resp *rs, size_t i, long *uid)
{
	struct db_res r;
	char sid[ID_LEN], sa[ID_LEN];
	const char *p[2] = { sid, sa };
	int found;

	if (http_param_id(rq, i, uid) != 0)
		goto none;
	snprintf(sid, sizeof(sid), "%ld", *uid);
	snprintf(sa, sizeof(sa), "%ld", rq->user.authority_id);
	if (db_exec(rq->db, &r, "SELECT 1 FROM users WHERE id = $1 AND "
	    "authority_id = $2", 2, p) != 0) {
		rs->status = 500;
		return -1;
	}
	found = db_res_rows(&r) == 1;
	db_res_free(&r);
	if (found)
		return 0;
none:
	http_error(rq, rs, 404, NULL, "there is no such user");
	return -1;
}

static int
h_own_tokens(struct http_req *rq, struct http_resp *rs)
{
	json_t *a = account_tokens(rq->db, rq->user.id);

	if (a == NULL)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:o}", "tokens", a));
}

static int
h_own_token_create(struct http_req *rq, struct http_resp *rs)
{
	static const char *const keys[] = { "label", "expires_days", NULL };
	char token[AUTH_TOKEN_LEN + 1];
	struct verr e = { 0 };
	const char *label = NULL;
	json_t *body, *list, *t, *mine = NULL;
	long days = AUTH_TOKEN_DAYS_DEFAULT, id = 0;
	size_t i;
	int present = 0, rc;

	/* A token may not make tokens: one stolen would outlive its expiry. */
	if (!rq->via_session)
		return http_error(rq, rs, 403, NULL, "sign in to make an API "
		    "token; a token cannot make another");
	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) ==
	    NULL)
		return reply_verr(rq, rs, &e);
	if (input_known_keys(body, keys, "", &e) != 0 ||
	    input_str(body, "label", "label", INPUT_OPTIONAL, ACCOUNT_LABEL_MAX,
	    &label, &e) != 0 ||
	    input_int(body, "expires_days", "expires_days", INPUT_OPTIONAL, 1,
	    AUTH_TOKEN_DAYS_MAX, &days, &present, &e) != 0) {
		json_decref(body);
		return reply_verr(rq, rs, &e);
	}
	rc = auth_token_create(rq->db, rq->user.username, (int)days, label,
	    token, sizeof(token), &id);
	json_decref(body);
	if (rc != 0)
		return rs->status = 500;
	/* The token object as listed, and its secret this once. */
	list = account_tokens(rq->db, rq->user.id);
	json_array_foreach(list, i, t)
		if (json_integer_value(json_object_get(t, "id")) == id)
			mine = json_incref(t);
	json_decref(list);
	if (mine == NULL) {
		sodium_memzero(token, sizeof(token));
		return rs->status = 500;
	}
	json_object_set_new(mine, "token", json_string(token));
	sodium_memzero(token, sizeof(token));
	return http_json(rs, 201, mine);
}

static int
revoke_reply(struct http_req *rq, struct http_resp *rs, int rc)
{
	if (rc == ACCOUNT_NOT_FOUND)
		return http_error(rq, rs, 404, NULL, "there is no such token");
	if (rc != 0)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:b}", "revoked", 1));
}

static int
h_own_token_revoke(struct http_req *rq, struct http_resp *rs)
{
	long tid;

	if (http_param_id(rq, 0, &tid) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such token");
	return revoke_reply(rq, rs, account_token_revoke(rq->db, &rq->user,
	    tid, rq->user.id, 0));
}

static int
h_own_password(struct http_req *rq, struct http_resp *rs)
{
	static const char *const keys[] = { "current_password", "new_password",
		NULL };
	struct verr e = { 0 };
	const char *cur, *next;
	json_t *body;
	int rc;

	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) ==
	    NULL)
		return reply_verr(rq, rs, &e);
	if (input_known_keys(body, keys, "", &e) != 0 ||
	    input_str(body, "current_password", "current_password",
	    INPUT_REQUIRED, ACCOUNT_PASSWORD_MAX, &cur, &e) != 0 ||
	    input_str(body, "new_password", "new_password", INPUT_REQUIRED,
	    ACCOUNT_PASSWORD_MAX, &next, &e) != 0) {
		json_decref(body);
		return reply_verr(rq, rs, &e);
	}
	rc = account_password_change(rq->db, &rq->user, cur, next,
	    rq->via_session ? rq->user.session_id : NULL);
	json_decref(body);
	if (rc == ACCOUNT_WRONG_PASSWORD) {
		log_warn("account", "password change refused for user %ld: "
		    "wrong current password", rq->user.id);
		return http_error(rq, rs, 422, "current_password",
		    "current_password: is not your password");
	}
	if (rc == ACCOUNT_WEAK_PASSWORD)
		return http_error(rq, rs, 422, "new_password", "new_password: "
		    "must be %d to %d characters, without control characters, "
		    "and not the current one", ACCOUNT_PASSWORD_MIN,
		    ACCOUNT_PASSWORD_MAX);
	if (rc != 0)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:b}", "changed", 1));
}

static int
h_users(struct http_req *rq, struct http_resp *rs)
{
	json_t *a = account_users(rq->db, rq->user.authority_id);

	if (a == NULL)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:o}", "users", a));
}

static int
set_active(struct http_req *rq, struct http_resp *rs, int active)
{
	long uid;
	int rc;

	if (path_user(rq, rs, 0, &uid) != 0)
		return rs->status;
	rc = account_set_active(rq->db, &rq->user, uid, active);
	if (rc == ACCOUNT_REFUSED)
		return http_error(rq, rs, 409, NULL, "you cannot deactivate "
		    "yourself; ask another administrator");
	if (rc == ACCOUNT_NOT_FOUND)
		return http_error(rq, rs, 404, NULL, "there is no such user");
	if (rc != 0)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:I, s:b}", "id",
	    (json_int_t)uid, "active", active));
}

static int
h_user_deactivate(struct http_req *rq, struct http_resp *rs)
{
	return set_active(rq, rs, 0);
}

static int
h_user_reactivate(struct http_req *rq, struct http_resp *rs)
{
	return set_active(rq, rs, 1);
}

static int
h_user_reset(struct http_req *rq, struct http_resp *rs)
{
	char pw[64];
	long uid;
	int rc;

	if (path_user(rq, rs, 0, &uid) != 0)
		return rs->status;
	rc = account_password_reset(rq->db, &rq->user, uid, pw, sizeof(pw));
	if (rc == ACCOUNT_REFUSED)
		return http_error(rq, rs, 409, NULL, "change your own password "
		    "instead (POST /api/v1/account/password)");
	if (rc == ACCOUNT_NOT_FOUND)
		return http_error(rq, rs, 404, NULL, "there is no such user");
	if (rc != 0)
		return rs->status = 500;
	rc = http_json(rs, 200, json_pack("{s:I, s:s, s:b}", "id",
	    (json_int_t)uid, "temporary_password", pw, "must_change_password",
	    1));
	sodium_memzero(pw, sizeof(pw));
	return rc;
}

static int
h_user_tokens(struct http_req *rq, struct http_resp *rs)
{
	json_t *a;
	long uid;

	if (path_user(rq, rs, 0, &uid) != 0)
		return rs->status;
	if ((a = account_tokens(rq->db, uid)) == NULL)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:o}", "tokens", a));
}

static int
h_user_token_revoke(struct http_req *rq, struct http_resp *rs)
{
	long uid, tid;

	if (path_user(rq, rs, 0, &uid) != 0)
		return rs->status;
	if (http_param_id(rq, 1, &tid) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such token");
	return revoke_reply(rq, rs, account_token_revoke(rq->db, &rq->user,
	    tid, uid, rq->user.authority_id));
}

const struct route account_routes[] = {
	{ "GET", "/api/v1/account/tokens", AUTH_TOKEN, ROLE_ANY, h_own_tokens,
	  ROUTE_PW_CHANGE, "your API tokens" },
	{ "POST", "/api/v1/account/tokens", AUTH_TOKEN, ROLE_ANY,
	  h_own_token_create, 0, "make an API token for yourself (signed in, "
	  "not with a token)" },
	{ "DELETE", "/api/v1/account/tokens/{id}", AUTH_TOKEN, ROLE_ANY,
	  h_own_token_revoke, ROUTE_PW_CHANGE, "revoke one of your tokens" },
	{ "POST", "/api/v1/account/password", AUTH_TOKEN, ROLE_ANY,
	  h_own_password, ROUTE_SLOW | ROUTE_PW_CHANGE,
	  "change your password" },
	{ "GET", "/api/v1/users", AUTH_TOKEN, ROLE_ADMIN, h_users, 0,
	  "the users of your authority (admin)" },
	{ "POST", "/api/v1/users/{id}/deactivate", AUTH_TOKEN, ROLE_ADMIN,
	  h_user_deactivate, 0, "deactivate a user: sessions and tokens end "
	  "(admin)" },
	{ "POST", "/api/v1/users/{id}/reactivate", AUTH_TOKEN, ROLE_ADMIN,
	  h_user_reactivate, 0, "reactivate a user (admin)" },
	{ "POST", "/api/v1/users/{id}/password-reset", AUTH_TOKEN, ROLE_ADMIN,
	  h_user_reset, ROUTE_SLOW, "a temporary password, to be changed at "
	  "the next sign-in (admin)" },
	{ "GET", "/api/v1/users/{id}/tokens", AUTH_TOKEN, ROLE_ADMIN,
	  h_user_tokens, 0, "a user's API tokens (admin)" },
	{ "DELETE", "/api/v1/users/{id}/tokens/{tid}", AUTH_TOKEN, ROLE_ADMIN,
	  h_user_token_revoke, 0, "revoke a user's token (admin)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
