/*
 * web_sso: signing staff in with their authority's identity provider
 * (OpenID Connect, authorisation code with PKCE; docs/sso.md).
 *
 * GET /sign-in/sso?authority=CODE makes a state, a nonce and a PKCE
 * verifier, keeps them server-side (oidc_pending, ten minutes, used once)
 * and sends the browser to the provider, with the state also in a cookie
 * of its own: the callback must come back to the browser that started it,
 * so nobody can sign a victim into the attacker's account.
 * GET /sign-in/sso/callback takes the pending sign-in (deleting it: a
 * replayed callback finds nothing), exchanges the code, verifies the
 * id_token (oidc.c), maps its claims to a role and a team, and provisions
 * or updates the user linked by (issuer, subject). A known user whose
 * claims no longer give any role, or whose address has left the
 * council's domains, is deactivated: the provider has said they are
 * gone. Then the ordinary session starts (session_create).
 *
 * Both routes call the provider over the network, so they run on the slow
 * lane (ROUTE_SLOW) with oidc.c's short timeouts. Nothing here logs a
 * code, a token, a state or a secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "app.h"
#include "audit.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "oidc.h"
#include "router.h"
#include "session.h"
#include "str.h"
#include "web.h"

#define SSO_COOKIE	"convene_sso"
#define SSO_PENDING_MAX	"10000"	/* sign-ins under way, all authorities */
#define SSO_PENDING_CLIENT "50"	/* under way from one client address */
#define SSO_CODE_MAX	2048	/* bytes of an authorisation code */

static int
sso_cookie(struct http_req *rq, struct http_resp *rs, const char *value,
    int max_age)
{
	char c[256];

	/* SameSite=Lax: the callback is a top-level navigation from the
	 * provider's site, which Strict would strip the cookie from. */
	if (snprintf(c, sizeof(c), "%s=%s; Path=/sign-in/sso; HttpOnly; "
	    "SameSite=Lax%s; Max-Age=%d", SSO_COOKIE, value,
	    rq->app->cfg.https ? "; Secure" : "", max_age) >= (int)sizeof(c))
		return -1;
	return http_resp_header(rs, "Set-Cookie", c);
}

/* Percent-encode s onto b (RFC 3986 unreserved characters stay). */
static void
put_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL) {
			buf_append(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[(unsigned char)*s >> 4];
		e[2] = hex[(unsigned char)*s & 15];
		buf_append(b, e, 3);
	}
}

static void
put_param(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "&%s=", name);
	put_escaped(b, value);
}

int
web_sso_authorize_url(struct buf *b, const char *authz, const char *client_id,
    const char *redirect_uri, const char *state, const char *nonce,
    const char *challenge)
{
	buf_puts(b, authz);
	buf_puts(b, strchr(authz, '?') != NULL ? "&" : "?");
	buf_puts(b, "response_type=code");
	put_param(b, "client_id", client_id);
	put_param(b, "redirect_uri", redirect_uri);
	put_param(b, "scope", "openid email profile");
	put_param(b, "state", state);
	put_param(b, "nonce", nonce);
	put_param(b, "code_challenge", challenge);
	put_param(b, "code_challenge_method", "S256");
	return b->failed ? -1 : 0;
}

static int
redirect_uri(const struct http_req *rq, char *out, size_t outlen)
{
	return snprintf(out, outlen, "%s/sign-in/sso/callback",
	    rq->app->cfg.base_url) >= (int)outlen ? -1 : 0;
}

int
web_sso_random_ok(const char *s)
{
	return s != NULL && strlen(s) == OIDC_RANDOM_LEN &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == OIDC_RANDOM_LEN;
}

/* Keep the pending sign-in; 0, 1 when too many are under way (from
 * client, or in all), -1. The caps bound the table an anonymous caller
 * can fill. */
