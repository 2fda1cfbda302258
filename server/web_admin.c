/*
 * web_admin: who may use Convene: the users and teams of the administrator's
 * authority, adding a user (auth_user_add makes the argon2id hash and a
 * random password, shown once on the next page and nowhere else) and adding
 * a team (one transaction with its audit entry).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "audit.h"
#include "auth.h"
#include "cases.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "meeting.h"
#include "str.h"
#include "web.h"

static const char *const roles[] = { "social_worker", "Social worker",
	"manager", "Manager", "admin", "Administrator", NULL };

static json_t *
teams(struct db *db, long authority)
{
	char aid[24];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *a;
	int i;

	snprintf(aid, sizeof(aid), "%ld", authority);
	if (db_exec(db, &r, "SELECT t.name, (SELECT count(*) FROM users u "
	    "WHERE u.team_id = t.id AND u.active), t.id, t.front_door FROM "
	    "teams t WHERE t.authority_id = $1 ORDER BY t.name", 1, p) != 0)
		return NULL;
	a = json_array();
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b}",
		    "name", db_res_get(&r, i, 0), "users", db_res_get(&r, i,
		    1), "id", db_res_get(&r, i, 2), "front_door",
		    db_res_bool(&r, i, 3)));
	db_res_free(&r);
	return a;
}

static int
users_page(struct http_req *rq, struct http_resp *rs, struct web_errors *we,
    const char *done)
{
	char aid[24], v[WEB_NAME_BUF];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *d, *users, *t, *u;
	int i;

	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	if ((t = teams(rq->db, rq->user.authority_id)) == NULL)
		return rs->status = 500;
	if (db_exec(rq->db, &r, "SELECT u.username, u.display_name, u.role, "
	    "coalesce(t.name, ''), u.active, u.id, u.must_change_password, "
	    "EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = u.id AND "
	    "m.confirmed_at IS NOT NULL) FROM "
	    "users u LEFT JOIN teams t ON t.id = u.team_id WHERE "
	    "u.authority_id = $1 ORDER BY u.username", 1, p) != 0) {
		json_decref(t);
		return rs->status = 500;
	}
	users = json_array();
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(users, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:b}", "username", db_res_get(&r, i, 0), "name",
		    db_res_get(&r, i, 1), "role", strcmp(db_res_get(&r, i, 2),
		    "admin") == 0 ? "Administrator" : strcmp(db_res_get(&r,
		    i, 2), "manager") == 0 ? "Manager" : strcmp(db_res_get(&r,
		    i, 2), "mail_gateway") == 0 ? "Mail gateway" :
		    "Social worker",
		    "team", db_res_get(&r, i, 3), "active",
		    db_res_bool(&r, i, 4)));
	for (i = 0; i < db_res_rows(&r); i++) {
		u = json_array_get(users, (size_t)i);
		json_object_set_new(u, "id", json_integer(db_res_long(&r, i, 5,
		    0)));
		json_object_set_new(u, "must_change", json_boolean(
		    db_res_bool(&r, i, 6)));
		json_object_set_new(u, "mfa", json_boolean(db_res_bool(&r, i,
		    7)));
		json_object_set_new(u, "self", json_boolean(db_res_long(&r, i,
		    5, 0) == rq->user.id));
	}
	db_res_free(&r);
	d = json_pack("{s:o, s:o, s:o, s:s}", "users", users, "teams", t,
	    "f_team", web_fld(we, "team_name", "Team name", "For example, "
	    "Assessment Team North", web_field(rq, "team_name", v,
	    sizeof(v))), "done", done ? done : "");
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "admin_users", "Users and teams", d);
}

int
web_admin_users(struct http_req *rq, struct http_resp *rs)
{
	const char *done = http_query(rq, "done");

	if (done == NULL)
		return users_page(rq, rs, NULL, NULL);
	return users_page(rq, rs, NULL, strcmp(done, "team") == 0 ?
	    "The team has been added." : strcmp(done, "deactivated") == 0 ?
	    "The user has been deactivated: their sessions and API tokens "
	    "have ended." : strcmp(done, "reactivated") == 0 ?
	    "The user has been reactivated." : strcmp(done, "front_door") ==
	    0 ? "The team's front door setting has been saved." : NULL);
}

static int
user_form(struct http_req *rq, struct http_resp *rs, struct web_errors *we)
{
	char v[WEB_NAME_BUF];
	json_t *d, *f, *items, *t;
	size_t i;

	if ((t = teams(rq->db, rq->user.authority_id)) == NULL)
		return rs->status = 500;
	items = json_array();
	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "No team (administrators only)", "checked", 0));
	web_field(rq, "team", v, sizeof(v));
	for (i = 0; i < json_array_size(t); i++)
		json_array_append_new(items, json_pack("{s:O, s:O, s:b}",
		    "value", json_object_get(json_array_get(t, i), "name"),
		    "text", json_object_get(json_array_get(t, i), "name"),
		    "checked", strcmp(v, json_string_value(json_object_get(
		    json_array_get(t, i), "name"))) == 0));
	json_decref(t);
	d = json_object();
	json_object_set_new(d, "f_username", f = web_fld(we, "username",
	    "Username", "Letters, numbers and . _ @ - only, up to 64",
	    web_field(rq, "username", v, sizeof(v))));
	json_object_set_new(f, "spellcheck_off", json_true());
	json_object_set_new(f, "autocomplete", json_string("off"));
	json_object_set_new(f, "width", json_string("govuk-input--width-20"));
	json_object_set_new(d, "f_role", f = web_fld(we, "role", "Role", NULL,
	    web_field(rq, "role", v, sizeof(v))));
	json_object_set_new(f, "items", web_choices("role", roles,
	    json_string_value(json_object_get(f, "value"))));
	json_object_set_new(d, "f_team", f = web_fld(we, "team", "Team",
	    "Social workers see their team's strategy discussions only",
	    NULL));
	json_object_set_new(f, "items", items);
	json_object_set_new(d, "back", json_pack("{s:s, s:s}", "href",
	    "/admin/users", "text", "Back"));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "admin_user_new", "Add a user", d);
}

int
web_admin_user_form(struct http_req *rq, struct http_resp *rs)
{
	return user_form(rq, rs, NULL);
}

/* The code of the administrator's authority into out. */
static int
authority_code(struct db *db, long id, char *out, size_t outlen)
{
	char aid[24];
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	snprintf(aid, sizeof(aid), "%ld", id);
	if (db_exec(db, &r, "SELECT code FROM authorities WHERE id = $1", 1,
	    p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		str_copy(out, db_res_get(&r, 0, 0), outlen);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

int
web_admin_user_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	enum auth_role role = ROLE_SOCIAL_WORKER;
	char username[80], rolename[32], team[WEB_NAME_BUF], code[80];
	char pw[64];
	json_t *d;
	size_t n;
	int rc, status = 500;

	web_errors_init(&we);
	memset(pw, 0, sizeof(pw));
	web_field(rq, "username", username, sizeof(username));
	web_field(rq, "role", rolename, sizeof(rolename));
	web_field(rq, "team", team, sizeof(team));
	n = strlen(username);
	if (n == 0)
		web_error(&we, "username", NULL, "Enter a username");
	else if (n > 64 || strspn(username, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._@-") != n)
		web_error(&we, "username", NULL, "Username must be up to 64 "
		    "letters, numbers and . _ @ -");
	if (auth_role_parse(rolename, &role) != 0)
		web_error(&we, "role", NULL, "Select the role");
	else if (role != ROLE_ADMIN && team[0] == '\0')
		web_error(&we, "team", NULL, "Select the team: social workers "
		    "and managers belong to one");
	if (web_errors_any(&we)) {
		status = user_form(rq, rs, &we);
		goto out;
	}
	if (authority_code(rq->db, rq->user.authority_id, code,
	    sizeof(code)) != 0)
		goto out;
	rc = auth_user_add(rq->db, username, role, team[0] ? team : NULL,
	    code, pw, sizeof(pw));
	if (rc < 0)
		goto out;
	if (rc > 0) {
		web_error(&we, "username", NULL, "There is already a user called "
		    "%s", username);
		status = user_form(rq, rs, &we);
		goto out;
	}
	log_info("web", "user added by administrator %ld", rq->user.id);
	/* Shown once, on a page that is never cached (Cache-Control:
	 * no-store); it is not stored anywhere but as a hash. */
	d = json_pack("{s:s, s:s, s:s}", "username", username, "password", pw,
	    "role", auth_role_name(role));
	status = web_page(rq, rs, 200, "admin_user_done", "User added", d);
out:
	memset(pw, 0, sizeof(pw));
	web_errors_free(&we);
	return rs->status = status;
}

int
web_admin_team_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	char name[WEB_NAME_BUF], aid[24];
	const char *p[2] = { aid, name };
	struct db_res r;
	json_t *after;
	long id;
	int status = 500;

	web_errors_init(&we);
	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	web_field(rq, "team_name", name, sizeof(name));
	if (web_check_text(&we, "team_name", name, 1, MEETING_NAME_MAX, 0,
	    "the team's name") != 0) {
		status = users_page(rq, rs, &we, NULL);
		goto out;
	}
	if (db_begin(rq->db) != 0)
		goto out;
	if (db_exec(rq->db, &r, "INSERT INTO teams (authority_id, name) VALUES "
	    "($1, $2) RETURNING id", 2, p) != 0) {
		db_rollback(rq->db);
		if (strcmp(db_last_sqlstate(), "23505") != 0)
			goto out;
		web_error(&we, "team_name", NULL, "There is already a team "
		    "called %s", name);
		status = users_page(rq, rs, &we, NULL);
		goto out;
	}
	id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	after = json_pack("{s:s}", "name", name);
	if (audit_record(rq->db, &rq->user, "team.create", "team", id, NULL,
	    after) != 0 || db_commit(rq->db) != 0) {
		json_decref(after);
		db_rollback(rq->db);
		goto out;
	}
	json_decref(after);
	status = http_redirect(rs, "/admin/users?done=team");
out:
	web_errors_free(&we);
	return rs->status = status;
}

/* POST /admin/teams/{id}/front-door: front_door=yes|no, through cases.c
 * (the rule and the audit entry are there). */
int
web_admin_team_front_door(struct http_req *rq, struct http_resp *rs)
{
	const char *v = form_get(&rq->form, "front_door");
	struct verr e = { 0 };
	json_t *out = NULL;
	long id;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such team");
	if (v == NULL || (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0))
		return http_error(rq, rs, 422, "front_door", "front_door: "
		    "choose yes or no");
	if (cases_team_set_front_door(rq->db, &rq->user, id,
	    strcmp(v, "yes") == 0, &out, &e) != 0)
		return web_fail(rq, rs, &e);
	json_decref(out);
	return http_redirect(rs, "/admin/users?done=front_door");
}

/* POST /admin/users/{id}/deactivate and …/reactivate: through account.c,
 * for users of the admin's own authority. */
static int
set_active(struct http_req *rq, struct http_resp *rs, int active)
{
	long uid;
	int rc;

	if (http_param_id(rq, 0, &uid) != 0)
		return http_error(rq, rs, 404, NULL, "There is no such user.");
	rc = account_set_active(rq->db, &rq->user, uid, active);
	if (rc == ACCOUNT_REFUSED)
		return http_error(rq, rs, 409, NULL, "You cannot deactivate "
		    "yourself. Ask another administrator.");
	if (rc == ACCOUNT_NOT_FOUND)
		return http_error(rq, rs, 404, NULL, "There is no such user.");
	if (rc != 0)
		return rs->status = 500;
	log_info("web", "user %ld %s by administrator %ld", uid, active ?
	    "reactivated" : "deactivated", rq->user.id);
	return http_redirect(rs, active ? "/admin/users?done=reactivated" :
	    "/admin/users?done=deactivated");
}

int
web_admin_user_deactivate(struct http_req *rq, struct http_resp *rs)
{
	return set_active(rq, rs, 0);
}

int
web_admin_user_reactivate(struct http_req *rq, struct http_resp *rs)
{
	return set_active(rq, rs, 1);
}

int
web_admin_user_reset(struct http_req *rq, struct http_resp *rs)
{
	char pw[64];
	long uid;
	int rc, status = 500;

	memset(pw, 0, sizeof(pw));
	if (http_param_id(rq, 0, &uid) != 0)
		return http_error(rq, rs, 404, NULL, "There is no such user.");
	rc = account_password_reset(rq->db, &rq->user, uid, pw, sizeof(pw));
	if (rc == ACCOUNT_REFUSED)
		return http_error(rq, rs, 409, NULL, "Change your own password "
		    "instead.");
	if (rc == ACCOUNT_NOT_FOUND)
		return http_error(rq, rs, 404, NULL, "There is no such user.");
	if (rc != 0)
		goto out;
	log_info("web", "password of user %ld reset by administrator %ld", uid,
	    rq->user.id);
	/* Shown once, on a page that is never cached. */
	status = web_page(rq, rs, 200, "admin_user_reset", "Password reset",
	    json_pack("{s:s}", "password", pw));
out:
	sodium_memzero(pw, sizeof(pw));
	return rs->status = status;
}
