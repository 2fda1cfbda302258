/*
 * review: a manager's oversight of strategy discussions (reviewing flagged
 * ones, signing off records) and the initial child protection conference
 * recorded on a case. Each write validates the whole request, then locks the
 * row it changes, checks the state, writes, audits and commits in one
 * transaction; anything else rolls back. Something the caller may not see is
 * "not found", so its existence is not revealed.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "authorise.h"
#include "enquiry.h"
#include "auth.h"
#include "model.h"
#include "db.h"
#include "input.h"
#include "meeting.h"
#include "review.h"
#include "str.h"
#include "workdays.h"

#define ID_LEN	24

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

static json_t *
load_value(struct db *db, const char *sql, int n, const char *const *p)
{
	struct db_res r;
	const char *v;
	json_t *o = NULL;

	if (db_exec(db, &r, sql, n, p) != 0)
		return NULL;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return o;
}

/* ---- discussions -------------------------------------------------------- */

struct found {
	char	status[16];
	char	cls[16];
	int	reviewed;
	int	signed_off;
};

/* Find discussion id as u may see it, locked when lock is set. */
static int
find(struct db *db, const struct auth_user *u, long id, int lock,
    struct found *f, struct verr *e)
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
	    "SELECT d.status, coalesce(d.actual_classification, ''), EXISTS "
	    "(SELECT 1 FROM discussion_reviews WHERE discussion_id = d.id), "
	    "EXISTS (SELECT 1 FROM discussion_signoffs WHERE discussion_id = "
	    "d.id) FROM discussions d WHERE d.id = $1 AND d.authority_id = $2 "
	    "AND ($3::bigint IS NULL OR " MEETING_TEAM_SEES("d", "$3") ") "
	    "FOR UPDATE OF d" :
	    "SELECT d.status, coalesce(d.actual_classification, ''), EXISTS "
	    "(SELECT 1 FROM discussion_reviews WHERE discussion_id = d.id), "
	    "EXISTS (SELECT 1 FROM discussion_signoffs WHERE discussion_id = "
	    "d.id) FROM discussions d WHERE d.id = $1 AND d.authority_id = $2 "
	    "AND ($3::bigint IS NULL OR " MEETING_TEAM_SEES("d", "$3") ")", 3,
	    p) != 0)
		return internal(e);
	if (db_res_rows(&r) == 0) {
		verr_set(e, 404, NULL, "there is no strategy discussion %ld that "
		    "you can see", id);
		goto out;
	}
	str_copy(f->status, db_res_get(&r, 0, 0), sizeof(f->status));
	str_copy(f->cls, db_res_get(&r, 0, 1), sizeof(f->cls));
	f->reviewed = db_res_bool(&r, 0, 2);
	f->signed_off = db_res_bool(&r, 0, 3);
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

static int
flagged(const struct found *f)
{
	return strcmp(f->status, "held") == 0 &&
	    (strcmp(f->cls, "single_agency") == 0 ||
	    strcmp(f->cls, "partial") == 0);
}

#define STATE_SQL \
	"SELECT json_build_object('discussion_id', d.id, 'status', d.status," \
	" 'classification', d.actual_classification," \
	" 'flagged', d.status = 'held' AND coalesce(d.actual_classification," \
	"  '') IN ('single_agency', 'partial')," \
	" 'review', (SELECT json_build_object('decision', r.decision," \
	"  'note', r.note, 'reviewed_by', coalesce(nullif(u.display_name," \
	"  ''), u.username), 'reviewed_at', r.reviewed_at)" \
	"  FROM discussion_reviews r JOIN users u ON u.id = r.reviewed_by" \
	"  WHERE r.discussion_id = d.id)," \
	" 'sign_off', (SELECT json_build_object('signed_off_by'," \
	"  coalesce(nullif(u.display_name, ''), u.username), 'signed_off_at'," \
	"  s.signed_off_at, 'note', s.note) FROM discussion_signoffs s" \
	"  JOIN users u ON u.id = s.signed_off_by" \
	"  WHERE s.discussion_id = d.id))" \
	" FROM discussions d WHERE d.id = $1"

static json_t *
state(struct db *db, long id)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%ld", id);
	return load_value(db, STATE_SQL, 1, p);
}

int
review_get(struct db *db, const struct auth_user *u, long id, json_t **out,
    struct verr *e)
{
	struct found f;

	*out = NULL;
	if (find(db, u, id, 0, &f, e) != 0)
		return -1;
	if ((*out = state(db, id)) == NULL)
		return internal(e);
	return 0;
}

static int
manager_only(const struct auth_user *u, struct verr *e)
{
	if (u->role != ROLE_MANAGER)
		return verr_set(e, 403, NULL, "only a manager may do this");
	return 0;
}

