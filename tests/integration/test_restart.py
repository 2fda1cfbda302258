"""Restarts: nothing acknowledged is ever lost.

- a server stopped with SIGTERM (and one killed with SIGKILL) and started
  again on the same database still has every meeting it acknowledged;
- /healthz answers 503 while the database is down and 200 once it is back,
  and requests in between get 503, not a half-done write;
- the embedded default (`serve --data-dir DIR`, no URL): PostgreSQL is
  created under DIR/pg, run as `postgres` when we are root, stopped with the
  service (no postgres process left for DIR), and its data survives.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_restart.py -v
"""

import os
import pwd
import subprocess
import sys
import time
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402


def meeting_body(case_ref, participants):
    return {"case_ref": case_ref,
            "children": [{"name": "Rene Restart",
                          "date_of_birth": "2017-09-09"}],
            "kind": "discussion", "reason": "Concern raised by GP",
            "concern_received_at": "2026-12-01T09:00",
            "starts_at": "2026-12-01T14:00", "duration_minutes": 30,
            "format": "phone", "participants": participants}


PEOPLE = [{"name": "Sue Social", "agency": "social_care",
           "email": "sue@council.example"},
          {"name": "PC Rob", "agency": "police",
           "email": "rob@police.example"},
          {"name": "Dr Hal", "agency": "health", "email": "hal@nhs.example"}]


def postgres_processes(data_dir):
    """Pids of processes whose command line names data_dir/pg."""
    target = os.path.realpath(data_dir) + "/pg"
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.decode(errors="replace").rstrip("/") == target
               for a in argv) and b"postgres" in argv[0]:
            pids.append(int(pid))
    return pids


