"""Partners signing in with their own organisation's identity provider
(issue 13, part 1; docs/partners.md, docs/sso.md) against two real OpenID
providers (npm oidc-provider, tests/integration/oidc_provider.mjs): a
police force's, registered for its organisation with `convene oidc
partner-set`, and a council's staff provider (`convene oidc set`). Real
`convene serve`, PostgreSQL and SMTP (the pack link comes from the real
invitation).

A police contact invited to a meeting signs in through the force's
provider and sees the pack; a force user whose verified email is another
contact's, or nobody's in the directory, or unverified, is refused and
nothing is created; a staff provider's answer cannot become a partner
session and a partner provider's answer cannot become a staff session;
a replayed callback is refused.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_partner_sso.py -v
"""

import datetime
import email
import email.policy
import json
import os
import re
import secrets
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402
from test_oidc import Browser  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FROM = "strategy-meetings@council.example"
FORCE_SECRET = "force-" + secrets.token_hex(16)
STAFF_SECRET = "staff-" + secrets.token_hex(16)
CHILD = ("Octavia Pemberton-Quill", "2018-03-14")
PARTNER_COOKIE = "convene_partner"
PSSO_COOKIE = "convene_partner_sso"
SSO_COOKIE = "convene_sso"
WAIT = 40

FORCE_ACCOUNTS = {
    # The invited officer; the case of the address differs from the
    # directory's on purpose.
    "sub-petra": {"email": "Petra@Police.example", "email_verified": True,
                  "name": "Petra"},
    # Another officer of the same force, in the directory, not invited.
    "sub-olly": {"email": "olly@police.example", "email_verified": True},
    # A force user nobody put in the directory.
    "sub-stranger": {"email": "stranger@police.example"},
    # The invited officer's address, but the provider says unverified.
    "sub-unverified": {"email": "petra@police.example",
                       "email_verified": False},
}
STAFF_ACCOUNTS = {
    # A council user whose email is the police contact's: a staff
    # provider must not open the pack.
    "sub-petra-staff": {"email": "petra@police.example", "name": "Petra",
                        "groups": ["convene-sw"], "department": "Team N"},
}


