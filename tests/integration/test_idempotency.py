"""Idempotency-Key on POST /api/v1/meetings: a retried booking books once.

A client whose booking got no reply (a dropped connection, a 503 after the
COMMIT) sends it again with the same key. Checks, against a real
PostgreSQL: the repeat answers 201 with the same meeting and
Idempotent-Replayed: true, and books, audits and queues nothing more; the
same key with another body is 422 naming the header, changing nothing;
eight concurrent requests with one key book exactly once and all answer
the same meeting; keys belong to their user; bad keys are 400 naming the
header, changing nothing; no key keeps the old behaviour. The key table
holds no request or response text (children's names), only a hash.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_idempotency.py -v
"""

import datetime
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

CHILD = "Ottoline Idempotent"


class IdempotencyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_idempotency")
        ct.add_user(cls.db, "id-admin", "admin")
        ct.add_user(cls.db, "id-sw", "social_worker", team="Idem Team")
        ct.add_user(cls.db, "id-sw2", "social_worker", team="Idem Team")
        cls.admin = ct.token(cls.db, "id-admin")
        cls.sw = ct.token(cls.db, "id-sw")
        cls.sw2 = ct.token(cls.db, "id-sw2")
        cls.srv = ct.Server(cls.db)
        cls.contacts = []
        for ag, em in (("social_care", "s@c.example"),
                       ("police", "p@p.example"),
                       ("health", "h@n.example")):
            st, _, c = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                              token=cls.admin,
                              json={"name": ag, "email": em, "agency": ag,
                                    "organisation": ag})
            assert st == 201, c
            cls.contacts.append(c["id"])
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def body(self, ref=None, location="Room 1"):
        type(self).n += 1
        d = datetime.date.today() + datetime.timedelta(days=12)
        return {"case_ref": ref or "IDEM-%d" % self.n,
                "children": [{"name": CHILD, "date_of_birth": "2016-02-02"}],
                "kind": "meeting", "reason": "retry test",
                "concern_received_at": "%sT09:00" % datetime.date.today(),
                "starts_at": "%sT10:00" % d, "duration_minutes": 60,
                "format": "in_person", "location": location,
                "participants": [{"contact_id": c} for c in self.contacts]}

    def book(self, body, key=None, tok=None):
        h = {"Idempotency-Key": key} if key is not None else None
        return ct.api("POST", self.srv.base, "/api/v1/meetings",
                      token=tok or self.sw, json=body, headers=h)

    def counts(self):
        return ct.counts(self.db)

    def test_repeat_books_once(self):
        b = self.body()
        st, h, m = self.book(b, "retry-1")
        self.assertEqual(st, 201, m)
        self.assertNotIn("Idempotent-Replayed", h)
        before = self.counts()
        # Same body, keys in another order: the same request.
        again = dict(reversed(list(b.items())))
        st, h2, m2 = self.book(again, "retry-1")
        self.assertEqual(st, 201, m2)
        self.assertEqual(h2["Idempotent-Replayed"], "true")
        self.assertEqual(m2["id"], m["id"])
        self.assertEqual(m2["uid"], m["uid"])
        self.assertEqual(h2["Location"], "/api/v1/meetings/%d" % m["id"])
        self.assertEqual(self.counts(), before)	# nothing booked or audited
        # Only a hash of the request is stored.
        rows = ct.query(self.db, "SELECT key, request_hash, discussion_id "
                        "FROM idempotency_keys WHERE key = 'retry-1'")
        self.assertEqual(len(rows), 1)
        self.assertRegex(rows[0][1], r"^[0-9a-f]{64}$")
        self.assertEqual(rows[0][2], m["id"])
        dump = str(ct.query(self.db, "SELECT * FROM idempotency_keys"))
        self.assertNotIn("Ottoline", dump)

    def test_same_key_other_body_is_refused(self):
        b = self.body()
        st, _, m = self.book(b, "retry-2")
        self.assertEqual(st, 201, m)
        before = self.counts()
        other = dict(b, location="Room 2")
        st, _, r = self.book(other, "retry-2")
        self.assertEqual(st, 422, r)
        self.assertEqual(r["error"]["field"], "Idempotency-Key")
        self.assertEqual(self.counts(), before)

    def test_concurrent_requests_book_once(self):
        b = self.body()
        before = ct.query(self.db, "SELECT count(*) FROM discussions")[0][0]
        out = []
        go = threading.Event()

        def one():
            go.wait()
            out.append(self.book(b, "race-1"))
        ts = [threading.Thread(target=one) for _ in range(8)]
        for t in ts:
            t.start()
        go.set()
        for t in ts:
            t.join()
        self.assertEqual(sorted(st for st, _, _ in out), [201] * 8,
                         [r for _, _, r in out])
        self.assertEqual(len({m["id"] for _, _, m in out}), 1)
        self.assertEqual(sum(1 for _, h, _ in out
                             if "Idempotent-Replayed" not in h), 1)
        after = ct.query(self.db, "SELECT count(*) FROM discussions")[0][0]
        self.assertEqual(after, before + 1)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM outbox o "
                                  "JOIN discussions d ON d.id = "
                                  "o.discussion_id WHERE d.id = %s",
                                  (out[0][2]["id"],))[0][0], 3)

    def test_keys_belong_to_their_user(self):
        st, _, m1 = self.book(self.body(ref="IDEM-SHARED-1"), "shared-key")
        st2, h2, m2 = self.book(self.body(ref="IDEM-SHARED-2"), "shared-key",
                                tok=self.sw2)
        self.assertEqual((st, st2), (201, 201))
        self.assertNotEqual(m1["id"], m2["id"])
        self.assertNotIn("Idempotent-Replayed", h2)

    def test_bad_keys(self):
        before = self.counts()
        for key in ("", "x" * 129, "has space", "caf\u00e9"):
            try:
                st, _, r = self.book(self.body(), key)
            except UnicodeEncodeError:
                continue	# the client cannot even send it
            self.assertEqual(st, 400, (key, r))
            self.assertEqual(r["error"]["field"], "Idempotency-Key")
        self.assertEqual(self.counts(), before)

    def test_no_key_books_each_time(self):
        b = self.body()
        st1, _, m1 = self.book(b)
        b2 = dict(b, case_ref=b["case_ref"] + "-B")
        st2, _, m2 = self.book(b2)
        self.assertEqual((st1, st2), (201, 201))
        self.assertNotEqual(m1["id"], m2["id"])


if __name__ == "__main__":
    unittest.main()
