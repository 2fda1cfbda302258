/*
 * retention: see include/retention.h. Each step removes at most
 * RETENTION_BATCH rows a statement and commits, so a first run on a large
 * database never holds a long transaction; every deleted case is its own
 * transaction with its audit entry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bgthread.h"
#include "db.h"
#include "log.h"
#include "retention.h"
#include "partner.h"
#include "session.h"
#include "str.h"

static struct bgthread job;
static struct retention_cfg job_cfg;

/* The count of a "WITH x AS (... RETURNING 1) SELECT count(*)" statement;
 * -1 on error. */
static long
count_of(struct db *db, const char *sql, int np, const char *const *p)
{
	struct db_res r;
	long n;

	if (db_exec(db, &r, sql, np, p) != 0)
		return -1;
	n = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	return n;
}

/* Unlink each row's .eml file (there is none when a relay sent it). A
 * file that cannot go is logged; its body is purged all the same. */
static void
unlink_eml(const struct retention_cfg *cfg, const struct db_res *r)
{
	char path[600];
	int i;

	for (i = 0; i < db_res_rows(r); i++) {
		if (snprintf(path, sizeof(path), "%s/outbox/%ld.eml",
		    cfg->data_dir, db_res_long(r, i, 0, 0)) >= (int)sizeof(path))
			continue;
		if (unlink(path) != 0 && errno != ENOENT)
			log_error("retention", "could not delete %s (errno %d)",
			    path, errno);
	}
}

/* Sent invites older than mail_days: the body goes, the row stays. */
static long
purge_mail(struct db *db, const struct retention_cfg *cfg)
{
	char days[16], lim[16];
	const char *p[2] = { days, lim };
	struct db_res r;
	long total = 0;
	int n;

	snprintf(days, sizeof(days), "%d", cfg->mail_days);
	snprintf(lim, sizeof(lim), "%d", RETENTION_BATCH);
	do {
		if (db_begin(db) != 0)
			return -1;
		if (db_exec(db, &r, "UPDATE outbox o SET message = NULL FROM "
		    "(SELECT id FROM outbox WHERE status = 'sent' AND message "
		    "IS NOT NULL AND sent_at < now() - make_interval(days => "
		    "$1::int) ORDER BY sent_at LIMIT $2::int FOR UPDATE SKIP "
		    "LOCKED) x WHERE o.id = x.id RETURNING o.id", 2, p) != 0) {
			db_rollback(db);
			return -1;
		}
		unlink_eml(cfg, &r);
		n = db_res_rows(&r);
		db_res_free(&r);
		if (db_commit(db) != 0)
			return -1;
		total += n;
	} while (n == RETENTION_BATCH);
	return total;
}

static long
purge_itip(struct db *db, const struct retention_cfg *cfg)
{
	char days[16], lim[16];
	const char *p[2] = { days, lim };
	long n, total = 0;

	snprintf(days, sizeof(days), "%d", cfg->itip_days);
	snprintf(lim, sizeof(lim), "%d", RETENTION_BATCH);
	do {
		if ((n = count_of(db, "WITH x AS (UPDATE itip_inbox SET raw = "
		    "NULL WHERE id IN (SELECT id FROM itip_inbox WHERE raw IS "
		    "NOT NULL AND received_at < now() - make_interval(days => "
		    "$1::int) LIMIT $2::int) RETURNING 1) SELECT count(*) FROM x",
		    2, p)) < 0)
			return -1;
		total += n;
	} while (n == RETENTION_BATCH);
	return total;
}

/* Sessions past the lifetimes session.c enforces on every request. */
static long
purge_sessions(struct db *db)
{
	char idle[16], max[16];
	const char *p[2] = { idle, max };

	long n, k;

	snprintf(idle, sizeof(idle), "%d", SESSION_IDLE_SECONDS);
	snprintf(max, sizeof(max), "%d", SESSION_MAX_SECONDS);
	n = count_of(db, "WITH x AS (DELETE FROM sessions WHERE "
	    "last_seen_at < now() - make_interval(secs => $1::int) OR "
	    "created_at < now() - make_interval(secs => $2::int) RETURNING 1) "
	    "SELECT count(*) FROM x", 2, p);
	/* Partners' sessions and spent codes (partner.h) count here too. */
	if (n < 0 || (k = partner_purge(db)) < 0)
		return -1;
	return n + k;
}

/* Closed cases past their authority's retention period, one transaction
 * each (retention_delete_case writes the audit entry). */
