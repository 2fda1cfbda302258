/*
 * web_auth: signing in and out. The sign-in form carries its own CSRF token
 * (a double-submit cookie, since there is no session yet), so another site
 * cannot sign a browser in as someone else. The token is signed with the
 * server key (HMAC, crypto_auth) and dated, so a cookie planted by anyone
 * who cannot sign (a sibling subdomain, say) is refused, and a form more
 * than SIGNIN_FORM_SECONDS old is refused too.
 *
 * Every attempt takes from two budgets (throttle.c): the client address's
 * and the account's at that address; a correct password gives them back.
 * Over budget, the answer is 429 with Retry-After at once, whatever the
 * password: nothing sleeps. Failures elsewhere never lock the account's
 * owner out. POST /sign-in runs on the slow lane (ROUTE_SLOW), so hashing
 * does not hold a server thread. Failures are logged with the username,
 * never the password.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "oidc.h"
#include "mfa.h"
#include "session.h"
#include "str.h"
#include "throttle.h"
#include "web.h"

#define SIGNIN_COOKIE		"convene_signin"
#define SIGNIN_FORM_SECONDS	3600	/* a sign-in form's life */
#define SIGNIN_TOKEN_MAX	160	/* "TIME.NONCE.MAC" */

static int
signin_cookie(struct http_req *rq, struct http_resp *rs, const char *value,
    int max_age)
{
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=/sign-in; HttpOnly; "
	    "SameSite=Strict%s; Max-Age=%d", SIGNIN_COOKIE, value,
	    rq->app->cfg.https ? "; Secure" : "", max_age);
	return http_resp_header(rs, "Set-Cookie", c);
}

/* A fresh form token: "TIME.NONCE.MAC", MAC the server key's HMAC of
 * "signin|TIME.NONCE". 0 on success. */
static int
form_token_make(char *out, size_t outlen)
{
	char nonce[33], msg[64], mac[65];

	if (auth_random_hex(nonce, sizeof(nonce), 16) != 0 ||
	    snprintf(msg, sizeof(msg), "signin|%lld.%s", (long long)time(NULL),
	    nonce) >= (int)sizeof(msg) ||
	    auth_mac_hex(msg, mac, sizeof(mac)) != 0 ||
	    snprintf(out, outlen, "%s.%s", msg + 7, mac) >= (int)outlen)
		return -1;
	return 0;
}

/* Render the form with a fresh form token (and its cookie). */
static int
show_form(struct http_req *rq, struct http_resp *rs, int status,
    struct web_errors *we, const char *username, int signed_out)
{
	char token[SIGNIN_TOKEN_MAX];
	json_t *d, *fu, *fp, *sso;

	if (form_token_make(token, sizeof(token)) != 0 ||
	    signin_cookie(rq, rs, token, SIGNIN_FORM_SECONDS) != 0)
		return rs->status = 500;
	fu = web_fld(we, "username", "Username", NULL, username);
	json_object_set_new(fu, "autocomplete", json_string("username"));
	json_object_set_new(fu, "spellcheck_off", json_true());
	json_object_set_new(fu, "width", json_string("govuk-!-width-one-half"));
	fp = web_fld(we, "password", "Password", NULL, "");
	json_object_set_new(fp, "type", json_string("password"));
	json_object_set_new(fp, "autocomplete",
	    json_string("current-password"));
	json_object_set_new(fp, "width", json_string("govuk-!-width-one-half"));
	d = json_pack("{s:s, s:o, s:o, s:b}", "form_token", token, "f_username",
	    fu, "f_password", fp, "signed_out", signed_out);
	if (we != NULL)
		web_errors_put(we, d);
	/* Councils that sign in with their own provider (web_sso.c). */
	if (rq->db != NULL && (sso = oidc_provider_list(rq->db)) != NULL) {
		json_object_set_new(d, "sso_any",
		    json_boolean(json_array_size(sso) > 0));
		json_object_set_new(d, "sso", sso);
	}
	/* A signed-in person may see the form, but without the menu. */
	rq->authenticated = 0;
	return web_page(rq, rs, status, "sign_in", "Sign in", d);
}

