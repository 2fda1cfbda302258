/*
 * authority: an authority's settings and their routes. Every setting is one
 * entry of the fields table below: its JSON name and three functions, to
 * read it, to check a value given for it (before any write, naming the
 * field in the 422) and to write a checked value inside the caller's
 * transaction. GET returns every field; PUT takes any of them, checks all
 * of them, then writes them and one audit entry in one transaction. The
 * admin page (web_authority.c) goes through the same functions.
 *
 * The statutory set is read by classification when a discussion is booked
 * or its attendance recorded (meeting.c) and by the statistics (stats.c);
 * both keep what they stored, so a change here applies from then on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "authority.h"
#include "chaser.h"
#include "classify.h"
#include "db.h"
#include "http.h"
#include "input.h"
#include "invite.h"
#include "meeting.h"
#include "partner.h"
#include "router.h"
#include "str.h"
#include "web_authority.h"

#define ID_LEN		24
#define CODES_TEXT_MAX	400	/* the list of agency codes in a message */

/* ---- the fields ------------------------------------------------------------ */

struct field {
	const char	*name;		/* the JSON member */
	/* Add the setting of authority aid to o. 0 or -1. */
	int		(*load)(struct db *db, const char *aid, json_t *o);
	/* Check v, the value given for it: 0, or -1 with e naming the field
	 * (a 500 in e when the database failed). */
	int		(*check)(struct db *db, json_t *v, struct verr *e);
	/* Write v (checked) for authority aid. 0 or -1. */
	int		(*save)(struct db *db, const char *aid, json_t *v);
};

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong");
}

/* ---- statutory_agencies ---------------------------------------------------- */

static int
statutory_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	json_t *a;
	int i;

	if (db_exec(db, &r, "SELECT s.agency FROM statutory_agencies s JOIN "
	    "agencies a ON a.code = s.agency WHERE s.authority_id = $1 "
	    "ORDER BY a.sort_order, a.code", 1, p) != 0)
		return -1;
	a = json_array();
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(a, json_string(db_res_get(&r, i, 0)));
	db_res_free(&r);
	return json_object_set_new(o, "statutory_agencies", a);
}

/* The agency codes, in the table's order, as one string for messages. */
static int
agency_codes(struct db *db, json_t **codes, char *text, size_t textlen)
{
	struct db_res r;
	size_t used = 0;
	int i, n;

	if (db_exec(db, &r, "SELECT code FROM agencies ORDER BY sort_order, "
	    "code", 0, NULL) != 0)
		return -1;
	*codes = json_array();
	text[0] = '\0';
	for (i = 0; i < db_res_rows(&r); i++) {
		json_array_append_new(*codes, json_string(db_res_get(&r, i,
		    0)));
		n = snprintf(text + used, textlen - used, "%s%s", i ? ", " : "",
		    db_res_get(&r, i, 0));
		if (n > 0 && (size_t)n < textlen - used)
			used += (size_t)n;
	}
	db_res_free(&r);
	return 0;
}

static int
listed(json_t *a, const char *s, size_t before)
{
	size_t i;

	for (i = 0; i < before && i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i)), s) == 0)
			return 1;
	return 0;
}

static int
statutory_check(struct db *db, json_t *v, struct verr *e)
{
	char codes_text[CODES_TEXT_MAX], field[48];
	json_t *codes = NULL;
	const char *s;
	size_t i;
	int rc = -1;

	if (!json_is_array(v))
		return verr_set(e, 422, "statutory_agencies", "statutory_agencies: "
		    "must be a list of agency codes");
	if (json_array_size(v) > CLASSIFY_MAX_AGENCIES)
		return verr_set(e, 422, "statutory_agencies", "statutory_agencies: "
		    "at most %d agencies", CLASSIFY_MAX_AGENCIES);
	if (agency_codes(db, &codes, codes_text, sizeof(codes_text)) != 0)
		return internal(e);
	for (i = 0; i < json_array_size(v); i++) {
		s = json_string_value(json_array_get(v, i));
		snprintf(field, sizeof(field), "statutory_agencies[%zu]", i);
		if (s == NULL || !listed(codes, s, json_array_size(codes))) {
			verr_set(e, 422, field, "%s: is not a known agency (%s)",
			    field, codes_text);
			goto out;
		}
		if (listed(v, s, i)) {
			verr_set(e, 422, field, "%s: is listed twice", field);
			goto out;
		}
	}
	if (!listed(v, AUTHORITY_LEAD_AGENCY, json_array_size(v))) {
		verr_set(e, 422, "statutory_agencies", "statutory_agencies: must "
		    "include %s: children's social care convenes every strategy "
		    "discussion", AUTHORITY_LEAD_AGENCY);
		goto out;
	}
	rc = 0;
out:
	json_decref(codes);
	return rc;
}

