/*
 * meeting: booking, changing, cancelling and recording strategy discussions.
 * Every operation is one transaction: validate the whole request first, then
 * write, classify, audit, and commit, or roll everything back. Visibility is
 * decided in SQL (authority always, team for social workers), and a meeting
 * the caller may not see is reported as not found so that its existence is
 * not revealed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "approval.h"
#include "audit.h"
#include "authorise.h"
#include "auth.h"
#include "classify.h"
#include "db.h"
#include "input.h"
#include "invite.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "vocab.h"

#define ID_LEN	24


int
verr_set(struct verr *e, int status, const char *field, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	str_copy(e->field, field ? field : "", sizeof(e->field));
	va_start(ap, fmt);
	if (vsnprintf(e->msg, sizeof(e->msg), fmt, ap) < 0)
		str_copy(e->msg, "invalid", sizeof(e->msg));
	va_end(ap);
	/* Both end up in a JSON error (jansson refuses invalid UTF-8, which
	 * would drop the field and the message): never end mid-character. */
	str_utf8_cut(e->field);
	str_utf8_cut(e->msg);
	return -1;
}

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

json_t *
meeting_parse_body(const char *data, size_t len, struct verr *e)
{
	json_error_t jerr;
	json_t *o;

	if (len == 0)
		return verr_set(e, 400, "body", "body: a JSON object is "
		    "required"), NULL;
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		verr_set(e, 400, "body", "body: not valid JSON (line %d, "
		    "column %d)", jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		verr_set(e, 400, "body", "body: must be a JSON object");
		return NULL;
	}
	return o;
}

/* ---- reading ---------------------------------------------------------- */

/* Load meeting id as its API view (no visibility check: callers have done
 * it), through the typed model. */
static json_t *
load_json(struct db *db, long id)
{
	struct discussion *d;
	json_t *o;

	if (model_discussion_load(db, id, &d) != 0)
		return NULL;
	o = model_discussion_json(d);
	model_discussion_free(d);
	return o;
}

/* The audit snapshot of an API view: the model's allow-list. */
static json_t *
audit_snapshot(json_t *m)
{
	return model_audit_project(m, model_audit_allow);
}

/*
 * Check that u may see (write: and change) meeting id; lock it for writing.
 * Fills status (16 bytes) and authority. 0, or -1 with e set (404).
 */
static int
visible(struct db *db, const struct auth_user *u, long id, int lock,
    char *status, long *authority, struct verr *e)
{
	char sid[ID_LEN], aid[ID_LEN], tid[ID_LEN];
	const char *p[3] = { sid, aid, NULL };
	struct db_res r;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	if (u->role == ROLE_SOCIAL_WORKER)
		p[2] = tid;
	if (db_exec(db, &r, lock ?
	    "SELECT d.status, d.authority_id FROM discussions d WHERE d.id = $1 "
	    "AND d.authority_id = $2 AND ($3::bigint IS NULL OR "
	    MEETING_TEAM_SEES("d", "$3") ") FOR UPDATE" :
	    "SELECT d.status, d.authority_id FROM discussions d WHERE d.id = $1 "
	    "AND d.authority_id = $2 AND ($3::bigint IS NULL OR "
	    MEETING_TEAM_SEES("d", "$3") ")",
	    3, p) != 0)
		return internal(e);
	if (db_res_rows(&r) == 0) {
		verr_set(e, 404, NULL, "there is no strategy discussion %ld that "
		    "you can see", id);
		goto out;
	}
	str_copy(status, db_res_get(&r, 0, 0), 16);
	*authority = db_res_long(&r, 0, 1, 0);
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

int
meeting_lock(struct db *db, const struct auth_user *u, long id, char *status,
    long *authority, struct verr *e)
{
	return visible(db, u, id, 1, status, authority, e);
}

int
meeting_visible(struct db *db, const struct auth_user *u, long id,
    struct verr *e)
{
	char status[16];
	long authority;

	return visible(db, u, id, 0, status, &authority, e);
}

int
meeting_get(struct db *db, const struct auth_user *u, long id, json_t **out,
    struct verr *e)
{
	char status[16];
	long authority;

	if (visible(db, u, id, 0, status, &authority, e) != 0)
		return -1;
	if ((*out = load_json(db, id)) == NULL)
		return internal(e);
	return 0;
}

/* ---- classification ----------------------------------------------------- */

struct statutory {
	size_t	 n;
	char	 codes[CLASSIFY_MAX_AGENCIES][33];
	const char *ptrs[CLASSIFY_MAX_AGENCIES];
};

static int
load_statutory(struct db *db, long authority, struct statutory *st)
{
	char aid[ID_LEN];
	const char *p[1] = { aid };
	struct db_res r;
	int i;

	snprintf(aid, sizeof(aid), "%ld", authority);
	if (db_exec(db, &r, "SELECT s.agency FROM statutory_agencies s JOIN "
	    "agencies a ON a.code = s.agency WHERE s.authority_id = $1 "
	    "ORDER BY a.sort_order, a.code", 1, p) != 0)
		return -1;
	st->n = 0;
	for (i = 0; i < db_res_rows(&r) && st->n < CLASSIFY_MAX_AGENCIES; i++) {
		str_copy(st->codes[st->n], db_res_get(&r, i, 0), 33);
		st->ptrs[st->n] = st->codes[st->n];
		st->n++;
	}
	db_res_free(&r);
	return 0;
}

/* Postgres text[] literal of names, e.g. {health,police}. */
static void
array_literal(const char *const *names, size_t n, char *out, size_t outlen)
{
	size_t i, used = 1;

	str_copy(out, "{", outlen);
	for (i = 0; i < n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i ? "," : "", names[i]);
	if (used < outlen)
		snprintf(out + used, outlen - used, "}");
}

/* Human list "health and police" for messages. */
static void
agency_list(const char *const *names, size_t n, char *out, size_t outlen)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i == 0 ? "" : (i + 1 == n ? " and " : ", "), names[i]);
}

/*
 * Classify meeting id from its current participants. actual=0: everyone
 * still invited counts as present (planned); actual=1: by attendance.
 */
static int
classify_meeting(struct db *db, long id, long authority, int actual,
    struct classify_result *res, struct statutory *st)
{
	struct classify_participant parts[MEETING_MAX_PARTICIPANTS * 2];
	char sid[ID_LEN];
	const char *p[1] = { sid };
	const char *att;
	struct db_res r;
	int i, n, rc = -1;

	if (load_statutory(db, authority, st) != 0)
		return -1;
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT agency, attendance, (email IS NOT NULL "
	    "AND email <> '') OR contacted_by_phone_at IS NOT NULL OR "
	    "user_id IS NOT NULL FROM "
	    "participants WHERE discussion_id = $1 AND removed_at IS NULL "
	    "ORDER BY id", 1, p) != 0)
		return -1;
	n = db_res_rows(&r);
	if (n > (int)(sizeof(parts) / sizeof(parts[0])))
		goto out;
	for (i = 0; i < n; i++) {
		parts[i].agency = db_res_get(&r, i, 0);
		att = db_res_get(&r, i, 1);
		/* Invited means reached: an invite is sent (an email), a
		 * phone contact was logged, or it is the person booking. */
		if (!actual)
			parts[i].presence = db_res_bool(&r, i, 2) ?
			    CLASSIFY_PRESENT : CLASSIFY_NOT_PRESENT;
		else if (att != NULL && strcmp(att, "attended") == 0)
			parts[i].presence = CLASSIFY_PRESENT;
		else if (att != NULL && strcmp(att, "contributed") == 0)
			parts[i].presence = CLASSIFY_CONTRIBUTED;
		else
			parts[i].presence = CLASSIFY_NOT_PRESENT;
	}
	rc = classify(parts, (size_t)n, st->ptrs, st->n, res);
out:
	db_res_free(&r);
	return rc;
}

/* The 422 for a booking that leaves a statutory agency without an invitee
 * and gives no reason. */
static int
missing_reason(const struct classify_result *res, struct verr *e)
{
	char human[256];

	agency_list(res->missing, res->nmissing, human, sizeof(human));
	return verr_set(e, 422, "missing_agency_reason",
	    "missing_agency_reason: %s %s no invitee; say why, "
	    "or invite someone from %s", human,
	    res->nmissing > 1 ? "have" : "has",
	    res->nmissing > 1 ? "each" : "it");
}

/*
 * Store the planned classification; when a statutory agency has no
 * invitee, a reason (given now or stored before) is required.
 */
static int
store_planned(struct db *db, long id, long authority, const char *reason,
    struct verr *e)
{
	struct classify_result res;
	struct statutory st;
	char sid[ID_LEN], miss[256];
	const char *p[4] = { sid, NULL, miss, reason };
	struct db_res r;
	int have_reason;

	if (classify_meeting(db, id, authority, 0, &res, &st) != 0)
		return internal(e);
	snprintf(sid, sizeof(sid), "%ld", id);
	if (res.nmissing > 0 && (reason == NULL || reason[0] == '\0')) {
		if (db_exec(db, &r, "SELECT coalesce(missing_agency_reason, '') "
		    "<> '' FROM discussions WHERE id = $1", 1, p) != 0)
			return internal(e);
		have_reason = db_res_bool(&r, 0, 0);
		db_res_free(&r);
		if (!have_reason)
			return missing_reason(&res, e);
	}
	p[1] = classify_name(res.cls);
	array_literal(res.missing, res.nmissing, miss, sizeof(miss));
	if (db_cmd(db, "UPDATE discussions SET planned_classification = $2, "
	    "planned_missing = $3::text[], missing_agency_reason = "
	    "coalesce($4, missing_agency_reason), updated_at = now() "
	    "WHERE id = $1", 4, p) != 0)
		return internal(e);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

/* ---- children -------------------------------------------------------------- */

static const char *const child_keys[] = { "name", "date_of_birth", "sex",
	"ethnicity", "disability", "legal_status", "person_id", "unborn",
	"expected_date", NULL };
/* A change by PATCH names the child by id and gives what changes. */
static const char *const child_patch_keys[] = { "id", "name",
	"date_of_birth", "sex", "ethnicity", "disability", "legal_status",
	"person_id", "unborn", "expected_date", NULL };

struct child_in {
	const char	*name, *sex, *ethnicity, *disability, *legal, *person;
	char		 dob[MODEL_DATE_LEN], expected[MODEL_DATE_LEN];
	int		 unborn, has_unborn;
};

/* Today in London as "YYYY-MM-DD" (dates of birth are London dates). */
static void
today_local(char *out, size_t len)
{
	int y, mo, d, h, mi;

	if (ltime_local(time(NULL), &y, &mo, &d, &h, &mi) != 0)
		str_copy(out, "9999-12-31", len);
	else
		snprintf(out, len, "%04d-%02d-%02d", y, mo, d);
}

/* Check children[i] whole before anything is written; patch: a change
 * to a child already on the case (every field optional; the rules between
 * unborn, expected_date and date_of_birth need the stored child, so
 * child_patch checks them). */
static int
child_read(json_t *ch, size_t i, int patch, struct child_in *c,
    struct verr *e)
{
	char f[64], today[MODEL_DATE_LEN];