class RestartTest(unittest.TestCase):
    maxDiff = None

    def book(self, srv, tok, case_ref):
        st, h, m = srv.api("POST", "/api/v1/meetings", token=tok,
                           json=meeting_body(case_ref, PEOPLE))
        self.assertEqual(st, 201, m)
        return m

    def test_stop_and_start_on_the_same_database(self):
        db = ct.fresh_database("convene_it_restart")
        ct.add_user(db, "rs-sw", "social_worker", team="Restart Team")
        tok = ct.token(db, "rs-sw")
        srv = ct.Server(db)
        m1 = self.book(srv, tok, "RS-1")
        st, _, m1 = srv.api("PATCH", "/api/v1/meetings/%d" % m1["id"],
                            token=tok, json={"location": "Room 1"})
        self.assertEqual(st, 200, m1)
        srv.stop()
        self.assertFalse(srv.running)
        st = None
        try:
            st, _, _ = ct.api("GET", srv.base, "/healthz", timeout=2)
        except OSError:
            pass
        self.assertIsNone(st, "the stopped server still answers")

        srv = ct.Server(db)
        st, _, got = srv.api("GET", "/api/v1/meetings/%d" % m1["id"],
                             token=tok)
        self.assertEqual(st, 200, got)
        self.assertEqual(got, m1)
        self.assertEqual(got["location"], "Room 1")
        # A new place alone keeps SEQUENCE 0 (issue 15).
        self.assertEqual(got["sequence"], 0)
        # Booked just before a SIGKILL: acknowledged, so kept.
        m2 = self.book(srv, tok, "RS-2")
        srv.kill()
        srv = ct.Server(db)
        st, _, lst = srv.api("GET", "/api/v1/meetings", token=tok)
        self.assertEqual(st, 200)
        self.assertEqual([x["id"] for x in lst["meetings"]],
                         [m2["id"], m1["id"]])
        st, _, got = srv.api("GET", "/api/v1/meetings/%d" % m2["id"],
                             token=tok)
        self.assertEqual(got, m2)
        # Migrations ran once each, however many starts.
        self.assertEqual(ct.query(db, "SELECT count(*) = count(DISTINCT "
                                  "version) FROM schema_migrations"),
                         [(True,)])
        srv.stop()

    def test_healthz_when_the_database_stops(self):
        pg = ct.Postgres().start()
        admin = psycopg2.connect(pg.url())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("CREATE ROLE convene LOGIN")
            cur.execute("CREATE DATABASE convene OWNER convene")
        admin.close()
        db = ct.prepare_database(pg.url(), pg.url("convene", "convene"))
        ct.add_user(db, "hz-sw", "social_worker", team="Health Team")
        tok = ct.token(db, "hz-sw")
        srv = ct.Server(db)
        try:
            self.book(srv, tok, "HZ-1")
            pg.stop()
            st, _, body = srv.api("GET", "/healthz")
            self.assertEqual(st, 503, body)
            self.assertEqual(body, {"status": "database unavailable"})
            st, _, body = srv.api("GET", "/api/v1/meetings", token=tok)
            self.assertEqual(st, 503, body)
            self.assertEqual(body["error"]["code"], "unavailable")
            st, _, body = srv.api("POST", "/api/v1/meetings", token=tok,
                                  json=meeting_body("HZ-LOST", PEOPLE))
            self.assertEqual(st, 503, body)
            self.assertTrue(srv.running)

            pg.start()
            # Pooled connections to the old server fail once each (503)
            # and are reconnected.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                st, _, _ = srv.api("GET", "/healthz")
                if st == 200:
                    break
                self.assertEqual(st, 503)
                time.sleep(0.1)
            self.assertEqual(st, 200)
            for _ in range(20):
                st, _, lst = srv.api("GET", "/api/v1/meetings", token=tok)
                if st == 200:
                    break
                self.assertEqual(st, 503)
            self.assertEqual(st, 200, lst)
            self.assertEqual([x["case_ref"] for x in lst["meetings"]],
                             ["HZ-1"])
            self.assertEqual(ct.query(db, "SELECT count(*) FROM discussions "
                                      "d JOIN cases c ON c.id = d.case_id "
                                      "WHERE c.case_ref = 'HZ-LOST'"),
                             [(0,)])
            srv.stop()
        finally:
            srv.kill()
            pg.stop()

    def test_embedded_postgresql(self):
        data = ct.tmpdir("convene-embedded-")
        # No URL anywhere: the commands start (and stop) the embedded
        # server under data/pg themselves.
        ct.add_user(None, "emb-sw", "social_worker", team="Embedded Team",
                    data_dir=data)
        tok = ct.token(None, "emb-sw", data_dir=data)
        self.assertTrue(os.path.isfile(os.path.join(data, "pg",
                                                    "PG_VERSION")))
        self.assertEqual(postgres_processes(data), [],
                         "the CLI left PostgreSQL running")
        if os.geteuid() == 0:
            st = os.stat(os.path.join(data, "pg"))
            self.assertEqual(st.st_uid, pwd.getpwnam("postgres").pw_uid)

        srv = ct.Server(None, data_dir=data)
        try:
            pids = postgres_processes(data)
            self.assertTrue(pids, "no embedded PostgreSQL running")
            m = self.book(srv, tok, "EMB-1")
            srv.stop()
            self.assertEqual(postgres_processes(data), [],
                             "PostgreSQL outlived the service")
            self.assertFalse(os.path.exists(os.path.join(
                data, "pg", "postmaster.pid")))

            srv = ct.Server(None, data_dir=data)
            st, _, got = srv.api("GET", "/api/v1/meetings/%d" % m["id"],
                                 token=tok)
            self.assertEqual(st, 200, got)
            self.assertEqual(got, m)
            # It listens on a Unix socket only: no TCP port of its own.
            with open(os.path.join(data, "pg", "convene.conf")) as f:
                conf = f.read()
            self.assertRegex(conf, r"listen_addresses\s*=\s*''")
            srv.stop()
            self.assertEqual(postgres_processes(data), [],
                             "PostgreSQL outlived the service")
        finally:
            srv.kill()
            if postgres_processes(data):
                # Do not leave it behind for scripts/test.sh to find.
                as_pg = (["runuser", "-u", "postgres", "--"]
                         if os.geteuid() == 0 else [])
                subprocess.run(as_pg + [
                    os.path.join(ct.pg_bindir(), "pg_ctl"), "stop", "-m",
                    "immediate", "-D", os.path.join(data, "pg")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    unittest.main()
