"""Section 47 enquiries per child and their conference clocks (issue 12,
section 2).

On real PostgreSQL through the API:
  - two children with Section 47 decisions, authorised: two enquiries,
    each with its clock (working day, due date with bank holidays, state);
    none before authorisation;
  - a conference booked for a future date is booked, not held; a held date
    in the future is refused, one before the discussion too; held stops
    the clock;
  - "not required" is a manager's, with a reason kept out of the audit log;
  - a decision changed to no further action and authorised again removes
    that child's enquiry; the other stays;
  - another team's social worker gets 404; bad bodies change nothing.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_enquiries.py -v
"""

import csv
import datetime
import os
import re
import sys
import unittest
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase, at, child_entry  # noqa: E402


LONDON = zoneinfo.ZoneInfo("Europe/London")


def london_today():
    return datetime.datetime.now(LONDON).date()


def today_start():
    """Three hours ago, or London's midnight when that was yesterday: the
    clocks count from the discussion's London date, so a discussion "three
    hours ago" run just after midnight was on day 1, not day 0."""
    now = datetime.datetime.now(datetime.timezone.utc)
    midnight = datetime.datetime.combine(london_today(), datetime.time(0, 0),
                                         LONDON)
    return max(now - datetime.timedelta(hours=3), midnight).astimezone(
        datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


class Enquiries(RecordCase):
    DB = "convene_it_enquiries"
    PREFIX = "EQ"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pw = {n: ct.add_user(cls.db, n, role, team="Record Team")
                  for n, role in (("eq-wsw", "social_worker"),
                                  ("eq-wmgr", "manager"))}

    def session(self, name):
        cookie = ct.sign_in(self.srv.base, name, self.pw[name])
        return cookie, ct.session_csrf(self.db, cookie)

    def two_children_authorised(self, days_ago=0, decisions=None):
        kw = {"starts": today_start()}
        if days_ago:
            kw = {"starts": at(days=-days_ago),
                  "concern_received_at": at(days=-days_ago - 1)}
        b = self.booking(**kw)
        b["children"].append({"name": "Alex Record",
                              "date_of_birth": "2020-02-02"})
        st, _, m = self.call("POST", "/api/v1/meetings", self.sw, b)
        self.assertEqual(st, 201, m)
        m = self.attend(m)
        self.record_ok(m["id"], self.record_body(m, decisions or {}))
        st, _, v = self.call("POST", "/api/v1/meetings/%d/record/submit" %
                             m["id"], self.sw, {})
        self.assertEqual(st, 200, v)
        self.assertEqual(self.enquiries(m), [])
        st, _, v = self.call("POST", "/api/v1/meetings/%d/authorisation" %
                             m["id"], self.mgr, {"oversight": "Agreed"})
        self.assertEqual(st, 200, v)
        return self.get(m["id"])

    def enquiries(self, m, token=None, status="all"):
        st, _, body = self.call("GET", "/api/v1/enquiries?status=" + status,
                                token or self.sw)
        self.assertEqual(st, 200, body)
        return [e for e in body["enquiries"]
                if e["discussion_id"] == m["id"]]

    def patch(self, eid, body, token=None):
        return self.call("PATCH", "/api/v1/enquiries/%d" % eid,
                         token or self.sw, body)

    def test_1_two_children_two_enquiries_with_clocks(self):
        m = self.two_children_authorised()
        es = self.enquiries(m)
        self.assertEqual(sorted(e["child_id"] for e in es),
                         sorted(c["id"] for c in m["children"]))
        today = london_today().isoformat()
        for e in es:
            self.assertEqual((e["kind"], e["icpc_booked_for"],
                              e["icpc_held_on"], e["icpc_not_required"]),
                             ("initial", None, None, False))
            self.assertEqual(e["clock"]["target"], 15)
            self.assertEqual(e["clock"]["state"], "ok")
            self.assertEqual(e["clock"]["working_day"], 0)
            self.assertGreater(e["clock"]["due"], today)
            self.assertIn(e["child"], ("Jamie Record", "Alex Record"))
        # A manager sees them too; another team does not.
        self.assertEqual(len(self.enquiries(m, self.mgr)), 2)
        self.assertEqual(self.enquiries(m, self.sw_b), [])
        st, _, _ = self.call("GET", "/api/v1/enquiries/%d" % es[0]["id"],
                             self.sw_b)
        self.assertEqual(st, 404)

    def test_2_booked_is_not_held(self):
        m = self.two_children_authorised(days_ago=25)
        e = self.enquiries(m)[0]
        # 25 calendar days hold at least 16 working days.
        self.assertEqual(e["clock"]["state"], "overdue")
        self.assertGreater(e["clock"]["working_day"], 15)
        future = (london_today() + datetime.timedelta(days=5)).isoformat()
        st, _, got = self.patch(e["id"], {"icpc_booked_for": future})
        self.assertEqual(st, 200, got)
        self.assertEqual((got["icpc_booked_for"], got["icpc_held_on"]),
                         (future, None))
        self.assertNotIn(got["clock"]["state"], ("held",))
        # Refusals change nothing.
        before = ct.counts(self.db)
        start = e["started_on"]
        day_before = (datetime.date.fromisoformat(start) -
                      datetime.timedelta(days=1)).isoformat()
        for body, field, status in (
                ({"icpc_held_on": future}, "icpc_held_on", 422),
                ({"icpc_held_on": day_before}, "icpc_held_on", 422),
                ({"icpc_booked_for": day_before}, "icpc_booked_for", 422),
                ({"icpc_held_on": "2026-02-30"}, "icpc_held_on", 422),
                ({"icpc_not_required": True, "not_required_reason": "x"},
                 "icpc_not_required", 403),
                ({"colour": "red"}, "colour", 422)):
            st, _, b = self.patch(e["id"], body)
            self.assertEqual((st, b["error"]["field"]), (status, field),
                             (body, b))
        self.assertEqual(ct.counts(self.db), before)
        self.assertEqual(self.enquiries(m)[0]["icpc_booked_for"], future)
        st, _, got = self.patch(e["id"], {"icpc_held_on": start})
        self.assertEqual(st, 200, got)
        self.assertEqual(got["clock"]["state"], "held")
        open_ids = [x["id"] for x in self.enquiries(m, status="open")]
        self.assertNotIn(e["id"], open_ids)
        self.assertEqual(len(open_ids), 1)

    def test_3_not_required_is_a_managers_with_a_reason(self):
        m = self.two_children_authorised()
        e = self.enquiries(m)[0]
        st, _, b = self.patch(e["id"], {"icpc_not_required": True},
                              self.mgr)
        self.assertEqual((st, b["error"]["field"]),
                         (422, "not_required_reason"))
        reason = "Jamie Record is safe with the other parent now"
        st, _, got = self.patch(e["id"], {"icpc_not_required": True,
                                          "not_required_reason": reason},
                                self.mgr)
        self.assertEqual(st, 200, got)
        self.assertEqual((got["icpc_not_required"],
                          got["not_required_reason"],
                          got["clock"]["state"]),
                         (True, reason, "not_required"))
        [(after,)] = ct.query(self.db, "SELECT after FROM audit_log WHERE "
                              "action = 'enquiry.update' AND entity_id = %s",
                              (e["id"],))
        self.assertEqual(after, {"icpc_booked_for": None,
                                 "icpc_held_on": None,
                                 "icpc_not_required": True,
                                 "reason_written": True})

    def test_4_changed_decision_reauthorised_removes_that_enquiry(self):
        m = self.two_children_authorised()
        first, second = m["children"][0]["id"], m["children"][1]["id"]
        body = self.record_body(m, {second: "no_further_action"})
        self.record_ok(m["id"], body)
        # Still the authorised decision until authorised again.
        self.assertEqual(len(self.enquiries(m)), 2)
        st, _, v = self.call("POST", "/api/v1/meetings/%d/authorisation" %
                             m["id"], self.mgr, {"oversight": "NFA for Alex"})
        self.assertEqual(st, 200, v)
        self.assertEqual([e["child_id"] for e in self.enquiries(m)], [first])

    def test_5_web_home_clock_and_the_form(self):
        m = self.two_children_authorised(days_ago=14)
        e = self.enquiries(m)[0]
        cookie, csrf = self.session("eq-wsw")
        st, _, home = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual(st, 200, home)
        self.assertIn("Open Section 47 enquiries", home)
        self.assertIn('href="/enquiries/%d"' % e["id"], home)
        self.assertIn("Day %d of 15 working days, conference not booked" %
                      e["clock"]["working_day"], home)
        self.assertIn('data-clock="%s"' % e["clock"]["state"], home)
        st, _, page = ct.form("GET", self.srv.base, "/enquiries/%d" %
                              e["id"], cookie=cookie)
        self.assertEqual(st, 200, page)
        self.assertNotIn('name="not_required"', page)	# a manager's
        # A held date in the future: the form again, the field named.
        fut = london_today() + datetime.timedelta(days=3)
        st, _, page = ct.form("POST", self.srv.base, "/enquiries/%d" %
                              e["id"], {"held-day": fut.day,
                                        "held-month": fut.month,
                                        "held-year": fut.year},
                              cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422, page)
        self.assertIn('href="#held"', page)
        st, h, _ = ct.form("POST", self.srv.base, "/enquiries/%d" % e["id"],
                           {"booked-day": fut.day, "booked-month": fut.month,
                            "booked-year": fut.year},
                           cookie=cookie, csrf=csrf)
        self.assertEqual((st, h["Location"]), (303, "/enquiries/%d" %
                                                e["id"]))
        got = self.enquiries(m)[0]
        self.assertEqual(got["icpc_booked_for"], fut.isoformat())
        st, _, home = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertIn("conference booked", home)
        # The manager's form has "not required".
        mc, mcsrf = self.session("eq-wmgr")
        st, _, page = ct.form("GET", self.srv.base, "/enquiries/%d" %
                              e["id"], cookie=mc)
        self.assertIn('name="not_required"', page)
        st, _, page = ct.form("POST", self.srv.base, "/enquiries/%d" %
                              e["id"], {"not_required": "yes"},
                              cookie=mc, csrf=mcsrf)
        self.assertEqual(st, 422, page)
        self.assertIn('href="#reason"', page)

    def csv(self, path, token=None):
        st, h, body = self.call("GET", path, token or self.mgr)
        self.assertEqual(st, 200, body)
        lines = body.lstrip("\ufeff").splitlines()
        return list(csv.reader(lines))

    def test_6_csv_columns_match_the_docs(self):
        m = self.two_children_authorised()
        today = london_today().isoformat()
        rng = "?from=%s&to=%s" % (today, today)
        rows = self.csv("/api/v1/stats/section47.csv" + rng)
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        with open(os.path.join(root, "docs", "statistics.md")) as f:
            docs = f.read()
        for path, section in (("/api/v1/stats/section47.csv",
                               "### Section 47 export (Annex A), per child"),
                              ("/api/v1/stats/cin-census.csv",
                               "### CIN census extract")):
            part = docs[docs.index(section):]
            part = part[:part.index("\n### ", 5)] if "\n### " in part[5:] \
                else part
            documented = re.findall(r"^\| \d+ \| `([^`]+)` \|", part,
                                    re.M)
            header = self.csv(path + rng)[0]
            self.assertEqual(header, documented, path)
        # Two children, two enquiries, two Annex A rows.
        mine = [r for r in rows[1:]
                if r[0] in ("CV-%d" % c["id"] for c in m["children"])]
        self.assertEqual(len(mine), 2)
        self.assertEqual({r[5] for r in mine}, {today})
        self.assertNotIn("Jamie", str(rows))

    def test_7_dashboard_counts_children(self):
        """The dashboard's Section 47 figures are the children's, as the
        returns count them, not the discussions'."""
        self.two_children_authorised()
        today = london_today().isoformat()
        rng = "from=%s&to=%s" % (today, today)
        st, _, s = self.call("GET", "/api/v1/stats?" + rng, self.mgr)
        self.assertEqual(st, 200, s)
        kids = s["children"]["section47_enquiries"]
        per_discussion = s["totals"]["timeliness"][
            "discussion_to_conference"]["section47_enquiries"]
        self.assertGreater(kids, per_discussion)
        self.assertIn("awaiting_overdue", s["children"])
        cookie, _ = self.session("eq-wmgr")
        st, _, html = ct.form("GET", self.srv.base, "/stats?" + rng,
                              cookie=cookie)
        self.assertEqual(st, 200, html)
        fig = dict(re.findall(r'data-figure="([a-z_.0-9]+)">(\d+)<', html))
        self.assertEqual(int(fig["section47_enquiries"]), kids)
        self.assertEqual(int(fig["conference_not_required"]),
                         s["children"]["not_required"])
        self.assertIn("Section 47 enquiries started (children)", html)


if __name__ == "__main__":
    unittest.main()
