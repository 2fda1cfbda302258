"""Chasers end to end (issue 13, part 3; docs/chasers.md): two `convene
serve` instances on one PostgreSQL, the real SMTP sink, short thresholds set
through the authority settings.

A same-day meeting invites the worker (self), police and health. Police
accepts through its RSVP link. With the reminder threshold moved so it is
due, exactly one reminder goes to health's invitee (none to police, who
accepted); with the escalation threshold moved too, exactly one escalation
goes to the health organisation's duty inbox and one notice to the worker,
and nothing is sent twice in the scans after, although both instances scan.
The chases and a logged call show on GET /api/v1/meetings/{id}/chases, the
acceptance table and /metrics count them; when health accepts, the time to
all accepted is measured. Bad input (settings out of order, a call with an
unknown outcome, an overlapping rota) is a 422 naming the field and changes
nothing. No child's name or date of birth is in any mail received, any
outbox message (the .eml bodies), any .eml file or either server's log.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_chasers.py -v
"""

import datetime
import email
import email.policy
import glob
import itertools
import os
import re
import sys
import time
import unittest
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

UTC = datetime.timezone.utc
LONDON = zoneinfo.ZoneInfo("Europe/London")
FROM = "strategy-meetings@council.example"
CHILDREN = [("Persephone Wollstonecraft", "2018-05-09"),
            ("Evander Wollstonecraft", "2020-12-24")]
SECRETS = [n for n, _ in CHILDREN] + [d for _, d in CHILDREN] + \
    ["Wollstonecraft", "09/05/2018", "20180509", "24/12/2020"]
WORKER = "sam.worker@council.example"
DUTY = "duty.safeguarding@nhs.example"
HEALTH = "hana.health@nhs.example"
POLICE = "pat.police@police.example"
WAIT = 90		# seconds: a scan every 5 s, delivery every second
SETTLE = 12		# seconds of further scans that must send nothing


