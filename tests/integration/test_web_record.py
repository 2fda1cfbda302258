"""The record of the strategy discussion through the web form, over HTTP
against a real PostgreSQL and `convene serve`.

- the form writes the record through record_put: a full form is stored and
  shown on the meeting page (every section, words from the vocabulary);
- CSRF: a missing or wrong token is refused with 403 and stores nothing;
- a refusal by record_put (a Section 47 decision without a medical) comes
  back as the GOV.UK error summary linking to that child's field, with what
  was typed kept, and nothing stored;
- HTML typed into every text field comes back escaped on the meeting page
  and on the re-shown form;
- a social worker of another team gets 404 for the form and its POST;
- before the meeting starts the record form and the attendance form answer
  409 saying the meeting has not started; before attendance, 409 too;
- the history shows actions and changes in words, never raw codes.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_web_record.py -v
"""

import html
import os
import re
import sys
import unittest
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

PAYLOAD = "<script>alert(\"x\")</script>'&`<img src=x onerror=alert(1)>"
LONDON = ZoneInfo("Europe/London")


def escaped(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;").replace("`", "&#96;"))


def iso(days, hm="10:00"):
    d = datetime.now(LONDON) + timedelta(days=days)
    return d.strftime("%Y-%m-%dT") + hm


def token_in(body):
    m = re.search(r'name="csrf_token" value="([0-9a-f.]+)"', body)
    assert m, "no csrf_token in the page"
    return m.group(1)


class WebRecordTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_web_record")
        cls.pw = {
            "sw": ct.add_user(cls.db, "r-sw", "social_worker",
                              team="Record Team A"),
            "sw_b": ct.add_user(cls.db, "r-sw-b", "social_worker",
                                team="Record Team B"),
        }
        ct.add_user(cls.db, "r-admin", "admin")
        cls.token = ct.token(cls.db, "r-sw")
        admin = ct.token(cls.db, "r-admin")
        cls.srv = ct.Server(cls.db)
        cls.contact = {}
        for agency, name, email, org in (
                ("police", "PC Rec Police", "pc.rec@police.example",
                 "Rec Police"),
                ("health", "Nurse Rec Health", "nurse.rec@nhs.example",
                 "Rec NHS Trust")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=admin, json={
                                     "name": name, "email": email,
                                     "agency": agency, "organisation": org})
            assert st == 201, body
            cls.contact[agency] = body["id"]
        cls.cookie = {k: ct.sign_in(cls.srv.base, u, cls.pw[k])
                      for k, u in (("sw", "r-sw"), ("sw_b", "r-sw-b"))}
        cls._n = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    # ---- helpers ----------------------------------------------------------

    def book(self, days=-2, attend=True):
        """A meeting of team A with two children (one unborn); attendance
        recorded (health sent information) unless attend is False."""
        type(self)._n += 1
        st, _, m = ct.api("POST", self.srv.base, "/api/v1/meetings",
                          token=self.token, json={
                              "case_ref": "REC-%d" % self._n,
                              "children": [
                                  {"name": "Robin Record",
                                   "date_of_birth": "2017-03-04"},
                                  {"unborn": True,
                                   "expected_date": iso(90)[:10]}],
                              "kind": "meeting", "reason": "Injury",
                              "concern_received_at": iso(days - 1),
                              "starts_at": iso(days), "format": "video",
                              "participants": [
                                  {"contact_id": self.contact["police"]},
                                  {"contact_id": self.contact["health"]},
                                  {"name": "Sam Chair", "agency":
                                   "social_care", "email":
                                   "sam.chair@council.example"}]})
        self.assertEqual(st, 201, m)
        if attend:
            att = {"police": "attended", "health": "contributed",
                   "social_care": "attended"}
            st, _, m = ct.api(
                "PUT", self.srv.base,
                "/api/v1/meetings/%d/attendance" % m["id"],
                token=self.token, json={
                    "participants": [{"id": p["id"],
                                      "attendance": att[p["agency"]]}
                                     for p in m["participants"]],
                    "child_views_recorded": False,
                    "absence_reason": "Health sent a written report"})
            self.assertEqual(st, 200, m)
        return m

    def get(self, who, path):
        return ct.form("GET", self.srv.base, path, cookie=self.cookie[who])

    def post(self, who, path, fields, csrf=True):
        tok = ct.session_csrf(self.db, self.cookie[who]) if csrf is True \
            else csrf
        return ct.form("POST", self.srv.base, path, fields,
                       cookie=self.cookie[who], csrf=tok)

    def full_form(self, m, text=lambda name: "Text for " + name):
        """The record form as a person fills it in: every field."""
        chair = [p["id"] for p in m["participants"]
                 if p["agency"] == "social_care"][0]
        f = [("chair", str(chair)), ("concerns", "physical_abuse"),
             ("concerns", "domestic_abuse"), ("concerns", "other"),
             ("concerns_other", text("concerns_other"))]
        for a in ("social_care", "police", "health"):
            f += [("i-%s-information" % a, text("info-" + a)),
                  ("i-%s-checks" % a, "complete"),
                  ("i-%s-received" % a,
                   "in_writing" if a == "health" else "at_meeting"),
                  ("i-%s-from" % a, text("from-" + a))]
        f += [("worries", text("worries")), ("strengths", text("strengths")),
              ("gaps", text("gaps")), ("safety_plan", text("safety_plan"))]
        for k, c in enumerate(m["children"]):
            p = "c%d-" % c["id"]
            f += [(p + "decision", "s47_joint" if k == 0 else
                   "no_s47_further_assessment"),
                  (p + "rationale", text("rationale-%d" % k)),
                  (p + "police_investigation", "yes"),
                  (p + "medical", "planned" if k == 0 else "not_needed"),
                  (p + "plan_to_see", text("plan-%d" % k)),
                  (p + "seen_alone", "yes"),
                  (p + "views", text("views-%d" % k)),
                  (p + "communication_needs", text("comm-%d" % k)),
                  (p + "parents", "delay"),
                  (p + "parents_by", text("by-%d" % k)),
                  (p + "parents_when-day", "3"),
                  (p + "parents_when-month", "1"),
                  (p + "parents_when-year", "2027"),
                  (p + "parents_delay_reason", text("delay-%d" % k)),
                  (p + "consent_for_checks", "not_sought"),
                  (p + "consent_reason", text("consent-%d" % k)),
                  (p + "next_step", "icpc" if k == 0 else "child_in_need")]
        f += [("d0-agency", "health"), ("d0-about", text("dissent")),
              ("d0-escalated", "yes")]
        return f

    def record(self, mid):
        st, _, m = ct.api("GET", self.srv.base, "/api/v1/meetings/%d" % mid,
                          token=self.token)
        self.assertEqual(st, 200, m)
        return m["record"]

    # ---- tests ------------------------------------------------------------

    def test_full_form_is_stored_and_shown(self):
        m = self.book()
        st, _, page = self.get("sw", "/meetings/%d" % m["id"])
        self.assertIn("Write the record", page)
        st, _, page = self.get("sw", "/meetings/%d/record" % m["id"])
        self.assertEqual(st, 200)
        self.assertIn("Record of the strategy discussion", page)
        self.assertIn("Section 47 threshold not met: continue assessment "
                      "(section 17)", page)
        self.assertIn("No further action by children&#39;s social care",
                      page)
        self.assertIn('data-aria-controls="conditional-concerns-other"',
                      page)
        self.assertIn("Unborn baby (expected", page)
        st, h, body = self.post("sw", "/meetings/%d/record" % m["id"],
                                self.full_form(m))
        self.assertEqual(st, 303, body[:2000] if isinstance(body, str)
                         else body)
        self.assertEqual(h["Location"], "/meetings/%d?done=record" % m["id"])
        r = self.record(m["id"])
        self.assertEqual(r["concerns"], ["physical_abuse", "domestic_abuse",
                                         "other"])
        self.assertEqual(len(r["children"]), 2)
        by_id = {c["child_id"]: c for c in r["children"]}
        first = by_id[m["children"][0]["id"]]
        self.assertEqual((first["decision"], first["medical"],
                          first["parents_when"], first["seen_alone"]),
                         ("s47_joint", "planned", "2027-01-03", True))
        self.assertEqual(r["dissent"], [{"agency": "health", "about":
                                         "Text for dissent",
                                         "escalated": True}])
        self.assertEqual({a["agency"]: a["received"]
                          for a in r["agency_information"]},
                         {"social_care": "at_meeting", "police": "at_meeting",
                          "health": "in_writing"})
        st, _, page = self.get("sw", "/meetings/%d?done=record" % m["id"])
        self.assertEqual(st, 200)
        self.assertIn("Record saved", page)
        for words in ("Sam Chair", "Physical abuse", "Domestic abuse",
                      "Other: Text for concerns_other", "Text for info-health",
                      "Sent in writing", "Text for worries",
                      "Section 47 enquiry, joint with police",
                      "Child protection medical: planned",
                      "Initial child protection conference",
                      "Telling parents delayed", "Text for delay-1",
                      "Text for safety_plan", "Text for dissent",
                      "Escalation procedure started", "Change the record",
                      "Download the record (PDF)", "Record written"):
            self.assertIn(html.escape(words, quote=True).replace(
                "&#x27;", "&#39;"), page, words)
        self.assertIn('href="/meetings/%d/record.pdf"' % m["id"], page)
        for raw in ("record.write", "meeting.attendance", "meeting.create",
                    "s47_joint", "physical_abuse"):
            self.assertNotIn(raw, page, raw)
        # Editing: the form comes back filled in from the stored record.
        st, _, page = self.get("sw", "/meetings/%d/record" % m["id"])
        self.assertIn("Text for worries</textarea>", page)
        i = page.find('value="s47_joint"')
        self.assertRegex(page, r'value="s47_joint" checked', page[i-300:i+300])
        self.assertRegex(page, r'name="concerns" type="checkbox" '
                         r'value="other" checked')
        # A change of decision reads as words in the history.
        f = [(k, v) for k, v in self.full_form(m)]
        cid = m["children"][0]["id"]
        f = [(k, "no_further_action" if k == "c%d-decision" % cid else
              "not_needed" if k == "c%d-medical" % cid else
              "early_help" if k == "c%d-next_step" % cid else v)
             for k, v in f]
        st, h, body = self.post("sw", "/meetings/%d/record" % m["id"], f)
        self.assertEqual(st, 303, body[:3000])
        st, _, page = self.get("sw", "/meetings/%d" % m["id"])
        hist = page[page.find("data-history"):]
        self.assertIn("Decision for Robin Record: Section 47 enquiry, joint "
                      "with police \u2192 No further action by "
                      "children&#39;s social care", hist, hist)
        self.assertIn("Attendance recorded", hist)
        self.assertIn("Attendance of Nurse Rec Health: none \u2192 Sent "
                      "information", hist)
        self.assertIn("Decision for Unborn baby (expected", hist)
        self.assertNotRegex(hist, r"\d{4}-\d\d-\d\dT")
        self.assertIn("Booked", page)

    def test_csrf_refused_stores_nothing(self):
        m = self.book()
        form = self.full_form(m)
        before = ct.counts(self.db)
        before.pop("sessions", None)
        for tok in (None, "0" * 64):
            st, _, body = self.post("sw", "/meetings/%d/record" % m["id"],
                                    form, csrf=tok)
            self.assertEqual(st, 403)
            self.assertIn("form has expired", body)
        after = ct.counts(self.db)
        after.pop("sessions", None)
        self.assertEqual(after, before)
        self.assertIsNone(self.record(m["id"]))
        st, _, _ = self.post("sw", "/meetings/%d/record" % m["id"], form)
        self.assertEqual(st, 303)
        self.assertIsNotNone(self.record(m["id"]))

    def test_refusal_maps_to_the_field_and_keeps_input(self):
        m = self.book()
        cid = m["children"][0]["id"]
        form = [(k, v) for k, v in self.full_form(m)
                if k != "c%d-medical" % cid]
        before = ct.counts(self.db)
        before.pop("sessions", None)
        st, _, page = self.post("sw", "/meetings/%d/record" % m["id"], form)
        self.assertEqual(st, 422, page[:2000])
        self.assertIn("govuk-error-summary", page)
        self.assertIn('href="#c%d-medical"' % cid, page)
        self.assertIn("Child protection medical for Robin Record: required "
                      "with a Section 47 decision", page)
        self.assertIn('id="c%d-medical-error"' % cid, page)
        self.assertIn("Text for worries</textarea>", page)
        self.assertIn('value="Text for from-police"', page)
        after = ct.counts(self.db)
        after.pop("sessions", None)
        self.assertEqual(after, before)
        # The form's own checks: several at once.
        st, _, page = self.post("sw", "/meetings/%d/record" % m["id"],
                                [("worries", "kept")])
        self.assertEqual(st, 422)
        for want in ('href="#chair"', 'href="#concerns"',
                     'href="#c%d-decision"' % cid,
                     'href="#c%d-rationale"' % cid,
                     'href="#i-health-received"'):
            self.assertIn(want, page)
        self.assertIn("Health sent information instead of attending",
                      page)
        self.assertIsNone(self.record(m["id"]))

    def test_every_text_field_is_escaped(self):
        m = self.book()
        form = self.full_form(m, text=lambda name: PAYLOAD + name)
        st, _, body = self.post("sw", "/meetings/%d/record" % m["id"], form)
        self.assertEqual(st, 303, body[:2000])
        st, _, page = self.get("sw", "/meetings/%d" % m["id"])
        texts = [v for k, v in form if v.startswith(PAYLOAD)]
        self.assertGreater(len(texts), 20)
        for t in texts:
            self.assertIn(escaped(t), page, t)
        self.assertNotIn("<script>alert", page)
        self.assertNotIn("<img src=x", page)
        # The re-shown form after a refusal: the same.
        form = [(k, v) for k, v in form if k != "chair"]
        st, _, page = self.post("sw", "/meetings/%d/record" % m["id"], form)
        self.assertEqual(st, 422)
        for t in texts:
            self.assertIn(escaped(t), page, t)
        self.assertNotIn("<script>alert", page)

    def test_other_team_gets_404(self):
        m = self.book()
        st, _, _ = self.get("sw_b", "/meetings/%d/record" % m["id"])
        self.assertEqual(st, 404)
        st, _, _ = self.post("sw_b", "/meetings/%d/record" % m["id"],
                             self.full_form(m))
        self.assertEqual(st, 404)
        self.assertIsNone(self.record(m["id"]))

    def test_not_started_and_not_attended_are_409(self):
        m = self.book(days=3, attend=False)
        for path in ("/record", "/attendance"):
            st, _, page = self.get("sw", "/meetings/%d%s" % (m["id"], path))
            self.assertEqual(st, 409, path)
            self.assertIn("The meeting has not started", page)
        st, _, page = self.post("sw", "/meetings/%d/attendance" % m["id"],
                                [("views", "no")])
        self.assertEqual(st, 409)
        self.assertIn("The meeting has not started", page)
        self.assertIn("Attendance can be recorded once it has started", page)
        st, _, page = self.get("sw", "/meetings/%d" % m["id"])
        self.assertNotIn("Write the record", page)
        m = self.book(attend=False)
        st, _, page = self.get("sw", "/meetings/%d/record" % m["id"])
        self.assertEqual(st, 409)
        self.assertIn("Record who attended before writing the record", page)

    def test_booking_form_takes_the_child_fields(self):
        d = datetime.now(LONDON)
        c = d - timedelta(days=1)
        w = d + timedelta(days=2)
        due = d + timedelta(days=100)
        f = [("children_n", "2"), ("extras_n", "1"), ("case_type", "new"),
             ("case_ref", "REC-BOOK-1"), ("child-0-name", "Kit Booked"),
             ("child-0-sex", "female"), ("child-0-ethnicity",
                                         "White British"),
             ("child-0-disability", "Hearing impairment"),
             ("child-0-legal_status", "child_protection_plan"),
             ("child-0-person_id", "LL-778812"),
             ("child-1-unborn", "yes"),
             ("child-1-expected-day", str(due.day)),
             ("child-1-expected-month", str(due.month)),
             ("child-1-expected-year", str(due.year)),
             ("kind", "meeting"), ("reason", "A reason"),
             ("duration", "60"), ("format", "video"), ("location", ""),
             ("chair", ""), ("include_me", "yes"), ("action", "confirm"),
             ("missing_agency_reason", "The social worker phones in"),
             ("contact", str(self.contact["police"])),
             ("contact", str(self.contact["health"]))]
        for k, v in (("day", c.day), ("month", c.month), ("year", c.year)):
            f.append(("concern-" + k, str(v)))
        f.append(("concern-time", "09:00"))
        for k, v in (("day", w.day), ("month", w.month), ("year", w.year)):
            f.append(("when-" + k, str(v)))
        f.append(("when-time", "14:00"))
        st, _, page = self.get("sw", "/meetings/new")
        self.assertIn("Strategy discussion: held as a meeting or by phone; "
                      "booked ahead or recorded afterwards", page)
        self.assertIn('name="child-0-legal_status"', page)
        self.assertIn("On a child protection plan", page)
        st, h, body = self.post("sw", "/meetings/new", f)
        self.assertEqual(st, 303, re.findall(r'<a href="#[^"]*">[^<]*', body))
        mid = int(re.search(r"/meetings/(\d+)/booked", h["Location"])
                  .group(1))
        st, _, m = ct.api("GET", self.srv.base, "/api/v1/meetings/%d" % mid,
                          token=self.token)
        kids = sorted(m["children"], key=lambda x: x["unborn"])
        self.assertEqual(
            [(k["name"], k["sex"], k["ethnicity"], k["disability"],
              k["legal_status"], k["person_id"], k["unborn"],
              k["expected_date"]) for k in kids],
            [("Kit Booked", "female", "White British", "Hearing impairment",
              "child_protection_plan", "LL-778812", False, None),
             (None, None, None, None, None, None, True,
              due.strftime("%Y-%m-%d"))])
        # An unborn baby without its expected date is refused, naming it.
        f2 = [(k, v) for k, v in f if not k.startswith("child-1-expected")]
        st, _, page = self.post("sw", "/meetings/new",
                                [(k, "REC-BOOK-2" if k == "case_ref" else v)
                                 for k, v in f2])
        self.assertIn(st, (200, 422))     # the booking form re-shows at 200
        self.assertIn("govuk-error-summary", page)
        self.assertIn("Enter child 2&#39;s expected date of birth", page)
        self.assertIn('href="#child-1-expected-day"', page)


if __name__ == "__main__":
    unittest.main()
