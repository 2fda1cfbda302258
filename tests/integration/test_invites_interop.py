"""Invites as Outlook, Gmail, Apple and Thunderbird read them (issue 15).

Real PostgreSQL, the real convene binary, a real SMTP server
(python3-aiosmtpd, smtp_sink.py) and three independent iCalendar parsers:
Debian's python3-icalendar and python3-vobject, and Mozilla's ical.js
(Thunderbird's parser, npm) run by node (icaljs_read.mjs). One test per
point of the issue:

 1. the repeated hour on the night the clocks go back (UTC DTSTART/DTEND,
    "01:30 BST" / "GMT" in the email);
 2. replies applied by DTSTAMP, not arrival order;
 3. SEQUENCE only for a new time; answers kept across minor changes and
    reset (and said so on the meeting page) by a reschedule;
 4. METHOD:COUNTER recorded and shown with "Reschedule to this time" (202),
    mail without a calendar part stored (202);
 5. the uninvite CANCEL has no STATUS; no CANCEL asks for an answer;
 6. one address listed twice is one ATTENDEE;
 7. feeds: 304 without "Content-Length: 0", Last-Modified and
    If-Modified-Since, calendar name and refresh interval, the same bytes
    from two instances, gzip;
 8. RFC 2047 lines of at most 76 characters, '"' in names;
 9. refusing to start with a relay but no organiser mailbox or base URL;
11. per-authority calendar title and CLASS.
(10, SMTP over TLS, is tests/integration/test_smtp_tls.py.)

Run: CONVENE_BIN=build/convene /usr/bin/python3 \
     tests/integration/test_invites_interop.py -v
"""

import datetime
import email
import email.policy
import gzip
import http.client
import itertools
import json
import os
import re
import subprocess
import sys
import time
import unittest

import icalendar
import vobject

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

UTC = datetime.timezone.utc
FROM = "strategy-meetings@council.example"
WAIT = 40
HERE = os.path.dirname(os.path.abspath(__file__))


def last_sunday(year, month):
    d = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return d - datetime.timedelta(days=(d.weekday() + 1) % 7)


def next_october_change():
    today = datetime.date.today()
    y = today.year
    while last_sunday(y, 10) < today + datetime.timedelta(days=7):
        y += 1
    return last_sunday(y, 10)


def london_str(d, hh=10, mm=0):
    return "%04d-%02d-%02dT%02d:%02d" % (d.year, d.month, d.day, hh, mm)


icaljs = ct.icaljs


def vobj_event(raw):
    cal = vobject.readOne(raw.decode("utf-8"))
    evs = [c for c in cal.getChildren() if c.name == "VEVENT"]
    assert len(evs) == 1, evs
    return cal, evs[0]