/* Audit snapshot: one part of the state (review or sign-off). */
static json_t *
part(json_t *st, const char *key)
{
	json_t *v = json_object_get(st, key), *a;
	json_t *note;

	if (!json_is_object(v))
		return json_pack("{s:n}", key);
	/* The audit log keeps no free text (a note may name a child): it
	 * records that a note was written, the note stays in its table. */
	if ((a = json_deep_copy(v)) == NULL)
		return NULL;
	note = json_object_get(a, "note");
	json_object_set_new(a, "note_written", json_boolean(
	    json_string_length(note) > 0));
	json_object_del(a, "note");
	return json_pack("{s:o}", key, a);
}

int
review_flag(struct db *db, const struct auth_user *u, long id, json_t *body,
    json_t **out, struct verr *e)
{
	static const char *const keys[] = { "decision", "note", NULL };
	static const char *const decisions[] = { "agree", "practice_concern",
		NULL };
	const char *decision, *note, *p[4];
	char sid[ID_LEN], uid[ID_LEN];
	json_t *before = NULL, *after = NULL, *b = NULL, *a = NULL;
	struct found f;
	int rc = -1;

	*out = NULL;
	if (manager_only(u, e) != 0 ||
	    input_known_keys(body, keys, "", e) != 0 ||
	    input_enum(body, "decision", "decision", INPUT_REQUIRED, decisions,
	    &decision, e) != 0 ||
	    input_str(body, "note", "note", INPUT_MULTILINE, REVIEW_NOTE_MAX,
	    &note, e) != 0)
		return -1;
	if (strcmp(decision, "practice_concern") == 0 &&
	    (note == NULL || note[0] == '\0'))
		return verr_set(e, 422, "note", "note: say what the practice "
		    "concern is");
	if (db_begin(db) != 0)
		return internal(e);
	if (find(db, u, id, 1, &f, e) != 0)
		goto out;
	if (!flagged(&f)) {
		verr_set(e, 409, "status", "status: only a held single-agency or "
		    "partial discussion is reviewed");
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	p[0] = sid;
	p[1] = decision;
	p[2] = note != NULL ? note : "";
	p[3] = uid;
	if ((before = state(db, id)) == NULL ||
	    db_cmd(db, "INSERT INTO discussion_reviews (discussion_id, "
	    "decision, note, reviewed_by) VALUES ($1, $2, $3, $4) ON CONFLICT "
	    "(discussion_id) DO UPDATE SET decision = EXCLUDED.decision, note "
	    "= EXCLUDED.note, reviewed_by = EXCLUDED.reviewed_by, reviewed_at "
	    "= now()", 4, p) != 0 ||
	    (after = state(db, id)) == NULL ||
	    (b = part(before, "review")) == NULL ||
	    (a = part(after, "review")) == NULL ||
	    audit_record(db, u, "discussion.review", "discussion", id, b,
	    a) != 0 || db_commit(db) != 0) {
		internal(e);
		goto out;
	}
	*out = after;
	after = NULL;
	rc = 0;
out:
	db_rollback(db);
	json_decref(before);
	json_decref(after);
	json_decref(b);
	json_decref(a);
	return rc;
}

static int
has_record(struct db *db, long id)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	int n;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT 1 FROM records WHERE discussion_id = $1",
	    1, p) != 0)
		return 0;
	n = db_res_rows(&r);
	db_res_free(&r);
	return n > 0;
}

/*
 * The older sign-off of a discussion that has a record is its
 * authorisation (docs/api.md "Authorisation"), from a draft too, with the
 * note as the oversight; it answers as before, with the review state.
 */
static int
sign_off_record(struct db *db, const struct auth_user *u, long id,
    const char *note, json_t **out, struct verr *e)
{
	json_t *body, *v = NULL;
	struct found f;
	int rc;

	if (note == NULL || note[0] == '\0')
		return verr_set(e, 422, "note", "note: say what you checked; "
		    "authorising a record needs your oversight");
	if ((body = json_pack("{s:s}", "oversight", note)) == NULL)
		return internal(e);
	rc = authorise_record(db, u, id, body, 1, &v, e);
	json_decref(body);
	json_decref(v);
	if (rc != 0)
		return -1;
	if (find(db, u, id, 0, &f, e) != 0)
		return -1;
	if ((*out = state(db, id)) == NULL)
		return internal(e);
	return 0;
}

