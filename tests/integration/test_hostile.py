"""Hostile requests against a running server (docs/reliability.md, "Hostile
input").

Several hundred generated cases, in two kinds:

- valid but hostile input (SQL injection strings, HTML/script, header and
  iCalendar look-alikes without control characters) in every text field of
  POST /api/v1/meetings and POST /api/v1/contacts: stored and returned
  verbatim in JSON, escaped on the meeting page, never splitting a header of
  the .eml files the server writes (no SMTP configured) nor a property of
  their iCalendar parts (parsed with python3-icalendar);
- requests that must be refused: CR/LF in one-line fields, invalid and
  overlong UTF-8 and NUL in JSON and forms, huge bodies, path traversal on
  static files, method override, oversized headers, invalid cookies, forged
  and replayed CSRF, RSVP and feed tokens, SQL in query parameters. Each
  must get its documented 4xx, and the row counts of every table (the audit
  log included) must be the same after it as before.

Also: a slow body does not stop others being served; /healthz answers 200 at
the end; the server exits cleanly (Server.stop: status 0, no sanitizer
report). Prints one line:
  hostile: N sent, R rejected as documented, 0 stored, 0 crashes
("sent" counts every case, "rejected" those whose documented answer is a
4xx, "stored" rejected ones that changed a row count.)

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_hostile.py
"""

import email
import email.policy
import glob
import html
import json
import os
import re
import secrets
import socket
import sys
import time
import unittest
import urllib.parse

import icalendar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

MAX_BODY = 256 * 1024

SQLI = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE discussions; --",
    "\"; DROP TABLE audit_log; --",
    "1; SELECT pg_sleep(5) --",
    "admin'--",
    "' UNION SELECT password_hash FROM users --",
    "%' OR 'x' LIKE '%",
    "$1, $2) --",
    "'); TRUNCATE cases CASCADE; --",
    "\\'; DELETE FROM audit_log; --",
    "1' AND (SELECT count(*) FROM sessions) > 0 --",
    "E'\\x27' || chr(39)",
    "'||(SELECT csrf FROM sessions LIMIT 1)||'",
]
XSS = [
    "<script>alert(1)</script>",
    "\"><script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "';alert(1);//",
    "</textarea><script>alert(1)</script>",
    "<iframe src=\"//evil.example\"></iframe>",
    "javascript:alert(1)",
    "{{7*7}}{{{raw}}}{{>partial}}",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<body onload=alert(1)>",
    "\u003cscript\u003eé€😀</script>",
    "<style>*{display:none}</style>",
]
# Look like header or iCalendar syntax but hold no control character:
# valid one-line text, stored verbatim, escaped by libical and MIME.
LOOKALIKE = [
    "Room 1;X-INJECTED=1:evil",
    "Room 1\\nX-INJECTED:1",
    "Room 1%0d%0aX-Injected: 1",
    "Room 1,ATTENDEE:mailto:evil@attacker.example",
    "Room 1\u2028X-Injected: 1",
    "Room 1\u0085X-Injected: 1",
    "=?utf-8?q?X-Injected=3A_1?=",
]
# Control characters that would split a header or an iCalendar line.
CRLF = [
    "x\r\nBcc: evil@attacker.example",
    "x\nX-Injected: 1",
    "x\rSubject: hijacked",
    "x\r\n\r\n<html>body</html>",
    "x\r\nATTENDEE:mailto:evil@attacker.example",
    "x\r\n END:VEVENT",
    "x\tX-Injected: 1",
    "x\x0bX-Injected: 1",
    "x\x1bX-Injected: 1",
    "x\x7fX-Injected: 1",
]
# Bodies that are not valid UTF-8 JSON (400, field "body").
BAD_BYTES = [
    b"\xc0\xaf",			# overlong '/'
    b"\xc1\xbf",			# overlong
    b"\xe0\x80\xaf",		# overlong 3-byte '/'
    b"\xf0\x80\x80\xaf",		# overlong 4-byte '/'
    b"\xc0\x80",			# overlong NUL (modified UTF-8)
    b"\xed\xa0\x80",		# a surrogate
    b"\xf4\x90\x80\x80",		# above U+10FFFF
    b"\xff\xfe",
    b"\x80",			# lone continuation
    b"\xe2\x82",			# truncated
    b"\x00",			# raw NUL
    b"\\u0000",			# escaped NUL
    b"\\ud800",			# lone surrogate escape
]
# Form bodies that are not valid urlencoded UTF-8 (400).
BAD_FORM = [
    "%C0%AF", "%E0%80%AF", "%ED%A0%80", "%FF", "%00", "%C0%80", "%zz",
    "%4", "%", "%F4%90%80%80",
]
TRAVERSAL_PREFIX = [
    "/assets/../../../../{f}",
    "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/{f}",
    "/assets/%2E%2E/%2E%2E/%2E%2E/%2E%2E/{f}",
    "/assets/..%2f..%2f..%2f..%2f{f}",
    "/assets/..%2F..%2F..%2F..%2F{f}",
    "/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f{f}",
    "/assets/....//....//....//....//{f}",
    "/assets/..\\..\\..\\..\\{f}",
    "/assets/%252e%252e/%252e%252e/%252e%252e/{f}",
    "/assets/.%2e/.%2e/.%2e/.%2e/{f}",
    "/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/{f}",
    "/assets/govuk/../../../../../{f}",
    "/assets/convene/%2e%2e/%2e%2e/%2e%2e/%2e%2e/{f}",
    "/assets//{f}",
    "/assets/%2f{f}",
    "/assets/%00/../../../../{f}",
    "/assets/images/..%5c..%5c..%5c..%5c{f}",
]
TRAVERSAL_FILES = ["etc/passwd", "proc/self/environ", "CMakeLists.txt",
                   "server/main.c"]