static int
statutory_save(struct db *db, const char *aid, json_t *v)
{
	const char *p[2] = { aid, NULL };
	char *list;
	int rc;

	if ((list = json_dumps(v, JSON_COMPACT)) == NULL)
		return -1;
	p[1] = list;
	rc = db_cmd(db, "DELETE FROM statutory_agencies WHERE authority_id = "
	    "$1 AND agency NOT IN (SELECT value FROM json_array_elements_text("
	    "$2::json))", 2, p);
	if (rc == 0)
		rc = db_cmd(db, "INSERT INTO statutory_agencies (authority_id, "
		    "agency) SELECT $1, value FROM json_array_elements_text("
		    "$2::json) ON CONFLICT DO NOTHING", 2, p);
	free(list);
	return rc;
}

/* ---- discussion_target_working_days ------------------------------------- */

static int
target_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT target_working_days FROM authorities "
	    "WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, "discussion_target_working_days",
		    json_integer(db_res_long(&r, 0, 0, 1)));
	db_res_free(&r);
	return rc;
}

static int
target_check(struct db *db, json_t *v, struct verr *e)
{
	(void)db;
	if (!json_is_integer(v) || json_integer_value(v) <
	    AUTHORITY_TARGET_MIN || json_integer_value(v) >
	    AUTHORITY_TARGET_MAX)
		return verr_set(e, 422, "discussion_target_working_days",
		    "discussion_target_working_days: must be a whole number of "
		    "working days from %d (the same day) to %d",
		    AUTHORITY_TARGET_MIN, AUTHORITY_TARGET_MAX);
	return 0;
}

static int
target_save(struct db *db, const char *aid, json_t *v)
{
	char n[ID_LEN];
	const char *p[2] = { aid, n };

	snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
	return db_cmd(db, "UPDATE authorities SET target_working_days = $2 "
	    "WHERE id = $1", 2, p);
}

/* ---- invite_title_template, invite_class (issue 15) ----------------------- */

/* One text column of authorities as a setting; NULL reads as null. */
static int
column_load(struct db *db, const char *sql, const char *aid,
    const char *name, json_t *o)
{
	const char *p[1] = { aid }, *v;
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, sql, 1, p) != 0)
		return -1;
	v = db_res_get(&r, 0, 0);
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, name, v == NULL ? json_null() :
		    json_string(v));
	db_res_free(&r);
	return rc;
}

static int
title_load(struct db *db, const char *aid, json_t *o)
{
	return column_load(db, "SELECT invite_title_template FROM authorities "
	    "WHERE id = $1", aid, "invite_title_template", o);
}

/* null goes back to the title in ics-templates/. */
static int
title_check(struct db *db, json_t *v, struct verr *e)
{
	char err[256];

	(void)db;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return verr_set(e, 422, "invite_title_template",
		    "invite_title_template: must be text or null");
	if (invite_title_check(json_string_value(v), err, sizeof(err)) != 0)
		return verr_set(e, 422, "invite_title_template", "%s", err);
	return 0;
}

static int
title_save(struct db *db, const char *aid, json_t *v)
{
	const char *p[2] = { aid, json_string_value(v) };

	return db_cmd(db, "UPDATE authorities SET invite_title_template = $2 "
	    "WHERE id = $1", 2, p);
}

static int
class_load(struct db *db, const char *aid, json_t *o)
{
	return column_load(db, "SELECT invite_class FROM authorities WHERE "
	    "id = $1", aid, "invite_class", o);
}

static int
class_check(struct db *db, json_t *v, struct verr *e)
{
	const char *s = json_string_value(v);

	(void)db;
	if (s == NULL || (strcmp(s, "PRIVATE") != 0 &&
	    strcmp(s, "CONFIDENTIAL") != 0))
		return verr_set(e, 422, "invite_class", "invite_class: must be "
		    "PRIVATE or CONFIDENTIAL");
	return 0;
}

static int
class_save(struct db *db, const char *aid, json_t *v)
{
	const char *p[2] = { aid, json_string_value(v) };

	return db_cmd(db, "UPDATE authorities SET invite_class = $2 WHERE "
	    "id = $1", 2, p);
}

