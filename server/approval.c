/*
 * approval: before the meeting, a manager approves (or refuses) a booking
 * that leaves a statutory agency out, where the authority requires it.
 * Refusing sends the social worker back to invite the agency or cancel;
 * inviting it clears the need (approval_refresh, run wherever the planned
 * classification is stored).
 */
#include <stdio.h>
#include <string.h>

#include "approval.h"
#include "audit.h"
#include "auth.h"
#include "db.h"
#include "input.h"
#include "meeting.h"

#define ID_LEN	24

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

/*
 * One statement (it runs in every booking and change): the approval the
 * discussion should have now, written only when it differs. Not needed
 * (the setting is off, or every statutory agency is invited): none. Not
 * yet asked: pending. A decision covers the agencies it saw left out: an
 * approval holds while no other agency is left out; a refusal is looked at
 * again after any change to who is left out. A new state clears the
 * decision's who, when, note and scope.
 */
int
approval_refresh(struct db *db, long id)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%ld", id);
	return db_defer(db, "UPDATE discussions d SET approval = n.approval, "
	    "approval_by = NULL, approval_at = NULL, approval_note = NULL, "
	    "approval_missing = NULL FROM (SELECT x.id, CASE WHEN NOT "
	    "a.require_approval_single_agency OR x.planned_classification = "
	    "'multi_agency' THEN NULL WHEN x.status <> 'scheduled' THEN "
	    "x.approval WHEN x.approval IS NULL THEN 'pending' WHEN "
	    "x.approval = 'approved' AND NOT x.planned_missing <@ "
	    "coalesce(x.approval_missing, '{}') THEN 'pending' WHEN "
	    "x.approval = 'refused' AND x.planned_missing IS DISTINCT FROM "
	    "x.approval_missing THEN 'pending' ELSE x.approval END AS approval "
	    "FROM discussions x JOIN authorities a ON a.id = x.authority_id "
	    "WHERE x.id = $1) n WHERE d.id = n.id AND d.approval IS DISTINCT "
	    "FROM n.approval", 1, p);
}

int
approval_check(struct db *db, long id, struct verr *e)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	const char *a;
	int rc = 0;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT approval FROM discussions WHERE id = $1",
	    1, p) != 0)
		return internal(e);
	a = db_res_rows(&r) == 1 ? db_res_get(&r, 0, 0) : NULL;
	if (a != NULL && strcmp(a, "pending") == 0)
		rc = verr_set(e, 409, "approval", "approval: a manager must "
		    "approve a discussion without every statutory agency before "
		    "it goes ahead");
	else if (a != NULL && strcmp(a, "refused") == 0)
		rc = verr_set(e, 409, "approval", "approval: a manager refused "
		    "this discussion without every statutory agency; invite the "
		    "missing agency or cancel it");
	db_res_free(&r);
	return rc;
}

int
approval_decide(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	static const char *const keys[] = { "decision", "note", NULL };
	static const char *const decisions[] = { "approve", "refuse", NULL };
	const char *decision, *note, *p[4];
	char sid[ID_LEN], uid[ID_LEN], status[16];
	struct db_res r;
	json_t *b = NULL, *a = NULL;
	long authority;
	int rc = -1, n;

	*out = NULL;
	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_enum(body, "decision", "decision", INPUT_REQUIRED, decisions,
	    &decision, e) != 0 ||
	    input_str(body, "note", "note", INPUT_MULTILINE, APPROVAL_NOTE_MAX,
	    &note, e) != 0)
		return -1;
	if (strcmp(decision, "refuse") == 0 && (note == NULL || !*note))
		return verr_set(e, 422, "note", "note: say why, so the social "
		    "worker knows what to change");
	if (db_begin(db) != 0)
		return internal(e);
	if (meeting_lock(db, u, id, status, &authority, e) != 0)
		goto out;
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	p[0] = sid;
	p[1] = strcmp(decision, "approve") == 0 ? "approved" : "refused";
	p[2] = note != NULL && *note ? note : NULL;
	p[3] = uid;
	if (db_exec(db, &r, "SELECT approval FROM discussions WHERE id = $1 "
	    "AND approval IN ('pending', 'refused')", 1, p) != 0) {
		internal(e);
		goto out;
	}
	n = db_res_rows(&r);
	b = n == 1 ? json_pack("{s:s}", "approval", db_res_get(&r, 0, 0)) :
	    NULL;
	db_res_free(&r);
	if (n != 1) {
		verr_set(e, 409, "approval", "approval: this discussion is not "
		    "waiting for approval");
		goto out;
	}
	if (db_cmd(db, "UPDATE discussions SET approval = $2, approval_by = "
	    "$4, approval_at = now(), approval_note = $3, approval_missing = "
	    "planned_missing WHERE id = $1", 4, p) != 0) {
		internal(e);
		goto out;
	}
	a = json_pack("{s:s, s:b}", "approval", p[1], "note_written",
	    p[2] != NULL);
	if (b == NULL || a == NULL || audit_record(db, u, "meeting.approval",
	    "discussion", id, b, a) != 0 || db_commit(db) != 0 ||
	    meeting_get(db, u, id, out, e) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	rc = 0;
out:
	db_rollback(db);
	json_decref(b);
	json_decref(a);
	return rc;
}
