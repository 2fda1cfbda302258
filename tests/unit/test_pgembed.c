/*
 * Unit tests for server/pgembed.c against real PostgreSQL server programs:
 * a cluster is created in a temporary directory, a row written through
 * libpq survives a stop and a start, a second starter reuses the running
 * server without owning it, and bad data directories fail with a clear line.
 * Skipped only when no PostgreSQL server programs are installed. Temporary
 * directories go under $TMPDIR (scripts/test.sh points it at a directory it
 * sweeps for stray servers).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "migrate.h"
#include "pgembed.h"

struct fixture {
	char		 root[PATH_MAX];	/* mkdtemp directory */
	char		 data[PATH_MAX];	/* root/data */
	struct pgembed	 pg;
	struct pgembed	 pg2;
};

static int
have_file(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Same search order as pgembed: /usr/lib/postgresql/<v>/bin, then PATH. */
static int
have_pg_server(void)
{
	char path[PATH_MAX], dir[PATH_MAX];
	const char *env, *p, *e;
	struct dirent *de;
	DIR *d;
	int found = 0;

	if ((d = opendir("/usr/lib/postgresql")) != NULL) {
		while (!found && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path),
			    "/usr/lib/postgresql/%s/bin/pg_ctl",
			    de->d_name) < (int)sizeof(path) &&
			    have_file(path))
				found = 1;
		}
		closedir(d);
	}
	if (found || (env = getenv("PATH")) == NULL)
		return found;
	for (p = env; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		if (snprintf(dir, sizeof(dir), "%.*s", (int)(e - p), p) <
		    (int)sizeof(dir) &&
		    snprintf(path, sizeof(path), "%s/pg_ctl", dir) <
		    (int)sizeof(path) && have_file(path) && dir[0] == '/')
			return 1;
	}
	return 0;
}

/* rm -rf, not following symlinks. */
static void
rm_rf(const char *path)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(child, sizeof(child), "%s/%s", path,
			    de->d_name) < (int)sizeof(child))
				rm_rf(child);
		}
		closedir(d);
		(void)rmdir(path);
	} else
		(void)unlink(path);
}

static int
setup(void **state)
{
	struct fixture *f;
	const char *tmp;

	if (!have_pg_server()) {
		print_message("no PostgreSQL server programs; skipping\n");
		*state = NULL;
		return 0;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] != '/')
		tmp = "/tmp";
	if (snprintf(f->root, sizeof(f->root), "%s/pgembed-XXXXXX", tmp) >=
	    (int)sizeof(f->root) || mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	/* As root, the server runs as postgres, which must pass through. */
	if (geteuid() == 0 && chmod(f->root, 0711) == -1) {
		rm_rf(f->root);
		free(f);
		return -1;
	}
	if (snprintf(f->data, sizeof(f->data), "%s/data", f->root) >=
	    (int)sizeof(f->data)) {
		rm_rf(f->root);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f == NULL)
		return 0;
	/* Whatever failed, leave no server running. */
	pgembed_stop(&f->pg2);
	pgembed_stop(&f->pg);
	rm_rf(f->root);
	free(f);
	return 0;
}

#define SKIP_WITHOUT_SERVER(f) do {					\
	if ((f) == NULL)						\
		skip();							\
} while (0)

/* Run one statement, return the first value (copied) or "" for none. */
static void
query1(const char *conninfo, const char *sql, char *out, size_t outlen)
{
	PGconn *c;
	PGresult *r;

	out[0] = '\0';
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		print_error("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		fail();
	}
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
	    PQnfields(r) > 0)
		assert_true(snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0)) <
		    (int)outlen);
	PQclear(r);
	PQfinish(c);
}

static int
file_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    (int)sizeof(path));
	return stat(path, &st) == 0;
}

