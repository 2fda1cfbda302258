"""Replies tied to their sender (issue #14, section 3).

The attack: the mail gateway used to trust the ATTENDEE line, so anyone
holding one invitation could accept for another agency and clear the "at
risk" warning. Now each invitation's ORGANIZER, and its email's From, is
the service mailbox plus a tag signed for that one invitee of that one
meeting, and a REPLY or COUNTER counts only for the invitee the address it
was delivered to (?recipient=, else its ORGANIZER) was issued to.

Real PostgreSQL, the real convene binary, a real SMTP server
(python3-aiosmtpd, smtp_sink.py) and three parsers of what was sent
(python3-icalendar, python3-vobject, Mozilla's ical.js):

 1. From equals ORGANIZER in every sent email, one signed address per
    recipient, the envelope sender the plain mailbox;
 2. health's invitation used to accept for the police: 202 unmatched,
    kept with a reason, the police answer and the at-risk flag unchanged;
    the police officer's own reply to their own address: applied;
 3. no tag, a bad MAC, an unknown participant, another meeting's tag,
    another domain: unmatched, nothing applied; COUNTER by the same rule;
 4. RSVP links carry their SEQUENCE: after a reschedule an old link is
    refused (410, "this invitation has changed"), changes nothing, and the
    new link works; a change that keeps the SEQUENCE keeps the link.

Run: CONVENE_BIN=build/convene /usr/bin/python3 \
     tests/integration/test_reply_binding.py -v
"""

import datetime
import email
import email.policy
import json
import os
import re
import sys
import time
import unittest

import icalendar
import vobject

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

FROM = "strategy-meetings@council.example"
WAIT = 40
SIGNED = re.compile(r"^strategy-meetings\+(" + ct.ORGANIZER_TAG +
                    r")@council\.example$")


def london_str(d, hh=10, mm=0):
    return "%04d-%02d-%02dT%02d:%02d" % (d.year, d.month, d.day, hh, mm)


