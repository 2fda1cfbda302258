/*
 * migrate: forward-only schema migrations. The advisory lock is taken on a
 * session, not in a transaction, so every instance waits for the first to
 * finish and then finds nothing left to do.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "migrate.h"
#include "str.h"
#include "vocab.h"

/* Any constant shared by all Convene instances; "CNVN" in ASCII. */
#define MIGRATE_LOCK_KEY	"1129207374"
/* The migration that creates the vocabulary table (sql/009_vocabulary.sql). */
#define MIGRATE_VOCAB_VERSION	9

static int
ensure_table(struct db *db)
{
	return db_cmd(db,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL);
}

static int
applied(struct db *db, const char *version, int *yes)
{
	struct db_res r;
	const char *p[1] = { version };

	if (db_exec(db, &r, "SELECT 1 FROM schema_migrations WHERE version = $1",
	    1, p) != 0)
		return -1;
	*yes = db_res_rows(&r) > 0;
	db_res_free(&r);
	return 0;
}

/* Apply one file in its own transaction. The file's SQL is ours, compiled
 * in, so it runs as a simple query (several statements, no parameters). */
static int
apply_one(struct db *db, const struct migrate_file *f, const char *version)
{
	const char *p[2] = { version, f->name };
	PGresult *res;
	long v;
	int ok;

	if (db_begin(db) != 0)
		return -1;
	res = PQexec(db->conn, f->sql);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("migrate", "%s failed: %s", f->name,
		    res ? PQresultErrorMessage(res) : "no result");
	PQclear(res);
	/* Later migrations reference vocabulary rows: fill them as soon as
	 * the table exists, in the same transaction. */
	if (ok && str_to_long_n(version, strlen(version), 0, 999, &v) == 0 &&
	    v >= MIGRATE_VOCAB_VERSION && vocab_sync(db) != 0) {
		log_error("migrate", "%s: could not write the vocabulary",
		    f->name);
		ok = 0;
	}
	if (!ok || db_cmd(db, "INSERT INTO schema_migrations (version, name)"
	    " VALUES ($1, $2)", 2, p) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	log_info("migrate", "applied %s", f->name);
	return 0;
}

int
migrate_run(struct db *db, char *err, size_t errlen)
{
	const char *lock[1] = { MIGRATE_LOCK_KEY };
	const struct migrate_file *f;
	char version[8];
	int count = 0, result = -1, yes;
	long v;

	if (db_cmd(db, "SELECT pg_advisory_lock($1::bigint)", 1, lock) != 0) {
		snprintf(err, errlen, "could not take the migration lock");
		return -1;
	}
	if (ensure_table(db) != 0) {
		snprintf(err, errlen, "could not create schema_migrations");
		goto out;
	}
	for (f = migrate_files; f->name != NULL; f++) {
		if (strlen(f->name) < 4 || str_to_long_n(f->name, 3, 0, 999,
		    &v) != 0 || f->name[3] != '_') {
			snprintf(err, errlen, "bad migration name %s", f->name);
			goto out;
		}
		snprintf(version, sizeof(version), "%ld", v);
		if (applied(db, version, &yes) != 0) {
			snprintf(err, errlen, "could not read schema_migrations");
			goto out;
		}
		if (yes)
			continue;
		if (apply_one(db, f, version) != 0) {
			snprintf(err, errlen, "migration %s failed", f->name);
			goto out;
		}
		count++;
	}
	/* Terms added in C since the last migration reach SQL here. */
	if (db_begin(db) != 0 || vocab_sync(db) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		snprintf(err, errlen, "could not write the vocabulary");
		goto out;
	}
	result = count;
out:
	(void)db_cmd(db, "SELECT pg_advisory_unlock($1::bigint)", 1, lock);
	return result;
}
