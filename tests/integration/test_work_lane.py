"""A request waiting on the database holds up nobody else (issue 16).

libmicrohttpd keeps each connection on the server thread that accepted it.
Handlers used to run there, so a request waiting on PostgreSQL (a lock, a
slow statement) held up every connection that had landed on the same
thread: under the soak's mix at 200 requests a second every route queued
alike (docs/performance.md). Requests that use the database now run on the
work lane (server/http.c), where any free thread takes the next one.

Here, with CONVENE_THREADS=2, one PATCH waits on a row lock held by another
session while eleven other keep-alive connections, opened before it, read a
different meeting: every
read is answered at once, the PATCH finishes when the lock goes, and a
booking made meanwhile by the same team commits without waiting for it.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_work_lane.py -v
"""

import datetime
import http.client
import os
import sys
import threading
import time
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

CONNECTIONS = 12
READS = 3


class WorkLaneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_work_lane")
        ct.add_user(cls.db, "wl-admin", "admin")
        ct.add_user(cls.db, "wl-sw", "social_worker", team="Lane Team")
        cls.admin = ct.token(cls.db, "wl-admin")
        cls.sw = ct.token(cls.db, "wl-sw")
        cls.srv = ct.Server(cls.db, env={"CONVENE_THREADS": "2"})
        cls.contacts = []
        for ag in ("social_care", "police", "health"):
            st, _, c = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                              token=cls.admin,
                              json={"name": ag, "email": "%s@x.example" % ag,
                                    "agency": ag, "organisation": ag})
            assert st == 201, c
            cls.contacts.append(c["id"])
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def book(self):
        type(self).n += 1
        d = datetime.date.today() + datetime.timedelta(days=10)
        st, _, m = ct.api("POST", self.srv.base, "/api/v1/meetings",
                          token=self.sw, json={
                              "case_ref": "LANE-%d" % self.n,
                              "children": [{"name": "Lane Child",
                                            "date_of_birth": "2017-03-03"}],
                              "kind": "meeting", "reason": "lane test",
                              "concern_received_at": "%sT09:00" %
                              datetime.date.today(),
                              "starts_at": "%sT10:00" % d,
                              "duration_minutes": 60, "format": "in_person",
                              "location": "Room 1",
                              "participants": [{"contact_id": c} for c in
                                               self.contacts]})
        self.assertEqual(st, 201, m)
        return m["id"]

    def get(self, c, path):
        c.request("GET", path, headers={"Authorization": "Bearer " + self.sw})
        r = c.getresponse()
        body = r.read()
        return r.status, body

    def reader(self, c, mid, out, k):
        """READS reads of meeting mid on keep-alive connection c; the
        slowest in seconds, or an error."""
        try:
            worst = 0.0
            for _ in range(READS):
                t0 = time.monotonic()
                st, body = self.get(c, "/api/v1/meetings/%d" % mid)
                if st != 200:
                    out[k] = "status %d: %s" % (st, body[:200])
                    return
                worst = max(worst, time.monotonic() - t0)
            out[k] = worst
        except Exception as e:  # noqa: BLE001 (reported below)
            out[k] = "error: %r" % e

    def patch(self, c, mid, patched):
        t0 = time.monotonic()
        c.request("PATCH", "/api/v1/meetings/%d" % mid,
                  body=b'{"location": "Room 9"}', headers={
                      "Authorization": "Bearer " + self.sw,
                      "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        patched["status"] = r.status
        patched["seconds"] = time.monotonic() - t0

    def test_blocked_request_holds_up_nobody(self):
        locked, other = self.book(), self.book()
        # The connections first: each stays on the server thread that
        # accepted it, and a thread busy in a handler accepts nothing, so
        # only connections made before the wait could share its thread.
        conns = [http.client.HTTPConnection("127.0.0.1", self.srv.port,
                                            timeout=20)
                 for _ in range(CONNECTIONS)]
        for c in conns:
            self.assertEqual(self.get(c, "/api/v1/meetings/%d" % other)[0],
                             200)
        pg = psycopg2.connect(ct.owner_url(self.db))
        patched = {}
        try:
            cur = pg.cursor()
            cur.execute("SELECT id FROM discussions WHERE id = %s FOR UPDATE",
                        (locked,))
            pt = threading.Thread(target=self.patch,
                                  args=(conns[0], locked, patched))
            pt.start()
            time.sleep(1.0)	# the PATCH is now waiting on the lock
            self.assertNotIn("status", patched)
            out = {}
            readers = [threading.Thread(target=self.reader,
                                        args=(conns[k], other, out, k))
                       for k in range(1, CONNECTIONS)]
            for t in readers:
                t.start()
            for t in readers:
                t.join(30)
            for k in range(1, CONNECTIONS):
                self.assertIsInstance(out.get(k), float,
                                      "connection %d: %r" % (k, out.get(k)))
                self.assertLess(out[k], 2.0, "connection %d waited" % k)
            # A booking by the same team, meanwhile, commits at once.
            t0 = time.monotonic()
            self.book()
            self.assertLess(time.monotonic() - t0, 2.0)
            self.assertNotIn("status", patched, "the lock did not hold")
        finally:
            pg.rollback()
            pg.close()
            pt.join(30)
            for c in conns:
                c.close()
        self.assertEqual(patched.get("status"), 200, patched)
        self.assertGreater(patched["seconds"], 1.0)
        st, _, m = ct.api("GET", self.srv.base, "/api/v1/meetings/%d" % locked,
                          token=self.sw)
        self.assertEqual(st, 200)
        self.assertEqual(m["location"], "Room 9")


if __name__ == "__main__":
    unittest.main()
