"""JSON API v1, every endpoint over HTTP against a real PostgreSQL.

Books meetings with the issue's own example body, reads them back, lists
them with every filter, reschedules, changes participants, cancels and
records attendance, checking the agency-presence classification at each
step, the London time rules, and that the audit log gets exactly one row per
change and refuses UPDATE and DELETE at the database level.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_api.py -v
"""

import itertools
import os
import sys
import threading
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

CHILD = "Jamie Example"


class ApiTest(unittest.TestCase):
    maxDiff = None
    _refs = itertools.count(1)

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_api")
        ct.add_user(cls.db, "api-admin", "admin")
        ct.add_user(cls.db, "api-sw", "social_worker", team="Api Team A")
        ct.add_user(cls.db, "api-sw-b", "social_worker", team="Api Team B")
        ct.add_user(cls.db, "api-mgr", "manager", team="Api Team A")
        cls.admin = ct.token(cls.db, "api-admin")
        cls.sw = ct.token(cls.db, "api-sw")
        cls.sw_b = ct.token(cls.db, "api-sw-b")
        cls.mgr = ct.token(cls.db, "api-mgr")
        cls.srv = ct.Server(cls.db)
        cls.contact = {}
        for agency, name, email, org in (
                ("social_care", "Sam Social", "sam.social@council.example",
                 "Northtown Children's Services"),
                ("police", "PC Pat Police", "pat@police.example",
                 "Northumbria Police"),
                ("health", "Nurse Hana Health", "hana@nhs.example",
                 "Northtown NHS Trust"),
                ("education", "Ed Teacher", "ed@school.example",
                 "Northtown Primary")):
            st, _, body = cls.call("POST", "/api/v1/contacts", cls.admin,
                                   {"name": name, "email": email,
                                    "agency": agency, "organisation": org,
                                    "role": "Lead"})
            assert st == 201, body
            cls.contact[agency] = body["id"]
        # A second police officer: several people from one agency count once.
        st, _, body = cls.call("POST", "/api/v1/contacts", cls.admin,
                               {"name": "DC Dee Second",
                                "email": "dee@police.example",
                                "agency": "police",
                                "organisation": "Northumbria Police"})
        assert st == 201, body
        cls.contact["police2"] = body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    @classmethod
    def call(cls, method, path, token=None, json=None, **kw):
        return ct.api(method, cls.srv.base, path, token=token, json=json,
                      **kw)

    # ---- helpers ----------------------------------------------------------

    def ref(self):
        return "IT-API-%d" % next(self._refs)

    def body(self, agencies=("social_care", "police", "health"), **over):
        b = {"case_ref": self.ref(),
             "children": [{"name": CHILD, "date_of_birth": "2019-04-01"}],
             "kind": "meeting", "reason": "Bruising reported by school",
             "concern_received_at": "2026-12-01T09:15",
             "starts_at": "2026-12-02T10:00", "duration_minutes": 60,
             "format": "video", "location": "https://meet.example/abc",
             "participants": [{"contact_id": self.contact[a]}
                              for a in agencies]}
        b.update(over)
        return b

    def book(self, agencies=("social_care", "police", "health"),
             token=None, **over):
        st, h, m = self.call("POST", "/api/v1/meetings", token or self.sw,
                             self.body(agencies, **over))
        self.assertEqual(st, 201, m)
        return m

    def get(self, mid, token=None):
        st, _, m = self.call("GET", "/api/v1/meetings/%d" % mid,
                             token or self.sw)
        self.assertEqual(st, 200, m)
        return m

    def audit(self, mid):
        return [r[0] for r in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = "
            "'discussion' AND entity_id = %s ORDER BY id", (mid,))]

    def part(self, m, agency):
        """The (first) participant of m from agency."""
        for p in m["participants"]:
            if p["agency"] == agency and not p["removed"]:
                return p
        self.fail("no %s participant in %r" % (agency, m["participants"]))

    def attendance(self, mid, statuses, token=None, **extra):
        """PUT attendance with {participant id: status}; returns the
        response."""
        body = {"participants": [{"id": pid, "attendance": a}
                                 for pid, a in statuses.items()],
                "child_views_recorded": False}
        body.update(extra)
        return self.call("PUT", "/api/v1/meetings/%d/attendance" % mid,
                         token or self.sw, body)

    def assertError(self, resp, status, field):
        st, _, body = resp
        self.assertEqual(st, status, body)
        self.assertIsInstance(body, dict, body)
        self.assertIn("error", body)
        self.assertEqual(body["error"].get("field"), field, body)
        self.assertTrue(body["error"].get("message"), body)
        return body["error"]

    # ---- /healthz ------------------------------------------------------------

    def test_healthz(self):
        st, h, body = self.call("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(body, {"status": "ok"})
        self.assertEqual(h.get("Cache-Control"), "no-store")
        self.assertEqual(h.get("X-Content-Type-Options"), "nosniff")
        # 503 when the database is down: test_restart.py stops a cluster
        # under a running server.

    def test_unknown_path_and_method(self):
        self.assertError(self.call("GET", "/api/v1/nothing", self.sw), 404,
                         None)
        self.assertError(self.call("DELETE", "/api/v1/meetings", self.sw),
                         405, None)

    # ---- contacts --------------------------------------------------------------

    def test_contacts_create_and_list(self):
        before = ct.counts(self.db)
        st, _, c = self.call("POST", "/api/v1/contacts", self.admin,
                             {"name": "Hugo Housing",
                              "email": "hugo@housing.example",
                              "agency": "housing",
                              "organisation": "Northtown Homes",
                              "role": "Officer", "phone": "0191 000 0000"})
        self.assertEqual(st, 201, c)
        self.assertIsInstance(c["id"], int)
        self.assertEqual(c["name"], "Hugo Housing")
        self.assertEqual(c["agency"], "housing")
        after = ct.counts(self.db)
        self.assertEqual(after["contacts"], before["contacts"] + 1)
        self.assertEqual(after["organisations"],
                         before["organisations"] + 1)
        self.assertEqual(after["audit_log"], before["audit_log"] + 1)
        self.assertEqual(ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = 'contact' "
            "AND entity_id = %s", (c["id"],)), [("contact.create",)])

        st, _, lst = self.call("GET", "/api/v1/contacts", self.sw)
        self.assertEqual(st, 200)
        mine = [x for x in lst["contacts"] if x["id"] == c["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["email"], "hugo@housing.example")
        self.assertEqual(mine[0]["organisation"], "Northtown Homes")
        self.assertEqual(mine[0]["role"], "Officer")
        self.assertEqual(mine[0]["phone"], "0191 000 0000")
        # Directory order: statutory agencies first.
        order = [x["agency"] for x in lst["contacts"]]
        self.assertEqual(order[0], "social_care")

        st, _, lst = self.call("GET", "/api/v1/contacts?agency=health",
                               self.mgr)
        self.assertEqual(st, 200)
        self.assertTrue(lst["contacts"])
        self.assertEqual({x["agency"] for x in lst["contacts"]}, {"health"})

        # The same address again (any case) is a conflict; nothing changes.
        before = ct.counts(self.db)
        self.assertError(self.call("POST", "/api/v1/contacts", self.admin,
                                   {"name": "Hugo Again",
                                    "email": "HUGO@housing.example",
                                    "agency": "housing",
                                    "organisation": "Northtown Homes"}),
                         409, "email")
        self.assertEqual(ct.counts(self.db), before)

    # ---- booking ---------------------------------------------------------------

    def test_book_issue_example(self):
        """The issue's example body, verbatim but for the contact id: a
        social care contact and a police officer, health missing."""
        body = {"case_ref": "SC-104233",
                "children": [{"name": "Jamie Example",
                              "date_of_birth": "2019-04-01"}],
                "kind": "meeting", "reason": "Bruising reported by school",
                "concern_received_at": "2026-12-01T09:15",
                "starts_at": "2026-12-02T10:00",
                "duration_minutes": 60, "format": "video",
                "location": "https://meet.example/abc",
                "participants": [
                    {"contact_id": self.contact["social_care"]},
                    {"name": "DS Jane Smith",
                     "email": "jane.smith@police.example",
                     "agency": "police",
                     "organisation": "Northumbria Police",
                     "role": "Detective Sergeant"}],
                "missing_agency_reason":
                    "Health safeguarding nurse on leave; information by phone"}
        before = ct.counts(self.db)
        st, h, m = self.call("POST", "/api/v1/meetings", self.sw, body)
        self.assertEqual(st, 201, m)
        self.assertIsInstance(m["id"], int)
        self.assertEqual(h.get("Location"), "/api/v1/meetings/%d" % m["id"])
        self.assertTrue(m["uid"])
        self.assertEqual(m["status"], "scheduled")
        self.assertEqual(m["sequence"], 0)
        self.assertEqual(m["planned_classification"], "partial")
        self.assertEqual(m["missing_agencies"], ["health"])
        self.assertEqual(m["missing_agency_reason"],
                         body["missing_agency_reason"])
        self.assertEqual(m["case_ref"], "SC-104233")
        self.assertEqual(m["kind"], "meeting")
        self.assertEqual(m["format"], "video")
        self.assertEqual(m["location"], "https://meet.example/abc")
        self.assertEqual(m["reason"], "Bruising reported by school")
        self.assertEqual(m["concern_received_at"], "2026-12-01T09:15:00+00:00")
        self.assertEqual(m["starts_at"], "2026-12-02T10:00:00+00:00")
        self.assertEqual(m["ends_at"], "2026-12-02T11:00:00+00:00")
        self.assertEqual(m["duration_minutes"], 60)
        self.assertEqual([(c["name"], c["date_of_birth"])
                          for c in m["children"]],
                         [("Jamie Example", "2019-04-01")])
        self.assertEqual(len(m["participants"]), 2)
        sc, pol = m["participants"]
        self.assertEqual(sc["contact_id"], self.contact["social_care"])
        self.assertEqual((sc["name"], sc["agency"], sc["email"]),
                         ("Sam Social", "social_care",
                          "sam.social@council.example"))
        self.assertEqual((pol["name"], pol["email"], pol["agency"],
                          pol["organisation"], pol["role"]),
                         ("DS Jane Smith", "jane.smith@police.example",
                          "police", "Northumbria Police",
                          "Detective Sergeant"))
        for p in m["participants"]:
            self.assertIsInstance(p["id"], int)
            self.assertFalse(p["added_on_day"])
            self.assertIsNone(p["attendance"])
            self.assertFalse(p["removed"])
        after = ct.counts(self.db)
        for t, n in (("discussions", 1), ("participants", 2), ("cases", 1),
                     ("children", 1), ("audit_log", 1)):
            self.assertEqual(after[t], before[t] + n, t)
        self.assertEqual(self.audit(m["id"]), ["meeting.create"])
        # The audit snapshot does not copy the child's name.
        snap = ct.query(self.db, "SELECT after::text FROM audit_log WHERE "
                        "entity = 'discussion' AND entity_id = %s",
                        (m["id"],))[0][0]
        self.assertNotIn("Jamie", snap)
        self.assertNotIn("Jamie", self.srv.log_text())

        # GET the Location: the same meeting.
        st, _, got = self.call("GET", h.get("Location"), self.sw)
        self.assertEqual(st, 200)
        self.assertEqual(got, m)

        # The case now exists: booking again on it needs no children.
        b2 = dict(body)
        del b2["children"]
        st, _, m2 = self.call("POST", "/api/v1/meetings", self.sw, b2)
        self.assertEqual(st, 201, m2)
        self.assertEqual([c["name"] for c in m2["children"]], [CHILD])

    def test_book_multi_agency(self):
        m = self.book()
        self.assertEqual(m["planned_classification"], "multi_agency")
        self.assertEqual(m["missing_agencies"], [])
        self.assertIsNone(m["missing_agency_reason"])
        self.assertIsNone(m["classification"])

    def test_book_single_agency_needs_reason(self):
        before = ct.counts(self.db)
        err = self.assertError(self.call("POST", "/api/v1/meetings", self.sw,
                                         self.body(("social_care",))),
                               422, "missing_agency_reason")
        self.assertIn("police", err["message"])
        self.assertIn("health", err["message"])
        self.assertEqual(ct.counts(self.db), before)
        m = self.book(("social_care",),
                      missing_agency_reason="Out of hours; police and "
                      "health to be briefed by phone")
        self.assertEqual(m["planned_classification"], "single_agency")
        self.assertEqual(m["missing_agencies"], ["police", "health"])

    def test_book_partial_needs_reason(self):
        before = ct.counts(self.db)
        self.assertError(self.call("POST", "/api/v1/meetings", self.sw,
                                   self.body(("social_care", "police"))),
                         422, "missing_agency_reason")
        self.assertEqual(ct.counts(self.db), before)
        # A blank reason is no reason.
        self.assertError(self.call("POST", "/api/v1/meetings", self.sw,
                                   self.body(("social_care", "police"),
                                             missing_agency_reason="")),
                         422, "missing_agency_reason")
        self.assertEqual(ct.counts(self.db), before)

    def test_book_one_agency_counts_once(self):
        m = self.book(("social_care", "police", "police2"),
                      missing_agency_reason="Health not reachable")
        self.assertEqual(m["planned_classification"], "partial")
        self.assertEqual(m["missing_agencies"], ["health"])
        self.assertEqual(len(m["participants"]), 3)
        # Two police officers and nobody else: one agency.
        m = self.book(("police", "police2"),
                      missing_agency_reason="Police-led; others to follow")
        self.assertEqual(m["planned_classification"], "single_agency")
        self.assertEqual(m["missing_agencies"], ["social_care", "health"])

    def test_book_non_statutory_agency(self):
        m = self.book(("social_care", "education"),
                      missing_agency_reason="School only so far")
        self.assertEqual(m["planned_classification"], "partial")
        self.assertEqual(m["missing_agencies"], ["police", "health"])
        m = self.book(("social_care", "police", "health", "education"))
        self.assertEqual(m["planned_classification"], "multi_agency")

    def test_book_phone_discussion_with_ends_at(self):
        m = self.book(kind="discussion", format="phone", location="",
                      duration_minutes=None, starts_at="2026-12-02T10:00",
                      ends_at="2026-12-02T10:20", chair="Team manager")
        self.assertEqual(m["kind"], "discussion")
        self.assertEqual(m["format"], "phone")
        self.assertEqual(m["chair"], "Team manager")
        self.assertEqual(m["duration_minutes"], 20)
        self.assertEqual(m["ends_at"], "2026-12-02T10:20:00+00:00")

    def test_book_default_duration_one_hour(self):
        b = self.body()
        del b["duration_minutes"]
        st, _, m = self.call("POST", "/api/v1/meetings", self.sw, b)
        self.assertEqual(st, 201, m)
        self.assertEqual(m["duration_minutes"], 60)

    # ---- reading ---------------------------------------------------------------

    def test_get_one(self):
        m = self.book()
        got = self.get(m["id"])
        self.assertEqual(got, m)
        got = self.get(m["id"], self.mgr)
        self.assertEqual(got["id"], m["id"])
        for path in ("/api/v1/meetings/999999999", "/api/v1/meetings/0",
                     "/api/v1/meetings/abc", "/api/v1/meetings/-1",
                     "/api/v1/meetings/99999999999999999999"):
            st, _, body = self.call("GET", path, self.sw)
            self.assertEqual(st, 404, path)
            self.assertEqual(body["error"]["code"], "not_found")

    def _list(self, token, query):
        st, _, body = self.call("GET", "/api/v1/meetings?" + query, token)
        self.assertEqual(st, 200, body)
        return body

    def test_list_filters_and_paging(self):
        """Dates are London calendar days, inclusive at both ends."""
        tag = "IT-LIST-"
        # (starts_at London, team token, agencies)
        specs = [
            ("2026-06-09T23:30", self.sw, ("social_care", "police",
                                           "health")),
            ("2026-06-10T00:00", self.sw, ("social_care", "police")),
            ("2026-06-10T23:30", self.sw, ("social_care",)),
            ("2026-06-11T00:30", self.sw_b, ("social_care", "police",
                                             "health")),
            ("2026-06-12T09:00", self.sw, ("social_care", "police",
                                           "health")),
        ]
        ids = []
        for i, (start, tok, ags) in enumerate(specs):
            m = self.book(ags, token=tok, case_ref="%s%d" % (tag, i),
                          concern_received_at="2026-06-01T09:00",
                          starts_at=start,
                          missing_agency_reason="reason" if len(ags) < 3
                          else None)
            ids.append(m["id"])
        # 2026-06-09T23:30 BST is 22:30 UTC on the 9th; 00:00 on the 10th is
        # 23:00 UTC on the 9th: a UTC day filter would get these wrong.
        q = "case_ref=" + tag

        def listed(token, extra):
            return [x["id"] for x in
                    self._list(token, q + "&" + extra)["meetings"]]

        self.assertEqual(listed(self.mgr, "from=2026-06-10&to=2026-06-10"),
                         [ids[2], ids[1]])
        self.assertEqual(listed(self.mgr, "from=2026-06-10"),
                         [ids[4], ids[3], ids[2], ids[1]])
        self.assertEqual(listed(self.mgr, "to=2026-06-09"), [ids[0]])
        self.assertEqual(listed(self.mgr, "from=2026-06-11&to=2026-06-11"),
                         [ids[3]])
        # Social workers see their own team only, managers every team.
        self.assertEqual(listed(self.sw, "from=2026-06-09"),
                         [ids[4], ids[2], ids[1], ids[0]])
        self.assertEqual(listed(self.sw_b, "from=2026-06-09"), [ids[3]])
        self.assertEqual(listed(self.mgr, "team=Api+Team+B"), [ids[3]])
        self.assertEqual(listed(self.mgr, "team=Api%20Team%20A"),
                         [ids[4], ids[2], ids[1], ids[0]])
        self.assertEqual(listed(self.mgr, "team=No+Such+Team"), [])
        # Classification: planned until held.
        self.assertEqual(listed(self.mgr, "classification=multi_agency"),
                         [ids[4], ids[3], ids[0]])
        self.assertEqual(listed(self.mgr, "classification=partial"),
                         [ids[1]])
        self.assertEqual(listed(self.mgr, "classification=single_agency"),
                         [ids[2]])
        # Status.
        full = self.get(ids[4])
        st, _, held = self.attendance(ids[4], {
            self.part(full, "social_care")["id"]: "attended",
            self.part(full, "police")["id"]: "attended",
            self.part(full, "health")["id"]: "absent"},
            absence_reason="Nurse called to an emergency")
        self.assertEqual(st, 200, held)
        st, _, _ = self.call("POST", "/api/v1/meetings/%d/cancel" % ids[0],
                             self.sw, {"reason": "Child moved away"})
        self.assertEqual(st, 200)
        self.assertEqual(listed(self.mgr, "status=held"), [ids[4]])
        self.assertEqual(listed(self.mgr, "status=cancelled"), [ids[0]])
        self.assertEqual(listed(self.mgr, "status=scheduled"),
                         [ids[3], ids[2], ids[1]])
        # Held: the actual classification counts.
        self.assertEqual(listed(self.mgr, "classification=partial"),
                         [ids[4], ids[1]])
        self.assertEqual(listed(self.mgr, "classification=multi_agency"),
                         [ids[3], ids[0]])
        self.assertEqual(listed(self.mgr, "classification=partial&"
                                "status=held&team=Api+Team+A&"
                                "from=2026-06-12&to=2026-06-12"), [ids[4]])
        # Paging: newest first, total counts every match.
        pages = []
        for page in (1, 2, 3, 4):
            body = self._list(self.mgr, q + "&per_page=2&page=%d" % page)
            self.assertEqual(body["total"], 5)
            self.assertEqual(body["page"], page)
            self.assertEqual(body["per_page"], 2)
            pages.append([x["id"] for x in body["meetings"]])
        self.assertEqual(pages, [[ids[4], ids[3]], [ids[2], ids[1]],
                                 [ids[0]], []])
        row = self._list(self.mgr, q + "&per_page=1")["meetings"][0]
        for k in ("id", "uid", "case_ref", "team", "kind", "format",
                  "starts_at", "ends_at", "status", "planned_classification",
                  "classification", "missing_agencies", "sequence"):
            self.assertIn(k, row)
        self.assertEqual(row["starts_at"], "2026-06-12T09:00:00+01:00")
        self.assertEqual(row["classification"], "partial")
        self.assertEqual(row["missing_agencies"], ["health"])
        # Default page size.
        body = self._list(self.mgr, q)
        self.assertEqual((body["page"], body["per_page"]), (1, 50))

    def test_list_rows_are_the_meetings(self):
        """Each listed row says what GET /meetings/{id} says, in the
        list's keys and order; a winter time has the +00:00 offset."""
        tag = "IT-ROWS-"
        single = self.book(("social_care",), case_ref=tag + "0",
                           missing_agency_reason="reason")
        held = self.book(case_ref=tag + "1", starts_at="2026-06-12T09:30",
                         concern_received_at="2026-06-11T09:00")
        full = self.get(held["id"])
        st, _, _ = self.attendance(held["id"], {
            self.part(full, "social_care")["id"]: "attended",
            self.part(full, "police")["id"]: "absent",
            self.part(full, "health")["id"]: "attended"},
            absence_reason="Officer called away")
        self.assertEqual(st, 200)
        body = self._list(self.mgr, "case_ref=" + tag)
        self.assertEqual(list(body), ["meetings", "total", "page",
                                      "per_page"])
        self.assertEqual(body["total"], 2)
        keys = ["id", "uid", "case_ref", "team", "kind", "format",
                "starts_at", "ends_at", "status", "planned_classification",
                "classification", "missing_agencies", "sequence"]
        rows = body["meetings"]
        self.assertEqual([r["id"] for r in rows], [single["id"], held["id"]])
        for row in rows:
            self.assertEqual(list(row), keys)
            got = self.get(row["id"], self.mgr)
            for k in keys:
                self.assertEqual(row[k], got[k], k)
        self.assertEqual(rows[0]["starts_at"], "2026-12-02T10:00:00+00:00")
        self.assertIsNone(rows[0]["classification"])
        self.assertEqual(rows[0]["missing_agencies"], ["police", "health"])
        self.assertEqual(rows[1]["classification"], "partial")
        self.assertEqual(rows[1]["missing_agencies"], ["police"])
        # A page past the end still counts every match.
        body = self._list(self.mgr, "case_ref=%s&page=9" % tag)
        self.assertEqual((body["meetings"], body["total"]), ([], 2))

    def test_list_bad_filters(self):
        for query, field in (("from=2026-02-30", "from"),
                             ("to=yesterday", "to"),
                             ("classification=mostly", "classification"),
                             ("status=done", "status"),
                             ("page=0", "page"), ("page=x", "page"),
                             ("per_page=101", "per_page"),
                             ("per_page=-1", "per_page")):
            self.assertError(self.call("GET", "/api/v1/meetings?" + query,
                                       self.mgr), 400, field)

    # ---- changing ---------------------------------------------------------------

    def test_reschedule_keeps_duration(self):
        m = self.book(starts_at="2026-12-03T10:00", duration_minutes=90)
        self.assertEqual(m["ends_at"], "2026-12-03T11:30:00+00:00")
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"starts_at": "2026-12-04T14:00"})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["sequence"], 1)
        self.assertEqual(u["starts_at"], "2026-12-04T14:00:00+00:00")
        self.assertEqual(u["ends_at"], "2026-12-04T15:30:00+00:00")
        self.assertEqual(u["duration_minutes"], 90)
        self.assertEqual(u["uid"], m["uid"])
        self.assertEqual(self.audit(m["id"]),
                         ["meeting.create", "meeting.update"])
        # A new length.
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"duration_minutes": 45})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["sequence"], 2)
        self.assertEqual(u["ends_at"], "2026-12-04T14:45:00+00:00")
        # Changing when the concern came in moves nothing else (not even
        # SEQUENCE: the invitation's time is the same).
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw,
                             {"concern_received_at": "2026-12-02T08:00"})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["sequence"], 2)
        self.assertEqual(u["concern_received_at"], "2026-12-02T08:00:00+00:00")
        self.assertEqual(u["starts_at"], "2026-12-04T14:00:00+00:00")
        self.assertEqual(u["ends_at"], "2026-12-04T14:45:00+00:00")
        # Across the clocks changing: 2027-03-27 GMT -> 2027-03-29 BST keeps
        # 45 minutes of wall clock too.
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"starts_at": "2027-03-29T09:00"})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["starts_at"], "2027-03-29T09:00:00+01:00")
        self.assertEqual(u["ends_at"], "2027-03-29T09:45:00+01:00")
        # Other fields.
        st, _, u = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                             self.sw, {"format": "in_person",
                                       "location": "Room 2, Civic Centre",
                                       "chair": "A. Manager",
                                       "reason": "Further bruising"})
        self.assertEqual(st, 200, u)
        self.assertEqual((u["format"], u["location"], u["chair"],
                          u["reason"], u["sequence"]),
                         ("in_person", "Room 2, Civic Centre", "A. Manager",
                          "Further bruising", 3))	# no new time: same SEQUENCE
        self.assertEqual(len(self.audit(m["id"])), 6)
        self.assertEqual(self.get(m["id"]), u)

    def test_reschedule_refusals_change_nothing(self):
        m = self.book()
        other = self.book()
        path = "/api/v1/meetings/%d" % m["id"]
        before = ct.counts(self.db)
        self.assertError(self.call("PATCH", path, self.sw, {}), 422, "body")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"starts_at": "2026-12-02T12:00",
                                    "ends_at": "2026-12-02T11:00"}),
                         422, "ends_at")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"kind": "discussion"}), 422, "kind")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"remove_participants": [999999]}),
                         422, "remove_participants")
        # The booking rules hold for what a change leaves, not only for the
        # fields it names (concern 2026-12-01T09:15, 10:00-11:00 on the 2nd).
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"ends_at": "2026-12-02T09:30"}),
                         422, "ends_at")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"ends_at": "2026-12-09T10:00"}),
                         422, "ends_at")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"starts_at": "2026-11-30T10:00"}),
                         422, "starts_at")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"concern_received_at":
                                    "2026-12-02T10:30"}),
                         422, "concern_received_at")
        # Another meeting's participant is not this one's.
        self.assertError(self.call("PATCH", path, self.sw, {
            "remove_participants": [other["participants"][0]["id"]]}),
            422, "remove_participants")
        self.assertEqual(ct.counts(self.db), before)
        self.assertEqual(self.get(m["id"]), m)
        self.assertEqual(self.get(other["id"]), other)

    def test_concurrent_changes_each_count(self):
        """Changes at the same moment are serialised: each one moves the
        sequence once (each is a new length: issue 15, only time, length
        and status move SEQUENCE) and is audited once; none is lost."""
        m = self.book()
        path = "/api/v1/meetings/%d" % m["id"]
        results = self.parallel(8, lambda i: self.call(
            "PATCH", path, self.sw, {"location": "Room %d" % i,
                                     "duration_minutes": 31 + i})[0])
        self.assertEqual(results, [200] * 8)
        got = self.get(m["id"])
        self.assertEqual(got["sequence"], 8)
        self.assertIn(got["location"], {"Room %d" % i for i in range(8)})
        self.assertEqual(self.audit(m["id"]),
                         ["meeting.create"] + ["meeting.update"] * 8)

    def parallel(self, n, fn):
        """fn(i) in n threads started together; their results."""
        results = [None] * n
        go = threading.Barrier(n)

        def run(i):
            go.wait()
            results[i] = fn(i)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def test_concurrent_first_bookings_of_a_case(self):
        """Two workers of a team booking for the same new case at once: both
        bookings stand, on one case."""
        for r in range(6):
            ref = self.ref()
            res = self.parallel(4, lambda i: self.call(
                "POST", "/api/v1/meetings", self.sw, self.body(case_ref=ref)))
            self.assertEqual([x[0] for x in res], [201] * 4,
                             [x[2] for x in res])
            self.assertEqual(ct.query(
                self.db, "SELECT count(DISTINCT d.case_id), count(*) FROM "
                "discussions d JOIN cases c ON c.id = d.case_id WHERE "
                "c.case_ref = %s", (ref,)), [(1, 4)])

    def test_concurrent_contacts_of_a_new_organisation(self):
        for r in range(6):
            org = "Parallel Org %d" % r
            res = self.parallel(4, lambda i: self.call(
                "POST", "/api/v1/contacts", self.admin,
                {"name": "P %d" % i, "email": "p%d.%d@par.example" % (r, i),
                 "agency": "health", "organisation": org}))
            self.assertEqual([x[0] for x in res], [201] * 4,
                             [x[2] for x in res])
            self.assertEqual(ct.query(
                self.db, "SELECT count(*) FROM organisations WHERE name = %s",
                (org,)), [(1,)])

    def test_participants_add_and_remove(self):
        m = self.book()
        path = "/api/v1/meetings/%d" % m["id"]
        health = self.part(m, "health")["id"]
        # Removing health leaves it missing: a reason is required.
        before = ct.counts(self.db)
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"remove_participants": [health]}),
                         422, "missing_agency_reason")
        self.assertEqual(ct.counts(self.db), before)
        self.assertEqual(self.get(m["id"]), m)
        st, _, u = self.call("PATCH", path, self.sw,
                             {"remove_participants": [health],
                              "missing_agency_reason": "Nurse off sick"})
        self.assertEqual(st, 200, u)
        # People change, the time does not: same SEQUENCE (issue 15).
        self.assertEqual(u["sequence"], 0)
        self.assertEqual(u["planned_classification"], "partial")
        self.assertEqual(u["missing_agencies"], ["health"])
        self.assertEqual(u["missing_agency_reason"], "Nurse off sick")
        gone = [p for p in u["participants"] if p["id"] == health]
        self.assertEqual(len(gone), 1)
        self.assertTrue(gone[0]["removed"])
        # Removed twice: refused.
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"remove_participants": [health]}),
                         422, "remove_participants")
        # Add a health visitor by name: multi-agency again.
        st, _, u = self.call("PATCH", path, self.sw, {"add_participants": [
            {"name": "Holly Visitor", "email": "holly@nhs.example",
             "agency": "health", "organisation": "Northtown NHS Trust",
             "role": "Health visitor"}]})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["sequence"], 0)
        self.assertEqual(u["planned_classification"], "multi_agency")
        self.assertEqual(u["missing_agencies"], [])
        self.assertEqual(len(u["participants"]), 4)
        holly = u["participants"][-1]
        self.assertEqual((holly["name"], holly["agency"], holly["removed"],
                          holly["added_on_day"]),
                         ("Holly Visitor", "health", False, False))
        # Remove police and add the directory's second officer at once.
        police = self.part(u, "police")["id"]
        st, _, u = self.call("PATCH", path, self.sw, {
            "remove_participants": [police],
            "add_participants": [{"contact_id": self.contact["police2"]}]})
        self.assertEqual(st, 200, u)
        self.assertEqual(u["planned_classification"], "multi_agency")
        self.assertEqual(u["sequence"], 0)
        self.assertEqual(self.audit(m["id"]),
                         ["meeting.create"] + ["meeting.update"] * 3)
        # Someone not in the directory: refused, nothing changed.
        before = ct.counts(self.db)
        self.assertError(self.call("PATCH", path, self.sw, {
            "add_participants": [{"contact_id": 99999999}]}),
            422, "add_participants[0].contact_id")
        self.assertEqual(ct.counts(self.db), before)

    def test_cancel(self):
        m = self.book()
        path = "/api/v1/meetings/%d" % m["id"]
        before = ct.counts(self.db)
        self.assertError(self.call("POST", path + "/cancel", self.sw, {}),
                         422, "reason")
        self.assertError(self.call("POST", path + "/cancel", self.sw,
                                   {"reason": "   "}), 422, "reason")
        self.assertEqual(ct.counts(self.db), before)
        st, _, c = self.call("POST", path + "/cancel", self.sw,
                             {"reason": "Family moved out of area"})
        self.assertEqual(st, 200, c)
        self.assertEqual(c["status"], "cancelled")
        self.assertEqual(c["cancel_reason"], "Family moved out of area")
        self.assertEqual(c["sequence"], 1)
        self.assertEqual(self.audit(m["id"]),
                         ["meeting.create", "meeting.cancel"])
        before = ct.counts(self.db)
        self.assertError(self.call("POST", path + "/cancel", self.sw,
                                   {"reason": "again"}), 409, "status")
        self.assertError(self.attendance(m["id"], {
            p["id"]: "attended" for p in m["participants"]}), 409, "status")
        self.assertError(self.call("PATCH", path, self.sw,
                                   {"starts_at": "2026-12-05T10:00"}),
                         409, "status")
        self.assertEqual(ct.counts(self.db), before)
        self.assertEqual(self.get(m["id"]), c)

    # ---- attendance ---------------------------------------------------------------

    def test_attendance_multi_agency(self):
        m = self.book()
        st, _, r = self.attendance(m["id"], {
            p["id"]: "attended" for p in m["participants"]},
            outcomes=[{"child": CHILD, "decision": "s47_joint",
                       "rationale": "Injury pattern needs joint enquiry"}],
            child_views_recorded=True,
            child_views="Says the bruise came from a fall at the park",
            actions=[{"what": "Joint visit", "owner": "PC Pat Police",
                      "due": "2026-12-04"},
                     {"what": "Health check", "owner": "Nurse Hana Health"}],
            next_review_date="2026-12-09")
        self.assertEqual(st, 200, r)
        self.assertEqual(r["status"], "held")
        self.assertEqual(r["classification"], "multi_agency")
        self.assertEqual(r["missing_agencies"], [])
        self.assertEqual(r["contributed_agencies"], [])
        self.assertEqual(r["planned_classification"], "multi_agency")
        self.assertEqual(r["child_views_recorded"], True)
        self.assertEqual(r["child_views"],
                         "Says the bruise came from a fall at the park")
        self.assertEqual(r["next_review_date"], "2026-12-09")
        self.assertEqual([(o["child"], o["decision"], o["rationale"])
                          for o in r["outcomes"]],
                         [(CHILD, "s47_joint",
                           "Injury pattern needs joint enquiry")])
        self.assertEqual([(a["what"], a["owner"], a["due"], a["status"])
                          for a in r["actions"]],
                         [("Joint visit", "PC Pat Police", "2026-12-04",
                           "open"),
                          ("Health check", "Nurse Hana Health", None,
                           "open")])
        self.assertEqual({p["attendance"] for p in r["participants"]},
                         {"attended"})
        self.assertEqual(self.audit(m["id"]),
                         ["meeting.create", "meeting.attendance"])
        self.assertEqual(self.get(m["id"]), r)
        snap = ct.query(self.db, "SELECT after::text FROM audit_log WHERE "
                        "entity = 'discussion' AND entity_id = %s AND "
                        "action = 'meeting.attendance'", (m["id"],))[0][0]
        self.assertNotIn("Jamie", snap)
        self.assertNotIn("fall at the park", snap)

    def test_attendance_partial_contributed_needs_reason(self):
        m = self.book()
        statuses = {self.part(m, "social_care")["id"]: "attended",
                    self.part(m, "police")["id"]: "attended",
                    self.part(m, "health")["id"]: "contributed"}
        before = ct.counts(self.db)
        err = self.assertError(self.attendance(m["id"], statuses), 422,
                               "absence_reason")
        self.assertIn("health", err["message"])
        self.assertEqual(ct.counts(self.db), before)
        self.assertEqual(self.get(m["id"]), m)
        st, _, r = self.attendance(m["id"], statuses,
                                   absence_reason="Nurse sent a report")
        self.assertEqual(st, 200, r)
        self.assertEqual(r["classification"], "partial")
        self.assertEqual(r["missing_agencies"], ["health"])
        self.assertEqual(r["contributed_agencies"], ["health"])
        self.assertEqual(r["absence_reason"], "Nurse sent a report")
        self.assertEqual(r["status"], "held")
        self.assertEqual(self.part(r, "health")["attendance"], "contributed")

    def test_attendance_single_agency(self):
        m = self.book()
        st, _, r = self.attendance(m["id"], {
            self.part(m, "social_care")["id"]: "attended",
            self.part(m, "police")["id"]: "apologies",
            self.part(m, "health")["id"]: "absent"},
            absence_reason="Police on a call-out, health did not dial in")
        self.assertEqual(st, 200, r)
        self.assertEqual(r["classification"], "single_agency")
        self.assertEqual(r["missing_agencies"], ["police", "health"])
        self.assertEqual(r["contributed_agencies"], [])
        self.assertEqual(r["planned_classification"], "multi_agency")

    def test_attendance_people_added_on_the_day(self):
        m = self.book(("social_care", "police"),
                      missing_agency_reason="Health not yet identified")
        self.assertEqual(m["planned_classification"], "partial")
        st, _, r = self.call(
            "PUT", "/api/v1/meetings/%d/attendance" % m["id"], self.sw,
            {"participants": [
                {"id": self.part(m, "social_care")["id"],
                 "attendance": "attended"},
                {"id": self.part(m, "police")["id"],
                 "attendance": "attended"},
                {"name": "Dr Gita GP", "email": "gita@gp.example",
                 "agency": "health", "organisation": "Northtown Surgery",
                 "role": "GP", "attendance": "attended"}],
             "outcomes": [{"child": "jamie example",
                           "decision": "no_further_action",
                           "rationale": "Accident explained"}],
             "child_views_recorded": False})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["classification"], "multi_agency")
        self.assertEqual(r["missing_agencies"], [])
        gp = [p for p in r["participants"] if p["name"] == "Dr Gita GP"]
        self.assertEqual(len(gp), 1)
        self.assertTrue(gp[0]["added_on_day"])
        self.assertEqual(gp[0]["attendance"], "attended")
        self.assertEqual(gp[0]["agency"], "health")
        # The outcome was matched to the child by name.
        self.assertEqual([(o["child"], o["decision"]) for o in r["outcomes"]],
                         [(CHILD, "no_further_action")])

    def test_attendance_outcomes_per_child(self):
        m = self.book(children=[
            {"name": "Alex Sibling", "date_of_birth": "2015-01-31"},
            {"name": "Bo Sibling", "date_of_birth": "2020-02-29"}])
        self.assertEqual([c["name"] for c in m["children"]],
                         ["Alex Sibling", "Bo Sibling"])
        alex, bo = (c["id"] for c in m["children"])
        statuses = {p["id"]: "attended" for p in m["participants"]}
        before = ct.counts(self.db)
        self.assertError(self.attendance(m["id"], statuses, outcomes=[
            {"child": "Nobody Here", "decision": "s47_joint"}]),
            422, "outcomes[0].child")
        self.assertError(self.attendance(m["id"], statuses, outcomes=[
            {"child": "Alex Sibling", "decision": "maybe"}]),
            422, "outcomes[0].decision")
        self.assertError(self.attendance(m["id"], statuses,
                                         child_views_recorded=True),
                         422, "child_views")
        self.assertEqual(ct.counts(self.db), before)
        st, _, r = self.attendance(m["id"], statuses, outcomes=[
            {"child": "Alex Sibling", "decision": "s47_single_agency",
             "rationale": "Social care enquiry"},
            {"child_id": bo, "decision": "no_s47_further_assessment"}])
        self.assertEqual(st, 200, r)
        self.assertEqual([(o["child_id"], o["child"], o["decision"])
                          for o in r["outcomes"]],
                         [(alex, "Alex Sibling", "s47_single_agency"),
                          (bo, "Bo Sibling", "no_s47_further_assessment")])

    def test_attendance_must_cover_everyone(self):
        m = self.book()
        before = ct.counts(self.db)
        # Health not mentioned.
        self.assertError(self.attendance(m["id"], {
            self.part(m, "social_care")["id"]: "attended",
            self.part(m, "police")["id"]: "attended"}),
            422, "participants")
        # Not a participant of this meeting.
        self.assertError(self.attendance(m["id"], {999999: "attended"}),
                         422, "participants[0].attendance")
        self.assertError(self.attendance(m["id"], {
            p["id"]: "maybe" for p in m["participants"]}),
            422, "participants[0].attendance")
        self.assertEqual(ct.counts(self.db), before)

    # ---- time rules ---------------------------------------------------------------

    def test_times_with_offsets(self):
        cases = [
            # input starts_at, expected (London offset in the response)
            ("2026-07-01T10:00", "2026-07-01T10:00:00+01:00"),
            ("2026-07-01T09:00Z", "2026-07-01T10:00:00+01:00"),
            ("2026-07-01T09:00:00Z", "2026-07-01T10:00:00+01:00"),
            ("2026-07-01T11:00+02:00", "2026-07-01T10:00:00+01:00"),
            ("2026-12-01T10:00", "2026-12-01T10:00:00+00:00"),
            ("2026-12-01T10:00Z", "2026-12-01T10:00:00+00:00"),
            ("2026-12-01T05:00-05:00", "2026-12-01T10:00:00+00:00"),
            ("2026-12-01 10:00", "2026-12-01T10:00:00+00:00"),
            # the repeated hour in October: the first (BST) one
            ("2026-10-25T01:30", "2026-10-25T01:30:00+01:00"),
            ("2026-10-25T01:30Z", "2026-10-25T01:30:00+00:00"),
        ]
        for given, want in cases:
            with self.subTest(starts_at=given):
                m = self.book(concern_received_at="2026-06-01T09:00",
                              starts_at=given, duration_minutes=30)
                self.assertEqual(m["starts_at"], want)
                self.assertEqual(self.get(m["id"])["starts_at"], want)
        m = self.book(concern_received_at="2026-06-30T23:30Z",
                      starts_at="2026-07-01T10:00")
        self.assertEqual(m["concern_received_at"],
                         "2026-07-01T00:30:00+01:00")
        # Stored as the instant: UTC in the database.
        row = ct.query(self.db, "SELECT to_char(starts_at AT TIME ZONE "
                       "'UTC', 'YYYY-MM-DD HH24:MI') FROM discussions "
                       "WHERE id = %s", (m["id"],))
        self.assertEqual(row, [("2026-07-01 09:00",)])

    # ---- the audit log ---------------------------------------------------------------

    def test_audit_log_is_append_only(self):
        m = self.book()
        self.assertEqual(self.audit(m["id"]), ["meeting.create"])
        # The trigger holds even for the owner of the table (the serving
        # login is refused before it: test_least_privilege.py).
        owner = ct.owner_url(self.db)
        for sql in ("UPDATE audit_log SET action = 'x' WHERE entity_id = %s",
                    "DELETE FROM audit_log WHERE entity_id = %s"):
            with self.subTest(sql=sql):
                with self.assertRaises(psycopg2.Error) as cm:
                    ct.query(owner, sql, (m["id"],))
                self.assertIn("append-only", str(cm.exception))
        with self.assertRaises(psycopg2.Error) as cm:
            ct.query(owner, "TRUNCATE audit_log")
        self.assertIn("append-only", str(cm.exception))
        self.assertEqual(self.audit(m["id"]), ["meeting.create"])
        row = ct.query(self.db, "SELECT a.user_id = u.id, a.authority_id = "
                       "u.authority_id, a.before IS NULL, a.after->>'uid' "
                       "FROM audit_log a, users u WHERE u.username = "
                       "'api-sw' AND a.entity = 'discussion' AND "
                       "a.entity_id = %s", (m["id"],))
        self.assertEqual(row, [(True, True, True, m["uid"])])


if __name__ == "__main__":
    unittest.main()
