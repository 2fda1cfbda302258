/*
 * chaser: see include/chaser.h. A scan reads the meetings starting within
 * their authority's reminder window that have a statutory agency (other
 * than the convening one) with invitees and no acceptance, decides in C
 * what is due (chaser_next), and for each due chase opens a transaction,
 * inserts the chases row (ON CONFLICT DO NOTHING: the claim), queues its
 * emails through the outbox and commits. An instance that loses the
 * insert race does nothing. The scan also stamps all_accepted_at on the
 * meetings every statutory agency has accepted (the metric).
 */
#include <stdio.h>
#include <string.h>

#include "authority.h"
#include "bgthread.h"
#include "buf.h"
#include "chaser.h"
#include "db.h"
#include "log.h"
#include "ltime.h"
#include "notice.h"
#include "str.h"

#define ID_LEN		24
#define WHEN_MAX	80
#define TEXT_MAX	2048

static struct bgthread job;

/* ---- the arithmetic (pure) --------------------------------------------- */

void
chaser_due_times(const struct chaser_thresholds *t, time_t booked,
    time_t starts, struct chaser_due *out)
{
	out->same_day = starts - booked < (time_t)t->reminder_hours * 3600;
	if (out->same_day) {
		out->reminder_at = starts -
		    (time_t)t->same_day_reminder_minutes * 60;
		out->escalation_at = starts -
		    (time_t)t->same_day_escalation_minutes * 60;
	} else {
		out->reminder_at = starts - (time_t)t->reminder_hours * 3600;
		out->escalation_at = starts -
		    (time_t)t->escalation_hours * 3600;
	}
}

enum chaser_step
chaser_next(const struct chaser_due *d, time_t now, time_t starts,
    int reminded, int escalated)
{
	if (now >= starts || escalated)
		return CHASER_NOTHING;
	if (!reminded)
		return now >= d->reminder_at ? CHASER_REMIND : CHASER_NOTHING;
	return now >= d->escalation_at ? CHASER_ESCALATE : CHASER_NOTHING;
}

/* ---- one chase --------------------------------------------------------- */

/* What a chase's emails say: no child data, ever. */
struct chase {
	char	 did[ID_LEN];
	char	 agency[33];
	char	 agency_name[64];
	char	 case_ref[64];
	char	 when[WHEN_MAX];
	char	 link[512];
	char	 org[ID_LEN];	/* escalated to; "" none */
	long	 discussion;
};

