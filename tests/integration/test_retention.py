"""Retention (issue 14, section 3; sql/022_retention.sql, server/retention.c).

One story on real PostgreSQL with the real delivery worker writing .eml
files: invites are sent, replies and sessions age, and `convene retention
run` removes exactly what has served its time: sent bodies and their .eml
files after 30 days, raw replies after 90, expired sessions; closed cases
only where the authority set a retention period, whole, with an audit entry
that names no child, and the statistics lose their figures. What is recent,
open or unset stays. Two instances never run it at once.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_retention.py -v
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase, at  # noqa: E402


class RetentionTest(RecordCase):
    DB = "convene_it_retention"
    PREFIX = "RET"

    def one(self, sql, params=None):
        return ct.query(self.db, sql, params)[0][0]

    def run_job(self):
        out = ct.cli(self.db, "retention", "run",
                     data_dir=self.srv.data_dir)
        return json.loads(out.strip().splitlines()[-1])

    def eml(self, oid):
        return os.path.join(self.srv.data_dir, "outbox", "%d.eml" % oid)

    def sent(self, mid):
        """The meeting's outbox ids, once the worker has sent them all."""
        for _ in range(200):
            rows = ct.query(self.db, "SELECT id, status FROM outbox WHERE "
                            "discussion_id = %s ORDER BY id", (mid,))
            if rows and all(s == "sent" for _, s in rows):
                return [i for i, _ in rows]
            time.sleep(0.05)
        self.fail("invites of %d not sent: %r" % (mid, rows))

    def settings_path(self):
        aid = self.one("SELECT authority_id FROM users WHERE username = %s",
                       ("ret-admin",))
        return "/api/v1/authorities/%d/settings" % aid

    def session(self, name, idle_min=0, age_h=0):
        uid = self.one("SELECT id FROM users WHERE username = 'ret-sw'")
        ct.query(self.db, "INSERT INTO sessions (id_hash, user_id, csrf, "
                 "created_at, last_seen_at) VALUES (%s, %s, 'x', now() - "
                 "make_interval(hours => %s), now() - make_interval(mins => "
                 "%s))", (name, uid, age_h, idle_min))

    def backdate(self, mid, months):
        ct.query(self.db, "UPDATE discussions SET starts_at = starts_at - "
                 "make_interval(months => %s), ends_at = ends_at - "
                 "make_interval(months => %s), concern_received_at = "
                 "concern_received_at - make_interval(months => %s) WHERE "
                 "id = %s", (months, months, months, mid))

    def test_retention(self):
        # The server's thread ran once at start (nothing was due before).
        for _ in range(100):
            if self.one("SELECT count(*) FROM retention_runs"):
                break
            time.sleep(0.05)
        self.assertEqual(self.one("SELECT count(*) FROM retention_runs"), 1)

        # ---- what ages: invites, replies, sessions -------------------------
        # Invites go out for meetings still to come: book, let the worker
        # send, then move the first meeting into the past and record it.
        old = self.book(starts=at(days=3))
        recent = self.book(starts=at(days=4))
        old_ids, recent_ids = self.sent(old["id"]), self.sent(recent["id"])
        ct.query(self.db, "UPDATE discussions SET starts_at = now() - "
                 "interval '3 hours', ends_at = now() - interval '2 hours', "
                 "concern_received_at = now() - interval '1 day' WHERE id = "
                 "%s", (old["id"],))
        old = self.attend(old)
        self.record_ok(old["id"], self.record_body(old))
        for i in old_ids + recent_ids:
            self.assertTrue(os.path.exists(self.eml(i)), i)
        ct.query(self.db, "UPDATE outbox SET sent_at = now() - interval "
                 "'31 days' WHERE discussion_id = %s", (old["id"],))
        ct.query(self.db, "UPDATE outbox SET sent_at = now() - interval "
                 "'29 days' WHERE discussion_id = %s", (recent["id"],))
        for days in (91, 89):
            ct.query(self.db, "INSERT INTO itip_inbox (received_at, status, "
                     "reason, raw) VALUES (now() - make_interval(days => %s), "
                     "'unmatched', 'test', 'BEGIN:VCALENDAR'::bytea)",
                     (days,))
        self.session("idle", idle_min=31)
        self.session("too-old", age_h=11)
        self.session("alive", idle_min=5, age_h=2)

        # ---- a run: records kept (no retention period set) -----------------
        n = self.run_job()
        self.assertEqual(n, {"mail_bodies": len(old_ids), "itip_raw": 1,
                             "sessions": 2, "cases": 0})
        for i in old_ids:
            self.assertFalse(os.path.exists(self.eml(i)), i)
            self.assertIsNone(self.one("SELECT message FROM outbox WHERE "
                                       "id = %s", (i,)))
            # The row stays: delivery evidence.
            self.assertEqual(self.one("SELECT status FROM outbox WHERE "
                                      "id = %s", (i,)), "sent")
        for i in recent_ids:
            self.assertTrue(os.path.exists(self.eml(i)), i)
            self.assertIsNotNone(self.one("SELECT message FROM outbox WHERE "
                                          "id = %s", (i,)))
        self.assertEqual(ct.query(
            self.db, "SELECT raw IS NULL FROM itip_inbox ORDER BY "
            "received_at"), [(True,), (False,)])
        self.assertEqual([r[0] for r in ct.query(
            self.db, "SELECT id_hash FROM sessions ORDER BY 1")], ["alive"])
        self.backdate(old["id"], 13)
        self.assertEqual(self.run_job()["cases"], 0)
        self.get(old["id"])

        # ---- the retention period: bad values refused, nothing changes -----
        path = self.settings_path()
        for bad in (11, 1201, "12", True):
            st, _, e = self.call("PUT", path, self.admin,
                                 {"record_retention_months": bad})
            self.assertEqual(st, 422, e)
            self.assertIn("record_retention_months", json.dumps(e))
        st, _, s = self.call("GET", path, self.admin)
        self.assertIsNone(s["record_retention_months"])
        st, _, s = self.call("PUT", path, self.admin,
                             {"record_retention_months": 12})
        self.assertEqual((st, s["record_retention_months"]), (200, 12))

        # A closed case 13 months old goes; one 11 months old, and one whose
        # latest discussion is still to come, stay.
        younger = self.held()
        self.backdate(younger["id"], 11)
        open_case = self.held()
        self.backdate(open_case["id"], 13)
        st, _, later = self.call("POST", "/api/v1/meetings", self.sw, dict(
            self.booking(starts=at(days=2)), case_ref=open_case["case_ref"]))
        self.assertEqual(st, 201, later)
        case_id = self.one("SELECT case_id FROM discussions WHERE id = %s",
                           (old["id"],))
        child = old["children"][0]["name"]
        self.assertEqual(self.run_job()["cases"], 1)
        for table, col, key in (
                ("discussions", "case_id", case_id),
                ("children", "case_id", case_id),
                ("cases", "id", case_id),
                ("participants", "discussion_id", old["id"]),
                ("outcomes", "discussion_id", old["id"]),
                ("records", "discussion_id", old["id"]),
                ("outbox", "discussion_id", old["id"])):
            with self.subTest(table=table):
                self.assertEqual(self.one(
                    "SELECT count(*) FROM %s WHERE %s = %%s" % (table, col),
                    (key,)), 0)
        st, _, _ = self.call("GET", "/api/v1/meetings/%d" % old["id"],
                             self.sw)
        self.assertEqual(st, 404)
        for kept in (younger, open_case, later, recent):
            self.get(kept["id"])
        audit = ct.query(self.db, "SELECT before::text FROM audit_log WHERE "
                         "action = 'case.retention_delete'")
        self.assertEqual(len(audit), 1)
        self.assertIn(old["case_ref"], audit[0][0])
        self.assertNotIn(child, audit[0][0])
        # The statistics lose the case's figures and still add up.
        ct.stats_fold(self.db)
        self.assertEqual(self.one("SELECT count(*) FROM stats_fact WHERE "
                                  "case_id = %s", (case_id,)), 0)
        self.assertEqual(self.one("SELECT stats_verify()"), 0)
        self.assertEqual(self.one("SELECT list_totals_verify()"), 0)

        # ---- one instance at a time ---------------------------------------
        runs = self.one("SELECT count(*) FROM retention_runs")
        conn = ct.psycopg2.connect(self.db)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(20, 2)")
                p = ct.run_cli(self.db, "retention", "run",
                               data_dir=self.srv.data_dir)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("another instance", p.stderr)
                cur.execute("SELECT pg_advisory_unlock(20, 2)")
        finally:
            conn.close()
        self.assertEqual(self.one("SELECT count(*) FROM retention_runs"),
                         runs)
        self.assertNotIn("warning", self.srv.log_text())


if __name__ == "__main__":
    unittest.main()
