/*
 * enquiry: Section 47 enquiries per child and their conference clocks.
 * Enquiries are made from the authorised decisions (enquiry_sync, called by
 * authorise.c and the older sign-off); the team records the conference:
 * booked for a date, held on a date, or (a manager) not required with the
 * reason. Each write validates the request, locks the enquiry, writes,
 * audits (dates and flags, never the reason's text) and commits in one
 * transaction. An enquiry the caller may not see is "not found".
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "db.h"
#include "enquiry.h"
#include "input.h"
#include "meeting.h"
#include "str.h"
#include "workdays.h"

#define ID_LEN	24

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

void
enquiry_clock(const struct workdays *w, long start, long today, int held,
    int not_required, struct enquiry_clock *c)
{
	c->due = workdays_icpc_due(w, start);
	c->day = workdays_between(w, start, today);
	if (c->day < 0)
		c->day = 0;
	if (held)
		c->state = "held";
	else if (not_required)
		c->state = "not_required";
	else if (today > c->due)
		c->state = "overdue";
	else if (c->day >= ENQUIRY_RED_DAY)
		c->state = "red";
	else if (c->day >= ENQUIRY_AMBER_DAY)
		c->state = "amber";
	else
		c->state = "ok";
}

int
enquiry_sync(struct db *db, long id)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%ld", id);
	/* The decisions that start one are the vocabulary's section47 list
	 * (server/vocab.c), as everywhere. */
	if (db_cmd(db, "INSERT INTO s47_enquiries (authority_id, case_id, "
	    "child_id, discussion_id, kind, started_on) SELECT d.authority_id, "
	    "d.case_id, o.child_id, d.id, CASE WHEN ch.legal_status = "
	    "'child_protection_plan' THEN 'review' ELSE 'initial' END, "
	    "(d.starts_at AT TIME ZONE 'Europe/London')::date FROM discussions "
	    "d JOIN outcomes o ON o.discussion_id = d.id JOIN children ch ON "
	    "ch.id = o.child_id WHERE d.id = $1 AND d.status = 'held' AND "
	    "o.decision IN (SELECT v.code FROM vocabulary v WHERE v.list = "
	    "'section47') ON CONFLICT (discussion_id, child_id) DO NOTHING",
	    1, p) != 0)
		return -1;
	return db_cmd(db, "DELETE FROM s47_enquiries e WHERE e.discussion_id = "
	    "$1 AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE "
	    "o.discussion_id = $1 AND o.child_id = e.child_id AND o.decision IN "
	    "(SELECT v.code FROM vocabulary v WHERE v.list = 'section47'))", 1,
	    p);
}

/* ---- reading ------------------------------------------------------------- */

enum { C_ID, C_REF, C_CHILD, C_NAME, C_KIND, C_START, C_BOOKED, C_HELD,
	C_NOTREQ, C_REASON, C_DISC, C_TEAM, C_TODAY };

#define LIST_SQL \
	"SELECT e.id, c.case_ref, e.child_id, coalesce(ch.name, 'Unborn " \
	"baby'), e.kind, to_char(e.started_on, 'YYYY-MM-DD'), " \
	"to_char(e.icpc_booked_for, 'YYYY-MM-DD'), to_char(e.icpc_held_on, " \
	"'YYYY-MM-DD'), e.icpc_not_required, e.not_required_reason, " \
	"e.discussion_id, t.name, to_char((now() AT TIME ZONE " \
	"'Europe/London')::date, 'YYYY-MM-DD') FROM s47_enquiries e " \
	"JOIN cases c ON c.id = e.case_id JOIN children ch ON ch.id = " \
	"e.child_id JOIN discussions d ON d.id = e.discussion_id JOIN teams " \
	"t ON t.id = c.team_id WHERE e.authority_id = $1 AND ($2::bigint IS " \
	"NULL OR " MEETING_TEAM_SEES("d", "$2") ") AND ($3::bigint IS NULL " \
	"OR e.id = $3) AND ($4::boolean OR (e.icpc_held_on IS NULL AND NOT " \
	"e.icpc_not_required))"

