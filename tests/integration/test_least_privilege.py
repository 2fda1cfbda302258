"""Least privilege (issue 14, section 3; docs/security.md "Least privilege").

`convene migrate` runs as the owner of the tables and grants the group role
convene_serve DML only (SELECT and INSERT on audit_log); `serve` runs as a
login in that role, checks the schema is current and runs no DDL. Proved
here on real PostgreSQL:
  - the main flows work as the serving login (a booking, attendance, the
    record, statistics, a retention run, sign-in), and the server's own
    connections are that login, not the owner;
  - connected as the serving login, UPDATE/DELETE/TRUNCATE on audit_log,
    TRUNCATE on discussions, ALTER TABLE audit_log DISABLE TRIGGER ALL,
    CREATE TABLE and DROP TABLE are refused with SQLSTATE 42501;
  - migrate applies the grants again every run (a privilege given by hand
    does not survive), and says what a DBA must run when it may not create
    the role;
  - serve refuses an unmigrated database with one clear line;
  - the embedded launcher serves as a login that is not a superuser.
(The whole suite's servers run as the serving login too: convene_test.)

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_least_privilege.py -v
"""

import json
import os
import subprocess
import sys
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase  # noqa: E402

REFUSED = (
    "UPDATE audit_log SET action = 'x'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "TRUNCATE discussions",
    "TRUNCATE discussions, participants, cases, children CASCADE",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    "CREATE TABLE lp_new (a int)",
    "DROP TABLE audit_log",
    "DROP TABLE discussions",
    "DROP FUNCTION audit_log_refuse() CASCADE",
    "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "INSERT INTO schema_migrations (version, name) VALUES (999, 'x')",
    "SELECT setval('audit_log_id_seq', 1)",
)


