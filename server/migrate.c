/*
 * migrate: forward-only schema migrations. The advisory lock is taken on a
 * session, not in a transaction, so every instance waits for the first to
 * finish and then finds nothing left to do. Migrations run as the role that
 * owns the tables; after every run the grants to the serving role are
 * applied again, so a table added by any migration is covered without
 * default privileges (docs/security.md, "Least privilege"). The service
 * itself only checks that the schema is current (migrate_check).
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
#define MIGRATE_NOT_OWNER	"this login does not own the tables: run " \
	"convene migrate as their owner (CONVENE_MIGRATE_DATABASE_URL)"
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

	/* PQexec below is not db_exec: BEGIN must be sent first. */
	if (db_begin(db) != 0 || db_flush(db) != 0)
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

/*
 * What the serving role may do, applied again in full after every run:
 * REVOKE ALL first, so that a privilege granted by hand or by an older
 * version (TRUNCATE, TRIGGER, REFERENCES, UPDATE on audit_log) does not
 * survive. The statements are ours and compiled in; the role name is a
 * constant, not data.
 */
static const char serve_grants[] =
    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " MIGRATE_SERVE_ROLE ";"
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "
	MIGRATE_SERVE_ROLE ";"
    "GRANT USAGE ON SCHEMA public TO " MIGRATE_SERVE_ROLE ";"
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public"
	" TO " MIGRATE_SERVE_ROLE ";"
    /* The evidence: append-only for the service as well as by trigger. */
    "REVOKE UPDATE, DELETE ON audit_log FROM " MIGRATE_SERVE_ROLE ";"
    /* The service reads the schema version; only migrate writes it. */
    "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM "
	MIGRATE_SERVE_ROLE ";"
    /* nextval needs USAGE; nothing calls setval, so no UPDATE. */
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "
	MIGRATE_SERVE_ROLE ";"
    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO "
	MIGRATE_SERVE_ROLE ";";

/*
 * The serving group role is cluster-wide and needs CREATEROLE to make; an
 * external database's DBA creates it once (docs/operations.md), and then
 * the owner needs no such right.
 */
static int
ensure_serve_role(struct db *db, char *err, size_t errlen)
{
	const char *p[1] = { MIGRATE_SERVE_ROLE };
	const char *state;
	struct db_res r;
	int n;

	if (db_exec(db, &r, "SELECT 1 FROM pg_roles WHERE rolname = $1", 1,
	    p) != 0) {
		snprintf(err, errlen, "could not read pg_roles");
		return -1;
	}
	n = db_res_rows(&r);
	db_res_free(&r);
	if (n > 0)
		return 0;
	if (db_cmd(db, "CREATE ROLE " MIGRATE_SERVE_ROLE " NOLOGIN", 0,
	    NULL) == 0) {
		log_info("migrate", "created role " MIGRATE_SERVE_ROLE);
		return 0;
	}
	state = db_last_sqlstate();
	/* The lock is per database: a migrate of another database on this
	 * cluster may have created it a moment ago. */
	if (strcmp(state, "42710") == 0 || strcmp(state, "23505") == 0)
		return 0;
	if (strcmp(state, "42501") == 0)
		snprintf(err, errlen, "role " MIGRATE_SERVE_ROLE " does not "
		    "exist and this login may not create it; as a superuser "
		    "run once: CREATE ROLE " MIGRATE_SERVE_ROLE " NOLOGIN; "
		    "GRANT " MIGRATE_SERVE_ROLE " TO <the serving login>; "
		    "(docs/operations.md)");
	else
		snprintf(err, errlen, "could not create role "
		    MIGRATE_SERVE_ROLE " (SQLSTATE %s)", state);
	return -1;
}

static int
apply_grants(struct db *db, char *err, size_t errlen)
{
	PGresult *res;
	int ok;

	/* A GRANT by anyone else only warns: say so instead. */
	if (migrate_is_owner(db) != 1) {
		snprintf(err, errlen, MIGRATE_NOT_OWNER);
		return -1;
	}
	if (ensure_serve_role(db, err, errlen) != 0)
		return -1;
	if (db_begin(db) != 0 || db_flush(db) != 0) {
		snprintf(err, errlen, "could not grant to " MIGRATE_SERVE_ROLE);
		return -1;
	}
	res = PQexec(db->conn, serve_grants);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("migrate", "grants to " MIGRATE_SERVE_ROLE
		    " failed: %s", res ? PQresultErrorMessage(res) :
		    "no result");
	PQclear(res);
	if (!ok || db_commit(db) != 0) {
		db_rollback(db);
		snprintf(err, errlen, "could not grant to " MIGRATE_SERVE_ROLE
		    " (is this login the owner of the tables?)");
		return -1;
	}
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
		if (strcmp(db_last_sqlstate(), "42501") == 0)
			snprintf(err, errlen, MIGRATE_NOT_OWNER);
		else
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
	if (apply_grants(db, err, errlen) != 0)
		goto out;
	result = count;
out:
	(void)db_cmd(db, "SELECT pg_advisory_unlock($1::bigint)", 1, lock);
	return result;
}

/* Is version among the rows of r (column 0)? */
static int
has_version(const struct db_res *r, long v)
{
	int i;

	for (i = 0; i < db_res_rows(r); i++)
		if (db_res_long(r, i, 0, -1) == v)
			return 1;
	return 0;
}

int
migrate_check(struct db *db, char *err, size_t errlen)
{
	const struct migrate_file *f;
	struct db_res r;
	int missing = 0, total = 0, result = -1;
	long v;

	db_res_init(&r);
	if (db_exec(db, &r, "SELECT to_regclass('schema_migrations') IS NULL",
	    0, NULL) != 0) {
		snprintf(err, errlen, "could not read the schema version");
		goto out;
	}
	if (db_res_bool(&r, 0, 0)) {
		snprintf(err, errlen, "the database has no Convene schema: "
		    "run convene migrate first (as the owner role, "
		    "CONVENE_MIGRATE_DATABASE_URL)");
		result = 1;
		goto out;
	}
	db_res_free(&r);
	if (db_exec(db, &r, "SELECT version FROM schema_migrations", 0,
	    NULL) != 0) {
		snprintf(err, errlen, "could not read schema_migrations");
		goto out;
	}
	for (f = migrate_files; f->name != NULL; f++) {
		if (str_to_long_n(f->name, 3, 0, 999, &v) != 0)
			continue;	/* migrate_run refuses it by name */
		total++;
		missing += !has_version(&r, v);
	}
	if (missing > 0) {
		snprintf(err, errlen, "the database schema is not current (%d "
		    "of %d migrations missing): run convene migrate first (as "
		    "the owner role, CONVENE_MIGRATE_DATABASE_URL)", missing,
		    total);
		result = 1;
		goto out;
	}
	result = 0;
out:
	db_res_free(&r);
	return result;
}

int
migrate_is_owner(struct db *db)
{
	struct db_res r;
	int yes;

	if (db_exec(db, &r, "SELECT (SELECT rolsuper FROM pg_roles WHERE "
	    "rolname = current_user) OR pg_has_role(current_user, c.relowner, "
	    "'USAGE') FROM pg_class c WHERE c.oid = 'audit_log'::regclass", 0,
	    NULL) != 0)
		return -1;
	yes = db_res_rows(&r) > 0 && db_res_bool(&r, 0, 0);
	db_res_free(&r);
	return yes;
}