static json_t *
date_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
row_json(const struct workdays *w, struct db_res *r, int i)
{
	struct enquiry_clock c;
	char due[WORKDAYS_DATE_MAX];
	long start, today;

	if (workdays_parse_date(db_res_get(r, i, C_START), &start) != 0 ||
	    workdays_parse_date(db_res_get(r, i, C_TODAY), &today) != 0)
		return NULL;
	enquiry_clock(w, start, today, db_res_get(r, i, C_HELD) != NULL,
	    db_res_bool(r, i, C_NOTREQ), &c);
	workdays_format(c.due, due, sizeof(due));
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:b, s:o, "
	    "s:I, s:s, s:{s:s, s:I, s:i, s:s}}",
	    "id", (json_int_t)db_res_long(r, i, C_ID, 0),
	    "case_ref", db_res_get(r, i, C_REF),
	    "child_id", (json_int_t)db_res_long(r, i, C_CHILD, 0),
	    "child", db_res_get(r, i, C_NAME),
	    "kind", db_res_get(r, i, C_KIND),
	    "started_on", db_res_get(r, i, C_START),
	    "icpc_booked_for", date_or_null(db_res_get(r, i, C_BOOKED)),
	    "icpc_held_on", date_or_null(db_res_get(r, i, C_HELD)),
	    "icpc_not_required", db_res_bool(r, i, C_NOTREQ),
	    "not_required_reason", date_or_null(db_res_get(r, i, C_REASON)),
	    "discussion_id", (json_int_t)db_res_long(r, i, C_DISC, 0),
	    "team", db_res_get(r, i, C_TEAM),
	    "clock", "state", c.state, "working_day", (json_int_t)c.day,
	    "target", WORKDAYS_ICPC_TARGET, "due", due);
}

static int
load(struct db *db, const struct auth_user *u, long id, int all,
    const char *tail, json_t **rows, struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN], sid[ID_LEN], sql[2048];
	const char *p[4] = { aid, NULL, NULL, all ? "t" : "f" };
	struct workdays w;
	struct db_res r;
	json_t *a, *o;
	int i;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(sid, sizeof(sid), "%ld", id);
	if (u->role == ROLE_SOCIAL_WORKER)
		p[1] = tid;
	if (id > 0)
		p[2] = sid;
	snprintf(sql, sizeof(sql), "%s%s", LIST_SQL, tail);
	if (workdays_load(&w, db) != 0 || db_exec(db, &r, sql, 4, p) != 0)
		return internal(e);
	a = json_array();
	for (i = 0; a != NULL && i < db_res_rows(&r); i++) {
		if ((o = row_json(&w, &r, i)) == NULL ||
		    json_array_append_new(a, o) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	db_res_free(&r);
	if (a == NULL)
		return internal(e);
	*rows = a;
	return 0;
}

int
enquiry_list(struct db *db, const struct auth_user *u, int all,
    json_t **out, struct verr *e)
{
	json_t *a;
	char tail[64];

	*out = NULL;
	snprintf(tail, sizeof(tail), " ORDER BY e.started_on, e.id LIMIT %d",
	    ENQUIRY_LIST_MAX);
	if (load(db, u, 0, all, tail, &a, e) != 0)
		return -1;
	*out = json_pack("{s:o}", "enquiries", a);
	return *out != NULL ? 0 : internal(e);
}

int
enquiry_get(struct db *db, const struct auth_user *u, long id, json_t **out,
    struct verr *e)
{
	json_t *a;

	*out = NULL;
	if (load(db, u, id, 1, "", &a, e) != 0)
		return -1;
	if (json_array_size(a) != 1) {
		json_decref(a);
		return verr_set(e, 404, NULL, "there is no Section 47 enquiry "
		    "%ld that you can see", id);
	}
	*out = json_incref(json_array_get(a, 0));
	json_decref(a);
	return 0;
}

/* ---- recording the conference --------------------------------------------- */

struct conf {
	char	 booked[WORKDAYS_DATE_MAX];	/* "" when none */
	char	 held[WORKDAYS_DATE_MAX];
	int	 not_required;
	char	 reason[ENQUIRY_REASON_MAX * 4 + 1];
	char	 start[WORKDAYS_DATE_MAX];
	char	 today[WORKDAYS_DATE_MAX];
};

/* A date key of a PATCH: absent leaves out as it is, null clears it. */
static int
patch_date(json_t *body, const char *key, char *out, struct verr *e)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (json_is_null(v)) {
		out[0] = '\0';
		return 0;
	}
	return input_date(body, key, key, INPUT_REQUIRED, out, NULL, e);
}

static int
read_patch(const struct auth_user *u, json_t *body, struct conf *c,
    struct verr *e)
{
	static const char *const keys[] = { "icpc_booked_for", "icpc_held_on",
		"icpc_not_required", "not_required_reason", NULL };
	const char *reason = NULL;
	int nr = 0, has_nr = 0;

	if (input_known_keys(body, keys, "", e) != 0 ||
	    patch_date(body, "icpc_booked_for", c->booked, e) != 0 ||
	    patch_date(body, "icpc_held_on", c->held, e) != 0 ||
	    input_bool(body, "icpc_not_required", "icpc_not_required",
	    INPUT_OPTIONAL, &nr, &has_nr, e) != 0 ||
	    input_str(body, "not_required_reason", "not_required_reason",
	    INPUT_MULTILINE, ENQUIRY_REASON_MAX, &reason, e) != 0)
		return -1;
	if (has_nr && nr != c->not_required && u->role != ROLE_MANAGER)
		return verr_set(e, 403, "icpc_not_required", "icpc_not_required: "
		    "only a manager decides that no conference is needed");
	if (has_nr) {
		c->not_required = nr;
		if (!nr)
			c->reason[0] = '\0';
	}
	if (reason != NULL)
		str_copy(c->reason, reason, sizeof(c->reason));
	return 0;
}

