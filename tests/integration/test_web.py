"""The web pages over HTTP against a real PostgreSQL and `convene serve`.

- CSRF: every state-changing form refuses a missing or wrong token with 403
  and stores nothing (row counts of every table compared), while the same
  request with the right token succeeds;
- sign-in: its own form token, the session cookie's attributes, a pre-set
  session cookie is never accepted and sign-in issues a new one (fixation),
  sign-in rotates and sign-out ends the session, repeated failures lock the
  username for a while and are logged without the password;
- every page for every role (anonymous, social worker, social worker of
  another team, manager, administrator): the expected status, the security
  headers, no inline script or style attribute, a CSRF token in every POST
  form, lang="en-GB", Cache-Control: no-store;
- HTML and script typed into every text field come back escaped, on the
  re-shown form, the check-your-answers page and the pages that show it;
- static assets: long cache, content types, no fonts, no path tricks;
- a form with mistakes stores nothing and names the fields, and long text
  is kept whole or refused, never cut.
(tests/fuzz/fuzz_tmpl.c runs in test_fuzz_short.py.)

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_web.py -v
"""

import html
import http.client
import http.cookiejar
import os
import re
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

PAYLOAD = "<script>alert(\"x\")</script>'&`<img src=x onerror=alert(1)>"


def escaped(s):
    """What the template engine must turn s into."""
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;").replace("`", "&#96;"))


def london(days, hm):
    d = datetime.now(ZoneInfo("Europe/London")) + timedelta(days=days)
    return {"day": str(d.day), "month": str(d.month), "year": str(d.year),
            "time": hm}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie jar and no redirects: what a browser sends, step by step."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method, path, data=None, headers=None):
        body = None
        h = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            h.setdefault("Content-Type",
                         "application/x-www-form-urlencoded")
        req = urllib.request.Request(self.base + path, data=body,
                                     method=method, headers=h)
        try:
            r = self.opener.open(req, timeout=30)
            out = (r.status, r.headers, r.read().decode("utf-8"))
            r.close()
        except urllib.error.HTTPError as e:
            out = (e.code, e.headers, e.read().decode("utf-8"))
            e.close()
        return out

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def set_cookie(self, name, value, path="/"):
        host = urllib.parse.urlsplit(self.base).hostname
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, host, False, False, path, True,
            False, None, False, None, None, {}))

    def sign_in(self, user, password):
        st, _, body = self.get("/sign-in")
        assert st == 200, st
        st, h, body = self.post("/sign-in", {
            "csrf_token": token_in(body), "username": user,
            "password": password})
        assert st == 303, (st, body[:3000])
        # Managers and admins: the second step, or setting it up.
        where = ct.mfa_after_password(self.get, self.post, user,
                                      h["Location"])
        assert where == "/", (where, body[:3000])
        return self


def token_in(body):
    m = re.search(r'name="csrf_token" value="([0-9a-f.]+)"', body)
    assert m, "no csrf_token in the page"
    return m.group(1)


def hidden_fields(body):
    return [(html.unescape(n), html.unescape(v)) for n, v in re.findall(
        r'<input type="hidden" name="([^"]*)" value="([^"]*)"', body)]


class WebTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_web")
        cls.pw = {
            "admin": ct.add_user(cls.db, "w-admin", "admin"),
            "sw": ct.add_user(cls.db, "w-sw", "social_worker",
                              team="Web Team A"),
            "sw_b": ct.add_user(cls.db, "w-sw-b", "social_worker",
                                team="Web Team B"),
            "mgr": ct.add_user(cls.db, "w-mgr", "manager",
                               team="Web Team A"),
            "locked": ct.add_user(cls.db, "w-locked", "social_worker",
                                  team="Web Team A"),
        }
        admin_token = ct.token(cls.db, "w-admin")
        sw_token = ct.token(cls.db, "w-sw")
        cls.srv = ct.Server(cls.db)
        cls.contact = {}
        for agency, name, email, org in (
                ("police", "PC Web Police", "pc.web@police.example",
                 "Web Police"),
                ("health", "Nurse Web Health", "nurse.web@nhs.example",
                 "Web NHS Trust")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=admin_token, json={
                                     "name": name, "email": email,
                                     "agency": agency, "organisation": org})
            assert st == 201, body
            cls.contact[agency] = body["id"]
        cls.org_id = ct.query(cls.db, "SELECT organisation_id FROM contacts "
                              "WHERE id = %s", (cls.contact["police"],))[0][0]
        st, _, m = ct.api("POST", cls.srv.base, "/api/v1/meetings",
                          token=sw_token, json={
                              "case_ref": "WEB-1",
                              "children": [{"name": "Web Child"}],
                              "kind": "meeting", "reason": "Set-up meeting",
                              "concern_received_at": "2026-12-01T09:00",
                              "starts_at": "2026-12-02T10:00",
                              "format": "video",
                              "participants": [
                                  {"contact_id": cls.contact["police"]},
                                  {"contact_id": cls.contact["health"]},
                                  {"name": "Web Social", "agency":
                                   "social_care", "email":
                                   "web.social@council.example"}]})
        assert st == 201, m
        cls.meeting = m["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def browser(self, who=None):
        b = Browser(self.srv.base)
        if who is not None:
            b.sign_in({"admin": "w-admin", "sw": "w-sw", "sw_b": "w-sw-b",
                       "mgr": "w-mgr"}[who], self.pw[who])
        return b

    def counts(self):
        c = ct.counts(self.db)
        c.pop("sessions", None)		# touched by every page view
        return c

    def book_form(self, token, contacts=("police", "health"), **over):
        """A complete booking form, as the page posts it."""
        concern, when = london(-1, "09:00"), london(1, "14:00")
        f = [("csrf_token", token), ("children_n", "1"), ("extras_n", "1"),
             ("case_type", "new"), ("case_ref", "WEB-NEW"),
             ("child-0-name", "Pat Example"), ("kind", "meeting"),
             ("reason", "A reason"), ("duration", "60"),
             ("format", "video"), ("location", ""), ("chair", ""),
             ("include_me", "yes"), ("action", "confirm")]
        f += [("contact", str(self.contact[a])) for a in contacts]
        for k, v in concern.items():
            f.append(("concern-" + k, v))
        for k, v in when.items():
            f.append(("when-" + k, v))
        d = dict(over)
        out = []
        for k, v in f:
            if k in d:
                v = d.pop(k)
                if v is None:
                    continue
            out.append((k, v))
        out.extend(d.items())
        return out

    # ---- CSRF -----------------------------------------------------------

    def test_csrf_missing_or_wrong_is_403_and_stores_nothing(self):
        b = self.browser("sw")
        st, _, page = b.get("/meetings/new")
        good = token_in(page)
        wrong = "0" * len(good)
        mid = self.meeting
        forms = [
            ("/meetings/new", self.book_form(good)),
            ("/meetings/%d/cancel" % mid, [("reason", "no")]),
            ("/meetings/%d/reschedule" % mid, [("duration", "30")]),
            ("/meetings/%d/invitees" % mid, [("remove", "1")]),
            ("/meetings/%d/attendance" % mid, [("views", "no")]),
            ("/sign-out", []),
        ]
        before = self.counts()
        for path, form in forms:
            for label, tok in (("missing", None), ("wrong", wrong)):
                data = [(k, v) for k, v in form if k != "csrf_token"]
                if tok is not None:
                    data.append(("csrf_token", tok))
                st, _, body = b.post(path, data)
                self.assertEqual(st, 403, "%s with %s token" % (path, label))
                self.assertIn("form has expired", body)
        # The header form of the token is checked the same way.
        st, _, _ = b.request("POST", "/meetings/%d/cancel" % mid,
                             [("reason", "x")], {"X-CSRF-Token": wrong})
        self.assertEqual(st, 403)
        self.assertEqual(self.counts(), before)
        # Still signed in (sign-out was refused), and the same booking with
        # the right token works: the 403s were about the token alone.
        st, _, _ = b.get("/")
        self.assertEqual(st, 200)
        st, h, body = b.post("/meetings/new", self.book_form(
            good, case_ref="WEB-CSRF"))
        self.assertEqual(st, 303, body[:3000])
        self.assertRegex(h["Location"], r"^/meetings/\d+/booked$")
        after = self.counts()
        self.assertEqual(after["discussions"], before["discussions"] + 1)

    def test_csrf_admin_forms(self):
        b = self.browser("admin")
        st, _, page = b.get("/admin/users")
        wrong = "f" * len(token_in(page))
        before = self.counts()
        for path, form in (
                ("/directory/contacts/new", [("name", "X"),
                                             ("email", "x@example.org"),
                                             ("organisation_id",
                                              str(self.org_id))]),
                ("/directory/contacts/%d" % self.contact["police"],
                 [("name", "Changed"), ("email", "pc.web@police.example"),
                  ("organisation_id", str(self.org_id)),
                  ("active", "no")]),
                ("/directory/organisations/new", [("name", "Org"),
                                                  ("agency", "police")]),
                ("/admin/users/new", [("username", "w-new"),
                                      ("role", "admin")]),
                ("/admin/teams", [("team_name", "New team")])):
            for tok in (None, wrong):
                data = list(form) + ([("csrf_token", tok)] if tok else [])
                st, _, _ = b.post(path, data)
                self.assertEqual(st, 403, path)
        self.assertEqual(self.counts(), before)

    def test_sign_in_form_needs_its_token(self):
        b = Browser(self.srv.base)
        b.get("/sign-in")
        before = self.counts()
        for tok in (None, "0" * 64):
            data = {"username": "w-sw", "password": self.pw["sw"]}
            if tok:
                data["csrf_token"] = tok
            st, h, body = b.post("/sign-in", data)
            self.assertEqual(st, 403)
            self.assertIn("expired", body)
            self.assertIsNone(b.cookie("convene_session"))
        self.assertEqual(self.counts(), before)

    # ---- sessions -----------------------------------------------------------

    def test_session_fixation(self):
        planted = "ab" * 32
        b = Browser(self.srv.base)
        b.set_cookie("convene_session", planted)
        st, h, _ = b.get("/")
        self.assertEqual(st, 303)
        self.assertEqual(h["Location"], "/sign-in")
        # Sign in while carrying the planted id: a new one is issued.
        st, _, page = b.get("/sign-in")
        st, h, _ = b.post("/sign-in", {"csrf_token": token_in(page),
                                       "username": "w-sw",
                                       "password": self.pw["sw"]})
        self.assertEqual(st, 303)
        issued = b.cookie("convene_session")
        self.assertIsNotNone(issued)
        self.assertNotEqual(issued, planted)
        self.assertRegex(issued, r"^[0-9a-f]{64}$")
        cookie = [v for k, v in h.items() if k == "Set-Cookie" and
                  v.startswith("convene_session=")][0]
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="):
            self.assertIn(attr, cookie)
        self.assertNotIn("Secure", cookie)	# http base URL
        # The planted id is still not signed in; the issued one is.
        other = Browser(self.srv.base)
        other.set_cookie("convene_session", planted)
        self.assertEqual(other.get("/")[0], 303)
        self.assertEqual(b.get("/")[0], 200)
        # Only a hash of the id is stored.
        rows = ct.query(self.db, "SELECT count(*) FROM sessions WHERE "
                        "id_hash = %s", (issued,))
        self.assertEqual(rows[0][0], 0)

    def test_sign_in_rotates_and_sign_out_ends(self):
        b = self.browser("sw")
        first = b.cookie("convene_session")
        # Signing in again while signed in (the form came from another
        # tab): the session the browser brought is ended, a new one issued.
        st, _, page = Browser(self.srv.base).get("/sign-in")
        b.set_cookie("convene_signin", re.search(
            r'name="csrf_token" value="([0-9a-f.]+)"', page).group(1),
            path="/sign-in")
        st, _, _ = b.post("/sign-in", {"csrf_token": token_in(page),
                                       "username": "w-sw",
                                       "password": self.pw["sw"]})
        self.assertEqual(st, 303)
        second = b.cookie("convene_session")
        self.assertNotEqual(first, second)
        old = Browser(self.srv.base)
        old.set_cookie("convene_session", first)
        self.assertEqual(old.get("/")[0], 303, "old session still valid")
        st, _, page = b.get("/")
        st, h, _ = b.post("/sign-out", {"csrf_token": token_in(page)})
        self.assertEqual(st, 303)
        self.assertEqual(h["Location"], "/sign-in?signed-out=1")
        again = Browser(self.srv.base)
        again.set_cookie("convene_session", second)
        self.assertEqual(again.get("/")[0], 303, "session survived sign-out")

    def test_secure_cookie_when_https(self):
        srv = ct.Server(self.db, args=["--base-url",
                                       "https://convene.example"])
        try:
            b = Browser(srv.base)
            st, h, page = b.get("/sign-in")
            self.assertIn("; Secure", h["Set-Cookie"])
            # The jar keeps a Secure cookie for https: send it by hand.
            form = h["Set-Cookie"].split(";")[0]
            st, h, _ = b.request("POST", "/sign-in", {
                "csrf_token": token_in(page), "username": "w-sw",
                "password": self.pw["sw"]}, {"Cookie": form})
            self.assertEqual(st, 303)
            cookie = [v for k, v in h.items() if k == "Set-Cookie" and
                      v.startswith("convene_session=")][0]
            self.assertIn("; Secure", cookie)
            self.assertIn("max-age=31536000",
                          h.get("Strict-Transport-Security", ""))
        finally:
            srv.stop()

    def test_repeated_failures_spend_this_clients_budget(self):
        # Five failures for one account from one client spend that
        # client's budget for the account (tests/integration/
        # test_auth_throttle.py: other clients are not affected).
        b = Browser(self.srv.base)
        secret = "wrong-Password-123"
        for i in range(5):
            st, _, page = b.get("/sign-in")
            st, _, body = b.post("/sign-in", {
                "csrf_token": token_in(page), "username": "w-locked",
                "password": secret})
            self.assertEqual(st, 200)
            self.assertIn("Enter a correct username and password", body)
        # Now even the right password is refused from here for a while,
        # at once and with Retry-After.
        st, _, page = b.get("/sign-in")
        st, h, body = b.post("/sign-in", {
            "csrf_token": token_in(page), "username": "W-Locked",
            "password": self.pw["locked"]})
        self.assertEqual(st, 429)
        self.assertIn("too many failed attempts", body)
        self.assertGreaterEqual(int(h["Retry-After"]), 1)
        self.assertIsNone(b.cookie("convene_session"))
        n = ct.query(self.db, "SELECT tokens FROM signin_budget WHERE "
                     "key = 'a:w-locked|127.0.0.1'")[0][0]
        self.assertLess(n, 1)
        log = self.srv.log_text()
        self.assertIn("sign-in failed for w-locked", log)
        self.assertIn("sign-in refused for W-Locked", log)
        self.assertNotIn(secret, log)
        self.assertNotIn(self.pw["locked"], log)
        # Another user is not affected.
        self.browser("mgr")

    # ---- every page x every role ---------------------------------------------

    def pages(self):
        mid, cid = self.meeting, self.contact["police"]
        return [
            ("/", {"sw": 200, "sw_b": 200, "mgr": 200, "admin": 200}),
            ("/meetings", {"sw": 200, "sw_b": 200, "mgr": 200,
                           "admin": 403}),
            ("/meetings?from=1/1/2026&to=2026-12-31&status=scheduled&"
             "classification=multi_agency&case_ref=WEB&page=1",
             {"sw": 200, "sw_b": 200, "mgr": 200, "admin": 403}),
            ("/meetings/new", {"sw": 200, "sw_b": 200, "mgr": 403,
                               "admin": 403}),
            ("/meetings/%d" % mid, {"sw": 200, "sw_b": 404, "mgr": 200,
                                    "admin": 403}),
            ("/meetings/%d/booked" % mid, {"sw": 200, "sw_b": 404,
                                           "mgr": 200, "admin": 403}),
            ("/meetings/%d/reschedule" % mid, {"sw": 200, "sw_b": 404,
                                               "mgr": 403, "admin": 403}),
            ("/meetings/%d/invitees" % mid, {"sw": 200, "sw_b": 404,
                                             "mgr": 403, "admin": 403}),
            ("/meetings/%d/cancel" % mid, {"sw": 200, "sw_b": 404,
                                           "mgr": 403, "admin": 403}),
            ("/meetings/%d/attendance" % mid, {"sw": 200, "sw_b": 404,
                                               "mgr": 403, "admin": 403}),
            ("/meetings/%d/recorded" % mid, {"sw": 303, "sw_b": 404,
                                             "mgr": 303, "admin": 403}),
            ("/meetings/999999", {"sw": 404, "sw_b": 404, "mgr": 404,
                                  "admin": 403}),
            ("/directory", {"sw": 200, "sw_b": 200, "mgr": 200,
                            "admin": 200}),
            ("/directory?agency=police", {"sw": 200, "sw_b": 200,
                                          "mgr": 200, "admin": 200}),
            ("/directory/contacts/new", {"sw": 403, "sw_b": 403, "mgr": 403,
                                         "admin": 200}),
            ("/directory/contacts/%d" % cid, {"sw": 403, "sw_b": 403,
                                              "mgr": 403, "admin": 200}),
            ("/directory/organisations/new", {"sw": 403, "sw_b": 403,
                                              "mgr": 403, "admin": 200}),
            ("/directory/organisations/%d" % self.org_id,
             {"sw": 403, "sw_b": 403, "mgr": 403, "admin": 200}),
            ("/admin/users", {"sw": 403, "sw_b": 403, "mgr": 403,
                              "admin": 200}),
            ("/admin/users/new", {"sw": 403, "sw_b": 403, "mgr": 403,
                                  "admin": 200}),
            ("/sign-in", {"sw": 303, "sw_b": 303, "mgr": 303,
                          "admin": 303}),
            ("/no-such-page", {"sw": 404, "sw_b": 404, "mgr": 404,
                               "admin": 404}),
        ]

    def check_page(self, path, st, h, body):
        where = "%s -> %d" % (path, st)
        self.assertEqual(h.get("X-Content-Type-Options"), "nosniff", where)
        self.assertEqual(h.get("Referrer-Policy"), "no-referrer", where)
        csp = h.get("Content-Security-Policy", "")
        self.assertIn("frame-ancestors 'none'", csp, where)
        self.assertIn("script-src 'self'", csp, where)
        self.assertNotIn("unsafe-inline", csp, where)
        self.assertEqual(h.get("Cache-Control"), "no-store", where)
        if st == 303:
            return
        self.assertTrue(h["Content-Type"].startswith("text/html"), where)
        self.assertIn('<html lang="en-GB"', body, where)
        self.assertIn('href="#main-content"', body, where)
        self.assertEqual(len(re.findall(r"<h1[ >]", body)), 1, where)
        # No inline script, no style attributes (the CSP forbids both).
        self.assertNotRegex(body, r"<script(?![^>]*\bsrc=)[^>]*>", where)
        self.assertNotRegex(body, r"\sstyle=", where)
        # (Attribute values never hold a raw quote: drop them first.)
        self.assertNotRegex(re.sub(r'"[^"]*"', '""', body),
                            r"<[a-zA-Z][^<>]*\son[a-z]+=", where)
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>",
                               body, re.S):
            self.assertIn('name="csrf_token"', form, where)
        # Every input has a label (or is hidden / a button).
        ids = set(re.findall(r'<label[^>]*for="([^"]+)"', body))
        for m in re.finditer(r"<(input|textarea|select)\b([^>]*)>", body):
            attrs = m.group(2)
            if 'type="hidden"' in attrs:
                continue
            fid = re.search(r'id="([^"]+)"', attrs)
            self.assertTrue(fid and fid.group(1) in ids,
                            "%s: unlabelled %s" % (where, attrs[:120]))

    def test_every_page_every_role(self):
        pages = self.pages()
        for who in ("sw", "sw_b", "mgr", "admin"):
            b = self.browser(who)
            for path, want in pages:
                st, h, body = b.get(path)
                self.assertEqual(st, want[who], "%s as %s" % (path, who))
                self.check_page(path, st, h, body)
        anon = Browser(self.srv.base)
        for path, want in pages:
            st, h, body = anon.get(path)
            if path == "/no-such-page":
                self.assertEqual(st, 404)
            elif path == "/sign-in":
                self.assertEqual(st, 200)
            else:
                self.assertEqual(st, 303, path)
                self.assertEqual(h["Location"], "/sign-in", path)
            self.check_page(path, st, h, body)
        # Changes by anyone not signed in: 401 page, nothing stored.
        st, _, body = anon.post("/meetings/new", {"case_ref": "X"})
        self.assertEqual(st, 401)
        self.assertIn("Sign in", body)

    # ---- escaping ---------------------------------------------------------------

    def assertEscaped(self, body, what):
        self.assertNotIn(PAYLOAD, body, what)
        self.assertNotIn("<script>alert", body, what)
        self.assertIn(escaped(PAYLOAD), body, what)

    def test_book_pressed_twice_books_once(self):
        """A double press of "Book" (or a resent POST) replays the booking
        made by the first: the check-answers page carries a booking key."""
        b = self.browser("sw")
        st, _, page = b.get("/meetings/new")
        form = self.book_form(token_in(page), action="check",
                              case_ref="WEB-TWICE")
        st, _, body = b.post("/meetings/new", form)
        self.assertIn("Check your answers", body, body[:3000])
        confirm = hidden_fields(body) + [("action", "confirm")]
        keys = [v for n, v in confirm if n == "booking_key"]
        self.assertEqual(len(keys), 1)
        self.assertRegex(keys[0], r"^[0-9a-f]{32}$")
        st1, h1, _ = b.post("/meetings/new", confirm)
        st2, h2, _ = b.post("/meetings/new", confirm)
        self.assertEqual((st1, st2), (303, 303))
        self.assertEqual(h1["Location"], h2["Location"])
        n = ct.query(self.db, "SELECT count(*) FROM discussions d JOIN cases "
                     "c ON c.id = d.case_id WHERE c.case_ref = "
                     "'WEB-TWICE'")[0][0]
        self.assertEqual(n, 1)
        # Checking the answers again gives a new key: another booking.
        st, _, again = b.post("/meetings/new", confirm[:-1] +
                              [("action", "check")])
        key2 = [v for n, v in hidden_fields(again) if n == "booking_key"]
        self.assertEqual(len(key2), 1)
        self.assertNotEqual(key2, keys)

    def test_html_typed_into_every_field_comes_back_escaped(self):
        b = self.browser("sw")
        st, _, page = b.get("/meetings/new")
        tok = token_in(page)
        # 1. Re-shown with an error: every text field keeps the payload,
        #    escaped (the case reference refuses it, so the form returns).
        fields = ["case_ref", "child-0-name", "reason", "location", "chair",
                  "missing_agency_reason", "extra-0-name",
                  "extra-0-organisation", "extra-0-role", "duration",
                  "when-time"]
        form = self.book_form(tok, action="check", **{f: PAYLOAD
                                                      for f in fields})
        st, _, body = b.post("/meetings/new", form)
        self.assertEqual(st, 200)
        self.assertIn("govuk-error-summary", body)
        n = body.count(escaped(PAYLOAD))
        self.assertGreaterEqual(n, len(fields), body[:200])
        self.assertEscaped(body, "re-shown booking form")
        # 2. A valid booking carrying the payload in every free-text field:
        #    check-your-answers, then the meeting page.
        text = ["child-0-name", "reason", "location", "chair",
                "extra-0-name", "extra-0-organisation", "extra-0-role"]
        form = self.book_form(tok, action="check", case_ref="WEB-XSS",
                              **{f: PAYLOAD for f in text})
        form.append(("extra-0-agency", "education"))
        st, _, body = b.post("/meetings/new", form)
        self.assertIn("Check your answers", body, body[:3000])
        self.assertEscaped(body, "check your answers")
        confirm = hidden_fields(body) + [("action", "confirm")]
        self.assertIn(("reason", PAYLOAD), confirm)
        st, h, body = b.post("/meetings/new", confirm)
        self.assertEqual(st, 303, body[:2000])
        mid = int(re.search(r"/meetings/(\d+)/", h["Location"]).group(1))
        st, _, body = b.get("/meetings/%d" % mid)
        self.assertEscaped(body, "meeting page")
        # 3. Attendance: views, rationale, actions, absence reason, a person
        #    who joined on the day.  Attendance waits for the start, so the
        #    meeting is moved to have been held an hour ago.
        ct.query(self.db, "UPDATE discussions SET starts_at = now() - "
                 "interval '2 hours', ends_at = now() - interval '1 hour' "
                 "WHERE id = %s", (mid,))
        st, _, page = b.get("/meetings/%d/attendance" % mid)
        form = [("csrf_token", token_in(page)), ("days_n", "1"),
                ("actions_n", "1"), ("views", "yes"),
                ("child_views", PAYLOAD), ("action-0-what", PAYLOAD),
                ("action-0-owner", PAYLOAD), ("absence_reason", PAYLOAD),
                ("day-0-name", PAYLOAD), ("day-0-agency", "other"),
                ("day-0-organisation", PAYLOAD), ("day-0-role", PAYLOAD),
                ("day-0-attendance", "attended"), ("action", "save")]
        for name in set(re.findall(r'name="(att-\d+)"', page)):
            form.append((name, "attended"))
        for name in set(re.findall(r'name="(outcome-\d+)"', page)):
            form.append((name, "s47_joint"))
            form.append(("rationale-" + name[8:], PAYLOAD))
        st, h, body = b.post("/meetings/%d/attendance" % mid, form)
        self.assertEqual(st, 303, re.findall(r'<li><a href="[^"]*">[^<]*',
                                             body))
        st, _, body = b.get("/meetings/%d" % mid)
        self.assertEscaped(body, "meeting page with outcome")
        self.assertGreaterEqual(body.count(escaped(PAYLOAD)), 10)
        # 4. Query strings reflected into the list's filter fields.
        st, _, body = b.get("/meetings?case_ref=" +
                            urllib.parse.quote(PAYLOAD) + "&from=" +
                            urllib.parse.quote(PAYLOAD))
        self.assertEqual(st, 200)
        self.assertEscaped(body, "list filters")
        # 5. Sign-in form re-shows the username.
        anon = Browser(self.srv.base)
        st, _, page = anon.get("/sign-in")
        st, _, body = anon.post("/sign-in", {"csrf_token": token_in(page),
                                             "username": PAYLOAD,
                                             "password": "x"})
        self.assertEscaped(body, "sign-in")

    def test_admin_fields_come_back_escaped(self):
        b = self.browser("admin")
        st, _, page = b.get("/directory/contacts/new")
        tok = token_in(page)
        st, _, body = b.post("/directory/contacts/new", {
            "csrf_token": tok, "name": PAYLOAD, "role": PAYLOAD,
            "email": PAYLOAD, "phone": PAYLOAD, "organisation_id": "x"})
        self.assertEqual(st, 200)
        self.assertGreaterEqual(body.count(escaped(PAYLOAD)), 4)
        self.assertEscaped(body, "contact form")
        st, h, _ = b.post("/directory/contacts/new", {
            "csrf_token": tok, "name": PAYLOAD, "role": PAYLOAD,
            "email": "xss@example.org", "phone": "01234 567890",
            "organisation_id": str(self.org_id)})
        self.assertEqual(st, 303)
        st, _, body = b.post("/directory/organisations/new", {
            "csrf_token": tok, "name": PAYLOAD, "agency": "health"})
        self.assertEqual(st, 303)
        st, _, body = b.get("/directory")
        self.assertEscaped(body, "directory")
        st, _, body = b.post("/admin/teams", {"csrf_token": tok,
                                              "team_name": PAYLOAD})
        self.assertEqual(st, 303)
        st, _, body = b.post("/admin/users/new", {
            "csrf_token": tok, "username": PAYLOAD, "role": "manager",
            "team": PAYLOAD})
        self.assertEqual(st, 200)
        self.assertEscaped(body, "add user form")
        st, _, body = b.get("/admin/users")
        self.assertEscaped(body, "users and teams")
        # The social worker's booking form lists the contact, escaped.
        st, _, body = self.browser("sw").get("/meetings/new")
        self.assertEscaped(body, "booking form directory")

    # ---- validation -------------------------------------------------------------

    def test_mistakes_store_nothing_and_name_the_fields(self):
        b = self.browser("sw")
        st, _, page = b.get("/meetings/new")
        before = self.counts()
        form = self.book_form(token_in(page), case_ref="WEB-BAD",
                              **{"when-day": "31", "when-month": "2",
                                 "reason": "", "format": None,
                                 "concern-time": "25:99"})
        st, _, body = b.post("/meetings/new", form)
        self.assertEqual(st, 200)
        links = re.findall(r'<li><a href="(#[^"]+)">', body)
        for want in ("#reason", "#concern-time", "#when-day", "#format"):
            self.assertIn(want, links)
        self.assertIn("must be a real date", body)
        # Kept: what was typed.
        self.assertIn('value="WEB-BAD"', body)
        self.assertIn('id="when-day" name="when-day" type="text" '
                      'inputmode="numeric" value="31"', body)
        self.assertIn("<title>Error: ", body)
        self.assertEqual(self.counts(), before)
        # Missing statutory agency: named, and nothing stored.
        form = self.book_form(token_in(page), contacts=("police",),
                              case_ref="WEB-MISS")
        st, _, body = b.post("/meetings/new", form)
        self.assertIn("No one from Health is invited", body)
        self.assertIn('href="#missing_agency_reason"', body)
        self.assertEqual(self.counts(), before)

    def test_long_text_is_kept_whole_or_refused(self):
        b = self.browser("sw")
        st, _, page = b.get("/meetings/new")
        tok = token_in(page)
        longest = "\u00e9\u20ac" * 1000		# 2,000 characters, 5,000 bytes
        st, _, body = b.post("/meetings/new", self.book_form(
            tok, action="check", case_ref="WEB-LONG", reason=longest,
            **{"child-0-name": "\U0001f600" * 200}))
        self.assertIn("Check your answers", body, re.findall(
            r'<li><a href="[^"]*">[^<]*', body))
        self.assertIn(longest, html.unescape(body))
        self.assertIn("\U0001f600" * 200, body)
        st, _, body = b.post("/meetings/new", self.book_form(
            tok, action="check", case_ref="WEB-LONG", reason=longest + "x",
            **{"child-0-name": "\U0001f600" * 201}))
        self.assertIn("must be 2000 characters or fewer", body)
        self.assertIn("must be 200 characters or fewer", body)
        self.assertIn('href="#reason"', body)

    # ---- static assets -------------------------------------------------------------

    def raw_get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        out = (r.status, dict(r.getheaders()), r.read())
        c.close()
        return out

    def test_static_assets(self):
        for path, ctype in (
                ("/assets/govuk-frontend.min.css?v=1", "text/css"),
                ("/assets/govuk-frontend.min.js", "text/javascript"),
                ("/assets/convene/convene.css", "text/css"),
                ("/assets/convene/convene.js", "text/javascript"),
                ("/assets/convene/js-enabled.js", "text/javascript"),
                ("/assets/images/favicon.svg", "image/svg+xml")):
            st, h, body = self.raw_get(path)
            self.assertEqual(st, 200, path)
            self.assertTrue(h["Content-Type"].startswith(ctype), path)
            self.assertEqual(h["Cache-Control"],
                             "public, max-age=31536000, immutable", path)
            self.assertGreater(len(body), 50, path)
        st, _, body = self.raw_get("/assets/convene/convene.css")
        self.assertIn(b"Arial", body)
        for path in ("/assets/fonts/bold-affa96571d-v2.woff2",
                     "/assets/../package.json", "/assets/..%2fpackage.json",
                     "/assets/%2e%2e/%2e%2e/package.json",
                     "/assets//etc/passwd", "/assets/.hidden.css",
                     "/assets/convene/../../CMakeLists.txt",
                     "/assets/govuk-frontend.min.css.bak",
                     "/assets/components", "/assets/", "/assets/x.html"):
            st, h, _ = self.raw_get(path)
            self.assertEqual(st, 404, path)
            self.assertEqual(h.get("Cache-Control"), "no-store", path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