int
review_sign_off(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	static const char *const keys[] = { "note", NULL };
	const char *note, *p[3];
	char sid[ID_LEN], uid[ID_LEN];
	json_t *after = NULL, *a = NULL;
	struct found f;
	int rc = -1;

	*out = NULL;
	if (manager_only(u, e) != 0 ||
	    input_known_keys(body, keys, "", e) != 0 ||
	    input_str(body, "note", "note", INPUT_MULTILINE, REVIEW_NOTE_MAX,
	    &note, e) != 0)
		return -1;
	if (has_record(db, id))
		return sign_off_record(db, u, id, note, out, e);
	if (db_begin(db) != 0)
		return internal(e);
	if (find(db, u, id, 1, &f, e) != 0)
		goto out;
	if (strcmp(f.status, "held") != 0) {
		verr_set(e, 409, "status", "status: only the record of a held "
		    "discussion is signed off");
		goto out;
	}
	if (f.signed_off) {
		verr_set(e, 409, "sign_off", "sign_off: this record is already "
		    "signed off");
		goto out;
	}
	if (flagged(&f) && !f.reviewed) {
		verr_set(e, 409, "review", "review: review why this discussion "
		    "was not multi-agency before signing it off");
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	p[0] = sid;
	p[1] = uid;
	p[2] = note != NULL ? note : "";
	if (db_cmd(db, "INSERT INTO discussion_signoffs (discussion_id, "
	    "signed_off_by, note) VALUES ($1, $2, $3)", 3, p) != 0 ||
	    enquiry_sync(db, id) != 0 ||
	    (after = state(db, id)) == NULL ||
	    (a = part(after, "sign_off")) == NULL ||
	    audit_record(db, u, "discussion.sign_off", "discussion", id, NULL,
	    a) != 0 || db_commit(db) != 0) {
		internal(e);
		goto out;
	}
	*out = after;
	after = NULL;
	rc = 0;
out:
	db_rollback(db);
	json_decref(after);
	json_decref(a);
	return rc;
}

/* ---- the initial child protection conference ----------------------------- */

struct kase {
	long	id;
	char	date[WORKDAYS_DATE_MAX];	/* "" when none */
	int	not_required;
	char	today[WORKDAYS_DATE_MAX];
	long	s47_id;				/* 0 when none */
	char	s47_date[WORKDAYS_DATE_MAX];
};

static int
valid_ref(const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n < 1 || n > MODEL_CASE_REF_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '/' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

static int
find_case(struct db *db, const struct auth_user *u, const char *ref, int lock,
    struct kase *k, struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN], cid[ID_LEN];
	const char *p[3] = { aid, ref, NULL };
	struct db_res r;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if (!valid_ref(ref))
		return verr_set(e, 404, "case_ref", "there is no case with that "
		    "reference that you can see");
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	if (u->role == ROLE_SOCIAL_WORKER)
		p[2] = tid;
	if (db_exec(db, &r, lock ?
	    "SELECT c.id, to_char(c.icpc_date, 'YYYY-MM-DD'), "
	    "c.icpc_not_required, to_char((now() AT TIME ZONE "
	    "'Europe/London')::date, 'YYYY-MM-DD') FROM cases c WHERE "
	    "c.authority_id = $1 AND c.case_ref = $2 AND ($3::bigint IS NULL "
	    "OR c.team_id = $3) FOR UPDATE" :
	    "SELECT c.id, to_char(c.icpc_date, 'YYYY-MM-DD'), "
	    "c.icpc_not_required, to_char((now() AT TIME ZONE "
	    "'Europe/London')::date, 'YYYY-MM-DD') FROM cases c WHERE "
	    "c.authority_id = $1 AND c.case_ref = $2 AND ($3::bigint IS NULL "
	    "OR c.team_id = $3)", 3, p) != 0)
		return internal(e);
	if (db_res_rows(&r) == 0) {
		verr_set(e, 404, "case_ref", "there is no case with that "
		    "reference that you can see");
		goto out;
	}
	k->id = db_res_long(&r, 0, 0, 0);
	str_copy(k->date, db_res_get(&r, 0, 1) ? db_res_get(&r, 0, 1) : "",
	    sizeof(k->date));
	k->not_required = db_res_bool(&r, 0, 2);
	str_copy(k->today, db_res_get(&r, 0, 3), sizeof(k->today));
	db_res_free(&r);
	/* The strategy discussion that started the Section 47 enquiry: the
	 * case's first held one with a Section 47 outcome. */
	snprintf(cid, sizeof(cid), "%ld", k->id);
	p[0] = cid;
	if (db_exec(db, &r, "SELECT d.id, to_char((d.starts_at AT TIME ZONE "
	    "'Europe/London')::date, 'YYYY-MM-DD') FROM discussions d WHERE "
	    "d.case_id = $1 AND d.status = 'held' AND EXISTS (SELECT 1 FROM "
	    "outcomes o WHERE o.discussion_id = d.id AND o.decision IN "
	    "(SELECT v.code FROM vocabulary v WHERE v.list = 'section47')) "
	    "ORDER BY d.starts_at, d.id "
	    "LIMIT 1", 1, p) != 0)
		return internal(e);
	if (db_res_rows(&r) > 0) {
		k->s47_id = db_res_long(&r, 0, 0, 0);
		str_copy(k->s47_date, db_res_get(&r, 0, 1), sizeof(k->s47_date));
	}
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

static json_t *
conference_json(struct db *db, const char *ref, const struct kase *k)
{
	struct workdays w;
	char due[WORKDAYS_DATE_MAX];
	long sd, icpc, n;
	json_t *s47 = json_null();

	if (k->s47_id != 0) {
		if (workdays_load(&w, db) != 0 ||
		    workdays_parse_date(k->s47_date, &sd) != 0)
			return NULL;
		workdays_format(workdays_icpc_due(&w, sd), due, sizeof(due));
		s47 = json_pack("{s:I, s:s, s:s, s:n, s:n}",
		    "discussion_id", (json_int_t)k->s47_id,
		    "date", k->s47_date, "due", due,
		    "working_days", "within_target");
		if (s47 != NULL && k->date[0] != '\0' &&
		    workdays_parse_date(k->date, &icpc) == 0 && icpc >= sd) {
			n = workdays_between(&w, sd, icpc);
			json_object_set_new(s47, "working_days",
			    json_integer(n));
			json_object_set_new(s47, "within_target",
			    json_boolean(n <= WORKDAYS_ICPC_TARGET));
		}
	}
	return json_pack("{s:s, s:{s:o, s:b}, s:o*}",
	    "case_ref", ref,
	    "conference",
	    "date", k->date[0] ? json_string(k->date) : json_null(),
	    "not_required", k->not_required,
	    "section47", s47);
}

int
review_conference_get(struct db *db, const struct auth_user *u,
    const char *case_ref, json_t **out, struct verr *e)
{
	struct kase k;

	*out = NULL;
	if (find_case(db, u, case_ref, 0, &k, e) != 0)
		return -1;
	if ((*out = conference_json(db, case_ref, &k)) == NULL)
		return internal(e);
	return 0;
}

int
review_conference_set(struct db *db, const struct auth_user *u,
    const char *case_ref, json_t *body, json_t **out, struct verr *e)
{
	static const char *const keys[] = { "date", "not_required", NULL };
	char date[WORKDAYS_DATE_MAX], cid[ID_LEN];
	const char *p[3];
	json_t *before = NULL, *after = NULL;
	long day, first, today;
	struct kase k;
	int not_required = 0, rc = -1;

	*out = NULL;
	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_date(body, "date", "date", INPUT_OPTIONAL, date, NULL,
	    e) != 0 ||
	    input_bool(body, "not_required", "not_required", INPUT_OPTIONAL,
	    &not_required, NULL, e) != 0)
		return -1;
	if (date[0] != '\0' && not_required)
		return verr_set(e, 422, "not_required", "not_required: give "
		    "either the conference date or not_required, not both");
	if (db_begin(db) != 0)
		return internal(e);
	if (find_case(db, u, case_ref, 1, &k, e) != 0)
		goto out;
	if (date[0] != '\0') {
		if (workdays_parse_date(date, &day) != 0 ||
		    workdays_parse_date(k.today, &today) != 0) {
			internal(e);
			goto out;
		}
		if (k.s47_id != 0 && workdays_parse_date(k.s47_date,
		    &first) == 0 && day < first) {
			verr_set(e, 422, "date", "date: is before %s, the strategy "
			    "discussion that started the Section 47 enquiry",
			    k.s47_date);
			goto out;
		}
		/* A date still to come would count as held in time before
		 * anyone knows whether it was held. */
		if (day > today) {
			verr_set(e, 422, "date", "date: is in the future; record "
			    "the conference once it has been held");
			goto out;
		}
	}
	before = json_pack("{s:o, s:b}", "date", k.date[0] ?
	    json_string(k.date) : json_null(), "not_required", k.not_required);
	snprintf(cid, sizeof(cid), "%ld", k.id);
	p[0] = cid;
	p[1] = date[0] ? date : NULL;
	p[2] = not_required ? "t" : "f";
	if (before == NULL || db_cmd(db, "UPDATE cases SET icpc_date = "
	    "$2::date, icpc_not_required = $3::boolean WHERE id = $1", 3,
	    p) != 0) {
		internal(e);
		goto out;
	}
	str_copy(k.date, date, sizeof(k.date));
	k.not_required = not_required;
	after = json_pack("{s:o, s:b}", "date", date[0] ? json_string(date) :
	    json_null(), "not_required", not_required);
	if (after == NULL || audit_record(db, u, "case.conference", "case",
	    k.id, before, after) != 0 ||
	    (*out = conference_json(db, case_ref, &k)) == NULL ||
	    db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	rc = 0;
out:
	db_rollback(db);
	json_decref(before);
	json_decref(after);
	return rc;
}
