"""The meeting list's kept totals (sql/042_list_totals.sql; issue 16, the
soak's list counts).

On real PostgreSQL, as the serving login, through the API where there is
one:
  - the unfiltered list's total, for a social worker's team and for the
    whole authority (a manager), is the number of rows on every page, and
    the same as a filtered count that matches everything, after bookings by
    two teams, a front-door booking on another team's case, a transfer and
    a retention delete;
  - after every step, each scope's kept total equals a count of the
    discussions it covers;
  - a transfer waits for a booking in flight on the case (its foreign key's
    lock) and then moves that booking's discussion too;
  - the folder sums each scope's rows into one, without changing a total;
  - moving a discussion to another team or case is refused (55000) and
    changes nothing;
  - list_totals_rebuild() gives the same totals; list_totals_verify()
    finds 0 scopes wrong, and the one made wrong on purpose.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_list_totals.py -v
"""

import os
import sys
import threading
import time
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase  # noqa: E402

# Each scope's kept total next to a count of what its list covers.
KEPT_VS_COUNTED = """
WITH kept AS (SELECT authority_id, team_id, sum(n) AS n FROM list_totals
    GROUP BY authority_id, team_id),
counted AS (
    SELECT a.id AS authority_id, 0::bigint AS team_id,
        (SELECT count(*) FROM discussions d WHERE d.authority_id = a.id) AS n
    FROM authorities a
    UNION ALL
    SELECT t.authority_id, t.id, (SELECT count(*) FROM discussions d
        JOIN cases c ON c.id = d.case_id WHERE d.authority_id =
        t.authority_id AND (d.team_id = t.id OR c.team_id = t.id))
    FROM teams t)
SELECT c.authority_id, c.team_id, coalesce(k.n, 0), c.n FROM counted c
LEFT JOIN kept k USING (authority_id, team_id)
ORDER BY 1, 2"""


