"""Statistics from a real streaming replica, and the fall-back when it dies.

A primary PostgreSQL of our own (wal_level=replica, initdb's default
`host replication` trust line on 127.0.0.1) and a hot standby made from it
with `pg_basebackup -R -X stream`, both on loopback ports below 32768, run as
the postgres user. Convene gets the primary as CONVENE_DATABASE_URL and the
standby as CONVENE_STATS_DATABASE_URL.

Where statistics are read is shown by behaviour, not by counting log lines:
replay is paused on the standby, a meeting is booked through the primary, and
the dashboard JSON and the CSV must not show it (they read the standby, which
has not seen it); replay resumes, the standby catches up (its replay LSN
reaches the primary's), and both show it. The primary's statement log over a
statistics request shows no statement that reads discussions. Then the
standby is stopped: statistics still answer 200 from the primary, with the
new booking, and the service log has one warning line; /metrics reports the
replica down. Started again, the standby serves statistics again once the
retry interval (10 s) has passed.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_replica.py -v
"""

import datetime
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

STATS = "/api/v1/stats"
STATS_CSV = "/api/v1/stats.csv"
RETRY_SECONDS = 10		# DB_REPLICA_RETRY_SECONDS in include/db.h
# A statement that reads meetings or their statistics (the sign-in lookups
# of every request read api_tokens, users and teams).
STATS_SQL = re.compile(r"\b(discussions|participants|stats_\w+)\b")
# The fold protocol's statements (server/stats_fold.c): the queue look
# that takes the fold lock, and the fold itself.
FOLD_SQL = re.compile(r"SELECT (stats_fold\(|true, pg_advisory_lock\(20, 1\)"
                      r"|pg_try_advisory_lock\(20, 1\))")