def utc_min(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def decoded_text(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = [raw.decode("utf-8", "replace"), str(msg.get("Subject", ""))]
    for p in msg.walk():
        if not p.is_multipart():
            out.append(p.get_payload(decode=True).decode("utf-8", "replace"))
    return "\n".join(out)


def subject(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return str(msg.get("Subject", ""))


class ChasersTest(unittest.TestCase):
    maxDiff = None
    refs = itertools.count(int(time.time()))

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_chasers")
        cls.admin_pw = ct.add_user(cls.db, "ch-admin", "admin")
        cls.sw_pw = ct.add_user(cls.db, "ch-sw", "social_worker",
                                team="Chase Team")
        ct.add_user(cls.db, "ch-mgr", "manager", team="Chase Team")
        cls.admin = ct.token(cls.db, "ch-admin")
        cls.sw = ct.token(cls.db, "ch-sw")
        cls.mgr = ct.token(cls.db, "ch-mgr")
        cls.aid = ct.query(cls.db, "SELECT authority_id FROM users WHERE "
                           "username = 'ch-sw'")[0][0]
        cls.sink = SmtpSink(ct.tmpdir("convene-chase-sink-")).start()
        env = {"CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
               "CONVENE_SMTP_FROM": FROM}
        cls.servers = [ct.Server(cls.db, env=env) for _ in range(2)]
        cls.srv = cls.servers[0]
        cls.contact = {}
        for key, name, addr, org in (
                ("police", "PC Pat Police", POLICE, "Chase Police"),
                ("health", "Nurse Hana Health", HEALTH, "Chase NHS Trust")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=cls.admin,
                                 json={"name": name, "email": addr,
                                       "agency": key, "organisation": org,
                                       "role": "Safeguarding lead"})
            assert st == 201, body
            cls.contact[key] = body["id"]
        cls.health_org = ct.query(cls.db, "SELECT organisation_id FROM "
                                  "contacts WHERE id = %s",
                                  (cls.contact["health"],))[0][0]

    @classmethod
    def tearDownClass(cls):
        try:
            for s in cls.servers:
                s.stop()	# a clean exit: the chaser joined, no leaks
        finally:
            cls.sink.stop()

    # ---- helpers ------------------------------------------------------------

    def call(self, method, path, token=None, json=None, srv=None, **kw):
        return ct.api(method, (srv or self.srv).base, path, token=token,
                      json=json, **kw)

    def settings(self, **kw):
        st, _, b = self.call("PUT", "/api/v1/authorities/%d/settings" %
                             self.aid, self.admin, kw)
        self.assertEqual(st, 200, b)
        return b

    def mails(self, pattern):
        """[(envelope, raw)] received whose subject matches pattern."""
        return [(e, raw) for e, raw in self.sink.messages()
                if re.search(pattern, subject(raw))]

    def wait_mails(self, pattern, n):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            got = self.mails(pattern)
            if len(got) >= n:
                return got
            time.sleep(0.5)
        self.fail("waited %ds for %d mail(s) matching %r; have %r" %
                  (WAIT, n, pattern, [subject(r) for _, r in
                                      self.sink.messages()]))

    def chases(self, mid):
        return ct.query(self.db, "SELECT agency, kind, emails FROM chases "
                        "WHERE discussion_id = %s ORDER BY id", (mid,))

    def rsvp(self, addr, answer="accept"):
        """POST the RSVP link of the invite sent to addr (waiting for
        it to arrive)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for env, raw in self.sink.messages():
                if env["rcpt_tos"][0].lower() != addr:
                    continue
                m = re.search(r"(/rsvp/[A-Za-z0-9_-]{40,}/%s)" % answer,
                              decoded_text(raw))
                if m:
                    st, _, page = self.call(
                        "POST", m.group(1), raw=b"",
                        headers={"Content-Type":
                                 "application/x-www-form-urlencoded"})
                    self.assertEqual(st, 200, page)
                    return
            time.sleep(0.5)
        self.fail("no invite with an RSVP link to %s" % addr)

    def book(self, starts):
        b = {"case_ref": "CH-%d" % next(self.refs),
             "children": [{"name": n, "date_of_birth": d}
                          for n, d in CHILDREN],
             "kind": "meeting",
             "reason": "Nursery saw marks on %s (born %s)" % CHILDREN[0],
             "concern_received_at": utc_min(min(
                 datetime.datetime.now(UTC), starts) -
                 datetime.timedelta(hours=1)),
             "starts_at": utc_min(starts), "duration_minutes": 60,
             "format": "video",
             "participants": [
                 {"self": True, "name": "Sam Worker", "email": WORKER,
                  "agency": "social_care"},
                 {"contact_id": self.contact["police"]},
                 {"contact_id": self.contact["health"]}]}
        st, _, m = self.call("POST", "/api/v1/meetings", self.sw, b)
        self.assertEqual(st, 201, m)
        return m

    def web_at_risk(self, m):
        """The meeting page's at-risk panel and its "Log a call" form, and
        the home page's list, for the worker signed in."""
        cookie = self.sw_cookie = ct.sign_in(self.srv.base, "ch-sw",
                                             self.sw_pw)
        csrf = ct.session_csrf(self.db, cookie)
        page = "/meetings/%d" % m["id"]
        st, _, html = ct.form("GET", self.srv.base, page, cookie=cookie)
        self.assertEqual(st, 200, html)
        self.assertIn("Health has not accepted", html)
        self.assertIn('data-chase="reminder"', html)
        self.assertIn('data-chase="escalation"', html)
        self.assertIn("Log a call", html)
        self.assertIn("Duty nurse Jo", html)
        st, _, html = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual(st, 200, html)
        self.assertIn("data-at-risk", html)
        self.assertIn(m["case_ref"], html)
        now = datetime.datetime.now(LONDON) - datetime.timedelta(minutes=1)
        fields = {"call_agency": "health",
                  "call_time": now.strftime("%H:%M"),
                  "call_spoke_to": "Ward sister Kim",
                  "call_outcome": "no_answer"}
        calls = ct.query(self.db, "SELECT count(*) FROM chase_calls")[0][0]
        st, _, html = ct.form("POST", self.srv.base, page + "/calls",
                              dict(fields, call_outcome=""), cookie=cookie,
                              csrf=csrf)
        self.assertEqual(st, 422, html)
        self.assertIn("Select the outcome of the call", html)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM "
                                  "chase_calls")[0][0], calls)
        st, h, _ = ct.form("POST", self.srv.base, page + "/calls", fields,
                           cookie=cookie, csrf=csrf)
        self.assertEqual(st, 303)
        self.assertTrue(h["Location"].startswith(page + "?done=call"))
        st, _, html = ct.form("GET", self.srv.base, page + "?done=call",
                              cookie=cookie)
        self.assertIn("Ward sister Kim", html)
        self.assertIn("Call to an agency logged", html)
        self.assertNotRegex(html, r"<td[^>]*>\d{4}-\d\d-\d\dT")
        self.assertIn("The call has been logged.", html)

    def attendance_evidence(self):
        # The attendance page (once a meeting has started) shows what was
        # tried, beside the absence reason: a call logged on one held an
        # hour ago.
        past = self.book(datetime.datetime.now(UTC).replace(
            second=0, microsecond=0) - datetime.timedelta(hours=1))
        st, _, b = self.call("POST", "/api/v1/meetings/%d/calls" %
                             past["id"], self.sw,
                             {"agency": "health", "called_at": utc_min(
                                 datetime.datetime.now(UTC)),
                              "spoke_to": "Ward sister Kim",
                              "outcome": "cannot_attend"})
        self.assertEqual(st, 201, b)
        st, _, html = ct.form("GET", self.srv.base, "/meetings/%d/attendance"
                              % past["id"], cookie=self.sw_cookie)
        self.assertEqual(st, 200, html)
        ev = html[html.index("data-evidence"):]
        ev = ev[:ev.index("</div>")]
        self.assertIn("spoke to Ward sister Kim: Cannot attend", ev)

    # ---- the test -----------------------------------------------------------

    def test_duty_rota_and_bad_input(self):
        self.set_duty()
        # settings out of order: 422 naming the escalation, nothing changed
        self.settings_refused(self.call("GET", "/api/v1/authorities/%d/"
                                        "settings" % self.aid,
                                        self.admin)[2])

    def set_duty(self):
        """The health organisation's duty inbox, phone and a window of its
        contact around now, through the API; bad rotas refused."""
        now = datetime.datetime.now(UTC)
        path = "/api/v1/organisations/%d/rota" % self.health_org
        good = {"duty_email": DUTY, "duty_phone": "0191 000 0000",
                "rota": [{"contact_id": self.contact["health"],
                          "starts_at": utc_min(now - datetime.timedelta(
                              hours=1)),
                          "ends_at": utc_min(now + datetime.timedelta(
                              days=1))}]}
        st, _, b = self.call("PUT", path, self.admin, good)
        self.assertEqual(st, 200, b)
        self.assertEqual((b["duty_email"], len(b["rota"])), (DUTY, 1))
        # overlapping windows: 422 naming the second, nothing changed
        bad = dict(good, duty_email="other@nhs.example",
                   rota=good["rota"] * 2)
        st, _, b = self.call("PUT", path, self.admin, bad)
        self.assertEqual((st, b["error"]["field"]),
                         (422, "rota[1].starts_at"), b)
        # a contact of another organisation
        bad = dict(good, rota=[dict(good["rota"][0],
                                    contact_id=self.contact["police"])])
        st, _, b = self.call("PUT", path, self.admin, bad)
        self.assertEqual((st, b["error"]["field"]),
                         (422, "rota[0].contact_id"), b)
        self.assertEqual(self.call("PUT", path, self.sw, good)[0], 403)
        st, _, b = self.call("GET", path, self.sw)
        self.assertEqual((st, b["duty_email"]), (200, DUTY), b)
        # on duty now: the health contact, with the duty inbox
        st, _, b = self.call("GET", "/api/v1/directory/on-duty?agency="
                             "health", self.sw)
        self.assertEqual(st, 200, b)
        org = [o for o in b["organisations"]
               if o["organisation_id"] == self.health_org][0]
        self.assertEqual(org["on_duty"]["contact_id"],
                         self.contact["health"])
        st, _, b = self.call("GET", "/api/v1/directory/on-duty?at=" +
                             utc_min(now + datetime.timedelta(days=3)),
                             self.sw)
        org = [o for o in b["organisations"]
               if o["organisation_id"] == self.health_org][0]
        self.assertIsNone(org["on_duty"])
        self.assertEqual(self.call("GET", "/api/v1/directory/on-duty?at=x",
                                   self.sw)[0], 400)

    def settings_refused(self, before):
        st, _, b = self.call("PUT", "/api/v1/authorities/%d/settings" %
                             self.aid, self.admin,
                             {"chase_reminder_hours": 4})
        self.assertEqual((st, b["error"]["field"]),
                         (422, "chase_escalation_hours"), b)
        st, _, b = self.call("PUT", "/api/v1/authorities/%d/settings" %
                             self.aid, self.admin,
                             {"chase_same_day_reminder_minutes": 1})
        self.assertEqual((st, b["error"]["field"]),
                         (422, "chase_same_day_reminder_minutes"), b)
        after = self.call("GET", "/api/v1/authorities/%d/settings" %
                          self.aid, self.admin)[2]
        self.assertEqual(before, after)
        self.assertEqual((after["chase_reminder_hours"],
                          after["chase_escalation_hours"],
                          after["chase_same_day_reminder_minutes"],
                          after["chase_same_day_escalation_minutes"]),
                         (24, 4, 60, 30))

    def test_rota_page_and_on_duty_tag(self):
        self.set_duty()		# health's contact on duty now
        cookie = ct.sign_in(self.srv.base, "ch-admin", self.admin_pw)
        csrf = ct.session_csrf(self.db, cookie)
        page = "/directory/organisations/%d/rota" % self.health_org
        st, _, html = ct.form("GET", self.srv.base, page, cookie=cookie)
        self.assertEqual(st, 200, html)
        self.assertIn(DUTY, html)
        self.assertIn("Nurse Hana Health", html)
        # a new window overlapping the one there: refused, nothing changed
        now = datetime.datetime.now(LONDON)
        later = now + datetime.timedelta(hours=2)
        fields = {"duty_email": DUTY, "duty_phone": "0191 000 0000",
                  "new_contact": str(self.contact["health"]),
                  "new_start-day": now.day, "new_start-month": now.month,
                  "new_start-year": now.year, "new_start-time": "%02d:%02d"
                  % (now.hour, now.minute),
                  "new_end-day": later.day, "new_end-month": later.month,
                  "new_end-year": later.year, "new_end-time": "%02d:%02d"
                  % (later.hour, later.minute)}
        st, _, html = ct.form("POST", self.srv.base, page, fields,
                              cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422, html)
        self.assertIn("The new window overlaps one already on the rota",
                      html)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM duty_rota "
                                  "WHERE organisation_id = %s",
                                  (self.health_org,))[0][0], 1)
        # the inbox changed without a new window: saved
        st, h, _ = ct.form("POST", self.srv.base, page,
                           {"duty_email": "duty2@nhs.example",
                            "duty_phone": "0191 000 0001"},
                           cookie=cookie, csrf=csrf)
        self.assertEqual((st, h.get("Location")), (303, page + "?done=1"))
        st, _, b = self.call("GET", "/api/v1/organisations/%d/rota" %
                             self.health_org, self.sw)
        self.assertEqual((b["duty_email"], len(b["rota"])),
                         ("duty2@nhs.example", 1))
        self.assertEqual(ct.form("GET", self.srv.base, page,
                                 cookie=ct.sign_in(self.srv.base, "ch-sw",
                                                   self.sw_pw))[0], 403)
        # the thresholds on the settings page: shown, and out of order
        # refused in words, nothing changed
        st, _, html = ct.form("GET", self.srv.base, "/admin/settings",
                              cookie=cookie)
        self.assertEqual(st, 200, html)
        self.assertIn('name="chase_reminder_hours"', html)
        before = self.call("GET", "/api/v1/authorities/%d/settings" %
                           self.aid, self.admin)[2]
        form = [("statutory_agencies", a) for a in
                before["statutory_agencies"]] + [
            ("discussion_target_working_days", "1"),
            ("enforce_chair_eligibility", "no"),
            ("chase_same_day_reminder_minutes", "30"),
            ("chase_same_day_escalation_minutes", "45")]
        st, _, html = ct.form("POST", self.srv.base, "/admin/settings", form,
                              cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422, html)
        self.assertIn("Ask the duty contact closer to the meeting", html)
        self.assertEqual(self.call("GET", "/api/v1/authorities/%d/settings"
                                   % self.aid, self.admin)[2], before)
        # the booking form tags the health contact on duty now
        cookie = ct.sign_in(self.srv.base, "ch-sw", self.sw_pw)
        st, _, html = ct.form("GET", self.srv.base, "/meetings/new",
                              cookie=cookie)
        self.assertEqual(st, 200, html)
        self.assertRegex(html, r'for="contact-%d">[^<]*<strong[^>]*'
                         r'data-on-duty>On duty' % self.contact["health"])
        self.assertNotRegex(html, r'for="contact-%d">[^<]*<strong' %
                            self.contact["police"])
        self.set_duty()		# back as it was

    def test_reminder_then_escalation_once_with_two_instances(self):
        self.set_duty()
        # Not due yet: a reminder 2 minutes before a meeting ~12 away.
        self.settings(chase_same_day_reminder_minutes=2,
                      chase_same_day_escalation_minutes=1)
        starts = datetime.datetime.now(UTC).replace(second=0, microsecond=0) \
            + datetime.timedelta(minutes=13)
        m = self.book(starts)
        mid = m["id"]
        self.rsvp(POLICE)
        self.assertEqual(ct.query(self.db, "SELECT partstat, accepted_at IS "
                                  "NOT NULL FROM participants WHERE "
                                  "discussion_id = %s AND agency = 'police'",
                                  (mid,))[0], ("ACCEPTED", True))
        time.sleep(6)			# a scan of each instance: nothing due
        self.assertEqual(self.chases(mid), [])

        # The reminder becomes due: one, to health's invitee only.
        self.settings(chase_same_day_reminder_minutes=60)
        got = self.wait_mails(r"^Reminder:", 1)
        time.sleep(SETTLE)
        got = self.mails(r"^Reminder:")
        self.assertEqual([e["rcpt_tos"] for e, _ in got], [[HEALTH]])
        self.assertEqual(self.chases(mid), [("health", "reminder", 1)])
        self.assertIn(m["case_ref"], decoded_text(got[0][1]))
        self.assertIn("/meetings/%d" % mid, decoded_text(got[0][1]))

        # The escalation: the duty inbox and the worker, once each.
        self.settings(chase_same_day_escalation_minutes=59)
        self.wait_mails(r"^Please send someone", 1)
        self.wait_mails(r"^Health has not accepted", 1)
        time.sleep(SETTLE)
        self.assertEqual([e["rcpt_tos"] for e, _ in
                          self.mails(r"^Please send someone")], [[DUTY]])
        self.assertEqual([e["rcpt_tos"] for e, _ in
                          self.mails(r"^Health has not accepted")],
                         [[WORKER]])
        self.assertEqual(len(self.mails(r"^Reminder:")), 1)
        self.assertEqual(self.chases(mid), [("health", "reminder", 1),
                                            ("health", "escalation", 2)])
        logs = [s.log_text() for s in self.servers]
        self.assertEqual(sum(t.count("reminder sent") for t in logs), 1)
        self.assertEqual(sum(t.count("escalation sent") for t in logs), 1)

        # The at-risk view, and a call logged by the worker.
        path = "/api/v1/meetings/%d/chases" % mid
        st, _, v = self.call("GET", path, self.sw)
        self.assertEqual(st, 200, v)
        self.assertEqual([a["agency"] for a in v["at_risk"]], ["health"])
        self.assertEqual([(c["agency"], c["kind"]) for c in v["chases"]],
                         [("health", "reminder"), ("health", "escalation")])
        self.assertEqual(v["calls"], [])
        hp = ct.query(self.db, "SELECT id FROM participants WHERE "
                      "discussion_id = %s AND agency = 'health'", (mid,))[0][0]
        call = {"agency": "health", "called_at": utc_min(
            datetime.datetime.now(UTC)), "spoke_to": "Duty nurse Jo",
            "outcome": "will_send_someone", "participant_id": hp}
        st, _, b = self.call("POST", "/api/v1/meetings/%d/calls" % mid,
                             self.sw, dict(call, outcome="maybe"))
        self.assertEqual((st, b["error"]["field"]), (422, "outcome"), b)
        st, _, b = self.call("POST", "/api/v1/meetings/%d/calls" % mid,
                             self.sw, dict(call, agency="fire"))
        self.assertEqual((st, b["error"]["field"]), (422, "agency"), b)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM "
                                  "chase_calls")[0][0], 0)
        st, _, b = self.call("POST", "/api/v1/meetings/%d/calls" % mid,
                             self.sw, call)
        self.assertEqual(st, 201, b)
        self.assertEqual([(c["spoke_to"], c["outcome"]) for c in b["calls"]],
                         [("Duty nurse Jo", "will_send_someone")])
        self.assertEqual(ct.query(self.db, "SELECT contacted_by_phone_at IS "
                                  "NOT NULL FROM participants WHERE id = %s",
                                  (hp,))[0][0], True)
        self.assertEqual(self.call("GET", path, self.mgr)[0], 200)
        self.assertEqual(self.call("GET", path, self.admin)[0], 403)
        self.web_at_risk(m)

        # Statistics and metrics.
        st, _, b = self.call("GET", "/api/v1/stats/acceptance", self.mgr)
        self.assertEqual(st, 200, b)
        rows = {(r["agency"], r["organisation"]): r for r in b["rows"]}
        h = rows[("health", "Chase NHS Trust")]
        self.assertEqual((h["invitations"], h["accepted"], h["reminders"],
                          h["escalations"]), (1, 0, 1, 1))
        self.assertEqual(rows[("police", "Chase Police")]["accepted"], 1)
        st, _, csv = self.call("GET", "/api/v1/stats/acceptance.csv",
                               self.mgr)
        self.assertEqual(st, 200)
        self.assertIn("agency,organisation,invitations", csv)
        self.rsvp(HEALTH)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            st, _, text = self.call("GET", "/metrics")
            if "convene_booking_to_all_accepted_seconds_count 1" in text:
                break
            time.sleep(1)
        self.assertIn('convene_chases_sent_total{kind="reminder"} 1', text)
        self.assertIn('convene_chases_sent_total{kind="escalation"} 1',
                      text)
        self.assertIn("convene_booking_to_all_accepted_seconds_count 1",
                      text)
        st, _, v = self.call("GET", path, self.sw)
        self.assertEqual(v["at_risk"], [])

        self.attendance_evidence()

        # No child data in any mail, outbox body, .eml file or log.
        texts = [decoded_text(raw) for _, raw in self.sink.messages()]
        self.assertGreaterEqual(len(texts), 6)
        for (msg,) in ct.query(self.db, "SELECT message FROM outbox WHERE "
                               "message IS NOT NULL"):
            texts.append(decoded_text(msg.encode()))
        for s in self.servers:
            for f in glob.glob(os.path.join(s.data_dir, "**", "*.eml"),
                               recursive=True):
                with open(f, "rb") as fh:
                    texts.append(decoded_text(fh.read()))
        texts += logs + [s.log_text() for s in self.servers]
        for t in texts:
            for s in SECRETS:
                self.assertNotIn(s, t)


if __name__ == "__main__":
    unittest.main()
