"""Actions that last (issue 12, section 2).

On real PostgreSQL through the API and the pages:
  - actions saved with the attendance keep their ids when saved again
    (edits change rows; the database's row ids prove it), a done status
    survives a later save that does not mention it, one left out is
    removed, a new one is added;
  - an action links to a child and to an owner (a participant or an
    agency); another discussion's child or participant, or no such agency,
    is refused naming the action and nothing changes;
  - PATCH /api/v1/actions/{id}: done; not done needs the reason (kept out
    of the audit log); another team's is 404;
  - overdue: open and past its due date; the worker's list (scope=mine)
    and the team's, open first;
  - the meeting page's "Mark done" button.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_actions.py -v
"""

import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase  # noqa: E402


def day(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


class Actions(RecordCase):
    DB = "convene_it_actions"
    PREFIX = "AC"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pw = ct.add_user(cls.db, "ac-wsw", "social_worker",
                             team="Record Team")

    def save(self, m, actions, status=200):
        body = self.attendance_body(m)
        body["actions"] = actions
        st, _, r = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                             m["id"], self.sw, body)
        self.assertEqual(st, status, r)
        return r

    def rows(self, mid):
        return ct.query(self.db, "SELECT id, what, status FROM actions "
                        "WHERE discussion_id = %s ORDER BY id", (mid,))

    def test_1_saves_change_rows_and_keep_status(self):
        m = self.held()
        child = m["children"][0]["id"]
        police = self.part(m, "police")["id"]
        r = self.save(m, [
            {"what": "Joint visit", "owner": "PC Pat Police",
             "owner_participant_id": police, "child_id": child,
             "due": day(1)},
            {"what": "GP check", "owner": "Health", "owner_agency": "health",
             "due": day(-2)},
            {"what": "Tell the school", "owner": "Sam Social"}])
        a = r["actions"]
        self.assertEqual([x["status"] for x in a], ["open"] * 3)
        self.assertEqual((a[0]["child_id"], a[0]["owner_participant_id"],
                          a[1]["owner_agency"], a[2]["child_id"]),
                         (child, police, "health", None))
        self.assertEqual([x["overdue"] for x in a], [False, True, False])
        ids = [x["id"] for x in a]
        self.assertEqual([row[0] for row in self.rows(m["id"])], ids)

        st, _, done = self.call("PATCH", "/api/v1/actions/%d" % ids[0],
                                self.sw, {"status": "done"})
        self.assertEqual((st, done["status"], done["id"]),
                         (200, "done", ids[0]))
        # Saved again: the first changed by id (status kept), the third
        # left out, a new one added.
        r = self.save(m, [
            {"id": ids[0], "what": "Joint visit today", "owner": "PC Pat",
             "owner_participant_id": police, "child_id": child},
            {"id": ids[1], "what": "GP check", "owner": "Health",
             "owner_agency": "health", "due": day(-2)},
            {"what": "Check with nursery", "owner": "Sam Social"}])
        rows = self.rows(m["id"])
        self.assertEqual([row[0] for row in rows[:2]], ids[:2])
        self.assertNotIn(ids[2], [row[0] for row in rows])
        self.assertGreater(rows[2][0], ids[2])
        self.assertEqual((rows[0][1], rows[0][2]), ("Joint visit today",
                                                    "done"))
        self.assertFalse(r["actions"][0]["overdue"])

    def test_2_refusals_name_the_action_and_change_nothing(self):
        m = self.held()
        other = self.held()
        r = self.save(m, [{"what": "Visit", "owner": "Sam"}])
        aid = r["actions"][0]["id"]
        before = ct.counts(self.db)
        rows = self.rows(m["id"])
        for action, field in (
                ({"what": "x", "owner": "y",
                  "child_id": other["children"][0]["id"]}, "actions[0]"),
                ({"what": "x", "owner": "y",
                  "owner_participant_id": self.part(other, "police")["id"]},
                 "actions[0]"),
                ({"what": "x", "owner": "y", "owner_agency": "nobody"},
                 "actions[0]"),
                ({"id": other["id"] * 1000, "what": "x", "owner": "y"},
                 "actions[0]"),
                ({"what": "x", "owner": "y", "status": "maybe"},
                 "actions[0].status"),
                ({"what": "x", "owner": "y", "status": "not_done"},
                 "actions[0].not_done_reason"),
                ({"owner": "y"}, "actions[0].what")):
            body = self.attendance_body(m)
            body["actions"] = [action]
            st, _, b = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                                 m["id"], self.sw, body)
            self.assertEqual((st, b["error"]["field"]), (422, field),
                             (action, b))
        self.assertEqual(ct.counts(self.db), before)
        self.assertEqual(self.rows(m["id"]), rows)
        # Status changes: a reason for not done; another team cannot.
        st, _, b = self.call("PATCH", "/api/v1/actions/%d" % aid, self.sw,
                             {"status": "not_done"})
        self.assertEqual((st, b["error"]["field"]),
                         (422, "not_done_reason"))
        st, _, b = self.call("PATCH", "/api/v1/actions/%d" % aid, self.sw_b,
                             {"status": "done"})
        self.assertEqual(st, 404)
        st, _, b = self.call("PATCH", "/api/v1/actions/%d" % aid,
                             self.admin, {"status": "done"})
        self.assertEqual(st, 403)
        reason = "Family moved to Jamie Record's grandmother"
        st, _, b = self.call("PATCH", "/api/v1/actions/%d" % aid, self.mgr,
                             {"status": "not_done",
                              "not_done_reason": reason})
        self.assertEqual((st, b["status"], b["not_done_reason"]),
                         (200, "not_done", reason))
        [(after,)] = ct.query(self.db, "SELECT after FROM audit_log WHERE "
                              "action = 'action.status' AND entity_id = %s",
                              (aid,))
        self.assertEqual(after, {"status": "not_done",
                                 "reason_written": True})

    def test_3_lists_mine_and_team(self):
        m = self.held()
        self.save(m, [{"what": "Late one", "owner": "Sam",
                       "due": day(-3)},
                      {"what": "Later one", "owner": "Sam",
                       "due": day(5)}])
        st, _, team = self.call("GET", "/api/v1/actions", self.sw)
        self.assertEqual(st, 200, team)
        mine = [a for a in team["actions"] if a["discussion_id"] == m["id"]]
        self.assertEqual([a["what"] for a in mine], ["Late one",
                                                     "Later one"])
        self.assertTrue(mine[0]["overdue"])
        # The booking social worker is allocated the case: "mine".
        st, _, own = self.call("GET", "/api/v1/actions?scope=mine", self.sw)
        self.assertIn(m["id"], [a["discussion_id"] for a in own["actions"]])
        st, _, theirs = self.call("GET", "/api/v1/actions?scope=mine",
                                  self.sw_b)
        self.assertNotIn(m["id"], [a["discussion_id"]
                                   for a in theirs["actions"]])
        st, _, b = self.call("GET", "/api/v1/actions?scope=everyone",
                             self.sw)
        self.assertEqual((st, b["error"]["field"]), (400, "scope"))

    def test_4_mark_done_on_the_meeting_page(self):
        m = self.held()
        r = self.save(m, [{"what": "Ring the GP", "owner": "Sam"}])
        aid = r["actions"][0]["id"]
        cookie = ct.sign_in(self.srv.base, "ac-wsw", self.pw)
        csrf = ct.session_csrf(self.db, cookie)
        st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" %
                              m["id"], cookie=cookie)
        self.assertIn('action="/meetings/%d/actions/%d"' % (m["id"], aid),
                      page)
        st, _, page = ct.form("POST", self.srv.base, "/meetings/%d/actions/%d"
                              % (m["id"], aid), {"status": "not_done"},
                              cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422, page)
        self.assertIn('href="#reason-%d"' % aid, page)
        st, h, _ = ct.form("POST", self.srv.base, "/meetings/%d/actions/%d"
                           % (m["id"], aid), {"status": "done"},
                           cookie=cookie, csrf=csrf)
        self.assertEqual((st, h["Location"]),
                         (303, "/meetings/%d?done=action" % m["id"]))
        self.assertEqual(self.rows(m["id"])[0][2], "done")
        # An action of another discussion through this one's address: 404.
        other = self.held()
        r = self.save(other, [{"what": "x", "owner": "y"}])
        st, _, _ = ct.form("POST", self.srv.base, "/meetings/%d/actions/%d"
                           % (m["id"], r["actions"][0]["id"]),
                           {"status": "done"}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 404)


if __name__ == "__main__":
    unittest.main()