def parse_mail(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def calendar_parts(msg):
    return [p.get_payload(decode=True) for p in msg.walk()
            if not p.is_multipart() and p.get_content_type() in
            ("text/calendar", "application/ics")]


icaljs = ct.icaljs


def mailto(v):
    v = str(v)
    return v[7:].lower() if v.lower().startswith("mailto:") else v.lower()


class ReplyBindingTest(unittest.TestCase):
    maxDiff = None
    _refs = iter(range(1, 1000))

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_reply_binding")
        ct.add_user(cls.db, "rb-admin", "admin")
        ct.add_user(cls.db, "rb-sw", "social_worker", team="Binding Team")
        ct.add_user(cls.db, "mail-gateway", "mail_gateway")
        cls.admin = ct.token(cls.db, "rb-admin")
        cls.sw = ct.token(cls.db, "rb-sw")
        cls.gateway = ct.token(cls.db, "mail-gateway")
        cls.sink = SmtpSink(ct.tmpdir("convene-sink-")).start()
        cls.srv = ct.Server(cls.db, env={
            "CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
            "CONVENE_SMTP_FROM": FROM})
        cls.contact, cls.email = {}, {}
        for key, name, addr, org in (
                ("social_care", "Sam Social", "sam.social@council.example",
                 "Northtown Children's"),
                ("police", "DC Pat Police", "pat.police@police.example",
                 "Northumbria Police"),
                ("health", "Nurse Hana Health", "hana@nhs.example",
                 "Northtown NHS Trust")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=cls.admin,
                                 json={"name": name, "email": addr,
                                       "agency": key, "organisation": org,
                                       "role": "Lead"})
            assert st == 201, body
            cls.contact[key] = body["id"]
            cls.email[key] = addr

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.sink.stop()

    # ---- helpers ------------------------------------------------------------

    def call(self, method, path, token=None, json=None, **kw):
        return ct.api(method, self.srv.base, path, token=token, json=json,
                      **kw)

    def book(self, days=14):
        day = datetime.date.today() + datetime.timedelta(days=days)
        st, _, m = self.call("POST", "/api/v1/meetings", self.sw, {
            "case_ref": "RB-%d" % next(self._refs),
            "children": [{"name": "Child Example",
                          "date_of_birth": "2019-03-14"}],
            "kind": "meeting", "reason": "Concern reported by school",
            "concern_received_at": london_str(datetime.date.today(), 9),
            "starts_at": london_str(day), "duration_minutes": 60,
            "format": "in_person", "location": "Room 2, Civic Centre",
            "chair": "Alex Chair",
            "participants": [{"contact_id": self.contact[a]} for a in
                             ("social_care", "police", "health")]})
        self.assertEqual(st, 201, m)
        return m

    def sent(self, uid, n):
        """The n messages of meeting uid the SMTP server has received:
        [(envelope, parsed message, [calendar part bytes])]."""
        deadline = time.monotonic() + WAIT
        got = []
        while time.monotonic() < deadline:
            got = []
            for env, raw in self.sink.messages():
                msg = parse_mail(raw)
                cals = calendar_parts(msg)
                if cals and ("UID:" + uid).encode() in cals[0].replace(
                        b"\r\n ", b""):
                    got.append((env, msg, cals))
            if len(got) >= n:
                return got
            time.sleep(0.2)
        self.fail("%d of %d messages for %s" % (len(got), n, uid))

    def to(self, got, key, seq=0):
        """The email to key at SEQUENCE seq (the latest such to arrive)."""
        mine = [g for g in got
                if g[0]["rcpt_tos"][0].lower() == self.email[key] and
                int(icalendar.Calendar.from_ical(g[2][0]).walk("VEVENT")[0]
                    ["SEQUENCE"]) == seq]
        self.assertTrue(mine, key)
        return mine[-1]

    def organizer(self, got, key):
        """The ORGANIZER of the (latest) email sent to key, as sent."""
        _, msg, cals = self.to(got, key)
        ev = icalendar.Calendar.from_ical(cals[0]).walk("VEVENT")[0]
        return mailto(ev["ORGANIZER"])

    def reply_body(self, uid, key, partstat="ACCEPTED", organizer=None,
                   method="REPLY", seq=0):
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0",
                 "PRODID:Microsoft Exchange Server 2010",
                 "METHOD:" + method, "BEGIN:VEVENT", "UID:" + uid,
                 "DTSTAMP:20261201T100000Z",
                 "DTSTART:20300101T140000Z", "DTEND:20300101T150000Z",
                 "ATTENDEE;PARTSTAT=%s:mailto:%s" % (partstat,
                                                     self.email[key])]
        if organizer is not None:
            lines.append("ORGANIZER:mailto:" + organizer)
        if seq is not None:
            lines.append("SEQUENCE:%d" % seq)
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return "\r\n".join(lines) + "\r\n"

    def post(self, body, recipient=None):
        return self.call("POST", ct.itip_path(recipient), self.gateway,
                         raw=body, headers={"Content-Type": "text/calendar"})

    def state(self, mid):
        """(partstat by agency, at-risk agencies)."""
        st, _, inv = self.call("GET", "/api/v1/meetings/%d/invites" % mid,
                               self.sw)
        self.assertEqual(st, 200, inv)
        return ({p["agency"]: p["partstat"] for p in inv["participants"]
                 if not p["removed"]}, inv["at_risk_agencies"])

    def inbox_reason(self, mid, status="unmatched"):
        return [r[0] for r in ct.query(
            self.db, "SELECT reason FROM itip_inbox WHERE discussion_id = %s "
            "AND status = %s ORDER BY id", (mid, status))]

    def assert_unmatched(self, mid, before, st, r, why):
        self.assertEqual((st, r["status"]), (202, "unmatched"), r)
        self.assertEqual(r.get("meeting_id"), mid, r)
        self.assertIn(why, r["message"])
        self.assertEqual(self.state(mid), before)
        self.assertIn(r["message"], self.inbox_reason(mid))

    # ---- 1. From is the ORGANIZER, one per recipient -------------------------

    def test_1_from_equals_organizer_per_recipient(self):
        m = self.book()
        got = self.sent(m["uid"], 3)
        seen = set()
        for env, msg, cals in got:
            frm = msg["From"].addresses[0].addr_spec.lower()
            self.assertRegex(frm, SIGNED)
            self.assertLessEqual(len(frm.split("@")[0]), 64)
            # The envelope sender stays the plain mailbox (bounces).
            self.assertEqual(env["mail_from"], FROM)
            self.assertEqual(len(cals), 2)	# the alternative + invite.ics
            for raw in cals:
                ev = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
                self.assertEqual(mailto(ev["ORGANIZER"]), frm)
                self.assertEqual(ev["ORGANIZER"].params.get("CN"),
                                 "Alex Chair")
                vev = [c for c in vobject.readOne(raw.decode()).getChildren()
                       if c.name == "VEVENT"][0]
                self.assertEqual(mailto(vev.organizer.value), frm)
                self.assertEqual(mailto(icaljs(raw)["events"][0][
                    "organizer"]), frm)
            # The outbox keeps the same message (what the tests' helper
            # reads).
            self.assertEqual(ct.organizer_address(
                self.db, m["uid"], env["rcpt_tos"][0]), frm)
            seen.add(frm)
        self.assertEqual(len(seen), 3, seen)

    # ---- 2. the attack -------------------------------------------------------

    def test_2_other_invitation_cannot_answer_for_the_police(self):
        m = self.book()
        uid, mid = m["uid"], m["id"]
        got = self.sent(uid, 3)
        to_health = self.organizer(got, "health")
        to_police = self.organizer(got, "police")
        before = self.state(mid)
        self.assertEqual(before[0]["police"], "NEEDS-ACTION")
        self.assertIn("police", before[1])
        why = "ATTENDEE is not the invitee"
        # Exchange style, delivered to health's address, ATTENDEE police.
        st, _, r = self.post(self.reply_body(uid, "police"), to_health)
        self.assert_unmatched(mid, before, st, r, why)
        # Gmail style: health's ORGANIZER in the reply, no recipient.
        st, _, r = self.post(self.reply_body(uid, "police",
                                             organizer=to_health))
        self.assert_unmatched(mid, before, st, r, why)
        # The delivery address wins over an ORGANIZER the sender wrote.
        st, _, r = self.post(self.reply_body(uid, "police",
                                             organizer=to_police), to_health)
        self.assert_unmatched(mid, before, st, r, why)
        # An admin posting it gets no further than the gateway.
        st, _, r = self.call("POST", ct.itip_path(to_health), self.admin,
                             raw=self.reply_body(uid, "police"),
                             headers={"Content-Type": "text/calendar"})
        self.assert_unmatched(mid, before, st, r, why)
        # A counter-proposal by the same rule: nothing recorded.
        st, _, r = self.post(self.reply_body(uid, "police", "TENTATIVE",
                                             method="COUNTER"), to_health)
        self.assert_unmatched(mid, before, st, r, why)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM "
                                  "counter_proposals WHERE discussion_id = "
                                  "%s", (mid,))[0][0], 0)
        # The police officer's own reply to their own address: applied,
        # in either style, and the police are no longer at risk.
        st, _, r = self.post(self.reply_body(uid, "police"), to_police)
        self.assertEqual((st, r["status"]), (200, "applied"), r)
        after = self.state(mid)
        self.assertEqual(after[0]["police"], "ACCEPTED")
        self.assertNotIn("police", after[1])
        self.assertEqual(after[0]["health"], "NEEDS-ACTION")
        st, _, r = self.post(self.reply_body(uid, "health", "TENTATIVE",
                                             organizer=to_health))
        self.assertEqual((st, r["status"]), (200, "applied"), r)
        self.assertEqual(self.state(mid)[0]["health"], "TENTATIVE")
        # A COUNTER from the right address is recorded.
        st, _, r = self.post(self.reply_body(uid, "police", "TENTATIVE",
                                             method="COUNTER"), to_police)
        self.assertEqual((st, r["status"]), (202, "counter"), r)

    # ---- 3. addresses Convene did not issue ---------------------------------

    def test_3_no_bad_or_foreign_tag_applies_nothing(self):
        m, other = self.book(), self.book(days=15)
        uid, mid = m["uid"], m["id"]
        got = self.sent(uid, 3)
        to_police = self.organizer(got, "police")
        tag = SIGNED.match(to_police).group(1)
        pid, mac = tag.split("-")
        flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
        other_police = self.organizer(self.sent(other["uid"], 3), "police")
        before = self.state(mid)
        bad_sig = "no valid signature"
        no_tag = "not sent to an organiser address this service issued"
        for to, why in (
                (FROM, no_tag),				# the bare mailbox
                (None, no_tag),				# nothing at all
                ("strategy-meetings+@council.example", no_tag),
                ("strategy-meetings+%s@elsewhere.example" % tag, no_tag),
                ("strategy-meetings+%s-%s@council.example" % (pid, flipped),
                 bad_sig),				# bad MAC
                ("strategy-meetings+%s-%s@council.example" % (
                    "9" * 11, mac), bad_sig),		# unknown participant
                ("strategy-meetings+%d-%s@council.example" % (
                    int(pid) + 1, mac), bad_sig),	# another participant
                (other_police, "another meeting")):	# another meeting
            st, _, r = self.post(self.reply_body(uid, "police"), to)
            self.assert_unmatched(mid, before, st, r, why)
            # Written as the ORGANIZER instead: the same.
            if to is not None:
                st, _, r = self.post(self.reply_body(uid, "police",
                                                     organizer=to))
                self.assert_unmatched(mid, before, st, r, why)
        # Letter case does not matter (some servers fold addresses).
        st, _, r = self.post(self.reply_body(uid, "police"),
                             to_police.upper())
        self.assertEqual((st, r["status"]), (200, "applied"), r)
        # A reply without SEQUENCE is still SEQUENCE 0: applied here (never
        # revised); and the other meeting's own tag works there.
        st, _, r = self.post(self.reply_body(other["uid"], "police",
                                             "DECLINED", seq=None),
                             other_police)
        self.assertEqual((st, r["status"]), (200, "applied"), r)
        self.assertEqual(self.state(mid)[0]["police"], "ACCEPTED")

    # ---- 4. RSVP links and a new SEQUENCE -------------------------------------

    def links(self, got, key, seq=0):
        _, msg, _ = self.to(got, key, seq)
        text = [p for p in msg.walk()
                if p.get_content_type() == "text/plain"][0].get_content()
        return {k: v[len(self.srv.base):] for k, v in
                re.findall(r"(?m)^\s+(\w+):\s+(\S+)$", text)}

    def test_4_rsvp_link_from_before_a_reschedule_is_refused(self):
        m = self.book()
        uid, mid = m["uid"], m["id"]
        old = self.links(self.sent(uid, 3), "health")
        # A change that keeps the SEQUENCE (the place) keeps the link.
        st, _, b = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                             {"location": "Room 3, Civic Centre"})
        self.assertEqual((st, b["sequence"]), (200, 0), b)
        st, _, page = self.call("POST", old["Tentative"])
        self.assertEqual(st, 200, page)
        self.assertEqual(self.state(mid)[0]["health"], "TENTATIVE")
        # A new time: SEQUENCE 1, every answer reset, new links sent.
        day = datetime.date.today() + datetime.timedelta(days=16)
        st, _, b = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                             {"starts_at": london_str(day, 14)})
        self.assertEqual((st, b["sequence"]), (200, 1), b)
        new = self.links(self.sent(uid, 9), "health", seq=1)
        self.assertNotEqual(new["Accept"], old["Accept"])
        before = self.state(mid)
        self.assertEqual(before[0]["health"], "NEEDS-ACTION")
        for method in ("GET", "POST"):
            st, _, page = self.call(method, old["Accept"])
            self.assertEqual(st, 410, page)
            self.assertIn("his invitation has changed", page)
            self.assertIn("answer the new one", page)
            self.assertEqual(self.state(mid), before)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM audit_log "
                                  "WHERE action = 'participant.reply' AND "
                                  "entity_id = %s", (mid,))[0][0], 1)
        st, _, page = self.call("POST", new["Accept"])
        self.assertEqual(st, 200, page)
        self.assertIn("accepted", page)
        self.assertEqual(self.state(mid)[0]["health"], "ACCEPTED")
        self.assertEqual(ct.query(self.db, "SELECT reply_sequence FROM "
                                  "participants WHERE discussion_id = %s "
                                  "AND email = %s",
                                  (mid, self.email["health"]))[0][0], 1)


if __name__ == "__main__":
    unittest.main()