	memset(c, 0, sizeof(*c));
	if (!json_is_object(ch))
		return verr_set(e, 422, "children", "children[%zu]: must be an "
		    "object with name and date_of_birth", i);
	snprintf(f, sizeof(f), "children[%zu].", i);
	if (input_known_keys(ch, patch ? child_patch_keys : child_keys, f,
	    e) != 0)
		return -1;
#define F(k) (snprintf(f, sizeof(f), "children[%zu].%s", i, k), f)
	if (input_bool(ch, "unborn", F("unborn"), INPUT_OPTIONAL, &c->unborn,
	    &c->has_unborn, e) != 0 ||
	    input_str(ch, "name", F("name"), c->unborn || patch ?
	    INPUT_OPTIONAL : INPUT_REQUIRED, MODEL_NAME_MAX, &c->name,
	    e) != 0 ||
	    input_date(ch, "date_of_birth", F("date_of_birth"), INPUT_OPTIONAL,
	    c->dob, NULL, e) != 0 ||
	    input_date(ch, "expected_date", F("expected_date"), c->unborn &&
	    !patch ? INPUT_REQUIRED : INPUT_OPTIONAL, c->expected, NULL,
	    e) != 0 ||
	    input_enum(ch, "sex", F("sex"), INPUT_OPTIONAL,
	    vocab_codes(VOCAB_SEX), &c->sex, e) != 0 ||
	    input_str(ch, "ethnicity", F("ethnicity"), INPUT_OPTIONAL,
	    MODEL_NAME_MAX, &c->ethnicity, e) != 0 ||
	    input_str(ch, "disability", F("disability"), INPUT_OPTIONAL,
	    MODEL_NAME_MAX, &c->disability, e) != 0 ||
	    input_enum(ch, "legal_status", F("legal_status"), INPUT_OPTIONAL,
	    vocab_codes(VOCAB_LEGAL_STATUS), &c->legal, e) != 0 ||
	    input_str(ch, "person_id", F("person_id"), INPUT_OPTIONAL,
	    MODEL_PERSON_ID_MAX, &c->person, e) != 0)
		return -1;
	if (c->name != NULL && c->name[0] == '\0')
		return verr_set(e, 422, F("name"), "%s: must not be empty (leave "
		    "it out to keep the name)", f);
	today_local(today, sizeof(today));
	if (c->dob[0] != '\0' && strcmp(c->dob, today) > 0)
		return verr_set(e, 422, F("date_of_birth"), "%s: must not be in "
		    "the future (an unborn baby has an expected date)", f);
	if (patch)
		return 0;
	if (!c->unborn && c->expected[0] != '\0')
		return verr_set(e, 422, F("expected_date"), "%s: only for an "
		    "unborn baby (set unborn to true)", f);
	if (c->unborn && c->dob[0] != '\0')
		return verr_set(e, 422, F("date_of_birth"), "%s: an unborn baby "
		    "has an expected date, not a date of birth", f);
#undef F
	return 0;
}

/*
 * The rules between unborn, expected_date, date_of_birth and name for a
 * PATCH of a child stored as was_unborn (named: has a name): an unborn
 * baby may be recorded as born (unborn false, with a name and a date of
 * birth); a child who is born is not made unborn.
 */
static int
child_birth_check(const struct child_in *c, int was_unborn, int named,
    size_t i, struct verr *e)
{
	int unborn = c->has_unborn ? c->unborn : was_unborn;
	char f[64];

#define F(k) (snprintf(f, sizeof(f), "children[%zu].%s", i, k), f)
	if (!was_unborn && unborn)
		return verr_set(e, 422, F("unborn"), "%s: this child is born; a "
		    "child cannot be recorded as unborn again", f);
	if (!unborn && c->expected[0] != '\0')
		return verr_set(e, 422, F("expected_date"), "%s: only for an "
		    "unborn baby", f);
	if (unborn && c->dob[0] != '\0')
		return verr_set(e, 422, F("date_of_birth"), "%s: an unborn baby "
		    "has an expected date, not a date of birth; set unborn to "
		    "false when the baby is born", f);
	if (was_unborn && !unborn && c->name == NULL && !named)
		return verr_set(e, 422, F("name"), "%s: give the baby's name "
		    "with unborn false", f);
	if (was_unborn && !unborn && c->dob[0] == '\0')
		return verr_set(e, 422, F("date_of_birth"), "%s: give the date "
		    "of birth with unborn false", f);
#undef F
	return 0;
}

/* person_id is unique per authority: say so before the index would. */
static int
child_person_free(struct db *db, long authority, long case_id,
    const struct child_in *c, size_t i, struct verr *e)
{
	char aid[ID_LEN], cid[ID_LEN], field[64];
	const char *p[4] = { aid, c->person, cid, c->name };
	struct db_res r;
	int taken;

	if (c->person == NULL)
		return 0;
	snprintf(field, sizeof(field), "children[%zu].person_id", i);
	snprintf(aid, sizeof(aid), "%ld", authority);
	snprintf(cid, sizeof(cid), "%ld", case_id);
	if (db_exec(db, &r, "SELECT 1 FROM children WHERE authority_id = $1 "
	    "AND person_id = $2 AND NOT (case_id = $3 AND $4::text IS NOT NULL "
	    "AND lower(name) = lower($4))", 4, p) != 0)
		return internal(e);
	taken = db_res_rows(&r) > 0;
	db_res_free(&r);
	if (taken)
		return verr_set(e, 422, field, "%s: already given to another "
		    "child of this authority", field);
	return 0;
}

/* Add children[i] to the case, or fill in what is new about them. */
static int
child_store(struct db *db, long authority, long case_id, json_t *ch,
    size_t i, struct verr *e)
{
	struct child_in c;
	char aid[ID_LEN], cid[ID_LEN];
	const char *p[11];

	if (child_read(ch, i, 0, &c, e) != 0 ||
	    child_person_free(db, authority, case_id, &c, i, e) != 0)
		return -1;
	snprintf(aid, sizeof(aid), "%ld", authority);
	snprintf(cid, sizeof(cid), "%ld", case_id);
	p[0] = cid;
	p[1] = c.name;
	p[2] = c.dob[0] ? c.dob : NULL;
	p[3] = aid;
	p[4] = c.sex;
	p[5] = c.ethnicity;
	p[6] = c.disability;
	p[7] = c.legal;
	p[8] = c.person;
	p[9] = c.unborn ? "t" : "f";
	p[10] = c.expected[0] ? c.expected : NULL;
	if (c.unborn && c.name == NULL)
		return db_cmd(db, "INSERT INTO children (case_id, authority_id, "
		    "sex, ethnicity, disability, legal_status, person_id, unborn, "
		    "expected_date) SELECT $1, $4, $5, $6, $7, $8, $9, true, "
		    "$11::date WHERE NOT EXISTS (SELECT 1 FROM children WHERE "
		    "case_id = $1 AND unborn AND name IS NULL AND expected_date = "
		    "$11::date) AND $2::text IS NULL AND $3::date IS NULL AND "
		    "$10::boolean", 11, p) != 0 ? internal(e) : 0;
	if (db_cmd(db, "INSERT INTO children (case_id, name, date_of_birth, "
	    "authority_id, sex, ethnicity, disability, legal_status, person_id, "
	    "unborn, expected_date) VALUES ($1, $2, $3::date, $4, $5, $6, $7, "
	    "$8, $9, $10::boolean, $11::date) ON CONFLICT (case_id, name) DO "
	    "UPDATE SET date_of_birth = coalesce(EXCLUDED.date_of_birth, "
	    "children.date_of_birth), sex = coalesce(EXCLUDED.sex, "
	    "children.sex), ethnicity = coalesce(EXCLUDED.ethnicity, "
	    "children.ethnicity), disability = coalesce(EXCLUDED.disability, "
	    "children.disability), legal_status = "
	    "coalesce(EXCLUDED.legal_status, children.legal_status), "
	    "person_id = coalesce(EXCLUDED.person_id, children.person_id)",
	    11, p) != 0)
		return internal(e);
	return 0;
}

/*
 * PATCH children[i]: change the facts of a child of the discussion's case,
 * named by id; a field left out keeps its value.
 */
static int
child_patch(struct db *db, long authority, long id, json_t *ch, size_t i,
    struct verr *e)
{
	struct child_in c;
	char did[ID_LEN], kid[ID_LEN], aid[ID_LEN], f[64];
	const char *p[10];
	struct db_res r;
	long child;
	int found, taken, was_unborn, named;

	if (child_read(ch, i, 1, &c, e) != 0)
		return -1;
	snprintf(f, sizeof(f), "children[%zu].id", i);
	if (input_int(ch, "id", f, INPUT_REQUIRED, 1, MODEL_ID_MAX, &child,
	    NULL, e) != 0)
		return -1;
	snprintf(did, sizeof(did), "%ld", id);
	snprintf(kid, sizeof(kid), "%ld", child);
	snprintf(aid, sizeof(aid), "%ld", authority);
	p[0] = did; p[1] = kid; p[2] = aid; p[3] = c.person;
	if (db_exec(db, &r, "SELECT ch.unborn, ch.name IS NOT NULL, EXISTS "
	    "(SELECT 1 FROM children WHERE authority_id = $3 AND person_id = "
	    "$4 AND id <> $2) FROM children ch JOIN discussions d ON "
	    "d.case_id = ch.case_id WHERE d.id = $1 AND ch.id = $2", 4,
	    p) != 0)
		return internal(e);
	found = db_res_rows(&r) == 1;
	was_unborn = found && db_res_bool(&r, 0, 0);
	named = found && db_res_bool(&r, 0, 1);
	taken = found && db_res_bool(&r, 0, 2);
	db_res_free(&r);
	if (!found)
		return verr_set(e, 422, f, "%s: no child of this discussion has "
		    "this id", f);
	if (child_birth_check(&c, was_unborn, named, i, e) != 0)
		return -1;
	snprintf(f, sizeof(f), "children[%zu].person_id", i);
	if (taken)
		return verr_set(e, 422, f, "%s: already given to another child "
		    "of this authority", f);
	p[0] = kid; p[1] = c.name; p[2] = c.dob[0] ? c.dob : NULL;
	p[3] = c.sex; p[4] = c.ethnicity; p[5] = c.disability;
	p[6] = c.legal; p[7] = c.person;
	p[8] = (c.has_unborn ? c.unborn : was_unborn) ? "t" : "f";
	p[9] = c.expected[0] ? c.expected : NULL;
	/* Born: the expected date gives way to the date of birth. */
	return db_cmd(db, "UPDATE children SET name = coalesce($2, name), "
	    "date_of_birth = coalesce($3::date, date_of_birth), sex = "
	    "coalesce($4, sex), ethnicity = coalesce($5, ethnicity), "
	    "disability = coalesce($6, disability), legal_status = "
	    "coalesce($7, legal_status), person_id = coalesce($8, person_id), "
	    "unborn = $9::boolean, expected_date = CASE WHEN $9::boolean THEN "
	    "coalesce($10::date, expected_date) END WHERE id = $1", 10,
	    p) != 0 ? internal(e) : 0;
}

static int
update_children(struct db *db, long authority, long id, json_t *list,
    struct verr *e)
{
	json_t *ch;
	size_t i;

