/*
 * calls: see include/calls.h. The at-risk view is one SQL statement built
 * with json_build_object over the discussion's statutory agencies, its
 * chases and its calls; the page (web_meeting.c, web_home.c) and the API
 * are views of it. A call is checked in full before the first write.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auth.h"
#include "authority.h"
#include "calls.h"
#include "db.h"
#include "input.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "str.h"
#include "vocab.h"

#define ID_LEN	24

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong");
}

/* The statutory agencies (but the convening one) of discussion $1 with
 * nobody accepted, while it is scheduled; $2 is the convening agency. */
#define AT_RISK_AGENCIES(d)						\
	"SELECT s.agency, a.name FROM statutory_agencies s JOIN agencies a "\
	"ON a.code = s.agency WHERE s.authority_id = " d ".authority_id AND "\
	d ".status = 'scheduled' AND s.agency <> $2 AND NOT EXISTS (SELECT "\
	"1 FROM participants p WHERE p.discussion_id = " d ".id AND "	\
	"p.agency = s.agency AND p.removed_at IS NULL AND p.partstat = "\
	"'ACCEPTED')"

static const char view_sql[] =
    "SELECT json_build_object('meeting_id', d.id, 'at_risk', "
    "coalesce((SELECT json_agg(json_build_object('agency', x.agency, "
    "'agency_name', x.name) ORDER BY x.agency) FROM ("
    AT_RISK_AGENCIES("d") ") x), '[]'::json), "
    "'chases', coalesce((SELECT json_agg(json_build_object('agency', "
    "k.agency, 'agency_name', g.name, 'kind', k.kind, 'sent_at', "
    "date_trunc('second', k.sent_at), 'emails', k.emails, "
    "'organisation', o.name) ORDER BY k.sent_at, k.id) FROM chases k JOIN "
    "agencies g ON g.code = k.agency LEFT JOIN organisations o ON o.id = "
    "k.organisation_id WHERE k.discussion_id = d.id), '[]'::json), "
    "'calls', coalesce((SELECT json_agg(json_build_object('agency', "
    "c.agency, 'agency_name', g.name, 'called_at', c.called_at, "
    "'spoke_to', c.spoke_to, 'outcome', c.outcome, 'outcome_words', "
    "v.words) ORDER BY c.called_at, c.id) FROM chase_calls c JOIN "
    "agencies g ON g.code = c.agency JOIN vocabulary v ON v.list = "
    "c.v_outcome AND v.code = c.outcome WHERE c.discussion_id = d.id), "
    "'[]'::json))::text FROM discussions d WHERE d.id = $1";

/* The view of discussion id (visible to the caller: checked before). */
static int
view(struct db *db, long id, json_t **out, struct verr *e)
{
	char sid[ID_LEN];
	const char *p[2] = { sid, AUTHORITY_LEAD_AGENCY };
	struct db_res r;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, view_sql, 2, p) != 0)
		return internal(e);
	*out = db_res_rows(&r) == 1 ? json_loads(db_res_get(&r, 0, 0), 0,
	    NULL) : NULL;
	db_res_free(&r);
	return *out == NULL ? internal(e) : 0;
}

int
calls_at_risk(struct db *db, const struct auth_user *u, long id,
    json_t *body, json_t **out, struct verr *e)
{
	(void)body;
	if (meeting_visible(db, u, id, e) != 0)
		return -1;
	return view(db, id, out, e);
}

struct call_in {
	const char	*agency;
	const char	*spoke_to;
	const char	*outcome;
	time_t		 called_at;
	long		 participant;	/* 0: none named */
};

/* Check body against the rules that need no database. */
static int
read_call(json_t *body, struct call_in *c, struct verr *e)
{
	static const char *const keys[] = { "agency", "called_at", "spoke_to",
		"outcome", "participant_id", NULL };
	int has_part = 0;

	memset(c, 0, sizeof(*c));
	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_str(body, "agency", "agency", INPUT_REQUIRED,
	    MODEL_AGENCY_CODE_MAX, &c->agency, e) != 0 ||
	    input_time(body, "called_at", "called_at", INPUT_REQUIRED,
	    &c->called_at, NULL, e) != 0 ||
	    input_str(body, "spoke_to", "spoke_to", INPUT_REQUIRED,
	    CALLS_SPOKE_TO_MAX, &c->spoke_to, e) != 0 ||
	    input_enum(body, "outcome", "outcome", INPUT_REQUIRED,
	    vocab_codes(VOCAB_CALL_OUTCOME), &c->outcome, e) != 0 ||
	    input_int(body, "participant_id", "participant_id",
	    INPUT_OPTIONAL, 1, MODEL_ID_MAX, &c->participant, &has_part,
	    e) != 0)
		return -1;
	if (!has_part)
		c->participant = 0;
	if (c->called_at > time(NULL) + MEETING_CLOCK_SKEW)
		return verr_set(e, 422, "called_at", "called_at: a call that "
		    "has not happened yet cannot be logged");
	return 0;
}