/* ---- enforce_chair_eligibility (issue 11) ---------------------------- */

/* Whether the chair of a record must be able to chair (a manager, or a
 * directory contact marked so): record.c reads it when a record is
 * written. */
static int
chair_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT enforce_chair_eligibility FROM "
	    "authorities WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, "enforce_chair_eligibility",
		    json_boolean(db_res_bool(&r, 0, 0)));
	db_res_free(&r);
	return rc;
}

static int
chair_check(struct db *db, json_t *v, struct verr *e)
{
	(void)db;
	if (!json_is_boolean(v))
		return verr_set(e, 422, "enforce_chair_eligibility",
		    "enforce_chair_eligibility: must be true or false");
	return 0;
}

static int
chair_save(struct db *db, const char *aid, json_t *v)
{
	const char *p[2] = { aid, json_is_true(v) ? "t" : "f" };

	return db_cmd(db, "UPDATE authorities SET enforce_chair_eligibility = "
	    "$2::boolean WHERE id = $1", 2, p);
}

/* ---- record_retention_months (issue 14) ------------------------------ */

/* Months after a closed case's last discussion that retention.c deletes
 * it; null (the default) keeps records. */
static int
retention_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT record_retention_months FROM authorities "
	    "WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, "record_retention_months",
		    db_res_get(&r, 0, 0) == NULL ? json_null() :
		    json_integer(db_res_long(&r, 0, 0, 0)));
	db_res_free(&r);
	return rc;
}

static int
retention_check(struct db *db, json_t *v, struct verr *e)
{
	(void)db;
	if (!json_is_null(v) && (!json_is_integer(v) ||
	    json_integer_value(v) < AUTHORITY_RETENTION_MIN ||
	    json_integer_value(v) > AUTHORITY_RETENTION_MAX))
		return verr_set(e, 422, "record_retention_months",
		    "record_retention_months: must be null (keep records) or a "
		    "whole number of months from %d to %d",
		    AUTHORITY_RETENTION_MIN, AUTHORITY_RETENTION_MAX);
	return 0;
}

static int
retention_save(struct db *db, const char *aid, json_t *v)
{
	char n[ID_LEN];
	const char *p[2] = { aid, json_is_null(v) ? NULL : n };

	snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
	return db_cmd(db, "UPDATE authorities SET record_retention_months = "
	    "$2::int WHERE id = $1", 2, p);
}

/* ---- mfa_required_for_everyone (identity issue, section 2) ---------- */

/* Managers and admins always need a second factor (mfa.h); true makes
 * everyone of the authority need one at their next request. */
static int
mfa_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT mfa_required_for_everyone FROM "
	    "authorities WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, "mfa_required_for_everyone",
		    json_boolean(db_res_bool(&r, 0, 0)));
	db_res_free(&r);
	return rc;
}

static int
mfa_check(struct db *db, json_t *v, struct verr *e)
{
	(void)db;
	if (!json_is_boolean(v))
		return verr_set(e, 422, "mfa_required_for_everyone",
		    "mfa_required_for_everyone: must be true or false");
	return 0;
}

static int
mfa_save(struct db *db, const char *aid, json_t *v)
{
	const char *p[2] = { aid, json_is_true(v) ? "t" : "f" };

	return db_cmd(db, "UPDATE authorities SET mfa_required_for_everyone = "
	    "$2::boolean WHERE id = $1", 2, p);
}

/* ---- require_approval_single_agency (issue 12, section 1) ------------ */

/* true: a booking without every statutory agency waits for a manager's
 * approval before its attendance can be recorded (server/approval.c). */
static int
approval_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT require_approval_single_agency FROM "
	    "authorities WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, "require_approval_single_agency",
		    json_boolean(db_res_bool(&r, 0, 0)));
	db_res_free(&r);
	return rc;
}

static int
approval_check(struct db *db, json_t *v, struct verr *e)
{
	(void)db;
	if (!json_is_boolean(v))
		return verr_set(e, 422, "require_approval_single_agency",
		    "require_approval_single_agency: must be true or false");
	return 0;
}

static int
approval_save(struct db *db, const char *aid, json_t *v)
{
	const char *p[2] = { aid, json_is_true(v) ? "t" : "f" };

	return db_cmd(db, "UPDATE authorities SET "
	    "require_approval_single_agency = $2::boolean WHERE id = $1", 2, p);
}

/* ---- the chase thresholds (issue 13, part 3; docs/chasers.md) ---------- */