LEAK_MARKERS = ["root:x:0:0", "cmake_minimum_required", "#include",
                "PATH=", "CONVENE_"]


def ics_text_props(ics, name):
    """The values of property name in an iCalendar text, unfolded and
    unescaped by RFC 5545 3.3.11 (python3-icalendar 4 turns an escaped
    backslash followed by "n" into a line break, so it is not used here)."""
    out = []
    # Content lines end in CRLF only (str.splitlines would also split at
    # U+2028 and U+0085, which are ordinary text in iCalendar).
    for line in re.split(r"\r?\n", re.sub(r"\r?\n[ \t]", "", ics)):
        quoted = False
        for i, c in enumerate(line):
            if c == '"':
                quoted = not quoted
            elif c == ":" and not quoted:
                break
        else:
            continue
        head, value = line[:i], line[i + 1:]
        if re.split(r"[;]", head, 1)[0].upper() != name:
            continue
        out.append(re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1)
                          in "nN" else m.group(1), value))
    return out


class Tally:
    def __init__(self):
        self.sent = 0
        self.rejected = 0
        self.stored = 0
        self.notes = []


class HostileTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_hostile")
        ct.add_user(cls.db, "h-admin", "admin")
        cls.sw_pw = ct.add_user(cls.db, "h-sw", "social_worker",
                                team="Hostile Team")
        cls.sw_b_pw = ct.add_user(cls.db, "h-sw-b", "social_worker",
                                  team="Other Team")
        cls.admin = ct.token(cls.db, "h-admin")
        cls.sw = ct.token(cls.db, "h-sw")
        cls.srv = ct.Server(cls.db)
        cls.outbox = os.path.join(cls.srv.data_dir, "outbox")
        cls.t = Tally()
        cls.n = 0
        cls.meetings = {}	# id -> (field, payload, uid)

    @classmethod
    def tearDownClass(cls):
        if cls.srv.running:
            cls.srv.kill()

    # ---- helpers ------------------------------------------------------

    def api(self, method, path, **kw):
        return ct.api(method, self.srv.base, path, **kw)

    def next_ref(self):
        type(self).n += 1
        return "HOST-%d" % self.n

    def booking(self):
        return {
            "case_ref": self.next_ref(),
            "children": [{"name": "Child Hostile",
                          "date_of_birth": "2016-05-04"}],
            "kind": "meeting", "reason": "Concern raised by school",
            "concern_received_at": "2026-11-01T09:00",
            "starts_at": "2027-01-15T10:00", "duration_minutes": 60,
            "format": "video", "location": "Room 1", "chair": "Chair H",
            "participants": [{"name": "DS Hostile",
                              "email": "ds.hostile@police.example",
                              "agency": "police",
                              "organisation": "Hostile Police",
                              "role": "Detective Sergeant"}],
            "missing_agency_reason": "Social care and health by phone",
        }

    @staticmethod
    def put(body, path, value):
        o = body
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = value

    @staticmethod
    def get(body, path):
        o = body
        for k in path:
            o = o[k]
        return o

    def rejected(self, what, fn, expect, field=None):
        """Send one request that must be refused with a status in expect
        (and, for the API, naming field); counts must not change."""
        before = ct.counts(self.db)
        st, _, body = fn()
        self.t.sent += 1
        after = ct.counts(self.db)
        if before != after:
            self.t.stored += 1
            self.t.notes.append("%s changed counts" % what)
        self.assertIn(st, expect, "%s: %r %s" % (what, st, str(body)[:300]))
        if field is not None:
            self.assertIsInstance(body, dict, what)
            self.assertEqual(body["error"].get("field"), field,
                             "%s: %s" % (what, body))
        self.t.rejected += 1
        return st, body

    def raw(self, data, timeout=10, read=True):
        """Send bytes on a new connection; (status, head, body bytes,
        closed) where closed says the server closed the connection."""
        s = socket.create_connection(("127.0.0.1", self.srv.port),
                                     timeout=timeout)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            buf = b""
            closed = False
            while read:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    closed = True
                    break
                except socket.timeout:
                    break
                if not chunk:
                    closed = True
                    break
                buf += chunk
            head, _, body = buf.partition(b"\r\n\r\n")
            m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
            return (int(m.group(1)) if m else None), head, body, closed
        finally:
            s.close()

    # ---- the run ------------------------------------------------------

    def section(self, name, fn, *args):
        t = time.monotonic()
        fn(*args)
        self.timing.append("%s %.1fs" % (name, time.monotonic() - t))

    def test_hostile(self):
        t0 = time.monotonic()
        self.timing = []
        # Valid hostile input first, and the mail it causes delivered, so
        # that nothing changes in the background while refusals are counted.
        self.section('contacts', self.contacts)
        self.section('bookings', self.bookings)
        self.section('lookalikes', self.lookalikes)
        self.section('mail_and_ics', self.mail_and_ics)
        cookie = ct.sign_in(self.srv.base, "h-sw", self.sw_pw)
        self.section('pages', self.pages, cookie)
        self.section('crlf', self.crlf)
        self.section('encodings', self.encodings, cookie)
        self.section('sizes', self.sizes, cookie)
        self.section('slow_body', self.slow_body)
        self.section('traversal', self.traversal)
        self.section('method_override', self.method_override)
        self.section('header_limits', self.header_limits)
        self.section('cookies', self.cookies)
        self.section('csrf', self.csrf, cookie)
        self.section('queries', self.queries)
        self.section('rsvp_tokens', self.rsvp_tokens)
        self.section('feed_tokens', self.feed_tokens)
        st, _, body = self.api("GET", "/healthz")
        self.assertEqual(st, 200, body)
        self.srv.stop()		# asserts exit 0 and no sanitizer report
        self.assertEqual(self.t.stored, 0, self.t.notes)
        self.assertGreaterEqual(self.t.sent, 500)
        print("hostile: %d sent, %d rejected as documented, %d stored, "
              "0 crashes" % (self.t.sent, self.t.rejected, self.t.stored))
        if os.environ.get("CONVENE_HOSTILE_TIMING"):
            sys.stderr.write("hostile timing: %s\n" % ", ".join(self.timing))
        sys.stdout.flush()
        self.assertLess(time.monotonic() - t0, 300)

    def contacts(self):
        """SQL and HTML in each text field of a contact: stored verbatim."""
        fields = ["name", "organisation", "role", "phone"]
        i = 0
        for f in fields:
            for p in SQLI + XSS:
                i += 1
                value = p[:40] if f == "phone" else p
                body = {"name": "Contact %d" % i,
                        "email": "c%d@hostile.example" % i,
                        "agency": "health", "organisation": "Org %d" % i}
                body[f] = value
                st, _, c = self.api("POST", "/api/v1/contacts",
                                    token=self.admin, json=body)
                self.t.sent += 1
                self.assertEqual(st, 201, (f, p, c))
                if f in c:
                    self.assertEqual(c[f], value, f)
        st, _, lst = self.api("GET", "/api/v1/contacts?agency=health",
                              token=self.sw)
        self.assertEqual(st, 200)
        by_email = {c["email"]: c for c in lst["contacts"]}
        i = 0
        for f in fields:
            for p in SQLI + XSS:
                i += 1
                c = by_email["c%d@hostile.example" % i]
                self.assertEqual(c[f], p[:40] if f == "phone" else p,
                                 (f, p))
        self.feed_contact = next(c["id"] for c in lst["contacts"]
                           if c["email"] == "c1@hostile.example")

    FIELDS = [("reason",), ("location",), ("chair",),
              ("missing_agency_reason",), ("children", 0, "name"),
              ("participants", 0, "name"),
              ("participants", 0, "organisation"),
              ("participants", 0, "role")]

    def book(self, path, value):
        body = self.booking()
        self.put(body, path, value)
        st, _, m = self.api("POST", "/api/v1/meetings", token=self.sw,
                            json=body)
        self.t.sent += 1
        self.assertEqual(st, 201, (path, value, m))
        self.meetings[m["id"]] = (path, value, m["uid"], body)
        return m

    def check_json(self, m, path, value):
        if path[0] in ("children", "participants"):
            got = [x[path[2]] for x in m[path[0]]]
            self.assertIn(value, got, path)
        else:
            self.assertEqual(m[path[0]], value, path)

    def bookings(self):
        """SQL and HTML in every text field of a booking: 201, verbatim in
        the answer and when read back."""
        for path in self.FIELDS:
            for p in SQLI + XSS:
                m = self.book(path, p)
                self.check_json(m, path, p)
        for mid, (path, value, _, _) in list(self.meetings.items()):
            st, _, m = self.api("GET", "/api/v1/meetings/%d" % mid,
                                token=self.sw)
            self.assertEqual(st, 200)
            self.check_json(m, path, value)
        # The tables the injections name are all still there and whole.
        for table in ("discussions", "audit_log", "cases", "users",
                      "sessions"):
            ct.query(self.db, "SELECT count(*) FROM %s" % table)
        n = ct.query(self.db, "SELECT count(*) FROM discussions")[0][0]
        self.assertEqual(n, len(self.meetings))

    def pages(self, cookie):
        """Every meeting page escapes what was stored: no payload with a
        '<', '>' or '"' appears raw, and the fields shown are shown as
        text (found again once the page is unescaped)."""
        shown = {}
        for mid, (path, value, _, _) in self.meetings.items():
            if value not in XSS:
                continue
            st, _, page = ct.form("GET", self.srv.base, "/meetings/%d" % mid,
                                  cookie=cookie)
            self.assertEqual(st, 200, page[:300])
            if any(c in value for c in "<>\""):
                self.assertNotIn(value, page, (path, value))
            for tag in ("<script>alert", "<img", "<svg", "<iframe",
                        "<body onload", "<style>", "<a href=\"javascript",
                        "</textarea>"):
                self.assertNotIn(tag, page, (path, value))
            if value in html.unescape(page):
                shown.setdefault(path, 0)
                shown[path] += 1
        # The main text fields are on the page (escaped, not dropped).
        for path in (("reason",), ("location",), ("chair",),
                     ("participants", 0, "name")):
            self.assertEqual(shown.get(path), len(XSS), (path, shown))

    def crlf(self):
        """Control characters in one-line fields: 422 naming the field."""
        one_line = [("case_ref",), ("location",), ("chair",),
                    ("children", 0, "name"), ("participants", 0, "name"),
                    ("participants", 0, "organisation"),
                    ("participants", 0, "role")]
        for path in one_line:
            field = path[0] if len(path) == 1 else \
                "%s[%d].%s" % path
            for p in CRLF:
                body = self.booking()
                self.put(body, path, p)
                self.rejected("crlf %s" % field, lambda b=body: self.api(
                    "POST", "/api/v1/meetings", token=self.sw, json=b),
                    (422,), field)
        # SQL and HTML in case_ref: outside its alphabet, 422.
        for p in SQLI + XSS:
            body = self.booking()
            body["case_ref"] = p
            self.rejected("case_ref %r" % p, lambda b=body: self.api(
                "POST", "/api/v1/meetings", token=self.sw, json=b),
                (422,), "case_ref")
        # SQL and HTML as unknown keys: 422 naming the key; a long key of
        # multi-byte characters is named cut at a character boundary
        # (fuzz_json found it cut mid-character, which lost the field).
        for p in SQLI + XSS + ["\u00e9" * 60, "k\u20ac" * 40,
                               "\U0001F600" * 30]:
            body = self.booking()
            body[p] = 1
            st, err = self.rejected("unknown key %r" % p[:20],
                                    lambda b=body: self.api(
                                        "POST", "/api/v1/meetings",
                                        token=self.sw, json=b), (422,))
            field = err["error"].get("field")
            self.assertTrue(field and p.startswith(field) and
                            len(field.encode()) >= 90 if len(p.encode()) > 95
                            else field == p, (p, err))
            self.assertTrue(err["error"]["message"].startswith(field), err)
        # An empty key names what holds it (fuzz_json found field "").
        for where, field in ((None, "body"), ("participants", "participants[0]"),
                             ("children", "children[0]")):
            body = self.booking()
            (body if where is None else body[where][0])[""] = 1
            self.rejected("empty key in %s" % field, lambda b=body: self.api(
                "POST", "/api/v1/meetings", token=self.sw, json=b), (422,),
                field)
        for p in CRLF[:5]:
            for f in ("name", "organisation", "role", "phone"):
                body = {"name": "C", "email": "crlf@hostile.example",
                        "agency": "police", "organisation": "O"}
                body[f] = p
                self.rejected("contact crlf %s" % f, lambda b=body: self.api(
                    "POST", "/api/v1/contacts", token=self.admin, json=b),
                    (422,), f)
            body = {"name": "C", "email": "x@hostile.example" + p,
                    "agency": "police", "organisation": "O"}
            self.rejected("contact email crlf", lambda b=body: self.api(
                "POST", "/api/v1/contacts", token=self.admin, json=b),
                (422,), "email")

    def lookalikes(self):
        """Header and iCalendar look-alikes without control characters
        are valid text: stored verbatim (the mail is checked later)."""
        for path in (("location",), ("chair",), ("participants", 0, "name"),
                     ("participants", 0, "organisation"),
                     ("participants", 0, "role")):
            for p in LOOKALIKE:
                m = self.book(path, p)
                self.check_json(m, path, p)

    def encodings(self, cookie):
        """Invalid, overlong UTF-8 and NUL: 400 on "body" (JSON) or 400
        (forms)."""
        good = json.dumps(self.booking()).encode()
        contact = json.dumps({"name": "N", "email": "enc@hostile.example",
                              "agency": "police",
                              "organisation": "O"}).encode()
        for bad in BAD_BYTES:
            for where in (b'"reason": "', b'"location": "', b'"case_ref": "'):
                data = good.replace(where, where + b"a" + bad, 1)
                self.assertNotEqual(data, good)
                self.rejected("json %r in %r" % (bad, where),
                              lambda d=data: self.api(
                                  "POST", "/api/v1/meetings", token=self.sw,
                                  raw=d), (400,), "body")
            data = contact.replace(b'"name": "', b'"name": "' + bad, 1)
            self.rejected("contact json %r" % bad, lambda d=data: self.api(
                "POST", "/api/v1/contacts", token=self.admin, raw=d),
                (400,), "body")
            # In a key, too.
            data = good.replace(b'"chair"', b'"ch' + bad + b'air"', 1)
            self.rejected("json key %r" % bad, lambda d=data: self.api(
                "POST", "/api/v1/meetings", token=self.sw, raw=d),
                (400,), "body")
        # Trailing bytes after the object, duplicate keys.
        for tail in (b"\x00", b" {}", b"\xff"):
            self.rejected("json tail %r" % tail, lambda d=good + tail:
                          self.api("POST", "/api/v1/meetings",
                                   token=self.sw, raw=d), (400,), "body")
        self.rejected("json duplicate", lambda: self.api(
            "POST", "/api/v1/meetings", token=self.sw,
            raw=good[:-1] + b', "chair": "again"}'), (400,), "body")
        # Forms: the web booking form with a valid CSRF token.
        csrf = ct.session_csrf(self.db, cookie)
        for bad in BAD_FORM:
            for field in ("case_ref", "reason", "csrf_token"):
                data = "csrf_token=%s&case_ref=SC-1&reason=r" % csrf
                # "g" after it: "%4" then a hex digit would be an escape.
                data = data.replace(field + "=", field + "=a" + bad + "g", 1)
                self.rejected("form %s %s" % (field, bad),
                              lambda d=data: ct.api(
                                  "POST", self.srv.base, "/meetings/new",
                                  raw=d.encode(), headers={
                                      "Content-Type":
                                      "application/x-www-form-urlencoded",
                                      "Cookie": "convene_session=" +
                                      cookie}), (400,))
        # Raw (unescaped) invalid bytes in a form.
        for bad in (b"\xff", b"\xc0\xaf", b"\x00", b"\xed\xa0\x80"):
            data = b"csrf_token=" + csrf.encode() + b"&reason=a" + bad
            self.rejected("form raw %r" % bad, lambda d=data: ct.api(
                "POST", self.srv.base, "/meetings/new", raw=d, headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": "convene_session=" + cookie}), (400,))

    def sizes(self, cookie):
        """Bodies over 256 KiB: 413, read or not."""
        big = b'{"reason": "' + b"x" * (MAX_BODY + 10) + b'"}'
        for path, tok in (("/api/v1/meetings", self.sw),
                          ("/api/v1/contacts", self.admin)):
            self.rejected("huge %s" % path, lambda p=path, k=tok: self.api(
                "POST", p, token=k, raw=big), (413,))
        self.rejected("huge form", lambda: ct.api(
            "POST", self.srv.base, "/meetings/new",
            raw=b"reason=" + b"x" * (MAX_BODY + 10), headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "convene_session=" + cookie}), (413,))
        # A claim of a terabyte, refused before any of it is read.
        for path in ("/api/v1/meetings", "/meetings/new", "/sign-in"):
            req = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                   "%s\r\nContent-Type: application/json\r\n"
                   "Content-Length: 1099511627776\r\nConnection: close\r\n"
                   "\r\n{" % (path, self.sw)).encode()

            def send(r=req):
                st, head, body, _ = self.raw(r)
                return st, head, body
            self.rejected("claimed 1 TiB %s" % path, send, (413,))
        # Chunked, no length: refused when it passes the limit.
        chunk = b"x" * 65536
        req = ("POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Bearer %s\r\nContent-Type: application/json"
               "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               % self.sw).encode()
        req += (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 5 + b"0\r\n\r\n"

        def send_chunked():
            st, head, body, _ = self.raw(req)
            return st, head, body
        self.rejected("chunked over the limit", send_chunked, (413,))

    def slow_body(self):
        """A body sent a byte at a time does not hold up anyone else."""
        body = b'{"kind": "meeting"}'
        s = socket.create_connection(("127.0.0.1", self.srv.port),
                                     timeout=30)
        before = ct.counts(self.db)
        worst = 0.0
        try:
            s.sendall(("POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: "
                       "application/json\r\nContent-Length: %d\r\n"
                       "Connection: close\r\n\r\n" % (self.sw, len(body))
                       ).encode())
            for b in body:
                s.sendall(bytes([b]))
                t = time.monotonic()
                st, _, _ = self.api("GET", "/api/v1/contacts?agency=police",
                                    token=self.sw)
                self.assertEqual(st, 200)
                worst = max(worst, time.monotonic() - t)
                time.sleep(0.25)
            resp = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                resp += c
        finally:
            s.close()
        self.t.sent += 1
        self.assertTrue(resp.startswith(b"HTTP/1.1 422"), resp[:200])
        self.assertEqual(ct.counts(self.db), before)
        self.t.rejected += 1
        self.assertLess(worst, 5.0, "others waited %.1f s" % worst)

    def traversal(self):
        """Path tricks on /assets/: 4xx, never a file's contents."""
        for f in TRAVERSAL_FILES:
            for pat in TRAVERSAL_PREFIX:
                path = pat.format(f=f)
                req = ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "\r\n" % path).encode()

                def send(r=req):
                    st, head, body, _ = self.raw(r)
                    return st, head, body.decode("utf-8", "replace")
                st, body = self.rejected("traversal %s" % path, send,
                                         (400, 403, 404))
                for mark in LEAK_MARKERS:
                    self.assertNotIn(mark, body, path)

    def method_override(self):
        """X-HTTP-Method-Override and its cousins are ignored."""
        mid = next(iter(self.meetings))
        st, _, before = self.api("GET", "/api/v1/meetings/%d" % mid,
                                 token=self.sw)
        self.assertEqual(st, 200)
        for h in ("X-HTTP-Method-Override", "X-HTTP-Method",
                  "X-Method-Override"):
            for m in ("PATCH", "DELETE", "PUT"):
                self.rejected("POST with %s: %s" % (h, m), lambda h=h, m=m:
                              self.api("POST", "/api/v1/meetings/%d" % mid,
                                       token=self.sw, headers={h: m},
                                       json={"reason": "overridden"}),
                              (405,))
                # A GET stays a read.
                c0 = ct.counts(self.db)
                st, _, got = self.api("GET", "/api/v1/meetings/%d" % mid,
                                      token=self.sw, headers={h: m})
                self.t.sent += 1
                self.assertEqual(st, 200)
                self.assertEqual(got, before)
                self.assertEqual(ct.counts(self.db), c0)
        # A form's _method field means nothing either.
        st, _, after = self.api("GET", "/api/v1/meetings/%d" % mid,
                                token=self.sw)
        self.assertEqual(after, before)

    def header_limits(self):
        """Headers over the limit: refused, the connection closed, the
        server still up."""
        cases = [
            "X-Big: " + "a" * 70000,
            "Cookie: convene_session=" + "b" * 70000,
            "Authorization: Bearer " + "c" * 70000,
            "\r\n".join("X-H%d: %s" % (i, "d" * 40) for i in range(2000)),
            "X-Big: " + "e" * 200000,
        ]
        for hdr in cases:
            req = ("GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n"
                   % hdr).encode()
            closed = []

            def send(r=req):
                st, head, body, cl = self.raw(r)
                closed.append(cl)
                return st, head, body
            self.rejected("oversized header %d" % len(hdr), send,
                          (400, 413, 414, 431))
            self.assertTrue(closed[0], "connection left open")
            st, _, _ = self.api("GET", "/healthz")
            self.assertEqual(st, 200)
        # A long path: 414.
        self.rejected("long path", lambda: self.api(
            "GET", "/api/v1/meetings/" + "9" * 3000, token=self.sw), (414,))

    def cookies(self):
        """Invalid session cookies: no session (sign-in page or 401)."""
        bad = ["", "x", "0" * 64, secrets.token_hex(32),
               secrets.token_urlsafe(32), "' OR '1'='1",
               "%00", "a" * 4000, "\u00e9t\u00e9".encode().decode("latin-1"),
               "deleted; Path=/", "null", "undefined"]
        for v in bad:
            hdr = {"Cookie": "convene_session=" + v}
            self.rejected("cookie api %r" % v[:20], lambda h=hdr: self.api(
                "GET", "/api/v1/meetings", headers=h), (401,))
            locs = []

            def page(h=hdr):
                st, rh, body = ct.api("GET", self.srv.base, "/meetings",
                                      headers=h)
                locs.append(rh.get("Location", ""))
                return st, rh, body
            st, _ = self.rejected("cookie page %r" % v[:20], page, (303,))
            self.assertTrue(locs[0].startswith("/sign-in"), locs)

    def csrf(self, cookie):
        """Forged, missing, other sessions' and ended sessions' CSRF
        tokens: 403 on a form POST and on a cookie API call."""
        mid = next(iter(self.meetings))
        own = ct.session_csrf(self.db, cookie)
        other = ct.sign_in(self.srv.base, "h-sw-b", self.sw_b_pw)
        other_csrf = ct.session_csrf(self.db, other)
        ended = ct.sign_in(self.srv.base, "h-sw", self.sw_pw)
        ended_csrf = ct.session_csrf(self.db, ended)
        st, _, _ = ct.form("POST", self.srv.base, "/sign-out", {},
                           cookie=ended, csrf=ended_csrf)
        self.assertIn(st, (200, 303))
        forged = [None, "", secrets.token_hex(32), other_csrf, ended_csrf,
                  own.upper() if own != own.upper() else own.lower(),
                  own + "0", own[:-1], " " + own, "' OR '1'='1",
                  "<script>alert(1)</script>"]
        for tok in forged:
            self.rejected("csrf form %r" % (tok or "")[:10],
                          lambda k=tok: ct.form(
                              "POST", self.srv.base,
                              "/meetings/%d/cancel" % mid,
                              {"reason": "forged"}, cookie=cookie, csrf=k),
                          (403,))
            if tok is not None and tok.strip() != tok:
                continue	# a header's surrounding spaces are not its value
            h = {"Cookie": "convene_session=" + cookie}
            if tok is not None:
                h["X-CSRF-Token"] = tok
            self.rejected("csrf api %r" % (tok or "")[:10],
                          lambda h=h: self.api(
                              "POST", "/api/v1/meetings/%d/cancel" % mid,
                              headers=h, json={"reason": "forged"}),
                          (403,), "csrf_token")
        # The ended session itself, with its own token: signed out.
        self.rejected("ended session", lambda: ct.form(
            "POST", self.srv.base, "/meetings/%d/cancel" % mid,
            {"reason": "replayed"}, cookie=ended, csrf=ended_csrf),
            (303, 401, 403))
        # Sign-in without its double-submit token, or a forged one.
        for tok, ck in ((None, None), ("forged", None), ("a", "b"),
                        (secrets.token_hex(16), secrets.token_hex(16))):
            fields = {"username": "h-sw", "password": self.sw_pw}
            if tok is not None:
                fields["csrf_token"] = tok
            self.rejected("sign-in csrf", lambda f=fields, c=ck: ct.form(
                "POST", self.srv.base, "/sign-in", f,
                cookies={ct.SIGNIN_COOKIE: c} if c else None), (403,))
        st, _, m = self.api("GET", "/api/v1/meetings/%d" % mid, token=self.sw)
        self.assertEqual(m["status"], "scheduled")
        ct.form("POST", self.srv.base, "/sign-out", {}, cookie=other,
                csrf=other_csrf)

    def queries(self):
        """SQL in query parameters: 400 where the parameter has a form;
        a text filter matches nothing and leaks nothing."""
        for p in SQLI:
            q = urllib.parse.quote(p)
            for param in ("from", "to", "classification", "status", "page",
                          "per_page"):
                self.rejected("query %s" % param, lambda pa=param, v=q:
                              self.api("GET", "/api/v1/meetings?%s=%s" %
                                       (pa, v), token=self.sw), (400,),
                              param)
            for param in ("team", "case_ref"):
                st, _, r = self.api("GET", "/api/v1/meetings?%s=%s" %
                                    (param, q), token=self.sw)
                self.t.sent += 1
                self.assertEqual(st, 200, r)
                self.assertEqual(r["total"], 0, (param, p))

    def mail_and_ics(self):
        """Every .eml written: no injected header, and its calendar parts
        parse with one VEVENT whose text fields are what was booked."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = ct.query(self.db, "SELECT count(*) FROM outbox WHERE "
                            "status <> 'sent'")[0][0]
            if left == 0:
                break
            time.sleep(0.5)
        self.assertEqual(left, 0, "outbox not drained")
        by_uid = {uid: (path, value, body) for path, value, uid, body
                  in self.meetings.values()}
        files = glob.glob(os.path.join(self.outbox, "*.eml"))
        self.assertEqual(len(files), len(self.meetings))
        self.rsvp = []
        for fn in files:
            with open(fn, "rb") as f:
                raw = f.read()
            self.assertTrue(all(b < 128 for b in raw), fn)
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            names = [k.lower() for k in msg.keys()]
            for bad in ("bcc", "x-injected", "cc"):
                self.assertNotIn(bad, names, fn)
            self.assertEqual(names.count("subject"), 1, fn)
            self.assertEqual(names.count("to"), 1, fn)
            to = msg["To"].addresses
            self.assertEqual(len(to), 1, (fn, str(msg["To"])))
            cals = [p for p in msg.walk() if p.get_content_type() in
                    ("text/calendar", "application/ics")]
            self.assertTrue(cals, fn)
            for part in cals:
                cal = icalendar.Calendar.from_ical(part.get_content())
                events = [c for c in cal.walk("VEVENT")]
                self.assertEqual(len(events), 1, fn)
                ev = events[0]
                self.assertNotIn("X-INJECTED", ev, fn)
                att = ev.get("ATTENDEE")
                att = att if isinstance(att, list) else [att]
                self.assertEqual(len(att), 1, fn)
                path, value, body = by_uid[str(ev["UID"])]
                want = body["participants"][0]
                self.assertEqual(str(att[0]), "mailto:" + want["email"])
                # One recipient, the invitee, whatever their name holds.
                self.assertEqual(to[0].addr_spec, want["email"], fn)
                self.assertEqual(to[0].display_name, want["name"], fn)
                # A '"' in a CN is written as "'" (issue 15: Outlook shows
                # RFC 6868's ^' as it is); other RFC 6868 escapes libical
                # writes are left as they are by python3-icalendar 4.
                cn = re.sub(r"\^(\^|n)", lambda m: {"^": "^", "n": "\n"}[
                    m.group(1)], att[0].params.get("CN"))
                self.assertNotIn("^'", cn, fn)
                self.assertEqual(cn, want["name"].replace('"', "'"), fn)
                text = part.get_content()
                if isinstance(text, bytes):
                    text = text.decode("utf-8")
                locs = ics_text_props(text, "LOCATION")
                self.assertLessEqual(len(locs), 1, fn)
                if locs:
                    self.assertEqual(locs[0], body["location"], fn)
                self.assertEqual(ics_text_props(text, "X-INJECTED"), [], fn)
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    m = re.search(r"/rsvp/([A-Za-z0-9_-]+)/accept",
                                  part.get_content())
                    if m:
                        self.rsvp.append(m.group(1))
        self.assertTrue(self.rsvp)

    def rsvp_tokens(self):
        """Forged and damaged RSVP tokens: 404; nothing recorded."""
        tok = self.rsvp[0]
        flip = "A" if tok[-1] != "A" else "B"
        mid_flip = tok[:5] + ("A" if tok[5] != "A" else "B") + tok[6:]
        forged = [tok[:-1] + flip, mid_flip, tok[:-4], tok + "AAAA",
                  "A" * len(tok), secrets.token_urlsafe(len(tok) * 3 // 4),
                  "%2e%2e", "' OR '1'='1", tok[::-1],
                  # standard base64 for base64url: "+" "/" are refused
                  tok[:3] + "+" + tok[4:], tok[:3] + "/" + tok[4:]]
        self.assertNotIn(tok, forged)
        for f in forged:
            for method in ("GET", "POST"):
                self.rejected("rsvp %s %s (real %s)" % (method, f, tok),
                              lambda m=method, f=f:
                              ct.api(m, self.srv.base, "/rsvp/%s/accept" %
                                     urllib.parse.quote(f, safe=""),
                                     headers={"Content-Type":
                                              "application/x-www-form-"
                                              "urlencoded"}), (404,))
        for answer in ("maybe", "ACCEPT", "accept%00", ".."):
            self.rejected("rsvp answer %s" % answer, lambda a=answer: ct.api(
                "POST", self.srv.base, "/rsvp/%s/%s" % (tok, a), raw=b"",
                headers={"Content-Type":
                         "application/x-www-form-urlencoded"}), (400, 404))

    def feed_tokens(self):
        """Forged and revoked feed tokens: 404."""
        st, _, feed = self.api("POST", "/api/v1/feeds", token=self.admin,
                               json={"contact_id": self.feed_contact})
        self.assertEqual(st, 201, feed)
        path = urllib.parse.urlparse(feed["url"]).path
        st, _, _ = self.api("GET", path)
        self.assertEqual(st, 200)
        hexpart = path.rsplit("/", 1)[1][:-4]
        st, _, _ = self.api("DELETE", "/api/v1/feeds/%d" % feed["id"],
                            token=self.admin)
        self.assertIn(st, (200, 204))
        forged = [path, "/feeds/%s.ics" % secrets.token_hex(32),
                  "/feeds/%s.ics" % hexpart.upper(),
                  "/feeds/%s.ics" % hexpart[:-1],
                  "/feeds/%s0.ics" % hexpart, "/feeds/%s" % hexpart,
                  "/feeds/%s.ics" % ("0" * 64), "/feeds/.ics",
                  "/feeds/%27%20OR%20%271%27%3D%271.ics",
                  "/feeds/..%2f..%2fetc%2fpasswd"]
        for p in forged:
            self.rejected("feed %s" % p[:30], lambda p=p: self.api("GET", p),
                          (404,))


if __name__ == "__main__":
    unittest.main()