static int
pending_put(struct db *db, long authority_id, const char *state,
    const char *nonce, const char *verifier, const char *client)
{
	char hash[65], aid[24], secs[16];
	const char *p[8] = { hash, aid, nonce, verifier, secs, SSO_PENDING_MAX,
	    client, SSO_PENDING_CLIENT };
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(aid, sizeof(aid), "%ld", authority_id);
	snprintf(secs, sizeof(secs), "%d", OIDC_PENDING_SECONDS);
	if (auth_hash_hex(state, hash, sizeof(hash)) != 0 || db_begin(db) != 0)
		goto out;
	if (db_cmd(db, "DELETE FROM oidc_pending WHERE expires_at < now()", 0,
	    NULL) != 0 ||
	    db_exec(db, &r, "INSERT INTO oidc_pending (state_hash, authority_id,"
	    " nonce, verifier, client, expires_at) SELECT $1, $2, $3, $4, $7, "
	    "now() + make_interval(secs => $5::int) WHERE (SELECT count(*) "
	    "FROM oidc_pending) < $6::int AND (SELECT count(*) FROM "
	    "oidc_pending WHERE client = $7) < $8::int RETURNING 1", 8,
	    p) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		result = 1;
		goto out;
	}
	if (db_commit(db) != 0)
		goto out;
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	return result;
}

/* Take (delete) the pending sign-in of state; 0 found, 1 none or
 * expired, -1 error. nonce and verifier hold OIDC_RANDOM_LEN + 1. */
static int
pending_take(struct db *db, const char *state, long *authority_id,
    char *nonce, char *verifier, size_t len)
{
	char hash[65];
	const char *p[1] = { hash };
	struct db_res r;
	int result = -1;

	if (auth_hash_hex(state, hash, sizeof(hash)) != 0 ||
	    db_exec(db, &r, "DELETE FROM oidc_pending WHERE state_hash = $1 "
	    "RETURNING authority_id, nonce, verifier, expires_at > now()", 1,
	    p) != 0)
		return -1;
	if (db_res_rows(&r) != 1 || !db_res_bool(&r, 0, 3))
		result = 1;
	else {
		*authority_id = db_res_long(&r, 0, 0, 0);
		str_copy(nonce, db_res_get(&r, 0, 1), len);
		str_copy(verifier, db_res_get(&r, 0, 2), len);
		result = 0;
	}
	db_res_free(&r);
	return result;
}

static int
web_sso_start(struct http_req *rq, struct http_resp *rs)
{
	struct oidc_provider p;
	struct buf url;
	char authz[OIDC_URL_MAX + 1], token[OIDC_URL_MAX + 1];
	char state[OIDC_RANDOM_LEN + 1], nonce[OIDC_RANDOM_LEN + 1];
	char verifier[OIDC_RANDOM_LEN + 1], challenge[OIDC_RANDOM_LEN + 1];
	char ruri[512], client[64];
	const char *code = http_query(rq, "authority");
	int rc, status = 500;

	buf_init(&url, 1000);	/* what a Location header here may hold */
	if (code == NULL || code[0] == '\0' || strlen(code) > 64 ||
	    strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
	    strlen(code)) {
		status = http_error(rq, rs, 400, "authority", "choose the "
		    "council to sign in with");
		goto out;
	}
	if ((rc = oidc_provider_load(rq->db, code, 0, &p)) < 0)
		goto out;
	if (rc > 0) {
		status = http_error(rq, rs, 404, "authority", "that council "
		    "does not sign in with single sign-on here");
		goto out;
	}
	if (oidc_discover(p.issuer, authz, token, sizeof(authz)) != 0) {
		status = http_error(rq, rs, 502, NULL, "your council's sign-in "
		    "service could not be reached; try again in a moment");
		goto out;
	}
	if (oidc_random(state, sizeof(state)) != 0 ||
	    oidc_random(nonce, sizeof(nonce)) != 0 ||
	    oidc_random(verifier, sizeof(verifier)) != 0 ||
	    oidc_pkce_challenge(verifier, challenge, sizeof(challenge)) != 0 ||
	    redirect_uri(rq, ruri, sizeof(ruri)) != 0)
		goto out;
	if (http_client_addr(rq, client, sizeof(client)) != 0)
		str_copy(client, "unknown", sizeof(client));
	if ((rc = pending_put(rq->db, p.authority_id, state, nonce,
	    verifier, client)) < 0)
		goto out;
	if (rc > 0) {
		log_warn("sso", "too many sign-ins under way; refused one");
		status = http_error(rq, rs, 429, NULL, "too many sign-ins have "
		    "been started from here; finish one, or wait ten minutes");
		if (http_resp_header(rs, "Retry-After", "60") != 0)
			status = 500;
		goto out;
	}
	if (web_sso_authorize_url(&url, authz, p.client_id, ruri, state, nonce,
	    challenge) != 0 ||
	    sso_cookie(rq, rs, state, OIDC_PENDING_SECONDS) != 0 ||
	    http_resp_header(rs, "Location", buf_cstr(&url)) != 0)
		goto out;
	str_copy(rs->content_type, "text/plain", sizeof(rs->content_type));
	log_info("sso", "sign-in started for authority %s", p.authority_code);
	status = 302;
out:
	sodium_memzero(&p, sizeof(p));
	buf_free(&url);
	return rs->status = status;
}

