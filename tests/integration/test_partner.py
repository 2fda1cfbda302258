"""Partners end to end (issue 13, parts 1 and 2): real PostgreSQL, the real
convene binary and a real SMTP server (tests/integration/smtp_sink.py).

A police contact receives the invitation, follows its "Open the meeting
pack" link, receives a one-time code by email, signs in, sees the pack
(children's names and dates of birth, reason, invitees and replies), sends
the agency's information (in the record as received in writing, attendance
"sent information") and replies; a contact who was not invited gets 404 for
the same pack; a forged link gets 404; codes are single use, five tries,
throttled, and at most three are sent in ten minutes; every view is in
record_views and on the meeting page for the team; access after the
authority's window is refused. No child's name or date of birth is in any
email (the new sign-in code mails included), outbox row or log line, and
no code is in a log line.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_partner.py -v
"""

import datetime
import email
import email.policy
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402
from record_fixture import child_entry  # noqa: E402

FROM = "strategy-meetings@council.example"
CHILDREN = [("Perpetua Ravenscroft", "2017-06-21"),
            ("Ignatius Ravenscroft", "2020-01-09")]
SECRETS = [n for n, _ in CHILDREN] + [d for _, d in CHILDREN] + \
    ["Ravenscroft", "21 June 2017", "9 January 2020"]
WAIT = 40
PARTNER_COOKIE = "convene_partner"


def ct_london():
    from zoneinfo import ZoneInfo
    return ZoneInfo("Europe/London")


def london_str(d, hh=10, mm=0):
    return "%04d-%02d-%02dT%02d:%02d" % (d.year, d.month, d.day, hh, mm)


def texts_of(raw):
    """Every readable part of a message, decoded, with its headers."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = [raw.decode("utf-8", "replace"), str(msg.get("Subject", ""))]
    for p in msg.walk():
        if not p.is_multipart():
            out.append(p.get_payload(decode=True).decode("utf-8",
                                                         "replace"))
    return "\n".join(out)


def plain_of(raw):
    """The decoded text/plain part of a message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for p in msg.walk():
        if p.get_content_type() == "text/plain":
            return p.get_content()
    return ""


def code_of(raw):
    m = re.search(r"^\s+(\d{6})\s*$", plain_of(raw), re.M)
    return m.group(1) if m else None