/* Fill c's words from the discussion (locked by the claim). */
static int
chase_facts(struct db *db, struct chase *c)
{
	const char *p[2] = { c->did, c->agency };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT k.case_ref, extract(epoch FROM "
	    "d.starts_at)::bigint, a.name FROM discussions d JOIN cases k ON "
	    "k.id = d.case_id JOIN agencies a ON a.code = $2 WHERE d.id = $1",
	    2, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		str_copy(c->case_ref, db_res_get(&r, 0, 0),
		    sizeof(c->case_ref));
		ltime_format_human((time_t)db_res_long(&r, 0, 1, 0), c->when,
		    sizeof(c->when));
		str_copy(c->agency_name, db_res_get(&r, 0, 2),
		    sizeof(c->agency_name));
		snprintf(c->link, sizeof(c->link), "%s/meetings/%s",
		    notice_base_url(), c->did);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

/* Queue one notice of the chase c; 0 or -1. */
static int
queue_notice(struct db *db, const struct chase *c, long participant,
    enum notice_kind kind, const char *to, const char *subject,
    const char *text)
{
	return notice_queue(db, c->discussion, participant, kind, to, subject,
	    text);
}

/* The reminder: one email to each invitee of the agency who has not
 * answered (or answered tentatively). The number queued, or -1. */
static int
remind(struct db *db, const struct chase *c)
{
	const char *p[2] = { c->did, c->agency };
	char subject[NOTICE_SUBJECT_MAX], text[TEXT_MAX];
	struct db_res r;
	int i, n = -1;

	if (db_exec(db, &r, "SELECT id, email FROM participants WHERE "
	    "discussion_id = $1 AND agency = $2 AND removed_at IS NULL AND "
	    "coalesce(email, '') <> '' AND partstat IN ('NEEDS-ACTION', "
	    "'TENTATIVE') ORDER BY id", 2, p) != 0)
		return -1;
	snprintf(subject, sizeof(subject), "Reminder: strategy meeting %s, "
	    "please accept", c->when);
	snprintf(text, sizeof(text), "You are invited to a multi-agency "
	    "strategy meeting on %s (case reference %s).\n\n"
	    "Nobody from %s has accepted yet. Please accept the invitation, "
	    "or tell the social worker who will attend for %s.\n\n"
	    "The meeting (sign-in needed): %s\n", c->when, c->case_ref,
	    c->agency_name, c->agency_name, c->link);
	for (i = 0; i < db_res_rows(&r); i++)
		if (queue_notice(db, c, db_res_long(&r, i, 0, 0),
		    NOTICE_CHASE_REMINDER, db_res_get(&r, i, 1), subject,
		    text) != 0)
			goto out;
	n = i;
out:
	db_res_free(&r);
	return n;
}

/* The social worker's address: the person who booked, as a participant,
 * or else a social care participant who is a Convene user. NULL in out
 * when there is none. */
static int
worker_address(struct db *db, const struct chase *c, char *out, size_t len)
{
	const char *p[2] = { c->did, AUTHORITY_LEAD_AGENCY };
	struct db_res r;

	out[0] = '\0';
	if (db_exec(db, &r, "SELECT p.email FROM participants p JOIN "
	    "discussions d ON d.id = p.discussion_id WHERE d.id = $1 AND "
	    "p.removed_at IS NULL AND coalesce(p.email, '') <> '' AND "
	    "p.user_id IS NOT NULL AND (p.user_id = d.created_by OR "
	    "p.agency = $2) ORDER BY p.user_id = d.created_by DESC, p.id "
	    "LIMIT 1", 2, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1)
		str_copy(out, db_res_get(&r, 0, 0), len);
	db_res_free(&r);
	return 0;
}

/* The escalation: the organisation's duty inbox is asked to send someone,
 * and the social worker is told. The number queued, or -1. */
static int
escalate(struct db *db, const struct chase *c)
{
	char subject[NOTICE_SUBJECT_MAX], text[TEXT_MAX], worker[256];
	const char *p[1] = { c->org };
	const char *duty = NULL, *org = "their organisation";
	struct db_res r;
	int n = -1, sent = 0;

	db_res_init(&r);
	if (c->org[0] != '\0' && db_exec(db, &r, "SELECT duty_email, name "
	    "FROM organisations WHERE id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		duty = db_res_get(&r, 0, 0);
		org = db_res_get(&r, 0, 1);
	}
	if (duty != NULL) {
		snprintf(subject, sizeof(subject), "Please send someone: "
		    "strategy meeting %s", c->when);
		snprintf(text, sizeof(text), "A multi-agency strategy meeting "
		    "is booked for %s (case reference %s).\n\n"
		    "Nobody from %s (%s) has accepted the invitation. As the "
		    "duty contact, please send someone to attend, or tell the "
		    "social worker who will.\n\n"
		    "The meeting (sign-in needed): %s\n", c->when, c->case_ref,
		    org, c->agency_name, c->link);
		if (queue_notice(db, c, 0, NOTICE_CHASE_ESCALATION, duty,
		    subject, text) != 0)
			goto out;
		sent++;
	}
	if (worker_address(db, c, worker, sizeof(worker)) != 0)
		goto out;
	if (worker[0] != '\0') {
		snprintf(subject, sizeof(subject), "%s has not accepted: "
		    "strategy meeting %s", c->agency_name, c->when);
		snprintf(text, sizeof(text), "Nobody from %s has accepted the "
		    "strategy meeting on %s (case reference %s), after a "
		    "reminder.\n\n%s\n\n"
		    "You can log a call on the meeting page (sign-in needed): "
		    "%s\n", c->agency_name, c->when, c->case_ref, duty != NULL ?
		    "Convene has asked their duty inbox to send someone." :
		    "Their organisation has no duty inbox in the directory: "
		    "please phone them.", c->link);
		if (queue_notice(db, c, 0, NOTICE_CHASE_WORKER, worker, subject,
		    text) != 0)
			goto out;
		sent++;
	}
	n = sent;
out:
	db_res_free(&r);
	return n;
}

/*
 * The claim: insert the chases row of (discussion, agency, kind) with the
 * organisation of the agency's first invitee. 1 claimed (c->org set), 0
 * another instance has it, -1 error.
 */
static int
claim(struct db *db, struct chase *c, const char *kind)
{
	const char *p[3] = { c->did, c->agency, kind };
	struct db_res r;
	const char *org;
	int n;

	if (db_exec(db, &r, "INSERT INTO chases (discussion_id, agency, kind, "
	    "organisation_id) SELECT $1, $2, $3, (SELECT o.id FROM "
	    "participants p LEFT JOIN contacts c ON c.id = p.contact_id JOIN "
	    "organisations o ON o.id = c.organisation_id OR (p.contact_id IS "
	    "NULL AND o.name = p.organisation AND o.agency = p.agency) WHERE "
	    "p.discussion_id = $1 AND p.agency = $2 AND p.removed_at IS NULL "
	    "ORDER BY p.id, o.id LIMIT 1) ON CONFLICT DO NOTHING "
	    "RETURNING organisation_id", 3, p) != 0)
		return -1;
	n = db_res_rows(&r);
	org = db_res_get(&r, 0, 0);
	str_copy(c->org, n == 1 && org != NULL ? org : "", sizeof(c->org));
	db_res_free(&r);
	return n;
}

/* Claim and send one chase in its own transaction: 1 sent, 0 another
 * instance had it, -1 error (rolled back). */
static int
chase_one(struct db *db, struct chase *c, enum chaser_step step)
{
	const char *kind = step == CHASER_REMIND ? "reminder" : "escalation";
	char nsent[ID_LEN];
	const char *p[4] = { c->did, c->agency, kind, nsent };
	int got, n;

	if (db_begin(db) != 0)
		return -1;
	if ((got = claim(db, c, kind)) <= 0) {
		db_rollback(db);
		return got;
	}
	if (chase_facts(db, c) != 0 || (n = step == CHASER_REMIND ?
	    remind(db, c) : escalate(db, c)) < 0)
		goto fail;
	snprintf(nsent, sizeof(nsent), "%d", n);
	if (db_cmd(db, "UPDATE chases SET emails = $4::int WHERE "
	    "discussion_id = $1 AND agency = $2 AND kind = $3", 4, p) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	log_info("chaser", "%s sent: discussion %s, agency %s, %d email(s)",
	    kind, c->did, c->agency, n);
	return 1;
fail:
	db_rollback(db);
	return -1;
}

/* ---- the scan ---------------------------------------------------------- */

enum {
	C_ID, C_AGENCY, C_BOOKED, C_STARTS, C_REM_H, C_ESC_H, C_REM_M,
	C_ESC_M, C_REMINDED, C_ESCALATED, C_NOW
};

/*
 * Stamp all_accepted_at where every chased agency has now accepted: the
 * latest of each agency's first acceptance. Only meetings of the coming
 * CHASER_REMINDER_HOURS_MAX are looked at, as the chases are: over every
 * upcoming meeting of a council a year in, this took 0.19 s each scan
 * (docs/performance.md). One booked further ahead is stamped when it
 * comes that close, with the same value.
 */
static int
stamp_all_accepted(struct db *db)
{
	char h[ID_LEN];
	const char *p[2] = { AUTHORITY_LEAD_AGENCY, h };

	snprintf(h, sizeof(h), "%d", CHASER_REMINDER_HOURS_MAX);

	return db_cmd(db, "UPDATE discussions d SET all_accepted_at = "
	    "(SELECT max(f) FROM (SELECT min(p.accepted_at) AS f FROM "
	    "statutory_agencies s JOIN participants p ON p.discussion_id = "
	    "d.id AND p.agency = s.agency AND p.removed_at IS NULL WHERE "
	    "s.authority_id = d.authority_id AND s.agency <> $1 GROUP BY "
	    "s.agency) x) WHERE d.status = 'scheduled' AND d.kind = 'meeting' "
	    "AND d.all_accepted_at IS NULL AND d.starts_at > now() AND "
	    "d.starts_at <= now() + make_interval(hours => $2::int) AND "
	    "NOT EXISTS (SELECT 1 FROM statutory_agencies s WHERE "
	    "s.authority_id = d.authority_id AND s.agency <> $1 AND NOT EXISTS "
	    "(SELECT 1 FROM participants p WHERE p.discussion_id = d.id AND "
	    "p.agency = s.agency AND p.removed_at IS NULL AND p.partstat = "
	    "'ACCEPTED'))", 2, p);
}

static int
candidates(struct db *db, struct db_res *r)
{
	char lim[ID_LEN], h[ID_LEN];
	const char *p[3] = { AUTHORITY_LEAD_AGENCY, lim, h };

	snprintf(lim, sizeof(lim), "%d", CHASER_BATCH);
	snprintf(h, sizeof(h), "%d", CHASER_REMINDER_HOURS_MAX);
	/* The constant bound ($3, the longest any authority may set) lets
	 * the scan take a range of discussions_authority_start instead of
	 * every upcoming meeting (0.56 s at 16,000 discussions). */
	return db_exec(db, r, "SELECT d.id, s.agency, extract(epoch FROM "
	    "d.created_at)::bigint, extract(epoch FROM d.starts_at)::bigint, "
	    "a.chase_reminder_hours, a.chase_escalation_hours, "
	    "a.chase_same_day_reminder_minutes, "
	    "a.chase_same_day_escalation_minutes, "
	    "EXISTS (SELECT 1 FROM chases x WHERE x.discussion_id = d.id AND "
	    "x.agency = s.agency AND x.kind = 'reminder'), "
	    "EXISTS (SELECT 1 FROM chases x WHERE x.discussion_id = d.id AND "
	    "x.agency = s.agency AND x.kind = 'escalation'), "
	    "extract(epoch FROM now())::bigint "
	    "FROM discussions d JOIN authorities a ON a.id = d.authority_id "
	    "JOIN statutory_agencies s ON s.authority_id = d.authority_id AND "
	    "s.agency <> $1 "
	    "WHERE d.status = 'scheduled' AND d.kind = 'meeting' AND "
	    "d.starts_at > now() AND d.starts_at <= now() + make_interval("
	    "hours => a.chase_reminder_hours) AND d.starts_at <= now() + "
	    "make_interval(hours => $3::int) "
	    "AND EXISTS (SELECT 1 FROM participants p WHERE p.discussion_id = "
	    "d.id AND p.agency = s.agency AND p.removed_at IS NULL) "
	    "AND NOT EXISTS (SELECT 1 FROM participants p WHERE "
	    "p.discussion_id = d.id AND p.agency = s.agency AND p.removed_at "
	    "IS NULL AND p.partstat = 'ACCEPTED') "
	    "AND NOT EXISTS (SELECT 1 FROM chase_calls k WHERE "
	    "k.discussion_id = d.id AND k.agency = s.agency AND k.outcome IN "
	    "('will_attend', 'will_send_someone')) "
	    "ORDER BY d.starts_at, d.id, s.agency LIMIT $2::int", 3, p);
}

/* What row i of the candidates needs now. */
static enum chaser_step
step_of(const struct db_res *r, int i)
{
	struct chaser_thresholds t;
	struct chaser_due d;
	time_t starts = (time_t)db_res_long(r, i, C_STARTS, 0);

	t.reminder_hours = (int)db_res_long(r, i, C_REM_H,
	    CHASER_REMINDER_HOURS_DEF);
	t.escalation_hours = (int)db_res_long(r, i, C_ESC_H,
	    CHASER_ESCALATION_HOURS_DEF);
	t.same_day_reminder_minutes = (int)db_res_long(r, i, C_REM_M,
	    CHASER_SAME_DAY_REMINDER_DEF);
	t.same_day_escalation_minutes = (int)db_res_long(r, i, C_ESC_M,
	    CHASER_SAME_DAY_ESCALATION_DEF);
	chaser_due_times(&t, (time_t)db_res_long(r, i, C_BOOKED, 0), starts,
	    &d);
	return chaser_next(&d, (time_t)db_res_long(r, i, C_NOW, 0), starts,
	    db_res_bool(r, i, C_REMINDED), db_res_bool(r, i, C_ESCALATED));
}

int
chaser_run(struct db *db)
{
	struct chase c;
	struct db_res r;
	enum chaser_step step;
	int i, got, sent = 0, failed = 0;

	if (stamp_all_accepted(db) != 0 || candidates(db, &r) != 0)
		return -1;
	for (i = 0; i < db_res_rows(&r); i++) {
		if ((step = step_of(&r, i)) == CHASER_NOTHING)
			continue;
		memset(&c, 0, sizeof(c));
		str_copy(c.did, db_res_get(&r, i, C_ID), sizeof(c.did));
		str_copy(c.agency, db_res_get(&r, i, C_AGENCY),
		    sizeof(c.agency));
		c.discussion = db_res_long(&r, i, C_ID, 0);
		/* One chase failing (logged) does not hold up the others;
		 * the scan reports it so the thread reconnects. */
		if ((got = chase_one(db, &c, step)) < 0)
			failed = 1;
		else
			sent += got;
	}
	db_res_free(&r);
	return failed ? -1 : sent;
}

static void *
run(void *arg)
{
	struct db db;
	char err[256];

	(void)arg;
	memset(&db, 0, sizeof(db));
	while (!bgthread_stopping(&job)) {
		if (db.conn == NULL && db_open(&db, job.conninfo, err,
		    sizeof(err)) != 0) {
			bgthread_nap(&job, CHASER_RETRY_MS);
			continue;
		}
		if (chaser_run(&db) < 0) {
			db_close(&db);
			bgthread_nap(&job, CHASER_RETRY_MS);
			continue;
		}
		bgthread_nap(&job, CHASER_LOOK_MS);
	}
	db_close(&db);
	return NULL;
}

int
chaser_start(const char *ci)
{
	return bgthread_start(&job, ci, run);
}

void
chaser_stop(void)
{
	bgthread_stop(&job);
}
