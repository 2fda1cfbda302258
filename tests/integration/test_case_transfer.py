"""Cases move between teams; front-door teams book on any case (issue 12,
section 2; issue 14, "case references").

On real PostgreSQL, through the API:
  - the out-of-hours team's case cannot be booked on by the day team until
    it is transferred (the same 422 as for no such case); a social worker
    of the holding team (or a manager) transfers it with a reason, the day
    team then books on it and sees its history, the audit log has the move
    without the reason, and GET .../transfers lists it;
  - who may not: another team's social worker gets 404 (as for no such
    case), an admin 403, bad bodies 4xx naming the field, and none of them
    changes anything;
  - a front-door team (PATCH /api/v1/teams/{id}, admin) books on another
    team's case without taking it on, and loses that when unmarked;
  - the web: the case page (/case?ref=) shows the holder and transfers and
    moves the case (field errors, CSRF), and the admin's users and teams
    page marks a front door.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_case_transfer.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import RecordCase  # noqa: E402

UNKNOWN = "case_ref: your team has no case with this reference; to open a " \
    "new case, give at least one child"


class CaseTransfer(RecordCase):
    DB = "convene_it_case_transfer"
    PREFIX = "CT"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ct.add_user(cls.db, "ct-ooh", "social_worker", team="Out of Hours")
        ct.add_user(cls.db, "ct-mash", "social_worker", team="MASH")
        cls.ooh = ct.token(cls.db, "ct-ooh")
        cls.mash = ct.token(cls.db, "ct-mash")

    def counts(self):
        return ct.counts(self.db)

    def teams(self):
        st, _, body = self.call("GET", "/api/v1/teams", self.sw)
        self.assertEqual(st, 200, body)
        return {t["name"]: t for t in body["teams"]}

    def rebook(self, ref, token):
        """Book again on an existing case (no children: not a new case)."""
        b = self.booking()
        b["case_ref"] = ref
        del b["children"]
        return self.call("POST", "/api/v1/meetings", token, b)

    def transfer(self, ref, token, **body):
        return self.call("POST", "/api/v1/cases/%s/transfer" % ref, token,
                         body)

    def test_1_transfer_hands_the_case_and_its_history_over(self):
        m = self.book(token=self.ooh)
        ref = m["case_ref"]
        st, _, body = self.rebook(ref, self.sw)
        self.assertEqual((st, body["error"]["field"], body["error"]["message"]),
                         (422, "case_ref", UNKNOWN))
        st, _, _ = self.call("GET", "/api/v1/meetings/%d" % m["id"], self.sw)
        self.assertEqual(st, 404)

        reason = "Day team takes on the Section 47 enquiry for Jamie Record"
        st, _, body = self.transfer(ref, self.ooh, team="Record Team",
                                    allocated_worker="ct-sw", reason=reason)
        self.assertEqual(st, 200, body)
        posted = body["transfers"]
        self.assertEqual(body["team"], "Record Team")
        self.assertEqual(body["allocated_worker"], "ct-sw")
        [t] = body["transfers"]
        self.assertEqual((t["from_team"], t["to_team"], t["to_worker"],
                          t["transferred_by"], t["reason"]),
                         ("Out of Hours", "Record Team", "ct-sw", "ct-ooh",
                          reason))

        # The day team now holds it: books on it, sees the earlier one.
        st, _, m2 = self.rebook(ref, self.sw)
        self.assertEqual(st, 201, m2)
        self.assertEqual(self.get(m["id"])["case_ref"], ref)
        st, _, lst = self.call("GET", "/api/v1/meetings?case_ref=" + ref,
                               self.sw)
        self.assertEqual(st, 200, lst)
        self.assertEqual({x["id"] for x in lst["meetings"]},
                         {m["id"], m2["id"]})
        # The unfiltered list counts it too (its total is counted another
        # way, model_list.c LIST_TOTAL): the same as every page's rows,
        # and as the count with a filter that matches everything.
        st, _, whole = self.call("GET", "/api/v1/meetings?per_page=100",
                                 self.sw)
        self.assertEqual(st, 200, whole)
        self.assertIn(m["id"], {x["id"] for x in whole["meetings"]})
        self.assertEqual(whole["total"], len(whole["meetings"]))
        st, _, wide = self.call("GET", "/api/v1/meetings?per_page=100&"
                                "from=2000-01-01", self.sw)
        self.assertEqual(wide["total"], whole["total"])
        # The out-of-hours team keeps what it held, not the case.
        self.assertEqual(self.get(m["id"], self.ooh)["id"], m["id"])
        st, _, _ = self.call("GET", "/api/v1/meetings/%d" % m2["id"],
                             self.ooh)
        self.assertEqual(st, 404)
        st, _, body = self.rebook(ref, self.ooh)
        self.assertEqual((st, body["error"]["field"]), (422, "case_ref"))

        st, _, got = self.call("GET", "/api/v1/cases/%s/transfers" % ref,
                               self.sw)
        self.assertEqual(st, 200, got)
        self.assertEqual(got["transfers"], posted)

        [row] = ct.query(self.db, "SELECT action, before, after FROM "
                         "audit_log WHERE action = 'case.transfer' AND "
                         "entity_id = (SELECT id FROM cases WHERE case_ref "
                         "= %s)", (ref,))
        self.assertEqual(row[1], {"team": "Out of Hours",
                                  "allocated_worker": "ct-ooh"})
        self.assertEqual(row[2], {"team": "Record Team",
                                  "allocated_worker": "ct-sw",
                                  "reason_written": True})
        self.assertNotIn("Jamie", str(row))

    def test_2_who_may_not_and_bad_bodies_change_nothing(self):
        m = self.book(token=self.ooh)
        ref = m["case_ref"]
        before = self.counts()
        ok = {"team": "Record Team", "reason": "Handover"}
        # Another team's worker: the answer for no such case.
        st, _, b1 = self.transfer(ref, self.sw, **ok)
        st2, _, b2 = self.transfer("NO-SUCH-99", self.sw, **ok)
        self.assertEqual((st, st2), (404, 404))
        self.assertEqual(b1["error"], b2["error"])
        st, _, _ = self.call("GET", "/api/v1/cases/%s/transfers" % ref,
                             self.sw)
        self.assertEqual(st, 404)
        st, _, _ = self.transfer(ref, self.admin, **ok)
        self.assertEqual(st, 403)
        st, _, _ = self.transfer(ref, None, **ok)
        self.assertEqual(st, 401)
        for body, field in (
                ({"reason": "x"}, "team"),
                ({"team": "Record Team"}, "reason"),
                ({"team": "Nowhere", "reason": "x"}, "team"),
                ({"team": "Record Team", "reason": "x",
                  "allocated_worker": "ct-mgr"}, "allocated_worker"),
                ({"team": "Record Team", "reason": "x",
                  "allocated_worker": "ct-ooh"}, "allocated_worker"),
                ({"team": "Out of Hours", "reason": "x"}, "team"),
                ({"team": "Out of Hours", "reason": "x",
                  "allocated_worker": "ct-ooh"}, "team"),
                ({"team": "Record Team", "reason": "x" * 1001}, "reason"),
                ({"team": "Record Team", "reason": "x", "extra": 1},
                 "extra")):
            st, _, b = self.transfer(ref, self.ooh, **body)
            self.assertIn(st, (400, 422), (body, b))
            self.assertEqual(b["error"]["field"], field, (body, b))
        st, _, b = self.call("POST", "/api/v1/cases/%s/nothing" % ref,
                             self.ooh, ok)
        self.assertEqual(st, 404)
        self.assertEqual(self.counts(), before)
        # A manager of the authority may move any case.
        st, _, b = self.transfer(ref, self.mgr, **ok)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["transfers"][0]["transferred_by"], "ct-mgr")

    def test_3_front_door_books_on_any_case(self):
        m = self.book()
        ref = m["case_ref"]
        st, _, body = self.rebook(ref, self.mash)
        self.assertEqual((st, body["error"]["field"]), (422, "case_ref"))
        mash = self.teams()["MASH"]
        self.assertFalse(mash["front_door"])
        for tok, want in ((self.sw, 403), (self.mgr, 403), (None, 401)):
            st, _, _ = self.call("PATCH", "/api/v1/teams/%d" % mash["id"],
                                 tok, {"front_door": True})
            self.assertEqual(st, want)
        st, _, b = self.call("PATCH", "/api/v1/teams/%d" % mash["id"],
                             self.admin, {"front_door": "yes"})
        self.assertIn(st, (400, 422), b)
        self.assertEqual(b["error"]["field"], "front_door")
        st, _, b = self.call("PATCH", "/api/v1/teams/999999", self.admin,
                             {"front_door": True})
        self.assertEqual(st, 404)
        st, _, b = self.call("PATCH", "/api/v1/teams/%d" % mash["id"],
                             self.admin, {"front_door": True})
        self.assertEqual(st, 200, b)
        self.assertTrue(self.teams()["MASH"]["front_door"])

        st, _, m2 = self.rebook(ref, self.mash)
        self.assertEqual(st, 201, m2)
        self.assertEqual(m2["team"], "MASH")
        # Booking did not take the case on: the holding team still holds
        # it and sees the front door's discussion of it.
        st, _, h = self.call("GET", "/api/v1/cases/%s/transfers" % ref,
                             self.sw)
        self.assertEqual((st, h["team"], h["transfers"]),
                         (200, "Record Team", []))
        self.assertEqual(self.get(m2["id"])["id"], m2["id"])
        # The front door cannot move it, and may not book once unmarked.
        st, _, _ = self.transfer(ref, self.mash, team="MASH", reason="x")
        self.assertEqual(st, 404)
        st, _, b = self.call("PATCH", "/api/v1/teams/%d" % mash["id"],
                             self.admin, {"front_door": False})
        self.assertEqual(st, 200, b)
        st, _, body = self.rebook(ref, self.mash)
        self.assertEqual((st, body["error"]["field"]), (422, "case_ref"))
        n = ct.query(self.db, "SELECT count(*) FROM audit_log WHERE action "
                     "= 'team.front_door'")[0][0]
        self.assertEqual(n, 2)

    def test_4_web_case_page_and_front_door_toggle(self):
        base = self.srv.base
        pw = ct.add_user(self.db, "ct-web-ooh", "social_worker",
                         team="Out of Hours")
        cookie = ct.sign_in(base, "ct-web-ooh", pw)
        csrf = ct.session_csrf(self.db, cookie)
        m = self.book(token=ct.token(self.db, "ct-web-ooh"))
        ref = m["case_ref"]
        path = "/case?ref=" + ref
        st, _, page = ct.form("GET", base, path, cookie=cookie)
        self.assertEqual(st, 200, page)
        self.assertIn("Out of Hours", page)
        self.assertIn("This case has not been transferred", page)
        st, _, _ = ct.form("GET", base, "/case?ref=NOPE-1", cookie=cookie)
        self.assertEqual(st, 404)

        # No reason: the form again with the field named, nothing moved.
        st, _, page = ct.form("POST", base, "/case/transfer",
                              {"ref": ref, "team": "Record Team",
                               "reason": ""}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422, page)
        self.assertIn('href="#reason"', page)
        before = self.call("GET", "/api/v1/cases/%s/transfers" % ref,
                           self.mgr)[2]
        self.assertEqual((before["team"], before["transfers"]),
                         ("Out of Hours", []))
        # Without the CSRF token: refused, nothing moved.
        st, _, _ = ct.form("POST", base, "/case/transfer",
                           {"ref": ref, "team": "Record Team",
                            "reason": "r"}, cookie=cookie)
        self.assertEqual(st, 403)

        st, h, _ = ct.form("POST", base, "/case/transfer",
                           {"ref": ref, "team": "Record Team",
                            "allocated_worker": "ct-sw",
                            "reason": "Day team takes it on"},
                           cookie=cookie, csrf=csrf)
        self.assertEqual((st, h.get("Location")), (303, "/?done=transferred"))
        st, _, page = ct.form("GET", base, "/?done=transferred",
                              cookie=cookie)
        self.assertIn("The case has been transferred", page)
        st, _, after = self.call("GET", "/api/v1/cases/%s/transfers" % ref,
                                 self.mgr)
        self.assertEqual((after["team"], after["allocated_worker"],
                          after["transfers"][0]["reason"]),
                         ("Record Team", "ct-sw", "Day team takes it on"))
        # The giving team no longer sees the case page.
        st, _, _ = ct.form("GET", base, path, cookie=cookie)
        self.assertEqual(st, 404)

        # The admin marks a front door from the users and teams page.
        apw = ct.add_user(self.db, "ct-web-admin", "admin")
        acookie = ct.sign_in(base, "ct-web-admin", apw)
        acsrf = ct.session_csrf(self.db, acookie)
        mash = self.teams()["MASH"]
        st, _, page = ct.form("GET", base, "/admin/users", cookie=acookie)
        self.assertIn('action="/admin/teams/%d/front-door"' % mash["id"],
                      page)
        fd = "/admin/teams/%d/front-door" % mash["id"]
        st, _, _ = ct.form("POST", base, fd, {"front_door": "maybe"},
                           cookie=acookie, csrf=acsrf)
        self.assertEqual(st, 422)
        self.assertFalse(self.teams()["MASH"]["front_door"])
        st, h, _ = ct.form("POST", base, fd, {"front_door": "yes"},
                           cookie=acookie, csrf=acsrf)
        self.assertEqual(st, 303)
        self.assertTrue(self.teams()["MASH"]["front_door"])
        st, h, _ = ct.form("POST", base, fd, {"front_door": "no"},
                           cookie=acookie, csrf=acsrf)
        self.assertEqual(st, 303)
        self.assertFalse(self.teams()["MASH"]["front_door"])
        # A social worker may not.
        st, _, _ = ct.form("POST", base, fd, {"front_door": "yes"},
                           cookie=cookie, csrf=csrf)
        self.assertEqual(st, 403)


if __name__ == "__main__":
    unittest.main()