	if (list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > MEETING_MAX_CHILDREN)
		return verr_set(e, 422, "children", "children: must be a list of "
		    "1 to %d changes, each with the child's id",
		    MEETING_MAX_CHILDREN);
	json_array_foreach(list, i, ch) {
		if (child_patch(db, authority, id, ch, i, e) != 0)
			return -1;
	}
	return 0;
}

/* The one answer for a case reference the caller's team has no case for
 * (another team's, or none with no child to open one). */
#define CASE_REF_UNKNOWN	"case_ref: your team has no case with this " \
	"reference; to open a new case, give at least one child"

/* Find or create the case; check the team; add children not yet on it. */
static int
resolve_case(struct db *db, const struct auth_user *u, json_t *body,
    long *case_id, struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN], uid[ID_LEN];
	const char *p[4], *ref;
	json_t *children = json_object_get(body, "children"), *ch;
	struct db_res r;
	size_t i;
	int rc;

	if (input_str(body, "case_ref", "case_ref", INPUT_REQUIRED,
	    MODEL_CASE_REF_MAX, &ref,
	    e) != 0)
		return -1;
	if (strspn(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_-") != strlen(ref) || ref[0] == '/' || ref[0] == '-' ||
	    ref[0] == '_')
		return verr_set(e, 422, "case_ref", "case_ref: use letters, "
		    "digits, '-', '_' or '/' only, like SC-104233");
	if (children != NULL && (!json_is_array(children) ||
	    json_array_size(children) > MEETING_MAX_CHILDREN))
		return verr_set(e, 422, "children", "children: must be a list "
		    "of at most %d children", MEETING_MAX_CHILDREN);
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	p[0] = aid;
	p[1] = ref;
	p[2] = tid;
	p[3] = uid;
	/* The third column: a front-door team (MASH, out of hours) may book
	 * on any case of its authority without taking it on. */
	if (db_exec(db, &r, "WITH i AS (INSERT INTO cases (authority_id, "
	    "case_ref, team_id, allocated_worker_id) VALUES ($1, $2, $3, $4) "
	    "ON CONFLICT (authority_id, case_ref) DO NOTHING RETURNING id, "
	    "team_id, true AS created) SELECT id, team_id = $3::bigint OR "
	    "(SELECT front_door FROM teams WHERE id = $3::bigint), created "
	    "FROM i UNION ALL "
	    "SELECT id, team_id = $3::bigint OR (SELECT front_door FROM teams "
	    "WHERE id = $3::bigint), false FROM cases WHERE authority_id = $1 "
	    "AND case_ref = $2 LIMIT 1", 4, p) != 0)
		return internal(e);
	/* A booking that created the case committed while our INSERT waited:
	 * this statement's snapshot cannot see it, a new statement can. */
	if (db_res_rows(&r) == 0) {
		db_res_free(&r);
		if (db_exec(db, &r, "SELECT id, team_id = $3::bigint OR (SELECT "
		    "front_door FROM teams WHERE id = $3::bigint), false FROM "
		    "cases WHERE authority_id = $1 AND case_ref = $2", 3,
		    p) != 0)
			return internal(e);
		if (db_res_rows(&r) != 1) {
			db_res_free(&r);
			return internal(e);
		}
	}
	*case_id = db_res_long(&r, 0, 0, 0);
	rc = !db_res_bool(&r, 0, 1) ||
	    (db_res_bool(&r, 0, 2) && json_array_size(children) == 0);
	db_res_free(&r);
	/* Another team's case and a new case without children get the same
	 * answer, so a case reference cannot be probed (docs/security.md). */
	if (rc)
		return verr_set(e, 422, "case_ref", CASE_REF_UNKNOWN);
	json_array_foreach(children, i, ch) {
		if (child_store(db, u->authority_id, *case_id, ch, i, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * Read one participant from the JSON object jp: a directory contact by
 * contact_id, or a person by name/email/agency/organisation/role.
 * attendance may be NULL (invited, not yet recorded). Checks what can be
 * checked without the database and appends the row for
 * insert_participants() to rows; the contact and the agency are checked
 * there.
 */
static int
read_participant(json_t *rows, size_t idx, json_t *jp, const char *prefix,
    int on_day, struct verr *e)
{
	static const char *const keys[] = { "contact_id", "name", "email",
		"agency", "organisation", "role", "attendance",
		"contacted_by_phone_at", "self", "user_id", NULL };
	const char *name, *email, *agency, *org, *role, *att;
	char f[96], phoned[LTIME_ISO_MAX] = "";
	long contact, user;
	int has_contact, has_phone, has_user, need, self;
	time_t phone;
	json_t *row;

	if (!json_is_object(jp))
		return verr_set(e, 422, prefix, "%s: must be an object", prefix);
	snprintf(f, sizeof(f), "%s.", prefix);
	if (input_known_keys(jp, keys, f, e) != 0)
		return -1;
#define F(k) (snprintf(f, sizeof(f), "%s.%s", prefix, k), f)
	self = 0;
	if (input_bool(jp, "self", F("self"), INPUT_OPTIONAL, &self, NULL,
	    e) != 0 ||
	    input_int(jp, "contact_id", F("contact_id"), INPUT_OPTIONAL, 1,
	    MODEL_ID_MAX, &contact, &has_contact, e) != 0 ||
	    input_int(jp, "user_id", F("user_id"), INPUT_OPTIONAL, 1,
	    MODEL_ID_MAX, &user, &has_user, e) != 0 ||
	    input_enum(jp, "attendance", F("attendance"), on_day ?
	    INPUT_REQUIRED : INPUT_OPTIONAL, vocab_codes(VOCAB_ATTENDANCE),
	    &att, e) != 0 ||
	    input_time(jp, "contacted_by_phone_at", F("contacted_by_phone_at"),
	    INPUT_OPTIONAL, &phone, &has_phone, e) != 0)
		return -1;
	if (has_phone && phone > time(NULL) + MEETING_CLOCK_SKEW)
		return verr_set(e, 422, f, "%s: a phone call that has not "
		    "happened yet cannot be logged", f);
	if (has_phone)
		ltime_format_utc(phone, phoned, sizeof(phoned));
	/* People added on the day are known only from this entry: the
	 * statistics need their agency, organisation and role. */
	need = on_day ? INPUT_REQUIRED : INPUT_OPTIONAL;
	if (has_contact)
		row = json_pack("{s:I, s:I, s:s?, s:b, s:s?, s:o}", "i",
		    (json_int_t)idx, "contact_id", (json_int_t)contact,
		    "attendance", att, "reach", 1, "contacted_by_phone_at",
		    phoned[0] ? phoned : NULL, "user_id", has_user ?
		    json_integer(user) : json_null());
	else {
		if (input_str(jp, "name", F("name"), INPUT_REQUIRED,
		    MEETING_NAME_MAX, &name, e) != 0 ||
		    input_email(jp, "email", F("email"), INPUT_OPTIONAL, &email,
		    e) ||
		    input_str(jp, "agency", F("agency"), INPUT_REQUIRED,
		    MODEL_AGENCY_CODE_MAX,
		    &agency, e) != 0 ||
		    input_str(jp, "organisation", F("organisation"),
		    need, MEETING_NAME_MAX, &org, e) != 0 ||
		    input_str(jp, "role", F("role"), need,
		    MEETING_NAME_MAX, &role, e) != 0)
			return -1;
		row = json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:s?, s:b,"
		    " s:s?, s:b, s:o}", "i", (json_int_t)idx, "name", name,
		    "email", email, "agency", agency, "organisation",
		    org ? org : "", "role", role ? role : "", "attendance", att,
		    "reach", email != NULL || phoned[0] != '\0' || self,
		    "contacted_by_phone_at", phoned[0] ? phoned : NULL,
		    "self", self, "user_id", has_user ? json_integer(user) :
		    json_null());
	}
#undef F
	if (json_array_append_new(rows, row) != 0)
		return internal(e);
	return 0;
}

/*
 * Insert the participants read into rows (a JSON array built with jansson)
 * in one statement, in the order of their "i", rather than one round trip
 * each (docs/performance.md, "Booking"). Nothing is inserted when any
 * contact_id is not an active contact or any agency is unknown: the first
 * such one is reported as participants[i] under key.
 */
static int
insert_participants(struct db *db, long id, json_t *rows, const char *key,
    int on_day, long self_id, struct verr *e)
{
	char sid[ID_LEN], uid[ID_LEN], field[96];
	const char *p[4] = { sid, NULL, on_day ? "t" : "f", uid };
	struct db_res r;
	char *js;
	const char *what;
	long bad;
	int rc;

	if (json_array_size(rows) == 0)
		return 0;
	if ((js = json_dumps(rows, JSON_COMPACT)) == NULL)
		return internal(e);
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", self_id);
	p[1] = js;
	rc = db_exec(db, &r, "WITH r AS (SELECT * FROM json_to_recordset("
	    "$2::json) AS r(i integer, contact_id bigint, name text, email "
	    "text, agency text, organisation text, role text, attendance "
	    "text, contacted_by_phone_at timestamptz, self boolean, user_id "
	    "bigint)), "
	    "s AS (SELECT r.i, CASE WHEN r.user_id IS NOT NULL AND uu.id IS "
	    "NULL THEN 'user_id' WHEN r.contact_id IS NOT NULL THEN "
	    "'contact_id' ELSE 'agency' END AS what, r.user_id IS NOT NULL AND "
	    "uu.id IS NULL AS bad_user, c.id "
	    "AS contact_id, CASE WHEN r.contact_id IS NULL THEN r.name ELSE "
	    "c.name END AS name, CASE WHEN r.contact_id IS NULL THEN r.email "
	    "ELSE c.email END AS email, coalesce(o.agency, a.code) AS agency, "
	    "CASE WHEN r.contact_id IS NULL THEN r.organisation ELSE o.name "
	    "END AS organisation, CASE WHEN r.contact_id IS NULL THEN r.role "
	    "ELSE c.role END AS role, r.attendance, r.contacted_by_phone_at, "
	    /* a Convene user of the discussion's authority, named by id;
	     * or the person booking, as self */
	    "coalesce(uu.id, CASE WHEN r.self AND $4::bigint > 0 THEN "
	    "$4::bigint END) AS user_id "
	    "FROM r "
	    "LEFT JOIN users uu ON uu.id = r.user_id AND uu.active AND "
	    "uu.authority_id = (SELECT authority_id FROM discussions WHERE "
	    "id = $1::bigint) "
	    "LEFT JOIN contacts c ON r.contact_id IS NOT NULL AND "
	    "c.id = r.contact_id AND c.active "
	    "LEFT JOIN organisations o ON o.id = c.organisation_id "
	    "LEFT JOIN agencies a ON r.contact_id IS NULL AND "
	    "a.code = r.agency), "
	    "bad AS (SELECT i, what FROM s WHERE agency IS NULL OR bad_user "
	    "ORDER BY i LIMIT 1), "
	    "ins AS (INSERT INTO participants (discussion_id, contact_id, name, "
	    "email, agency, organisation, role, added_on_day, attendance, "
	    "contacted_by_phone_at, user_id) SELECT $1, contact_id, name, "
	    "email, agency, organisation, role, $3, attendance, "
	    "contacted_by_phone_at, user_id "
	    "FROM s WHERE NOT EXISTS (SELECT 1 FROM bad) "
	    "ORDER BY i RETURNING 1) "
	    "SELECT (SELECT i FROM bad), (SELECT what FROM bad), "
	    "(SELECT count(*) FROM ins)", 4, p);
	free(js);
	if (rc != 0)
		return internal(e);
	bad = db_res_long(&r, 0, 0, -1);
	what = db_res_get(&r, 0, 1);
	snprintf(field, sizeof(field), "%s[%ld].%s", key, bad,
	    what != NULL ? what : "agency");
	rc = db_res_long(&r, 0, 2, -1) == (long)json_array_size(rows) ? 0 : -1;
	db_res_free(&r);
	if (bad >= 0) {
		if (strstr(field, ".user_id") != NULL)
			return verr_set(e, 422, field, "%s: no active user of "
			    "this authority has this id", field);
		if (strstr(field, ".contact_id") != NULL)
			return verr_set(e, 422, field, "%s: no active contact has "
			    "this id", field);
		return verr_set(e, 422, field, "%s: is not a known agency "
		    "(social_care, police, health, education, probation, "
		    "housing, other)", field);
	}
	return rc == 0 ? 0 : internal(e);
}

/* Add one participant (recording attendance: a person who came on the
 * day); prefix names it in errors, like "participants[3]". */
static int
add_participant(struct db *db, long id, json_t *jp, const char *prefix,
    size_t idx, const char *key, int on_day, struct verr *e)
{
	json_t *rows = json_array();
	int rc;

	if (rows == NULL)
		return internal(e);
	rc = read_participant(rows, idx, jp, prefix, on_day, e);
	if (rc == 0)
		rc = insert_participants(db, id, rows, key, on_day, 0, e);
	json_decref(rows);
	return rc;
}

/*
 * Read the participants of list into rows, up to the first one that is
 * malformed: then *bad is set and first holds its error, which callers
 * report only when none before it is wrong in the database. -1 (e set)
 * when list is not a list of at most MEETING_MAX_PARTICIPANTS.
 */
static int
read_participants(json_t *list, const char *key, int on_day, json_t *rows,
    struct verr *first, int *bad, struct verr *e)
{
	char prefix[64];
	json_t *jp;
	size_t i;

	*bad = 0;
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) ||
	    json_array_size(list) > MEETING_MAX_PARTICIPANTS)
		return verr_set(e, 422, key, "%s: must be a list of at most %d "
		    "people", key, MEETING_MAX_PARTICIPANTS);
	json_array_foreach(list, i, jp) {
		snprintf(prefix, sizeof(prefix), "%s[%zu]", key, i);
		if (read_participant(rows, i, jp, prefix, on_day, first) != 0) {
			*bad = 1;
			break;
		}
	}
	return 0;
}

/*
 * Add the participants of list in one statement. The errors are those of
 * adding them one by one: the first participant in list order that is
 * wrong, whether the check needs the database or not.
 */
static int
add_participants(struct db *db, long id, json_t *list, const char *key,
    int on_day, long self_id, struct verr *e)
{
	struct verr first;
	json_t *rows;
	int rc = 0, bad;

	if ((rows = json_array()) == NULL)
		return internal(e);
	if (read_participants(list, key, on_day, rows, &first, &bad, e) != 0)
		rc = -1;
	/* Those before the first malformed one may hold an earlier error. */
	else if (insert_participants(db, id, rows, key, on_day, self_id,
	    e) != 0)
		rc = -1;
	else if (bad) {
		*e = first;
		rc = -1;
	}
	json_decref(rows);
	return rc;
}

/*
 * Classify a new meeting before it is written, from the participants read
 * into rows and the authority's statutory agencies, in one statement: the
 * discussion is then inserted with its planned classification instead of
 * being updated after its participants (docs/performance.md, "Booking").
 * The first participant whose contact_id is not an active contact or whose
 * agency is unknown is reported as insert_participants() would.
 */
static int
plan_participants(struct db *db, long authority, json_t *rows,
    const char *key, struct classify_result *res, struct statutory *st,
    struct verr *e)
{
	struct classify_participant parts[MEETING_MAX_PARTICIPANTS];
	char aid[ID_LEN], field[96];
	const char *p[2] = { NULL, aid };
	json_t *jp = NULL, *js = NULL, *x;
	struct db_res r;
	char *in;
	size_t i, n;
	int rc;

	if ((in = json_dumps(rows, JSON_COMPACT)) == NULL)
		return internal(e);
	snprintf(aid, sizeof(aid), "%ld", authority);
	p[0] = in;
	rc = db_exec(db, &r, "WITH r AS (SELECT * FROM json_to_recordset("
	    "$1::json) AS r(i integer, contact_id bigint, agency text)) "
	    "SELECT (SELECT json_agg(json_build_array(r.i, r.contact_id IS NOT "
	    "NULL, CASE WHEN r.contact_id IS NULL THEN a.code ELSE o.agency "
	    "END) ORDER BY r.i) FROM r "
	    "LEFT JOIN contacts c ON r.contact_id IS NOT NULL AND "
	    "c.id = r.contact_id AND c.active "
	    "LEFT JOIN organisations o ON o.id = c.organisation_id "
	    "LEFT JOIN agencies a ON r.contact_id IS NULL AND "
	    "a.code = r.agency), "
	    "(SELECT json_agg(s.agency ORDER BY a.sort_order, a.code) FROM "
	    "statutory_agencies s JOIN agencies a ON a.code = s.agency WHERE "
	    "s.authority_id = $2)", 2, p);
	free(in);
	if (rc != 0)
		return internal(e);
	rc = -1;
	if ((db_res_get(&r, 0, 0) != NULL &&
	    (jp = json_loads(db_res_get(&r, 0, 0), 0, NULL)) == NULL) ||
	    (db_res_get(&r, 0, 1) != NULL &&
	    (js = json_loads(db_res_get(&r, 0, 1), 0, NULL)) == NULL)) {
		internal(e);
		goto out;
	}
	st->n = 0;
	json_array_foreach(js, i, x) {
		if (st->n >= CLASSIFY_MAX_AGENCIES || !json_is_string(x))
			break;
		str_copy(st->codes[st->n], json_string_value(x), 33);
		st->ptrs[st->n] = st->codes[st->n];
		st->n++;
	}
	n = 0;
	json_array_foreach(jp, i, x) {
		if (n >= MEETING_MAX_PARTICIPANTS) {
			internal(e);
			goto out;
		}
		if (!json_is_string(json_array_get(x, 2))) {
			snprintf(field, sizeof(field), "%s[%lld].%s", key,
			    (long long)json_integer_value(json_array_get(x, 0)),
			    json_is_true(json_array_get(x, 1)) ? "contact_id" :
			    "agency");
			verr_set(e, 422, field, json_is_true(json_array_get(x,
			    1)) ? "%s: no active contact has this id" : "%s: is "
			    "not a known agency (social_care, police, health, "
			    "education, probation, housing, other)", field);
			goto out;
		}
		parts[n].agency = json_string_value(json_array_get(x, 2));
		/* Rows and results are both in order of i. */
		parts[n].presence = json_is_true(json_object_get(
		    json_array_get(rows, n), "reach")) ? CLASSIFY_PRESENT :
		    CLASSIFY_NOT_PRESENT;
		n++;
	}
	if (classify(parts, n, st->ptrs, st->n, res) != 0) {
		internal(e);
		goto out;
	}
	rc = 0;
out:
	json_decref(jp);
	json_decref(js);
	db_res_free(&r);
	return rc;
}

/* Validated scheduling fields common to create and update. */
struct when {
	time_t	 concern, starts, ends;
	int	 has_concern, has_starts, has_ends, has_duration;
	long	 duration;
};

static int
read_when(json_t *body, int opts, struct when *w, struct verr *e)
{
	memset(w, 0, sizeof(*w));
	if (input_time(body, "concern_received_at", "concern_received_at", opts,
	    &w->concern, &w->has_concern, e) != 0 ||
	    input_time(body, "starts_at", "starts_at", opts, &w->starts,
	    &w->has_starts, e) != 0 ||
	    input_time(body, "ends_at", "ends_at", INPUT_OPTIONAL, &w->ends,
	    &w->has_ends, e) != 0 ||
	    input_int(body, "duration_minutes", "duration_minutes",
	    INPUT_OPTIONAL, MEETING_MIN_DURATION, MEETING_MAX_DURATION,
	    &w->duration,
	    &w->has_duration, e) != 0)
		return -1;
	if (w->has_ends && w->has_duration)
		return verr_set(e, 422, "ends_at", "ends_at: give either ends_at "
		    "or duration_minutes, not both");
	if (w->has_ends && w->has_starts && w->ends <= w->starts)
		return verr_set(e, 422, "ends_at", "ends_at: must be after "
		    "starts_at");
	if (w->has_ends && w->has_starts &&
	    w->ends - w->starts > MEETING_MAX_DURATION * 60)
		return verr_set(e, 422, "ends_at", "ends_at: a discussion lasts "
		    "at most %d hours", MEETING_MAX_DURATION / 60);
	if (w->has_concern && w->has_starts && w->starts < w->concern)
		return verr_set(e, 422, "starts_at", "starts_at: must not be "
		    "before concern_received_at");
	return 0;
}

static const char *const create_keys[] = { "case_ref", "children", "kind",
	"reason", "concern_received_at", "starts_at", "ends_at",
	"duration_minutes", "format", "location", "chair", "participants",
	"missing_agency_reason", "reviews_discussion_id", NULL };

/* Link booking id to the earlier discussion of its case it reviews (the
 * next review that discussion set). 0, or -1 with e set. */
static int
link_review(struct db *db, long id, long case_id, json_t *body,
    struct verr *e)
{
	char sid[ID_LEN], rid[ID_LEN], cid[ID_LEN];
	const char *p[3] = { sid, rid, cid };
	struct db_res r;
	long reviews;
	int present, n;

	if (input_int(body, "reviews_discussion_id", "reviews_discussion_id",
	    INPUT_OPTIONAL, 1, MODEL_ID_MAX, &reviews, &present, e) != 0)
		return -1;
	if (!present)
		return 0;
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(rid, sizeof(rid), "%ld", reviews);
	snprintf(cid, sizeof(cid), "%ld", case_id);
	if (db_exec(db, &r, "UPDATE discussions SET reviews_discussion_id = $2 "
	    "WHERE id = $1 AND EXISTS (SELECT 1 FROM discussions x WHERE x.id "
	    "= $2 AND x.case_id = $3 AND x.id <> $1 AND x.status = 'held') "
	    "RETURNING id", 3, p) != 0)
		return internal(e);
	n = db_res_rows(&r);
	db_res_free(&r);
	if (n != 1)
		return verr_set(e, 422, "reviews_discussion_id",
		    "reviews_discussion_id: is not a held discussion of this "
		    "case");
	return 0;
}

/* Store key for booking id (in its transaction): 0, 1 when another
 * request holding the key committed first, -1 on error. */
static int
idem_store(struct db *db, const struct auth_user *u, const char *key,
    const char *hash, long id)
{
	char uid[ID_LEN], did[ID_LEN], days[ID_LEN];
	const char *p[4] = { uid, key, hash, did };

	snprintf(uid, sizeof(uid), "%ld", u->id);
	snprintf(did, sizeof(did), "%ld", id);
	snprintf(days, sizeof(days), "%d", MEETING_IDEM_DAYS);
	p[1] = days;
	if (db_cmd(db, "DELETE FROM idempotency_keys WHERE user_id = $1 AND "
	    "created_at < now() - make_interval(days => $2::int)", 2, p) != 0)
		return -1;
	p[1] = key;
	if (db_cmd(db, "INSERT INTO idempotency_keys (user_id, key, "
	    "request_hash, discussion_id) VALUES ($1, $2, $3, $4)", 4,
	    p) == 0)
		return 0;
	return strcmp(db_last_sqlstate(), "23505") == 0 ? 1 : -1;
}

static int
create_tx(struct db *db, const struct auth_user *u, json_t *body,
    const char *key, const char *hash, json_t **out, struct verr *e);

int
meeting_create(struct db *db, const struct auth_user *u, json_t *body,
    json_t **out, struct verr *e)
{
	return create_tx(db, u, body, NULL, NULL, out, e);
}

/* The booking made earlier with key: 1 (and *out) when there is one, 0
 * when there is none, -1 with e (422 for another body, or 500). */
static int
idem_replay(struct db *db, const struct auth_user *u, const char *key,
    const char *hash, json_t **out, struct verr *e)
{
	char uid[ID_LEN], days[ID_LEN];
	const char *p[3] = { uid, key, days };
	struct db_res r;
	long id;
	int same;

	snprintf(uid, sizeof(uid), "%ld", u->id);
	snprintf(days, sizeof(days), "%d", MEETING_IDEM_DAYS);
	if (db_exec(db, &r, "SELECT discussion_id, request_hash FROM "
	    "idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at "
	    ">= now() - make_interval(days => $3::int)", 3, p) != 0)
		return internal(e);
	if (db_res_rows(&r) == 0) {
		db_res_free(&r);
		return 0;
	}
	id = db_res_long(&r, 0, 0, 0);
	same = strcmp(db_res_get(&r, 0, 1), hash) == 0;
	db_res_free(&r);
	if (!same)
		return verr_set(e, 422, "Idempotency-Key", "this key was used "
		    "for a different booking; use a new key for a new request");
	return meeting_get(db, u, id, out, e) == 0 ? 1 : -1;
}

/* A hash of body that does not depend on key order or spacing. */
static int
body_hash(json_t *body, char *hex, size_t len)
{
	unsigned char h[32];
	char *s;

	if ((s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	crypto_generichash(h, sizeof(h), (const unsigned char *)s, strlen(s),
	    NULL, 0);
	free(s);
	sodium_bin2hex(hex, len, h, sizeof(h));
	return 0;
}

int
meeting_create_once(struct db *db, const struct auth_user *u, json_t *body,
    const char *key, json_t **out, int *replayed, struct verr *e)
{
	char hash[65];
	int rc, tries;

	*replayed = 0;
	*out = NULL;
	if (key == NULL)
		return create_tx(db, u, body, NULL, NULL, out, e);
	if (key[0] == '\0' || strlen(key) > MEETING_IDEM_KEY_MAX ||
	    strspn(key, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRST"
	    "UVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != strlen(key))
		return verr_set(e, 400, "Idempotency-Key", "must be 1 to %d "
		    "visible ASCII characters", MEETING_IDEM_KEY_MAX);
	if (body_hash(body, hash, sizeof(hash)) != 0)
		return internal(e);
	/* Twice at most: a request that loses the race for the key replays
	 * the one that won. */
	for (tries = 0; tries < 2; tries++) {
		if ((rc = idem_replay(db, u, key, hash, out, e)) != 0) {
			*replayed = rc == 1;
			return rc == 1 ? 0 : -1;
		}
		if ((rc = create_tx(db, u, body, key, hash, out, e)) != 1)
			return rc;
	}
	return internal(e);
}

/* meeting_create's transaction; with key, also stores it: then 1 (and
 * nothing booked) when another request stored the key first. */
static int
create_tx(struct db *db, const struct auth_user *u, json_t *body,
    const char *key, const char *hash, json_t **out, struct verr *e)
{
	const char *kind, *reason, *format, *location, *chair, *missing, *p[16];
	char aid[ID_LEN], tid[ID_LEN], cid[ID_LEN], uid_s[ID_LEN];
	char concern[LTIME_ISO_MAX], starts[LTIME_ISO_MAX], ends[LTIME_ISO_MAX];
	char rnd[33], uid[64], miss[256];
	struct classify_result res;
	struct statutory st;
	struct verr first;
	struct db_res r;
	struct when w;
	long case_id = 0, id = 0;
	json_t *m = NULL, *snap = NULL, *rows = NULL;
	int result = -1, bad, rc;

	*out = NULL;
	if (u->team_id == 0)
		return verr_set(e, 403, NULL, "you are not in a team, so you "
		    "cannot book for one");
	if (input_known_keys(body, create_keys, "", e) != 0 ||
	    input_enum(body, "kind", "kind", INPUT_REQUIRED,
	    vocab_codes(VOCAB_KIND), &kind, e) != 0 ||
	    input_str(body, "reason", "reason", INPUT_REQUIRED |
	    INPUT_MULTILINE, MEETING_TEXT_MAX, &reason, e) != 0 ||
	    read_when(body, INPUT_REQUIRED, &w, e) != 0 ||
	    input_enum(body, "format", "format", INPUT_REQUIRED,
	    vocab_codes(VOCAB_FORMAT), &format, e) != 0 ||
	    input_str(body, "location", "location", INPUT_OPTIONAL,
	    MODEL_LOCATION_MAX,
	    &location, e) != 0 ||
	    input_str(body, "chair", "chair", INPUT_OPTIONAL, MEETING_NAME_MAX,
	    &chair, e) != 0 ||
	    input_str(body, "missing_agency_reason", "missing_agency_reason",
	    INPUT_MULTILINE, MEETING_TEXT_MAX, &missing, e) != 0)
		return -1;
	if (strcmp(kind, "discussion") == 0 &&
	    w.starts > time(NULL) + MEETING_CLOCK_SKEW)
		return verr_set(e, 422, "starts_at", "starts_at: a discussion "
		    "that already happened cannot be in the future; book a "
		    "meeting instead");
	if (!w.has_ends)
		w.ends = w.starts + (w.has_duration ? w.duration : 60) * 60;
	if (db_begin(db) != 0)
		return internal(e);
	if (resolve_case(db, u, body, &case_id, e) != 0)
		goto out;
	/* Participants are checked and the meeting classified before
	 * anything of it is written, so that each row goes in once. */
	if ((rows = json_array()) == NULL)
		goto fail;
	if (read_participants(json_object_get(body, "participants"),
	    "participants", 0, rows, &first, &bad, e) != 0 ||
	    plan_participants(db, u->authority_id, rows, "participants", &res,
	    &st, e) != 0)
		goto out;
	if (bad) {
		*e = first;
		goto out;
	}
	if (res.nmissing > 0 && (missing == NULL || missing[0] == '\0')) {
		missing_reason(&res, e);
		goto out;
	}
	array_literal(res.missing, res.nmissing, miss, sizeof(miss));
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(cid, sizeof(cid), "%ld", case_id);
	snprintf(uid_s, sizeof(uid_s), "%ld", u->id);
	ltime_format_utc(w.concern, concern, sizeof(concern));
	ltime_format_utc(w.starts, starts, sizeof(starts));
	ltime_format_utc(w.ends, ends, sizeof(ends));
	if (auth_random_hex(rnd, sizeof(rnd), 16) != 0)
		goto fail;
	snprintf(uid, sizeof(uid), "%s@convene", rnd);
	p[0] = aid; p[1] = cid; p[2] = tid; p[3] = kind; p[4] = reason;
	p[5] = concern; p[6] = starts; p[7] = ends; p[8] = format;
	p[9] = location ? location : ""; p[10] = chair ? chair : "";
	p[11] = uid; p[12] = uid_s; p[13] = classify_name(res.cls);
	p[14] = miss; p[15] = missing;
	if (db_exec(db, &r, "INSERT INTO discussions (authority_id, case_id, "
	    "team_id, kind, reason, concern_received_at, starts_at, ends_at, "
	    "format, location, chair, uid, created_by, planned_classification, "
	    "planned_missing, missing_agency_reason) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text[], $16) "
	    "RETURNING id", 16, p) != 0)
		goto fail;
	id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	if (insert_participants(db, id, rows, "participants", 0, u->id,
	    e) != 0 || link_review(db, id, case_id, body, e) != 0)
		goto out;
	if (approval_refresh(db, id) != 0)
		goto fail;
	if (key != NULL && (rc = idem_store(db, u, key, hash, id)) != 0) {
		if (rc < 0)
			goto fail;
		result = 1;	/* another request has the key */
		goto out;
	}
	if ((m = load_json(db, id)) == NULL ||
	    (snap = audit_snapshot(m)) == NULL ||
	    audit_record(db, u, "meeting.create", "discussion", id, NULL,
	    snap) != 0 ||
	    invite_queue(db, id, INVITE_NEW, NULL) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	*out = m;
	m = NULL;
	result = 0;
	goto out;
fail:
	internal(e);
out:
	db_rollback(db);
	json_decref(rows);
	json_decref(m);
	json_decref(snap);
	return result;
}

/* ---- the record already written ------------------------------------------ */

/* Which request changed what the record rests on. */
enum record_cause {
	CAUSE_ATTENDANCE,	/* PUT /attendance: participants, outcomes */
	CAUSE_CHILDREN		/* PATCH children of a held discussion */
};

/* The entry of the request the child or participant the broken rule
 * (broken: the record's field) is about came from, as a field name in f;
 * 0, or -1 when none. */
static int
cause_field(const struct discussion *d, json_t *body, enum record_cause why,
    const char *broken, long child, long pid, char *f, size_t len)
{
	const char *what = strstr(broken, ".rationale") != NULL ?
	    "rationale" : "decision";
	const struct child *c = child ? model_child(d, child) : NULL;
	const char *list = why == CAUSE_CHILDREN ? "children" :
	    child ? "outcomes" : "participants";
	const char *name;
	json_t *o, *v;
	size_t i;

	json_array_foreach(json_object_get(body, list), i, o) {
		if (why == CAUSE_CHILDREN) {
			if (json_integer_value(json_object_get(o, "id")) != child)
				continue;
			snprintf(f, len, "children[%zu]%s", i,
			    json_object_get(o, "legal_status") ?
			    ".legal_status" : "");
			return 0;
		}
		if (child) {
			v = json_object_get(o, "child_id");
			name = json_string_value(json_object_get(o, "child"));
			if (json_is_integer(v) ? json_integer_value(v) != child :
			    c == NULL || c->name == NULL || name == NULL ||
			    str_casecmp(c->name, name) != 0)
				continue;
			snprintf(f, len, "outcomes[%zu].%s", i, what);
			return 0;
		}
		if (pid && json_integer_value(json_object_get(o, "id")) == pid) {
			snprintf(f, len, "participants[%zu].attendance", i);
			return 0;
		}
	}
	return -1;
}

/*
 * After a change inside the caller's transaction, the record already
 * written for discussion id (before: the discussion's view before the
 * change) must still hold: its rules are checked again against the
 * discussion as it now is, and a refusal names the request's own field
 * where it can (outcomes[i].decision, participants[i].attendance,
 * children[i].legal_status), else the record's (record.*). A record whose
 * content the change altered (a decision given with attendance) is a new
 * version, written by u: an authorised record is not edited silently.
 */
/* Whether the discussion changed since before (its API view), apart from
 * what every write moves (updated_at, sequence) and the record itself. */
static int
changed(json_t *before, const struct discussion *d)
{
	static const char *const skip[] = { "updated_at", "sequence", "record",
		NULL };
	json_t *a = json_deep_copy(before), *b = model_discussion_json(d);
	size_t i;
	int rc = 1;

	if (a != NULL && b != NULL) {
		for (i = 0; skip[i] != NULL; i++) {
			json_object_del(a, skip[i]);
			json_object_del(b, skip[i]);
		}
		rc = !json_equal(a, b);
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static int
keep_record(struct db *db, const struct auth_user *u, long id,
    json_t *before, json_t *body, enum record_cause why, struct verr *e)
{
	static const char *const meta[] = { "version", "written_by",
		"written_at", NULL };
	struct discussion *d = NULL;
	char f[96], msg[sizeof(e->msg)], sid[ID_LEN], uid[ID_LEN];
	const char *p[2] = { sid, uid };
	json_t *was = NULL, *now = NULL;
	long child, pid;
	size_t i;
	int rc = -1;

	if (model_discussion_load(db, id, &d) != 0)
		return internal(e);
	if (d->record == NULL) {
		rc = 0;
		goto out;
	}
	if (record_recheck(db, d, &child, &pid, e) != 0) {
		if (e->status >= 500)
			goto out;
		str_copy(msg, e->msg, sizeof(msg));
		if (cause_field(d, body, why, e->field, child, pid, f,
		    sizeof(f)) == 0)
			verr_set(e, 422, f, "%s: the record of this discussion "
			    "would no longer hold; change the record first. The "
			    "record's %s", f, msg);
		else {
			str_copy(f, e->field, sizeof(f));
			verr_set(e, 422, f, "%s: the record of this discussion "
			    "would no longer hold; change the record first. %s",
			    f, msg);
		}
		goto out;
	}
	was = json_deep_copy(json_object_get(before, "record"));
	now = model_record_json(d);
	if (was == NULL || now == NULL) {
		internal(e);
		goto out;
	}
	for (i = 0; meta[i] != NULL; i++) {
		json_object_del(was, meta[i]);
		json_object_del(now, meta[i]);
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u != NULL ? u->id : 0);
	/* A change to the record (a decision given with attendance) is a new
	 * version; after authorisation so is any change to what the record
	 * rests on, awaiting authorisation again (authorise_reopen). */
	if (!json_equal(was, now) ? authorise_reopen(db, id, 0) != 0 ||
	    db_cmd(db, "UPDATE records SET version = version + 1, written_at = "
	    "now(), written_by = $2 WHERE discussion_id = $1", 2, p) != 0 :
	    changed(before, d) && authorise_reopen(db, id, 1) != 0) {
		internal(e);
		goto out;
	}
	rc = 0;
out:
	json_decref(was);
	json_decref(now);
	model_discussion_free(d);
	return rc;
}

static const char *const update_keys[] = { "reason", "concern_received_at",
	"starts_at", "ends_at", "duration_minutes", "format", "location",
	"chair", "add_participants", "remove_participants",
	"missing_agency_reason", "children", NULL };

/* Apply the remove_participants list; counts removals into *n. */
static int
remove_participants(struct db *db, long id, json_t *list, long *removed,
    size_t *n, struct verr *e)
{
	char sid[ID_LEN], pid[ID_LEN];
	const char *p[2] = { sid, pid };
	struct db_res r;
	json_t *v;
	size_t i;
	int ok;

	*n = 0;
	if (list == NULL)
		return 0;
	if (!json_is_array(list) ||
	    json_array_size(list) > MEETING_MAX_PARTICIPANTS)
		return verr_set(e, 422, "remove_participants",
		    "remove_participants: must be a list of participant ids");
	snprintf(sid, sizeof(sid), "%ld", id);
	json_array_foreach(list, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return verr_set(e, 422, "remove_participants",
			    "remove_participants[%zu]: must be a participant "
			    "id", i);
		snprintf(pid, sizeof(pid), "%lld",
		    (long long)json_integer_value(v));
		if (db_exec(db, &r, "UPDATE participants SET removed_at = now() "
		    "WHERE discussion_id = $1 AND id = $2 AND removed_at IS NULL "
		    "RETURNING id", 2, p) != 0)
			return internal(e);
		ok = db_res_rows(&r) == 1;
		db_res_free(&r);
		if (!ok)
			return verr_set(e, 422, "remove_participants",
			    "remove_participants[%zu]: %s is not an invited "
			    "participant of this meeting", i, pid);
		removed[(*n)++] = (long)json_integer_value(v);
	}
	return 0;
}

/* Update the scheduling columns that were given. */
static int
update_fields(struct db *db, long id, json_t *body, struct verr *e)
{
	const char *reason, *format, *location, *chair, *p[8];
	char sid[ID_LEN], concern[LTIME_ISO_MAX], starts[LTIME_ISO_MAX];
	char ends[LTIME_ISO_MAX], dur[ID_LEN], skew[ID_LEN];
	struct db_res r;
	struct when w;
	int early, too_long, future;

	if (input_str(body, "reason", "reason", INPUT_MULTILINE,
	    MEETING_TEXT_MAX, &reason, e) != 0 ||
	    read_when(body, INPUT_OPTIONAL, &w, e) != 0 ||
	    input_enum(body, "format", "format", INPUT_OPTIONAL,
	    vocab_codes(VOCAB_FORMAT), &format, e) != 0 ||
	    input_str(body, "location", "location", INPUT_OPTIONAL,
	    MODEL_LOCATION_MAX,
	    &location, e) != 0 ||
	    input_str(body, "chair", "chair", INPUT_OPTIONAL, MEETING_NAME_MAX,
	    &chair, e) != 0)
		return -1;
	if (reason != NULL && reason[0] == '\0')
		return verr_set(e, 422, "reason", "reason: must not be empty");
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(dur, sizeof(dur), "%ld", w.duration);
	if (w.has_concern)
		ltime_format_utc(w.concern, concern, sizeof(concern));
	if (w.has_starts)
		ltime_format_utc(w.starts, starts, sizeof(starts));
	if (w.has_ends)
		ltime_format_utc(w.ends, ends, sizeof(ends));
	p[0] = sid;
	p[1] = reason;
	p[2] = w.has_concern ? concern : NULL;
	p[3] = w.has_starts ? starts : NULL;
	p[4] = w.has_ends ? ends : NULL;
	p[5] = w.has_duration ? dur : NULL;
	p[6] = format;
	p[7] = location;
	/* The meeting keeps its length when only the start moves. */
	if (db_cmd(db, "UPDATE discussions SET "
	    "reason = coalesce($2, reason), "
	    "concern_received_at = coalesce($3::timestamptz, concern_received_at), "
	    "ends_at = coalesce($5::timestamptz, coalesce($4::timestamptz, "
	    " starts_at) + coalesce(make_interval(mins => $6::int), "
	    " ends_at - starts_at)), "
	    "starts_at = coalesce($4::timestamptz, starts_at), "
	    "format = coalesce($7, format), location = coalesce($8, location) "
	    "WHERE id = $1", 8, p) != 0)
		goto db_error;
	p[1] = chair;
	if (db_cmd(db, "UPDATE discussions SET chair = coalesce($2, chair) "
	    "WHERE id = $1", 2, p) != 0)
		goto db_error;
	/* The booking rules hold for the row the change leaves, not only
	 * for the fields it names. */
	snprintf(dur, sizeof(dur), "%d", MEETING_MAX_DURATION);
	snprintf(skew, sizeof(skew), "%d", MEETING_CLOCK_SKEW);
	p[1] = dur;
	p[2] = skew;
	if (db_exec(db, &r, "SELECT starts_at < concern_received_at, "
	    "ends_at - starts_at > make_interval(mins => $2::int), "
	    "kind = 'discussion' AND starts_at > now() + make_interval(secs => "
	    "$3::int) FROM discussions WHERE id = $1", 3, p) != 0)
		return internal(e);
	early = db_res_bool(&r, 0, 0);
	too_long = db_res_bool(&r, 0, 1);
	future = db_res_bool(&r, 0, 2);
	db_res_free(&r);
	if (future)
		return verr_set(e, 422, "starts_at", "starts_at: a discussion "
		    "that already happened cannot be in the future");
	if (early)
		return w.has_starts ? verr_set(e, 422, "starts_at", "starts_at: "
		    "must not be before concern_received_at") :
		    verr_set(e, 422, "concern_received_at", "concern_received_at: "
		    "must not be after starts_at");
	if (too_long)
		return verr_set(e, 422, "ends_at", "ends_at: a discussion lasts "
		    "at most %d hours", MEETING_MAX_DURATION / 60);
	return 0;
db_error:
	/* Only a new end alone can fall before the start (read_when checks
	 * the two together; a moved start keeps the length). */
	if (strcmp(db_last_sqlstate(), "23514") == 0)
		return verr_set(e, 422, "ends_at", "ends_at: must be after "
		    "starts_at");
	return internal(e);
}

int
meeting_update(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	long removed[MEETING_MAX_PARTICIPANTS], authority;
	char status[16], sid[ID_LEN];
	const char *missing;
	json_t *before = NULL, *m = NULL, *a = NULL, *b = NULL;
	size_t nremoved = 0;
	int result = -1, only_children;

	*out = NULL;
	if (input_known_keys(body, update_keys, "", e) != 0 ||
	    input_str(body, "missing_agency_reason", "missing_agency_reason",
	    INPUT_MULTILINE, MEETING_TEXT_MAX, &missing, e) != 0)
		return -1;
	if (json_object_size(body) == 0)
		return verr_set(e, 422, "body", "body: nothing to change");
	/* A child's facts may be put right whatever became of the meeting;
	 * they are not in the invite, so nothing is sent or reclassified. */
	only_children = json_object_size(body) == 1 &&
	    json_object_get(body, "children") != NULL;
	if (db_begin(db) != 0)
		return internal(e);
	if (visible(db, u, id, 1, status, &authority, e) != 0)
		goto out;
	if (strcmp(status, "scheduled") != 0 && !only_children) {
		verr_set(e, 409, "status", "status: a %s meeting cannot be "
		    "changed", status);
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	if ((before = load_json(db, id)) == NULL)
		goto fail;
	/* The time check (starts before ends) must see the start it keeps,
	 * so the fields go in before participants are touched. */
	if (update_fields(db, id, body, e) != 0 ||
	    remove_participants(db, id, json_object_get(body,
	    "remove_participants"), removed, &nremoved, e) != 0 ||
	    add_participants(db, id, json_object_get(body, "add_participants"),
	    "add_participants", 0, u->id, e) != 0 ||
	    update_children(db, authority, id, json_object_get(body,
	    "children"), e) != 0 ||
	    (!only_children && (store_planned(db, id, authority, missing,
	    e) != 0 || (approval_refresh(db, id) != 0 && internal(e)))) ||
	    keep_record(db, u, id, before, body, CAUSE_CHILDREN, e) != 0)
		goto out;
	/* SEQUENCE and answers: invite_revise decides (issue 15). */
	if ((!only_children && invite_revise(db, id, NULL) != 0) ||
	    (m = load_json(db, id)) == NULL ||
	    (b = audit_snapshot(before)) == NULL ||
	    (a = audit_snapshot(m)) == NULL ||
	    audit_record(db, u, "meeting.update", "discussion", id, b, a) ||
	    (!only_children && invite_queue(db, id, INVITE_UPDATE, NULL) != 0))
		goto fail;
	for (size_t i = 0; i < nremoved; i++)
		if (invite_queue(db, id, INVITE_REMOVED, &removed[i]) != 0)
			goto fail;
	if (db_commit(db) != 0)
		goto fail;
	*out = m;
	m = NULL;
	result = 0;
	goto out;
fail:
	internal(e);
out:
	db_rollback(db);
	json_decref(before);
	json_decref(m);
	json_decref(a);
	json_decref(b);
	return result;
}

int
meeting_cancel(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	static const char *const keys[] = { "reason", NULL };
	char status[16], sid[ID_LEN];
	const char *reason, *p[2] = { sid, NULL };
	json_t *before = NULL, *m = NULL, *a = NULL, *b = NULL;
	long authority;
	int result = -1;

	*out = NULL;
	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_str(body, "reason", "reason", INPUT_REQUIRED |
	    INPUT_MULTILINE, MEETING_TEXT_MAX, &reason, e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if (visible(db, u, id, 1, status, &authority, e) != 0)
		goto out;
	if (strcmp(status, "scheduled") != 0) {
		verr_set(e, 409, "status", "status: a %s meeting cannot be "
		    "cancelled", status);
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	p[1] = reason;
	if ((before = load_json(db, id)) == NULL ||
	    db_cmd(db, "UPDATE discussions SET status = 'cancelled', "
	    "cancel_reason = $2, sequence = sequence + 1, updated_at = now() "
	    "WHERE id = $1", 2, p) != 0 ||
	    (m = load_json(db, id)) == NULL ||
	    (b = audit_snapshot(before)) == NULL ||
	    (a = audit_snapshot(m)) == NULL ||
	    audit_record(db, u, "meeting.cancel", "discussion", id, b, a) ||
	    invite_queue(db, id, INVITE_CANCEL, NULL) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	*out = m;
	m = NULL;
	result = 0;
	goto out;
fail:
	internal(e);
out:
	db_rollback(db);
	json_decref(before);
	json_decref(m);
	json_decref(a);
	json_decref(b);
	return result;
}

/* ---- attendance ---------------------------------------------------------- */

int
meeting_check_started(struct db *db, long id, struct verr *e)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	int future;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT starts_at > now(), to_char(starts_at AT "
	    "TIME ZONE 'Europe/London', 'FMDD Mon YYYY HH24:MI') FROM "
	    "discussions WHERE id = $1", 1, p) != 0)
		return internal(e);
	future = db_res_bool(&r, 0, 0);
	if (future)
		verr_set(e, 409, "starts_at", "starts_at: the meeting starts at "
		    "%s; attendance and the record can be written once it has "
		    "started", db_res_get(&r, 0, 1));
	db_res_free(&r);
	return future ? -1 : 0;
}

static int
set_attendance(struct db *db, long id, json_t *list, struct verr *e)
{
	char sid[ID_LEN], pid[ID_LEN], f[64];
	const char *att, *p[3] = { sid, pid, NULL };
	struct db_res r;
	json_t *jp, *jid;
	size_t i;
	int ok;

	if (list == NULL || !json_is_array(list) ||
	    json_array_size(list) > MEETING_MAX_PARTICIPANTS * 2)
		return verr_set(e, 422, "participants", "participants: must be a "
		    "list giving each participant's attendance");
	snprintf(sid, sizeof(sid), "%ld", id);
	json_array_foreach(list, i, jp) {
		snprintf(f, sizeof(f), "participants[%zu]", i);
		jid = json_is_object(jp) ? json_object_get(jp, "id") : NULL;
		if (jid == NULL) {
			if (add_participant(db, id, jp, f, i, "participants",
			    1, e) != 0)
				return -1;
			continue;
		}
		if (json_object_size(jp) != 2 || !json_is_integer(jid))
			return verr_set(e, 422, f, "%s: give id and attendance "
			    "only", f);
		snprintf(f, sizeof(f), "participants[%zu].attendance", i);
		if (input_enum(jp, "attendance", f, INPUT_REQUIRED,
		    vocab_codes(VOCAB_ATTENDANCE), &att, e) != 0)
			return -1;
		snprintf(pid, sizeof(pid), "%lld",
		    (long long)json_integer_value(jid));
		p[2] = att;
		if (db_exec(db, &r, "UPDATE participants SET attendance = $3 "
		    "WHERE discussion_id = $1 AND id = $2 AND removed_at IS NULL "
		    "RETURNING id", 3, p) != 0)
			return internal(e);
		ok = db_res_rows(&r) == 1;
		db_res_free(&r);
		if (!ok)
			return verr_set(e, 422, f, "participants[%zu].id: %s is "
			    "not a participant of this meeting", i, pid);
	}
	if (db_exec(db, &r, "SELECT id, name FROM participants WHERE "
	    "discussion_id = $1 AND removed_at IS NULL AND attendance IS NULL "
	    "ORDER BY id LIMIT 1", 1, p) != 0)
		return internal(e);
	ok = db_res_rows(&r) == 0;
	if (!ok)
		verr_set(e, 422, "participants", "participants: say whether %s "
		    "(participant %s) attended", db_res_get(&r, 0, 1),
		    db_res_get(&r, 0, 0));
	db_res_free(&r);
	return ok ? 0 : -1;
}

static int
set_outcomes(struct db *db, long id, json_t *list, struct verr *e)
{
	static const char *const keys[] = { "child", "child_id", "decision",
		"rationale", NULL };
	char sid[ID_LEN], cid[ID_LEN], f[64];
	const char *child, *decision, *rationale, *p[5];
	struct db_res r;
	json_t *o;
	size_t i;
	long child_id;
	int has_id, ok;

	if (list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) > MEETING_MAX_CHILDREN)
		return verr_set(e, 422, "outcomes", "outcomes: must be a list, "
		    "one per child");
	snprintf(sid, sizeof(sid), "%ld", id);
	json_array_foreach(list, i, o) {
		snprintf(f, sizeof(f), "outcomes[%zu].", i);
		if (!json_is_object(o))
			return verr_set(e, 422, "outcomes", "outcomes[%zu]: must "
			    "be an object", i);
		if (input_known_keys(o, keys, f, e) != 0)
			return -1;
#define F(k) (snprintf(f, sizeof(f), "outcomes[%zu].%s", i, k), f)
		if (input_int(o, "child_id", F("child_id"), INPUT_OPTIONAL, 1,
		    MODEL_ID_MAX, &child_id, &has_id, e) != 0 ||
		    input_str(o, "child", F("child"), has_id ? INPUT_OPTIONAL :
		    INPUT_REQUIRED, MEETING_NAME_MAX, &child, e) != 0 ||
		    input_enum(o, "decision", F("decision"), INPUT_REQUIRED,
		    vocab_codes(VOCAB_DECISION), &decision, e) != 0 ||
		    input_str(o, "rationale", F("rationale"), INPUT_MULTILINE,
		    MEETING_LONG_TEXT_MAX, &rationale, e) != 0)
			return -1;
		snprintf(cid, sizeof(cid), "%ld", has_id ? child_id : 0);
		p[0] = sid;
		p[1] = has_id ? cid : NULL;
		p[2] = has_id ? NULL : child;
		p[3] = decision;
		p[4] = rationale ? rationale : "";
		if (db_exec(db, &r, "INSERT INTO outcomes (discussion_id, "
		    "child_id, decision, rationale) SELECT d.id, ch.id, $4, $5 "
		    "FROM discussions d JOIN children ch ON ch.case_id = d.case_id "
		    "WHERE d.id = $1 AND (ch.id = $2::bigint OR lower(ch.name) = "
		    "lower($3)) LIMIT 1 ON CONFLICT (discussion_id, child_id) DO "
		    "UPDATE SET decision = EXCLUDED.decision, rationale = "
		    "EXCLUDED.rationale RETURNING id", 5, p) != 0)
			return internal(e);
		ok = db_res_rows(&r) == 1;
		db_res_free(&r);
		if (!ok)
			return verr_set(e, 422, F(has_id ? "child_id" : "child"),
			    "%s: is not a child on this case", f);
#undef F
	}
	return 0;
}

/* One action of the attendance body, checked; strings point into o. */
struct action_in {
	long		 id;		/* 0: a new one */
	const char	*what;
	const char	*owner;
	char		 due[11];
	long		 child_id;	/* 0: every child */
	long		 participant;	/* 0: none */
	const char	*agency;
	const char	*status;
	const char	*reason;
};

static int
read_action(json_t *o, size_t i, struct action_in *a, struct verr *e)
{
	static const char *const keys[] = { "id", "what", "owner", "due",
		"child_id", "owner_participant_id", "owner_agency", "status",
		"not_done_reason", NULL };
	char f[64];

	memset(a, 0, sizeof(*a));
	snprintf(f, sizeof(f), "actions[%zu].", i);
	if (!json_is_object(o))
		return verr_set(e, 422, "actions", "actions[%zu]: must be an "
		    "object", i);
	if (input_known_keys(o, keys, f, e) != 0)
		return -1;
#define F(k) (snprintf(f, sizeof(f), "actions[%zu].%s", i, k), f)
	if (input_int(o, "id", F("id"), INPUT_OPTIONAL, 1, MODEL_ID_MAX,
	    &a->id, NULL, e) != 0 ||
	    input_str(o, "what", F("what"), INPUT_REQUIRED | INPUT_MULTILINE,
	    MEETING_TEXT_MAX, &a->what, e) != 0 ||
	    input_str(o, "owner", F("owner"), INPUT_REQUIRED, MEETING_NAME_MAX,
	    &a->owner, e) != 0 ||
	    input_date(o, "due", F("due"), INPUT_OPTIONAL, a->due, NULL,
	    e) != 0 ||
	    input_int(o, "child_id", F("child_id"), INPUT_OPTIONAL, 1,
	    MODEL_ID_MAX, &a->child_id, NULL, e) != 0 ||
	    input_int(o, "owner_participant_id", F("owner_participant_id"),
	    INPUT_OPTIONAL, 1, MODEL_ID_MAX, &a->participant, NULL, e) != 0 ||
	    input_str(o, "owner_agency", F("owner_agency"), 0, 32, &a->agency,
	    e) != 0 ||
	    input_enum(o, "status", F("status"), INPUT_OPTIONAL,
	    vocab_codes(VOCAB_ACTION_STATUS), &a->status, e) != 0 ||
	    input_str(o, "not_done_reason", F("not_done_reason"),
	    INPUT_MULTILINE, MEETING_TEXT_MAX, &a->reason, e) != 0)
		return -1;
	/* No status: an existing action keeps its own, a new one is open. */
	if (a->status != NULL && strcmp(a->status, "not_done") == 0 &&
	    a->reason == NULL)
		return verr_set(e, 422, F("not_done_reason"), "%s: say why the "
		    "action was not done", f);
	if (a->status == NULL || strcmp(a->status, "not_done") != 0)
		a->reason = NULL;
#undef F
	return 0;
}

/* Write one action: update the row it names (of this discussion), or add
 * it. The child and the owner must be the discussion's. */
static int
write_action(struct db *db, long id, size_t i, const struct action_in *a,
    long uid, struct verr *e)
{
	char sid[ID_LEN], aid[ID_LEN], cid[ID_LEN], pid[ID_LEN], by[ID_LEN];
	char f[64];
	const char *p[11] = { sid, aid, a->what, a->owner, a->due[0] ? a->due :
		NULL, a->child_id ? cid : NULL, a->participant ? pid : NULL,
		a->agency, a->status, a->reason, by };
	struct db_res r;
	int n;

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(aid, sizeof(aid), "%ld", a->id);
	snprintf(cid, sizeof(cid), "%ld", a->child_id);
	snprintf(pid, sizeof(pid), "%ld", a->participant);
	snprintf(by, sizeof(by), "%ld", uid);
	/* The checks ride in the statement: no row means one failed. */
	if (db_exec(db, &r, "WITH ok AS (SELECT 1 FROM discussions d WHERE "
	    "d.id = $1 AND ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM "
	    "children c WHERE c.id = $6 AND c.case_id = d.case_id)) AND "
	    "($7::bigint IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE "
	    "p.id = $7 AND p.discussion_id = d.id)) AND ($8::text IS NULL OR "
	    "EXISTS (SELECT 1 FROM agencies g WHERE g.code = $8))), u AS "
	    "(UPDATE actions SET "
	    "what = $3, owner = $4, due_date = $5::date, child_id = $6, "
	    "owner_participant_id = $7, owner_agency = $8, status_by = CASE "
	    "WHEN status <> $9 THEN nullif($11, '0')::bigint ELSE status_by "
	    "END, status_at = CASE WHEN status <> $9 THEN now() ELSE status_at "
	    "END, status = coalesce($9, status), not_done_reason = CASE WHEN "
	    "$9 IS NULL THEN not_done_reason ELSE $10 END WHERE $2::bigint > 0 "
	    "AND "
	    "id = $2 AND discussion_id = $1 AND EXISTS (SELECT 1 FROM ok) "
	    "RETURNING id), i AS (INSERT INTO actions (discussion_id, what, "
	    "owner, due_date, child_id, owner_participant_id, owner_agency, "
	    "status, not_done_reason) SELECT $1, $3, $4, $5::date, $6, $7, $8, "
	    "coalesce($9, 'open'), $10 WHERE $2::bigint = 0 AND EXISTS (SELECT "
	    "1 FROM ok) "
	    "RETURNING id) SELECT id FROM u UNION ALL SELECT id FROM i", 11,
	    p) != 0)
		return internal(e);
	n = db_res_rows(&r);
	db_res_free(&r);
	if (n == 1)
		return 0;
	snprintf(f, sizeof(f), "actions[%zu]", i);
	return verr_set(e, 422, f, "%s: its id, child_id or "
	    "owner_participant_id is not one of this discussion's, or "
	    "owner_agency is not an agency", f);
}

/*
 * The attendance body's actions: rows named by id are changed, new ones
 * added, and those left out removed; an action keeps its id and status.
 */
static int
set_actions(struct db *db, long id, long uid, json_t *list, struct verr *e)
{
	struct action_in a;
	char sid[ID_LEN], keep[MEETING_MAX_ACTIONS * 22 + 3];
	const char *p[2] = { sid, keep };
	json_t *o;
	size_t i, len = 0;

	if (list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) > MEETING_MAX_ACTIONS)
		return verr_set(e, 422, "actions", "actions: must be a list of at "
		    "most %d actions", MEETING_MAX_ACTIONS);
	keep[len++] = '{';
	json_array_foreach(list, i, o) {
		if (read_action(o, i, &a, e) != 0)
			return -1;
		if (a.id != 0)
			len += (size_t)snprintf(keep + len, sizeof(keep) - len,
			    "%s%ld", len > 1 ? "," : "", a.id);
	}
	keep[len++] = '}';
	keep[len] = '\0';
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_cmd(db, "DELETE FROM actions WHERE discussion_id = $1 AND "
	    "NOT (id = ANY ($2::bigint[]))", 2, p) != 0)
		return internal(e);
	json_array_foreach(list, i, o) {
		if (read_action(o, i, &a, e) != 0 ||
		    write_action(db, id, i, &a, uid, e) != 0)
			return -1;
	}
	return 0;
}

static int
store_actual(struct db *db, long id, long authority, const char *absence,
    struct verr *e)
{
	struct classify_result res;
	struct statutory st;
	char sid[ID_LEN], miss[256], contrib[256], human[256];
	const char *p[5] = { sid, NULL, miss, contrib, absence };

	if (classify_meeting(db, id, authority, 1, &res, &st) != 0)
		return internal(e);
	if (res.nmissing > 0 && (absence == NULL || absence[0] == '\0')) {
		agency_list(res.missing, res.nmissing, human, sizeof(human));
		return verr_set(e, 422, "absence_reason", "absence_reason: %s "
		    "did not attend; record why", human);
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	p[1] = classify_name(res.cls);
	array_literal(res.missing, res.nmissing, miss, sizeof(miss));
	array_literal(res.contributed, res.ncontributed, contrib,
	    sizeof(contrib));
	if (db_cmd(db, "UPDATE discussions SET status = 'held', "
	    "actual_classification = $2, actual_missing = $3::text[], "
	    "actual_contributed = $4::text[], absence_reason = $5, "
	    "held_recorded_at = now(), updated_at = now() WHERE id = $1",
	    5, p) != 0)
		return internal(e);
	return 0;
}

static const char *const attendance_keys[] = { "participants", "outcomes",
	"child_views_recorded", "child_views", "actions", "next_review_date",
	"absence_reason", NULL };

static int
read_views(json_t *body, char *review, const char **absence, int *views,
    const char **text, struct verr *e)
{
	if (input_bool(body, "child_views_recorded", "child_views_recorded",
	    INPUT_REQUIRED, views, NULL, e) != 0 ||
	    input_str(body, "child_views", "child_views", INPUT_MULTILINE,
	    MEETING_LONG_TEXT_MAX, text, e) != 0 ||
	    input_date(body, "next_review_date", "next_review_date",
	    INPUT_OPTIONAL, review, NULL, e) != 0 ||
	    input_str(body, "absence_reason", "absence_reason",
	    INPUT_MULTILINE, MEETING_TEXT_MAX, absence, e) != 0)
		return -1;
	if (*views && (*text == NULL || (*text)[0] == '\0'))
		return verr_set(e, 422, "child_views", "child_views: summarise "
		    "the child's views, or set child_views_recorded to false");
	return 0;
}

int
meeting_record_attendance(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	char status[16], sid[ID_LEN], review[11];
	const char *absence, *views_text, *p[4];
	json_t *before = NULL, *m = NULL, *a = NULL, *b = NULL;
	long authority;
	int views, result = -1;

	*out = NULL;
	if (input_known_keys(body, attendance_keys, "", e) != 0 ||
	    read_views(body, review, &absence, &views, &views_text, e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if (visible(db, u, id, 1, status, &authority, e) != 0)
		goto out;
	if (strcmp(status, "cancelled") == 0) {
		verr_set(e, 409, "status", "status: a cancelled meeting has no "
		    "attendance");
		goto out;
	}
	if (meeting_check_started(db, id, e) != 0 ||
	    approval_check(db, id, e) != 0)
		goto out;
	snprintf(sid, sizeof(sid), "%ld", id);
	p[0] = sid;
	p[1] = views ? "t" : "f";
	p[2] = views_text;
	p[3] = review[0] ? review : NULL;
	if ((before = load_json(db, id)) == NULL)
		goto fail;
	if (set_attendance(db, id, json_object_get(body, "participants"),
	    e) != 0 ||
	    set_outcomes(db, id, json_object_get(body, "outcomes"), e) != 0 ||
	    set_actions(db, id, u != NULL ? u->id : 0, json_object_get(body,
	    "actions"), e) != 0)
		goto out;
	if (db_cmd(db, "UPDATE discussions SET child_views_recorded = $2, "
	    "child_views = $3, next_review_date = $4::date WHERE id = $1", 4,
	    p) != 0)
		goto fail;
	if (store_actual(db, id, authority, absence, e) != 0 ||
	    keep_record(db, u, id, before, body, CAUSE_ATTENDANCE, e) != 0)
		goto out;
	if ((m = load_json(db, id)) == NULL ||
	    (b = audit_snapshot(before)) == NULL ||
	    (a = audit_snapshot(m)) == NULL ||
	    audit_record(db, u, "meeting.attendance", "discussion", id, b, a) ||
	    db_commit(db) != 0)
		goto fail;
	*out = m;
	m = NULL;
	result = 0;
	goto out;
fail:
	internal(e);
out:
	db_rollback(db);
	json_decref(before);
	json_decref(m);
	json_decref(a);
	json_decref(b);
	return result;
}

int
meeting_replan(struct db *db, long id, long authority, struct verr *e)
{
	if (store_planned(db, id, authority, NULL, e) != 0)
		return -1;
	if (approval_refresh(db, id) != 0)
		return internal(e);
	return 0;
}
