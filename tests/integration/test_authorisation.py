"""A manager's authorisation that holds (issue 12, section 1).

On real PostgreSQL through the API:
  - the record goes draft -> awaiting_authorisation (the team submits) ->
    authorised (a manager, with oversight, changing one child's decision:
    the change is in the version and the audit entry, the oversight is not
    in the audit log);
  - the sign-off survives no edit: changing the decision from "Section 47
    joint" to "no further action" after authorisation makes version N+1
    awaiting authorisation, takes the sign-off away (the statistics count
    it no longer), and the authorised version stays readable as it was;
  - an attendance change after authorisation does the same;
  - refusals change nothing: a social worker authorising (403), a draft
    not submitted, authorising twice, no oversight, a decision the record
    does not go with, a child not of the record, an unreviewed
    single-agency discussion;
  - the older sign-off route authorises a record (from a draft) and still
    answers with the review state.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_authorisation.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase, child_entry  # noqa: E402


class Authorisation(RecordCase):
    DB = "convene_it_authorisation"
    PREFIX = "AU"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pw = {n: ct.add_user(cls.db, n, role, team="Record Team")
                  for n, role in (("au-wsw", "social_worker"),
                                  ("au-wmgr", "manager"))}

    def session(self, name):
        cookie = ct.sign_in(self.srv.base, name, self.pw[name])
        return cookie, ct.session_csrf(self.db, cookie)

    def page(self, cookie, path):
        st, _, body = ct.form("GET", self.srv.base, path, cookie=cookie)
        self.assertEqual(st, 200, body)
        return body

    def recorded(self, **kw):
        m = self.held(**kw)
        self.record_ok(m["id"], self.record_body(m))
        return self.get(m["id"])

    def submit(self, mid, token=None):
        return self.call("POST", "/api/v1/meetings/%d/record/submit" % mid,
                         token or self.sw, {})

    def authorise(self, mid, body, token=None):
        return self.call("POST", "/api/v1/meetings/%d/authorisation" % mid,
                         token or self.mgr, body)

    def versions(self, mid, token=None):
        st, _, v = self.call("GET", "/api/v1/meetings/%d/record/versions" %
                             mid, token or self.sw)
        self.assertEqual(st, 200, v)
        return v

    def signed_off(self, mid):
        return ct.query(self.db, "SELECT count(*) FROM discussion_signoffs "
                        "WHERE discussion_id = %s", (mid,))[0][0]

    def test_1_submit_authorise_then_an_edit_is_a_new_version(self):
        m = self.recorded()
        mid, child = m["id"], m["children"][0]["id"]
        self.assertEqual(self.versions(mid)["status"], "draft")
        self.refused(mid, "POST", "/api/v1/meetings/%d/authorisation" % mid,
                     409, "status", {"oversight": "Seen"}, self.mgr)
        st, _, v = self.submit(mid)
        self.assertEqual(st, 200, v)
        self.assertEqual(v["status"], "awaiting_authorisation")
        self.assertEqual(v["submitted_by"], "au-sw")
        st, _, _ = self.submit(mid)
        self.assertEqual(st, 409)

        oversight = "Agree joint enquiry; police to lead the interview"
        st, _, v = self.authorise(mid, {"oversight": oversight, "children": [
            {"child_id": child, "decision": "s47_single_agency"}]})
        self.assertEqual(st, 200, v)
        self.assertEqual(v["status"], "authorised")
        [one] = v["versions"]
        version = one["version"]
        self.assertEqual((one["status"], one["authorised_by"],
                          one["oversight"]),
                         ("authorised", "au-mgr", oversight))
        self.assertEqual(one["changes"], [{"child_id": child,
                                           "before": "s47_joint",
                                           "after": "s47_single_agency"}])
        self.assertEqual(one["record"]["children"][0]["decision"],
                         "s47_single_agency")
        self.assertEqual(self.get(mid)["record"]["status"], "authorised")
        self.assertEqual(self.signed_off(mid), 1)
        [(after,)] = ct.query(self.db, "SELECT after FROM audit_log WHERE "
                              "action = 'record.authorise' AND entity_id = "
                              "%s", (mid,))
        self.assertEqual(after["changes"], one["changes"])
        self.assertTrue(after["oversight_written"])
        self.assertNotIn("police to lead", str(after))
        st, _, _ = self.authorise(mid, {"oversight": "again"})
        self.assertEqual(st, 409)

        # The edit the issue reproduced: Section 47 -> no further action.
        body = self.record_body(m, {child: "no_further_action"})
        self.record_ok(mid, body)
        v = self.versions(mid)
        self.assertEqual(v["status"], "awaiting_authorisation")
        self.assertEqual(v["version"], version + 1)
        self.assertEqual(self.signed_off(mid), 0)
        self.assertEqual([x["status"] for x in v["versions"]],
                         ["authorised", "awaiting_authorisation"])
        kept = v["versions"][0]
        self.assertEqual(kept, one)
        self.assertEqual(v["versions"][1]["record"]["children"][0]
                         ["decision"], "no_further_action")
        self.assertEqual(self.get(mid)["record"]["status"],
                         "awaiting_authorisation")
        # Authorised again: both versions readable.
        st, _, v = self.authorise(mid, {"oversight": "NFA agreed"})
        self.assertEqual(st, 200, v)
        self.assertEqual([(x["version"], x["status"]) for x in v["versions"]],
                         [(version, "authorised"),
                          (version + 1, "authorised")])

    def test_2_attendance_change_after_authorisation_reopens(self):
        m = self.recorded()
        mid = m["id"]
        self.assertEqual(self.submit(mid)[0], 200)
        st, _, v = self.authorise(mid, {"oversight": "Fine"})
        self.assertEqual(st, 200, v)
        version = v["version"]
        # The same attendance again changes nothing.
        self.attend(m)
        self.assertEqual(self.versions(mid)["status"], "authorised")
        self.attend(m, {"education": "absent"})
        v = self.versions(mid)
        self.assertEqual((v["status"], v["version"]),
                         ("awaiting_authorisation", version + 1))
        self.assertEqual(self.signed_off(mid), 0)

    def test_3_refusals_change_nothing(self):
        m = self.recorded()
        mid, child = m["id"], m["children"][0]["id"]
        self.assertEqual(self.submit(mid)[0], 200)
        path = "/api/v1/meetings/%d/authorisation" % mid
        st, _, _ = self.call("POST", path, self.sw, {"oversight": "x"})
        self.assertEqual(st, 403)
        st, _, _ = self.call("POST", path, self.sw_b, {"oversight": "x"})
        self.assertEqual(st, 403)
        self.refused(mid, "POST", path, 422, "oversight", {}, self.mgr)
        self.refused(mid, "POST", path, 422, "oversight",
                     {"oversight": ""}, self.mgr)
        self.refused(mid, "POST", path, 422, "children[0].decision",
                     {"oversight": "x", "children": [
                         {"child_id": child, "decision": "maybe"}]}, self.mgr)
        self.refused(mid, "POST", path, 422, "children[0].child_id",
                     {"oversight": "x", "children": [
                         {"child_id": 999999, "decision": "s47_joint"}]},
                     self.mgr)
        # The record's Section 47 fields (a conference next) do not go with
        # no further action: the manager asks the team instead.
        self.refused(mid, "POST", path, 422, "children[0].decision",
                     {"oversight": "x", "children": [
                         {"child_id": child,
                          "decision": "no_further_action"}]}, self.mgr)
        self.refused(mid, "POST", path, 422, "extra",
                     {"oversight": "x", "extra": 1}, self.mgr)
        st, _, _ = self.call("POST", "/api/v1/meetings/%d/record/submit" %
                             mid, self.mgr, {})
        self.assertEqual(st, 403)
        st, _, _ = self.call("POST", "/api/v1/meetings/%d/record/submit" %
                             mid, self.sw_b, {})
        self.assertEqual(st, 404)
        # Not held, no record: nothing to submit.
        booked = self.book(starts=None)
        st, _, b = self.submit(booked["id"])
        self.assertEqual((st, b["error"]["field"]), (409, "status"))

    def test_4_single_agency_needs_the_review_first(self):
        m = self.held(statuses={"police": "absent", "health": "absent"})
        self.record_ok(m["id"], self.record_body(m))
        mid = m["id"]
        self.assertEqual(self.submit(mid)[0], 200)
        path = "/api/v1/meetings/%d/authorisation" % mid
        self.refused(mid, "POST", path, 409, "review", {"oversight": "x"},
                     self.mgr)
        st, _, r = self.call("POST", "/api/v1/meetings/%d/review" % mid,
                             self.mgr, {"decision": "practice_concern",
                                        "note": "Health should be there"})
        self.assertEqual(st, 200, r)
        st, _, v = self.authorise(mid, {"oversight": "Reviewed"})
        self.assertEqual(st, 200, v)

    def test_5_older_sign_off_authorises_a_record(self):
        m = self.recorded()
        mid = m["id"]
        path = "/api/v1/meetings/%d/sign-off" % mid
        self.refused(mid, "POST", path, 422, "note", {}, self.mgr)
        st, _, r = self.call("POST", path, self.mgr, {"note": "Checked"})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["sign_off"]["signed_off_by"], "au-mgr")
        v = self.versions(mid)
        self.assertEqual(v["status"], "authorised")
        self.assertEqual(v["versions"][0]["oversight"], "Checked")
        st, _, _ = self.call("POST", path, self.mgr, {"note": "Again"})
        self.assertEqual(st, 409)
        # And it does not survive an edit either.
        body = self.record_body(m)
        body["safety_plan"] = "Changed after sign-off"
        self.record_ok(mid, body)
        self.assertEqual(self.signed_off(mid), 0)
        self.assertEqual(self.versions(mid)["status"],
                         "awaiting_authorisation")

    def test_6_web_submit_queue_and_authorise(self):
        m = self.recorded()
        mid, child = m["id"], m["children"][0]["id"]
        sw, sw_csrf = self.session("au-wsw")
        page = self.page(sw, "/meetings/%d" % mid)
        self.assertIn("Submit for authorisation", page)
        st, h, _ = ct.form("POST", self.srv.base,
                           "/meetings/%d/record/submit" % mid, {},
                           cookie=sw, csrf=sw_csrf)
        self.assertEqual((st, h["Location"]),
                         (303, "/meetings/%d?done=submitted" % mid))
        self.assertEqual(self.versions(mid)["status"],
                         "awaiting_authorisation")

        mgr, mgr_csrf = self.session("au-wmgr")
        home = self.page(mgr, "/")
        self.assertIn('href="/meetings/%d#authorisation"' % mid, home)
        self.assertIn("Awaiting authorisation", home)
        page = self.page(mgr, "/meetings/%d" % mid)
        self.assertIn("Authorise this record", page)
        self.assertIn('name="decision-%d"' % child, page)
        # No oversight: the form again, the field named, nothing changed.
        st, _, body = ct.form("POST", self.srv.base,
                              "/meetings/%d/authorisation" % mid,
                              {"oversight": "",
                               "decision-%d" % child: "s47_joint"},
                              cookie=mgr, csrf=mgr_csrf)
        self.assertEqual(st, 422, body)
        self.assertIn('href="#oversight"', body)
        self.assertEqual(self.versions(mid)["status"],
                         "awaiting_authorisation")
        # A decision the record does not go with: that child's select.
        st, _, body = ct.form("POST", self.srv.base,
                              "/meetings/%d/authorisation" % mid,
                              {"oversight": "x",
                               "decision-%d" % child: "no_further_action"},
                              cookie=mgr, csrf=mgr_csrf)
        self.assertEqual(st, 422, body)
        self.assertIn('href="#decision-%d"' % child, body)
        st, h, _ = ct.form("POST", self.srv.base,
                           "/meetings/%d/authorisation" % mid,
                           {"oversight": "Joint enquiry agreed",
                            "decision-%d" % child: "s47_single_agency"},
                           cookie=mgr, csrf=mgr_csrf)
        self.assertEqual((st, h["Location"]),
                         (303, "/meetings/%d?done=authorised" % mid))
        v = self.versions(mid)
        self.assertEqual(v["status"], "authorised")
        self.assertEqual(v["versions"][-1]["changes"][0]["after"],
                         "s47_single_agency")
        page = self.page(mgr, "/meetings/%d" % mid)
        self.assertIn("authorised by", page)
        self.assertIn("Joint enquiry agreed", page)
        self.assertNotIn('href="/meetings/%d#authorisation"' % mid,
                         self.page(mgr, "/"))
        # A social worker cannot post the manager's form.
        st, _, _ = ct.form("POST", self.srv.base,
                           "/meetings/%d/authorisation" % mid,
                           {"oversight": "x"}, cookie=sw, csrf=sw_csrf)
        self.assertEqual(st, 403)


if __name__ == "__main__":
    unittest.main()