/* The rules between the fields, on the enquiry as it would be. */
static int
check_conf(const struct conf *c, struct verr *e)
{
	if (c->held[0] != '\0' && strcmp(c->held, c->today) > 0)
		return verr_set(e, 422, "icpc_held_on", "icpc_held_on: is in the "
		    "future; a conference still to come is icpc_booked_for");
	if (c->held[0] != '\0' && strcmp(c->held, c->start) < 0)
		return verr_set(e, 422, "icpc_held_on", "icpc_held_on: is before "
		    "%s, the strategy discussion that started the enquiry",
		    c->start);
	if (c->booked[0] != '\0' && strcmp(c->booked, c->start) < 0)
		return verr_set(e, 422, "icpc_booked_for", "icpc_booked_for: is "
		    "before %s, the strategy discussion that started the "
		    "enquiry", c->start);
	if (c->not_required && c->held[0] != '\0')
		return verr_set(e, 422, "icpc_not_required", "icpc_not_required: "
		    "a conference was held on %s", c->held);
	if (c->not_required && c->reason[0] == '\0')
		return verr_set(e, 422, "not_required_reason",
		    "not_required_reason: say why no conference is needed");
	return 0;
}

static int
lock_conf(struct db *db, long id, struct conf *c, struct verr *e)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;

	memset(c, 0, sizeof(*c));
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT coalesce(to_char(icpc_booked_for, "
	    "'YYYY-MM-DD'), ''), coalesce(to_char(icpc_held_on, 'YYYY-MM-DD'), "
	    "''), icpc_not_required, coalesce(not_required_reason, ''), "
	    "to_char(started_on, 'YYYY-MM-DD'), to_char((now() AT TIME ZONE "
	    "'Europe/London')::date, 'YYYY-MM-DD') FROM s47_enquiries WHERE "
	    "id = $1 FOR UPDATE", 1, p) != 0 || db_res_rows(&r) != 1) {
		db_res_free(&r);
		return internal(e);
	}
	str_copy(c->booked, db_res_get(&r, 0, 0), sizeof(c->booked));
	str_copy(c->held, db_res_get(&r, 0, 1), sizeof(c->held));
	c->not_required = db_res_bool(&r, 0, 2);
	str_copy(c->reason, db_res_get(&r, 0, 3), sizeof(c->reason));
	str_copy(c->start, db_res_get(&r, 0, 4), sizeof(c->start));
	str_copy(c->today, db_res_get(&r, 0, 5), sizeof(c->today));
	db_res_free(&r);
	return 0;
}

/* The audit view: dates and flags, never the reason's text. */
static json_t *
conf_audit(const struct conf *c)
{
	return json_pack("{s:o, s:o, s:b, s:b}", "icpc_booked_for",
	    date_or_null(c->booked), "icpc_held_on", date_or_null(c->held),
	    "icpc_not_required", c->not_required, "reason_written",
	    c->reason[0] != '\0');
}

static int
store_conf(struct db *db, const struct auth_user *u, long id,
    const struct conf *c)
{
	char sid[ID_LEN], uid[ID_LEN];
	const char *p[6] = { sid, c->booked[0] ? c->booked : NULL,
		c->held[0] ? c->held : NULL, c->not_required ? "t" : "f",
		c->reason[0] && c->not_required ? c->reason : NULL, uid };

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	return db_cmd(db, "UPDATE s47_enquiries SET icpc_booked_for = "
	    "$2::date, icpc_held_on = $3::date, icpc_not_required = "
	    "$4::boolean, not_required_reason = $5, not_required_by = CASE "
	    "WHEN $4::boolean AND NOT icpc_not_required THEN $6::bigint WHEN "
	    "$4::boolean THEN not_required_by END WHERE id = $1", 6, p);
}

int
enquiry_update(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	struct conf was, now;
	json_t *seen = NULL, *b = NULL, *a = NULL;
	int rc = -1;

	*out = NULL;
	if (db_begin(db) != 0)
		return internal(e);
	if (enquiry_get(db, u, id, &seen, e) != 0 ||
	    lock_conf(db, id, &was, e) != 0)
		goto out;
	now = was;
	if (read_patch(u, body, &now, e) != 0 || check_conf(&now, e) != 0)
		goto out;
	if ((b = conf_audit(&was)) == NULL || (a = conf_audit(&now)) == NULL ||
	    store_conf(db, u, id, &now) != 0 ||
	    audit_record(db, u, "enquiry.update", "s47_enquiry", id, b,
	    a) != 0 || enquiry_get(db, u, id, out, e) != 0 ||
	    db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	rc = 0;
out:
	db_rollback(db);
	json_decref(seen);
	json_decref(b);
	json_decref(a);
	return rc;
}
