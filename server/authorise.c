/*
 * authorise: submitting a record and a manager's authorisation of it. Each
 * write validates the whole request, locks the discussion, checks the
 * record's state, writes, audits and commits in one transaction; anything
 * else rolls back. The authorised version is copied whole into
 * record_versions, so that later changes (a new version awaiting
 * authorisation) never alter what the manager authorised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "authorise.h"
#include "db.h"
#include "enquiry.h"
#include "input.h"
#include "meeting.h"
#include "model.h"
#include "partner.h"
#include "record.h"
#include "str.h"
#include "vocab.h"

#define ID_LEN	24

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

int
authorise_reopen(struct db *db, long id, int bump)
{
	char sid[ID_LEN], b[ID_LEN];
	const char *p[2] = { sid, b };

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(b, sizeof(b), "%d", bump);
	/* The sign-off is what the statistics count as authorised: it goes
	 * with the status, in the same statement. */
	return db_cmd(db, "WITH r AS (UPDATE records SET status = "
	    "'awaiting_authorisation', version = version + $2::integer WHERE "
	    "discussion_id = $1 AND status = 'authorised' RETURNING 1) DELETE "
	    "FROM discussion_signoffs WHERE discussion_id = $1 AND EXISTS "
	    "(SELECT 1 FROM r)", 2, p);
}

/* Lock id as u may change it and load it; the record must exist and the
 * discussion be held. */
static int
load_held(struct db *db, const struct auth_user *u, long id,
    struct discussion **d, struct verr *e)
{
	char status[16];
	long authority;

	*d = NULL;
	if (meeting_lock(db, u, id, status, &authority, e) != 0)
		return -1;
	if (strcmp(status, "held") != 0)
		return verr_set(e, 409, "status", "status: only the record of a "
		    "held discussion is authorised");
	if (model_discussion_load(db, id, d) != 0)
		return internal(e);
	if ((*d)->record == NULL)
		return verr_set(e, 409, "record", "record: write the record of "
		    "this discussion first");
	return 0;
}

static json_t *
status_view(const char *status, int version)
{
	return json_pack("{s:s, s:i}", "status", status, "version", version);
}