def plain_of(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for p in msg.walk():
        if p.get_content_type() == "text/plain":
            return p.get_content()
    return ""


def start_provider(redirect, client, secret, accounts):
    d = ct.tmpdir("convene-psso-op-")
    path = os.path.join(d, "accounts.json")
    with open(path, "w") as f:
        json.dump(accounts, f)
    log_path = os.path.join(d, "provider.log")
    for _ in range(5):
        port = ct.free_port()
        log = open(log_path, "ab")
        op = subprocess.Popen(
            ["node", os.path.join(HERE, "oidc_provider.mjs"),
             "--port", str(port), "--redirect-uri", redirect,
             "--client-id", client, "--client-secret", secret,
             "--accounts", path],
            stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        line = op.stdout.readline()
        if line.startswith("ready "):
            return op, line.split()[1]
        op.kill()
        op.wait()
    raise AssertionError("oidc-provider did not start:\n" +
                         open(log_path).read()[-3000:])


class PartnerSsoTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.ops = []
        cls.db = ct.fresh_database("convene_it_partner_sso")
        ct.add_user(cls.db, "ps-admin", "admin")
        ct.add_user(cls.db, "ps-sw", "social_worker", team="Team N")
        cls.admin = ct.token(cls.db, "ps-admin")
        cls.sw = ct.token(cls.db, "ps-sw")
        cls.sink = SmtpSink(ct.tmpdir("convene-sink-")).start()
        cls.srv = ct.Server(cls.db, env={
            "CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
            "CONVENE_SMTP_FROM": FROM})
        try:
            cls.setup_directory()
            cls.setup_providers()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def setup_directory(cls):
        cls.contact, cls.email = {}, {}
        for key, agency, name, addr, org in (
                ("social_care", "social_care", "Sam Social",
                 "sam@council.example", "Northtown Children's"),
                ("police", "police", "DC Petra Police",
                 "petra@police.example", "Northumbria Police"),
                ("olly", "police", "DC Olly Other", "olly@police.example",
                 "Northumbria Police"),
                ("health", "health", "Nurse Hal Health", "hal@nhs.example",
                 "Northtown NHS Trust")):
            st, _, body = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                                 token=cls.admin,
                                 json={"name": name, "email": addr,
                                       "agency": agency,
                                       "organisation": org, "role": "Lead"})
            assert st == 201, body
            cls.contact[key] = body["id"]
            cls.email[key] = addr
        d = datetime.date.today() + datetime.timedelta(days=7)
        st, _, m = ct.api("POST", cls.srv.base, "/api/v1/meetings",
                          token=cls.sw, json={
                              "case_ref": "PS-1",
                              "children": [{"name": CHILD[0],
                                            "date_of_birth": CHILD[1]}],
                              "kind": "meeting",
                              "reason": "Disclosure at school",
                              "concern_received_at": "%sT09:00" %
                              datetime.date.today().isoformat(),
                              "starts_at": "%sT10:00" % d.isoformat(),
                              "duration_minutes": 60,
                              "format": "video",
                              "location": "https://video.example/room-9",
                              "participants": [
                                  {"contact_id": cls.contact[k]} for k in
                                  ("social_care", "police", "health")]})
        assert st == 201, m
        cls.m = m

    @classmethod
    def setup_providers(cls):
        base = cls.srv.base
        op, cls.force = start_provider(base + "/partner/sso/callback",
                                       "convene-force", FORCE_SECRET,
                                       FORCE_ACCOUNTS)
        cls.ops.append(op)
        op, cls.staff = start_provider(base + "/sign-in/sso/callback",
                                       "convene-staff", STAFF_SECRET,
                                       STAFF_ACCOUNTS)
        cls.ops.append(op)
        d = ct.tmpdir("convene-psso-")
        cls.force_secret = os.path.join(d, "force")
        cls.staff_secret = os.path.join(d, "staff")
        with open(cls.force_secret, "w") as f:
            f.write(FORCE_SECRET + "\n")
        with open(cls.staff_secret, "w") as f:
            f.write(STAFF_SECRET + "\n")
        ct.cli(cls.db, "oidc", "set", "north", "--issuer", cls.staff,
               "--client-id", "convene-staff", "--client-secret-file",
               cls.staff_secret, "--allowed-domains",
               "north.gov.uk,police.example", "--team-claim", "department",
               "--map", "social_worker=convene-sw")
        cls.set_out = ct.cli(cls.db, "oidc", "partner-set",
                             "Northumbria Police", "--issuer", cls.force,
                             "--client-id", "convene-force",
                             "--client-secret-file", cls.force_secret)

    @classmethod
    def tearDownClass(cls):
        for op in cls.ops:
            op.terminate()
            op.wait()
        try:
            cls.srv.stop()
        finally:
            cls.sink.stop()

    # ---- helpers ------------------------------------------------------------

    def setUp(self):
        self.log_from = len(self.srv.log_text())

    def control(self, issuer, what, **body):
        req = urllib.request.Request(
            issuer + "/__test/" + what, method="POST",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def wait_log(self, text):
        for _ in range(50):
            if text in self.srv.log_text()[self.log_from:]:
                return
            time.sleep(0.1)
        self.fail("not in the log: %r\n%s" % (text,
                                              self.srv.log_text()[-2000:]))

    def pack_link(self, key):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for env, raw in self.sink.messages():
                if self.email[key] not in [r.lower() for r in
                                           env["rcpt_tos"]]:
                    continue
                t = plain_of(raw)
                if "You are invited" not in t:
                    continue
                m = re.search(r"(/partner/[A-Za-z0-9_-]+)", t)
                if m:
                    return m.group(1)
            time.sleep(0.2)
        self.fail("no invitation to %s" % key)

    def at_provider(self, b, issuer, url, account):
        """Sign in at the provider as account; the callback URL it sends
        the browser to (not followed)."""
        self.control(issuer, "next-login", account=account)
        for _ in range(10):
            st, loc, body = b.get(url)
            self.assertIn(st, (302, 303), "provider: %d %s" % (st,
                                                               body[:300]))
            if loc.startswith(self.srv.base + "/"):
                return loc
            url = loc
        raise AssertionError("too many redirects at the provider")

    def partner_callback(self, account, b=None):
        """Follow the police contact's pack link to the force's provider
        as account: (browser, callback URL)."""
        b = b or Browser()
        st, loc, body = b.get(self.srv.base + self.pack_link("police") +
                              "/sso")
        self.assertEqual(st, 302, body[:300])
        self.assertTrue(loc.startswith(self.force + "/auth?"), loc)
        cb = self.at_provider(b, self.force, loc, account)
        self.assertTrue(cb.startswith(self.srv.base +
                                      "/partner/sso/callback?"), cb)
        return b, cb

    def partner_sessions(self):
        return ct.query(self.db, "SELECT contact_id, via FROM "
                        "partner_sessions ORDER BY created_at")

    def staff_users(self):
        return ct.query(self.db, "SELECT count(*) FROM users u JOIN "
                        "oidc_identities i ON i.user_id = u.id")[0][0]

    def assert_refused(self, res, status, text):
        st, loc, body = res
        self.assertEqual(st, status, body[:500])
        self.assertIn(text, re.sub(r"\s+", " ", body))

    # ---- the tests ----------------------------------------------------------

    def test_a_start_page_offers_the_forces_sign_in(self):
        st, _, page = ct.form("GET", self.srv.base, self.pack_link("police"))
        self.assertEqual(st, 200, page)
        self.assertIn("Sign in with Northumbria Police", page)
        self.assertIn("Email me a sign-in code", page)
        # Health's organisation has no provider: codes only.
        st, _, page = ct.form("GET", self.srv.base, self.pack_link("health"))
        self.assertEqual(st, 200, page)
        self.assertNotIn("Sign in with", page)
        self.assertIn("Email me a sign-in code", page)
        st, _, page = ct.form("GET", self.srv.base,
                              self.pack_link("health") + "/sso")
        self.assertEqual(st, 404, page)
        # A forged link opens nothing.
        st, _, _ = ct.form("GET", self.srv.base, "/partner/AAAA/sso")
        self.assertEqual(st, 404)

    def test_b_police_contact_signs_in_with_the_force_and_sees_the_pack(self):
        before = len(self.partner_sessions())
        b, cb = self.partner_callback("sub-petra")
        st, loc, body = b.get(cb)
        self.assertEqual(st, 303, body[:500])
        self.assertEqual(loc, self.srv.base + "/partner/meetings/%d" %
                         self.m["id"])
        self.assertIsNotNone(b.cookie(PARTNER_COOKIE))
        st, _, page = b.get(loc)
        self.assertEqual(st, 200, page[:500])
        self.assertIn(CHILD[0], page)
        self.assertIn("https://video.example/room-9", page)
        s = self.partner_sessions()
        self.assertEqual(len(s), before + 1)
        self.assertEqual(s[-1], (self.contact["police"], "sso"))
        self.wait_log("contact %d signed in via sso" %
                      self.contact["police"])
        # The view is logged as for the code path.
        v = ct.query(self.db, "SELECT contact_id, page FROM record_views "
                     "WHERE discussion_id = %s ORDER BY id DESC LIMIT 1",
                     (self.m["id"],))
        self.assertEqual(v[0], (self.contact["police"], "pack"))
        # No staff account came of it.
        self.assertEqual(self.staff_users(), 0)

    def test_c_another_officer_or_stranger_or_unverified_refused(self):
        before = self.partner_sessions()
        for account, why in (
                ("sub-olly", "the email is not the invited contact's"),
                ("sub-stranger", "the email is not the invited contact's"),
                ("sub-unverified", "email_verified is false")):
            b, cb = self.partner_callback(account)
            res = b.get(cb)
            self.assert_refused(res, 403, "someone other than the person "
                                "this invitation was sent to")
            self.assertIsNone(b.cookie(PARTNER_COOKIE), account)
            self.wait_log(why)
        self.assertEqual(self.partner_sessions(), before)
        self.assertEqual(self.staff_users(), 0)

    def test_d_state_replay_refused(self):
        b, cb = self.partner_callback("sub-petra")
        st, _, body = b.get(cb)
        self.assertEqual(st, 303, body[:300])
        before = self.partner_sessions()
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "state"][0]
        st, h, body = ct.form("GET", self.srv.base, cb[len(self.srv.base):],
                              cookies={PSSO_COOKIE: state})
        self.assertEqual(st, 400, body[:300])
        self.assertIn("already used", body)
        self.assertEqual(ct._cookie(h, PSSO_COOKIE), "")
        self.assertIsNone(ct._cookie(h, PARTNER_COOKIE))
        # From another browser (no state cookie): refused too.
        b2, cb2 = self.partner_callback("sub-petra")
        st, _, body = Browser().get(cb2)
        self.assertEqual(st, 400, body[:300])
        self.assertIn("not started in this browser", body)
        self.assertEqual(self.partner_sessions(), before)

    def test_e_staff_provider_answer_is_no_partner_session(self):
        before = self.partner_sessions()
        b = Browser()
        st, loc, body = b.get(self.srv.base + "/sign-in/sso?authority=north")
        self.assertEqual(st, 302, body[:300])
        cb = self.at_provider(b, self.staff, loc, "sub-petra-staff")
        self.assertTrue(cb.startswith(self.srv.base +
                                      "/sign-in/sso/callback?"), cb)
        # The staff answer taken to the partner callback, with the state
        # cookie the partner flow would have: no such partner sign-in.
        q = urllib.parse.urlsplit(cb).query
        state = urllib.parse.parse_qs(q)["state"][0]
        st, h, body = ct.form("GET", self.srv.base,
                              "/partner/sso/callback?" + q,
                              cookies={PSSO_COOKIE: state})
        self.assertEqual(st, 400, body[:300])
        self.assertIsNone(ct._cookie(h, PARTNER_COOKIE))
        self.assertEqual(self.partner_sessions(), before)

    def test_f_partner_provider_answer_is_no_staff_session(self):
        b, cb = self.partner_callback("sub-petra")
        q = urllib.parse.urlsplit(cb).query
        state = urllib.parse.parse_qs(q)["state"][0]
        st, h, body = ct.form("GET", self.srv.base,
                              "/sign-in/sso/callback?" + q,
                              cookies={SSO_COOKIE: state})
        self.assertEqual(st, 400, body[:300])
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        self.assertEqual(self.staff_users(), 0)
        # The organisation is no staff sign-in.
        st, _, _ = ct.form("GET", self.srv.base,
                           "/sign-in/sso?authority=northumbria-police")
        self.assertEqual(st, 404)
        # One registration cannot serve both.
        with self.assertRaises(ct.CliError) as e:
            ct.cli(self.db, "oidc", "partner-set", "Northumbria Police",
                   "--issuer", self.staff, "--client-id", "convene-staff",
                   "--client-secret-file", self.staff_secret)
        self.assertIn("staff sign-in", e.exception.stderr)
        # ... either way round.
        with self.assertRaises(ct.CliError) as e:
            ct.cli(self.db, "oidc", "set", "north", "--issuer", self.force,
                   "--client-id", "convene-force", "--client-secret-file",
                   self.force_secret, "--allowed-domains", "police.example",
                   "--map", "admin=x")
        self.assertIn("partner organisation's sign-in", e.exception.stderr)
        self.assertEqual(ct.query(
            self.db, "SELECT client_id FROM oidc_providers")[0][0],
            "convene-staff")
        # Staff settings are refused for a partner provider.
        with self.assertRaises(ct.CliError):
            ct.cli(self.db, "oidc", "partner-set", "Northumbria Police",
                   "--issuer", self.force, "--client-id", "convene-force",
                   "--client-secret-file", self.force_secret,
                   "--map", "admin=x")
        self.assertEqual(ct.query(
            self.db, "SELECT client_id FROM oidc_partner_providers")[0][0],
            "convene-force")

    def test_g_cli_list_and_audit_never_show_the_secret(self):
        self.assertNotIn(FORCE_SECRET, self.set_out)
        out = ct.cli(self.db, "oidc", "partner-list")
        self.assertIn("Northumbria Police", out)
        self.assertIn(self.force, out)
        self.assertNotIn(FORCE_SECRET, out)
        rows = ct.query(self.db, "SELECT after::text FROM audit_log WHERE "
                        "action = 'oidc.partner_configure'")
        self.assertTrue(rows)
        for (after,) in rows:
            self.assertNotIn(FORCE_SECRET, after)

    def test_h_authenticator_users_are_offered_single_sign_on_too(self):
        import pyotp
        b, cb = self.partner_callback("sub-petra")
        st, loc, _ = b.get(cb)
        self.assertEqual(st, 303)
        cookie = {PARTNER_COOKIE: b.cookie(PARTNER_COOKIE)}
        st, _, page = ct.form("GET", self.srv.base, "/partner/authenticator",
                              cookies=cookie)
        self.assertEqual(st, 200, page[:300])
        secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<',
                           page).group(1)
        csrf = re.search(r'name="csrf_token" value="([^"]*)"',
                         page).group(1)
        st, h, _ = ct.form("POST", self.srv.base, "/partner/authenticator",
                           {"code": pyotp.TOTP(secret).now(),
                            "csrf_token": csrf}, cookies=cookie)
        self.assertEqual(st, 303)
        # The link now asks for the app's code, and still offers the
        # force's sign-in, which still works.
        st, _, page = ct.form("GET", self.srv.base, self.pack_link("police"))
        self.assertEqual(st, 200)
        self.assertIn("Enter the code from your authenticator app", page)
        self.assertIn("Sign in with Northumbria Police", page)
        b, cb = self.partner_callback("sub-petra")
        st, loc, body = b.get(cb)
        self.assertEqual(st, 303, body[:300])
        self.assertIsNotNone(b.cookie(PARTNER_COOKIE))

    def test_i_id_token_checks_apply(self):
        # The staff sign-in's id_token checks run for partners too: an
        # attacker re-signing the force's token for another audience, or
        # breaking its signature, gets nothing.
        before = self.partner_sessions()
        try:
            for mode, why in (("aud", "audience"), ("sig", "signature")):
                self.control(self.force, "tamper", mode=mode)
                b, cb = self.partner_callback("sub-petra")
                self.assert_refused(b.get(cb), 403, "could not be used "
                                    "for this invitation")
                self.assertIsNone(b.cookie(PARTNER_COOKIE))
                self.wait_log(why)
        finally:
            self.control(self.force, "tamper", mode="")
        self.assertEqual(self.partner_sessions(), before)

    def test_x_refusals_spend_the_sign_in_budget(self):
        # Olly, invited to a meeting of his own, is tried with Petra's
        # force account: 5 refusals (THROTTLE_ACCOUNT_BURST), then 429
        # before the provider's answer is even looked at.
        cls = type(self)
        st, _, m = ct.api("POST", self.srv.base, "/api/v1/meetings",
                          token=self.sw, json=dict(
                              {k: v for k, v in self.m.items() if k in (
                                  "kind", "reason", "format", "location",
                                  "duration_minutes")},
                              case_ref="PS-2",
                              children=[{"name": CHILD[0],
                                         "date_of_birth": CHILD[1]}],
                              concern_received_at="%sT09:00" %
                              datetime.date.today().isoformat(),
                              starts_at="%sT11:00" % (
                                  datetime.date.today() +
                                  datetime.timedelta(days=8)).isoformat(),
                              participants=[{"contact_id": cls.contact[k]}
                                            for k in ("social_care", "olly",
                                                      "health")]))
        self.assertEqual(st, 201, m)
        link = self.pack_link("olly")
        before = self.partner_sessions()
        for i in range(5):
            b = Browser()
            st, loc, _ = b.get(self.srv.base + link + "/sso")
            self.assertEqual(st, 302)
            cb = self.at_provider(b, self.force, loc, "sub-petra")
            self.assert_refused(b.get(cb), 403, "someone other than")
        b = Browser()
        st, loc, _ = b.get(self.srv.base + link + "/sso")
        cb = self.at_provider(b, self.force, loc, "sub-petra")
        st, h, body = ct.form("GET", self.srv.base, cb[len(self.srv.base):],
                              cookies={PSSO_COOKIE: b.cookie(PSSO_COOKIE)})
        self.assertEqual(st, 429, body[:300])
        self.assertTrue(h.get("Retry-After"))
        self.assertEqual(self.partner_sessions(), before)

    def test_y_removed_provider_is_no_longer_offered_or_used(self):
        b, cb = self.partner_callback("sub-petra")	# under way
        out = ct.cli(self.db, "oidc", "partner-remove", "Northumbria Police")
        self.assertIn("removed", out)
        try:
            st, _, page = ct.form("GET", self.srv.base,
                                  self.pack_link("police"))
            self.assertEqual(st, 200)
            self.assertNotIn("Sign in with", page)
            st, _, _ = ct.form("GET", self.srv.base,
                               self.pack_link("police") + "/sso")
            self.assertEqual(st, 404)
            # The sign-in under way was dropped with the provider.
            st, _, body = b.get(cb)
            self.assertEqual(st, 400, body[:300])
            self.assertIsNone(b.cookie(PARTNER_COOKIE))
            self.assertTrue(ct.query(self.db, "SELECT 1 FROM audit_log "
                                     "WHERE action = 'oidc.partner_remove'"))
        finally:
            ct.cli(self.db, "oidc", "partner-set", "Northumbria Police",
                   "--issuer", self.force, "--client-id", "convene-force",
                   "--client-secret-file", self.force_secret)

    def test_zz_no_secrets_or_child_data_in_logs(self):
        log = self.srv.log_text()
        for s in (FORCE_SECRET, STAFF_SECRET, CHILD[0], CHILD[1],
                  "Pemberton"):
            self.assertNotIn(s, log)
        self.assertNotIn("state=", log)
        self.assertNotIn("code=", log)


if __name__ == "__main__":
    unittest.main()