static long
purge_cases(struct db *db)
{
	char lim[16], id[32];
	const char *p[1] = { lim };
	struct db_res r;
	long total = 0;
	int i;

	snprintf(lim, sizeof(lim), "%d", RETENTION_CASES_MAX);
	if (db_exec(db, &r, "SELECT c.id FROM cases c JOIN authorities a ON "
	    "a.id = c.authority_id WHERE a.record_retention_months IS NOT NULL "
	    "AND (c.icpc_date IS NULL OR c.icpc_date < now() - make_interval("
	    "months => a.record_retention_months)) AND NOT EXISTS (SELECT 1 "
	    "FROM discussions d WHERE d.case_id = c.id AND (d.status = "
	    "'scheduled' OR d.ends_at >= now() - make_interval(months => "
	    "a.record_retention_months))) ORDER BY c.id LIMIT $1::int", 1,
	    p) != 0)
		return -1;
	for (i = 0; i < db_res_rows(&r); i++) {
		str_copy(id, db_res_get(&r, i, 0), sizeof(id));
		p[0] = id;
		if (db_begin(db) != 0 || db_cmd(db, "SELECT "
		    "retention_delete_case($1::bigint)", 1, p) != 0 ||
		    db_commit(db) != 0) {
			db_rollback(db);
			total = -1;
			break;
		}
		total++;
	}
	db_res_free(&r);
	return total;
}

static int
record_run(struct db *db, const char *started, const struct retention_counts *n)
{
	char v[4][24];
	const char *p[5] = { started, v[0], v[1], v[2], v[3] };

	snprintf(v[0], sizeof(v[0]), "%ld", n->mail_bodies);
	snprintf(v[1], sizeof(v[1]), "%ld", n->itip_raw);
	snprintf(v[2], sizeof(v[2]), "%ld", n->sessions);
	snprintf(v[3], sizeof(v[3]), "%ld", n->cases);
	return db_cmd(db, "INSERT INTO retention_runs (started_at, mail_bodies, "
	    "itip_raw, sessions, cases) VALUES ($1::timestamptz, $2::int, "
	    "$3::int, $4::int, $5::int)", 5, p);
}

/* The steps in order, under the lock the caller holds. */
static int
steps(struct db *db, const struct retention_cfg *cfg,
    struct retention_counts *n)
{
	struct db_res r;
	char started[64];
	int rc = -1;

	if (db_exec(db, &r, "SELECT now()::text", 0, NULL) != 0)
		return -1;
	str_copy(started, db_res_get(&r, 0, 0), sizeof(started));
	db_res_free(&r);
	if ((n->mail_bodies = purge_mail(db, cfg)) < 0 ||
	    (n->itip_raw = purge_itip(db, cfg)) < 0 ||
	    (n->sessions = purge_sessions(db)) < 0 ||
	    (n->cases = purge_cases(db)) < 0 ||
	    record_run(db, started, n) != 0)
		goto out;
	rc = 0;
out:
	return rc;
}

int
retention_run(struct db *db, const struct retention_cfg *cfg,
    struct retention_counts *n)
{
	struct db_res r;
	int got, rc;

	memset(n, 0, sizeof(*n));
	if (db_exec(db, &r, "SELECT pg_try_advisory_lock(20, 2)", 0,
	    NULL) != 0)
		return -1;
	got = db_res_bool(&r, 0, 0);
	db_res_free(&r);
	if (!got)
		return 1;
	if ((rc = steps(db, cfg, n)) != 0)
		log_error("retention", "the retention run stopped on an error; "
		    "what it removed stays removed, the rest waits for the "
		    "next run");
	else
		log_info("retention", "removed %ld invite bodies, %ld raw "
		    "replies, %ld sessions, %ld closed cases", n->mail_bodies,
		    n->itip_raw, n->sessions, n->cases);
	if (db_cmd(db, "SELECT pg_advisory_unlock(20, 2)", 0, NULL) != 0)
		rc = -1;
	return rc;
}

/* 1 when no run finished in the last day, 0 not, -1 error. */
static int
due(struct db *db)
{
	struct db_res r;
	int d;

	if (db_exec(db, &r, "SELECT NOT EXISTS (SELECT 1 FROM retention_runs "
	    "WHERE finished_at > now() - interval '1 day')", 0, NULL) != 0)
		return -1;
	d = db_res_bool(&r, 0, 0);
	db_res_free(&r);
	return d;
}

static void *
run(void *arg)
{
	struct retention_counts n;
	struct db db;
	char err[256];
	int d;

	(void)arg;
	memset(&db, 0, sizeof(db));
	while (!bgthread_stopping(&job)) {
		if (db.conn == NULL && db_open(&db, job.conninfo, err,
		    sizeof(err)) != 0) {
			bgthread_nap(&job, RETENTION_RETRY_MS);
			continue;
		}
		if ((d = due(&db)) < 0 || (d == 1 &&
		    retention_run(&db, &job_cfg, &n) < 0)) {
			db_close(&db);
			bgthread_nap(&job, RETENTION_RETRY_MS);
			continue;
		}
		bgthread_nap(&job, RETENTION_LOOK_MS);
	}
	db_close(&db);
	return NULL;
}

int
retention_start(const char *ci, const struct retention_cfg *cfg)
{
	job_cfg = *cfg;
	return bgthread_start(&job, ci, run);
}

void
retention_stop(void)
{
	bgthread_stop(&job);
}
