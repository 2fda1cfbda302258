"""Approval before the meeting (issue 12, section 1).

Where the authority sets require_approval_single_agency, a booking that
leaves a statutory agency out waits for a manager's approval before it goes
ahead. On real PostgreSQL through the API and the pages:
  - the setting (API and /admin/settings);
  - booked without health: pending, on the manager's queue, the attendance
    refused (409 on approval) and nothing written;
  - refusing needs a note; refused still blocks; inviting health clears it;
  - approved: the attendance is recorded;
  - a multi-agency booking, or the setting off, needs nothing;
  - the manager approves on the meeting page; a social worker cannot.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_approval.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase  # noqa: E402


class Approval(RecordCase):
    DB = "convene_it_approval"
    PREFIX = "AP"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pw = {n: ct.add_user(cls.db, n, role, team="Record Team")
                  for n, role in (("ap-wmgr", "manager"),
                                  ("ap-wsw", "social_worker"))}
        cls.authority = ct.query(cls.db, "SELECT authority_id FROM users "
                                 "WHERE username = 'ap-sw'")[0][0]

    def setting(self, on):
        st, _, b = self.call("PUT", "/api/v1/authorities/%d/settings" %
                             self.authority, self.admin,
                             {"require_approval_single_agency": on})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["require_approval_single_agency"], on)

    def without_health(self):
        return self.book(("social_care", "police"),
                         missing_agency_reason="Health visitor on leave")

    def decide(self, mid, body, token=None):
        return self.call("POST", "/api/v1/meetings/%d/approval" % mid,
                         token or self.mgr, body)

    def test_1_pending_blocks_refused_blocks_inviting_clears(self):
        self.setting(True)
        st, _, b = self.call("PUT", "/api/v1/authorities/%d/settings" %
                             self.authority, self.admin,
                             {"require_approval_single_agency": "yes"})
        self.assertEqual((st, b["error"]["field"]),
                         (422, "require_approval_single_agency"))
        m = self.without_health()
        self.assertEqual(m["approval"], "pending")
        self.assertIsNone(self.book()["approval"])	# every agency
        # The attendance waits, and nothing changes.
        before = ct.counts(self.db)
        st, _, b = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                             m["id"], self.sw, self.attendance_body(m))
        self.assertEqual((st, b["error"]["field"]), (409, "approval"))
        self.assertEqual(ct.counts(self.db), before)
        # Only a manager decides; refusing needs a note.
        st, _, _ = self.decide(m["id"], {"decision": "approve"}, self.sw)
        self.assertEqual(st, 403)
        st, _, b = self.decide(m["id"], {"decision": "refuse"})
        self.assertEqual((st, b["error"]["field"]), (422, "note"))
        st, _, b = self.decide(m["id"], {"decision": "maybe"})
        self.assertEqual((st, b["error"]["field"]), (422, "decision"))
        st, _, r = self.decide(m["id"], {"decision": "refuse",
                                         "note": "Ask the named nurse"})
        self.assertEqual((st, r["approval"], r["approval_note"]),
                         (200, "refused", "Ask the named nurse"))
        st, _, b = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                             m["id"], self.sw, self.attendance_body(m))
        self.assertEqual((st, b["error"]["field"]), (409, "approval"))
        # Health invited: no approval needed any more.
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"add_participants": [
                                 {"contact_id": self.contact["health"]}]})
        self.assertEqual(st, 200, u)
        self.assertIsNone(u["approval"])
        self.attend(self.get(m["id"]))
        [(after,)] = ct.query(self.db, "SELECT after FROM audit_log WHERE "
                              "action = 'meeting.approval' AND entity_id = "
                              "%s", (m["id"],))
        self.assertEqual(after, {"approval": "refused",
                                 "note_written": True})

    def test_2_approved_goes_ahead_and_setting_off_needs_nothing(self):
        self.setting(True)
        m = self.without_health()
        st, _, r = self.decide(m["id"], {"decision": "approve"})
        self.assertEqual((st, r["approval"]), (200, "approved"))
        st, _, _ = self.decide(m["id"], {"decision": "approve"})
        self.assertEqual(st, 409)
        self.attend(m, {"police": "absent"})
        self.setting(False)
        self.assertIsNone(self.without_health()["approval"])

    def test_3_queue_and_the_meeting_page(self):
        self.setting(True)
        m = self.without_health()
        cookie = ct.sign_in(self.srv.base, "ap-wmgr", self.pw["ap-wmgr"])
        csrf = ct.session_csrf(self.db, cookie)
        st, _, home = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertIn('href="/meetings/%d#approval"' % m["id"], home)
        st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" % m["id"],
                              cookie=cookie)
        self.assertIn('action="/meetings/%d/approval"' % m["id"], page)
        st, _, page = ct.form("POST", self.srv.base, "/meetings/%d/approval"
                              % m["id"], {"decision": "refuse"},
                              cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422, page)
        self.assertIn('href="#note"', page)
        st, h, _ = ct.form("POST", self.srv.base, "/meetings/%d/approval" %
                           m["id"], {"decision": "approve"}, cookie=cookie,
                           csrf=csrf)
        self.assertEqual((st, h["Location"]),
                         (303, "/meetings/%d?done=approval" % m["id"]))
        self.assertEqual(self.get(m["id"])["approval"], "approved")
        # The social worker's page says what is happening; no form.
        m2 = self.without_health()
        sw = ct.sign_in(self.srv.base, "ap-wsw", self.pw["ap-wsw"])
        st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" %
                              m2["id"], cookie=sw)
        self.assertIn('data-approval="pending"', page)
        self.assertNotIn('action="/meetings/%d/approval"' % m2["id"], page)
        self.setting(False)

    def test_4_a_decision_covers_the_agencies_it_saw_missing(self):
        self.setting(True)
        m = self.without_health()
        st, _, r = self.decide(m["id"], {"decision": "approve",
                                         "note": "Health on leave: agreed"})
        self.assertEqual((st, r["approval"]), (200, "approved"))
        police = self.part(m, "police")
        # Police taken off too: the approval did not cover that.
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"remove_participants": [police["id"]],
                                       "missing_agency_reason":
                                       "Health on leave, police unavailable"})
        self.assertEqual(st, 200, u)
        self.assertEqual((u["approval"], u["approval_note"]),
                         ("pending", None))
        st, _, b = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                             m["id"], self.sw, self.attendance_body(u))
        self.assertEqual((st, b["error"]["field"]), (409, "approval"))
        st, _, r = self.decide(m["id"], {"decision": "approve"})
        self.assertEqual((st, r["approval"]), (200, "approved"))
        # Police back: fewer agencies left out, the approval stands.
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"add_participants": [
                                 {"contact_id": self.contact["police"]}]})
        self.assertEqual((st, u["approval"]), (200, "approved"))
        # A refusal is looked at again after any change to who is out.
        m2 = self.without_health()
        st, _, r = self.decide(m2["id"], {"decision": "refuse",
                                          "note": "Find a health rep"})
        self.assertEqual((st, r["approval"]), (200, "refused"))
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m2["id"],
                             self.sw, {"location": "Room 2"})
        self.assertEqual((st, u["approval"]), (200, "refused"))
        p2 = self.part(m2, "police")
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m2["id"],
                             self.sw, {"remove_participants": [p2["id"]],
                                       "missing_agency_reason":
                                       "Neither can come"})
        self.assertEqual((st, u["approval"]), (200, "pending"))


if __name__ == "__main__":
    unittest.main()
