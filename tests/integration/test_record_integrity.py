"""The record keeps its rules after it is written (issue 11, section 2).

Attendance recorded again, or a child's facts put right, after the record
of the discussion was written must not leave a record that PUT /record
would refuse: a decision of no further action beside an initial conference,
a chair who did not attend, an agency that "sent information" with nothing
received in writing, a child on a plan with an initial conference. Each is
a 422 naming the request's own field, and changes nothing. A change the
record survives is stored, and when it changes the record's content (a
decision given with attendance) the record becomes a new version.

Also here: an unborn baby recorded as born by PATCH (name and date of
birth), with its refusals.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_record_integrity.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase, at, today  # noqa: E402


class RecordIntegrityTest(RecordCase):
    DB = "convene_it_record_integrity"
    PREFIX = "RIN"

    def recorded(self, **over):
        """A held meeting (social care, police, health all attended) with
        its record written: Section 47 joint, initial conference, planned
        medical."""
        m = self.held(**over)
        r = self.record_ok(m["id"], self.record_body(m))
        self.assertEqual(r["record"]["version"], 1)
        self.assertEqual(r["record"]["children"][0]["next_step"], "icpc")
        return r

    def attendance(self, m, body, status, field=None):
        path = "/api/v1/meetings/%d/attendance" % m["id"]
        if status == 200:
            st, _, r = self.call("PUT", path, self.sw, body)
            self.assertEqual(st, 200, r)
            return r
        return self.refused(m["id"], "PUT", path, status, field, body)

    def index_of(self, body, participant):
        for i, p in enumerate(body["participants"]):
            if p.get("id") == participant["id"]:
                return i
        self.fail("participant %r not in the body" % participant)

    # ---- attendance after the record ----------------------------------------

    def test_outcome_that_breaks_the_record_is_422(self):
        m = self.recorded()
        cid = m["children"][0]["id"]
        # No further action, while the record has an initial conference
        # and a planned medical.
        for outcome in ({"child_id": cid, "decision": "no_further_action",
                         "rationale": "Changed our minds"},
                        {"child": m["children"][0]["name"],
                         "decision": "no_s47_further_assessment",
                         "rationale": "Changed our minds"}):
            with self.subTest(outcome=outcome):
                err = self.attendance(m, self.attendance_body(
                    m, outcomes=[outcome]), 422, "outcomes[0].decision")
                self.assertIn("record", err["message"])
        # An outcome without its rationale would blank the record's.
        err = self.attendance(m, self.attendance_body(m, outcomes=[
            {"child_id": cid, "decision": "s47_joint"}]), 422,
            "outcomes[0].rationale")
        self.assertIn("rationale", err["message"])

    def test_chair_no_longer_attending_is_422(self):
        m = self.recorded(agencies=("social_care", "social_care2",
                                    "police", "health"))
        chair = self.part(m, "social_care")
        self.assertEqual(m["record"]["chair_participant_id"], chair["id"])
        body = self.attendance_body(
            m, {"social_care": "apologies"},
            absence_reason="Called away to an emergency")
        for status in ("apologies", "absent", "contributed"):
            with self.subTest(attendance=status):
                b = self.attendance_body(
                    m, {"social_care": status},
                    absence_reason="Called away to an emergency")
                err = self.attendance(
                    m, b, 422,
                    "participants[%d].attendance" % self.index_of(b, chair))
                self.assertIn("chair", err["message"])
        self.assertEqual(len(body["participants"]), 4)

    def test_agency_marked_as_sending_information_needs_its_entry(self):
        m = self.recorded()
        health = self.part(m, "health")
        b = self.attendance_body(m, {"health": "contributed"},
                                 absence_reason="Sent a report instead")
        err = self.attendance(
            m, b, 422, "participants[%d].attendance" %
            self.index_of(b, health))
        self.assertIn("in_writing", err["message"])
        # Once the record has health's written information, it may be so.
        body = self.record_body(m)
        body["agency_information"].append({
            "agency": "health", "information": "Health visitor report",
            "checks": "partial", "received": "in_writing",
            "from": "Nurse Hana Health"})
        self.record_ok(m["id"], body)
        r = self.attendance(m, b, 200)
        self.assertEqual(self.part(r, "health")["attendance"], "contributed")

    def test_change_the_record_survives_is_a_new_version(self):
        m = self.recorded()
        cid = m["children"][0]["id"]
        # The same attendance again: the record is unchanged, same version.
        r = self.attendance(m, self.attendance_body(m), 200)
        self.assertEqual(r["record"]["version"], 1)
        self.assertEqual(r["record"], m["record"])
        # A decision the record's other fields still allow: stored, and the
        # record is a new version with it.
        r = self.attendance(m, self.attendance_body(m, outcomes=[
            {"child_id": cid, "decision": "s47_single_agency",
             "rationale": "Police will not investigate"}]), 200)
        c = r["record"]["children"][0]
        self.assertEqual((c["decision"], c["rationale"], c["next_step"]),
                         ("s47_single_agency", "Police will not investigate",
                          "icpc"))
        self.assertEqual(r["record"]["version"], 2)
        self.assertEqual(self.get(m["id"])["record"]["version"], 2)
        last = self.history(m["id"])["history"][-1]
        self.assertEqual(last["action"], "meeting.attendance")
        self.assertIn({"field": "children[%d].decision" % cid,
                       "before": "s47_joint", "after": "s47_single_agency"},
                      last["changes"])
        self.assertIn({"field": "record.version", "before": 1, "after": 2},
                      last["changes"])

    def test_attendance_without_a_record_is_unchanged(self):
        # No record yet: an outcome of no further action is the decision.
        m = self.held()
        cid = m["children"][0]["id"]
        r = self.attendance(m, self.attendance_body(m, outcomes=[
            {"child_id": cid, "decision": "no_further_action"}]), 200)
        self.assertIsNone(r["record"])
        self.assertEqual(r["outcomes"][0]["decision"], "no_further_action")

    # ---- a child's facts after the record ------------------------------------

    def test_child_put_on_a_plan_after_the_record_is_422(self):
        m = self.recorded()
        cid = m["children"][0]["id"]
        path = "/api/v1/meetings/%d" % m["id"]
        err = self.refused(m["id"], "PATCH", path, 422,
                           "children[0].legal_status", {"children": [
                               {"id": cid,
                                "legal_status": "child_protection_plan"}]})
        self.assertIn("review", err["message"])
        # A fact the record does not rest on may still be put right.
        st, _, u = self.call("PATCH", path, self.sw, {"children": [
            {"id": cid, "legal_status": "looked_after"}]})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["record"]["version"], 1)

    # ---- an unborn baby is born ----------------------------------------------

    def test_unborn_baby_recorded_as_born(self):
        m = self.book(starts=at(days=2), children=[
            {"unborn": True, "expected_date": "2027-01-10",
             "legal_status": "child_in_need"}])
        baby = m["children"][0]
        path = "/api/v1/meetings/%d" % m["id"]
        born = {"id": baby["id"], "unborn": False, "name": "Rowan Born",
                "date_of_birth": today()}
        for change, field in (
                # still unborn: a date of birth needs unborn false
                ({"id": baby["id"], "date_of_birth": today()},
                 "children[0].date_of_birth"),
                # born needs a name and a date of birth
                ({"id": baby["id"], "unborn": False},
                 "children[0].name"),
                ({"id": baby["id"], "unborn": False, "name": "Rowan Born"},
                 "children[0].date_of_birth"),
                (dict(born, date_of_birth="2099-01-01"),
                 "children[0].date_of_birth"),
                (dict(born, date_of_birth="2027-02-30"),
                 "children[0].date_of_birth"),
                (dict(born, expected_date="2027-01-10"),
                 "children[0].expected_date"),
                (dict(born, unborn="no"), "children[0].unborn"),
                (dict(born, name=""), "children[0].name")):
            with self.subTest(change=change):
                self.refused(m["id"], "PATCH", path, 422, field,
                             {"children": [change]})
        # The expected date may move while the baby is unborn.
        st, _, u = self.call("PATCH", path, self.sw, {"children": [
            {"id": baby["id"], "expected_date": "2027-01-03"}]})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["children"][0]["expected_date"], "2027-01-03")
        self.assertTrue(u["children"][0]["unborn"])
        st, _, u = self.call("PATCH", path, self.sw, {"children": [born]})
        self.assertEqual(st, 200, u)
        c = u["children"][0]
        self.assertEqual((c["id"], c["unborn"], c["name"], c["date_of_birth"],
                          c["expected_date"], c["legal_status"]),
                         (baby["id"], False, "Rowan Born", today(), None,
                          "child_in_need"))
        self.assertEqual(self.get(m["id"]), u)
        # Born is born: not unborn again, and no expected date.
        for change, field in (
                ({"id": baby["id"], "unborn": True,
                  "expected_date": "2027-01-10"}, "children[0].unborn"),
                ({"id": baby["id"], "expected_date": "2027-01-10"},
                 "children[0].expected_date")):
            with self.subTest(change=change):
                self.refused(m["id"], "PATCH", path, 422, field,
                             {"children": [change]})

    def test_baby_born_after_the_meeting_is_held(self):
        # Children's facts may be put right on a held discussion too, and
        # the record (keyed by child id) stays the baby's.
        m = self.held(children=[{"unborn": True,
                                 "expected_date": today()}])
        baby = m["children"][0]
        r = self.record_ok(m["id"], self.record_body(m, {
            baby["id"]: "no_s47_further_assessment"}))
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"children": [
                                 {"id": baby["id"], "unborn": False,
                                  "name": "Sky Born",
                                  "date_of_birth": today()}]})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["children"][0]["name"], "Sky Born")
        self.assertEqual(u["record"]["children"], r["record"]["children"])
        self.assertEqual(u["outcomes"][0]["child"], "Sky Born")

    # ---- who may chair: by user id; the setting in the API -------------------

    def settings_path(self):
        auth = ct.query(self.db, "SELECT authority_id FROM users WHERE "
                        "username = %s", (self.PREFIX.lower() + "-admin",))
        return "/api/v1/authorities/%d/settings" % auth[0][0]

    def set_enforce(self, value):
        st, _, s = self.call("PUT", self.settings_path(), self.admin,
                             {"enforce_chair_eligibility": value})
        self.assertEqual(st, 200, s)
        return s

    def test_enforce_chair_eligibility_in_the_settings_api(self):
        path = self.settings_path()
        st, _, s = self.call("GET", path, self.admin)
        self.assertEqual(st, 200, s)
        self.assertIs(s["enforce_chair_eligibility"], False)
        self.addCleanup(self.set_enforce, False)
        audits = ct.query(self.db, "SELECT count(*) FROM audit_log WHERE "
                          "action = 'authority.settings'")[0][0]
        s2 = self.set_enforce(True)
        self.assertIs(s2["enforce_chair_eligibility"], True)
        self.assertEqual({k: v for k, v in s2.items()
                          if k != "enforce_chair_eligibility"},
                         {k: v for k, v in s.items()
                          if k != "enforce_chair_eligibility"})
        st, _, g = self.call("GET", path, self.admin)
        self.assertEqual(g, s2)
        self.assertEqual(ct.query(self.db, "SELECT bool_and("
                                  "enforce_chair_eligibility) FROM "
                                  "authorities a JOIN users u ON "
                                  "u.authority_id = a.id WHERE u.username "
                                  "= %s", (self.PREFIX.lower() + "-admin",)
                                  )[0][0], True)
        before, after = ct.query(
            self.db, "SELECT before, after FROM audit_log WHERE action = "
            "'authority.settings' ORDER BY id DESC LIMIT 1")[0]
        self.assertEqual((before["enforce_chair_eligibility"],
                          after["enforce_chair_eligibility"]), (False, True))
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM audit_log "
                                  "WHERE action = 'authority.settings'")
                         [0][0], audits + 1)
        for bad in ("true", 1, None, [True]):
            with self.subTest(value=bad):
                err = self.refused(None, "PUT", path, 422,
                                   "enforce_chair_eligibility",
                                   {"enforce_chair_eligibility": bad},
                                   token=self.admin)
                self.assertIn("enforce_chair_eligibility", err["message"])
        # Administrators only.
        st, _, r = self.call("PUT", path, self.mgr,
                             {"enforce_chair_eligibility": False})
        self.assertEqual(st, 403, r)

    def test_manager_may_chair_by_user_id_not_by_name(self):
        """A manager named as a participant by user_id may chair; someone
        who only has a manager's display name may not."""
        mgr = self.PREFIX.lower() + "-mgr"
        mgr_id, shown = ct.query(self.db, "SELECT id, display_name FROM "
                                 "users WHERE username = %s", (mgr,))[0]
        self.assertEqual(shown, mgr)
        people = [{"name": "Morgan Manager", "agency": "social_care",
                   "organisation": "Council", "role": "Team manager",
                   "email": "morgan.manager@council.example",
                   "user_id": mgr_id},
                  # the manager's display name, typed in by hand
                  {"name": mgr, "email": "namesake@council.example",
                   "agency": "social_care", "organisation": "Council",
                   "role": "Social worker"},
                  {"contact_id": self.contact["social_care"]},
                  {"contact_id": self.contact["police"]},
                  {"contact_id": self.contact["health"]}]
        # Only an active user of the discussion's authority.
        ct.add_user(self.db, "rin-far-mgr", "manager", team="Far Team",
                    authority="farshire")
        ct.add_user(self.db, "rin-gone-mgr", "manager", team="Record Team")
        ct.query(self.db, "UPDATE users SET active = false WHERE username "
                 "= 'rin-gone-mgr'")
        for other in ("rin-far-mgr", "rin-gone-mgr"):
            uid = ct.query(self.db, "SELECT id FROM users WHERE username = "
                           "%s", (other,))[0][0]
            with self.subTest(user=other):
                self.bad_booking("participants[0].user_id", self.booking(
                    participants=[dict(people[0], user_id=uid)] +
                    people[1:]))
        self.bad_booking("participants[0].user_id", self.booking(
            participants=[dict(people[0], user_id="1")] + people[1:]))
        m = self.book(participants=people)
        st, _, m = self.call(
            "PUT", "/api/v1/meetings/%d/attendance" % m["id"], self.sw,
            {"participants": [{"id": p["id"], "attendance": "attended"}
                              for p in m["participants"]],
             "child_views_recorded": False})
        self.assertEqual(st, 200, m)
        by_name = {p["name"]: p for p in m["participants"]}
        self.assertEqual(by_name["Morgan Manager"]["user_id"], mgr_id)
        self.assertIsNone(by_name[mgr]["user_id"])
        self.assertTrue(by_name["Morgan Manager"]["can_chair"])
        self.assertFalse(by_name[mgr]["can_chair"])
        self.assertFalse(by_name["Sam Social"]["can_chair"])
        self.addCleanup(self.set_enforce, False)
        self.set_enforce(True)
        for who in (mgr, "Sam Social"):
            with self.subTest(chair=who):
                self.bad_record(m, "chair_participant_id", self.record_body(
                    m, chair_participant_id=by_name[who]["id"]))
        r = self.record_ok(m["id"], self.record_body(
            m, chair_participant_id=by_name["Morgan Manager"]["id"]))
        self.assertEqual(r["chair"], "Morgan Manager")
        # A manager no longer active may no longer chair.
        ct.query(self.db, "UPDATE users SET active = false WHERE id = %s",
                 (mgr_id,))
        self.addCleanup(ct.query, self.db, "UPDATE users SET active = true "
                        "WHERE id = %s", (mgr_id,))
        self.assertFalse([p for p in self.get(m["id"])["participants"]
                          if p["name"] == "Morgan Manager"][0]["can_chair"])
        # Where the authority does not ask, anyone from social care who
        # attended.
        self.set_enforce(False)
        r = self.record_ok(m["id"], self.record_body(
            m, chair_participant_id=by_name[mgr]["id"]))
        self.assertEqual(r["record"]["chair_participant_id"],
                         by_name[mgr]["id"])

if __name__ == "__main__":
    unittest.main()