/* The claim as a string: itself, or the first string of an array. */
static const char *
claim_str(const json_t *claims, const char *name)
{
	json_t *c = json_object_get(claims, name);

	if (json_is_array(c))
		c = json_array_get(c, 0);
	return json_string_value(c);
}

/* A refusal for the person, the reason (no personal data) for the log. */
struct refusal {
	int	 status;
	char	 msg[200];
	int	 leaver;	/* the claims say the person has left */
};

static int
refuse(struct refusal *rf, int status, const char *msg)
{
	rf->status = status;
	rf->leaver = 0;
	str_copy(rf->msg, msg, sizeof(rf->msg));
	return 1;
}

/* The team's id in the authority, made when missing; -1 on error. */
static long
team_id(struct db *db, long authority_id, const char *team)
{
	char aid[24];
	const char *p[2] = { aid, team };
	struct db_res r;
	long id = -1;

	snprintf(aid, sizeof(aid), "%ld", authority_id);
	if (db_cmd(db, "INSERT INTO teams (authority_id, name) VALUES ($1, $2) "
	    "ON CONFLICT DO NOTHING", 2, p) != 0 ||
	    db_exec(db, &r, "SELECT id FROM teams WHERE authority_id = $1 AND "
	    "name = $2", 2, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		id = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	return id;
}

/* What the claims say about the person, checked before any write. */
struct person {
	const char	*sub;
	char		 username[65];
	char		 name[201];
	char		 team[201];
	enum auth_role	 role;
	int		 has_role;
};

static int
read_person(const json_t *claims, const struct oidc_provider *p,
    struct person *pe, struct refusal *rf)
{
	const char *email = json_string_value(json_object_get(claims, "email"));
	const char *name = json_string_value(json_object_get(claims, "name"));
	const char *team = NULL;
	json_t *verified = json_object_get(claims, "email_verified");
	size_t i;

	memset(pe, 0, sizeof(*pe));
	pe->sub = json_string_value(json_object_get(claims, "sub"));
	if (email == NULL || strlen(email) > 64 || !str_email_valid(email) ||
	    strspn(email, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._@-+") != strlen(email) || strchr(email, '+') != NULL)
		return refuse(rf, 403, "your council's sign-in did not give an "
		    "email address Convene can use; ask your administrator");
	/* A provider that says the address is unverified is not trusted
	 * with it (Entra ID does not send the claim; docs/sso.md). */
	if (json_is_false(verified))
		return refuse(rf, 403, "your email address is not verified with "
		    "your council's sign-in service");
	if (!oidc_email_domain_ok(email, p->allowed_domains)) {
		/* An address moved out of the council's domains: someone
		 * known here has left (provision deactivates them). */
		refuse(rf, 403, "your email address is not one this "
		    "council's Convene accepts");
		rf->leaver = 1;
		return 1;
	}
	str_copy(pe->username, email, sizeof(pe->username));
	for (i = 0; pe->username[i] != '\0'; i++)
		if (pe->username[i] >= 'A' && pe->username[i] <= 'Z')
			pe->username[i] = (char)(pe->username[i] - 'A' + 'a');
	if (name != NULL && strlen(name) < sizeof(pe->name) &&
	    !str_has_ctl(name) && str_utf8_valid(name, strlen(name)))
		str_copy(pe->name, name, sizeof(pe->name));
	else
		str_copy(pe->name, pe->username, sizeof(pe->name));
	pe->has_role = oidc_map_role(claims, p, &pe->role) == 0;
	if (!pe->has_role || pe->role == ROLE_ADMIN)
		return 0;
	if (p->team_claim[0] != '\0')
		team = claim_str(claims, p->team_claim);
	if (team == NULL || team[0] == '\0' || strlen(team) > 200 ||
	    str_has_ctl(team) || !str_utf8_valid(team, strlen(team)))
		return refuse(rf, 403, "your council's sign-in did not say "
		    "which team you are in; ask your administrator");
	str_copy(pe->team, team, sizeof(pe->team));
	return 0;
}

/*
 * Make the user for a first sign-in, linked to (issuer, subject). 0 with
 * *id, 1 when the username is taken by another account, -1 on error.
 * Inside the caller's transaction.
 */
static int
user_insert(struct db *db, const struct oidc_provider *p,
    const struct person *pe, long team, long *id)
{
	char aid[24], tid[24], sid[24], rnd[65], hash[160];
	const char *q[6] = { aid, team > 0 ? tid : NULL, pe->username,
	    pe->name, auth_role_name(pe->role), hash };
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(aid, sizeof(aid), "%ld", p->authority_id);
	snprintf(tid, sizeof(tid), "%ld", team);
	/* A real hash of random bytes nobody keeps: the account has no
	 * password, and the sign-in form spends the same time on it as on
	 * any other (the username is no oracle). */
	if (auth_random_hex(rnd, sizeof(rnd), 32) != 0 ||
	    auth_password_hash(rnd, hash, sizeof(hash)) != 0)
		goto out;
	if (db_exec(db, &r, "INSERT INTO users (authority_id, team_id, "
	    "username, display_name, role, password_hash) VALUES ($1, $2, $3, "
	    "$4, $5, $6) ON CONFLICT DO NOTHING RETURNING id", 6, q) != 0)
		goto out;
	if (db_res_rows(&r) != 1) {
		result = 1;
		goto out;
	}
	*id = db_res_long(&r, 0, 0, 0);
	snprintf(sid, sizeof(sid), "%ld", *id);
	q[0] = sid;
	q[1] = p->issuer;
	q[2] = pe->sub;
	if (db_cmd(db, "INSERT INTO oidc_identities (user_id, issuer, subject, "
	    "last_sign_in_at) VALUES ($1, $2, $3, now())", 3, q) != 0)
		goto out;
	result = 0;
out:
	sodium_memzero(rnd, sizeof(rnd));
	db_res_free(&r);
	return result;
}

/* Bring a known user up to date with the claims: the provider is the
 * source of truth, so a move of team or role there takes effect at the
 * next sign-in. The username stays: it is how colleagues know the
 * account. Inside the caller's transaction. */
static int
user_update(struct db *db, const struct person *pe, long team, long id)
{
	char tid[24], sid[24];
	const char *q[4] = { sid, team > 0 ? tid : NULL, pe->name,
	    auth_role_name(pe->role) };

	snprintf(tid, sizeof(tid), "%ld", team);
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_cmd(db, "UPDATE users SET team_id = $2, display_name = $3, "
	    "role = $4 WHERE id = $1", 4, q) != 0 ||
	    db_cmd(db, "UPDATE oidc_identities SET last_sign_in_at = now() "
	    "WHERE user_id = $1", 1, q) != 0)
		return -1;
	return 0;
}

/* The user linked to (issuer, sub), locked: 0 found (*id, *active,
 * *authority), 1 none, -1 on error. */
static int
identity_find(struct db *db, const char *issuer, const char *sub, long *id,
    int *active, long *authority)
{
	const char *q[2] = { issuer, sub };
	struct db_res r;
	int result;

	if (db_exec(db, &r, "SELECT u.id, u.active, u.authority_id FROM "
	    "oidc_identities i JOIN users u ON u.id = i.user_id WHERE "
	    "i.issuer = $1 AND i.subject = $2 FOR UPDATE OF u", 2, q) != 0)
		return -1;
	result = db_res_rows(&r) == 1 ? 0 : 1;
	if (result == 0) {
		*id = db_res_long(&r, 0, 0, 0);
		*active = db_res_bool(&r, 0, 1);
		*authority = db_res_long(&r, 0, 2, 0);
	}
	db_res_free(&r);
	return result;
}

/* Whether a linked user may go on: 0 yes; 1 refused (rf), with *leaver
 * set when the claims say they have left (no role, or an address outside
 * the domains), so the caller deactivates them. */
static int
known_user_ok(const struct oidc_provider *p, long id, int active,
    long authority, int person_rc, const struct person *pe,
    struct refusal *rf, int *leaver)
{
	*leaver = 0;
	if (!active) {
		log_warn("sso", "sign-in refused: user %ld is deactivated", id);
		return refuse(rf, 403, "your Convene account has been "
		    "deactivated; ask your administrator");
	}
	if (authority != p->authority_id) {
		log_warn("sso", "sign-in refused: user %ld belongs to another "
		    "authority", id);
		return refuse(rf, 403, "your account belongs to another "
		    "council");
	}
	if ((person_rc != 0 && rf->leaver) || (person_rc == 0 &&
	    !pe->has_role)) {
		*leaver = 1;
		return refuse(rf, 403, "your council no longer gives you access "
		    "to Convene; your account has been deactivated");
	}
	return person_rc != 0 ? 1 : 0;
}

/*
 * Find or make the user for these claims, in one transaction with its
 * audit entry. 0 with *uid; 1 refused (rf says why); -1 error. A known
 * user whom the claims show to have left is deactivated (their sessions
 * and tokens too), after the transaction, by account_set_active.
 */
static int
provision(struct db *db, const struct oidc_provider *p, const json_t *claims,
    long *uid, struct refusal *rf)
{
	struct person pe;
	struct auth_user actor;
	json_t *after = NULL;
	long id = 0, team = 0, authority = 0;
	int found, active = 0, prc, rc, leaver = 0, result = -1;

	memset(rf, 0, sizeof(*rf));
	prc = read_person(claims, p, &pe, rf);
	if (db_begin(db) != 0 || (found = identity_find(db, p->issuer,
	    json_string_value(json_object_get(claims, "sub")), &id, &active,
	    &authority)) < 0)
		goto out;
	found = found == 0;
	if (found && (result = known_user_ok(p, id, active, authority, prc,
	    &pe, rf, &leaver)) != 0)
		goto out;
	result = -1;
	if (prc != 0) {
		result = 1;
		goto out;
	}
	if (!pe.has_role) {
		log_warn("sso", "sign-in refused for authority %s: no role in "
		    "the claims", p->authority_code);
		result = refuse(rf, 403, "your council has not given you access "
		    "to Convene");
		goto out;
	}
	if (pe.team[0] != '\0' &&
	    (team = team_id(db, p->authority_id, pe.team)) < 0)
		goto out;
	rc = found ? user_update(db, &pe, team, id) :
	    user_insert(db, p, &pe, team, &id);
	if (rc > 0) {
		/* Linked by subject, never by email: an existing account of
		 * that name is not taken over. */
		log_warn("sso", "sign-in refused for authority %s: the username "
		    "is taken by an account not linked to this identity",
		    p->authority_code);
		result = refuse(rf, 403, "an account with your email address "
		    "already exists in Convene; ask your administrator to link "
		    "it");
		goto out;
	}
	if (rc < 0)
		goto out;
	memset(&actor, 0, sizeof(actor));
	actor.id = id;
	actor.authority_id = p->authority_id;
	after = json_pack("{s:s, s:s?}", "role", auth_role_name(pe.role),
	    "team", pe.team[0] != '\0' ? pe.team : NULL);
	if (audit_record(db, &actor, found ? "user.sso_sign_in" :
	    "user.sso_provision", "user", id, NULL, after) != 0 ||
	    db_commit(db) != 0)
		goto out;
	if (!found)
		log_info("sso", "provisioned user %ld (%s) for authority %s", id,
		    auth_role_name(pe.role), p->authority_code);
	*uid = id;
	result = 0;
out:
	db_rollback(db);
	json_decref(after);
	if (leaver) {
		if (account_set_active(db, NULL, id, 0) != 0)
			return -1;
		log_warn("sso", "deactivated user %ld: the provider's claims "
		    "give no role or an address outside the council's "
		    "domains", id);
	}
	return result;
}

/*
 * The callback's state: it must be the browser's own (its cookie, so
 * nobody can sign a victim in as themselves) and a pending sign-in, which
 * is taken (used once). 0 with the pending sign-in's authority, nonce and
 * verifier; otherwise the status of the answer already made.
 */
static int
callback_state(struct http_req *rq, struct http_resp *rs, long *authority_id,
    char *nonce, char *verifier, size_t len)
{
	const char *state = http_query(rq, "state");
	const char *cookie = http_cookie(rq, SSO_COOKIE);
	int rc;

	if (!web_sso_random_ok(state))
		return http_error(rq, rs, 400, "state", "this sign-in link is "
		    "not complete; start signing in again");
	if (!web_sso_random_ok(cookie) || sodium_memcmp(cookie, state,
	    OIDC_RANDOM_LEN) != 0) {
		log_warn("sso", "callback refused: state not from this browser");
		return http_error(rq, rs, 400, "state", "this sign-in was not "
		    "started in this browser; start signing in again");
	}
	if ((rc = pending_take(rq->db, state, authority_id, nonce, verifier,
	    len)) < 0)
		return rs->status = 500;
	if (rc > 0) {
		log_warn("sso", "callback refused: unknown, used or expired "
		    "state");
		return http_error(rq, rs, 400, "state", "this sign-in has "
		    "expired or was already used; start signing in again");
	}
	return 0;
}

static int
web_sso_callback(struct http_req *rq, struct http_resp *rs)
{
	struct oidc_provider p;
	struct refusal rf;
	struct auth_user u;
	char nonce[OIDC_RANDOM_LEN + 1], verifier[OIDC_RANDOM_LEN + 1];
	char ruri[512], why[160] = "no reason given";
	const char *code = http_query(rq, "code");
	const char *error = http_query(rq, "error");
	const char *iss = http_query(rq, "iss");
	char *jwt = NULL;
	json_t *claims = NULL;
	long authority_id = 0, uid = 0;
	int rc, status = 500;

	memset(&p, 0, sizeof(p));
	if ((status = callback_state(rq, rs, &authority_id, nonce, verifier,
	    sizeof(nonce))) != 0)
		goto out;
	status = 500;
	if (error != NULL) {
		/* XXX the provider's refusal names no user we could hold it
		 * against (docs/sso.md, "Deactivation"). */
		log_warn("sso", "the provider refused the sign-in (%s)",
		    strlen(error) < 40 && strspn(error,
		    "abcdefghijklmnopqrstuvwxyz_") == strlen(error) ? error :
		    "unrecognised error");
		status = http_error(rq, rs, 403, NULL, "your council's sign-in "
		    "service did not sign you in");
		goto out;
	}
	if (code == NULL || code[0] == '\0' || strlen(code) > SSO_CODE_MAX ||
	    str_has_ctl(code)) {
		status = http_error(rq, rs, 400, "code", "this sign-in link "
		    "has no code; start signing in again");
		goto out;
	}
	if ((rc = oidc_provider_load(rq->db, NULL, authority_id, &p)) != 0) {
		if (rc > 0)
			status = http_error(rq, rs, 403, NULL, "single sign-on "
			    "is no longer set up for this council");
		goto out;
	}
	/* RFC 9207: a provider that names itself in the answer must name
	 * the one this sign-in went to (a mix-up attack otherwise). */
	if (iss != NULL && strcmp(iss, p.issuer) != 0) {
		log_warn("sso", "sign-in refused for authority %s: the answer "
		    "names another issuer", p.authority_code);
		status = http_error(rq, rs, 403, NULL, "your council's sign-in "
		    "could not be checked; start signing in again");
		goto out;
	}
	if (redirect_uri(rq, ruri, sizeof(ruri)) != 0)
		goto out;
	if ((jwt = oidc_token_request(&p, code, ruri, verifier, why,
	    sizeof(why))) == NULL ||
	    oidc_id_token_check(&p, jwt, nonce, &claims, why,
	    sizeof(why)) != 0) {
		log_warn("sso", "sign-in refused for authority %s: %s",
		    p.authority_code, why);
		status = http_error(rq, rs, 403, NULL, "your council's sign-in "
		    "could not be checked; start signing in again");
		goto out;
	}
	if ((rc = provision(rq->db, &p, claims, &uid, &rf)) != 0) {
		if (rc > 0)
			status = http_error(rq, rs, rf.status, NULL, "%s",
			    rf.msg);
		goto out;
	}
	if (auth_user_load(rq->db, uid, &u) != 0)
		goto out;
	rq->user = u;
	if (session_create(rq, rs, u.id) != 0)
		goto out;
	log_info("sso", "signed in: user %ld", u.id);
	status = http_redirect(rs, "/");
out:
	/* The state cookie is spent whatever happened (after any error
	 * page, which starts its headers afresh). */
	if (sso_cookie(rq, rs, "", 0) != 0)
		status = 500;
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(verifier, sizeof(verifier));
	if (jwt != NULL) {
		sodium_memzero(jwt, strlen(jwt));
		free(jwt);
	}
	json_decref(claims);
	return rs->status = status;
}

const struct route sso_routes[] = {
	{ "GET", "/sign-in/sso", AUTH_NONE, 0, web_sso_start, ROUTE_SLOW,
	  "start single sign-on with a council's identity provider" },
	{ "GET", "/sign-in/sso/callback", AUTH_NONE, 0, web_sso_callback,
	  ROUTE_SLOW, "the identity provider's answer: check it and sign in" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL }
};