class Standby(ct.Postgres):
    """A hot standby of primary, made with pg_basebackup -R."""

    def __init__(self, primary):	# pylint: disable=super-init-not-called
        self.bindir = primary.bindir
        self.root = ct.tmpdir("convene-standby-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "postgresql.log")
        self.port = None
        self.running = False
        self.as_pg = primary.as_pg
        if os.geteuid() == 0:
            os.chown(self.root, *primary._uid)
        os.chmod(self.root, 0o700)
        self._run("pg_basebackup", "-D", self.data, "-R", "-X", "stream",
                  "-c", "fast", "-h", "127.0.0.1", "-p", str(primary.port),
                  "-U", "postgres", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            # Its own socket directory; a quick status report to the
            # primary so that waiting for replay is short.
            f.write("\nunix_socket_directories = '%s'\n"
                    "hot_standby = on\n"
                    "wal_receiver_status_interval = 1s\n" % self.root)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", self.root],
                           check=True)
        import atexit
        atexit.register(self.stop)


def routes():
    out = ct.cli(None, "routes")
    return {(r["method"], r["pattern"]) for r in json.loads(out)}


def normalise(body):
    """A statistics answer without what changes from one call to the next
    by itself (the time it was made)."""
    if isinstance(body, dict):
        return {k: normalise(v) for k, v in body.items()
                if k not in ("generated_at", "as_of", "now")}
    if isinstance(body, list):
        return [normalise(v) for v in body]
    return body


class ReplicaTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        have = routes()
        cls.has_stats = ("GET", STATS) in have and ("GET", STATS_CSV) in have
        cls.primary = ct.Postgres()
        with open(os.path.join(cls.primary.data, "postgresql.conf"),
                  "a") as f:
            f.write("wal_level = replica\nmax_wal_senders = 5\n"
                    "log_line_prefix = '%m [%p] '\n")
        cls.primary.start()
        admin = cls.primary.url()
        ct.query(admin, "CREATE ROLE convene LOGIN")
        ct.query(admin, "CREATE DATABASE convene_replica OWNER convene")
        cls.url = ct.prepare_database(admin, cls.primary.url(
            "convene", "convene_replica"))
        ct.add_user(cls.url, "rep-sw", "social_worker", team="Replica Team")
        ct.add_user(cls.url, "rep-mgr", "manager", team="Replica Team")
        cls.sw = ct.token(cls.url, "rep-sw")
        cls.mgr = ct.token(cls.url, "rep-mgr")
        cls.standby = Standby(cls.primary).start()
        cls.standby_url = ct.serving_url(cls.standby.url(
            "convene", "convene_replica"))
        cls.srv = ct.Server(cls.url, env={
            "CONVENE_STATS_DATABASE_URL": cls.standby_url})
        cls.refs = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.standby.stop()
        cls.primary.stop()

    # ---- helpers ----------------------------------------------------------

    def book(self):
        ReplicaTest.refs += 1
        today = datetime.date.today().isoformat()
        body = {"case_ref": "REP-%d" % self.refs,
                "children": [{"name": "Replica Child",
                              "date_of_birth": "2017-06-07"}],
                "kind": "meeting", "reason": "Concern raised by GP",
                "concern_received_at": today + "T08:00",
                "starts_at": today + "T09:00", "duration_minutes": 30,
                "format": "phone",
                "participants": [
                    {"name": "Sam Social", "agency": "social_care",
                     "email": "sam@council.example"},
                    {"name": "PC Pat", "agency": "police",
                     "email": "pat@police.example"}],
                "missing_agency_reason": "Health did not answer in time"}
        st, _, m = self.srv.api("POST", "/api/v1/meetings", token=self.sw,
                                json=body)
        self.assertEqual(st, 201, m)
        return m

    def stats(self):
        st, _, js = self.srv.api("GET", STATS, token=self.mgr)
        self.assertEqual(st, 200, js)
        st2, h, csv = self.srv.api("GET", STATS_CSV, token=self.mgr)
        self.assertEqual(st2, 200, csv)
        self.assertTrue(h["Content-Type"].startswith("text/csv"),
                        h["Content-Type"])
        return normalise(js), csv

    def wait_replayed(self, timeout=30):
        """Until the standby has replayed everything the primary wrote."""
        want = ct.query(self.primary.url(),
                        "SELECT pg_current_wal_insert_lsn()::text")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = ct.query(self.standby.url(),
                          "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                          (want,))[0][0]
            if ok:
                return
            time.sleep(0.1)
        self.fail("the standby did not replay up to %s in %ds" %
                  (want, timeout))

    def replay(self, on):
        ct.query(self.standby.url(), "SELECT pg_wal_replay_resume()" if on
                 else "SELECT pg_wal_replay_pause()")
        want = "not paused" if on else "paused"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if ct.query(self.standby.url(),
                        "SELECT pg_get_wal_replay_pause_state()")[0][0] == \
                    want:
                return
            time.sleep(0.05)
        self.fail("replay did not become %s" % want)

    def primary_statements(self, fn):
        """Run fn with every statement logged on the primary; the
        statements logged meanwhile."""
        admin = self.primary.url()
        ct.query(admin, "ALTER SYSTEM SET log_statement = 'all'")
        ct.query(admin, "SELECT pg_reload_conf()")
        time.sleep(0.5)
        start = len(self.primary.log_text())
        try:
            fn()
        finally:
            ct.query(admin, "ALTER SYSTEM RESET log_statement")
            ct.query(admin, "SELECT pg_reload_conf()")
        # One entry per log_line_prefix ('%m [%p] '), so statements that
        # span lines stay whole. Simple queries log as "statement:",
        # parameterised ones (all of Convene's) as "execute <unnamed>:".
        entries = re.split(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ "
                           r"\S+ \[\d+\] ",
                           self.primary.log_text()[start:])
        out = []
        for e in entries:
            m = re.match(r"LOG:  (?:statement|execute [^:]*): (.*)", e,
                         re.S)
            if m:
                out.append(m.group(1))
        return out

    # ---- tests ------------------------------------------------------------

    def test_1_standby_is_real(self):
        """The standby is in recovery, streams from the primary, and
        /metrics reports it up with a replay age."""
        self.assertTrue(ct.query(self.standby.url(),
                                 "SELECT pg_is_in_recovery()")[0][0])
        self.assertEqual(ct.query(
            self.primary.url(), "SELECT count(*) FROM pg_stat_replication "
            "WHERE state = 'streaming'")[0][0], 1)
        self.book()
        self.wait_replayed()
        self.assertEqual(ct.query(self.standby.url("convene",
                                                   "convene_replica"),
                                  "SELECT count(*) FROM discussions")[0][0],
                         ct.query(self.url,
                                  "SELECT count(*) FROM discussions")[0][0])
        st, _, text = self.srv.api("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertIn("\nconvene_stats_replica_up 1\n", text)
        self.assertIn("\nconvene_stats_replica_in_recovery 1\n", text)
        self.assertRegex(text, r"\nconvene_stats_replica_replay_age_seconds "
                         r"[0-9.e+-]+\n")
        self.assertIn('convene_db_pool_size{pool="stats"} 12', text)

    def test_2_statistics_read_from_the_standby(self):
        if not self.has_stats:
            self.skipTest("GET %s and %s are not built yet (statistics "
                          "issue); the replica harness above runs" %
                          (STATS, STATS_CSV))
        self.wait_replayed()
        before_js, before_csv = self.stats()
        self.replay(False)
        try:
            self.book()
            # The primary has it; the paused standby does not, and neither
            # do the statistics: they come from the standby.
            paused_js, paused_csv = self.stats()
            self.assertEqual(paused_js, before_js)
            self.assertEqual(paused_csv, before_csv)
        finally:
            self.replay(True)
        self.wait_replayed()
        after_js, after_csv = self.stats()
        self.assertNotEqual(after_js, before_js)
        self.assertNotEqual(after_csv, before_csv)
        self.assertGreater(len(after_csv.splitlines()) + len(after_csv),
                           len(before_csv.splitlines()))

        # The primary sees the request's sign-in lookups, never a
        # statistics query over discussions.
        stmts = self.primary_statements(self.stats)
        # The log did capture the request: its token lookups are there.
        self.assertTrue(any("api_tokens" in s for s in stmts), stmts)
        # Folding the statistics queue is a write, so it runs on the
        # primary (a read folds what is queued, and so does the server's
        # folding thread), as does its look for queued work under the
        # fold's lock; no report query does.
        reads = [s for s in stmts if STATS_SQL.search(s) and
                 not FOLD_SQL.match(s)]
        self.assertEqual(reads, [], "statistics SQL on the primary")
        sys.stderr.write("\nprimary saw %d statements during statistics "
                         "requests, none of them statistics\n" % len(stmts))
        self.assertNotIn("warning", self.srv.log_text())

    def test_3_standby_down_falls_back_to_the_primary(self):
        self.wait_replayed()
        self.standby.stop()
        try:
            st, _, text = self.srv.api("GET", "/metrics")
            self.assertEqual(st, 200)
            self.assertIn("\nconvene_stats_replica_up 0\n", text)
            if not self.has_stats:
                self.skipTest("GET %s is not built yet: fall-back checked "
                              "through /metrics only" % STATS)
            m_js, m_csv = self.stats()
            # The control for the check in test 2: now the primary does
            # see the statistics queries.
            stmts = self.primary_statements(self.stats)
            self.assertTrue([s for s in stmts if STATS_SQL.search(s)],
                            stmts)
            self.book()
            # Straight from the primary: the new booking shows at once.
            js, csv = self.stats()
            self.assertNotEqual(js, m_js)
            self.assertNotEqual(csv, m_csv)
            warnings = [json.loads(line) for line in
                        self.srv.log_text().splitlines()
                        if '"level":"warning"' in line]
            self.assertEqual(len(warnings), 1, warnings)
            self.assertEqual(warnings[0]["module"], "db")
            self.assertIn("replica unavailable", warnings[0]["msg"])
            # Still answered during the whole outage: more calls, no more
            # warnings (at most one a minute).
            for _ in range(3):
                self.stats()
            self.assertEqual(self.srv.log_text().count('"level":"warning"'),
                             1)
        finally:
            self.standby.start()
        # Back: after the retry interval, statistics read the standby
        # again (paused replay hides a new booking).
        self.wait_replayed()
        time.sleep(RETRY_SECONDS + 1)
        base_js, _ = self.stats()
        self.replay(False)
        try:
            self.book()
            js, _ = self.stats()
            self.assertEqual(js, base_js)
        finally:
            self.replay(True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
