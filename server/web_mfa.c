/*
 * web_mfa: the pages of the second factor (include/mfa.h): the code page
 * between a correct password and a session, setting up TOTP and recovery
 * codes on /account/mfa, and an administrator's reset.
 *
 * The second step's state is server-side (mfa_pending, five minutes, one
 * use), named by a random cookie on /sign-in only; its form carries the
 * state's HMAC under the server key as a CSRF token. Wrong codes take from
 * the sign-in budgets (throttle.c) exactly as wrong passwords do, there and
 * on /account/mfa: 429 with Retry-After, nothing sleeps. Codes are never
 * logged.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "mfa.h"
#include "session.h"
#include "str.h"
#include "throttle.h"
#include "web.h"

#define MFA_COOKIE	"convene_mfa"
#define CODE_FIELD	"code"

static int
mfa_cookie(struct http_req *rq, struct http_resp *rs, const char *value,
    int max_age)
{
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=/sign-in; HttpOnly; "
	    "SameSite=Strict%s; Max-Age=%d", MFA_COOKIE, value,
	    rq->app->cfg.https ? "; Secure" : "", max_age);
	return http_resp_header(rs, "Set-Cookie", c);
}

/* The code form's token: the server key's HMAC of the pending state. */
static int
form_token(const char *pending, char *out, size_t outlen)
{
	char msg[AUTH_TOKEN_LEN + 16];

	if (pending == NULL || snprintf(msg, sizeof(msg), "mfa-form|%s",
	    pending) >= (int)sizeof(msg))
		return -1;
	return auth_mac_hex(msg, out, outlen);
}

/* The code field, with autocomplete for one-time codes. */
static json_t *
code_field(const struct web_errors *we, const char *label, const char *hint)
{
	json_t *f = web_fld(we, CODE_FIELD, label, hint, "");

	json_object_set_new(f, "autocomplete", json_string("one-time-code"));
	json_object_set_new(f, "spellcheck_off", json_true());
	json_object_set_new(f, "width", json_string("govuk-input--width-10"));
	return f;
}

int
web_mfa_challenge(struct http_req *rq, struct http_resp *rs,
    const struct auth_user *u)
{
	char token[AUTH_TOKEN_LEN + 1];

	if (mfa_pending_create(rq->db, u->id, token, sizeof(token)) != 0 ||
	    mfa_cookie(rq, rs, token, MFA_PENDING_SECONDS) != 0)
		return rs->status = 500;
	sodium_memzero(token, sizeof(token));
	log_info("web", "password accepted for user %ld: second factor next",
	    u->id);
	return http_redirect(rs, "/sign-in/code");
}

static int
code_page(struct http_req *rq, struct http_resp *rs, int status,
    struct web_errors *we)
{
	char tok[65];
	json_t *d;

	if (form_token(http_cookie(rq, MFA_COOKIE), tok, sizeof(tok)) != 0)
		return rs->status = 500;
	d = json_pack("{s:s, s:o}", "form_token", tok, "f_code",
	    code_field(we, "Security code", "The 6-digit code from your "
	    "authenticator app, or one of your recovery codes"));
	if (we != NULL)
		web_errors_put(we, d);
	rq->authenticated = 0;
	return web_page(rq, rs, status, "sign_in_code", "Enter your security "
	    "code", d);
}

int
web_mfa_code_form(struct http_req *rq, struct http_resp *rs)
{
	long uid;
	int rc = mfa_pending_user(rq->db, http_cookie(rq, MFA_COOKIE), &uid);

	if (rc < 0)
		return rs->status = 500;
	if (rc > 0)
		return http_redirect(rs, "/sign-in");
	return code_page(rq, rs, 200, NULL);
}

/* 429 for a code over the sign-in budget, before it is checked. */
static int
refuse(struct http_req *rq, struct http_resp *rs, struct web_errors *we,
    const char *username, long retry_after)
{
	char ra[24];
	long minutes = (retry_after + 59) / 60;

	log_warn("web", "second factor refused for %s: over the sign-in budget "
	    "(retry after %ld s)", username, retry_after);
	web_error(we, CODE_FIELD, NULL, "There have been too many failed "
	    "attempts to sign in from here. Wait %ld minute%s and try again",
	    minutes, minutes == 1 ? "" : "s");
	code_page(rq, rs, 429, we);
	snprintf(ra, sizeof(ra), "%ld", retry_after);
	if (http_resp_header(rs, "Retry-After", ra) != 0)
		return rs->status = 500;
	return rs->status;
}

/* The code was right: spend the state, start the session. */
static int
finish(struct http_req *rq, struct http_resp *rs, const struct auth_user *u,
    const char *pending, int recovery)
{
	int rc;

	if ((rc = mfa_pending_take(rq->db, pending)) != 0)
		return rc < 0 ? (rs->status = 500) : http_redirect(rs, "/sign-in");
	rq->user = *u;
	if (session_create(rq, rs, u->id) != 0 ||
	    mfa_cookie(rq, rs, "", 0) != 0)
		return rs->status = 500;
	log_info("web", "signed in: user %ld (%s)", u->id, recovery ?
	    "recovery code" : "authenticator code");
	return http_redirect(rs, u->must_change_password ?
	    "/account/password" : "/");
}