int
authorise_submit(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	static const char *const keys[] = { NULL };
	struct discussion *d = NULL;
	char sid[ID_LEN], uid[ID_LEN];
	const char *p[2] = { sid, uid };
	json_t *b = NULL, *a = NULL;
	int rc = -1;

	*out = NULL;
	if (input_known_keys(body, keys, "", e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if (load_held(db, u, id, &d, e) != 0)
		goto out;
	if (strcmp(d->record->status, "draft") != 0) {
		verr_set(e, 409, "status", "status: the record is already %s",
		    strcmp(d->record->status, "authorised") == 0 ?
		    "authorised" : "awaiting authorisation");
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	b = status_view("draft", d->record->version);
	a = status_view("awaiting_authorisation", d->record->version);
	if (b == NULL || a == NULL || db_cmd(db, "UPDATE records SET status = "
	    "'awaiting_authorisation', submitted_by = $2, submitted_at = now() "
	    "WHERE discussion_id = $1", 2, p) != 0 ||
	    partner_record_check_queue(db, id) != 0 ||
	    audit_record(db, u, "record.submit", "discussion", id, b, a) != 0 ||
	    db_commit(db) != 0) {
		internal(e);
		goto out;
	}
	rc = authorise_versions(db, u, id, out, e);
out:
	db_rollback(db);
	model_discussion_free(d);
	json_decref(b);
	json_decref(a);
	return rc;
}

/* ---- authorisation ------------------------------------------------------ */

struct change {
	long		 child_id;
	const char	*decision;
};

struct auth_in {
	const char	*oversight;
	size_t		 n;
	struct change	 ch[MODEL_MAX_CHILDREN];
};

static int
read_auth(json_t *body, struct auth_in *in, struct verr *e)
{
	static const char *const keys[] = { "oversight", "children", NULL };
	static const char *const ckeys[] = { "child_id", "decision", NULL };
	json_t *list = json_object_get(body, "children"), *o;
	char pre[32], f[64];
	size_t i;

	memset(in, 0, sizeof(*in));
	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_str(body, "oversight", "oversight", INPUT_REQUIRED |
	    INPUT_MULTILINE, AUTHORISE_OVERSIGHT_MAX, &in->oversight, e) != 0)
		return -1;
	if (list != NULL && (!json_is_array(list) ||
	    json_array_size(list) > MODEL_MAX_CHILDREN))
		return verr_set(e, 422, "children", "children: must be a list "
		    "of at most %d children", MODEL_MAX_CHILDREN);
	json_array_foreach(list, i, o) {
		snprintf(pre, sizeof(pre), "children[%zu].", i);
		if (!json_is_object(o))
			return verr_set(e, 422, "children", "children[%zu]: must "
			    "be an object with child_id and decision", i);
		snprintf(f, sizeof(f), "%schild_id", pre);
		if (input_known_keys(o, ckeys, pre, e) != 0 ||
		    input_int(o, "child_id", f, INPUT_REQUIRED, 1, MODEL_ID_MAX,
		    &in->ch[i].child_id, NULL, e) != 0)
			return -1;
		snprintf(f, sizeof(f), "%sdecision", pre);
		if (input_enum(o, "decision", f, INPUT_REQUIRED,
		    vocab_codes(VOCAB_DECISION), &in->ch[i].decision, e) != 0)
			return -1;
		in->n = i + 1;
	}
	return 0;
}

/* Apply the manager's decisions; each change goes into changes as
 * {child_id, before, after}. */
static int
apply_changes(struct db *db, const struct discussion *d,
    const struct auth_in *in, json_t *changes, struct verr *e)
{
	const struct child_decision *cd;
	char sid[ID_LEN], cid[ID_LEN], f[64];
	const char *p[3] = { sid, cid, NULL };
	size_t i;

	snprintf(sid, sizeof(sid), "%ld", d->id);
	for (i = 0; i < in->n; i++) {
		if ((cd = model_decision(d, in->ch[i].child_id)) == NULL) {
			snprintf(f, sizeof(f), "children[%zu].child_id", i);
			return verr_set(e, 422, f, "%s: is not a child of this "
			    "record", f);
		}
		if (strcmp(cd->decision, in->ch[i].decision) == 0)
			continue;
		snprintf(cid, sizeof(cid), "%ld", cd->child_id);
		p[2] = in->ch[i].decision;
		if (db_cmd(db, "UPDATE outcomes SET decision = $3 WHERE "
		    "discussion_id = $1 AND child_id = $2", 3, p) != 0 ||
		    json_array_append_new(changes, json_pack("{s:I, s:s, s:s}",
		    "child_id", (json_int_t)cd->child_id, "before", cd->decision,
		    "after", in->ch[i].decision)) != 0)
			return internal(e);
	}
	return 0;
}

/* After the manager's changes the record must still hold; a broken rule
 * is the changed decision's. */
static int
recheck(struct db *db, long id, const struct auth_in *in,
    struct discussion **after, struct verr *e)
{
	char msg[sizeof(e->msg)], f[64];
	long child = 0, pid = 0;
	size_t i;

	if (model_discussion_load(db, id, after) != 0)
		return internal(e);
	if (record_recheck(db, *after, &child, &pid, e) == 0)
		return 0;
	if (e->status >= 500)
		return -1;
	str_copy(msg, e->msg, sizeof(msg));
	for (i = 0; i < in->n; i++)
		if (in->ch[i].child_id == child)
			break;
	snprintf(f, sizeof(f), "children[%zu].decision", i < in->n ? i : 0);
	return verr_set(e, 422, f, "%s: the record does not go with this "
	    "decision; ask the team to change the record. %s", f, msg);
}

int
authorise_needs_review(struct db *db, const struct discussion *d)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	int n;

	if (d->classification == NULL ||
	    (strcmp(d->classification, "single_agency") != 0 &&
	    strcmp(d->classification, "partial") != 0))
		return 0;
	snprintf(sid, sizeof(sid), "%ld", d->id);
	if (db_exec(db, &r, "SELECT 1 FROM discussion_reviews WHERE "
	    "discussion_id = $1", 1, p) != 0)
		return -1;
	n = db_res_rows(&r);
	db_res_free(&r);
	return n == 0;
}

static int
reviewed_if_flagged(struct db *db, const struct discussion *d,
    struct verr *e)
{
	switch (authorise_needs_review(db, d)) {
	case 0:
		return 0;
	case 1:
		return verr_set(e, 409, "review", "review: review why this "
		    "discussion was not multi-agency before authorising it");
	default:
		return internal(e);
	}
}

/* Mark authorised, keep the version, sign off: the writes of one
 * authorisation. */
static int
store_authorised(struct db *db, const struct auth_user *u,
    const struct discussion *after, const char *oversight, json_t *changes)
{
	char sid[ID_LEN], uid[ID_LEN], ver[ID_LEN];
	const char *p[6] = { sid, ver, NULL, NULL, oversight, uid };
	json_t *rec = model_record_json(after);
	char *rj = NULL, *cj = NULL;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", after->id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	snprintf(ver, sizeof(ver), "%d", after->record->version);
	if (rec == NULL || (rj = json_dumps(rec, JSON_COMPACT)) == NULL ||
	    (cj = json_dumps(changes, JSON_COMPACT)) == NULL)
		goto out;
	p[2] = rj;
	p[3] = cj;
	if (db_cmd(db, "UPDATE records SET status = 'authorised' WHERE "
	    "discussion_id = $1", 1, p) != 0 ||
	    db_cmd(db, "INSERT INTO record_versions (discussion_id, version, "
	    "record, changes, oversight, authorised_by) VALUES ($1, $2, $3, "
	    "$4, $5, $6)", 6, p) != 0 ||
	    db_cmd(db, "INSERT INTO discussion_signoffs (discussion_id, "
	    "signed_off_by, note) VALUES ($1, $2, left($3, 2000)) ON CONFLICT "
	    "(discussion_id) DO UPDATE SET signed_off_by = EXCLUDED."
	    "signed_off_by, signed_off_at = now(), note = EXCLUDED.note", 3,
	    (const char *[]){ sid, uid, oversight }) != 0)
		goto out;
	rc = 0;
out:
	json_decref(rec);
	free(rj);
	free(cj);
	return rc;
}

static int
state_ok(const struct discussion *d, int allow_draft, struct verr *e)
{
	const char *s = d->record->status;

	if (strcmp(s, "authorised") == 0)
		return verr_set(e, 409, "status", "status: version %d of this "
		    "record is already authorised", d->record->version);
	if (strcmp(s, "draft") == 0 && !allow_draft)
		return verr_set(e, 409, "status", "status: the team has not "
		    "submitted this record for authorisation yet");
	return 0;
}

int
authorise_record(struct db *db, const struct auth_user *u, long id,
    json_t *body, int allow_draft, json_t **out, struct verr *e)
{
	struct discussion *d = NULL, *after = NULL;
	struct auth_in in;
	json_t *changes = NULL, *b = NULL, *a = NULL;
	int rc = -1;

	*out = NULL;
	if (u->role != ROLE_MANAGER)
		return verr_set(e, 403, NULL, "only a manager may do this");
	if (read_auth(body, &in, e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if (load_held(db, u, id, &d, e) != 0 || state_ok(d, allow_draft,
	    e) != 0 || reviewed_if_flagged(db, d, e) != 0)
		goto out;
	if ((changes = json_array()) == NULL) {
		internal(e);
		goto out;
	}
	if (apply_changes(db, d, &in, changes, e) != 0 ||
	    recheck(db, id, &in, &after, e) != 0)
		goto out;
	b = status_view(d->record->status, d->record->version);
	a = json_pack("{s:s, s:i, s:O, s:b}", "status", "authorised",
	    "version", after->record->version, "changes", changes,
	    "oversight_written", 1);
	if (b == NULL || a == NULL ||
	    store_authorised(db, u, after, in.oversight, changes) != 0 ||
	    enquiry_sync(db, id) != 0 ||
	    audit_record(db, u, "record.authorise", "discussion", id, b,
	    a) != 0 || db_commit(db) != 0) {
		internal(e);
		goto out;
	}
	rc = authorise_versions(db, u, id, out, e);
out:
	db_rollback(db);
	model_discussion_free(d);
	model_discussion_free(after);
	json_decref(changes);
	json_decref(b);
	json_decref(a);
	return rc;
}

/* ---- versions ----------------------------------------------------------- */

#define VERSIONS_SQL \
	"SELECT json_build_object('status', r.status, 'version', r.version," \
	" 'submitted_by', coalesce(nullif(su.display_name, ''), su.username)," \
	" 'submitted_at', r.submitted_at, 'versions', coalesce((SELECT" \
	" json_agg(json_build_object('version', v.version, 'status'," \
	" 'authorised', 'authorised_by', coalesce(nullif(au.display_name, '')," \
	" au.username), 'authorised_at', v.authorised_at, 'oversight'," \
	" v.oversight, 'changes', v.changes, 'record', v.record)" \
	" ORDER BY v.version) FROM record_versions v JOIN users au ON" \
	" au.id = v.authorised_by WHERE v.discussion_id = r.discussion_id)," \
	" '[]'::json)) FROM records r LEFT JOIN users su ON su.id =" \
	" r.submitted_by WHERE r.discussion_id = $1"

int
authorise_versions(struct db *db, const struct auth_user *u, long id,
    json_t **out, struct verr *e)
{
	struct discussion *d = NULL;
	char sid[ID_LEN];
	const char *p[1] = { sid }, *v;
	struct db_res r;
	json_t *o = NULL, *cur;

	*out = NULL;
	if (meeting_visible(db, u, id, e) != 0)
		return -1;
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, VERSIONS_SQL, 1, p) != 0)
		return internal(e);
	if (db_res_rows(&r) == 1 && (v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	if (o == NULL) {
		*out = json_pack("{s:n, s:n, s:[]}", "status", "version",
		    "versions");
		return *out != NULL ? 0 : internal(e);
	}
	if (strcmp(json_string_value(json_object_get(o, "status")),
	    "authorised") != 0) {
		/* The version being worked on, as it stands now. */
		if (model_discussion_load(db, id, &d) != 0 || d->record == NULL ||
		    (cur = json_pack("{s:I, s:O, s:n, s:n, s:n, s:[], s:o}",
		    "version", json_integer_value(json_object_get(o,
		    "version")), "status", json_object_get(o, "status"),
		    "authorised_by", "authorised_at", "oversight", "changes",
		    "record", model_record_json(d))) == NULL) {
			model_discussion_free(d);
			json_decref(o);
			return internal(e);
		}
		json_array_append_new(json_object_get(o, "versions"), cur);
	}
	model_discussion_free(d);
	*out = o;
	return 0;
}

/* ---- the manager's queue ------------------------------------------------- */

#define QUEUE_SQL \
	"SELECT coalesce(json_agg(json_build_object('id', x.id, 'case_ref'," \
	" x.case_ref, 'team', x.team, 'held_on', x.held_on, 'why', x.why," \
	" 'days', extract(day FROM now() - x.since)::integer)" \
	" ORDER BY x.since, x.id), '[]') FROM (" \
	" SELECT d.id, c.case_ref, t.name AS team, to_char((d.starts_at AT" \
	" TIME ZONE 'Europe/London')::date, 'DD/MM/YYYY') AS held_on," \
	" CASE WHEN d.approval = 'pending' THEN 'approval'" \
	" WHEN r.status = 'awaiting_authorisation' AND EXISTS (SELECT 1" \
	" FROM record_versions v WHERE v.discussion_id = d.id) THEN 'changed'" \
	" WHEN r.status = 'awaiting_authorisation' THEN 'awaiting'" \
	" ELSE 'review' END AS why," \
	" coalesce(CASE WHEN d.approval = 'pending' THEN d.created_at" \
	" WHEN r.status = 'awaiting_authorisation' THEN" \
	" coalesce(r.submitted_at, r.written_at) END, d.starts_at) AS since" \
	" FROM discussions d JOIN cases c ON c.id = d.case_id" \
	" JOIN teams t ON t.id = d.team_id" \
	" LEFT JOIN records r ON r.discussion_id = d.id" \
	" WHERE d.authority_id = $1 AND (d.approval = 'pending' OR" \
	" (d.status = 'held' AND (r.status = 'awaiting_authorisation' OR" \
	" (d.actual_classification IN ('single_agency', 'partial') AND NOT" \
	" EXISTS (SELECT 1 FROM discussion_reviews rv WHERE rv.discussion_id" \
	" = d.id)))))" \
	" ORDER BY since, d.id LIMIT $2) x"

json_t *
authorise_queue(struct db *db, const struct auth_user *u)
{
	char aid[ID_LEN], lim[ID_LEN];
	const char *p[2] = { aid, lim }, *v;
	struct db_res r;
	json_t *a = NULL;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(lim, sizeof(lim), "%d", AUTHORISE_QUEUE_MAX);
	if (db_exec(db, &r, QUEUE_SQL, 2, p) != 0)
		return NULL;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		a = json_loads(v, 0, NULL);
	db_res_free(&r);
	return a;
}
