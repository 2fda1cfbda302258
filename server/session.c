/*
 * session: cookie sessions with idle and absolute timeouts enforced in SQL,
 * so every instance applies the same clock (the database's).
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "mfa.h"
#include "app.h"
#include "session.h"
#include "str.h"

#define SESSION_SQL_ALIVE \
	"s.last_seen_at > now() - make_interval(secs => " \
	"$2::int) AND s.created_at > now() - make_interval(secs => $3::int)"

int
session_authenticate(struct http_req *rq)
{
	const char *cookie = http_cookie(rq, SESSION_COOKIE);
	char hash[65], idle[16], max[16];
	const char *p[3] = { hash, idle, max };
	struct db_res r;
	long uid;
	int enrolled = 0, required = 0, rc = 1;

	if (cookie == NULL || strlen(cookie) != AUTH_TOKEN_LEN || rq->db == NULL)
		return 1;
	if (auth_hash_hex(cookie, hash, sizeof(hash)) != 0)
		return -1;
	snprintf(idle, sizeof(idle), "%d", SESSION_IDLE_SECONDS);
	snprintf(max, sizeof(max), "%d", SESSION_MAX_SECONDS);
	if (db_exec(rq->db, &r, "SELECT s.user_id, s.csrf, " SESSION_SQL_ALIVE
	    " FROM sessions s WHERE s.id_hash = $1", 3, p) != 0)
		return -1;
	if (db_res_rows(&r) == 0)
		goto out;
	if (!db_res_bool(&r, 0, 2)) {
		rq->session_expired = 1;
		(void)db_cmd(rq->db, "DELETE FROM sessions WHERE id_hash = $1",
		    1, p);
		goto out;
	}
	uid = db_res_long(&r, 0, 0, 0);
	if ((rc = auth_user_load(rq->db, uid, &rq->user)) != 0)
		goto out;
	/* Dynamic, so a rule made stricter applies to sessions already
	 * open. */
	if (mfa_status(rq->db, &rq->user, &enrolled, &required) != 0) {
		rc = -1;
		goto out;
	}
	rq->user.mfa_enrol_needed = required && !enrolled;
	str_copy(rq->user.session_id, hash, sizeof(rq->user.session_id));
	str_copy(rq->user.csrf, db_res_get(&r, 0, 1), sizeof(rq->user.csrf));
	/* Touch at most once a minute: a write per page view is waste. */
	(void)db_cmd(rq->db, "UPDATE sessions SET last_seen_at = now() "
	    "WHERE id_hash = $1 AND last_seen_at < now() - interval '60 s'",
	    1, p);
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

int
session_csrf_ok(const struct http_req *rq)
{
	const char *t = form_get(&rq->form, "csrf_token");

	if (t == NULL)
		t = http_header(rq, "X-CSRF-Token");
	if (t == NULL || rq->user.csrf[0] == '\0' ||
	    strlen(t) != strlen(rq->user.csrf))
		return -1;
	/* Constant time: the token is a secret. */
	{
		size_t i, n = strlen(t);
		unsigned char d = 0;
		for (i = 0; i < n; i++)
			d |= (unsigned char)(t[i] ^ rq->user.csrf[i]);
		return d == 0 ? 0 : -1;
	}
}

static int
set_cookie(struct http_req *rq, struct http_resp *rs, const char *value,
    int max_age)
{
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s; "
	    "Max-Age=%d", SESSION_COOKIE, value,
	    rq->app->cfg.https ? "; Secure" : "", max_age);
	return http_resp_header(rs, "Set-Cookie", c);
}

int
session_create(struct http_req *rq, struct http_resp *rs, long user_id)
{
	char token[AUTH_TOKEN_LEN + 1], hash[65], csrf[65], uid[24];
	const char *p[3] = { hash, uid, csrf };
	const char *old = http_cookie(rq, SESSION_COOKIE);
	const char *op[1] = { hash };

	/* Rotation: whatever session id the browser brought is dropped. */
	if (old != NULL && auth_hash_hex(old, hash, sizeof(hash)) == 0)
		(void)db_cmd(rq->db, "DELETE FROM sessions WHERE id_hash = $1",
		    1, op);
	if (auth_random_hex(token, sizeof(token), AUTH_TOKEN_LEN / 2) != 0 ||
	    auth_random_hex(csrf, sizeof(csrf), 32) != 0 ||
	    auth_hash_hex(token, hash, sizeof(hash)) != 0)
		return -1;
	snprintf(uid, sizeof(uid), "%ld", user_id);
	if (db_cmd(rq->db, "INSERT INTO sessions (id_hash, user_id, csrf) "
	    "VALUES ($1, $2, $3)", 3, p) != 0)
		return -1;
	str_copy(rq->user.csrf, csrf, sizeof(rq->user.csrf));
	str_copy(rq->user.session_id, hash, sizeof(rq->user.session_id));
	return set_cookie(rq, rs, token, SESSION_MAX_SECONDS);
}

int
session_destroy(struct http_req *rq, struct http_resp *rs)
{
	const char *p[1] = { rq->user.session_id };

	if (rq->user.session_id[0] != '\0')
		(void)db_cmd(rq->db, "DELETE FROM sessions WHERE id_hash = $1",
		    1, p);
	return set_cookie(rq, rs, "", 0);
}