static void
test_data_survives_restart(void **state)
{
	struct fixture *f = *state;
	char err[512], v[256];

	SKIP_WITHOUT_SERVER(f);
	err[0] = '\0';
	if (pgembed_start(&f->pg, f->data, err, sizeof(err)) != 0)
		fail_msg("pgembed_start: %s", err);
	assert_int_equal(f->pg.started, 1);
	assert_non_null(strstr(f->pg.data_dir, "/data/pg"));
	assert_non_null(strstr(f->pg.sock_dir, "/data/pg-socket"));
	assert_true(file_exists(f->pg.sock_dir, ".s.PGSQL.5432"));
	assert_true(file_exists(f->data, "pg.log"));

	query1(f->pg.conninfo, "SELECT current_database()", v, sizeof(v));
	assert_string_equal(v, PGEMBED_DBNAME);
	/* Unix socket only: no TCP listener. */
	query1(f->pg.conninfo, "SHOW listen_addresses", v, sizeof(v));
	assert_string_equal(v, "");
	query1(f->pg.conninfo, "SELECT pg_encoding_to_char(encoding) FROM "
	    "pg_database WHERE datname = current_database()", v, sizeof(v));
	assert_string_equal(v, "UTF8");
	/* Two logins, neither a superuser: the owner makes tables, the
	 * serving login (docs/security.md, "Least privilege") may not. */
	query1(f->pg.conninfo, "SELECT current_user || ' ' || rolsuper || ' ' "
	    "|| pg_has_role('" MIGRATE_SERVE_ROLE "', 'MEMBER') FROM pg_roles "
	    "WHERE rolname = current_user", v, sizeof(v));
	assert_string_equal(v, PGEMBED_SERVE " false true");
	query1(f->pg.owner_conninfo, "SELECT current_user || ' ' || rolsuper "
	    "FROM pg_roles WHERE rolname = current_user", v, sizeof(v));
	assert_string_equal(v, PGEMBED_OWNER " false");
	query1(f->pg.conninfo, "SELECT has_schema_privilege('public', "
	    "'CREATE')", v, sizeof(v));
	assert_string_equal(v, "f");
	query1(f->pg.owner_conninfo, "CREATE TABLE kept (v text NOT NULL)", v,
	    sizeof(v));
	query1(f->pg.owner_conninfo, "INSERT INTO kept VALUES "
	    "('survives restart')", v, sizeof(v));

	pgembed_stop(&f->pg);
	assert_int_equal(f->pg.started, 0);
	assert_false(file_exists(f->pg.data_dir, "postmaster.pid"));
	pgembed_stop(&f->pg);	/* idempotent */

	if (pgembed_start(&f->pg, f->data, err, sizeof(err)) != 0)
		fail_msg("pgembed_start again: %s", err);
	assert_int_equal(f->pg.started, 1);
	query1(f->pg.owner_conninfo, "SELECT v FROM kept", v, sizeof(v));
	assert_string_equal(v, "survives restart");
	pgembed_stop(&f->pg);
	assert_false(file_exists(f->pg.data_dir, "postmaster.pid"));
}

static void
test_running_server_is_reused_not_owned(void **state)
{
	struct fixture *f = *state;
	char err[512], v[256];

	SKIP_WITHOUT_SERVER(f);
	if (pgembed_start(&f->pg, f->data, err, sizeof(err)) != 0)
		fail_msg("pgembed_start: %s", err);
	assert_int_equal(f->pg.started, 1);
	if (pgembed_start(&f->pg2, f->data, err, sizeof(err)) != 0)
		fail_msg("second pgembed_start: %s", err);
	assert_int_equal(f->pg2.started, 0);
	assert_string_equal(f->pg.conninfo, f->pg2.conninfo);

	/* The second one did not start it, so it must not stop it. */
	pgembed_stop(&f->pg2);
	query1(f->pg.conninfo, "SELECT 42", v, sizeof(v));
	assert_string_equal(v, "42");
	pgembed_stop(&f->pg);
	assert_false(file_exists(f->pg.data_dir, "postmaster.pid"));
}

static void
test_bad_data_dirs_fail_clearly(void **state)
{
	struct fixture *f = *state;
	char err[512], dir[PATH_MAX], path[PATH_MAX + 32];
	int fd;

	SKIP_WITHOUT_SERVER(f);

	/* A quote would break pg_ctl's shell command line. */
	assert_true(snprintf(dir, sizeof(dir), "%s/it's", f->root) <
	    (int)sizeof(dir));
	err[0] = '\0';
	assert_int_equal(pgembed_start(&f->pg, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quote"));
	assert_int_equal(f->pg.started, 0);
	assert_string_equal(f->pg.conninfo, "");

	/* pg/ with files but no cluster: refuse rather than initdb over it. */
	assert_true(snprintf(dir, sizeof(dir), "%s/junk", f->root) <
	    (int)sizeof(dir));
	assert_int_equal(mkdir(dir, 0711), 0);
	assert_true(snprintf(path, sizeof(path), "%s/pg", dir) <
	    (int)sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(snprintf(path, sizeof(path), "%s/pg/stray", dir) <
	    (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	err[0] = '\0';
	assert_int_equal(pgembed_start(&f->pg, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "PG_VERSION"));
	assert_null(strchr(err, '\n'));

	/* Longer than a Unix socket path can be. */
	assert_true(snprintf(dir, sizeof(dir), "%s/%0100d", f->root, 0) <
	    (int)sizeof(dir));
	err[0] = '\0';
	assert_int_equal(pgembed_start(&f->pg, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "socket"));

	/* No directory at all. */
	err[0] = '\0';
	assert_int_equal(pgembed_start(&f->pg, "", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');

	/* Stopping what never started is harmless, NULL included. */
	pgembed_stop(&f->pg);
	pgembed_stop(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_data_survives_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_running_server_is_reused_not_owned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_data_dirs_fail_clearly,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("pgembed", tests, NULL, NULL);
}