/* The agency is known, and the participant (when named) is a current one
 * of this discussion and agency. */
static int
check_call(struct db *db, const char *sid, const struct call_in *c,
    struct verr *e)
{
	char pid[ID_LEN];
	const char *p[3] = { sid, c->agency, pid };
	struct db_res r;
	int agency_ok, part_ok;

	snprintf(pid, sizeof(pid), "%ld", c->participant);
	if (db_exec(db, &r, "SELECT EXISTS (SELECT 1 FROM agencies WHERE "
	    "code = $2), $3::bigint = 0 OR EXISTS (SELECT 1 FROM participants "
	    "WHERE id = $3::bigint AND discussion_id = $1 AND agency = $2 AND "
	    "removed_at IS NULL)", 3, p) != 0)
		return internal(e);
	agency_ok = db_res_bool(&r, 0, 0);
	part_ok = db_res_bool(&r, 0, 1);
	db_res_free(&r);
	if (!agency_ok)
		return verr_set(e, 422, "agency", "agency: is not a known "
		    "agency code");
	if (!part_ok)
		return verr_set(e, 422, "participant_id", "participant_id: is "
		    "not an invitee of this meeting from that agency");
	return 0;
}

/* Insert the call and mark the participant contacted. */
static int
write_call(struct db *db, const struct auth_user *u, const char *sid,
    const struct call_in *c)
{
	char at[LTIME_ISO_MAX], pid[ID_LEN], uid[ID_LEN];
	const char *p[7] = { sid, c->agency, c->participant ? pid : NULL, at,
		c->spoke_to, c->outcome, uid };

	ltime_format_utc(c->called_at, at, sizeof(at));
	snprintf(pid, sizeof(pid), "%ld", c->participant);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	if (db_cmd(db, "INSERT INTO chase_calls (discussion_id, agency, "
	    "participant_id, called_at, spoke_to, outcome, logged_by) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7)", 7, p) != 0)
		return -1;
	if (c->participant == 0)
		return 0;
	return db_cmd(db, "UPDATE participants SET contacted_by_phone_at = $2 "
	    "WHERE id = $1 AND contacted_by_phone_at IS NULL", 2,
	    (const char *const[]){ pid, at });
}

int
calls_log(struct db *db, const struct auth_user *u, long id, json_t *body,
    json_t **out, struct verr *e)
{
	struct call_in c;
	char sid[ID_LEN], status[16];
	json_t *audit = NULL;
	long authority;
	int result = -1;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (read_call(body, &c, e) != 0)
		return -1;
	if (db_begin(db) != 0)
		return internal(e);
	if (meeting_lock(db, u, id, status, &authority, e) != 0)
		goto out;
	if (strcmp(status, "cancelled") == 0) {
		verr_set(e, 409, NULL, "the meeting is cancelled");
		goto out;
	}
	if (check_call(db, sid, &c, e) != 0)
		goto out;
	/* The audit entry keeps codes and times, not who was spoken to. */
	audit = json_pack("{s:s, s:s, s:b}", "agency", c.agency, "outcome",
	    c.outcome, "participant", c.participant != 0);
	if (write_call(db, u, sid, &c) != 0 || audit == NULL) {
		internal(e);
		goto out;
	}
	if (meeting_replan(db, id, authority, e) != 0)
		goto out;
	if (audit_record(db, u, "meeting.call", "discussion", id, NULL,
	    audit) != 0 || view(db, id, out, e) != 0 || db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	result = 0;
out:
	if (result != 0)
		db_rollback(db);
	json_decref(audit);
	return result;
}

json_t *
calls_at_risk_list(struct db *db, const struct auth_user *u, int limit)
{
	char aid[ID_LEN], tid[ID_LEN], lim[ID_LEN];
	const char *p[4] = { aid, AUTHORITY_LEAD_AGENCY, NULL, lim };
	struct db_res r;
	json_t *o;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	if (u->role == ROLE_SOCIAL_WORKER)
		p[2] = tid;
	if (db_exec(db, &r, "SELECT coalesce(json_agg(json_build_object("
	    "'id', m.id, 'case_ref', m.case_ref, 'starts_at', m.starts_at, "
	    "'agencies', m.agencies) ORDER BY m.starts_at, m.id), '[]'::json)"
	    "::text FROM (SELECT d.id, c.case_ref, d.starts_at, (SELECT "
	    "json_agg(x.name ORDER BY x.agency) FROM (" AT_RISK_AGENCIES("d")
	    ") x) AS agencies FROM discussions d JOIN cases c ON c.id = "
	    "d.case_id WHERE d.authority_id = $1 AND d.status = 'scheduled' "
	    "AND d.starts_at > now() AND ($3::bigint IS NULL OR "
	    MEETING_TEAM_SEES("d", "$3") ") AND EXISTS (SELECT 1 FROM chases "
	    "k WHERE k.discussion_id = d.id) ORDER BY d.starts_at LIMIT "
	    "$4::int) m WHERE m.agencies IS NOT NULL", 4, p) != 0)
		return NULL;
	o = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return o;
}
