"""Invites end to end: real PostgreSQL, the real convene binary, a real SMTP
server (python3-aiosmtpd, tests/integration/smtp_sink.py) and an independent
iCalendar parser (Debian's python3-icalendar).

Covers: booking -> one iMIP message per invitee with the MIME structure of
docs/invites.md; the invite itself (METHOD, UID, SEQUENCE, DTSTART instant,
attendees, folding at 75 octets); reschedule -> "Updated:" REQUEST with
SEQUENCE+1; removing a participant -> CANCEL to them alone; cancelling ->
CANCEL to all; 10:00 London on the clock-change Sundays; SMTP down while
booking -> 201 now, delivered once when SMTP is back; two `convene serve`
instances on one database -> each message delivered exactly once; .eml
files when no SMTP is configured; Exchange-style (no ORGANIZER) and
Gmail-style REPLYs, stale, unmatched and malformed replies; RSVP links
(GET shows a button, POST records); the at-risk flag; calendar feeds with
ETag/304 and revocation; the staff .ics download and its visibility; and
that seeded children's names and dates of birth (also typed into the
free-text reason) appear in no email, .eml file, invite, outbox row or
server log line, the partners' sign-in code mail included.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_invites.py -v
"""

import contextlib
import datetime
import email
import email.policy
import itertools
import os
import re
import sys
import time
import unittest

import icalendar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

UTC = datetime.timezone.utc
FROM = "strategy-meetings@council.example"
CHILDREN = [("Tallulah Quarrington", "2019-03-14"),
            ("Bartholomew Quarrington", "2021-11-02")]
SECRETS = [n for n, _ in CHILDREN] + [d for _, d in CHILDREN] + \
    ["Quarrington", "14/03/2019", "20190314"]
WAIT = 40	# seconds for the worker to deliver (it polls every second)


def last_sunday(year, month):
    d = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return d - datetime.timedelta(days=(d.weekday() + 1) % 7)


def next_change(month):
    """The next last-Sunday-of-month (March/October) at least a week away."""
    today = datetime.date.today()
    y = today.year
    while last_sunday(y, month) < today + datetime.timedelta(days=7):
        y += 1
    return last_sunday(y, month)


def london_str(d, hh=10, mm=0):
    return "%04d-%02d-%02dT%02d:%02d" % (d.year, d.month, d.day, hh, mm)