def parse_mail(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def calendar_part(msg):
    for p in msg.walk():
        if p.get_content_type() == "text/calendar":
            return p.get_payload(decode=True)
    raise KeyError("no text/calendar part")


def text_part(msg):
    for p in msg.walk():
        if p.get_content_type() == "text/plain":
            return p.get_payload(decode=True).decode("utf-8")
    raise KeyError("no text/plain part")


def one_event(raw):
    cal = icalendar.Calendar.from_ical(raw)
    evs = list(cal.walk("VEVENT"))
    assert len(evs) == 1, evs
    return cal, evs[0]


def attendees(ev):
    a = ev.get("ATTENDEE")
    if a is None:
        return []
    return a if isinstance(a, list) else [a]


def as_utc(dt):
    return dt.astimezone(UTC)


class InteropTest(unittest.TestCase):
    maxDiff = None
    _refs = itertools.count(1)

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_interop")
        ct.add_user(cls.db, "io-admin", "admin")
        cls.sw_password = ct.add_user(cls.db, "io-sw", "social_worker",
                                      team="Interop Team")
        # The gateway as docs/invites.md creates it.
        ct.add_user(cls.db, "mail-gateway", "mail_gateway")
        cls.admin = ct.token(cls.db, "io-admin")
        cls.gateway = ct.token(cls.db, "mail-gateway")
        cls.sw = ct.token(cls.db, "io-sw")
        cls.sink = SmtpSink(ct.tmpdir("convene-sink-")).start()
        cls.env = {"CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
                   "CONVENE_SMTP_FROM": FROM}
        cls.srv = ct.Server(cls.db, env=cls.env)
        cls.contact = {}
        cls.email = {}
        for key, agency, name, addr, org in (
                ("social_care", "social_care", "Sam Social",
                 "sam.social@council.example", "Northtown Children's"),
                ("police", "police", 'DC "Bob" Police',
                 "Bob.Police@Police.example", "Northumbria Police"),
                ("health", "health", "Nurse Hana Health",
                 "hana@nhs.example", "Northtown NHS Trust")):
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
            cls.srv.stop()
        finally:
            cls.sink.stop()

    # ---- helpers ------------------------------------------------------------

    def call(self, method, path, token=None, json=None, **kw):
        return ct.api(method, self.srv.base, path, token=token, json=json,
                      **kw)

    def book(self, starts=None, minutes=60, extra=(), **over):
        if starts is None:
            starts = london_str(datetime.date.today() +
                                datetime.timedelta(days=14))
        b = {"case_ref": "IO-%d" % next(self._refs),
             "children": [{"name": "Child Example",
                           "date_of_birth": "2019-03-14"}],
             "kind": "meeting", "reason": "Concern reported by school",
             "concern_received_at": london_str(datetime.date.today(), 9, 0),
             "starts_at": starts, "duration_minutes": minutes,
             "format": "in_person", "location": "Room 2, Civic Centre",
             "chair": "Alex Chair",
             "participants": [{"contact_id": self.contact[a]}
                              for a in ("social_care", "police", "health")]
             + list(extra)}
        b.update(over)
        st, _, m = self.call("POST", "/api/v1/meetings", self.sw, b)
        self.assertEqual(st, 201, m)
        return m

    def msgs(self, uid):
        out = []
        for env, raw in self.sink.messages():
            msg = parse_mail(raw)
            try:
                iraw = calendar_part(msg)
            except KeyError:
                continue
            _, ev = one_event(iraw)
            if str(ev["UID"]) == uid:
                out.append((env, raw, msg, iraw, ev))
        return out

    def wait_for(self, uid, n):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            got = self.msgs(uid)
            if len(got) >= n:
                time.sleep(1.0)
                got = self.msgs(uid)
                self.assertEqual(len(got), n, [g[0] for g in got])
                return got
            time.sleep(0.2)
        self.fail("%d of %d messages for %s; outbox: %r" % (
            len(self.msgs(uid)), n, uid, ct.query(
                self.db, "SELECT id, status, last_error FROM outbox ORDER "
                "BY id DESC LIMIT 5")))

    def to(self, got, key):
        for g in got:
            if g[0]["rcpt_tos"][0].lower() == self.email[key]:
                return g
        self.fail("no message to %s" % key)

    def reply(self, uid, key, partstat, seq=0, dtstamp="20261128T120000Z"):
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0",
                 "PRODID:Microsoft Exchange Server 2010", "METHOD:REPLY",
                 "BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:" + dtstamp,
                 "DTSTART:20300101T100000Z", "DTEND:20300101T110000Z",
                 "ATTENDEE;PARTSTAT=%s:mailto:%s" % (partstat,
                                                     self.email[key]),
                 "SEQUENCE:%d" % seq, "END:VEVENT", "END:VCALENDAR"]
        # Exchange leaves ORGANIZER out: the gateway passes the address
        # the reply was delivered to, the one issued to this invitee.
        to = ct.organizer_address(self.db, uid, self.email[key])
        return self.call("POST", ct.itip_path(to), self.admin,
                         raw="\r\n".join(lines) + "\r\n",
                         headers={"Content-Type": "text/calendar"})

    def partstats(self, mid):
        st, _, body = self.call("GET", "/api/v1/meetings/%d/invites" % mid,
                                self.sw)
        self.assertEqual(st, 200, body)
        return {p["email"].lower(): p["partstat"]
                for p in body["participants"] if not p["removed"]}

    def page(self, path):
        cookie = ct.sign_in(self.srv.base, "io-sw", self.sw_password)
        st, _, html = ct.form("GET", self.srv.base, path, cookie=cookie)
        self.assertEqual(st, 200, html[:300])
        return html

    # ---- 1. the repeated hour -------------------------------------------------

    def test_01_repeated_hour(self):
        day = next_october_change()
        # 01:30 local is BST (the first 01:30); the same wall time an hour
        # later is GMT, booked with its offset.
        bst = self.book(starts=london_str(day, 1, 30))
        gmt = self.book(starts="%04d-%02d-%02dT01:30:00+00:00" % (
            day.year, day.month, day.day))
        for m, start_utc, label in ((bst, datetime.datetime(
                day.year, day.month, day.day, 0, 30, tzinfo=UTC), "BST"),
                (gmt, datetime.datetime(day.year, day.month, day.day, 1, 30,
                                        tzinfo=UTC), "GMT")):
            got = self.wait_for(m["uid"], 3)
            env, raw, msg, iraw, ev = got[0]
            end_utc = start_utc + datetime.timedelta(minutes=60)
            # Written in UTC: no TZID a client could read either way.
            self.assertIn(b"DTSTART:", iraw)
            self.assertNotIn(b"DTSTART;TZID", iraw)
            # python-icalendar
            self.assertEqual(as_utc(ev["DTSTART"].dt), start_utc)
            self.assertEqual(as_utc(ev["DTEND"].dt), end_utc)
            # vobject
            _, vev = vobj_event(iraw)
            self.assertEqual(as_utc(vev.dtstart.value), start_utc)
            self.assertEqual(as_utc(vev.dtend.value), end_utc)
            # ical.js
            j = icaljs(iraw)["events"][0]
            self.assertEqual(j["start"], start_utc.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"))
            self.assertEqual(j["minutes"], 60)
            # The email says which 01:30.
            text = text_part(msg)
            self.assertIn("01:30 %s to" % label, text)
            self.assertIn("01:30 %s" % label, str(msg["Subject"]))
        self.assertIn("01:30 BST to 01:30 GMT", text_part(
            self.msgs(bst["uid"])[0][2]))

    # ---- 2. reply order ---------------------------------------------------------

    def test_02_latest_dtstamp_wins(self):
        m = self.book()
        uid = m["uid"]
        st, _, b = self.reply(uid, "police", "ACCEPTED",
                              dtstamp="20261201T120000Z")
        self.assertEqual(st, 200, b)
        # An older DECLINED arriving later is ignored.
        st, _, b = self.reply(uid, "police", "DECLINED",
                              dtstamp="20261201T110000Z")
        self.assertEqual(st, 202, b)
        self.assertEqual(b["status"], "superseded")
        self.assertEqual(self.partstats(m["id"])[self.email["police"]],
                         "ACCEPTED")
        # A newer one applies.
        st, _, b = self.reply(uid, "police", "DECLINED",
                              dtstamp="20261201T130000Z")
        self.assertEqual(st, 200, b)
        self.assertEqual(self.partstats(m["id"])[self.email["police"]],
                         "DECLINED")
        self.assertEqual(ct.query(self.db, "SELECT reply_dtstamp AT TIME "
                                  "ZONE 'UTC' FROM participants WHERE "
                                  "discussion_id = %s AND lower(email) = %s",
                                  (m["id"], self.email["police"]))[0][0],
                         datetime.datetime(2026, 12, 1, 13, 0))

    # ---- 3. SEQUENCE and answers -------------------------------------------------

    def test_03_sequence_only_for_time(self):
        m = self.book()
        uid, mid = m["uid"], m["id"]
        self.wait_for(uid, 3)
        self.assertEqual(self.reply(uid, "police", "ACCEPTED")[0], 200)
        # A new place and a new invitee: same SEQUENCE, answers kept.
        st, _, b = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                             {"location": "Room 5, Civic Centre"})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["sequence"], 0)
        got = self.wait_for(uid, 6)
        upd = [g for g in got if "Room 5" in g[3].decode()]
        self.assertEqual(len(upd), 3)
        for g in upd:
            self.assertEqual(int(g[4]["SEQUENCE"]), 0)
            self.assertEqual(str(g[4]["LOCATION"]), "Room 5, Civic Centre")
        police = [a for a in attendees(self.to(upd, "police")[4])
                  if str(a).lower().endswith(self.email["police"])][0]
        self.assertEqual(police.params["PARTSTAT"], "ACCEPTED")
        # An acceptance sent before the update (SEQUENCE 0) still counts.
        self.assertEqual(self.reply(uid, "health", "ACCEPTED",
                                    dtstamp="20261201T090000Z")[0], 200)
        ps = self.partstats(mid)
        self.assertEqual(ps[self.email["police"]], "ACCEPTED")
        self.assertEqual(ps[self.email["health"]], "ACCEPTED")
        self.assertNotIn("The time changed", self.page("/meetings/%d" % mid))
        # A new time: SEQUENCE 1, every answer back to NEEDS-ACTION.
        new = london_str(datetime.date.today() +
                         datetime.timedelta(days=15), 14, 0)
        st, _, b = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                             {"starts_at": new})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["sequence"], 1)
        got = self.wait_for(uid, 9)
        for g in got[-3:]:
            self.assertEqual(int(g[4]["SEQUENCE"]), 1)
            for a in attendees(g[4]):
                self.assertEqual(a.params["PARTSTAT"], "NEEDS-ACTION")
        self.assertEqual(set(self.partstats(mid).values()),
                         {"NEEDS-ACTION"})
        html = self.page("/meetings/%d" % mid)
        self.assertIn("data-answers-reset", html)
        self.assertIn("every answer was reset", html)
        # The old acceptance in transit is now stale.
        st, _, b = self.reply(uid, "police", "ACCEPTED", seq=0)
        self.assertEqual(b["status"], "stale")

    # ---- 4. COUNTER and plain mail -------------------------------------------

    def counter_body(self, uid, day, organizer=True):
        """Outlook's "Propose new time" from the police officer, with the
        ORGANIZER issued to them, or (organizer=False) without one, as
        Exchange sends it."""
        stamp = "%04d%02d%02d" % (day.year, day.month, day.day)
        lines = [
            "BEGIN:VCALENDAR", "PRODID:Microsoft Exchange Server 2010",
            "VERSION:2.0", "METHOD:COUNTER",
            "BEGIN:VTIMEZONE", "TZID:GMT Standard Time",
            "BEGIN:STANDARD", "DTSTART:16010101T020000",
            "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000",
            "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
            "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:16010101T010000",
            "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100",
            "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
            "END:DAYLIGHT", "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "ORGANIZER;CN=Alex Chair:mailto:" + ct.organizer_address(
                self.db, uid, self.email["police"]),
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=TENTATIVE;RSVP=TRUE;"
            "CN=Bob:mailto:" + self.email["police"],
            "COMMENT:In court that morning\\, could we meet at 14:00?",
            "SUMMARY;LANGUAGE=en-GB:New Time Proposed: Strategy meeting",
            "DTSTART;TZID=GMT Standard Time:%sT140000" % stamp,
            "DTEND;TZID=GMT Standard Time:%sT150000" % stamp,
            "UID:" + uid, "SEQUENCE:0", "DTSTAMP:20261201T100000Z",
            "END:VEVENT", "END:VCALENDAR"]
        if not organizer:
            lines = [x for x in lines if not x.startswith("ORGANIZER")]
        return "\r\n".join(lines) + "\r\n"

    def test_04_counter_and_mail(self):
        m = self.book()
        uid, mid = m["uid"], m["id"]
        day = datetime.date.today() + datetime.timedelta(days=16)
        st, _, b = self.call("POST", "/api/v1/itip", self.admin,
                             raw=self.counter_body(uid, day),
                             headers={"Content-Type": "text/calendar"})
        self.assertEqual(st, 202, b)
        self.assertEqual(b["status"], "counter")
        row = ct.query(self.db, "SELECT c.starts_at, c.ends_at, c.comment, "
                       "lower(p.email) FROM counter_proposals c JOIN "
                       "participants p ON p.id = c.participant_id WHERE "
                       "c.discussion_id = %s", (mid,))
        self.assertEqual(len(row), 1)
        local = datetime.datetime(day.year, day.month, day.day, 14, 0)
        off = 1 if 3 < day.month < 10 else None	# checked below anyway
        del off
        self.assertEqual(row[0][2], "In court that morning, could we meet "
                         "at 14:00?")
        self.assertEqual(row[0][3], self.email["police"])
        self.assertEqual((row[0][1] - row[0][0]).total_seconds(), 3600)
        # The meeting itself is unchanged.
        self.assertEqual(self.partstats(mid)[self.email["police"]],
                         "NEEDS-ACTION")
        html = self.page("/meetings/%d" % mid)
        self.assertIn("data-counters", html)
        self.assertIn("Reschedule to this time", html)
        self.assertIn("In court that morning, could we meet at 14:00?", html)
        href = re.search(r'href="(/meetings/%d/reschedule\?[^"]+)"' % mid,
                         html).group(1).replace("&amp;", "&")
        form = self.page(href)
        self.assertIn('value="%d"' % day.day, form)
        self.assertIn('value="14:00"', form.replace(" ", ""))
        self.assertIn('value="60"', form)
        del local
        # Mail without a calendar part: stored, linked by In-Reply-To.
        got = self.wait_for(uid, 3)
        mid_hdr = self.to(got, "police")[2]["Message-ID"]
        mail = ("From: Bob Police <bob.police@police.example>\r\n"
                "To: " + FROM + "\r\n"
                "Subject: RE: Strategy meeting\r\n"
                "In-Reply-To: " + mid_hdr + "\r\n"
                "Content-Type: text/plain\r\n\r\n"
                "Sorry, I can't make it.\r\n")
        st, _, b = self.call("POST", "/api/v1/itip", self.admin, raw=mail,
                             headers={"Content-Type": "message/rfc822"})
        self.assertEqual(st, 202, b)
        self.assertEqual(b["status"], "mail")
        self.assertEqual(b["meeting_id"], mid)
        st, _, inbox = self.call("GET", "/api/v1/itip/inbox", self.admin)
        mine = [r for r in inbox["replies"] if r["status"] == "mail" and
                r["meeting_id"] == mid]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["subject"], "RE: Strategy meeting")
        self.assertIn("Sorry, I can't make it.",
                      __import__("base64").b64decode(
                          mine[0]["raw_base64"]).decode())
        self.assertIn("Emails about the invitation",
                      self.page("/meetings/%d" % mid))
        # winmail.dat-only mail, no references: still stored, 202.
        st, _, b = self.call("POST", "/api/v1/itip", self.admin,
                             raw=b"From: x@y.example\r\nContent-Type: "
                             b"application/ms-tnef\r\n\r\n\x78\x9f\x3e\x22",
                             headers={"Content-Type": "message/rfc822"})
        self.assertEqual(st, 202, b)
        # Rescheduling closes the proposal.
        st, _, b = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                             {"starts_at": london_str(day, 14, 0)})
        self.assertEqual(st, 200, b)
        self.assertNotIn("data-counters", self.page("/meetings/%d" % mid))

    def test_04_gateway_recipe(self):
        """The mail-gateway script of docs/invites.md, run as documented:
        a COUNTER email and a typed answer are delivered (curl exits 0).
        The COUNTER comes as Exchange sends it, without ORGANIZER, so it
        counts only because the script passes the address it was delivered
        to (Postfix's ORIGINAL_RECIPIENT) as ?recipient= (issue #14)."""
        src = os.environ.get("CONVENE_SOURCE_DIR",
                             os.path.dirname(os.path.dirname(HERE)))
        with open(os.path.join(src, "docs", "invites.md")) as f:
            doc = f.read()
        script = re.search(r"convene-itip` \(Debian's python3 and curl.*?"
                           r"```python\n(.*?)```", doc, re.S).group(1)
        d = ct.tmpdir("convene-gw-")
        header = os.path.join(d, "itip-header")
        with open(header, "w") as f:
            f.write("Authorization: Bearer %s\n" % self.gateway)
        script = script.replace(
            "https://convene.council.example/api/v1/itip",
            self.srv.base + "/api/v1/itip").replace(
            "/etc/convene/itip-header", header)
        path = os.path.join(d, "convene-itip")
        with open(path, "w") as f:
            f.write(script)
        m = self.book()
        day = datetime.date.today() + datetime.timedelta(days=17)
        cal = self.counter_body(m["uid"], day, organizer=False)
        to_bob = ct.organizer_address(self.db, m["uid"], self.email["police"])
        to_hana = ct.organizer_address(self.db, m["uid"], self.email["health"])
        outlook = ("From: Bob <%s>\r\nTo: %s\r\nSubject: New Time Proposed"
                   "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
                   "alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: "
                   "text/plain\r\n\r\nProposed.\r\n--b\r\nContent-Type: text/"
                   "calendar; method=COUNTER\r\n\r\n%s\r\n--b--\r\n" % (
                       self.email["police"], to_bob, cal)).encode()
        typed = ("From: Hana <hana@nhs.example>\r\nTo: %s\r\nSubject: "
                 "Can't make it\r\n\r\nSorry, clinic all day.\r\n" %
                 to_hana).encode()
        env = dict(os.environ)
        env.pop("RECIPIENT", None)

        def pipe(raw, rcpt):
            e = dict(env)
            e.pop("ORIGINAL_RECIPIENT", None)
            if rcpt is not None:
                e["ORIGINAL_RECIPIENT"] = rcpt	# as Postfix's local(8)
            p = subprocess.run(["/usr/bin/python3", path], input=raw,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60, env=e)
            self.assertEqual(p.returncode, 0, p.stderr.decode())

        def counters():
            return ct.query(self.db, "SELECT count(*) FROM counter_proposals "
                            "WHERE discussion_id = %s", (m["id"],))[0][0]

        # Without the delivery address an ORGANIZER-less COUNTER says
        # nothing about whom it speaks for: delivered (202), kept, unused.
        pipe(outlook, None)
        self.assertEqual(counters(), 0)
        # Delivered to Hana's address, Bob's COUNTER is not Bob's to make.
        pipe(outlook, to_hana)
        self.assertEqual(counters(), 0)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM itip_inbox "
                                  "WHERE discussion_id = %s AND status = "
                                  "'unmatched'", (m["id"],))[0][0], 2)
        for raw, rcpt in ((outlook, to_bob), (typed, to_hana)):
            pipe(raw, rcpt)
        self.assertEqual(counters(), 1)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM itip_inbox "
                                  "WHERE status = 'mail' AND subject = "
                                  "'Can''t make it'")[0][0], 1)

    # ---- 5. CANCEL --------------------------------------------------------------

    def test_05_cancels(self):
        m = self.book()
        uid, mid = m["uid"], m["id"]
        self.wait_for(uid, 3)
        pid = [p["id"] for p in m["participants"]
               if p["contact_id"] == self.contact["health"]][0]
        st, _, b = self.call("PATCH", "/api/v1/meetings/%d" % mid, self.sw,
                             {"remove_participants": [pid],
                              "missing_agency_reason": "Health not needed"})
        self.assertEqual(st, 200, b)
        got = self.wait_for(uid, 6)	# 3 invites, 2 updates, 1 CANCEL
        cancels = [g for g in got if g[2].get_content_type() and
                   b"METHOD:CANCEL" in g[3]]
        self.assertEqual(len(cancels), 1)
        env, raw, msg, iraw, ev = cancels[0]
        self.assertNotIn("STATUS", ev)
        self.assertNotIn(b"RSVP", iraw)
        _, vev = vobj_event(iraw)
        self.assertFalse(hasattr(vev, "status"))
        self.assertIsNone(icaljs(iraw)["events"][0]["status"])
        self.assertNotIn("Please answer", str(ev["DESCRIPTION"]))
        self.assertNotIn("Please answer", text_part(msg))
        st, _, b = self.call("POST", "/api/v1/meetings/%d/cancel" % mid,
                             self.sw, {"reason": "Not needed"})
        self.assertEqual(st, 200, b)
        got = self.wait_for(uid, 8)
        for g in got[-2:]:
            self.assertEqual(str(g[4]["STATUS"]), "CANCELLED")
            self.assertNotIn(b"RSVP", g[3])
            self.assertNotIn("Please answer", str(g[4]["DESCRIPTION"]))
            for a in icaljs(g[3])["events"][0]["attendees"]:
                self.assertIsNone(a["rsvp"])

    # ---- 6. one address, one attendee ---------------------------------------

    def test_06_same_address_twice(self):
        m = self.book(extra=[{"name": "Bob Police (desk)",
                              "email": "BOB.POLICE@police.EXAMPLE",
                              "agency": "police"}])
        got = self.wait_for(m["uid"], 3)
        for g in got:
            addrs = [str(a).lower() for a in attendees(g[4])]
            self.assertEqual(len(addrs), len(set(addrs)), addrs)
            self.assertEqual(addrs.count("mailto:" + self.email["police"]),
                             1)
            self.assertEqual(len(icaljs(g[3])["events"][0]["attendees"]), 3)

    # ---- 7. feeds -------------------------------------------------------------

    def raw_get(self, path, headers=None, srv=None):
        srv = srv or self.srv
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        hdrs = r.getheaders()
        c.close()
        return r.status, hdrs, body

    def test_07_feeds(self):
        m = self.book()
        st, _, f = self.call("POST", "/api/v1/feeds", self.admin,
                             {"organisation_id": self.org_police})
        self.assertEqual(st, 201, f)
        path = f["url"][f["url"].index("/feeds/"):]
        st, hdrs, body = self.raw_get(path)
        self.assertEqual(st, 200)
        h = {k.lower(): v for k, v in hdrs}
        self.assertIn("last-modified", h)
        self.assertNotIn("content-encoding", h)
        etag, lm = h["etag"], h["last-modified"]
        # When a poll first built this ETag (sql/038): not before the
        # latest change it shows or the feed's creation, not after now,
        # and what the table says, so that every instance agrees.
        upd = ct.query(self.db, "SELECT greatest(max(d.updated_at), "
                       "(SELECT created_at FROM feed_tokens WHERE id = %s)), "
                       "now(), (SELECT shown_at FROM feed_shown WHERE "
                       "feed_id = %s) FROM discussions d JOIN participants "
                       "p ON p.discussion_id = d.id WHERE lower(p.email) = "
                       "%s", (f["id"], f["id"], self.email["police"]))
        got = email.utils.parsedate_to_datetime(lm)
        self.assertGreaterEqual(got, upd[0][0].replace(microsecond=0))
        self.assertLessEqual(got, upd[0][1])
        self.assertEqual(got, upd[0][2].replace(microsecond=0))
        cal = icalendar.Calendar.from_ical(body)
        self.assertEqual(str(cal["X-WR-CALNAME"]),
                         "Strategy meetings (Convene)")
        j = icaljs(body)
        self.assertEqual(j["name"], "Strategy meetings (Convene)")
        self.assertEqual(j["refresh_interval"], "PT1H")
        self.assertEqual(j["x_published_ttl"], "PT1H")
        vcal = vobject.readOne(body.decode())
        self.assertEqual(vcal.x_wr_calname.value,
                         "Strategy meetings (Convene)")
        # DTSTAMP is the meeting's last change.
        ev = [e for e in cal.walk("VEVENT") if str(e["UID"]) == m["uid"]][0]
        row = ct.query(self.db, "SELECT updated_at FROM discussions WHERE "
                       "id = %s", (m["id"],))[0][0]
        self.assertEqual(as_utc(ev["DTSTAMP"].dt),
                         row.astimezone(UTC).replace(microsecond=0))
        # 304s: by ETag and by date, never "Content-Length: 0".
        for cond in ({"If-None-Match": etag}, {"If-Modified-Since": lm}):
            st, hdrs, b304 = self.raw_get(path, cond)
            self.assertEqual(st, 304, cond)
            self.assertEqual(b304, b"")
            h = {k.lower(): v for k, v in hdrs}
            self.assertNotEqual(h.get("content-length"), "0", hdrs)
            if "content-length" in h:
                self.assertEqual(int(h["content-length"]), len(body))
        old = email.utils.format_datetime(
            email.utils.parsedate_to_datetime(lm) -
            datetime.timedelta(seconds=1), usegmt=True)
        self.assertEqual(self.raw_get(path, {"If-Modified-Since": old})[0],
                         200)
        # gzip when accepted, the same calendar inside.
        st, hdrs, gz = self.raw_get(path, {"Accept-Encoding": "gzip, br"})
        h = {k.lower(): v for k, v in hdrs}
        self.assertEqual(h.get("content-encoding"), "gzip")
        self.assertIn("Accept-Encoding", h.get("vary", ""))
        self.assertEqual(gzip.decompress(gz), body)
        self.assertLess(len(gz), len(body))
        st, hdrs, _ = self.raw_get(path, {"Accept-Encoding": "gzip;q=0"})
        self.assertNotIn("content-encoding", {k.lower() for k, v in hdrs})
        # A second instance gives the same bytes.
        other = ct.Server(self.db, env=self.env)
        try:
            st, _, body2 = self.raw_get(path, srv=other)
            self.assertEqual(st, 200)
            self.assertEqual(body2, body)
        finally:
            other.stop()

    # ---- 8. headers and names ----------------------------------------------------

    def test_08_header_lines_and_quotes(self):
        aid = ct.query(self.db, "SELECT authority_id FROM teams WHERE "
                       "name = 'Interop Team'")[0][0]
        ct.query(self.db, "UPDATE authorities SET invite_title_template = "
                 "'Cyfarfod strategaeth amlasiantaethol: {{case_ref}} – "
                 "ŵŷ' WHERE id = %s RETURNING id", (aid,))
        try:
            m = self.book()
            got = self.wait_for(m["uid"], 3)
        finally:
            ct.query(self.db, "UPDATE authorities SET invite_title_template "
                     "= NULL WHERE id = %s RETURNING id", (aid,))
        for env, raw, msg, iraw, ev in got:
            for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"):
                if b"=?" in line:
                    self.assertLessEqual(len(line), 76, line)
            self.assertTrue(str(msg["Subject"]).startswith(
                "Cyfarfod strategaeth amlasiantaethol: %s – ŵŷ on " %
                m["case_ref"]), msg["Subject"])
            self.assertNotIn(b"^'", iraw.replace(b"\r\n ", b""))
            cns = [a.params.get("CN") for a in attendees(ev)]
            self.assertIn("DC 'Bob' Police", cns)
            js = [a["cn"] for a in icaljs(iraw)["events"][0]["attendees"]]
            self.assertIn("DC 'Bob' Police", js)

    # ---- 9. configuration -------------------------------------------------------

    def test_09_refuses_half_configured_relay(self):
        base = ["serve", "--listen", "127.0.0.1:%d" % ct.free_port(),
                "--database-url", self.db, "--data-dir",
                ct.tmpdir("convene-data-")]
        for env, name in (({"CONVENE_SMTP_URL": "smtp://127.0.0.1:25",
                            "CONVENE_BASE_URL": "https://c.example"},
                           "CONVENE_SMTP_FROM"),
                          ({"CONVENE_SMTP_URL": "smtp://127.0.0.1:25",
                            "CONVENE_SMTP_FROM": FROM},
                           "CONVENE_BASE_URL"),
                          ({"CONVENE_SMTP_URL": "smtp://127.0.0.1:25",
                            "CONVENE_SMTP_FROM": FROM,
                            "CONVENE_BASE_URL": "https://c.example",
                            "CONVENE_SMTP_TLS": "sometimes"},
                           "CONVENE_SMTP_TLS")):
            e = {k: v for k, v in os.environ.items()
                 if not k.startswith("CONVENE_") or k == "CONVENE_SOURCE_DIR"}
            e.update(env)
            p = subprocess.run([ct.convene_bin()] + base, env=e,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(name, p.stderr.decode(), env)

    # ---- 11. per-authority title and CLASS ----------------------------------

    def test_11_title_and_class(self):
        aid = ct.query(self.db, "SELECT authority_id FROM teams WHERE "
                       "name = 'Interop Team'")[0][0]
        m0 = self.book()
        got = self.wait_for(m0["uid"], 3)
        self.assertEqual(str(got[0][4]["SUMMARY"]),
                         "Strategy meeting: " + m0["case_ref"])
        self.assertEqual(str(got[0][4]["CLASS"]), "CONFIDENTIAL")
        ct.query(self.db, "UPDATE authorities SET invite_title_template = "
                 "'Multi-agency meeting {{case_ref}}', invite_class = "
                 "'PRIVATE' WHERE id = %s RETURNING id", (aid,))
        try:
            m = self.book()
            got = self.wait_for(m["uid"], 3)
        finally:
            ct.query(self.db, "UPDATE authorities SET invite_title_template "
                     "= NULL, invite_class = 'CONFIDENTIAL' WHERE id = %s "
                     "RETURNING id", (aid,))
        for env, raw, msg, iraw, ev in got:
            self.assertEqual(str(ev["SUMMARY"]),
                             "Multi-agency meeting " + m["case_ref"])
            self.assertEqual(str(ev["CLASS"]), "PRIVATE")
            self.assertTrue(str(msg["Subject"]).startswith(
                "Multi-agency meeting %s on " % m["case_ref"]))
            _, vev = vobj_event(iraw)
            self.assertEqual(vev.getChildValue("class"), "PRIVATE")
            self.assertEqual(icaljs(iraw)["events"][0]["class"], "PRIVATE")


if __name__ == "__main__":
    unittest.main()