int
web_mfa_code_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct auth_user u;
	char client[64], tok[65];
	const char *pending = http_cookie(rq, MFA_COOKIE);
	const char *code = form_get(&rq->form, CODE_FIELD);
	const char *sent = form_get(&rq->form, "csrf_token");
	long uid = 0, retry_after = 0;
	int rc, recovery = 0, status = 500;

	web_errors_init(&we);
	if ((rc = mfa_pending_user(rq->db, pending, &uid)) < 0)
		goto out;
	if (rc > 0 || (rc = auth_user_load(rq->db, uid, &u)) > 0) {
		status = http_redirect(rs, "/sign-in");
		goto out;
	}
	if (rc < 0 || form_token(pending, tok, sizeof(tok)) != 0)
		goto out;
	if (sent == NULL || strlen(sent) != strlen(tok) ||
	    sodium_memcmp(sent, tok, strlen(tok)) != 0) {
		status = http_error(rq, rs, 403, "csrf_token", "the form has "
		    "expired; sign in again");
		goto out;
	}
	if (code == NULL || code[0] == '\0') {
		web_error(&we, CODE_FIELD, NULL, "Enter your security code");
		status = code_page(rq, rs, 200, &we);
		goto out;
	}
	if (http_client_addr(rq, client, sizeof(client)) != 0)
		str_copy(client, "unknown", sizeof(client));
	if ((rc = throttle_take(rq->db, client, u.username, &retry_after)) < 0)
		goto out;
	if (rc > 0) {
		status = refuse(rq, rs, &we, u.username, retry_after);
		goto out;
	}
	if ((rc = mfa_verify(rq->db, u.id, code, &recovery)) < 0)
		goto out;
	if (rc > 0) {
		log_warn("web", "second factor failed for %s%s", u.username,
		    rc == MFA_REPLAY ? " (a code already used)" : "");
		web_error(&we, CODE_FIELD, NULL, rc == MFA_REPLAY ? "That code "
		    "has been used already. Wait for the next code" : "Enter "
		    "a correct security code");
		status = code_page(rq, rs, 200, &we);
		goto out;
	}
	throttle_refund(rq->db, client, u.username);
	status = finish(rq, rs, &u, pending, recovery);
out:
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- /account/mfa -------------------------------------------------------- */

/* The page: setting up (secret, URI, confirm) or set up (new recovery
 * codes, turning it off where allowed); codes when just issued. */
static int
account_page(struct http_req *rq, struct http_resp *rs, int status,
    struct web_errors *we, const struct mfa_codes *codes)
{
	char b32[MFA_SECRET_B32_MAX], uri[MFA_URI_MAX];
	json_t *d, *list;
	int enrolled = 0, required = 0, rc, i;

	if (mfa_status(rq->db, &rq->user, &enrolled, &required) != 0)
		return rs->status = 500;
	d = json_pack("{s:b, s:b, s:b}", "enrolled", enrolled, "required",
	    required, "restricted", rq->user.mfa_enrol_needed && !enrolled);
	if (codes != NULL) {
		list = json_array();
		for (i = 0; i < MFA_RECOVERY_COUNT; i++)
			json_array_append_new(list, json_pack("{s:s}", "code",
			    codes->code[i]));
		json_object_set_new(d, "codes", list);
		json_object_set_new(d, "has_codes", json_true());
	} else if (!enrolled) {
		rc = mfa_enrol_begin(rq->db, &rq->user, b32, sizeof(b32));
		if (rc != 0 || mfa_otpauth_uri(rq->user.username, b32, uri,
		    sizeof(uri)) != 0) {
			json_decref(d);
			return rs->status = 500;
		}
		json_object_set_new(d, "secret", json_string(b32));
		json_object_set_new(d, "uri", json_string(uri));
		sodium_memzero(b32, sizeof(b32));
		sodium_memzero(uri, sizeof(uri));
	}
	json_object_set_new(d, "f_code", code_field(we, enrolled ? "Code from "
	    "your authenticator app" : "Code to check it works", "6 digits"));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, status, "account_mfa", "Two-step sign-in", d);
}

int
web_mfa_account(struct http_req *rq, struct http_resp *rs)
{
	return account_page(rq, rs, 200, NULL, NULL);
}

/* After a code was refused: the page again with the field's error. */
static int
code_refused(struct http_req *rq, struct http_resp *rs, int rc)
{
	struct web_errors we;
	int status;

	web_errors_init(&we);
	if (rc == MFA_REQUIRED)
		web_error(&we, CODE_FIELD, NULL, "Two-step sign-in is required "
		    "for your account and cannot be turned off");
	else if (rc == MFA_ENROLLED)
		web_error(&we, CODE_FIELD, NULL, "Two-step sign-in is set up "
		    "already");
	else
		web_error(&we, CODE_FIELD, NULL, "Enter a correct code from "
		    "your authenticator app");
	log_warn("web", "second factor change refused for user %ld",
	    rq->user.id);
	status = account_page(rq, rs, 422, &we, NULL);
	web_errors_free(&we);
	return rs->status = status;
}

