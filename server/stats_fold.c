/*
 * stats_fold: see include/stats_fold.h. The thread never holds a request's
 * connection and never blocks one: stats_fold(n, false) returns at once when
 * another folder (a read, or another instance) is working.
 */
#include <stdio.h>
#include <string.h>

#include "bgthread.h"
#include "db.h"
#include "log.h"
#include "stats_fold.h"

static struct bgthread folder;

/* The one-folder lock, at session level (sql/020_stats_fold.sql says why
 * before the transaction), taken only when something is queued, so that an
 * idle look or a read with nothing to fold costs one statement: 1 held, 0
 * nothing queued or (try only) held elsewhere, -1 error. */
static int
fold_lock(struct db *db, int wait)
{
	struct db_res r;
	int got;

	if (db_exec(db, &r, wait ? "SELECT true, pg_advisory_lock(20, 1) "
	    "FROM (SELECT 1 FROM stats_queue LIMIT 1) q" : "SELECT "
	    "pg_try_advisory_lock(20, 1) FROM (SELECT 1 FROM stats_queue "
	    "LIMIT 1) q", 0, NULL) != 0)
		return -1;
	got = db_res_rows(&r) == 1 && db_res_bool(&r, 0, 0);
	db_res_free(&r);
	return got;
}

/* Fold up to max cases in one REPEATABLE READ snapshot; the number
 * folded, -1 on error. The lock goes on every path. */
static long
fold(struct db *db, int max, int wait)
{
	char n[16];
	const char *p[1] = { n };
	struct db_res r;
	long done = -1;
	int got;

	if ((got = fold_lock(db, wait)) <= 0)
		return got;
	snprintf(n, sizeof(n), "%d", max);
	if (db_cmd(db, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL) != 0)
		goto out;
	db->in_tx = 1;
	if (db_exec(db, &r, "SELECT stats_fold($1::int, false)", 1, p) != 0) {
		db_rollback(db);
		goto out;
	}
	done = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	/* Not db_commit: folding changes nothing a feed shows. */
	db->in_tx = 0;
	if (db_cmd(db, "COMMIT", 0, NULL) != 0)
		done = -1;
out:
	if (db_cmd(db, "SELECT pg_advisory_unlock(20, 1)", 0, NULL) != 0)
		done = -1;
	return done;
}

/* The list totals' rows summed (sql/042_list_totals.sql); after a fold
 * that found something, as whatever added discussions queued their cases.
 * 0, or -1 on error. */
static int
compact_list_totals(struct db *db)
{
	return db_cmd(db, "SELECT list_totals_compact()", 0, NULL);
}

int
stats_fold_pending(struct db *db)
{
	if (fold(db, STATS_FOLD_READ_MAX, 1) < 0) {
		log_error("stats", "could not fold the statistics queue before "
		    "a read; figures may lag behind the latest writes");
		return -1;
	}
	return 0;
}

static void *
run(void *arg)
{
	struct db db;
	const char *what;
	char err[256];
	long n;

	(void)arg;
	memset(&db, 0, sizeof(db));
	while (!bgthread_stopping(&folder)) {
		if (db.conn == NULL && db_open(&db, folder.conninfo, err,
		    sizeof(err)) != 0) {
			bgthread_nap(&folder, STATS_FOLD_RETRY_MS);
			continue;
		}
		what = "folding the statistics queue";
		if ((n = fold(&db, STATS_FOLD_BATCH, 0)) > 0) {
			what = "summing the meeting list's totals";
			if (compact_list_totals(&db) != 0)
				n = -1;
		}
		if (n < 0) {
			log_error("stats", "%s failed; reconnecting", what);
			db_close(&db);
			bgthread_nap(&folder, STATS_FOLD_RETRY_MS);
		} else if (n < STATS_FOLD_BATCH)
			/* A fold has a fixed cost (five round trips, a
			 * snapshot, ten statements) whatever its size: folding
			 * as each booking committed took 20 cases at a time and
			 * a sixth of a booking's database time. Waiting a
			 * moment folds more at once, still within a second;
			 * reads fold what is left themselves. */
			bgthread_nap(&folder, n == 0 ? STATS_FOLD_IDLE_MS :
			    STATS_FOLD_GATHER_MS);
	}
	db_close(&db);
	return NULL;
}

int
stats_fold_start(const char *ci)
{
	return bgthread_start(&folder, ci, run);
}

void
stats_fold_stop(void)
{
	bgthread_stop(&folder);
}
