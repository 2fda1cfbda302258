"""The statutory set is data all the way through (issue 11).

An administrator makes education statutory through
PUT /api/v1/authorities/{id}/settings. Discussions booked and recorded
through the API afterwards are classified against the new set; the
statistics JSON, the CSV and the dashboard gain education with no code
change; a discussion recorded before keeps its stored classification; taking
education out again keeps the period's history visible. Bad settings are a
4xx naming the field and change nothing; another authority's settings are
"not found"; the admin page changes the same settings with its CSRF token.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_statutory.py -v
"""

import csv
import io
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

TEAM = "Statutory Team"
# The chase thresholds (docs/chasers.md), unchanged by this test.
CHASE_DEFAULTS = {"chase_reminder_hours": 24, "chase_escalation_hours": 4,
                  "chase_same_day_reminder_minutes": 60,
                  "chase_same_day_escalation_minutes": 30}
THREE = ["social_care", "police", "health"]
FOUR = ["social_care", "police", "health", "education"]
RANGE = "from=2026-11-01&to=2026-11-30"
CHILD = "Ellis Statute"


def figures(html):
    return {k: int(v) for k, v in
            re.findall(r'data-figure="([a-z_.0-9]+)">(\d+)<', html)}


class StatutoryTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_statutory")
        cls.pw = {}
        for name, role, team, auth in (
                ("sa-sw", "social_worker", TEAM, None),
                ("sa-mgr", "manager", TEAM, None),
                ("sa-admin", "admin", None, None),
                ("far-admin", "admin", None, "farshire")):
            cls.pw[name] = ct.add_user(cls.db, name, role, team=team,
                                       authority=auth)
        cls.tok = {n: ct.token(cls.db, n) for n in cls.pw}
        cls.auth = cls.one("SELECT authority_id FROM users WHERE username "
                           "= 'sa-admin'")
        cls.far = cls.one("SELECT authority_id FROM users WHERE username "
                          "= 'far-admin'")
        cls.srv = ct.Server(cls.db)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    # ---- helpers ------------------------------------------------------------

    @classmethod
    def one(cls, sql, params=()):
        return ct.query(cls.db, sql, params)[0][0]

    def call(self, method, path, who="sa-admin", json=None):
        return ct.api(method, self.srv.base, path, token=self.tok[who],
                      json=json)

    def settings_path(self, auth=None):
        return "/api/v1/authorities/%d/settings" % (auth or self.auth)

    def put(self, body, who="sa-admin", auth=None):
        return self.call("PUT", self.settings_path(auth), who, body)

    def settings(self):
        st, _, s = self.call("GET", self.settings_path())
        self.assertEqual(st, 200, s)
        return s

    def set_statutory(self, agencies, target=1):
        st, _, s = self.put({"statutory_agencies": agencies,
                             "discussion_target_working_days": target})
        self.assertEqual(st, 200, s)
        return s

    def discussion(self, day, education, concern_day=None):
        """Book a meeting on day (November 2026, in the past) with social
        care, police, health and education invited, and record it: every
        one attended except education, whose attendance is education."""
        type(self).n += 1
        people = [("Sam Social", "social_care"), ("PC Pat", "police"),
                  ("Nurse Nia", "health"), ("Ms Eden", "education")]
        body = {"case_ref": "STAT-%d" % self.n,
                "children": [{"name": CHILD, "date_of_birth": "2017-03-04"}],
                "kind": "meeting", "reason": "Concern raised by school",
                "concern_received_at": "%sT08:30" % (concern_day or day),
                "starts_at": "%sT10:00" % day, "duration_minutes": 60,
                "format": "video", "location": "Video call",
                "participants": [
                    {"name": n, "agency": a, "organisation": "Org %s" % a,
                     "email": "%s%d@statutory.example" % (a, self.n)}
                    for n, a in people]}
        st, _, m = self.call("POST", "/api/v1/meetings", "sa-sw", body)
        self.assertEqual(st, 201, m)
        att = [{"id": p["id"], "attendance": education
                if p["agency"] == "education" else "attended"}
               for p in m["participants"]]
        st, _, m = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                             m["id"], "sa-sw", {
                                 "participants": att,
                                 "child_views_recorded": False,
                                 "absence_reason": "School could not come"})
        self.assertEqual(st, 200, m)
        return m

    def stats(self, query=RANGE):
        st, _, s = self.call("GET", "/api/v1/stats?" + query, "sa-mgr")
        self.assertEqual(st, 200, s)
        return s

    def csv_rows(self, query=RANGE):
        st, h, text = self.call("GET", "/api/v1/stats.csv?" + query,
                                "sa-mgr")
        self.assertEqual(st, 200, text)
        self.assertTrue(h["Content-Type"].startswith("text/csv"))
        return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"),
                                               newline="")))

    def dashboard(self, query=RANGE):
        cookie = ct.sign_in(self.srv.base, "sa-mgr", self.pw["sa-mgr"])
        st, _, html = ct.form("GET", self.srv.base, "/stats?" + query,
                              cookie=cookie)
        self.assertEqual(st, 200, str(html)[:300])
        self.assertNotIn(CHILD, html)
        return html

    def listed(self, query):
        st, _, r = self.call("GET", "/api/v1/stats/discussions?" + query,
                             "sa-mgr")
        self.assertEqual(st, 200, r)
        return sorted(d["id"] for d in r["discussions"])

    def state(self):
        """Everything a refused request must leave as it was."""
        return (self.settings(),
                ct.query(self.db, "SELECT agency FROM statutory_agencies "
                         "WHERE authority_id = %s ORDER BY agency",
                         (self.auth,)),
                self.one("SELECT target_working_days FROM authorities "
                         "WHERE id = %s", (self.auth,)),
                self.one("SELECT count(*) FROM audit_log WHERE action = "
                         "'authority.settings'"))

    def verify(self):
        # The server folds the statistics queue off the commit path, and
        # the invite worker keeps writing: compare in one snapshot in which
        # nothing is queued.
        end = time.monotonic() + 3
        while True:
            queued, diff = ct.query(self.db, "SELECT (SELECT count(*) FROM "
                                    "stats_queue), stats_verify()")[0]
            if queued == 0:
                break
            self.assertLess(time.monotonic(), end, "queue not folded")
            time.sleep(0.05)
        self.assertEqual(diff, 0)

    # ---- the story ------------------------------------------------------------

    def test_1_education_made_statutory_flows_everywhere(self):
        self.assertEqual(self.settings(), {
            "id": self.auth, "statutory_agencies": THREE,
            "discussion_target_working_days": 1,
            "invite_title_template": None, "invite_class": "CONFIDENTIAL",
            "enforce_chair_eligibility": False,
            "record_retention_months": None,
            "mfa_required_for_everyone": False,
            "require_approval_single_agency": False,
            "partner_access_working_days": 10, **CHASE_DEFAULTS})
        # Before: education absent does not make a discussion partial, and
        # the figures know nothing of education.
        d1 = self.discussion("2026-11-02", "absent", "2026-10-30")
        self.assertEqual((d1["classification"], d1["missing_agencies"]),
                         ("multi_agency", []))
        t = self.stats()["totals"]
        self.assertEqual(t["missing"], {"social_care": 0, "police": 0,
                                        "health": 0})
        self.assertNotIn("missing_education", self.csv_rows()[0])
        self.assertNotIn('data-figure="missing.education"',
                         self.dashboard())

        # An administrator makes education statutory, and the target the
        # same day.
        audits = self.one("SELECT count(*) FROM audit_log WHERE action = "
                          "'authority.settings'")
        s = self.set_statutory(FOUR, 0)
        self.assertEqual(s, {"id": self.auth, "statutory_agencies": FOUR,
                             "discussion_target_working_days": 0,
                             "invite_title_template": None,
                             "invite_class": "CONFIDENTIAL",
                             "enforce_chair_eligibility": False,
            "record_retention_months": None,
            "mfa_required_for_everyone": False,
            "require_approval_single_agency": False,
            "partner_access_working_days": 10, **CHASE_DEFAULTS})
        self.assertEqual(self.settings(), s)
        before, after = ct.query(
            self.db, "SELECT before, after FROM audit_log WHERE action = "
            "'authority.settings' AND entity = 'authority' AND entity_id = "
            "%s ORDER BY id DESC LIMIT 1", (self.auth,))[0]
        self.assertEqual((before["statutory_agencies"],
                          after["statutory_agencies"],
                          after["discussion_target_working_days"]),
                         (THREE, FOUR, 0))
        self.assertEqual(self.one("SELECT count(*) FROM audit_log WHERE "
                                  "action = 'authority.settings'"),
                         audits + 1)

        # From now on education counts.
        d2 = self.discussion("2026-11-03", "absent")
        d3 = self.discussion("2026-11-04", "attended")
        d4 = self.discussion("2026-11-05", "contributed", "2026-11-04")
        self.assertEqual((d2["classification"], d2["missing_agencies"]),
                         ("partial", ["education"]))
        self.assertEqual((d3["classification"], d3["missing_agencies"]),
                         ("multi_agency", []))
        self.assertEqual((d4["classification"], d4["missing_agencies"],
                          d4["contributed_agencies"]),
                         ("partial", ["education"], ["education"]))
        # The earlier discussion keeps what was stored.
        st, _, m = self.call("GET", "/api/v1/meetings/%d" % d1["id"],
                             "sa-mgr")
        self.assertEqual((st, m["classification"], m["missing_agencies"]),
                         (200, "multi_agency", []))
        self.assertEqual(ct.query(self.db, "SELECT actual_classification, "
                                  "actual_missing FROM discussions WHERE "
                                  "id = %s", (d1["id"],))[0],
                         ("multi_agency", []))
        self.verify()

        # JSON: totals, shares, groups and attendance gain education.
        s = self.stats()
        t = s["totals"]
        self.assertEqual((t["held"], t["multi_agency"], t["partial"]),
                         (4, 2, 2))
        self.assertEqual(t["missing"], {"social_care": 0, "police": 0,
                                        "health": 0, "education": 2})
        self.assertEqual(t["contributed"], {"social_care": 0, "police": 0,
                                            "health": 0, "education": 1})
        self.assertEqual(t["shares"]["missing"]["education"], 0.5)
        self.assertEqual([g["missing"]["education"] for g in s["groups"]],
                         [2])
        edu = {a["agency"]: a for a in s["attendance"]}["education"]
        self.assertEqual((edu["statutory"], edu["invited"], edu["present"],
                          edu["missing"], edu["missing_contributed"]),
                         (True, 4, 1, 2, 1))
        c = t["timeliness"]["concern_to_discussion"]
        # Same day: d2 and d3; d1 (Friday to Monday) and d4 a day late.
        self.assertEqual((c["target_working_days"], c["within_target"]),
                         (0, 2))
        st, _, team = self.call("GET", "/api/v1/stats?%s&group_by=team"
                                % RANGE, "sa-mgr")
        self.assertEqual(team["groups"][0]["missing"]["education"], 2)

        # CSV: a column per agency, derived from the same data.
        rows = self.csv_rows()
        self.assertEqual((rows[0]["key"], int(rows[0]["missing_education"]),
                          int(rows[0]["contributed_education"]),
                          int(rows[1]["missing_education"])),
                         ("total", 2, 1, 2))
        heads = list(rows[0].keys())
        self.assertLess(heads.index("missing_health"),
                        heads.index("missing_education"))

        # The dashboard: the card, its link and the table column.
        html = self.dashboard()
        f = figures(html)
        self.assertEqual((f["missing.education"], f["contributed.education"],
                          f["missing.police"], f["concern_within_target"]),
                         (2, 1, 0, 2))
        self.assertIn("missing=education", html)
        self.assertIn("Held on the same day as the concern", html)
        self.assertRegex(html, r'data-col="missing_education">2<')

        # The discussions behind the figure.
        self.assertEqual(self.listed(RANGE + "&missing=education"),
                         sorted([d2["id"], d4["id"]]))
        cookie = ct.sign_in(self.srv.base, "sa-mgr", self.pw["sa-mgr"])
        st, _, html = ct.form("GET", self.srv.base, "/stats/discussions?" +
                              RANGE + "&missing=education", cookie=cookie)
        self.assertEqual(st, 200)
        self.assertIn("Education missing", html)

        # Education out again: the set is back to three, new discussions
        # ignore education, and the period that named it still shows it.
        self.set_statutory(THREE, 1)
        d5 = self.discussion("2026-11-06", "absent")
        self.assertEqual(d5["classification"], "multi_agency")
        t = self.stats()["totals"]
        self.assertEqual((t["missing"]["education"],
                          t["contributed"]["education"]), (2, 1))
        self.assertEqual(self.stats("from=2026-11-06&to=2026-11-06")[
            "totals"]["missing"], {"social_care": 0, "police": 0,
                                   "health": 0})
        st, _, m = self.call("GET", "/api/v1/meetings/%d" % d2["id"],
                             "sa-mgr")
        self.assertEqual((m["classification"], m["missing_agencies"]),
                         ("partial", ["education"]))
        self.verify()

    # ---- refused input ------------------------------------------------------------

    def test_2_bad_input_names_the_field_and_changes_nothing(self):
        before = self.state()
        cases = [
            ({"statutory_agencies": ["social_care", "astrology"]}, 422,
             "statutory_agencies[1]"),
            ({"statutory_agencies": ["social_care", 7]}, 422,
             "statutory_agencies[1]"),
            ({"statutory_agencies": ["police", "health"]}, 422,
             "statutory_agencies"),
            ({"statutory_agencies": ["social_care", "police", "police"]},
             422, "statutory_agencies[2]"),
            ({"statutory_agencies": "social_care"}, 422,
             "statutory_agencies"),
            ({"discussion_target_working_days": 4}, 422,
             "discussion_target_working_days"),
            ({"discussion_target_working_days": -1}, 422,
             "discussion_target_working_days"),
            ({"discussion_target_working_days": "1"}, 422,
             "discussion_target_working_days"),
            ({"discussion_target_working_days": 1.5}, 422,
             "discussion_target_working_days"),
            # A good field beside a bad one: neither is written.
            ({"statutory_agencies": FOUR,
              "discussion_target_working_days": 4}, 422,
             "discussion_target_working_days"),
            ({"statutory_agencies": ["social_care", "nope"],
              "discussion_target_working_days": 0}, 422,
             "statutory_agencies[1]"),
            ({"colour": "blue"}, 422, "colour"),
            ({"invite_class": "PUBLIC"}, 422, "invite_class"),
            ({"invite_class": None}, 422, "invite_class"),
            ({"invite_title_template": "{{child_name}}"}, 422,
             "invite_title_template"),
            ({"invite_title_template": "two\nlines"}, 422,
             "invite_title_template"),
            ({"invite_title_template": "x" * 201}, 422,
             "invite_title_template"),
            ({"invite_title_template": ""}, 422, "invite_title_template"),
            ({"invite_title_template": 5}, 422, "invite_title_template"),
            ({"enforce_chair_eligibility": "true"}, 422,
             "enforce_chair_eligibility"),
            ({"enforce_chair_eligibility": 1}, 422,
             "enforce_chair_eligibility"),
            ({"enforce_chair_eligibility": None}, 422,
             "enforce_chair_eligibility"),
        ]
        for body, status, field in cases:
            st, _, r = self.put(body)
            self.assertEqual((st, r["error"]["field"]), (status, field),
                             body)
            self.assertIn(field, r["error"]["message"])
        st, _, r = self.put([1, 2])
        self.assertEqual(st // 100, 4, r)
        # Another authority's settings are not found, both ways; and only
        # administrators may see or change them.
        for who, auth in (("far-admin", self.auth), ("sa-admin", self.far)):
            st, _, r = self.put({"statutory_agencies": FOUR}, who, auth)
            self.assertEqual(st, 404, r)
            st, _, r = self.call("GET", self.settings_path(auth), who)
            self.assertEqual(st, 404, r)
        st, _, r = self.put({"discussion_target_working_days": 2},
                            "sa-mgr")
        self.assertEqual(st, 403, r)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.one(
            "SELECT count(*) FROM statutory_agencies WHERE authority_id = "
            "%s", (self.far,)), 3)

    def test_4_invite_title_and_class(self):
        s = self.settings()
        self.assertEqual((s["invite_title_template"], s["invite_class"]),
                         (None, "CONFIDENTIAL"))
        tpl = "Strategy {{meeting_kind}} {{case_ref}} ({{when}})"
        st, _, r = self.put({"invite_title_template": tpl,
                             "invite_class": "PRIVATE"})
        self.assertEqual(st, 200, r)
        self.assertEqual((r["invite_title_template"], r["invite_class"]),
                         (tpl, "PRIVATE"))
        self.assertEqual(self.settings(), r)
        self.assertEqual(self.one(
            "SELECT invite_title_template || '|' || invite_class FROM "
            "authorities WHERE id = %s", (self.auth,)), tpl + "|PRIVATE")
        # null goes back to the default title; the rest is kept.
        st, _, r = self.put({"invite_title_template": None,
                             "invite_class": "CONFIDENTIAL"})
        self.assertEqual(st, 200, r)
        self.assertEqual((r["invite_title_template"], r["invite_class"]),
                         (None, "CONFIDENTIAL"))
        self.assertEqual(r["statutory_agencies"],
                         s["statutory_agencies"])

    # ---- the admin page -------------------------------------------------------------

    def test_3_admin_page(self):
        cookie = ct.sign_in(self.srv.base, "sa-admin", self.pw["sa-admin"])
        csrf = ct.session_csrf(self.db, cookie)
        st, _, html = ct.form("GET", self.srv.base, "/admin/settings",
                              cookie=cookie)
        self.assertEqual(st, 200, str(html)[:300])
        for code in ("social_care", "police", "health", "education",
                     "probation", "housing", "other"):
            self.assertRegex(html, r'name="statutory_agencies" '
                             r'type="checkbox" value="%s"' % code)
        self.assertRegex(html, r'value="police" checked')
        self.assertNotRegex(html, r'value="education" checked')
        self.assertRegex(html, r'name="discussion_target_working_days" '
                         r'type="radio" value="1" checked')
        self.assertRegex(html, r'name="enforce_chair_eligibility" '
                         r'type="radio" value="no" checked')
        base = self.state()

        # Without the CSRF token: refused, nothing changes.
        fields = [("statutory_agencies", a) for a in
                  ("social_care", "police", "health", "probation")] + \
            [("discussion_target_working_days", "2"),
             ("enforce_chair_eligibility", "yes")]
        st, _, _ = ct.form("POST", self.srv.base, "/admin/settings", fields,
                           cookie=cookie)
        self.assertEqual(st, 403)
        self.assertEqual(self.state(), base)

        # Without children's social care, a target or a chair rule: the
        # form again with the GOV.UK error summary; nothing changes.
        chair = [("enforce_chair_eligibility", "no")]
        for bad, anchor in (
                ([("statutory_agencies", "police"),
                  ("discussion_target_working_days", "2")] + chair,
                 "#statutory_agencies"),
                ([("statutory_agencies", "social_care"),
                  ("discussion_target_working_days", "5")] + chair,
                 "#discussion_target_working_days"),
                ([("statutory_agencies", "social_care"),
                  ("discussion_target_working_days", "1"),
                  ("enforce_chair_eligibility", "maybe")],
                 "#enforce_chair_eligibility"),
                ([("statutory_agencies", "social_care"),
                  ("statutory_agencies", "astrology"),
                  ("discussion_target_working_days", "1")] + chair,
                 "#statutory_agencies")):
            st, _, html = ct.form("POST", self.srv.base, "/admin/settings",
                                  bad, cookie=cookie, csrf=csrf)
            self.assertEqual(st, 422, bad)
            self.assertIn("govuk-error-summary", html)
            self.assertIn('href="%s"' % anchor, html)
            self.assertEqual(self.state(), base)

        # A good form: saved, audited, shown.
        st, h, _ = ct.form("POST", self.srv.base, "/admin/settings", fields,
                           cookie=cookie, csrf=csrf)
        self.assertEqual((st, h.get("Location")),
                         (303, "/admin/settings?done=1"))
        self.assertEqual(self.settings(), {
            "id": self.auth, "discussion_target_working_days": 2,
            "statutory_agencies": ["social_care", "police", "health",
                                   "probation"],
            "invite_title_template": None, "invite_class": "CONFIDENTIAL",
            "enforce_chair_eligibility": True,
            "record_retention_months": None,
            "mfa_required_for_everyone": False,
            "require_approval_single_agency": False,
            "partner_access_working_days": 10, **CHASE_DEFAULTS})
        self.assertEqual(self.state()[3], base[3] + 1)
        st, _, html = ct.form("GET", self.srv.base,
                              "/admin/settings?done=1", cookie=cookie)
        self.assertIn('data-done="settings"', html)
        self.assertRegex(html, r'value="probation" checked')
        self.assertRegex(html, r'name="enforce_chair_eligibility" '
                         r'type="radio" value="yes" checked')
        st, _, s = self.put({"enforce_chair_eligibility": False})
        self.assertEqual(st, 200, s)
        self.set_statutory(THREE, 1)


if __name__ == "__main__":
    unittest.main()