def sqlstate(url, sql):
    """The SQLSTATE of running sql in a transaction rolled back; None when
    it succeeded."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute(sql)
            except psycopg2.Error as e:
                return e.pgcode
            return None
    finally:
        conn.rollback()
        conn.close()


class LeastPrivilegeTest(RecordCase):
    DB = "convene_it_least_privilege"
    PREFIX = "LP"

    def test_1_serving_login_is_not_the_owner(self):
        self.assertNotEqual(self.db, ct.owner_url(self.db))
        who = ct.query(self.db, "SELECT current_user, rolsuper, "
                       "pg_has_role(current_user, 'convene_serve', 'MEMBER')"
                       " FROM pg_roles WHERE rolname = current_user")
        self.assertEqual(who, [(ct.SERVE_USER, False, True)])
        # Every connection the server holds is the serving login (seen by
        # the superuser: the change listener waits after its LISTEN).
        admin = ct._with_dbname(os.environ["CONVENE_TEST_PG_ADMIN_URL"],
                                self.DB)
        rows = ct.query(admin, "SELECT usename, bool_or(query LIKE "
                        "'LISTEN%%') FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid() AND "
                        "backend_type = 'client backend' GROUP BY 1")
        ct._forget(admin)
        self.assertEqual(rows, [(ct.SERVE_USER, True)])
        # What the role was given, from the catalogue: DML, and on
        # audit_log SELECT and INSERT only; nothing owned.
        got = dict(ct.query(self.db, "SELECT table_name, string_agg("
                            "privilege_type, ',' ORDER BY privilege_type) "
                            "FROM information_schema.role_table_grants "
                            "WHERE grantee = 'convene_serve' GROUP BY 1"))
        self.assertEqual(got["audit_log"], "INSERT,SELECT")
        self.assertEqual(got["schema_migrations"], "SELECT")
        self.assertEqual(got["discussions"], "DELETE,INSERT,SELECT,UPDATE")
        self.assertEqual(set(got.values()) - {
            "INSERT,SELECT", "SELECT", "DELETE,INSERT,SELECT,UPDATE"}, set())
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM pg_class c "
                                  "JOIN pg_namespace n ON n.oid = "
                                  "c.relnamespace WHERE n.nspname = 'public'"
                                  " AND pg_has_role(current_user, "
                                  "c.relowner, 'USAGE')"), [(0,)])

    def test_2_main_flows_work_as_the_serving_login(self):
        m = self.held()
        self.record_ok(m["id"], self.record_body(m))
        st, _, stats = self.call("GET", "/api/v1/stats", self.mgr)
        self.assertEqual(st, 200, stats)
        out = ct.cli(self.db, "retention", "run", data_dir=self.srv.data_dir)
        self.assertIn("mail_bodies", json.loads(out.strip().splitlines()[-1]))
        pw = ct.add_user(self.db, "lp-web", "social_worker", team="LP Team")
        self.assertTrue(ct.sign_in(self.srv.base, "lp-web", pw))
        actions = [a for a, in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = "
            "'discussion' AND entity_id = %s ORDER BY id", (m["id"],))]
        self.assertIn("meeting.create", actions)
        self.assertGreater(len(actions), 2)

    def test_3_serving_login_cannot_touch_the_evidence(self):
        before = ct.query(self.db, "SELECT count(*) FROM audit_log")
        self.assertGreater(before[0][0], 0)
        for sql in REFUSED:
            with self.subTest(sql=sql):
                self.assertEqual(sqlstate(self.db, sql), "42501")
        # The trigger is still enabled and nothing changed.
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM pg_trigger "
                                  "WHERE tgrelid = 'audit_log'::regclass AND "
                                  "tgenabled = 'O' AND NOT tgisinternal"),
                         [(2,)])
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM audit_log"),
                         before)
        # What the service needs still works for it.
        self.assertIsNone(sqlstate(self.db, "INSERT INTO audit_log (action, "
                                   "entity) VALUES ('lp.probe', 'probe')"))

    def test_4_migrate_applies_the_grants_again(self):
        owner = ct.owner_url(self.db)
        ct.query(owner, "GRANT TRUNCATE, TRIGGER, UPDATE ON audit_log TO "
                 "convene_serve")
        self.assertEqual(sqlstate(self.db, "TRUNCATE discussions"), "42501")
        self.assertNotEqual(sqlstate(self.db, "UPDATE audit_log SET "
                                     "action = 'x'"), "42501")
        self.assertEqual(ct.cli(owner, "migrate").strip(),
                         "database is up to date")
        for sql in ("UPDATE audit_log SET action = 'x'", "TRUNCATE audit_log"):
            self.assertEqual(sqlstate(self.db, sql), "42501", sql)
        # The serving login cannot migrate: it does not own the tables.
        p = ct.run_cli(self.db, "migrate")
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not own the tables", p.stderr)


class UnmigratedTest(unittest.TestCase):
    def test_serve_refuses_an_unmigrated_database(self):
        owner = ct.fresh_database("convene_it_lp_empty", migrate=False)
        for url in (owner, ct.serving_url(owner)):
            srv = ct.Server(url, start=False)
            srv.spawn()
            rc = srv.proc.wait(60)
            srv.proc = None
            self.assertEqual(rc, 1)
            last = srv.log_text().strip().splitlines()[-1]
            self.assertTrue(last.startswith("convene: "), last)
            self.assertIn("run convene migrate", last)
        self.assertEqual(ct.query(owner, "SELECT to_regclass("
                                  "'schema_migrations') IS NULL"), [(True,)])
        # Other commands too (they are operator tools on the same URL).
        p = ct.run_cli(ct.serving_url(owner), "user", "add", "x",
                       "--role", "admin")
        self.assertEqual(p.returncode, 1)
        self.assertIn("run convene migrate", p.stderr)

    def test_migrate_says_what_the_dba_runs(self):
        pg = ct.Postgres().start()
        try:
            ct.query(pg.url(), "CREATE ROLE lp_owner LOGIN NOCREATEROLE")
            ct.query(pg.url(), "CREATE DATABASE lp OWNER lp_owner")
            owner = pg.url("lp_owner", "lp")
            p = ct.run_cli(owner, "migrate")
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("CREATE ROLE convene_serve NOLOGIN", p.stderr)
            ct.make_roles(pg.url())
            self.assertEqual(ct.cli(owner, "migrate").strip(),
                             "database is up to date")
            # A migrate URL alone is for migrate only: serve (or any
            # other command) would fall back to the embedded database.
            p = ct.run_cli(None, "user", "add", "x", "--role", "admin",
                           env={"CONVENE_MIGRATE_DATABASE_URL": owner})
            self.assertEqual(p.returncode, 1)
            self.assertIn("CONVENE_DATABASE_URL is not", p.stderr)
            # A migrate URL beside the serving URL: migrate uses the first.
            self.assertEqual(ct.cli(
                ct.serving_url(owner), "migrate", env={
                    "CONVENE_MIGRATE_DATABASE_URL": owner}).strip(),
                "database is up to date")
            with ct.Server(ct.serving_url(owner)) as srv:
                st, _, _ = srv.api("GET", "/healthz")
                self.assertEqual(st, 200)
                self.assertNotIn("owns the tables", srv.log_text())
            # Served as the owner, it works but says so in the log.
            with ct.Server(owner) as srv:
                self.assertIn("owns the tables", srv.log_text())
        finally:
            pg.stop()


class EmbeddedTest(unittest.TestCase):
    def test_embedded_serves_as_a_login_that_is_not_superuser(self):
        data = ct.tmpdir("convene-lp-embedded-")
        with ct.Server(None, data_dir=data) as srv:
            sock = os.path.join(os.path.realpath(data), "pg-socket")
            admin = "host=%s dbname=postgres user=postgres" % sock
            rows = ct.query(admin, "SELECT DISTINCT a.usename, r.rolsuper, "
                            "pg_has_role(a.usename, 'convene_serve', "
                            "'MEMBER') FROM pg_stat_activity a JOIN pg_roles "
                            "r ON r.rolname = a.usename WHERE a.datname = "
                            "'convene' AND a.backend_type = "
                            "'client backend' AND a.pid <> pg_backend_pid()")
            self.assertEqual(rows, [("convene", False, True)])
            owner = ct.query(admin, "SELECT pg_get_userbyid(datdba) FROM "
                             "pg_database WHERE datname = 'convene'")
            self.assertEqual(owner, [("convene_owner",)])
            serve = "host=%s dbname=convene user=convene" % sock
            for sql in ("TRUNCATE audit_log",
                        "ALTER TABLE audit_log DISABLE TRIGGER ALL"):
                self.assertEqual(sqlstate(serve, sql), "42501", sql)
            st, _, _ = srv.api("GET", "/healthz")
            self.assertEqual(st, 200)
            ct._forget(admin)
            ct._forget(serve)

    def test_older_cluster_owned_by_the_superuser_keeps_working(self):
        # A ./var made before the split: tables owned by postgres. The
        # launcher migrates as that owner and serves as the serving login.
        data = ct.tmpdir("convene-lp-old-")
        with ct.Server(None, data_dir=data):
            pass
        sock = os.path.join(os.path.realpath(data), "pg-socket")
        subprocess.run(_as_postgres() + [
            os.path.join(ct.pg_bindir(), "pg_ctl"), "start", "-w", "-s",
            "-D", os.path.join(data, "pg"), "-l",
            os.path.join(data, "pg.log")], check=True)
        try:
            db = "host=%s dbname=convene user=postgres" % sock
            tables = [t for t, in ct.query(
                db, "SELECT tablename FROM pg_tables WHERE schemaname = "
                "'public'")]
            for t in tables:
                ct.query(db, 'ALTER TABLE "%s" OWNER TO postgres' %
                         t.replace('"', '""'))
            ct.query(db, "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "
                     "convene_serve")
            ct._forget(db)
        finally:
            subprocess.run(_as_postgres() + [
                os.path.join(ct.pg_bindir(), "pg_ctl"), "stop", "-w", "-s",
                "-m", "fast", "-D", os.path.join(data, "pg")], check=True)
        with ct.Server(None, data_dir=data) as srv:
            st, _, _ = srv.api("GET", "/healthz")
            self.assertEqual(st, 200)
            serve = "host=%s dbname=convene user=convene" % sock
            self.assertEqual(ct.query(serve, "SELECT count(*) > 0 FROM "
                                      "agencies"), [(True,)])
            self.assertEqual(sqlstate(serve, "TRUNCATE audit_log"), "42501")
            ct._forget(serve)


def _as_postgres():
    """The prefix that runs a PostgreSQL program as postgres when root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


if __name__ == "__main__":
    unittest.main(verbosity=2)
