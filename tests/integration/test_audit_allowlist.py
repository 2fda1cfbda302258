"""The audit log is an allow-list projection, seen from outside (issue 11,
section 1; the cmocka test tests/unit/test_model.c proves a new struct
field stays out until allowed).

Every free-text field a request can carry, and every fact that identifies
a child (name, date of birth, expected date, person id, ethnicity,
disability), gets a distinct marker naming the field; the discussion is
booked, changed, held, recorded twice and another one cancelled. Then no
marker may be in the audit_log table (every column of every row) nor in
GET /api/v1/meetings/{id}/history, while the codes the allow-list keeps
(decisions, legal status, attendance) are there: the projection is not
simply empty.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_audit_allowlist.py -v
"""

import json
import os
import secrets
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase, at, child_entry  # noqa: E402

TAG = secrets.token_hex(3)


def mark(field):
    """A marker that names the field it was put in."""
    return "FT%s-%s" % (TAG, field)


DOB = "2012-07-19"
EXPECTED = "2027-06-30"


class AuditAllowListTest(RecordCase):
    DB = "convene_it_audit_allowlist"
    PREFIX = "AAL"

    def test_free_text_and_child_identity_never_audited(self):
        planted = {}

        def m(field):
            planted[field] = mark(field)
            return planted[field]

        police = {"name": "DC Unmailed", "agency": "police",
                  "organisation": "Northumbria Police", "role": "DC"}
        booking = self.booking(
            starts=at(hours=-2), format="in_person",
            # a home visit: the location is the child's address
            location=m("location") + ", 12 Acacia Avenue", reason=m("reason"), chair=m("chair"),
            missing_agency_reason=m("missing_agency_reason"),
            participants=[{"contact_id": self.contact["social_care"]},
                          police, {"contact_id": self.contact["health"]}],
            children=[{"name": m("child_name"), "date_of_birth": DOB,
                       "sex": "male", "ethnicity": m("ethnicity"),
                       "disability": m("disability"),
                       "legal_status": "child_in_need",
                       "person_id": m("person_id")},
                      {"unborn": True, "expected_date": EXPECTED}])
        planted["date_of_birth"] = DOB
        planted["expected_date"] = EXPECTED
        st, _, mt = self.call("POST", "/api/v1/meetings", self.sw, booking)
        self.assertEqual(st, 201, mt)
        mid = mt["id"]
        path = "/api/v1/meetings/%d" % mid
        named, baby = mt["children"]
        st, _, mt = self.call("PATCH", path, self.sw, {
            "reason": m("reason_changed"), "location": m("location_changed"),
            "children": [{"id": named["id"],
                          "disability": m("disability_changed")}]})
        self.assertEqual(st, 200, mt)
        att = {"participants": [{"id": p["id"], "attendance": "attended"}
                                for p in mt["participants"]] + [
            {"name": "Dr Day", "email": "day.aal@gp.example",
             "agency": "health", "organisation": "Surgery", "role": "GP",
             "attendance": "attended"}],
            "child_views_recorded": True, "child_views": m("child_views"),
            "absence_reason": m("absence_reason"),
            "outcomes": [{"child_id": named["id"], "decision": "s47_joint",
                          "rationale": m("outcome_rationale")}],
            "actions": [{"what": m("action_what"), "owner": "Sam Social"}],
            "next_review_date": at(days=7)[:10]}
        st, _, mt = self.call("PUT", path + "/attendance", self.sw, att)
        self.assertEqual(st, 200, mt)

        def record(decision, suffix):
            entry = child_entry(
                named["id"], decision,
                rationale=m("rationale" + suffix))
            if decision.startswith("s47"):
                entry.update(plan_to_see=m("plan_to_see" + suffix),
                             views=m("views" + suffix),
                             communication_needs=m("communication" + suffix),
                             parents="delay",
                             parents_by=m("parents_by" + suffix),
                             parents_delay_reason=m("delay_reason" + suffix),
                             consent_for_checks="refused",
                             consent_reason=m("consent_reason" + suffix))
            baby_entry = child_entry(
                baby["id"], "no_s47_further_assessment",
                rationale=m("baby_rationale" + suffix))
            return {
                "chair_participant_id": self.part(mt, "social_care")["id"],
                "concerns": ["domestic_abuse", "other"],
                "concerns_other": m("concerns_other" + suffix),
                "agency_information": [
                    {"agency": "police", "information": m("information" +
                                                          suffix),
                     "checks": "complete", "received": "at_meeting",
                     "from": "PC Pat Police"}],
                "analysis": {"worries": m("worries" + suffix),
                             "strengths": m("strengths" + suffix),
                             "gaps": m("gaps" + suffix)},
                "children": [entry, baby_entry],
                "safety_plan": m("safety_plan" + suffix),
                "dissent": [{"agency": "health",
                             "about": m("dissent_about" + suffix),
                             "escalated": True}]}

        self.record_ok(mid, record("s47_joint", ""))
        self.record_ok(mid, record("no_further_action", "_2"))

        other = self.book(starts=at(days=2))
        st, _, c = self.call("POST", "/api/v1/meetings/%d/cancel" %
                             other["id"], self.sw,
                             {"reason": m("cancel_reason")})
        self.assertEqual(st, 200, c)

        # A manager's review of a flagged discussion and the sign-off: their
        # notes are free text too.
        flagged = self.held(statuses={"police": "absent"})
        fpath = "/api/v1/meetings/%d" % flagged["id"]
        st, _, r = self.call("POST", fpath + "/review", self.mgr, {
            "decision": "practice_concern", "note": m("review_note")})
        self.assertEqual(st, 200, r)
        st, _, r = self.call("POST", fpath + "/sign-off", self.mgr,
                             {"note": m("sign_off_note")})
        self.assertEqual(st, 200, r)
        reviewed = [r[0] for r in ct.query(
            self.db, "SELECT after::text FROM audit_log WHERE entity_id = %s "
            "AND action IN ('discussion.review', 'discussion.sign_off') "
            "ORDER BY id", (flagged["id"],))]
        self.assertEqual(len(reviewed), 2, reviewed)
        self.assertIn('"practice_concern"', reviewed[0])
        for r in reviewed:
            self.assertIn('"note_written": true', r)

        history = json.dumps(self.history(mid), ensure_ascii=False)
        rows = [r[0] for r in ct.query(
            self.db, "SELECT row_to_json(a)::text FROM audit_log a")]
        ours = [r[0] for r in ct.query(
            self.db, "SELECT row_to_json(a)::text FROM audit_log a WHERE "
            "entity = 'discussion' AND entity_id = %s ORDER BY id", (mid,))]
        self.assertGreaterEqual(len(ours), 5)
        for field, value in sorted(planted.items()):
            with self.subTest(field=field):
                self.assertNotIn(value, history)
                for r in rows:
                    self.assertNotIn(value, r)
        # What the allow-list keeps is there: codes and flags by child id,
        # and the names that are not child data (case reference, team,
        # organisations and roles of the professionals).
        audited = "\n".join(ours)
        self.assertNotIn("Acacia", audited)
        for kept in (booking["case_ref"], "Record Team",
                     "Northumbria Police", '"DC"'):
            with self.subTest(kept=kept):
                self.assertIn(kept, audited)
        for code in ("s47_joint", "no_further_action",
                     "no_s47_further_assessment", "child_in_need",
                     "domestic_abuse", "delay", "refused"):
            with self.subTest(kept=code):
                self.assertIn('"%s"' % code, audited)
        self.assertIn({"field": "children[%d].decision" % named["id"],
                       "before": "s47_joint", "after": "no_further_action"},
                      self.history(mid)["history"][-1]["changes"])


if __name__ == "__main__":
    unittest.main()