int
web_auth_form(struct http_req *rq, struct http_resp *rs)
{
	const char *out = http_query(rq, "signed-out");

	if (rq->authenticated)
		return http_redirect(rs, "/");
	return show_form(rq, rs, 200, NULL, "", out != NULL);
}

/* Constant-time comparison of two tokens of equal length. */
static int
token_equal(const char *a, const char *b)
{
	size_t i, n;
	unsigned char d = 0;

	if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b) || n == 0)
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* 1 when the form's token is the cookie's, was signed by us and is not
 * older than SIGNIN_FORM_SECONDS. */
static int
form_token_ok(const char *field, const char *cookie)
{
	char msg[64], ts[24];
	const char *mac;
	time_t now = time(NULL);
	long t;
	size_t n;

	if (!token_equal(field, cookie) || strlen(field) >= SIGNIN_TOKEN_MAX ||
	    (mac = strrchr(field, '.')) == NULL)
		return 0;
	if (snprintf(msg, sizeof(msg), "signin|%.*s", (int)(mac - field),
	    field) >= (int)sizeof(msg) || !auth_mac_ok(msg, mac + 1))
		return 0;
	n = strcspn(field, ".");
	if (n == 0 || n >= sizeof(ts))
		return 0;
	memcpy(ts, field, n);
	ts[n] = '\0';
	if (str_to_long(ts, 0, 9999999999L, &t) != 0)
		return 0;
	return t <= (long)now + 60 && (long)now - t <= SIGNIN_FORM_SECONDS;
}

/* A username as the users table allows it; anything else is logged as
 * "(invalid)" so that a password typed into the wrong box is not. */
static int
username_ok(const char *u)
{
	size_t n = strlen(u);

	return n >= 1 && n <= 64 && strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

/* Answer 429 for an attempt over budget, before any password is hashed. */
static int
refuse(struct http_req *rq, struct http_resp *rs, struct web_errors *we,
    const char *username, long retry_after)
{
	char ra[24], msg[200];
	long minutes = (retry_after + 59) / 60;

	log_warn("web", "sign-in refused for %s: over the sign-in budget "
	    "(retry after %ld s)", username, retry_after);
	snprintf(msg, sizeof(msg), "There have been too many failed attempts "
	    "to sign in from here. Wait %ld minute%s and try again, or ask an "
	    "administrator", minutes, minutes == 1 ? "" : "s");
	web_error(we, "username", NULL, "%s", msg);
	show_form(rq, rs, 429, we, username, 0);
	snprintf(ra, sizeof(ra), "%ld", retry_after);
	if (http_resp_header(rs, "Retry-After", ra) != 0)
		return rs->status = 500;
	return rs->status;
}

int
web_auth_sign_in(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct auth_user u;
	char username[80], client[64];
	const char *pw = form_get(&rq->form, "password");
	long retry_after = 0;
	int rc, enrolled = 0, required = 0, status = 500;

	web_errors_init(&we);
	web_field(rq, "username", username, sizeof(username));
	if (!form_token_ok(form_get(&rq->form, "csrf_token"),
	    http_cookie(rq, SIGNIN_COOKIE))) {
		web_error(&we, "username", NULL, "The sign-in form had expired. "
		    "Enter your username and password again");
		status = show_form(rq, rs, 403, &we, username, 0);
		goto out;
	}
	if (username[0] == '\0')
		web_error(&we, "username", NULL, "Enter your username");
	if (pw == NULL || pw[0] == '\0')
		web_error(&we, "password", NULL, "Enter your password");
	if (web_errors_any(&we)) {
		status = show_form(rq, rs, 200, &we, username, 0);
		goto out;
	}
	if (http_client_addr(rq, client, sizeof(client)) != 0)
		str_copy(client, "unknown", sizeof(client));
	/* Names the users table cannot hold still cost the client. */
	if ((rc = throttle_take(rq->db, client, username_ok(username) ?
	    username : "(invalid)", &retry_after)) < 0)
		goto out;
	if (rc > 0) {
		status = refuse(rq, rs, &we, username_ok(username) ? username :
		    "(invalid username)", retry_after);
		goto out;
	}
	if (!username_ok(username)) {
		log_warn("web", "sign-in failed for (invalid username)");
		web_error(&we, "username", NULL, "Enter a correct username and "
		    "password");
		status = show_form(rq, rs, 200, &we, username, 0);
		goto out;
	}
	if ((rc = auth_login(rq->db, username, pw, &u)) < 0)
		goto out;
	if (rc > 0) {
		log_warn("web", "sign-in failed for %s", username);
		web_error(&we, "username", NULL, "Enter a correct username and "
		    "password");
		status = show_form(rq, rs, 200, &we, username, 0);
		goto out;
	}
	throttle_refund(rq->db, client, username);
	if (mfa_status(rq->db, &u, &enrolled, &required) != 0 ||
	    signin_cookie(rq, rs, "", 0) != 0)
		goto out;
	/* No session before the second factor (web_mfa.c). */
	if (enrolled) {
		status = web_mfa_challenge(rq, rs, &u);
		goto out;
	}
	rq->user = u;
	if (session_create(rq, rs, u.id) != 0)
		goto out;
	log_info("web", "signed in: user %ld", u.id);
	/* Required and not set up: a session that only reaches set-up. */
	status = http_redirect(rs, u.must_change_password ?
	    "/account/password" : required ? "/account/mfa" : "/");
out:
	web_errors_free(&we);
	return rs->status = status;
}

int
web_auth_sign_out(struct http_req *rq, struct http_resp *rs)
{
	if (session_destroy(rq, rs) != 0)
		return rs->status = 500;
	return http_redirect(rs, "/sign-in?signed-out=1");
}

/* The change-password page; also where a reset password leads. */
static int
password_form(struct http_req *rq, struct http_resp *rs, int status,
    struct web_errors *we, int changed)
{
	json_t *d, *fc, *fn;

	fc = web_fld(we, "current_password", "Current password", NULL, "");
	json_object_set_new(fc, "type", json_string("password"));
	json_object_set_new(fc, "autocomplete",
	    json_string("current-password"));
	json_object_set_new(fc, "width", json_string("govuk-!-width-one-half"));
	fn = web_fld(we, "new_password", "New password", "At least 12 "
	    "characters", "");
	json_object_set_new(fn, "type", json_string("password"));
	json_object_set_new(fn, "autocomplete", json_string("new-password"));
	json_object_set_new(fn, "width", json_string("govuk-!-width-one-half"));
	d = json_pack("{s:o, s:o, s:b, s:b}", "f_current", fc, "f_new", fn,
	    "changed", changed, "must_change", rq->user.must_change_password);
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, status, "account_password", "Change your "
	    "password", d);
}

