/*
 * web_partner_sso: a partner signs in with their own organisation's
 * identity provider (a police force's Entra ID; docs/partners.md), as an
 * alternative to the emailed code, when the operator has registered one
 * for the organisation (`convene oidc partner-set`, oidc_partner.c).
 *
 * GET /partner/{token}/sso checks the pack link as the code path does,
 * keeps a state, nonce and PKCE verifier bound to that invitation and
 * contact (oidc_partner_pending: used once, ten minutes) and sends the
 * browser to the provider, the state also in a cookie of its own.
 * GET /partner/sso/callback takes the pending sign-in, exchanges the code
 * and verifies the id_token with the staff sign-in's machinery (oidc.c),
 * then requires the verified email to be the directory address of the
 * contact the link was issued to: a forwarded link does not let another
 * officer of the same force in. Only then the same partner session as the
 * code path starts (partner.c, via "sso").
 *
 * Nothing here reads the staff providers or staff pending sign-ins, and
 * the staff routes read nothing of these: a partner's provider never makes
 * a staff session and a staff provider never opens a pack. Nothing logs a
 * code, token, state, secret or claim value; the URLs carry no child data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "oidc.h"
#include "partner.h"
#include "router.h"
#include "str.h"
#include "throttle.h"
#include "web.h"

#define PSSO_COOKIE		"convene_partner_sso"
#define PSSO_PATH		"/partner/sso/callback"
#define PSSO_PENDING_MAX	"10000"	/* under way, all organisations */
#define PSSO_PENDING_CLIENT	"50"	/* under way from one address */
#define PSSO_CODE_MAX		2048	/* bytes of an authorisation code */
#define PSSO_REFUSED		"your organisation's sign-in could not be " \
				"used for this invitation: open the link in " \
				"your invitation again and ask for an " \
				"emailed code"

/* What a pending partner sign-in holds. */
struct psso_pending {
	long	 org_id;
	long	 pid;
	long	 cid;
	char	 nonce[OIDC_RANDOM_LEN + 1];
	char	 verifier[OIDC_RANDOM_LEN + 1];
};

static int
psso_cookie(struct http_req *rq, struct http_resp *rs, const char *value,
    int max_age)
{
	char c[256];

	/* Lax: the callback is a top-level navigation from the provider. */
	if (snprintf(c, sizeof(c), "%s=%s; Path=/partner/sso; HttpOnly; "
	    "SameSite=Lax%s; Max-Age=%d", PSSO_COOKIE, value,
	    rq->app->cfg.https ? "; Secure" : "", max_age) >= (int)sizeof(c))
		return -1;
	return http_resp_header(rs, "Set-Cookie", c);
}

static int
redirect_uri(const struct http_req *rq, char *out, size_t outlen)
{
	return snprintf(out, outlen, "%s" PSSO_PATH, rq->app->cfg.base_url) >=
	    (int)outlen ? -1 : 0;
}

/* Keep the pending sign-in; 0, 1 when too many are under way (from
 * client, or in all), -1. */
