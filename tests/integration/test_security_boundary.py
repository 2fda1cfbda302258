"""The authority boundary everywhere (issue 14): each test is an attack
from one authority (or team) on another's data, on a real PostgreSQL
and the real convene binary. Each failed before its fix.

Two authorities, "north" and "south", share the directory (a police
officer both invite) but nothing else:
  1. calendar feeds: a feed lists only its own authority's meetings; an
     admin lists and revokes only their authority's feeds;
  2. the mail routes: an admin's REPLY reaches only their authority's
     meetings (another's is kept unmatched, 202, nothing applied); the
     inbox lists only the caller's authority's rows; the mail gateway
     (role mail_gateway) still reaches every authority;
  3. a REPLY without SEQUENCE is SEQUENCE 0: stale once the meeting is
     revised;
  4. another team's case reference is answered exactly like an unknown
     one;
  5. a directory entry is editable only by its authority's admins, so a
     neighbour cannot redirect invites and feeds by changing an address;
  6. `serve --demo` refuses a database given by URL unless
     --demo-on-this-database is given.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_security_boundary.py -v
"""

import datetime
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

POLICE = "pat.police@police.example"


def london(days, hh=10):
    d = datetime.date.today() + datetime.timedelta(days=days)
    return "%04d-%02d-%02dT%02d:00" % (d.year, d.month, d.day, hh)


class BoundaryTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_boundary")
        cls.pw = {}
        for name, role, team, auth in (
                ("n-admin", "admin", None, "north"),
                ("s-admin", "admin", None, "south"),
                ("n-sw", "social_worker", "North Team", "north"),
                ("n-sw2", "social_worker", "North Other", "north"),
                ("s-sw", "social_worker", "South Team", "south"),
                ("gateway", "mail_gateway", None, "north")):
            cls.pw[name] = ct.add_user(cls.db, name, role, team=team,
                                       authority=auth)
        cls.tok = {n: ct.token(cls.db, n) for n in cls.pw}
        cls.srv = ct.Server(cls.db)
        cls.contact = {}
        for key, admin, name, addr, agency, org in (
                ("police", "n-admin", "PC Pat Police", POLICE, "police",
                 "Shire Police"),
                ("n_care", "n-admin", "Nina North", "nina@north.example",
                 "social_care", "North Children's"),
                ("n_health", "n-admin", "Hal Health", "hal@nhs.example",
                 "health", "North NHS"),
                ("s_care", "s-admin", "Sid South", "sid@south.example",
                 "social_care", "South Children's"),
                ("s_health", "s-admin", "Sue Health", "sue@nhs.example",
                 "health", "South NHS")):
            st, _, b = cls.call("POST", "/api/v1/contacts", admin,
                                {"name": name, "email": addr,
                                 "agency": agency, "organisation": org})
            assert st == 201, b
            cls.contact[key] = b["id"]
        cls.police_org = ct.query(cls.db, "SELECT organisation_id FROM "
                                  "contacts WHERE id = %s",
                                  (cls.contact["police"],))[0][0]
        # Both authorities invite the shared police officer.
        cls.m_north = cls.book("n-sw", "N-1", ("n_care", "police",
                                               "n_health"))
        cls.m_south = cls.book("s-sw", "S-1", ("s_care", "police",
                                               "s_health"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    @classmethod
    def call(cls, method, path, who=None, json=None, **kw):
        return ct.api(method, cls.srv.base, path,
                      token=cls.tok[who] if who else None, json=json, **kw)

    @classmethod
    def book(cls, who, ref, contacts, days=10, children=True):
        b = {"case_ref": ref, "kind": "meeting",
             "reason": "Concern raised by school",
             "concern_received_at": london(0, 9),
             "starts_at": london(days), "duration_minutes": 60,
             "format": "in_person", "location": "Civic Centre",
             "participants": [{"contact_id": cls.contact[c]}
                              for c in contacts]}
        if children:
            b["children"] = [{"name": "Robin Boundary",
                              "date_of_birth": "2018-05-05"}]
        st, _, m = cls.call("POST", "/api/v1/meetings", who, b)
        assert st == 201, m
        return m

    def feed_uids(self, url):
        st, _, body = self.call("GET", url[len(self.srv.base):])
        self.assertEqual(st, 200, body)
        return {ln[4:].strip() for ln in body.splitlines()
                if ln.startswith("UID:")}

    def partstat(self, who, mid, email):
        st, _, inv = self.call("GET", "/api/v1/meetings/%d/invites" % mid,
                               who)
        self.assertEqual(st, 200, inv)
        return [p["partstat"] for p in inv["participants"]
                if p["email"].lower() == email][0]

    def reply(self, who, uid, addr, partstat, seq=0):
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN",
                 "METHOD:REPLY", "BEGIN:VEVENT", "UID:" + uid,
                 "DTSTAMP:20261128T120000Z",
                 "ATTENDEE;PARTSTAT=%s:mailto:%s" % (partstat, addr)]
        if seq is not None:
            lines.append("SEQUENCE:%d" % seq)
        lines += ["END:VEVENT", "END:VCALENDAR"]
        # Delivered to the organiser address issued to addr (issue #14).
        to = ct.organizer_address(self.db, uid, addr)
        return self.call("POST", ct.itip_path(to), who,
                         raw="\r\n".join(lines) + "\r\n",
                         headers={"Content-Type": "text/calendar"})

    # ---- 1. calendar feeds ----------------------------------------------------

    def test_1_feed_lists_only_its_authoritys_meetings(self):
        """South's admin makes a feed of the shared police officer (or the
        police organisation): it shows South's meeting, never North's."""
        for body in ({"contact_id": self.contact["police"]},
                     {"organisation_id": self.police_org}):
            st, _, s = self.call("POST", "/api/v1/feeds", "s-admin", body)
            self.assertEqual(st, 201, s)
            uids = self.feed_uids(s["url"])
            self.assertIn(self.m_south["uid"], uids)
            self.assertNotIn(self.m_north["uid"], uids)
            st, _, n = self.call("POST", "/api/v1/feeds", "n-admin", body)
            self.assertEqual(st, 201, n)
            uids = self.feed_uids(n["url"])
            self.assertIn(self.m_north["uid"], uids)
            self.assertNotIn(self.m_south["uid"], uids)

    def test_1_feeds_listed_and_revoked_only_by_their_authority(self):
        st, _, n = self.call("POST", "/api/v1/feeds", "n-admin",
                             {"contact_id": self.contact["n_care"]})
        self.assertEqual(st, 201, n)
        st, _, s = self.call("POST", "/api/v1/feeds", "s-admin",
                             {"contact_id": self.contact["s_care"]})
        self.assertEqual(st, 201, s)
        st, _, ls = self.call("GET", "/api/v1/feeds", "s-admin")
        self.assertEqual(st, 200, ls)
        ids = [f["id"] for f in ls["feeds"]]
        self.assertIn(s["id"], ids)
        self.assertNotIn(n["id"], ids)
        # Another authority's feed id is "no such feed", and stays live.
        st, _, e = self.call("DELETE", "/api/v1/feeds/%d" % n["id"],
                             "s-admin")
        self.assertEqual(st, 404, e)
        st, _, body = self.call("GET", n["url"][len(self.srv.base):])
        self.assertEqual(st, 200, body)
        st, _, _ = self.call("DELETE", "/api/v1/feeds/%d" % n["id"],
                             "n-admin")
        self.assertEqual(st, 200)
        st, _, _ = self.call("GET", n["url"][len(self.srv.base):])
        self.assertEqual(st, 404)

    # ---- 2. the mail routes ---------------------------------------------------

    def test_2_admin_reply_to_other_authoritys_meeting_applies_nothing(self):
        m = self.book("n-sw", "N-2", ("n_care", "police", "n_health"))
        st, _, r = self.reply("s-admin", m["uid"], POLICE, "DECLINED")
        self.assertEqual((st, r["status"]), (202, "unmatched"), r)
        self.assertNotIn("meeting_id", r)
        self.assertEqual(self.partstat("n-sw", m["id"], POLICE),
                         "NEEDS-ACTION")
        # Same answer as a UID nobody has.
        st2, _, r2 = self.reply("s-admin", "no-such-uid@x", POLICE,
                                "DECLINED")
        self.assertEqual((st2, r2), (st, r))
        # North's own admin still applies it.
        st, _, r = self.reply("n-admin", m["uid"], POLICE, "ACCEPTED")
        self.assertEqual((st, r["status"]), (200, "applied"), r)
        self.assertEqual(self.partstat("n-sw", m["id"], POLICE), "ACCEPTED")

    def test_2_gateway_reaches_every_authority_and_nothing_else(self):
        m = self.book("s-sw", "S-2", ("s_care", "police", "s_health"))
        st, _, r = self.reply("gateway", m["uid"], POLICE, "TENTATIVE")
        self.assertEqual((st, r["status"]), (200, "applied"), r)
        self.assertEqual(self.partstat("s-sw", m["id"], POLICE),
                         "TENTATIVE")
        for method, path in (("GET", "/api/v1/itip/inbox"),
                             ("GET", "/api/v1/feeds"),
                             ("GET", "/api/v1/contacts"),
                             ("GET", "/api/v1/meetings"),
                             ("GET", "/api/v1/meetings/%d" % m["id"])):
            self.assertEqual(self.call(method, path, "gateway")[0], 403,
                             path)

    def test_2_inbox_lists_only_the_callers_authority(self):
        m = self.book("n-sw", "N-3", ("n_care", "police", "n_health"))
        # Kept for review, linked to North's meeting (an address that was
        # not invited), posted by the gateway.
        st, _, r = self.reply("gateway", m["uid"], "stranger@x.example",
                              "ACCEPTED")
        self.assertEqual((st, r["status"], r.get("meeting_id")),
                         (202, "unmatched", m["id"]), r)
        # An email answering North's invitation, posted by South's admin:
        # not linked to North's meeting.
        msgid = ct.query(self.db, "SELECT message_id FROM outbox WHERE "
                         "discussion_id = %s ORDER BY id LIMIT 1",
                         (m["id"],))[0][0]
        mail = ("From: pat.police@police.example\r\nSubject: Re: meeting\r\n"
                "In-Reply-To: <%s>\r\n\r\nI can't make it.\r\n" % msgid)
        st, _, r = self.call("POST", "/api/v1/itip", "s-admin", raw=mail,
                             headers={"Content-Type": "message/rfc822"})
        self.assertEqual((st, r["status"]), (202, "mail"), r)
        self.assertNotIn("meeting_id", r)
        st, _, south = self.call("GET", "/api/v1/itip/inbox", "s-admin")
        self.assertEqual(st, 200, south)
        self.assertNotIn(m["id"], [x["meeting_id"] for x in south["replies"]])
        self.assertNotIn("stranger@x.example",
                         [x["attendee"] for x in south["replies"]])
        self.assertIn("Re: meeting",
                      [x["subject"] for x in south["replies"]])
        st, _, north = self.call("GET", "/api/v1/itip/inbox", "n-admin")
        self.assertEqual(st, 200, north)
        self.assertIn("stranger@x.example",
                      [x["attendee"] for x in north["replies"]])
        self.assertNotIn("Re: meeting",
                         [x["subject"] for x in north["replies"]])

    # ---- 3. REPLY without SEQUENCE ---------------------------------------------

    def test_3_reply_without_sequence_is_stale_after_a_revision(self):
        m = self.book("n-sw", "N-4", ("n_care", "police", "n_health"))
        st, _, m2 = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                              "n-sw", {"starts_at": london(11, 11)})
        self.assertEqual((st, m2["sequence"]), (200, 1), m2)
        st, _, r = self.reply("n-admin", m["uid"], POLICE, "DECLINED",
                              seq=None)
        self.assertEqual((st, r["status"]), (202, "stale"), r)
        self.assertEqual(self.partstat("n-sw", m["id"], POLICE),
                         "NEEDS-ACTION")
        # To a meeting never revised, no SEQUENCE is the current one.
        m = self.book("n-sw", "N-5", ("n_care", "police", "n_health"))
        st, _, r = self.reply("n-admin", m["uid"], POLICE, "ACCEPTED",
                              seq=None)
        self.assertEqual((st, r["status"]), (200, "applied"), r)

    # ---- 4. case references --------------------------------------------------

    def test_4_other_teams_case_answers_like_an_unknown_one(self):
        # N-1 is North Team's case (setUpClass); n-sw2 is in North Other.
        answers = []
        for ref, children in (("N-1", False), ("N-NOPE-1", False),
                              ("N-1", True)):
            before = ct.counts(self.db)
            st, _, b = self.call(
                "POST", "/api/v1/meetings", "n-sw2", {
                    "case_ref": ref, "kind": "meeting",
                    "reason": "Probe", "concern_received_at": london(0, 9),
                    "starts_at": london(12), "duration_minutes": 60,
                    "format": "in_person", "location": "Here",
                    "participants": [{"contact_id": self.contact[c]}
                                     for c in ("n_care", "police",
                                               "n_health")],
                    **({"children": [{"name": "Someone Else"}]}
                       if children else {})})
            self.assertEqual(ct.counts(self.db), before)
            answers.append((st, b))
        self.assertEqual(answers[0][0], 422, answers[0])
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0], answers[2])

    def test_4_booking_form_answers_the_same(self):
        """The booking page: "existing case" with another team's reference
        reads exactly like one that does not exist."""
        cookie = ct.sign_in(self.srv.base, "n-sw2", self.pw["n-sw2"])
        csrf = ct.session_csrf(self.db, cookie)
        pages = []
        for ref in ("N-1", "N-NOPE-2"):
            st, _, page = ct.form("POST", self.srv.base, "/meetings/new",
                                  {"case_type": "existing", "case_ref": ref},
                                  cookie=cookie, csrf=csrf)
            self.assertIn("Your team has no case %s" % ref, page)
            summary = page.split("govuk-error-summary__list", 1)[1]
            summary = summary.split("</ul>", 1)[0]
            pages.append((st, summary.replace(ref, "REF")))
        self.assertEqual(pages[0], pages[1])

    # ---- 5. directory edits ------------------------------------------------------

    def web_admin(self, who):
        cookie = ct.sign_in(self.srv.base, who, self.pw[who])
        return cookie, ct.session_csrf(self.db, cookie)

    def test_5_other_authority_cannot_redirect_a_contact(self):
        cid = self.contact["police"]	# created by North, invited by both
        st, _, f = self.call("POST", "/api/v1/feeds", "n-admin",
                             {"contact_id": cid})
        self.assertEqual(st, 201, f)
        cookie, csrf = self.web_admin("s-admin")
        st, _, _ = ct.form("GET", self.srv.base, "/directory/contacts/%d" %
                           cid, cookie=cookie)
        self.assertEqual(st, 404)
        st, _, _ = ct.form("POST", self.srv.base, "/directory/contacts/%d" %
                           cid, {"name": "PC Pat Police", "role": "",
                                 "email": "attacker@south.example",
                                 "phone": "", "organisation_id":
                                 str(self.police_org), "active": "yes"},
                           cookie=cookie, csrf=csrf)
        self.assertEqual(st, 404)
        self.assertEqual(ct.query(self.db, "SELECT email FROM contacts "
                                  "WHERE id = %s", (cid,))[0][0], POLICE)
        # North's next booking still invites the officer's own address.
        m = self.book("n-sw", "N-6", ("n_care", "police", "n_health"))
        self.assertIn(POLICE, [p["email"].lower()
                               for p in m["participants"]])
        self.assertIn(m["uid"], self.feed_uids(f["url"]))
        # The organisation likewise.
        st, _, _ = ct.form("POST", self.srv.base,
                           "/directory/organisations/%d" % self.police_org,
                           {"name": "Renamed", "agency": "police",
                            "active": "no"}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 404)
        self.assertEqual(ct.query(self.db, "SELECT name, active FROM "
                                  "organisations WHERE id = %s",
                                  (self.police_org,))[0],
                         ("Shire Police", True))
        # South edits its own contact; North may not.
        own = self.contact["s_care"]
        st, _, _ = ct.form("POST", self.srv.base, "/directory/contacts/%d" %
                           own, {"name": "Sid South", "role": "Manager",
                                 "email": "sid@south.example", "phone": "",
                                 "organisation_id": str(ct.query(
                                     self.db, "SELECT organisation_id FROM "
                                     "contacts WHERE id = %s", (own,))[0][0]),
                                 "active": "yes"}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 303)
        ncookie, _ = self.web_admin("n-admin")
        st, _, _ = ct.form("GET", self.srv.base, "/directory/contacts/%d" %
                           own, cookie=ncookie)
        self.assertEqual(st, 404)
        st, _, _ = ct.form("GET", self.srv.base, "/directory/contacts/%d" %
                           cid, cookie=ncookie)
        self.assertEqual(st, 200)

    # ---- 6. serve --demo ----------------------------------------------------------

    def test_6_demo_refuses_a_database_by_url(self):
        owner = ct.fresh_database("convene_it_boundary_demo", migrate=False)
        try:
            p = ct.run_cli(owner, "serve", "--demo", "--listen",
                           "127.0.0.1:%d" % ct.free_port(), timeout=60)
        except subprocess.TimeoutExpired:
            self.fail("serve --demo started on a database given by URL")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--demo-on-this-database", p.stderr)
        # Refused before connecting: not even migrated.
        self.assertEqual(ct.counts(owner), {})
        # Asked for by name, it loads (migrated as the owner, served as
        # the serving login, as every database given by URL).
        ct.cli(owner, "migrate")
        url = ct.serving_url(owner)
        with ct.Server(url, args=["--demo", "--demo-on-this-database"]):
            self.assertGreater(ct.query(url, "SELECT count(*) FROM "
                                        "discussions")[0][0], 0)


if __name__ == "__main__":
    unittest.main()