def hidden(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    return m.group(1) if m else None


class PartnerTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_partner")
        cls.admin_pw = ct.add_user(cls.db, "pt-admin", "admin")
        cls.sw_pw = ct.add_user(cls.db, "pt-sw", "social_worker",
                                team="Partner Team")
        cls.mgr_pw = ct.add_user(cls.db, "pt-mgr", "manager",
                                 team="Partner Team")
        cls.admin = ct.token(cls.db, "pt-admin")
        cls.sw = ct.token(cls.db, "pt-sw")
        cls.sink = SmtpSink(ct.tmpdir("convene-sink-")).start()
        cls.srv = ct.Server(cls.db, env={
            "CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
            "CONVENE_SMTP_FROM": FROM})
        cls.contact, cls.email = {}, {}
        for key, agency, name, addr, org in (
                ("social_care", "social_care", "Sam Social",
                 "sam@council.example", "Northtown Children's"),
                ("police", "police", "DC Petra Police",
                 "petra@police.example", "Northumbria Police"),
                ("health", "health", "Nurse Hal Health", "hal@nhs.example",
                 "Northtown NHS Trust"),
                ("education", "education", "Ed Uninvited",
                 "ed@school.example", "Northtown Primary")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=cls.admin,
                                 json={"name": name, "email": addr,
                                       "agency": agency,
                                       "organisation": org, "role": "Lead"})
            assert st == 201, body
            cls.contact[key] = body["id"]
            cls.email[key] = addr
        cls.m = cls.book(("social_care", "police", "health"))
        # The education contact is invited to another meeting only.
        cls.other = cls.book(("social_care", "education"))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.sink.stop()

    # ---- helpers ------------------------------------------------------------

    _n = 0
    sessions = {}	# contact key: the newest partner session cookie

    @classmethod
    def book(cls, agencies, starts=None):
        cls._n += 1
        # The concern came in yesterday (London): a start "three hours
        # ago" is then never before it, whatever the time of day.
        today = datetime.datetime.now(ct_london()).date()
        d = today + datetime.timedelta(days=7)
        st, _, m = ct.api("POST", cls.srv.base, "/api/v1/meetings",
                          token=cls.sw, json={
                              "case_ref": "PT-%d" % cls._n,
                              "children": [{"name": n, "date_of_birth": b}
                                           for n, b in CHILDREN],
                              "kind": "meeting",
                              "reason": "Disclosure at school about "
                                        "Perpetua Ravenscroft",
                              "concern_received_at":
                                  london_str(today - datetime.timedelta(days=1),
                                             9),
                              "starts_at": starts or london_str(d),
                              "duration_minutes": 60,
                              "format": "video",
                              "location": "https://video.example/room-7",
                              "missing_agency_reason": "Health is "
                                                       "invited next time",
                              "participants": [{"contact_id":
                                                cls.contact[a]}
                                               for a in agencies]})
        assert st == 201, m
        return m

    def mails_to(self, addr, subject=None):
        out = []
        for env, raw in self.sink.messages():
            if addr.lower() not in [r.lower() for r in env["rcpt_tos"]]:
                continue
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            if subject is None or subject in str(msg["Subject"]):
                out.append(raw)
        return out

    def wait_mail(self, addr, subject, n):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            got = self.mails_to(addr, subject)
            if len(got) >= n:
                return got
            time.sleep(0.2)
        self.fail("no mail %r to %s" % (subject, addr))

    def pack_link(self, key, meeting):
        """The pack link in the invitation to contact key for meeting."""
        ref = meeting["case_ref"]
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for raw in self.mails_to(self.email[key]):
                t = plain_of(raw)
                # The invitation (not the record-check or code mails).
                if ref not in t or "You are invited" not in t:
                    continue
                m = re.search(r"(/partner/[A-Za-z0-9_-]+)", t)
                self.assertIsNotNone(m, "no pack link in the invitation")
                self.assertIn("Open the meeting pack", t)
                return m.group(1)
            time.sleep(0.2)
        self.fail("no invitation to %s" % key)

    def get(self, path, cookie=None):
        return ct.form("GET", self.srv.base, path,
                       cookies={PARTNER_COOKIE: cookie} if cookie else None)

    def post(self, path, fields, cookie=None):
        return ct.form("POST", self.srv.base, path, fields,
                       cookies={PARTNER_COOKIE: cookie} if cookie else None)

    def newest_code(self, key, n):
        raws = self.wait_mail(self.email[key], "sign-in code", n)
        code = code_of(raws[-1])
        self.assertIsNotNone(code)
        return code

    def sign_in(self, key, meeting, link=None):
        """Follow the pack link (the invitation's unless given), ask for a
        code, sign in; the cookie."""
        link = link or self.pack_link(key, meeting)
        st, _, page = self.get(link)
        self.assertEqual(st, 200)
        self.assertIn("Email me a sign-in code", page)
        before = len(self.mails_to(self.email[key], "sign-in code"))
        st, _, page = self.post(link + "/code", {})
        self.assertEqual(st, 200, page)
        code = self.newest_code(key, before + 1)
        st, h, _ = self.post(link + "/sign-in", {"code": code})
        self.assertEqual(st, 303)
        self.assertEqual(h["Location"], "/partner/meetings/%d" %
                         meeting["id"])
        cookie = ct._cookie(h, PARTNER_COOKIE)
        self.assertIsNotNone(cookie)
        self.sessions[key] = cookie
        set_cookie = h.get("Set-Cookie")
        self.assertIn("HttpOnly", set_cookie)
        self.assertIn("SameSite=Strict", set_cookie)
        return cookie, link, code

    def views(self, meeting_id):
        return ct.query(self.db, "SELECT c.email, v.page, v.address FROM "
                        "record_views v JOIN contacts c ON c.id = "
                        "v.contact_id WHERE v.discussion_id = %s ORDER BY "
                        "v.id", (meeting_id,))

    # ---- the tests ------------------------------------------------------------

    def test_1_police_signs_in_sees_the_pack_and_sends_information(self):
        cookie, link, code = self.sign_in("police", self.m)
        mid = self.m["id"]
        # The code was single use.
        st, _, page = self.post(link + "/sign-in", {"code": code})
        self.assertEqual(st, 422)
        self.assertIn("The code is wrong, used", page)
        # The pack: the children, the reason, joining details, invitees.
        n_views = len(self.views(mid))
        st, _, page = self.get("/partner/meetings/%d" % mid, cookie)
        self.assertEqual(st, 200, page)
        for name, _ in CHILDREN:
            self.assertIn(name, page)
        self.assertIn("21 June 2017", page)
        self.assertIn("https://video.example/room-7", page)
        self.assertIn("Disclosure at school", page)
        for who in ("Sam Social", "Nurse Hal Health", "DC Petra Police"):
            self.assertIn(who, page)
        self.assertNotIn("Ed Uninvited", page)
        v = self.views(mid)
        self.assertEqual(len(v), n_views + 1)
        self.assertEqual(v[-1][:2], (self.email["police"], "pack"))
        self.assertEqual(v[-1][2], "127.0.0.1")
        csrf = hidden(page, "csrf_token")
        self.assertTrue(csrf)

        # Bad input: 4xx naming the field, nothing written.
        before = ct.query(self.db, "SELECT count(*) FROM "
                          "record_agency_information")[0][0]
        st, _, page = self.post("/partner/meetings/%d/information" % mid,
                                {"information": "", "checks": "bogus",
                                 "from_whom": "DC Petra Police",
                                 "csrf_token": csrf}, cookie)
        self.assertEqual(st, 422)
        self.assertIn('href="#information"', page)
        self.assertIn('href="#checks"', page)
        st, _, _ = self.post("/partner/meetings/%d/information" % mid,
                             {"information": "x", "checks": "complete",
                              "from_whom": "x"}, cookie)
        self.assertEqual(st, 403)	# no CSRF token
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM "
                                  "record_agency_information")[0][0],
                         before)

        # The agency's information lands in the record, in writing.
        st, h, _ = self.post("/partner/meetings/%d/information" % mid,
                             {"information": "PNC: no trace. Local "
                              "records: two call-outs in 2026.",
                              "checks": "complete",
                              "from_whom": "DC Petra Police, MASH",
                              "csrf_token": csrf}, cookie)
        self.assertEqual(st, 303)
        st, _, m = ct.api("GET", self.srv.base, "/api/v1/meetings/%d" % mid,
                          token=self.sw)
        self.assertEqual(st, 200)
        info = m["record"]["agency_information"]
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0]["agency"], "police")
        self.assertEqual(info[0]["received"], "in_writing")
        self.assertEqual(info[0]["checks"], "complete")
        self.assertIn("PNC: no trace", info[0]["information"])
        police = [p for p in m["participants"]
                  if p["contact_id"] == self.contact["police"]][0]
        self.assertEqual(police["attendance"], "contributed")
        # The partner sees it in the pack.
        st, _, page = self.get("/partner/meetings/%d?done=information" %
                               mid, cookie)
        self.assertIn("Your information has been added", page)
        self.assertIn("PNC: no trace", page)

        # Reply: declining needs a reason.
        st, _, page = self.post("/partner/meetings/%d/reply" % mid,
                                {"answer": "decline", "reason": "",
                                 "csrf_token": csrf}, cookie)
        self.assertEqual(st, 422)
        self.assertIn('href="#reason"', page)
        st, _, _ = self.post("/partner/meetings/%d/reply" % mid,
                             {"answer": "decline", "reason": "On a "
                              "court day; information sent above",
                              "csrf_token": csrf}, cookie)
        self.assertEqual(st, 303)
        self.assertEqual(ct.query(
            self.db, "SELECT partstat, reply_reason FROM participants "
            "WHERE discussion_id = %s AND contact_id = %s",
            (mid, self.contact["police"]))[0],
            ("DECLINED", "On a court day; information sent above"))

        # The team sees every view on the meeting page.
        staff = ct.sign_in(self.srv.base, "pt-sw", self.sw_pw)
        st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" % mid,
                              cookie=staff)
        self.assertEqual(st, 200)
        self.assertIn("Partner views", page)
        self.assertIn("DC Petra Police (Northumbria Police)", page)
        self.assertEqual(page.count("<td class=\"govuk-table__cell\">"
                                    "Meeting pack</td>"),
                         len(self.views(mid)))
        # The audit log has the write, without the text.
        rows = ct.query(self.db, "SELECT after::text FROM audit_log WHERE "
                        "action = 'partner.information'")
        self.assertEqual(len(rows), 1)
        self.assertNotIn("PNC", rows[0][0])

        # Signing out ends the session.
        st, _, _ = self.post("/partner/sign-out", {"csrf_token": csrf},
                             cookie)
        self.assertEqual(st, 200)
        st, _, _ = self.get("/partner/meetings/%d" % mid, cookie)
        self.assertEqual(st, 404)

    def test_2_not_invited_gets_404(self):
        cookie, _, _ = self.sign_in("education", self.other)
        st, _, page = self.get("/partner/meetings/%d" % self.other["id"],
                               cookie)
        self.assertEqual(st, 200)
        n = len(self.views(self.m["id"]))
        st, _, page = self.get("/partner/meetings/%d" % self.m["id"], cookie)
        self.assertEqual(st, 404)
        self.assertNotIn("Ravenscroft", page)
        st, _, _ = self.get("/partner/meetings/999999", cookie)
        self.assertEqual(st, 404)
        csrf = hidden(self.get("/partner/meetings/%d" % self.other["id"],
                               cookie)[2], "csrf_token")
        st, _, _ = self.post("/partner/meetings/%d/information" %
                             self.m["id"], {"information": "x",
                                            "checks": "complete",
                                            "from_whom": "x",
                                            "csrf_token": csrf}, cookie)
        self.assertEqual(st, 404)
        self.assertEqual(len(self.views(self.m["id"])), n)
        # Their list holds only their own meeting.
        st, _, page = self.get("/partner", cookie)
        self.assertEqual(st, 200)
        self.assertIn(self.other["case_ref"], page)
        self.assertNotIn(">%s<" % self.m["case_ref"], page)
        # A staff session is no partner session; a forged link is nothing.
        st, _, _ = self.get("/partner/meetings/%d" % self.m["id"])
        self.assertEqual(st, 404)
        link = self.pack_link("police", self.m)
        st, _, _ = self.get(link[:-2] + ("AA" if link[-2:] != "AA"
                                         else "BB"))
        self.assertEqual(st, 404)

    def test_3_codes_are_throttled(self):
        link = self.pack_link("health", self.m)
        sent = len(self.mails_to(self.email["health"], "sign-in code"))
        for _ in range(3):
            st, _, _ = self.post(link + "/code", {})
            self.assertEqual(st, 200)
        st, h, _ = self.post(link + "/code", {})
        self.assertEqual(st, 429)
        self.assertEqual(h["Retry-After"], "600")
        code = self.newest_code("health", sent + 3)
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for _ in range(5):
            st, _, _ = self.post(link + "/sign-in", {"code": wrong})
            self.assertEqual(st, 422)
        # Five failures spent this client's budget for the contact, and
        # the code's five tries: the right code no longer opens it.
        st, h, _ = self.post(link + "/sign-in", {"code": code})
        self.assertEqual(st, 429)
        self.assertTrue(int(h["Retry-After"]) > 0)
        self.assertEqual(ct.query(
            self.db, "SELECT max(tries) FROM partner_codes WHERE "
            "contact_id = %s", (self.contact["health"],))[0][0], 5)
        self.assertEqual(ct.query(
            self.db, "SELECT count(*) FROM partner_sessions WHERE "
            "contact_id = %s", (self.contact["health"],))[0][0], 0)

    def test_4_access_ends_with_the_window(self):
        m = self.book(("social_care", "police"))
        cookie, link, _ = self.sign_in("police", m)
        st, _, _ = self.get("/partner/meetings/%d" % m["id"], cookie)
        self.assertEqual(st, 200)
        n = len(self.views(m["id"]))
        # The meeting was 30 days ago; the authority allows 10 working
        # days (the default), then 0.
        ct.query(self.db, "UPDATE discussions SET starts_at = now() - "
                 "interval '30 days', ends_at = now() - interval '30 days' "
                 "+ interval '1 hour' WHERE id = %s RETURNING id",
                 (m["id"],))
        st, _, page = self.get("/partner/meetings/%d" % m["id"], cookie)
        self.assertEqual(st, 410)
        self.assertIn("access to this meeting", page.lower())
        self.assertNotIn("Ravenscroft", page)
        st, _, _ = self.post(link + "/code", {})
        self.assertEqual(st, 410)
        self.assertEqual(len(self.views(m["id"])), n)
        # The authority's setting (PUT /api/v1/authorities/{id}/settings).
        aid = ct.query(self.db, "SELECT authority_id FROM discussions "
                       "WHERE id = %s", (m["id"],))[0][0]
        path = "/api/v1/authorities/%d/settings" % aid
        st, _, r = ct.api("PUT", self.srv.base, path, token=self.admin,
                          json={"partner_access_working_days": 61})
        self.assertEqual((st, r["error"]["field"]),
                         (422, "partner_access_working_days"))
        st, _, r = ct.api("PUT", self.srv.base, path, token=self.admin,
                          json={"partner_access_working_days": 60})
        self.assertEqual((st, r["partner_access_working_days"]), (200, 60))
        st, _, _ = self.get("/partner/meetings/%d" % m["id"], cookie)
        self.assertEqual(st, 200)
        st, _, r = ct.api("PUT", self.srv.base, path, token=self.admin,
                          json={"partner_access_working_days": 10})
        self.assertEqual(st, 200)

    def test_5_record_check_dissent_and_actions(self):
        """The submitted record: every invited partner is asked by email
        (no child data) to check it; dissent reaches the manager's
        authorisation panel; the police mark their action done, not
        health's."""
        t = datetime.datetime.now(ct_london()) - datetime.timedelta(hours=3)
        m = self.book(("social_care", "police", "health"),
                      starts=t.strftime("%Y-%m-%dT%H:%M"))
        mid = m["id"]
        by = {p["contact_id"]: p["id"] for p in m["participants"]}
        st, _, r = ct.api("PUT", self.srv.base,
                          "/api/v1/meetings/%d/attendance" % mid,
                          token=self.sw, json={
                              "participants": [{"id": i, "attendance":
                                                "attended"}
                                               for i in by.values()],
                              "child_views_recorded": False,
                              "actions": [
                                  {"what": "Police visit", "owner":
                                   "Police", "owner_agency": "police"},
                                  {"what": "GP check", "owner": "Health",
                                   "owner_agency": "health"}]})
        self.assertEqual(st, 200, r)
        chair = by[self.contact["social_care"]]
        st, _, r = ct.api("PUT", self.srv.base,
                          "/api/v1/meetings/%d/record" % mid,
                          token=self.sw, json={
                              "chair_participant_id": chair,
                              "concerns": ["physical_abuse"],
                              "agency_information": [],
                              "analysis": {"worries": "Bruising",
                                           "strengths": "Grandparent",
                                           "gaps": "GP records"},
                              "children": [child_entry(c["id"])
                                           for c in m["children"]],
                              "safety_plan": "Stays with grandparent",
                              "dissent": []})
        self.assertEqual(st, 200, r)
        before = len(self.mails_to(self.email["police"],
                                   "Please check the record"))
        st, _, r = ct.api("POST", self.srv.base,
                          "/api/v1/meetings/%d/record/submit" % mid,
                          token=self.sw)
        self.assertEqual(st, 200, r)
        links = {}
        # Booked in the past, so no invitation went out: the request to
        # check the record carries the pack link.
        for key in ("police", "health"):
            raws = self.wait_mail(self.email[key], "Please check the "
                                  "record", before + 1 if key == "police"
                                  else 1)
            link = re.search(r"(/partner/[A-Za-z0-9_-]+)",
                             plain_of(raws[-1]))
            self.assertIsNotNone(link)
            links[key] = link.group(1)
        # One request per invited directory contact, each to its own
        # address (the social care contact too: they are a contact, not a
        # user).
        self.assertEqual(sorted(r[0] for r in ct.query(
            self.db, "SELECT recipient FROM outbox WHERE kind = "
            "'record_check' AND discussion_id = %s", (mid,))),
            sorted(self.email[k] for k in ("health", "police",
                                           "social_care")))
        cookie, _, _ = self.sign_in("police", m, links["police"])
        st, _, page = self.get("/partner/meetings/%d" % mid, cookie)
        self.assertEqual(st, 200)
        self.assertIn("The record of the discussion", page)
        self.assertIn("Is this record accurate?", page)
        self.assertEqual(self.views(mid)[-1][1], "record")
        csrf = hidden(page, "csrf_token")
        st, _, page = self.post("/partner/meetings/%d/record-check" % mid,
                                {"check": "dissent", "about": "",
                                 "csrf_token": csrf}, cookie)
        self.assertEqual(st, 422)
        self.assertIn('href="#about"', page)
        st, _, _ = self.post("/partner/meetings/%d/record-check" % mid,
                             {"check": "dissent", "about": "We did not "
                              "agree to a single-agency visit",
                              "csrf_token": csrf}, cookie)
        self.assertEqual(st, 303)
        st, _, r = ct.api("GET", self.srv.base, "/api/v1/meetings/%d" % mid,
                          token=self.sw)
        self.assertEqual(r["record"]["dissent"][0]["agency"], "police")
        self.assertIn("single-agency visit",
                      r["record"]["dissent"][0]["about"])
        mgr = ct.sign_in(self.srv.base, "pt-mgr", self.mgr_pw)
        st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" % mid,
                              cookie=mgr)
        self.assertEqual(st, 200)
        panel = page[page.index('id="authorisation"'):]
        self.assertIn("checks of this version", panel)
        self.assertIn("DC Petra Police (Northumbria Police): disagrees",
                      panel)
        # Actions: the police's own, not health's.
        acts = {a["what"]: a["id"] for a in r["actions"]}
        st, _, _ = self.post("/partner/meetings/%d/actions/%d/done" %
                             (mid, acts["GP check"]), {"csrf_token": csrf},
                             cookie)
        self.assertEqual(st, 404)
        st, _, _ = self.post("/partner/meetings/%d/actions/%d/done" %
                             (mid, acts["Police visit"]),
                             {"csrf_token": csrf}, cookie)
        self.assertEqual(st, 303)
        self.assertEqual(dict(ct.query(
            self.db, "SELECT what, status FROM actions WHERE "
            "discussion_id = %s", (mid,))),
            {"Police visit": "done", "GP check": "open"})

    def test_6_authenticator_app_instead_of_emailed_codes(self):
        import pyotp
        # test_5's session: a fourth code in 10 minutes would be refused.
        cookie = self.sessions["police"]
        link = self.pack_link("police", self.m)
        st, _, page = self.get("/partner/authenticator", cookie)
        self.assertEqual(st, 200)
        secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<',
                           page).group(1)
        self.assertIn("otpauth://totp/", page)
        # Shown again: the same secret (the app already holds it).
        st, _, again = self.get("/partner/authenticator", cookie)
        self.assertIn(secret, again)
        csrf = hidden(page, "csrf_token")
        totp = pyotp.TOTP(secret)
        wrong = "%06d" % ((int(totp.now()) + 1) % 1000000)
        st, _, page = self.post("/partner/authenticator",
                                {"code": wrong, "csrf_token": csrf}, cookie)
        self.assertEqual(st, 422)
        self.assertIn('href="#code"', page)
        self.assertIn(secret, page)
        st, h, _ = self.post("/partner/authenticator",
                             {"code": totp.now(), "csrf_token": csrf},
                             cookie)
        self.assertEqual((st, h["Location"]), (303, "/partner?done=totp"))
        st, _, page = self.get("/partner/authenticator", cookie)
        self.assertIn("We no longer email you codes", page)
        self.post("/partner/sign-out", {"csrf_token": csrf}, cookie)
        # From now on: the app's code, no email.
        sent = len(self.mails_to(self.email["police"], "sign-in code"))
        st, _, page = self.get(link)
        self.assertEqual(st, 200)
        self.assertIn("Enter the code from your authenticator app", page)
        st, _, _ = self.post(link + "/code", {})
        self.assertEqual(st, 409)
        time.sleep(1)
        self.assertEqual(len(self.mails_to(self.email["police"],
                                           "sign-in code")), sent)
        nxt = totp.at(time.time() + 30)
        st, h, _ = self.post(link + "/sign-in", {"code": nxt})
        self.assertEqual(st, 303)
        self.assertEqual(ct.query(
            self.db, "SELECT via FROM partner_sessions WHERE contact_id = "
            "%s ORDER BY created_at DESC LIMIT 1",
            (self.contact["police"],))[0][0], "totp")
        # A code whose time step was used is refused.
        st, _, _ = self.post(link + "/sign-in", {"code": nxt})
        self.assertEqual(st, 422)
        # Lost device: an admin of the contact's authority turns the app
        # off (audited); the pack link asks for an emailed code again.
        admin = ct.sign_in(self.srv.base, "pt-admin", self.admin_pw)
        path = "/directory/contacts/%d/authenticator-reset" % \
            self.contact["police"]
        st, h, _ = ct.form("POST", self.srv.base, path, {}, cookie=admin,
                           csrf=ct.session_csrf(self.db, admin))
        self.assertEqual(st, 303)
        self.assertEqual(ct.query(
            self.db, "SELECT count(*) FROM audit_log WHERE action = "
            "'partner.totp_reset'")[0][0], 1)
        st, _, page = self.get(link)
        self.assertIn("Email me a sign-in code", page)
        st, _, _ = ct.form("POST", self.srv.base, path, {}, cookie=admin,
                           csrf=ct.session_csrf(self.db, admin))
        self.assertEqual(st, 404)

    def test_7_retention_removes_spent_codes_and_old_sessions(self):
        cid = self.contact["health"]
        ct.query(self.db, "INSERT INTO partner_codes (contact_id, code_mac, "
                 "created_at, expires_at) VALUES (%s, repeat('a', 64), "
                 "now() - interval '3 days', now() - interval '3 days') "
                 "RETURNING id", (cid,))
        ct.query(self.db, "INSERT INTO partner_sessions (id_hash, "
                 "contact_id, csrf, via, created_at, last_seen_at) VALUES "
                 "(repeat('b', 64), %s, 'x', 'code', now() - interval "
                 "'11 hours', now()) RETURNING 1", (cid,))
        live = ct.query(self.db, "SELECT count(*) FROM partner_sessions "
                        "WHERE created_at > now() - interval '1 hour'")[0][0]
        ct.cli(self.db, "retention", "run", data_dir=self.srv.data_dir)
        self.assertEqual(ct.query(
            self.db, "SELECT count(*) FROM partner_codes WHERE expires_at "
            "< now() - interval '1 day'")[0][0], 0)
        self.assertEqual(ct.query(
            self.db, "SELECT count(*) FROM partner_sessions WHERE "
            "id_hash = repeat('b', 64)")[0][0], 0)
        # Live sessions and the view log stay.
        self.assertEqual(ct.query(
            self.db, "SELECT count(*) FROM partner_sessions")[0][0], live)
        self.assertGreater(ct.query(
            self.db, "SELECT count(*) FROM record_views")[0][0], 0)

    def test_z_no_child_data_in_any_mail_or_log(self):
        codes = self.mails_to(self.email["police"], "sign-in code")
        self.assertGreaterEqual(len(codes), 1)
        texts = [texts_of(raw) for _, raw in self.sink.messages()]
        for t in texts:
            for s in SECRETS:
                self.assertNotIn(s, t)
        for (msg,) in ct.query(self.db, "SELECT message FROM outbox WHERE "
                               "message IS NOT NULL"):
            for s in SECRETS:
                self.assertNotIn(s, msg)
        log = self.srv.log_text()
        self.assertIn("sign-in code sent", log)
        for s in SECRETS:
            self.assertNotIn(s, log)
        for raw in codes:
            self.assertNotIn(code_of(raw), log)
        for (after,) in ct.query(self.db, "SELECT coalesce(after::text, "
                                 "'') FROM audit_log"):
            for s in SECRETS:
                self.assertNotIn(s, after)


if __name__ == "__main__":
    unittest.main()