static int
pending_put(struct db *db, const char *state, const struct psso_pending *pp,
    const char *client)
{
	char hash[65], oid[24], pid[24], cid[24], secs[16];
	const char *p[10] = { hash, oid, pid, cid, pp->nonce, pp->verifier,
	    secs, client, PSSO_PENDING_MAX, PSSO_PENDING_CLIENT };
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(oid, sizeof(oid), "%ld", pp->org_id);
	snprintf(pid, sizeof(pid), "%ld", pp->pid);
	snprintf(cid, sizeof(cid), "%ld", pp->cid);
	snprintf(secs, sizeof(secs), "%d", OIDC_PENDING_SECONDS);
	if (auth_hash_hex(state, hash, sizeof(hash)) != 0 || db_begin(db) != 0)
		goto out;
	if (db_cmd(db, "DELETE FROM oidc_partner_pending WHERE expires_at < "
	    "now()", 0, NULL) != 0 ||
	    db_exec(db, &r, "INSERT INTO oidc_partner_pending (state_hash, "
	    "organisation_id, participant_id, contact_id, nonce, verifier, "
	    "expires_at, client) SELECT $1, $2, $3, $4, $5, $6, now() + "
	    "make_interval(secs => $7::int), $8 WHERE (SELECT count(*) FROM "
	    "oidc_partner_pending) < $9::int AND (SELECT count(*) FROM "
	    "oidc_partner_pending WHERE client = $8) < $10::int RETURNING 1",
	    10, p) != 0)
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

/* Take (delete) the pending sign-in of state: 0 found, 1 none or
 * expired, -1 error. */
static int
pending_take(struct db *db, const char *state, struct psso_pending *pp)
{
	char hash[65];
	const char *p[1] = { hash };
	struct db_res r;
	int result = 1;

	if (auth_hash_hex(state, hash, sizeof(hash)) != 0 ||
	    db_exec(db, &r, "DELETE FROM oidc_partner_pending WHERE "
	    "state_hash = $1 RETURNING organisation_id, participant_id, "
	    "contact_id, nonce, verifier, expires_at > now()", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1 && db_res_bool(&r, 0, 5)) {
		pp->org_id = db_res_long(&r, 0, 0, 0);
		pp->pid = db_res_long(&r, 0, 1, 0);
		pp->cid = db_res_long(&r, 0, 2, 0);
		str_copy(pp->nonce, db_res_get(&r, 0, 3), sizeof(pp->nonce));
		str_copy(pp->verifier, db_res_get(&r, 0, 4),
		    sizeof(pp->verifier));
		result = 0;
	}
	db_res_free(&r);
	return result;
}

/* A fresh state, nonce and verifier; the challenge of the verifier. */
static int
make_secrets(char *state, struct psso_pending *pp, char *challenge)
{
	if (oidc_random(state, OIDC_RANDOM_LEN + 1) != 0 ||
	    oidc_random(pp->nonce, sizeof(pp->nonce)) != 0 ||
	    oidc_random(pp->verifier, sizeof(pp->verifier)) != 0 ||
	    oidc_pkce_challenge(pp->verifier, challenge,
	    OIDC_RANDOM_LEN + 1) != 0)
		return -1;
	return 0;
}

static int
too_many(struct http_req *rq, struct http_resp *rs)
{
	log_warn("partner", "too many sign-ins with single sign-on under way; "
	    "refused one");
	http_error(rq, rs, 429, NULL, "too many sign-ins have been started "
	    "from here; finish one, or wait ten minutes");
	return http_resp_header(rs, "Retry-After", "60") != 0 ? 500 : 429;
}

/* GET /partner/{token}/sso: to the contact's organisation's provider. */
static int
h_psso_start(struct http_req *rq, struct http_resp *rs)
{
	struct oidc_provider p;
	struct psso_pending pp;
	struct buf url;
	char authz[OIDC_URL_MAX + 1], token[OIDC_URL_MAX + 1], name[201];
	char state[OIDC_RANDOM_LEN + 1], challenge[OIDC_RANDOM_LEN + 1];
	char ruri[512], client[64];
	long did;
	int rc, status = 500;

	memset(&p, 0, sizeof(p));
	memset(&pp, 0, sizeof(pp));
	buf_init(&url, 1000);	/* what a Location header here may hold */
	if (web_partner_invitation(rq, rs, &pp.pid, &pp.cid, &did) != 0) {
		status = rs->status;
		goto out;
	}
	if ((rc = oidc_partner_for_contact(rq->db, pp.cid, &pp.org_id, name,
	    sizeof(name))) == 0)
		rc = oidc_partner_load(rq->db, pp.org_id, &p, NULL, 0);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		status = http_error(rq, rs, 404, NULL, "your organisation does "
		    "not sign in with single sign-on here: use an emailed "
		    "code");
		goto out;
	}
	if (oidc_discover(p.issuer, authz, token, sizeof(authz)) != 0) {
		status = http_error(rq, rs, 502, NULL, "your organisation's "
		    "sign-in service could not be reached; try again in a "
		    "moment, or use an emailed code");
		goto out;
	}
	if (make_secrets(state, &pp, challenge) != 0 ||
	    redirect_uri(rq, ruri, sizeof(ruri)) != 0)
		goto out;
	if (http_client_addr(rq, client, sizeof(client)) != 0)
		str_copy(client, "unknown", sizeof(client));
	if ((rc = pending_put(rq->db, state, &pp, client)) != 0) {
		if (rc > 0)
			status = too_many(rq, rs);
		goto out;
	}
	if (web_sso_authorize_url(&url, authz, p.client_id, ruri, state,
	    pp.nonce, challenge) != 0 ||
	    psso_cookie(rq, rs, state, OIDC_PENDING_SECONDS) != 0 ||
	    http_resp_header(rs, "Location", buf_cstr(&url)) != 0)
		goto out;
	str_copy(rs->content_type, "text/plain", sizeof(rs->content_type));
	log_info("partner", "single sign-on started for contact %ld "
	    "(organisation %ld)", pp.cid, pp.org_id);
	status = 302;
out:
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(&pp, sizeof(pp));
	buf_free(&url);
	return rs->status = status;
}

/* The callback's state: the browser's own (its cookie) and a pending
 * partner sign-in, taken. 0 with pp; otherwise the answer's status. */
static int
callback_state(struct http_req *rq, struct http_resp *rs,
    struct psso_pending *pp)
{
	const char *state = http_query(rq, "state");
	const char *cookie = http_cookie(rq, PSSO_COOKIE);
	int rc;

	if (!web_sso_random_ok(state))
		return http_error(rq, rs, 400, "state", "this sign-in link is "
		    "not complete; open the link in your invitation again");
	if (!web_sso_random_ok(cookie) || sodium_memcmp(cookie, state,
	    OIDC_RANDOM_LEN) != 0) {
		log_warn("partner", "single sign-on callback refused: state "
		    "not from this browser");
		return http_error(rq, rs, 400, "state", "this sign-in was not "
		    "started in this browser; open the link in your invitation "
		    "again");
	}
	if ((rc = pending_take(rq->db, state, pp)) < 0)
		return rs->status = 500;
	if (rc > 0) {
		log_warn("partner", "single sign-on callback refused: unknown, "
		    "used or expired state");
		return http_error(rq, rs, 400, "state", "this sign-in has "
		    "expired or was already used; open the link in your "
		    "invitation again");
	}
	return 0;
}

/*
 * Whether the verified claims are the invited contact: the contact still
 * active and in the provider's organisation, and its directory address
 * the claims' (oidc_partner_email_ok). 0 yes, 1 no (the reason, without
 * values, in why), -1 error.
 */
static int
claims_are_contact(struct db *db, const json_t *claims,
    const struct psso_pending *pp, char *why, size_t whylen)
{
	char cid[24], oid[24];
	const char *prm[2] = { cid, oid };
	struct db_res r;
	int result = 1;

	snprintf(cid, sizeof(cid), "%ld", pp->cid);
	snprintf(oid, sizeof(oid), "%ld", pp->org_id);
	if (db_exec(db, &r, "SELECT email FROM contacts WHERE id = $1 AND "
	    "organisation_id = $2 AND active", 2, prm) != 0)
		return -1;
	if (db_res_rows(&r) != 1)
		str_copy(why, "the contact has left the organisation or is "
		    "inactive", whylen);
	else
		result = oidc_partner_email_ok(claims, db_res_get(&r, 0, 0),
		    why, whylen);
	db_res_free(&r);
	return result;
}

/* The invitation of the pending sign-in still open to its contact:
 * 0 with *did, else the answer's status. */
static int
still_invited(struct http_req *rq, struct http_resp *rs,
    const struct psso_pending *pp, long *did)
{
	long cid = 0, unused;
	int rc = partner_invitation(rq->db, pp->pid, &cid, did);

	if (rc < 0)
		return rs->status = 500;
	if (rc == 0 && cid == pp->cid)
		rc = partner_access(rq->db, cid, *did, &unused);
	else
		rc = 1;
	if (rc < 0)
		return rs->status = 500;
	if (rc == 2)
		return http_error(rq, rs, 410, NULL, "access to this meeting's "
		    "pack has ended; ask the social worker if you need the "
		    "record");
	if (rc != 0)
		return http_error(rq, rs, 404, NULL, "this invitation is no "
		    "longer open to you");
	return 0;
}

/* The provider's answer checked: the id_token's claims (caller owns) or
 * NULL with the answer sent (*status). */
static json_t *
verified_claims(struct http_req *rq, struct http_resp *rs,
    const struct oidc_provider *p, const struct psso_pending *pp,
    int *status)
{
	const char *code = http_query(rq, "code");
	const char *iss = http_query(rq, "iss");
	char ruri[512], why[160] = "no reason given";
	char *jwt = NULL;
	json_t *claims = NULL;

	*status = 500;
	if (code == NULL || code[0] == '\0' || strlen(code) > PSSO_CODE_MAX ||
	    str_has_ctl(code)) {
		*status = http_error(rq, rs, 400, "code", "this sign-in link "
		    "has no code; open the link in your invitation again");
		return NULL;
	}
	if (iss != NULL && strcmp(iss, p->issuer) != 0)
		str_copy(why, "the answer names another issuer", sizeof(why));
	else if (redirect_uri(rq, ruri, sizeof(ruri)) != 0)
		return NULL;
	else if ((jwt = oidc_token_request(p, code, ruri, pp->verifier, why,
	    sizeof(why))) != NULL)
		(void)oidc_id_token_check(p, jwt, pp->nonce, &claims, why,
		    sizeof(why));
	if (jwt != NULL) {
		sodium_memzero(jwt, strlen(jwt));
		free(jwt);
	}
	if (claims == NULL) {
		log_warn("partner", "single sign-on refused for contact %ld "
		    "(organisation %ld): %s", pp->cid, pp->org_id, why);
		*status = http_error(rq, rs, 403, NULL, "%s", PSSO_REFUSED);
	}
	return claims;
}

/* The provider's error answer, logged by its code only. */
static int
provider_error(struct http_req *rq, struct http_resp *rs, const char *error)
{
	log_warn("partner", "the provider refused the sign-in (%s)",
	    strlen(error) < 40 && strspn(error,
	    "abcdefghijklmnopqrstuvwxyz_") == strlen(error) ? error :
	    "unrecognised error");
	return http_error(rq, rs, 403, NULL, "your organisation's sign-in "
	    "service did not sign you in");
}

/* Spend one try of the sign-in budgets for the contact: 0, else the
 * answer's status. */
static int
budget(struct http_req *rq, struct http_resp *rs, const char *client,
    const char *who)
{
	char ra[24];
	long retry = 0;
	int rc = throttle_take(rq->db, client, who, &retry);

	if (rc == 0)
		return 0;
	if (rc < 0)
		return rs->status = 500;
	snprintf(ra, sizeof(ra), "%ld", retry);
	http_error(rq, rs, 429, NULL, "too many sign-ins from here: try again "
	    "in %ld seconds", retry);
	return http_resp_header(rs, "Retry-After", ra) != 0 ? 500 : 429;
}

/* GET /partner/sso/callback */
static int
h_psso_callback(struct http_req *rq, struct http_resp *rs)
{
	struct oidc_provider p;
	struct psso_pending pp;
	struct partner pa;
	char client[64], who[40], why[160], cookie[AUTH_TOKEN_LEN + 1];
	const char *error = http_query(rq, "error");
	json_t *claims = NULL;
	long did = 0;
	int rc, status = 500;

	memset(&p, 0, sizeof(p));
	memset(&pp, 0, sizeof(pp));
	if ((status = callback_state(rq, rs, &pp)) != 0)
		goto out;
	if (error != NULL) {
		status = provider_error(rq, rs, error);
		goto out;
	}
	if (http_client_addr(rq, client, sizeof(client)) != 0)
		str_copy(client, "unknown", sizeof(client));
	snprintf(who, sizeof(who), "partner:%ld", pp.cid);
	if ((status = budget(rq, rs, client, who)) != 0 ||
	    (status = still_invited(rq, rs, &pp, &did)) != 0)
		goto out;
	status = 500;
	if ((rc = oidc_partner_load(rq->db, pp.org_id, &p, NULL, 0)) != 0) {
		if (rc > 0)
			status = http_error(rq, rs, 403, NULL, "single sign-on "
			    "is no longer set up for your organisation");
		goto out;
	}
	if ((claims = verified_claims(rq, rs, &p, &pp, &status)) == NULL)
		goto out;
	status = 500;
	if ((rc = claims_are_contact(rq->db, claims, &pp, why,
	    sizeof(why))) != 0) {
		if (rc > 0) {
			log_warn("partner", "single sign-on refused for "
			    "contact %ld (organisation %ld): %s", pp.cid,
			    pp.org_id, why);
			status = http_error(rq, rs, 403, NULL, "you signed in "
			    "with your organisation as someone other than the "
			    "person this invitation was sent to; nothing has "
			    "been opened. Use the link in your own invitation, "
			    "or ask for an emailed code");
		}
		goto out;
	}
	throttle_refund(rq->db, client, who);
	if (partner_session_create(rq->db, pp.cid, "sso", cookie,
	    sizeof(cookie), &pa) != 0 ||
	    web_partner_cookie(rq, rs, cookie, PARTNER_MAX_SECONDS) != 0)
		goto out;
	log_info("partner", "contact %ld signed in via sso", pp.cid);
	status = web_redirectf(rs, "/partner/meetings/%ld", did);
out:
	/* The state cookie is spent whatever happened. */
	if (psso_cookie(rq, rs, "", 0) != 0)
		status = 500;
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(&pp, sizeof(pp));
	sodium_memzero(cookie, sizeof(cookie));
	json_decref(claims);
	return rs->status = status;
}

const struct route partner_sso_routes[] = {
	{ "GET", "/partner/sso/callback", AUTH_NONE, 0, h_psso_callback,
	  ROUTE_SLOW | ROUTE_NO_CSRF, "a partner organisation's identity "
	  "provider answers: check it is the invited contact, sign in" },
	{ "GET", "/partner/{token}/sso", AUTH_NONE, 0, h_psso_start,
	  ROUTE_SLOW | ROUTE_NO_CSRF, "a partner signs in with their "
	  "organisation's identity provider" },
	{ NULL, NULL, 0, 0, NULL, 0, NULL }
};
