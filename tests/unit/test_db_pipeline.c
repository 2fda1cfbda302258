/*
 * Unit tests for the pipeline in server/db.c (a deferred BEGIN, db_defer,
 * db_flush), against the real PostgreSQL of CONVENE_TEST_DATABASE_URL
 * (scripts/test.sh); skipped without it. Each case works on a temporary
 * table of its own connection, so nothing is left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <cmocka.h>

#include "db.h"

#define INSERT_CONST	"INSERT INTO pipe_t (x) VALUES (-1)"
#define INSERT_PARAM	"INSERT INTO pipe_t (x) VALUES ($1::int)"

static int
setup(void **state)
{
	const char *u = getenv("CONVENE_TEST_DATABASE_URL");
	char err[256];
	struct db *db;

	*state = NULL;
	if (u == NULL || u[0] == '\0')
		return 0;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    db_open(db, u, err, sizeof(err)) != 0 ||
	    db_cmd(db, "CREATE TEMP TABLE pipe_t (x int NOT NULL CHECK "
	    "(x > 0))", 0, NULL) != 0) {
		free(db);
		return -1;
	}
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	struct db *db = *state;

	if (db != NULL) {
		db_close(db);
		free(db);
	}
	return 0;
}

static long
rows(struct db *db)
{
	struct db_res r;
	long n;

	assert_int_equal(db_exec(db, &r, "SELECT count(*) FROM pipe_t", 0,
	    NULL), 0);
	n = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	return n;
}

static void
insert(struct db *db, int x, int deferred)
{
	char v[16];
	const char *p[1] = { v };

	snprintf(v, sizeof(v), "%d", x);
	assert_int_equal(deferred ? db_defer(db, INSERT_PARAM, 1, p) :
	    db_cmd(db, INSERT_PARAM, 1, p), 0);
}

#define NEED_DB(db) do {					\
	if ((db) == NULL) {					\
		skip();						\
		return;						\
	}							\
} while (0)

/* Deferred rows are written with the next statement, which sees them. */
static void
test_deferred_seen_by_next_statement(void **state)
{
	struct db *db = *state;

	NEED_DB(db);
	assert_int_equal(db_begin(db), 0);
	insert(db, 1, 1);
	insert(db, 2, 1);
	assert_true(db->npend >= 3);	/* nothing sent yet */
	assert_int_equal(rows(db), 2);
	assert_int_equal(db->npend, 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_INTRANS);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_IDLE);
	assert_int_equal(rows(db), 2);
	assert_int_equal(db_cmd(db, "DELETE FROM pipe_t", 0, NULL), 0);
}

/* A deferred failure fails the COMMIT with its SQLSTATE, writes nothing,
 * and leaves no aborted transaction to the next borrower. */
static void
test_deferred_failure_fails_commit(void **state)
{
	struct db *db = *state;

	NEED_DB(db);
	assert_int_equal(db_begin(db), 0);
	insert(db, 3, 1);
	assert_int_equal(db_defer(db, INSERT_CONST, 0, NULL), 0);
	assert_int_equal(db_commit(db), -1);
	assert_string_equal(db_last_sqlstate(), "23514");
	assert_int_equal(db->in_tx, 0);
	assert_int_equal(db->broken, 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_IDLE);
	assert_int_equal(rows(db), 0);
}

/* A statement prepared in a pipeline that failed before it was never
 * prepared: the next use prepares it again (no "already exists"). */
static void
test_aborted_prepare_is_forgotten(void **state)
{
	struct db *db = *state;
	const char *p[1] = { "7" };
	int before;

	NEED_DB(db);
	before = db->nprep;
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_defer(db, INSERT_CONST, 0, NULL), 0);
	assert_int_equal(db_defer(db, INSERT_PARAM " RETURNING x", 1, p), 0);
	assert_int_equal(db_commit(db), -1);
	/* INSERT_CONST may have been prepared before its execution failed;
	 * the statement after it was not. */
	assert_true(db->nprep <= before + 1);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_defer(db, INSERT_PARAM " RETURNING x", 1, p), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(rows(db), 1);
	assert_int_equal(db_cmd(db, "DELETE FROM pipe_t", 0, NULL), 0);
}

/* Rollback drops what is deferred; an empty transaction commits. */
static void
test_rollback_and_empty(void **state)
{
	struct db *db = *state;

	NEED_DB(db);
	assert_int_equal(db_begin(db), 0);
	insert(db, 4, 1);
	db_rollback(db);
	assert_int_equal(db->npend, 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_IDLE);
	assert_int_equal(rows(db), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_begin(db), 0);
	db_rollback(db);
	assert_int_equal(db->in_tx, 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_IDLE);
}

/* More deferred statements than one pipeline holds: all are written. */
static void
test_longer_than_one_pipeline(void **state)
{
	struct db *db = *state;
	int i;

	NEED_DB(db);
	assert_int_equal(db_begin(db), 0);
	for (i = 1; i <= 3 * DB_PIPELINE_MAX; i++)
		insert(db, i, 1);
	assert_true(db->npend <= DB_PIPELINE_MAX);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(rows(db), 3 * DB_PIPELINE_MAX);
	assert_int_equal(db_cmd(db, "DELETE FROM pipe_t", 0, NULL), 0);
}

/* Outside a transaction db_defer runs at once; db_flush sends a pending
 * BEGIN for code that talks to libpq itself. */
static void
test_outside_and_flush(void **state)
{
	struct db *db = *state;

	NEED_DB(db);
	insert(db, 5, 1);
	assert_int_equal(db->npend, 0);
	assert_int_equal(rows(db), 1);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_IDLE);
	assert_int_equal(db_flush(db), 0);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_INTRANS);
	insert(db, 6, 0);
	db_rollback(db);
	assert_int_equal(rows(db), 1);
	assert_int_equal(db_cmd(db, "DELETE FROM pipe_t", 0, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred_seen_by_next_statement),
		cmocka_unit_test(test_deferred_failure_fails_commit),
		cmocka_unit_test(test_aborted_prepare_is_forgotten),
		cmocka_unit_test(test_rollback_and_empty),
		cmocka_unit_test(test_longer_than_one_pipeline),
		cmocka_unit_test(test_outside_and_flush),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