def parse_mail(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def parts(msg):
    """{content type: [part, ...]} of every leaf part."""
    out = {}
    for p in msg.walk():
        if not p.is_multipart():
            out.setdefault(p.get_content_type(), []).append(p)
    return out


def ics_of(msg):
    """(raw bytes of the text/calendar alternative, parsed Calendar)."""
    cal = parts(msg)["text/calendar"][0]
    raw = cal.get_payload(decode=True)
    return raw, icalendar.Calendar.from_ical(raw)


def event(cal):
    evs = [c for c in cal.walk("VEVENT")]
    assert len(evs) == 1, evs
    return evs[0]


def attendees(ev):
    a = ev.get("ATTENDEE")
    if a is None:
        return []
    return a if isinstance(a, list) else [a]


def decoded_text(raw):
    """Everything a person or program could read in a message: the raw
    bytes plus every part decoded."""
    out = [raw.decode("utf-8", "replace")]
    msg = parse_mail(raw)
    out.append(str(msg.get("Subject", "")))
    out.append(str(msg.get("To", "")))
    for p in msg.walk():
        if not p.is_multipart():
            out.append(p.get_payload(decode=True).decode("utf-8", "replace"))
    return "\n".join(out)


class InvitesTest(unittest.TestCase):
    maxDiff = None
    _refs = itertools.count(1)

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_invites")
        ct.add_user(cls.db, "inv-admin", "admin")
        ct.add_user(cls.db, "inv-sw", "social_worker", team="Invite Team")
        ct.add_user(cls.db, "inv-sw-b", "social_worker", team="Other Team")
        ct.add_user(cls.db, "inv-mgr", "manager", team="Invite Team")
        cls.admin = ct.token(cls.db, "inv-admin")
        cls.sw = ct.token(cls.db, "inv-sw")
        cls.sw_b = ct.token(cls.db, "inv-sw-b")
        cls.mgr = ct.token(cls.db, "inv-mgr")
        cls.sink = SmtpSink(ct.tmpdir("convene-sink-")).start()
        cls.env = {"CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
                   "CONVENE_SMTP_FROM": FROM}
        cls.srv = ct.Server(cls.db, env=cls.env)
        cls.servers = [cls.srv]
        cls.contact = {}
        cls.email = {}
        for key, agency, name, addr, org in (
                ("social_care", "social_care", "Sam Social",
                 "sam.social@council.example", "Northtown Children's"),
                ("police", "police", "PC Pat O'Police",
                 "Pat.Police@Police.example", "Northumbria Police"),
                ("health", "health", "Nurse Hana Hélène Health",
                 "hana@nhs.example", "Northtown NHS Trust"),
                ("education", "education", "Ed Teacher",
                 "ed@school.example", "Northtown Primary")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=cls.admin,
                                 json={"name": name, "email": addr,
                                       "agency": agency, "organisation": org,
                                       "role": "Lead"})
            assert st == 201, body
            cls.contact[key] = body["id"]
            cls.email[key] = addr.lower()
        cls.org_police = ct.query(cls.db, "SELECT organisation_id FROM "
                                  "contacts WHERE id = %s",
                                  (cls.contact["police"],))[0][0]

    @classmethod
    def tearDownClass(cls):
        try:
            for s in cls.servers:
                s.stop()	# asserts a clean exit: workers joined, no leaks
        finally:
            cls.sink.stop()

    # ---- helpers ------------------------------------------------------------

    def call(self, method, path, token=None, json=None, srv=None, **kw):
        return ct.api(method, (srv or self.srv).base, path, token=token,
                      json=json, **kw)

    def ref(self):
        return "INV-%d" % next(self._refs)

    def book(self, agencies=("social_care", "police", "health", "education"),
             starts=None, token=None, srv=None, **over):
        if starts is None:
            d = datetime.date.today() + datetime.timedelta(days=14)
            starts = london_str(d)
        b = {"case_ref": self.ref(),
             "children": [{"name": n, "date_of_birth": d}
                          for n, d in CHILDREN],
             "kind": "meeting",
             "reason": "School saw bruises on %s (DOB %s); mother says "
                       "Quarrington family moved" % CHILDREN[0],
             "concern_received_at": london_str(datetime.date.today(), 9, 0),
             "starts_at": starts, "duration_minutes": 60,
             "format": "in_person", "location": "Room 2, Civic Centre",
             "chair": "Alex Chair",
             "participants": [{"contact_id": self.contact[a]}
                              for a in agencies]}
        b.update(over)
        st, _, m = self.call("POST", "/api/v1/meetings", token or self.sw, b,
                             srv=srv)
        self.assertEqual(st, 201, m)
        return m

    def msgs_for(self, uid):
        """[(envelope, raw, parsed message, ics raw, calendar)] whose
        invite has this UID."""
        out = []
        for env, raw in self.sink.messages():
            msg = parse_mail(raw)
            try:
                iraw, cal = ics_of(msg)
            except (KeyError, ValueError):
                continue
            if str(event(cal)["UID"]) == uid:
                out.append((env, raw, msg, iraw, cal))
        return out

    def wait_for(self, uid, n, settle=1.5, timeout=WAIT):
        """Wait until exactly n messages for uid arrived (and no more come
        in a short settle time); returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.msgs_for(uid)
            if len(got) >= n:
                time.sleep(settle)
                got = self.msgs_for(uid)
                self.assertEqual(len(got), n, [g[0] for g in got])
                return got
            time.sleep(0.2)
        self.fail("%d of %d messages for %s arrived in %ds; deliveries: %r"
                  % (len(self.msgs_for(uid)), n, uid, timeout,
                     ct.query(self.db, "SELECT id, recipient, status, "
                              "attempts, last_error FROM outbox ORDER BY "
                              "id DESC LIMIT 10")))

    def pid(self, m, key):
        for p in m["participants"]:
            if p["contact_id"] == self.contact[key]:
                return p["id"]
        self.fail("no participant for %s" % key)

    def check_message(self, env, raw, msg, iraw, cal, method, seq,
                      subject_prefix, case_ref):
        """The MIME structure and invite rules of docs/invites.md."""
        # One recipient per message, envelope and header agreeing.
        self.assertEqual(len(env["rcpt_tos"]), 1)
        self.assertEqual(env["mail_from"], FROM)
        to = msg["To"].addresses
        self.assertEqual(len(to), 1)
        self.assertEqual(to[0].addr_spec.lower(), env["rcpt_tos"][0].lower())
        # From is the ORGANIZER (RFC 6047 3), the mailbox signed for this
        # recipient (issue #14): strategy-meetings+<tag>@council.example.
        org = msg["From"].addresses[0].addr_spec
        self.assertRegex(org, r"^strategy-meetings\+" + ct.ORGANIZER_TAG +
                         r"@council\.example$")
        self.assertTrue(str(msg["Subject"]).startswith(
            subject_prefix + case_ref + " on "), msg["Subject"])
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f]{32}\.convene@"
                         r"council\.example>$")
        self.assertTrue(msg["Date"])
        # 7-bit: every byte ASCII, CRLF line ends.
        self.assertTrue(all(b < 128 for b in raw))
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))
        # multipart/mixed -> multipart/alternative {plain, html, calendar}
        # + invite.ics
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        top = msg.get_payload()
        self.assertEqual(len(top), 2)
        alt, att = top
        self.assertEqual(alt.get_content_type(), "multipart/alternative")
        self.assertEqual([p.get_content_type() for p in alt.get_payload()],
                         ["text/plain", "text/html", "text/calendar"])
        calpart = alt.get_payload()[2]
        self.assertEqual(calpart.get_param("method"), method)
        self.assertEqual(calpart.get_param("charset").upper(), "UTF-8")
        for p in alt.get_payload():
            self.assertEqual(p["Content-Transfer-Encoding"], "base64")
        self.assertIn(att.get_content_type(),
                      ("application/ics", "text/calendar"))
        self.assertEqual(att.get_filename(), "invite.ics")
        self.assertEqual(att.get_payload(decode=True), iraw)
        # The invite: METHOD inside = MIME method, folded at 75 octets.
        self.assertEqual(str(cal["METHOD"]), method)
        self.assertEqual(str(cal["VERSION"]), "2.0")
        self.assertTrue(str(cal["PRODID"]))
        for line in iraw.split(b"\r\n"):
            self.assertLessEqual(len(line), 75, line)
        ev = event(cal)
        self.assertEqual(int(ev["SEQUENCE"]), seq)
        self.assertEqual(str(ev["CLASS"]), "CONFIDENTIAL")
        self.assertEqual(str(ev["ORGANIZER"]).lower(), "mailto:" + org)
        self.assertEqual(ev["ORGANIZER"].params.get("CN"), "Alex Chair")
        self.assertEqual(ev["DTSTAMP"].dt.utcoffset(),
                         datetime.timedelta(0))
        self.assertEqual(ev["DTSTART"].params.get("TZID"), "Europe/London")
        self.assertIn(case_ref, str(ev["SUMMARY"]))
        for a in attendees(ev):
            self.assertEqual(a.params.get("CUTYPE"), "INDIVIDUAL")
            # Nobody answers a CANCEL (issue 15): no PARTSTAT, no RSVP.
            if method == "CANCEL":
                self.assertIsNone(a.params.get("PARTSTAT"))
                self.assertIsNone(a.params.get("RSVP"))
                continue
            self.assertEqual(a.params.get("PARTSTAT"), "NEEDS-ACTION")
            self.assertEqual(a.params.get("RSVP"), "TRUE")
            self.assertIn(a.params.get("ROLE"),
                          ("REQ-PARTICIPANT", "OPT-PARTICIPANT", "CHAIR"))
        # libical re-reads it (through the server's own parser in
        # test_ics.c); here: the independent parser found one VTIMEZONE in
        # the two-rule form.
        tzs = [c for c in cal.walk("VTIMEZONE")]
        self.assertEqual(len(tzs), 1)
        self.assertEqual(str(tzs[0]["TZID"]), "Europe/London")
        self.assertNotIn(b"RDATE", iraw)
        return ev

    def recipients(self, got):
        return sorted(g[0]["rcpt_tos"][0].lower() for g in got)

    def reply(self, uid, addr, partstat, seq=0, organizer=True,
              token=None, ctype="text/calendar; charset=utf-8", to=None):
        """A REPLY from addr sent to the organiser address Convene issued
        to addr (or to to): Gmail style with that ORGANIZER, or Exchange
        style (organizer=False) without one, the gateway passing the
        address as ?recipient=."""
        if to is None:
            to = ct.organizer_address(self.db, uid, addr) or FROM
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0",
                 "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
                 "METHOD:REPLY", "BEGIN:VEVENT",
                 "DTSTART:20300101T100000Z", "DTEND:20300101T110000Z",
                 "DTSTAMP:20261128T120000Z"]
        if organizer:
            lines.append("ORGANIZER;CN=Alex Chair:mailto:" + to)
        lines += ["UID:" + uid,
                  "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
                  "PARTSTAT=%s;CN=x:mailto:%s" % (partstat, addr),
                  "SEQUENCE:%d" % seq, "STATUS:CONFIRMED",
                  "SUMMARY:Strategy meeting", "END:VEVENT", "END:VCALENDAR"]
        return self.call("POST", ct.itip_path(None if organizer else to),
                         token or self.admin,
                         raw="\r\n".join(lines) + "\r\n",
                         headers={"Content-Type": ctype})

    def invites(self, mid, token=None):
        st, _, body = self.call("GET", "/api/v1/meetings/%d/invites" % mid,
                                token or self.sw)
        self.assertEqual(st, 200, body)
        return body

    def partstat(self, mid, key):
        for p in self.invites(mid)["participants"]:
            if p["email"].lower() == self.email[key]:
                return p["partstat"]
        self.fail("no %s in meeting %d" % (key, mid))

    # ---- booking, updates, cancellation ------------------------------------

    def test_booking_update_remove_cancel(self):
        m = self.book()
        uid, ref = m["uid"], m["case_ref"]
        self.assertEqual(m["sequence"], 0)
        got = self.wait_for(uid, 4)
        self.assertEqual(self.recipients(got), sorted(self.email.values()))
        ids = set()
        want_start = datetime.datetime.fromisoformat(m["starts_at"])
        for g in got:
            ev = self.check_message(*g, method="REQUEST", seq=0,
                                    subject_prefix="Strategy meeting: ",
                                    case_ref=ref)
            ids.add(g[2]["Message-ID"])
            self.assertEqual(ev["DTSTART"].dt.astimezone(UTC),
                             want_start.astimezone(UTC))
            self.assertEqual(ev["DTEND"].dt - ev["DTSTART"].dt,
                             datetime.timedelta(minutes=60))
            self.assertEqual(str(ev["STATUS"]), "CONFIRMED")
            self.assertEqual(sorted(str(a).lower()[7:]
                                    for a in attendees(ev)),
                             sorted(self.email.values()))
            roles = {str(a).lower()[7:]: a.params["ROLE"]
                     for a in attendees(ev)}
            self.assertEqual(roles[self.email["education"]],
                             "OPT-PARTICIPANT")
            self.assertEqual(roles[self.email["health"]], "REQ-PARTICIPANT")
            # Personal answer links in the text and HTML bodies.
            text = parts(g[2])["text/plain"][0].get_content()
            self.assertRegex(text, r"/rsvp/[A-Za-z0-9_-]{40,}/accept")
        self.assertEqual(len(ids), 4)
        st, _, d = self.call("GET", "/api/v1/meetings/%d/deliveries" %
                             m["id"], self.sw)
        self.assertEqual(st, 200, d)
        self.assertEqual(d["counts"], {"queued": 0, "sending": 0, "sent": 4,
                                       "failed": 0})

        # Reschedule: REQUEST, same UID, SEQUENCE 1, "Updated:", to all.
        new_start = datetime.date.today() + datetime.timedelta(days=15)
        st, _, m2 = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                              self.sw, {"starts_at": london_str(new_start,
                                                                14, 30)})
        self.assertEqual(st, 200, m2)
        self.assertEqual(m2["sequence"], 1)
        got = [g for g in self.wait_for(uid, 8)
               if int(event(g[4])["SEQUENCE"]) == 1]
        self.assertEqual(self.recipients(got), sorted(self.email.values()))
        for g in got:
            ev = self.check_message(*g, method="REQUEST", seq=1,
                                    subject_prefix="Updated: Strategy "
                                    "meeting: ", case_ref=ref)
            self.assertEqual(ev["DTSTART"].dt.astimezone(UTC),
                             datetime.datetime.fromisoformat(
                                 m2["starts_at"]).astimezone(UTC))
            self.assertEqual(ev["DTSTART"].dt.hour, 14)
            self.assertEqual(ev["DTSTART"].dt.minute, 30)

        # Remove education: REQUEST to the other three, CANCEL to
        # education alone, naming only them; both at the same SEQUENCE 1,
        # since the time did not change (issue 15: only a new time, length
        # or status moves SEQUENCE).
        st, _, m3 = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                              self.sw, {"remove_participants":
                                        [self.pid(m, "education")]})
        self.assertEqual(st, 200, m3)
        self.assertEqual(m3["sequence"], 1)
        got = self.wait_for(uid, 12)[8:]
        self.assertEqual([int(event(g[4])["SEQUENCE"]) for g in got],
                         [1, 1, 1, 1])
        req = [g for g in got if str(g[4]["METHOD"]) == "REQUEST"]
        can = [g for g in got if str(g[4]["METHOD"]) == "CANCEL"]
        self.assertEqual(self.recipients(req), sorted(
            self.email[k] for k in ("social_care", "police", "health")))
        self.assertEqual(self.recipients(can), [self.email["education"]])
        ev = self.check_message(*can[0], method="CANCEL", seq=1,
                                subject_prefix="Cancelled: Strategy "
                                "meeting: ", case_ref=ref)
        self.assertEqual([str(a).lower() for a in attendees(ev)],
                         ["mailto:" + self.email["education"]])
        # RFC 5546 3.2.5: uninviting one person leaves STATUS out.
        self.assertNotIn("STATUS", ev)
        for g in req:
            ev = self.check_message(*g, method="REQUEST", seq=1,
                                    subject_prefix="Updated: Strategy "
                                    "meeting: ", case_ref=ref)
            self.assertNotIn("mailto:" + self.email["education"],
                             [str(a).lower() for a in attendees(ev)])

        # Cancel: CANCEL, STATUS:CANCELLED, SEQUENCE 2, to the three left.
        st, _, m4 = self.call("POST", "/api/v1/meetings/%d/cancel" % m["id"],
                              self.sw, {"reason": "Family moved away"})
        self.assertEqual(st, 200, m4)
        got = [g for g in self.wait_for(uid, 15)
               if int(event(g[4])["SEQUENCE"]) == 2]
        self.assertEqual(self.recipients(got), sorted(
            self.email[k] for k in ("social_care", "police", "health")))
        for g in got:
            ev = self.check_message(*g, method="CANCEL", seq=2,
                                    subject_prefix="Cancelled: Strategy "
                                    "meeting: ", case_ref=ref)
            self.assertEqual(str(ev["STATUS"]), "CANCELLED")
            self.assertEqual(len(attendees(ev)), 3)
        # Nobody got a duplicate: every Message-ID once.
        mids = [g[2]["Message-ID"] for g in self.msgs_for(uid)]
        self.assertEqual(len(mids), len(set(mids)))

    def test_more_invitees_than_one_insert_holds(self):
        """Outbox rows go in statements of up to OUTBOX_ROWS_PER_INSERT (6,
        include/outbox.h): nine invitees are two statements, and every
        one gets their own message, queued in participant order."""
        extra = [{"name": "Extra Person %d" % i,
                  "email": "extra%d@partner.example" % i,
                  "agency": "education", "organisation": "Northtown Academy",
                  "role": "Teacher"} for i in range(5)]
        m = self.book(participants=[{"contact_id": self.contact[a]} for a in
                                    ("social_care", "police", "health",
                                     "education")] + extra)
        want = [p["email"].lower() for p in m["participants"]]
        self.assertEqual(len(want), 9)
        rows = ct.query(self.db, "SELECT o.recipient, o.participant_id, "
                        "p.email, o.message_id, o.kind, o.method, "
                        "o.sequence FROM outbox o JOIN participants p ON "
                        "p.id = o.participant_id WHERE o.discussion_id = %s "
                        "ORDER BY o.id", (m["id"],))
        self.assertEqual([r[0].lower() for r in rows], want)
        self.assertEqual([r[1] for r in rows],
                         [p["id"] for p in m["participants"]])
        self.assertEqual([r[2].lower() for r in rows], want)
        self.assertEqual(len({r[3] for r in rows}), 9)
        self.assertEqual({(r[4], r[5], r[6]) for r in rows},
                         {("new", "REQUEST", 0)})
        got = self.wait_for(m["uid"], 9)
        self.assertEqual(self.recipients(got), sorted(want))

    def test_clock_changes(self):
        """10:00 London on the last Sundays of March and October."""
        for month, utc_hour in ((3, 9), (10, 10)):
            d = next_change(month)
            m = self.book(agencies=("police",), starts=london_str(d),
                          missing_agency_reason="Testing the clock change")
            got = self.wait_for(m["uid"], 1)
            ev = event(got[0][4])
            self.assertEqual(ev["DTSTART"].dt.hour, 10)
            self.assertEqual(ev["DTSTART"].dt.astimezone(UTC),
                             datetime.datetime(d.year, d.month, d.day,
                                               utc_hour, tzinfo=UTC))
            self.assertIn(b"DTSTART;TZID=Europe/London:%04d%02d%02dT100000"
                          % (d.year, d.month, d.day), got[0][3])

    def test_past_meeting_sends_nothing(self):
        d = datetime.date.today() - datetime.timedelta(days=3)
        b = {"concern_received_at": london_str(d, 8, 0)}
        m = self.book(starts=london_str(d), **b)
        time.sleep(2.5)
        self.assertEqual(self.msgs_for(m["uid"]), [])
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM outbox "
                                  "WHERE discussion_id = %s",
                                  (m["id"],))[0][0], 0)

    # ---- delivery ------------------------------------------------------------

    def test_smtp_down_then_back(self):
        self.sink.stop()
        try:
            m = self.book()
            # The booking is stored, its messages wait in the outbox.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                rows = ct.query(self.db, "SELECT count(*) FILTER (WHERE "
                                "attempts > 0 AND last_error IS NOT NULL) "
                                "FROM outbox WHERE discussion_id = %s",
                                (m["id"],))
                if rows[0][0] > 0:
                    break
                time.sleep(0.2)
            st, _, d = self.call("GET", "/api/v1/meetings/%d/deliveries" %
                                 m["id"], self.sw)
            self.assertEqual(d["counts"]["sent"], 0, d)
            self.assertEqual(len(d["messages"]), 4)
            errors = [x["last_error"] for x in d["messages"]
                      if x["last_error"]]
            self.assertTrue(errors, d)
            for e in errors:
                self.assertTrue(e.startswith("smtp: curl "), e)
        finally:
            self.sink.start()	# the same port
        got = self.wait_for(m["uid"], 4, settle=3)
        self.assertEqual(self.recipients(got), sorted(self.email.values()))
        st, _, d = self.call("GET", "/api/v1/meetings/%d/deliveries" %
                             m["id"], self.sw)
        self.assertEqual(d["counts"]["sent"], 4, d)
        for x in d["messages"]:
            self.assertIsNone(x["last_error"])
            self.assertGreaterEqual(x["attempts"], 2)

    def test_two_instances_deliver_once(self):
        other = ct.Server(self.db, env=self.env)
        self.servers.append(other)
        uids = []
        for i in range(6):
            m = self.book(srv=other if i % 2 else self.srv)
            uids.append(m["uid"])
        for uid in uids:
            got = self.wait_for(uid, 4, settle=0.5)
            self.assertEqual(self.recipients(got), sorted(self.email.values()))
        time.sleep(2)
        for uid in uids:
            got = self.msgs_for(uid)
            self.assertEqual(len(got), 4)
            self.assertEqual(len({g[2]["Message-ID"] for g in got}), 4)
        # Both instances took part (each logs what it delivered).
        ids = [int(x) for x in re.findall(r'message (\d+) delivered',
                                          other.log_text())]
        ids += [int(x) for x in re.findall(r'message (\d+) delivered',
                                           self.srv.log_text())]
        self.assertEqual(len(ids), len(set(ids)), "a message was sent twice")
        other.stop()
        self.servers.remove(other)

    @contextlib.contextmanager
    def alone(self, env):
        """Run a server with env as the only instance (the main one would
        claim the outbox rows too), then bring the main one back."""
        self.srv.stop()
        self.servers.remove(self.srv)
        srv = ct.Server(self.db, env=env)
        self.servers.append(srv)
        try:
            yield srv
        finally:
            if srv in self.servers:
                srv.stop()
                self.servers.remove(srv)
            InvitesTest.srv = ct.Server(self.db, env=self.env)
            self.servers.insert(0, InvitesTest.srv)

    def test_smtp_authentication(self):
        sink = SmtpSink(ct.tmpdir("convene-authsink-"),
                        auth=("convene", "s3cret pass")).start()
        env = {"CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % sink.port,
               "CONVENE_SMTP_FROM": FROM, "CONVENE_SMTP_USER": "convene",
               "CONVENE_SMTP_PASSWORD": "wrong"}
        try:
            with self.alone(env) as srv:
                m = self.book(agencies=("police",), srv=srv,
                              missing_agency_reason="Testing SMTP AUTH")
                deadline = time.monotonic() + WAIT
                while time.monotonic() < deadline:
                    st, _, d = self.call("GET", "/api/v1/meetings/%d/"
                                         "deliveries" % m["id"], self.sw,
                                         srv=srv)
                    if d["messages"][0]["last_error"]:
                        break
                    time.sleep(0.2)
                self.assertEqual(d["counts"]["sent"], 0, d)
                self.assertEqual(d["counts"]["failed"], 0, d)
                self.assertIn("curl 67", d["messages"][0]["last_error"])
                self.assertNotIn("wrong", srv.log_text())
            self.assertIn(("convene", False), sink.auth_attempts)
            self.assertEqual(sink.messages(), [])	# nothing got through
            env["CONVENE_SMTP_PASSWORD"] = "s3cret pass"

            def mine():
                # Messages other tests left queued may go out here too.
                return [(e, raw) for e, raw in sink.messages()
                        if str(event(ics_of(parse_mail(raw))[1])["UID"]) ==
                        m["uid"]]
            with self.alone(env) as srv:
                deadline = time.monotonic() + WAIT
                while time.monotonic() < deadline and not mine():
                    time.sleep(0.2)
                time.sleep(1.5)
                got = mine()
                self.assertEqual(len(got), 1)
                self.assertEqual([r.lower() for r in got[0][0]["rcpt_tos"]],
                                 [self.email["police"]])
                self.assertIn(("convene", True), sink.auth_attempts)
                self.assertNotIn("s3cret", srv.log_text())
        finally:
            sink.stop()

    def test_eml_files_without_smtp(self):
        with self.alone({"CONVENE_SMTP_FROM": FROM}) as srv:
            m = self.book(srv=srv)
            outdir = os.path.join(srv.data_dir, "outbox")
            ids = [r[0] for r in ct.query(
                self.db, "SELECT id FROM outbox WHERE discussion_id = %s "
                "ORDER BY id", (m["id"],))]
            self.assertEqual(len(ids), 4)
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                names = os.listdir(outdir) if os.path.isdir(outdir) else []
                if all("%d.eml" % i in names for i in ids):
                    break
                time.sleep(0.2)
            names = sorted(os.listdir(outdir))
            for i in ids:
                self.assertIn("%d.eml" % i, names)
            self.assertFalse([n for n in names if n.startswith(".tmp")])
            for i in ids:
                with open(os.path.join(outdir, "%d.eml" % i), "rb") as f:
                    raw = f.read()
                stored = ct.query(self.db, "SELECT message FROM outbox "
                                  "WHERE id = %s", (i,))[0][0]
                self.assertEqual(raw, stored.encode())
                msg = parse_mail(raw)
                iraw, cal = ics_of(msg)
                self.check_message({"rcpt_tos": [msg["To"].addresses[0]
                                                 .addr_spec],
                                    "mail_from": FROM}, raw, msg, iraw, cal,
                                   "REQUEST", 0, "Strategy meeting: ",
                                   m["case_ref"])
                for s in SECRETS:
                    self.assertNotIn(s, decoded_text(raw))
            st, _, d = self.call("GET", "/api/v1/meetings/%d/deliveries" %
                                 m["id"], self.sw, srv=srv)
            self.assertEqual(d["counts"]["sent"], 4, d)

    # ---- replies, RSVP, at risk --------------------------------------------

    def test_replies(self):
        m = self.book()
        uid, mid = m["uid"], m["id"]
        # Exchange style: no ORGANIZER, address in another case.
        st, _, r = self.reply(uid, "PAT.POLICE@POLICE.EXAMPLE", "ACCEPTED",
                              organizer=False)
        self.assertEqual(st, 200, r)
        self.assertEqual(r["status"], "applied")
        self.assertEqual(self.partstat(mid, "police"), "ACCEPTED")
        # Gmail style: with ORGANIZER, X- parameters.
        st, _, r = self.reply(uid, "hana@nhs.example", "TENTATIVE")
        self.assertEqual(st, 200, r)
        self.assertEqual(self.partstat(mid, "health"), "TENTATIVE")
        # Reschedule (SEQUENCE 1, answers reset: issue 15); a late reply
        # to SEQUENCE 0 is ignored.
        st, _, m2 = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                              {"starts_at": london_str(
                                  datetime.date.today() +
                                  datetime.timedelta(days=15), 11, 0)})
        self.assertEqual(m2["sequence"], 1)
        st, _, r = self.reply(uid, "hana@nhs.example", "DECLINED", seq=0)
        self.assertEqual(st, 202, r)
        self.assertEqual(r["status"], "stale")
        self.assertEqual(self.partstat(mid, "health"), "NEEDS-ACTION")
        st, _, r = self.reply(uid, "hana@nhs.example", "DECLINED", seq=1)
        self.assertEqual(st, 200, r)
        self.assertEqual(self.partstat(mid, "health"), "DECLINED")
        # A reply changes only PARTSTAT.
        before = self.call("GET", "/api/v1/meetings/%d" % mid, self.sw)[2]
        st, _, r = self.reply(uid, "hana@nhs.example", "ACCEPTED", seq=1)
        after = self.call("GET", "/api/v1/meetings/%d" % mid, self.sw)[2]
        for k in ("sequence", "starts_at", "ends_at", "location", "status",
                  "updated_at", "planned_classification"):
            self.assertEqual(before[k], after[k], k)
        # Unknown UID, unknown attendee, unsupported PARTSTAT: kept.
        st, _, r = self.reply("nope@elsewhere", "hana@nhs.example",
                              "ACCEPTED")
        self.assertEqual((st, r["status"]), (202, "unmatched"))
        st, _, r = self.reply(uid, "someone.else@nhs.example", "ACCEPTED",
                              seq=1)
        self.assertEqual((st, r["status"]), (202, "unmatched"))
        st, _, r = self.reply(uid, "hana@nhs.example", "DELEGATED", seq=1)
        self.assertEqual((st, r["status"]), (202, "unsupported"))
        # Malformed: 422 naming the body, kept too; never a crash.
        for bad in (b"hello", b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n"
                    b"END:VCALENDAR\r\n", b"\xff\xfe\x00junk",
                    b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
                    b"UID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"):
            st, _, r = self.call("POST", "/api/v1/itip", self.admin,
                                 raw=bad, headers={"Content-Type":
                                                   "text/calendar"})
            self.assertEqual(st, 422, r)
            self.assertEqual(r["error"]["field"], "body")
        st, _, inbox = self.call("GET", "/api/v1/itip/inbox", self.admin)
        self.assertEqual(st, 200, inbox)
        kinds = [x["status"] for x in inbox["replies"]]
        for k in ("stale", "unmatched", "unsupported", "malformed"):
            self.assertIn(k, kinds)
        # Access: admins only; text/calendar only.
        self.assertEqual(self.reply(uid, "hana@nhs.example", "ACCEPTED",
                                    token=self.sw)[0], 403)
        self.assertEqual(self.reply(uid, "hana@nhs.example", "ACCEPTED",
                                    ctype="application/json")[0], 415)
        self.assertEqual(self.call("POST", "/api/v1/itip", None,
                                   raw=b"x")[0], 401)
        # Cancelled meeting: replies are ignored.
        self.call("POST", "/api/v1/meetings/%d/cancel" % mid, self.sw,
                  {"reason": "No longer needed"})
        st, _, r = self.reply(uid, "hana@nhs.example", "DECLINED", seq=5)
        self.assertEqual((st, r["status"]), (202, "stale"))
        self.assertEqual(self.partstat(mid, "health"), "ACCEPTED")

    def test_at_risk_moves(self):
        m = self.book(agencies=("social_care", "police", "health"))
        mid, uid = m["id"], m["uid"]
        inv = self.invites(mid)
        self.assertTrue(inv["at_risk"])
        self.assertEqual(inv["at_risk_agencies"],
                         ["social_care", "police", "health"])
        self.reply(uid, self.email["social_care"], "ACCEPTED")
        self.reply(uid, self.email["police"], "ACCEPTED", organizer=False)
        inv = self.invites(mid)
        self.assertEqual(inv["at_risk_agencies"], ["health"])
        self.assertEqual(inv["at_risk_message"],
                         "at risk: health has not accepted")
        # Tentative is not accepted.
        self.reply(uid, self.email["health"], "TENTATIVE")
        self.assertTrue(self.invites(mid)["at_risk"])
        self.reply(uid, self.email["health"], "ACCEPTED")
        inv = self.invites(mid)
        self.assertFalse(inv["at_risk"])
        self.assertEqual(inv["at_risk_agencies"], [])
        self.assertIsNone(inv["at_risk_message"])
        # Managers see it; other teams do not.
        self.assertEqual(self.call("GET", "/api/v1/meetings/%d/invites" % mid,
                                   self.mgr)[0], 200)
        self.assertEqual(self.call("GET", "/api/v1/meetings/%d/invites" % mid,
                                   self.sw_b)[0], 404)

    def test_rsvp_links(self):
        m = self.book(agencies=("social_care", "police", "health"))
        got = self.wait_for(m["uid"], 3)
        mine = [g for g in got
                if g[0]["rcpt_tos"][0].lower() == self.email["health"]][0]
        text = parts(mine[2])["text/plain"][0].get_content()
        html = parts(mine[2])["text/html"][0].get_content()
        links = dict(re.findall(r"(?m)^\s+(\w+):\s+(\S+)$", text))
        accept = links["Accept"]
        self.assertTrue(accept.startswith(self.srv.base + "/rsvp/"), accept)
        self.assertIn('href="%s"' % accept.replace("&", "&amp;"), html)
        path = accept[len(self.srv.base):]
        token = path.split("/")[2]
        for s in SECRETS + ["Hana", "hana", "nhs"]:
            self.assertNotIn(s, token)
        # GET (a mail scanner) records nothing; it shows a button.
        st, h, page = self.call("GET", path)
        self.assertEqual(st, 200, page)
        self.assertIn("<form method=\"post\"", page)
        self.assertIn(m["case_ref"], page)
        self.assertEqual(self.partstat(m["id"], "health"), "NEEDS-ACTION")
        st, h, page = self.call("POST", path, raw=b"",
                                headers={"Content-Type": "application/"
                                         "x-www-form-urlencoded"})
        self.assertEqual(st, 200, page)
        self.assertIn("accepted", page)
        self.assertEqual(self.partstat(m["id"], "health"), "ACCEPTED")
        dpath = links["Decline"][len(self.srv.base):]
        self.assertEqual(self.call("POST", dpath)[0], 200)
        self.assertEqual(self.partstat(m["id"], "health"), "DECLINED")
        # A forged or damaged token, another answer word: not found.
        bad = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA"
                                                else "BB"))
        self.assertEqual(self.call("POST", bad)[0], 404)
        self.assertEqual(self.call("GET", path.replace("/accept",
                                                       "/maybe"))[0], 404)
        self.assertEqual(self.partstat(m["id"], "health"), "DECLINED")
        # Removed: the link stops working.
        st, _, m2 = self.call("PATCH", "/api/v1/meetings/%d" % m["id"],
                              self.sw, {"remove_participants":
                                        [self.pid(m, "health")],
                                        "missing_agency_reason": "Testing"})
        self.assertEqual(st, 200, m2)
        self.assertEqual(self.call("POST", path)[0], 410)

    # ---- feeds and downloads -------------------------------------------------

    def test_feeds(self):
        m = self.book(agencies=("social_care", "police", "health"))
        st, _, f = self.call("POST", "/api/v1/feeds", self.admin,
                             {"contact_id": self.contact["police"]})
        self.assertEqual(st, 201, f)
        self.assertTrue(f["webcal"].startswith("webcal://127.0.0.1:"))
        path = f["url"][len(self.srv.base):]
        self.assertRegex(path, r"^/feeds/[0-9a-f]{64}\.ics$")
        st, h, body = self.call("GET", path)
        self.assertEqual(st, 200, body)
        self.assertTrue(h["Content-Type"].startswith("text/calendar"))
        etag = h["ETag"]
        self.assertTrue(etag.startswith('"'))
        cal = icalendar.Calendar.from_ical(body.encode())
        self.assertNotIn("METHOD", cal)
        evs = {str(e["UID"]): e for e in cal.walk("VEVENT")}
        self.assertIn(m["uid"], evs)
        self.assertEqual(int(evs[m["uid"]]["SEQUENCE"]), 0)
        self.assertNotIn("PARTSTAT", body)
        for line in body.encode().split(b"\r\n"):
            self.assertLessEqual(len(line), 75)
        for s in SECRETS:
            self.assertNotIn(s, body)
        # Unchanged: 304 with the same ETag, no body.
        st, h2, body2 = self.call("GET", path,
                                  headers={"If-None-Match": etag})
        self.assertEqual(st, 304)
        self.assertEqual(h2["ETag"], etag)
        self.assertEqual(body2, "")
        # A change moves the ETag and the SEQUENCE.
        self.call("PATCH", "/api/v1/meetings/%d" % m["id"], self.sw,
                  {"duration_minutes": 90})
        # Within a second (include/feed.h FEED_FRESH_MS), not at once.
        deadline = time.monotonic() + 5
        while True:
            st, h3, body3 = self.call("GET", path,
                                      headers={"If-None-Match": etag})
            if st != 304 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(st, 200)
        self.assertNotEqual(h3["ETag"], etag)
        cal = icalendar.Calendar.from_ical(body3.encode())
        evs = {str(e["UID"]): e for e in cal.walk("VEVENT")}
        self.assertEqual(int(evs[m["uid"]]["SEQUENCE"]), 1)
        # Organisation feeds, and revocation.
        st, _, fo = self.call("POST", "/api/v1/feeds", self.admin,
                              {"organisation_id": self.org_police})
        self.assertEqual(st, 201, fo)
        st, _, bo = self.call("GET", fo["url"][len(self.srv.base):])
        self.assertEqual(st, 200)
        self.assertIn(m["uid"], bo.replace("\r\n ", ""))
        st, _, r = self.call("DELETE", "/api/v1/feeds/%d" % f["id"],
                             self.admin)
        self.assertEqual(st, 200, r)
        self.assertEqual(self.call("GET", path)[0], 404)
        self.assertEqual(self.call("DELETE", "/api/v1/feeds/%d" % f["id"],
                                   self.admin)[0], 404)
        self.assertEqual(self.call("POST", "/api/v1/feeds", self.sw,
                                   {"contact_id": 1})[0], 403)
        st, _, r = self.call("POST", "/api/v1/feeds", self.admin,
                             {"contact_id": 999999})
        self.assertEqual((st, r["error"]["field"]), (422, "contact_id"))
        st, _, r = self.call("POST", "/api/v1/feeds", self.admin, {})
        self.assertEqual(st, 422)
        self.assertEqual(self.call("GET", "/feeds/%s.ics" % ("0" * 64))[0],
                         404)

    def test_invite_ics_download(self):
        m = self.book(agencies=("social_care", "police", "health"))
        path = "/api/v1/meetings/%d/invite.ics" % m["id"]
        st, h, body = self.call("GET", path, self.sw)
        self.assertEqual(st, 200, body)
        self.assertTrue(h["Content-Type"].startswith("text/calendar"))
        self.assertIn("attachment", h["Content-Disposition"])
        cal = icalendar.Calendar.from_ical(body.encode())
        ev = event(cal)
        self.assertEqual(str(ev["UID"]), m["uid"])
        self.assertEqual(len(attendees(ev)), 3)
        for s in SECRETS:
            self.assertNotIn(s, body)
        self.assertEqual(self.call("GET", path, self.mgr)[0], 200)
        self.assertEqual(self.call("GET", path, self.sw_b)[0], 404)
        self.assertEqual(self.call("GET", path, self.admin)[0], 403)
        self.assertEqual(self.call("GET", path)[0], 401)

    # ---- data minimisation (runs last: z) -----------------------------------

    def chasers_sent(self):
        """A same-day meeting that health has not accepted, with short
        chase thresholds and a duty inbox: the reminder and the escalation
        (docs/chasers.md) join the mail this test reads."""
        aid = ct.query(self.db, "SELECT authority_id FROM users WHERE "
                       "username = 'inv-admin'")[0][0]
        org = ct.query(self.db, "SELECT organisation_id FROM contacts "
                       "WHERE id = %s", (self.contact["health"],))[0][0]
        st, _, b = self.call("PUT", "/api/v1/organisations/%d/rota" % org,
                             self.admin,
                             {"duty_email": "duty@nhs.example"})
        self.assertEqual(st, 200, b)
        st, _, b = self.call("PUT", "/api/v1/authorities/%d/settings" % aid,
                             self.admin,
                             {"chase_same_day_reminder_minutes": 120,
                              "chase_same_day_escalation_minutes": 119})
        self.assertEqual(st, 200, b)
        now = datetime.datetime.now(UTC)
        soon = now + datetime.timedelta(minutes=30)
        # The concern an hour before now: "today at 09:00" comes after a
        # start 30 minutes from now between midnight and 08:30.
        self.book(agencies=("social_care", "health"),
                  starts=soon.strftime("%Y-%m-%dT%H:%MZ"),
                  concern_received_at=(now - datetime.timedelta(hours=1))
                  .strftime("%Y-%m-%dT%H:%MZ"),
                  missing_agency_reason="Police already know the family")
        deadline = time.monotonic() + WAIT
        kinds = []
        while time.monotonic() < deadline and len(set(kinds)) < 2:
            kinds = [k for (k,) in ct.query(
                self.db, "SELECT kind FROM outbox WHERE kind IN "
                "('chase_reminder', 'chase_escalation') AND status = "
                "'sent'")]
            time.sleep(0.5)
        self.assertEqual(sorted(set(kinds)),
                         ["chase_escalation", "chase_reminder"])

    def test_z_no_child_data_anywhere(self):
        m = self.book()
        got = self.wait_for(m["uid"], 4)
        # The partners' mails (issue 13) too: the police invitation's
        # "Open the meeting pack" link asks for a sign-in code by email.
        police = [raw for env, raw, _, _, _ in got if self.email["police"]
                  in [r.lower() for r in env["rcpt_tos"]]]
        self.assertEqual(len(police), 1)
        link = re.search(r"/partner/[A-Za-z0-9_-]+", decoded_text(police[0]))
        self.assertIsNotNone(link)
        st, _, _ = ct.form("POST", self.srv.base, link.group(0) + "/code")
        self.assertEqual(st, 200)
        deadline = time.monotonic() + WAIT
        while not any("sign-in code" in str(parse_mail(raw)["Subject"])
                      for _, raw in self.sink.messages()):
            self.assertLess(time.monotonic(), deadline, "no code mail")
            time.sleep(0.2)
        self.chasers_sent()
        texts = [decoded_text(raw) for _, raw in self.sink.messages()]
        self.assertGreaterEqual(len(texts), 5)
        for t in texts:
            for s in SECRETS:
                self.assertNotIn(s, t)
            self.assertNotIn("bruises", t.lower())
        for (msg,) in ct.query(self.db, "SELECT message FROM outbox"):
            t = decoded_text(msg.encode())
            for s in SECRETS:
                self.assertNotIn(s, t)
        logs = "\n".join(s.log_text() for s in self.servers)
        self.assertIn("delivered", logs)
        for s in SECRETS:
            self.assertNotIn(s, logs)


if __name__ == "__main__":
    unittest.main()
