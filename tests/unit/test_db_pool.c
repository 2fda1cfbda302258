/*
 * Unit tests for the pool figures and the statistics fall-back in
 * server/db.c, against the real PostgreSQL of CONVENE_TEST_DATABASE_URL
 * (scripts/test.sh); the cases that need it are skipped without it. The
 * "replica" that is down is a loopback port nothing listens on, so its
 * connects are refused at once. The streaming-replica case (a standby that
 * stops under a running service) is tests/integration/test_replica.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"

/* Nothing listens on port 1 of loopback: connection refused at once. */
#define DEAD_URL	"postgresql://convene@127.0.0.1:1/none?connect_timeout=2"

static const char *
test_url(void)
{
	const char *u = getenv("CONVENE_TEST_DATABASE_URL");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* Run fn with stderr sent to a temporary file; the count of lines in it
 * that contain needle. */
static int
count_stderr(void (*fn)(void *), void *arg, const char *needle)
{
	char path[] = "/tmp/convene-test-db-pool-XXXXXX", line[1024];
	int fd, saved, n = 0;
	FILE *f;

	fflush(stderr);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_true((saved = dup(2)) >= 0);
	assert_true(dup2(fd, 2) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	close(fd);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	unlink(path);
	return n;
}

static void
test_figures_without_server(void **state)
{
	struct db_pool *p;

	(void)state;
	assert_int_equal(db_pool_in_use(NULL), 0);
	assert_int_equal(db_pool_size(NULL), 0);
	assert_non_null(p = db_pool_new(DEAD_URL, 3));
	assert_int_equal(db_pool_size(p), 3);
	assert_int_equal(db_pool_in_use(p), 0);
	/* A failed connect gives its slot back. */
	assert_null(db_pool_get(p, 100));
	assert_int_equal(db_pool_in_use(p), 0);
	db_pool_free(p);
}

static void
test_in_use_counts_borrowed(void **state)
{
	struct db_pool *p;
	struct db *a, *b;

	(void)state;
	if (test_url() == NULL)
		skip();
	assert_non_null(p = db_pool_new(test_url(), 2));
	assert_non_null(a = db_pool_get(p, 1000));
	assert_int_equal(db_pool_in_use(p), 1);
	assert_non_null(b = db_pool_get(p, 1000));
	assert_int_equal(db_pool_in_use(p), 2);
	/* Exhausted: waits its timeout, then NULL. */
	assert_null(db_pool_get(p, 50));
	db_pool_put(p, a);
	assert_int_equal(db_pool_in_use(p), 1);
	db_pool_put(p, b);
	assert_int_equal(db_pool_in_use(p), 0);
	db_pool_free(p);
}

struct fb {
	struct db_pool	*replica, *primary, *owner;
	struct db	*db;
	int		 calls;
};

static void
borrow_n(void *arg)
{
	struct fb *f = arg;
	int i;

	for (i = 0; i < f->calls; i++) {
		f->owner = NULL;
		f->db = db_pool_get_fallback(f->replica, f->primary, 1000,
		    &f->owner);
		assert_non_null(f->db);
		assert_ptr_equal(f->owner, f->primary);
		assert_int_equal(db_cmd(f->db, "SELECT 1", 0, NULL), 0);
		db_pool_put(f->owner, f->db);
	}
}

static void
test_fallback_to_primary_warns_once(void **state)
{
	struct fb f;

	(void)state;
	if (test_url() == NULL)
		skip();
	memset(&f, 0, sizeof(f));
	assert_non_null(f.replica = db_pool_new(DEAD_URL, 2));
	assert_non_null(f.primary = db_pool_new(test_url(), 2));
	f.calls = 5;
	/* Five reads while the replica is down: all from the primary, one
	 * warning, and one failed connect (the replica is then left alone for
	 * DB_REPLICA_RETRY_SECONDS). */
	assert_int_equal(count_stderr(borrow_n, &f,
	    "\"level\":\"warning\",\"module\":\"db\",\"msg\":\"statistics "
	    "replica unavailable"), 1);
	f.calls = 3;
	assert_int_equal(count_stderr(borrow_n, &f, "connect failed"), 0);
	assert_int_equal(db_pool_in_use(f.replica), 0);
	assert_int_equal(db_pool_in_use(f.primary), 0);
	db_pool_free(f.replica);
	db_pool_free(f.primary);
}

static void
test_replica_preferred_when_up(void **state)
{
	struct db_pool *replica, *primary, *owner = NULL;
	struct db *db;

	(void)state;
	if (test_url() == NULL)
		skip();
	assert_non_null(replica = db_pool_new(test_url(), 1));
	assert_non_null(primary = db_pool_new(test_url(), 1));
	assert_non_null(db = db_pool_get_fallback(replica, primary, 1000,
	    &owner));
	assert_ptr_equal(owner, replica);
	assert_int_equal(db_pool_in_use(replica), 1);
	/* The replica pool is busy, not down: this read goes to the primary
	 * and the next one to the replica again. */
	{
		struct db_pool *o2 = NULL;
		struct db *d2 = db_pool_get_fallback(replica, primary, 50, &o2);

		assert_non_null(d2);
		assert_ptr_equal(o2, primary);
		db_pool_put(o2, d2);
	}
	db_pool_put(owner, db);
	owner = NULL;
	assert_non_null(db = db_pool_get_fallback(replica, primary, 1000,
	    &owner));
	assert_ptr_equal(owner, replica);
	db_pool_put(owner, db);
	/* No replica configured: the primary, without a warning. */
	owner = NULL;
	assert_non_null(db = db_pool_get_fallback(NULL, primary, 1000, &owner));
	assert_ptr_equal(owner, primary);
	db_pool_put(owner, db);
	db_pool_free(replica);
	db_pool_free(primary);
}

static void
test_everything_down_is_null(void **state)
{
	struct db_pool *replica, *primary, *owner = NULL;

	(void)state;
	assert_non_null(replica = db_pool_new(DEAD_URL, 1));
	assert_non_null(primary = db_pool_new(DEAD_URL, 1));
	assert_null(db_pool_get_fallback(replica, primary, 100, &owner));
	assert_null(owner);
	/* No primary given: NULL, for a caller that holds one already. */
	owner = primary;
	assert_null(db_pool_get_fallback(replica, NULL, 100, &owner));
	assert_null(owner);
	assert_int_equal(db_pool_in_use(replica), 0);
	assert_int_equal(db_pool_in_use(primary), 0);
	db_pool_free(replica);
	db_pool_free(primary);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures_without_server),
		cmocka_unit_test(test_in_use_counts_borrowed),
		cmocka_unit_test(test_fallback_to_primary_warns_once),
		cmocka_unit_test(test_replica_preferred_when_up),
		cmocka_unit_test(test_everything_down_is_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