class ListTotals(RecordCase):
    DB = "convene_it_list_totals"
    PREFIX = "LT"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ct.add_user(cls.db, "lt-mash", "social_worker", team="MASH")
        cls.mash = ct.token(cls.db, "lt-mash")

    def assertKept(self):
        rows = ct.query(self.db, KEPT_VS_COUNTED)
        self.assertGreater(len(rows), 1)
        for a, t, kept, counted in rows:
            self.assertEqual(kept, counted, "authority %d team %d" % (a, t))
        self.assertEqual(ct.query(self.db, "SELECT list_totals_verify()"),
                         [(0,)])

    def listed(self, token, query=""):
        """The list's total, its rows over every page, and the total of a
        filter that matches everything."""
        st, _, whole = self.call("GET", "/api/v1/meetings?per_page=100" +
                                 query, token)
        self.assertEqual(st, 200, whole)
        st, _, wide = self.call("GET", "/api/v1/meetings?per_page=100&"
                                "from=2000-01-01" + query, token)
        self.assertEqual(st, 200, wide)
        return whole["total"], len(whole["meetings"]), wide["total"]

    def assertLists(self, token, n):
        self.assertEqual(self.listed(token), (n, n, n))

    def rebook(self, ref, token):
        b = self.booking()
        b["case_ref"] = ref
        del b["children"]
        st, _, m = self.call("POST", "/api/v1/meetings", token, b)
        self.assertEqual(st, 201, m)
        return m

    def team_id(self, name):
        return ct.query(self.db, "SELECT id FROM teams WHERE name = %s",
                        (name,))[0][0]

    def test_1_totals_follow_bookings_transfers_and_retention(self):
        self.assertLists(self.sw, 0)
        mine = [self.book() for _ in range(3)]
        theirs = [self.book(token=self.sw_b) for _ in range(2)]
        self.assertLists(self.sw, 3)
        self.assertLists(self.sw_b, 2)
        self.assertLists(self.mgr, 5)	# a manager's: the authority's
        self.assertKept()

        # MASH books on the Record Team's case: both teams list it.
        mash = self.team_id("MASH")
        st, _, _ = self.call("PATCH", "/api/v1/teams/%d" % mash, self.admin,
                             {"front_door": True})
        self.assertEqual(st, 200)
        self.rebook(mine[0]["case_ref"], self.mash)
        self.assertLists(self.sw, 4)
        self.assertLists(self.mash, 1)
        self.assertLists(self.mgr, 6)
        self.assertKept()

        # The case moves to Other Team: it takes MASH's discussion and the
        # Record Team's own one stays on the Record Team's list.
        st, _, b = self.call("POST", "/api/v1/cases/%s/transfer" %
                             mine[0]["case_ref"], self.sw,
                             {"team": "Other Team", "reason": "Moved area"})
        self.assertEqual(st, 200, b)
        self.assertLists(self.sw, 3)
        self.assertLists(self.sw_b, 4)
        self.assertLists(self.mash, 1)
        self.assertKept()

        # Retention deletes a case with its discussions.
        cid = ct.query(self.db, "SELECT case_id FROM discussions WHERE id = "
                       "%s", (theirs[0]["id"],))[0][0]
        ct.query(self.db, "SELECT retention_delete_case(%s)", (cid,))
        self.assertLists(self.sw_b, 3)
        self.assertLists(self.mgr, 5)
        self.assertKept()

    def test_2_a_transfer_waits_for_a_booking_in_flight(self):
        m = self.book()
        cid, aid = ct.query(self.db, "SELECT case_id, authority_id FROM "
                            "discussions WHERE id = %s", (m["id"],))[0]
        mash = self.team_id("MASH")
        other = self.team_id("Other Team")
        booking = psycopg2.connect(self.db)
        mover = psycopg2.connect(self.db)
        try:
            # MASH's booking on the case, not yet committed.
            with booking.cursor() as cur:
                cur.execute(
                    "INSERT INTO discussions (authority_id, case_id, "
                    "team_id, kind, reason, concern_received_at, starts_at, "
                    "ends_at, format, location, chair, uid, "
                    "planned_classification, planned_missing, created_by) "
                    "SELECT authority_id, case_id, %s, kind, reason, "
                    "concern_received_at, starts_at, ends_at, format, "
                    "location, chair, 'in-flight@test', "
                    "planned_classification, planned_missing, created_by "
                    "FROM discussions WHERE id = %s", (mash, m["id"]))
            done = threading.Event()

            def move():
                with mover.cursor() as cur:
                    cur.execute("UPDATE cases SET team_id = %s WHERE id = "
                                "%s", (other, cid))
                mover.commit()
                done.set()

            t = threading.Thread(target=move)
            t.start()
            # The transfer waits on the booking's lock...
            for _ in range(100):
                if ct.query(self.db, "SELECT count(*) FROM pg_stat_activity "
                            "WHERE wait_event_type = 'Lock' AND query LIKE "
                            "'UPDATE cases%%'")[0][0]:
                    break
                time.sleep(0.05)
            self.assertFalse(done.is_set())
            self.assertEqual(ct.query(
                self.db, "SELECT count(*) FROM pg_stat_activity WHERE "
                "wait_event_type = 'Lock' AND query LIKE 'UPDATE cases%%'"
                )[0][0], 1)
            # ...which commits having read the old holder,
            booking.commit()
            t.join(10)
            self.assertTrue(done.is_set())
        finally:
            booking.close()
            mover.close()
        # and the MASH discussion moved with the case.
        kept = dict(ct.query(self.db, "SELECT team_id, sum(n) FROM "
                             "list_totals WHERE authority_id = %s GROUP BY "
                             "team_id", (aid,)))
        self.assertKept()
        self.assertGreaterEqual(kept[other], 2)

    def test_3_the_folder_sums_the_rows(self):
        for _ in range(3):
            self.book()
        before = ct.query(self.db, "SELECT authority_id, team_id, sum(n) "
                          "FROM list_totals GROUP BY 1, 2 ORDER BY 1, 2")
        for _ in range(100):
            if ct.query(self.db, "SELECT count(*) = count(DISTINCT "
                        "(authority_id, team_id)) FROM list_totals")[0][0]:
                break
            time.sleep(0.1)
        after = ct.query(self.db, "SELECT authority_id, team_id, n FROM "
                         "list_totals ORDER BY 1, 2")
        self.assertEqual(after, before)
        self.assertKept()

    def test_4_a_discussion_does_not_change_team_or_case(self):
        m = self.book()
        before = ct.query(self.db, "SELECT team_id, case_id FROM discussions "
                          "WHERE id = %s", (m["id"],))
        other = self.team_id("Other Team")
        for sql, arg in (("UPDATE discussions SET team_id = %s WHERE id = %s",
                          other),
                         ("UPDATE discussions SET case_id = (SELECT min(id) "
                          "FROM cases WHERE id <> %s) WHERE id = %s",
                          ct.query(self.db, "SELECT case_id FROM discussions "
                                   "WHERE id = %s", (m["id"],))[0][0])):
            with self.assertRaises(psycopg2.Error) as cm:
                ct.query(self.db, sql, (arg, m["id"]))
            self.assertEqual(cm.exception.pgcode, "55000")
        self.assertEqual(ct.query(self.db, "SELECT team_id, case_id FROM "
                                  "discussions WHERE id = %s", (m["id"],)),
                         before)
        # Other columns still change.
        ct.query(self.db, "UPDATE discussions SET location = 'Room 2' WHERE "
                 "id = %s", (m["id"],))
        self.assertKept()

    def test_5_rebuild_gives_the_same(self):
        self.book()
        before = ct.query(self.db, "SELECT authority_id, team_id, sum(n) "
                          "FROM list_totals GROUP BY 1, 2 ORDER BY 1, 2")
        ct.query(self.db, "SELECT list_totals_rebuild()")
        after = ct.query(self.db, "SELECT authority_id, team_id, n FROM "
                         "list_totals ORDER BY 1, 2")
        self.assertEqual(after, before)
        self.assertKept()
        # A scope made wrong on purpose is found, then repaired.
        ct.query(self.db, "INSERT INTO list_totals VALUES (%s, 0, 1)",
                 (after[0][0],))
        self.assertEqual(ct.query(self.db, "SELECT list_totals_verify()"),
                         [(1,)])
        ct.query(self.db, "SELECT list_totals_rebuild()")
        self.assertKept()


if __name__ == "__main__":
    unittest.main(verbosity=2)