int
web_account_password_form(struct http_req *rq, struct http_resp *rs)
{
	return password_form(rq, rs, 200, NULL, 0);
}

int
web_account_password_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	const char *cur = form_get(&rq->form, "current_password");
	const char *next = form_get(&rq->form, "new_password");
	int rc, status = 500;

	web_errors_init(&we);
	if (cur == NULL || cur[0] == '\0')
		web_error(&we, "current_password", NULL, "Enter your current "
		    "password");
	if (next == NULL || next[0] == '\0')
		web_error(&we, "new_password", NULL, "Enter a new password");
	if (web_errors_any(&we)) {
		status = password_form(rq, rs, 200, &we, 0);
		goto out;
	}
	rc = account_password_change(rq->db, &rq->user, cur, next,
	    rq->user.session_id);
	if (rc == ACCOUNT_WRONG_PASSWORD) {
		log_warn("web", "password change refused for user %ld: wrong "
		    "current password", rq->user.id);
		web_error(&we, "current_password", NULL, "Your current password "
		    "is not correct");
	} else if (rc == ACCOUNT_WEAK_PASSWORD)
		web_error(&we, "new_password", NULL, "Enter a new password of "
		    "%d to %d characters, different from the current one",
		    ACCOUNT_PASSWORD_MIN, ACCOUNT_PASSWORD_MAX);
	else if (rc != 0)
		goto out;
	if (web_errors_any(&we)) {
		status = password_form(rq, rs, 200, &we, 0);
		goto out;
	}
	rq->user.must_change_password = 0;
	status = password_form(rq, rs, 200, NULL, 1);
out:
	web_errors_free(&we);
	return rs->status = status;
}
