"""Calendar feeds served from memory, and never stale for long.

A feed poll is answered from an in-memory cache that each instance drops
when PostgreSQL notifies a change (sql/007_feed_changes.sql,
server/changes.c) or when the first of the feed's meetings ends. Checks,
against a real PostgreSQL and two real `convene serve` instances:

- repeated polls of an unchanged feed cost the database nothing (its
  transaction counter barely moves over 200 polls), and 304 still works;
- a change made through the other instance, or by SQL behind the service's
  back, is seen by the next polls (within the notification delay), with a
  new ETag; so is a revocation by SQL (404);
- a meeting that ends leaves the feed with no change notified at all;
- while the notification connection is down (its backend terminated), the
  cache is not trusted: a change made in that window is still seen;
- a feed of 1,000 upcoming meetings is served whole (FEED_MAX_EVENTS), and
  after one of them changes, the feed rebuilt from kept VEVENTs equals
  what a fresh instance renders from scratch.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_feed_cache.py -v
"""

import datetime
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

SEEN = 10	# seconds a notified change may take to reach a poll


def london(d, hh=10):
    return "%04d-%02d-%02dT%02d:00" % (d.year, d.month, d.day, hh)


class FeedCacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_feed_cache")
        ct.add_user(cls.db, "fc-admin", "admin")
        ct.add_user(cls.db, "fc-sw", "social_worker", team="Feed Team")
        cls.admin = ct.token(cls.db, "fc-admin")
        cls.sw = ct.token(cls.db, "fc-sw")
        cls.a = ct.Server(cls.db)
        cls.b = ct.Server(cls.db)
        cls.contact = {}
        for agency, name, addr in (
                ("social_care", "Sam Social", "sam@council.example"),
                ("police", "PC Pat", "pat@police.example"),
                ("health", "Nurse Hana", "hana@nhs.example")):
            st, _, c = ct.api("POST", cls.a.base, "/api/v1/contacts",
                              token=cls.admin,
                              json={"name": name, "email": addr,
                                    "agency": agency,
                                    "organisation": agency + " org"})
            assert st == 201, c
            cls.contact[agency] = c["id"]
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            if s.running:
                s.stop()

    def book(self, srv=None, days=14):
        type(self).n += 1
        d = datetime.date.today() + datetime.timedelta(days=days)
        st, _, m = ct.api("POST", (srv or self.a).base, "/api/v1/meetings",
                          token=self.sw, json={
                              "case_ref": "FC-%d" % self.n,
                              "children": [{"name": "Child Feed",
                                            "date_of_birth": "2018-01-01"}],
                              "kind": "meeting", "reason": "test",
                              "concern_received_at": london(
                                  datetime.date.today(), 9),
                              "starts_at": london(d),
                              "duration_minutes": 60,
                              "format": "in_person", "location": "Room 1",
                              "participants": [{"contact_id": c} for c in
                                               self.contact.values()]})
        self.assertEqual(st, 201, m)
        return m

    def feed(self):
        st, _, f = ct.api("POST", self.a.base, "/api/v1/feeds",
                          token=self.admin,
                          json={"contact_id": self.contact["police"]})
        self.assertEqual(st, 201, f)
        return f["url"][len(self.a.base):], f["id"]

    def get(self, srv, path, etag=None):
        return ct.api("GET", srv.base, path,
                      headers={"If-None-Match": etag} if etag else None)

    def until(self, srv, path, pred, what):
        deadline = time.monotonic() + SEEN
        while time.monotonic() < deadline:
            st, h, body = self.get(srv, path)
            if pred(st, body):
                return st, h, body
            time.sleep(0.1)
        self.fail("%s: not seen within %d s" % (what, SEEN))

    def xacts(self):
        return ct.query(self.db, "SELECT xact_commit + xact_rollback FROM "
                        "pg_stat_database WHERE datname = "
                        "current_database()")[0][0]

    def test_1_polls_cost_nothing_and_changes_are_seen(self):
        m = self.book()
        path, fid = self.feed()
        st, h, body = self.get(self.a, path)
        self.assertEqual(st, 200, body)
        self.assertIn(m["uid"], body.replace("\r\n ", ""))
        etag = h["ETag"]
        # Statistics are sent by backends in batches: wait for them to
        # settle, then count what 200 polls (100 full, 100 304) cost.
        time.sleep(1.5)
        before = self.xacts()
        t0 = time.monotonic()
        for i in range(100):
            st, h2, b2 = self.get(self.a, path)
            self.assertEqual((st, h2["ETag"], b2), (200, etag, body))
            st, _, b3 = self.get(self.a, path, etag)
            self.assertEqual((st, b3), (304, ""))
        time.sleep(1.5)
        # Uncached, each poll is at least two statements (400 in all). The
        # delivery workers' idle polls (two instances, two threads each,
        # about one statement a second each) are all that may run.
        allowed = 20 + 5 * (time.monotonic() - t0)
        self.assertLess(self.xacts() - before, allowed)
        # Instance b builds the same ETag from the database.
        st, hb, bb = self.get(self.b, path)
        self.assertEqual((st, hb["ETag"]), (200, etag))
        # A change through instance b is seen through a's cache.
        m2 = self.book(srv=self.b, days=15)
        st, h3, b3 = self.until(self.a, path,
                                lambda s, b: m2["uid"] in
                                b.replace("\r\n ", ""), "booking via b")
        self.assertNotEqual(h3["ETag"], etag)
        # A change by SQL alone (no Convene commit anywhere).
        ct.query(self.db, "UPDATE discussions SET location = 'Moved by SQL', "
                 "sequence = sequence + 1, updated_at = now() WHERE id = %s",
                 (m["id"],))
        self.until(self.a, path, lambda s, b: "Moved by SQL" in b,
                   "change by SQL")
        # Revocation by SQL: 404, not the cached body.
        ct.query(self.db, "UPDATE feed_tokens SET revoked_at = now() WHERE "
                 "id = %s", (fid,))
        self.until(self.a, path, lambda s, b: s == 404, "revocation by SQL")

    def test_2_a_meeting_that_ends_leaves_without_notice(self):
        m = self.book(days=20)
        path, _ = self.feed()
        # Make it end in 6 s; the trigger notifies this UPDATE, so the next
        # poll rebuilds the feed with the meeting in it...
        t0 = time.monotonic()
        ct.query(self.db, "UPDATE discussions SET starts_at = now() - "
                 "interval '1 hour', ends_at = now() + interval '6 s' "
                 "WHERE id = %s", (m["id"],))
        self.until(self.a, path, lambda s, b: s == 200 and m["uid"] in
                   b.replace("\r\n ", ""), "meeting ending soon")
        # ...and once it has ended it is gone, with nothing notified.
        time.sleep(max(0, t0 + 6.5 - time.monotonic()))
        st, _, body = self.get(self.a, path)
        self.assertEqual(st, 200)
        self.assertNotIn(m["uid"], body.replace("\r\n ", ""))

    def test_3_listener_lost_means_no_cache(self):
        m = self.book(days=21)
        path, _ = self.feed()
        st, _, body = self.get(self.a, path)
        self.assertEqual(st, 200)
        # Terminate every listening backend and change data at once: the
        # change's notification reaches no one.
        ct.query(self.db, "SELECT pg_terminate_backend(pid) FROM "
                 "pg_stat_activity WHERE query LIKE 'LISTEN convene_feed%%' "
                 "AND pid <> pg_backend_pid()")
        ct.query(self.db, "UPDATE discussions SET location = 'While deaf', "
                 "updated_at = now() WHERE id = %s", (m["id"],))
        self.until(self.a, path, lambda s, b: "While deaf" in b,
                   "change while the listener was down")
        self.until(self.b, path, lambda s, b: "While deaf" in b,
                   "change while the listener was down (b)")
        # The listeners came back (the log says so).
        deadline = time.monotonic() + SEEN
        while time.monotonic() < deadline:
            n = ct.query(self.db, "SELECT count(*) FROM pg_stat_activity "
                         "WHERE query LIKE 'LISTEN convene_feed%%'")[0][0]
            if n >= 2:
                break
            time.sleep(0.2)
        self.assertGreaterEqual(n, 2)

    def test_4_thousand_meetings(self):
        path, _ = self.feed()
        base = ct.query(self.db, "SELECT count(*) FROM discussions d WHERE "
                        "d.ends_at > now() AND d.status <> 'held'")[0][0]
        # 1,000 upcoming meetings for the police contact, by SQL (booking
        # 1,000 through the API is the benchmark's job): copies of one.
        m = self.book(days=30)
        ct.query(self.db, """
            WITH src AS (SELECT * FROM discussions WHERE id = %s),
            d AS (INSERT INTO discussions (authority_id, team_id, case_id,
                    kind, concern_received_at, starts_at, ends_at, format,
                    location, reason, created_by, uid,
                    planned_classification)
                  SELECT authority_id, team_id, case_id, kind,
                    concern_received_at, starts_at + g * interval '1 hour',
                    ends_at + g * interval '1 hour', format, location,
                    reason, created_by, 'fc-' || g || '@test',
                    planned_classification
                  FROM src, generate_series(1, 1100 - %s) g RETURNING id)
            INSERT INTO participants (discussion_id, contact_id, name, email,
                                      agency)
            SELECT d.id, p.contact_id, p.name, p.email, p.agency
            FROM d, participants p WHERE p.discussion_id = %s""",
                 (m["id"], base, m["id"]))
        st, _, body = self.until(
            self.a, path, lambda s, b: b.count("BEGIN:VEVENT") >= 1000,
            "1,000 meetings")
        self.assertEqual(body.count("BEGIN:VEVENT"), 1000)
        # One meeting changes: a re-renders it alone and reuses 999 kept
        # VEVENTs. The result must be what a fresh instance, rendering
        # every meeting, serves (DTSTAMP, the render time, aside).
        ct.query(self.db, "UPDATE discussions SET location = 'Room 999', "
                 "sequence = sequence + 1, updated_at = now() WHERE uid = "
                 "'fc-500@test'")
        st, _, body = self.until(self.a, path,
                                 lambda s, b: "Room 999" in b, "one change")
        fresh = ct.Server(self.db)
        try:
            st, _, whole = self.get(fresh, path)
        finally:
            fresh.stop()
        self.assertEqual(st, 200)

        def strip(b):
            return [ln for ln in b.split("\r\n")
                    if not ln.startswith("DTSTAMP:")]
        self.assertEqual(strip(body), strip(whole))

    def test_6_changes_rebuild_a_feed_once_a_second_at_most(self):
        # Bookings that each change a polled feed: the feed is rebuilt at
        # most once per FEED_FRESH_MS (1 s), and shows the last booking
        # within a second of it.
        path, _ = self.feed()
        st, _, text = ct.api("GET", self.a.base, "/metrics")
        before = int(dict(ln.split() for ln in text.splitlines() if
                          ln.startswith("convene_feed_builds_total"))[
                              "convene_feed_builds_total"])
        t0 = time.monotonic()
        for i in range(15):
            last = self.book(days=3 + i)
            self.assertEqual(self.get(self.a, path)[0], 200)
        elapsed = time.monotonic() - t0
        st, _, text = ct.api("GET", self.a.base, "/metrics")
        after = int(dict(ln.split() for ln in text.splitlines() if
                         ln.startswith("convene_feed_builds_total"))[
                             "convene_feed_builds_total"])
        self.assertLessEqual(after - before, int(elapsed) + 2,
                             (after - before, elapsed))
        self.until(self.a, path, lambda s, b: last["uid"] in
                   b.replace("\r\n ", ""), "the last booking")

    def test_5_concurrent_misses_share_one_build(self):
        # A fresh instance has nothing kept, so its first build of the
        # 1,000-meeting feed (test_4) renders every meeting: long enough
        # for the other polls to arrive while it runs. They wait for it
        # instead of each building the same feed (feed.c, flight_join).
        path, _ = self.feed()
        fresh = ct.Server(self.db)
        got = []

        def poll():
            got.append(self.get(fresh, path))
        try:
            threads = [threading.Thread(target=poll) for _ in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            st, _, text = ct.api("GET", fresh.base, "/metrics")
        finally:
            fresh.stop()
        self.assertEqual(st, 200, text)
        counters = dict(ln.split() for ln in text.splitlines()
                        if ln.startswith("convene_feed_builds"))
        self.assertEqual(len(got), 12)
        self.assertEqual({g[0] for g in got}, {200})
        self.assertEqual(len({g[2] for g in got}), 1)
        self.assertEqual(got[0][2].count("BEGIN:VEVENT"), 1000)
        # One build; the polls that came while it ran used it.
        self.assertEqual(counters["convene_feed_builds_total"], "1", counters)
        self.assertGreaterEqual(
            int(counters["convene_feed_builds_shared_total"]), 1, counters)


if __name__ == "__main__":
    unittest.main()