/* The four thresholds are whole numbers in a column each; escalation comes
 * after the reminder, so its threshold is smaller (chase_order()). */
static const struct chase_setting {
	const char	*name;		/* JSON member and column */
	const char	*unit;
} chase_settings[] = {
#define X(name, unit)	{ name, unit },
	AUTHORITY_CHASE_FIELDS(X)
#undef X
};
/* Their bounds, in the same order. */
static const int chase_bounds[][2] = {
	{ CHASER_REMINDER_HOURS_MIN, CHASER_REMINDER_HOURS_MAX },
	{ CHASER_REMINDER_HOURS_MIN, CHASER_REMINDER_HOURS_MAX - 1 },
	{ CHASER_SAME_DAY_REMINDER_MIN, CHASER_SAME_DAY_REMINDER_MAX },
	{ 1, CHASER_SAME_DAY_REMINDER_MAX - 1 },
};
#define NCHASE	(sizeof(chase_settings) / sizeof(chase_settings[0]))

static int
chase_load_all(struct db *db, const char *aid, long v[NCHASE])
{
	const char *p[1] = { aid };
	struct db_res r;
	size_t i;
	int rc = -1;

	if (db_exec(db, &r, "SELECT chase_reminder_hours, "
	    "chase_escalation_hours, chase_same_day_reminder_minutes, "
	    "chase_same_day_escalation_minutes FROM authorities WHERE id = $1",
	    1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		for (i = 0; i < NCHASE; i++)
			v[i] = db_res_long(&r, 0, (int)i, 0);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

static int
chase_load(struct db *db, const char *aid, json_t *o, size_t k)
{
	long v[NCHASE];

	if (chase_load_all(db, aid, v) != 0)
		return -1;
	return json_object_set_new(o, chase_settings[k].name,
	    json_integer(v[k]));
}

static int
chase_check(json_t *v, size_t k, struct verr *e)
{
	const struct chase_setting *c = &chase_settings[k];
	int min = chase_bounds[k][0], max = chase_bounds[k][1];

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return verr_set(e, 422, c->name, "%s: must be a whole number "
		    "of %s from %d to %d", c->name, c->unit, min, max);
	return 0;
}

/*
 * The four are written together, in one UPDATE, by chase_write(): one
 * column at a time would break the order CHECK of sql/033 in between (a
 * reminder of 2 minutes written while the escalation is still 30).
 */
static int
chase_save(struct db *db, const char *aid, json_t *v, size_t k)
{
	(void)db;
	(void)aid;
	(void)v;
	(void)k;
	return 0;
}

/* Write the thresholds given in in (checked, and in order). */
static int
chase_write(struct db *db, const char *aid, json_t *in)
{
	char n[NCHASE][ID_LEN];
	const char *p[NCHASE + 1];
	json_t *j;
	size_t i;

	p[0] = aid;
	for (i = 0; i < NCHASE; i++) {
		j = json_object_get(in, chase_settings[i].name);
		snprintf(n[i], sizeof(n[i]), "%lld",
		    (long long)json_integer_value(j));
		p[i + 1] = j != NULL ? n[i] : NULL;
	}
	return db_cmd(db, "UPDATE authorities SET chase_reminder_hours = "
	    "coalesce($2::int, chase_reminder_hours), chase_escalation_hours = "
	    "coalesce($3::int, chase_escalation_hours), "
	    "chase_same_day_reminder_minutes = coalesce($4::int, "
	    "chase_same_day_reminder_minutes), "
	    "chase_same_day_escalation_minutes = coalesce($5::int, "
	    "chase_same_day_escalation_minutes) WHERE id = $1", NCHASE + 1, p);
}

#define CHASE_FIELD(k, fn)						\
static int fn##_load(struct db *db, const char *aid, json_t *o)		\
{ return chase_load(db, aid, o, k); }					\
static int fn##_check(struct db *db, json_t *v, struct verr *e)		\
{ (void)db; return chase_check(v, k, e); }				\
static int fn##_save(struct db *db, const char *aid, json_t *v)		\
{ return chase_save(db, aid, v, k); }
CHASE_FIELD(0, chase_rh)
CHASE_FIELD(1, chase_eh)
CHASE_FIELD(2, chase_rm)
CHASE_FIELD(3, chase_em)
#undef CHASE_FIELD

/*
 * Each escalation threshold stays below its reminder's, taking the values
 * given in in over those stored for authority aid: 0, or -1 with e naming
 * the escalation field.
 */
static int
chase_order(struct db *db, const char *aid, json_t *in, struct verr *e)
{
	long v[NCHASE];
	json_t *j;
	size_t i;

	if (chase_load_all(db, aid, v) != 0)
		return internal(e);
	for (i = 0; i < NCHASE; i++)
		if ((j = json_object_get(in, chase_settings[i].name)) != NULL)
			v[i] = (long)json_integer_value(j);
	for (i = 0; i < NCHASE; i += 2)
		if (v[i + 1] >= v[i])
			return verr_set(e, 422, chase_settings[i + 1].name,
			    "%s: must be less than %s (the escalation comes "
			    "after the reminder)", chase_settings[i + 1].name,
			    chase_settings[i].name);
	return 0;
}

/* ---- partner_access_working_days (issue 13) ------------------------------- */

static int
partner_days_load(struct db *db, const char *aid, json_t *o)
{
	const char *p[1] = { aid };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT partner_access_working_days FROM "
	    "authorities WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		rc = json_object_set_new(o, "partner_access_working_days",
		    json_integer(db_res_long(&r, 0, 0, 10)));
	db_res_free(&r);
	return rc;
}

static int
partner_days_check(struct db *db, json_t *v, struct verr *e)
{
	(void)db;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > PARTNER_ACCESS_DAYS_MAX)
		return verr_set(e, 422, "partner_access_working_days",
		    "partner_access_working_days: must be a whole number of "
		    "working days from 0 (the day of the meeting) to %d",
		    PARTNER_ACCESS_DAYS_MAX);
	return 0;
}

static int
partner_days_save(struct db *db, const char *aid, json_t *v)
{
	char n[ID_LEN];
	const char *p[2] = { aid, n };

	snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
	return db_cmd(db, "UPDATE authorities SET partner_access_working_days "
	    "= $2 WHERE id = $1", 2, p);
}

/* ---- the table ------------------------------------------------------------- */

static const struct field fields[] = {
	{ "statutory_agencies", statutory_load, statutory_check,
	  statutory_save },
	{ "discussion_target_working_days", target_load, target_check,
	  target_save },
	{ "invite_title_template", title_load, title_check, title_save },
	{ "invite_class", class_load, class_check, class_save },
	{ "enforce_chair_eligibility", chair_load, chair_check, chair_save },
	{ "record_retention_months", retention_load, retention_check,
	  retention_save },
	{ "mfa_required_for_everyone", mfa_load, mfa_check, mfa_save },
	{ "require_approval_single_agency", approval_load, approval_check,
	  approval_save },
	{ "partner_access_working_days", partner_days_load,
	  partner_days_check, partner_days_save },
	{ "chase_reminder_hours", chase_rh_load, chase_rh_check,
	  chase_rh_save },
	{ "chase_escalation_hours", chase_eh_load, chase_eh_check,
	  chase_eh_save },
	{ "chase_same_day_reminder_minutes", chase_rm_load, chase_rm_check,
	  chase_rm_save },
	{ "chase_same_day_escalation_minutes", chase_em_load, chase_em_check,
	  chase_em_save },
	{ NULL, NULL, NULL, NULL }
};

static int
load_all(struct db *db, const char *aid, json_t **out)
{
	const struct field *f;
	json_t *o;

	if ((o = json_object()) == NULL)
		return -1;
	json_object_set_new(o, "id", json_integer(strtol(aid, NULL, 10)));
	for (f = fields; f->name != NULL; f++)
		if (f->load(db, aid, o) != 0) {
			json_decref(o);
			return -1;
		}
	*out = o;
	return 0;
}

static int
exists(struct db *db, const char *aid, int lock)
{
	const char *p[1] = { aid };
	struct db_res r;
	int n;

	if (db_exec(db, &r, lock ? "SELECT 1 FROM authorities WHERE id = $1 "
	    "FOR UPDATE" : "SELECT 1 FROM authorities WHERE id = $1", 1,
	    p) != 0)
		return -1;
	n = db_res_rows(&r);
	db_res_free(&r);
	return n;
}

json_t *
authority_settings_get(struct db *db, long id, struct verr *e)
{
	char aid[ID_LEN];
	json_t *o = NULL;
	int n;

	snprintf(aid, sizeof(aid), "%ld", id);
	if ((n = exists(db, aid, 0)) < 0 || (n > 0 && load_all(db, aid,
	    &o) != 0)) {
		internal(e);
		return NULL;
	}
	if (n == 0)
		verr_set(e, 404, NULL, "there is no such authority");
	return o;
}

/* Every member of in is a field; every field given passes its check. */
static int
check_all(struct db *db, json_t *in, struct verr *e)
{
	const char *allowed[sizeof(fields) / sizeof(fields[0])];
	const struct field *f;
	size_t i;
	json_t *v;

	if (!json_is_object(in))
		return verr_set(e, 400, NULL, "the body must be a JSON object");
	for (i = 0; fields[i].name != NULL; i++)
		allowed[i] = fields[i].name;
	allowed[i] = NULL;
	if (input_known_keys(in, allowed, "", e) != 0)
		return -1;
	for (f = fields; f->name != NULL; f++)
		if ((v = json_object_get(in, f->name)) != NULL &&
		    f->check(db, v, e) != 0)
			return -1;
	return 0;
}

int
authority_settings_put(struct db *db, const struct auth_user *u, long id,
    json_t *in, json_t **out, struct verr *e)
{
	const struct field *f;
	char aid[ID_LEN];
	json_t *before = NULL, *after = NULL, *v;
	int n;

	*out = NULL;
	snprintf(aid, sizeof(aid), "%ld", id);
	if (check_all(db, in, e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if ((n = exists(db, aid, 1)) <= 0) {
		db_rollback(db);
		return n < 0 ? internal(e) : verr_set(e, 404, NULL,
		    "there is no such authority");
	}
	if (chase_order(db, aid, in, e) != 0) {
		db_rollback(db);
		return -1;
	}
	if (load_all(db, aid, &before) != 0)
		goto fail;
	for (f = fields; f->name != NULL; f++)
		if ((v = json_object_get(in, f->name)) != NULL &&
		    f->save(db, aid, v) != 0)
			goto fail;
	if (chase_write(db, aid, in) != 0 || load_all(db, aid, &after) != 0 ||
	    audit_record(db, u, "authority.settings", "authority", id, before,
	    after) != 0 || db_commit(db) != 0)
		goto fail;
	json_decref(before);
	*out = after;
	return 0;
fail:
	db_rollback(db);
	json_decref(before);
	json_decref(after);
	return internal(e);
}

json_t *
authority_agencies(struct db *db)
{
	struct db_res r;
	json_t *a;
	int i;

	if (db_exec(db, &r, "SELECT code, name FROM agencies ORDER BY "
	    "sort_order, code", 0, NULL) != 0)
		return NULL;
	a = json_array();
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "code",
		    db_res_get(&r, i, 0), "name", db_res_get(&r, i, 1)));
	db_res_free(&r);
	return a;
}

/* ---- the JSON API ------------------------------------------------------------ */

/* The {id} of the path, when it is the caller's own authority: another
 * authority's settings are "not found", whoever asks. */
static int
own_authority(struct http_req *rq, struct http_resp *rs, long *id)
{
	if (http_param_id(rq, 0, id) != 0 || *id != rq->user.authority_id) {
		http_error(rq, rs, 404, NULL, "there is no such authority");
		return -1;
	}
	return 0;
}

static int
h_settings_get(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *o;
	long id;

	if (own_authority(rq, rs, &id) != 0)
		return rs->status;
	if ((o = authority_settings_get(rq->db, id, &e)) == NULL)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, o);
}

static int
h_settings_put(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *body, *out;
	long id;

	if (own_authority(rq, rs, &id) != 0)
		return rs->status;
	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) ==
	    NULL)
		return http_error_verr(rq, rs, &e);
	if (authority_settings_put(rq->db, &rq->user, id, body, &out,
	    &e) != 0) {
		json_decref(body);
		return http_error_verr(rq, rs, &e);
	}
	json_decref(body);
	return http_json(rs, 200, out);
}

const struct route authority_routes[] = {
	{ "GET", "/api/v1/authorities/{id}/settings", AUTH_TOKEN, ROLE_ADMIN,
	  h_settings_get, 0, "the authority's settings (its admins)" },
	{ "PUT", "/api/v1/authorities/{id}/settings", AUTH_TOKEN, ROLE_ADMIN,
	  h_settings_put, 0, "change the statutory agencies and the "
	  "discussion target (its admins)" },
	{ "GET", "/admin/settings", AUTH_SESSION, ROLE_ADMIN,
	  web_authority_form, 0, "the authority's settings page" },
	{ "POST", "/admin/settings", AUTH_SESSION, ROLE_ADMIN,
	  web_authority_post, 0, "change the authority's settings" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
