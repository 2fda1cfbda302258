/*
 * web_auth: signing in and out. The sign-in form carries its own CSRF token
 * (a double-submit cookie, since there is no session yet), so another site
 * cannot sign a browser in as someone else. Failed attempts are recorded in
 * login_failures; after WEB_SIGNIN_MAX_FAILS in WEB_SIGNIN_WINDOW for one
 * username, sign-in for that username is refused until the window passes,
 * and every failure after the third is answered a second later. Failures are
 * logged with the username, never the password.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "str.h"
#include "web.h"

#define SIGNIN_COOKIE		"convene_signin"
#define SIGNIN_MAX_FAILS	5	/* per username per window */
#define SIGNIN_WINDOW		"15 minutes"
#define SIGNIN_SLOW_AFTER	3	/* failures before answers slow down */

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

/* Render the form with a fresh form token (and its cookie). */
static int
show_form(struct http_req *rq, struct http_resp *rs, int status,
    struct web_errors *we, const char *username, int signed_out)
{
	char token[65];
	json_t *d, *fu, *fp;

	if (auth_random_hex(token, sizeof(token), 32) != 0 ||
	    signin_cookie(rq, rs, token, 3600) != 0)
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

/* Recent failures for username; -1 on a database error. */
static long
recent_failures(struct db *db, const char *username)
{
	const char *p[1] = { username };
	struct db_res r;
	long n;

	if (db_exec(db, &r, "SELECT count(*) FROM login_failures WHERE "
	    "lower(username) = lower($1) AND at > now() - interval '"
	    SIGNIN_WINDOW "'", 1, p) != 0)
		return -1;
	n = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	return n;
}

static void
record_failure(struct db *db, const char *username, long before)
{
	const char *p[1] = { username };
	struct timespec ts = { 1, 0 };

	(void)db_cmd(db, "INSERT INTO login_failures (username) VALUES ($1)",
	    1, p);
	(void)db_cmd(db, "DELETE FROM login_failures WHERE at < now() - "
	    "interval '1 day'", 0, NULL);
	log_warn("web", "sign-in failed for %s (%ld recent failures)",
	    username, before + 1);
	if (before + 1 >= SIGNIN_SLOW_AFTER)
		nanosleep(&ts, NULL);
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

int
web_auth_sign_in(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct auth_user u;
	char username[80];
	const char *pw = form_get(&rq->form, "password");
	long fails;
	int rc, status = 500;

	web_errors_init(&we);
	web_field(rq, "username", username, sizeof(username));
	if (!token_equal(form_get(&rq->form, "csrf_token"),
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
	if (!username_ok(username)) {
		log_warn("web", "sign-in failed for (invalid username)");
		web_error(&we, "username", NULL, "Enter a correct username and "
		    "password");
		status = show_form(rq, rs, 200, &we, username, 0);
		goto out;
	}
	if ((fails = recent_failures(rq->db, username)) < 0)
		goto out;
	if (fails >= SIGNIN_MAX_FAILS) {
		log_warn("web", "sign-in refused for %s: %ld failures in "
		    SIGNIN_WINDOW, username, fails);
		web_error(&we, "username", NULL, "There have been too many "
		    "failed attempts to sign in as this user. Wait 15 minutes "
		    "and try again, or ask an administrator");
		status = show_form(rq, rs, 429, &we, username, 0);
		goto out;
	}
	if ((rc = auth_login(rq->db, username, pw, &u)) < 0)
		goto out;
	if (rc > 0) {
		record_failure(rq->db, username, fails);
		web_error(&we, "username", NULL, "Enter a correct username and "
		    "password");
		status = show_form(rq, rs, 200, &we, username, 0);
		goto out;
	}
	rq->user = u;
	if (session_create(rq, rs, u.id) != 0 ||
	    signin_cookie(rq, rs, "", 0) != 0)
		goto out;
	log_info("web", "signed in: user %ld", u.id);
	status = http_redirect(rs, "/");
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