int
web_mfa_enrol_post(struct http_req *rq, struct http_resp *rs)
{
	struct mfa_codes codes;
	char code[MFA_DIGITS + 1];
	int rc;

	if (mfa_code_parse(form_get(&rq->form, CODE_FIELD), code,
	    sizeof(code)) != 0)
		return code_refused(rq, rs, MFA_WRONG);
	if ((rc = mfa_enrol_confirm(rq->db, &rq->user, code, &codes)) < 0)
		return rs->status = 500;
	if (rc > 0)
		return code_refused(rq, rs, rc);
	log_info("web", "second factor set up by user %ld", rq->user.id);
	rq->user.mfa_enrol_needed = 0;
	rc = account_page(rq, rs, 200, NULL, &codes);
	sodium_memzero(&codes, sizeof(codes));
	return rs->status = rc;
}

/*
 * A code typed on /account/mfa takes from the sign-in budgets as at
 * /sign-in/code, so a stolen session cannot guess its way to new recovery
 * codes. Only a well-formed code counts (an empty form is no guess); client
 * is left empty then. 0 go on, 1 refused (429 sent), -1 error.
 */
static int
code_budget(struct http_req *rq, struct http_resp *rs, char *client,
    size_t len)
{
	struct web_errors we;
	char code[MFA_DIGITS + 1], ra[24];
	long retry_after = 0;
	int rc;

	client[0] = '\0';
	if (mfa_code_parse(form_get(&rq->form, CODE_FIELD), code,
	    sizeof(code)) != 0)
		return 0;
	if (http_client_addr(rq, client, len) != 0)
		str_copy(client, "unknown", len);
	if ((rc = throttle_take(rq->db, client, rq->user.username,
	    &retry_after)) <= 0)
		return rc;
	log_warn("web", "second factor change refused for %s: over the sign-in "
	    "budget (retry after %ld s)", rq->user.username, retry_after);
	web_errors_init(&we);
	web_error(&we, CODE_FIELD, NULL, "There have been too many wrong codes "
	    "from here. Wait %ld minute%s and try again", (retry_after + 59) /
	    60, (retry_after + 59) / 60 == 1 ? "" : "s");
	account_page(rq, rs, 429, &we, NULL);
	web_errors_free(&we);
	snprintf(ra, sizeof(ra), "%ld", retry_after);
	if (http_resp_header(rs, "Retry-After", ra) != 0)
		rs->status = 500;
	return 1;
}

/* After the check: only a wrong code keeps what code_budget took. */
static void
code_budget_settle(struct http_req *rq, const char *client, int rc)
{
	if (client[0] != '\0' && rc != MFA_WRONG && rc != MFA_REPLAY)
		throttle_refund(rq->db, client, rq->user.username);
}

int
web_mfa_recovery_post(struct http_req *rq, struct http_resp *rs)
{
	struct mfa_codes codes;
	char client[64];
	int rc;

	if ((rc = code_budget(rq, rs, client, sizeof(client))) != 0)
		return rc < 0 ? (rs->status = 500) : rs->status;
	rc = mfa_recovery_renew(rq->db, &rq->user, form_get(&rq->form,
	    CODE_FIELD), &codes);
	code_budget_settle(rq, client, rc);
	if (rc < 0)
		return rs->status = 500;
	if (rc > 0)
		return code_refused(rq, rs, rc);
	log_info("web", "recovery codes renewed by user %ld", rq->user.id);
	rc = account_page(rq, rs, 200, NULL, &codes);
	sodium_memzero(&codes, sizeof(codes));
	return rs->status = rc;
}

int
web_mfa_disable_post(struct http_req *rq, struct http_resp *rs)
{
	char client[64];
	int rc;

	if ((rc = code_budget(rq, rs, client, sizeof(client))) != 0)
		return rc < 0 ? (rs->status = 500) : rs->status;
	rc = mfa_disable(rq->db, &rq->user, form_get(&rq->form, CODE_FIELD));
	code_budget_settle(rq, client, rc);
	if (rc < 0)
		return rs->status = 500;
	if (rc > 0)
		return code_refused(rq, rs, rc);
	log_info("web", "second factor turned off by user %ld", rq->user.id);
	return http_redirect(rs, "/account/mfa");
}

int
web_admin_user_mfa_reset(struct http_req *rq, struct http_resp *rs)
{
	long uid;
	int rc;

	if (http_param_id(rq, 0, &uid) != 0)
		return http_error(rq, rs, 404, NULL, "There is no such user.");
	rc = mfa_reset(rq->db, &rq->user, uid);
	if (rc == MFA_NOT_FOUND)
		return http_error(rq, rs, 404, NULL, "There is no such user in "
		    "your authority (to change your own, use Two-step sign-in).");
	if (rc != 0)
		return rs->status = 500;
	log_info("web", "second factor of user %ld reset by administrator %ld",
	    uid, rq->user.id);
	return http_redirect(rs, "/admin/users");
}
