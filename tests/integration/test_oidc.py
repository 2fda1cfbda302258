"""Single sign-on with OpenID Connect (identity issue, section 1;
docs/sso.md) against a real OpenID provider: npm oidc-provider, started
by this test on loopback (tests/integration/oidc_provider.mjs), and a real
`convene serve` with a real PostgreSQL.

The browser is played by a cookie jar that follows redirects by hand and
stops at Convene's callback, so each test can replay, drop or change what
the provider sent back. The provider's test controls (POST /__test/...)
choose whom it signs in, rotate its key, skew its clock for the token
endpoint, or put an attacker in front of it that rewrites the id_token.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_oidc.py -v
"""

import http.cookiejar
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

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "s3cret-" + secrets.token_hex(16)
CLIENT = "convene-test"
SSO_COOKIE = "convene_sso"

ACCOUNTS = {
    "sub-alice": {"email": "Alice.Able@north.gov.uk", "email_verified": True,
                  "name": "Alice Able", "groups": ["convene-sw"],
                  "department": "Team North"},
    "sub-bob": {"email": "bob@north.gov.uk", "name": "Bob Boss",
                "groups": ["convene-managers", "convene-sw"],
                "department": "Team North"},
    "sub-carol": {"email": "carol@north.gov.uk", "name": "Carol",
                  "groups": ["convene-admins"]},
    "sub-eve": {"email": "eve@evil.example", "name": "Eve",
                "groups": ["convene-sw"], "department": "Team North"},
    "sub-nogroup": {"email": "nora@north.gov.uk", "name": "Nora",
                    "groups": ["other"], "department": "Team North"},
    "sub-leaver": {"email": "lee@north.gov.uk", "name": "Lee",
                   "groups": ["convene-sw"], "department": "Team North"},
    "sub-dave": {"email": "dave@north.gov.uk", "name": "Dave",
                 "groups": ["convene-sw"], "department": "Team North"},
    "sub-taken": {"email": "local-user@north.gov.uk", "name": "Imposter",
                  "groups": ["convene-sw"], "department": "Team North"},
    "sub-unverified": {"email": "una@north.gov.uk", "email_verified": False,
                       "groups": ["convene-sw"], "department": "Team North"},
}


class _Stop(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies for the provider and for Convene, redirects by hand."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            _Stop, urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url):
        req = urllib.request.Request(url, method="GET")
        try:
            r = self.opener.open(req, timeout=30)
        except urllib.error.HTTPError as e:
            r = e
        body = r.read().decode("utf-8", "replace")
        loc = r.headers.get("Location")
        st = r.status if hasattr(r, "status") else r.code
        r.close()
        return st, (urllib.parse.urljoin(url, loc) if loc else None), body

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None


class OidcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_oidc")
        cls.local_pw = ct.add_user(cls.db, "local-user@north.gov.uk",
                                   "social_worker", team="Team North",
                                   authority="north")
        # No delivery threads: the worker then starts and cleans up
        # libcurl's global state at once; single sign-on must not mind.
        cls.srv = ct.Server(cls.db, env={"CONVENE_DELIVERY_THREADS": "0"})
        try:
            cls.start_provider()
            cls.configure()
        except BaseException:
            # tearDownClass does not run after a failed setUpClass.
            if getattr(cls, "op", None) is not None:
                cls.op.kill()
                cls.op.wait()
            cls.srv.kill()
            raise

    @classmethod
    def configure(cls):
        d = ct.tmpdir("convene-oidc-")
        secret_file = os.path.join(d, "secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        cls.set_out = ct.cli(
            cls.db, "oidc", "set", "north", "--issuer", cls.issuer,
            "--client-id", CLIENT, "--client-secret-file", secret_file,
            "--allowed-domains", "north.gov.uk",
            "--role-claim", "groups", "--team-claim", "department",
            "--map", "social_worker=convene-sw",
            "--map", "manager=convene-managers",
            "--map", "admin=convene-admins")

    @classmethod
    def start_provider(cls):
        d = ct.tmpdir("convene-oidc-op-")
        accounts = os.path.join(d, "accounts.json")
        with open(accounts, "w") as f:
            json.dump(ACCOUNTS, f)
        cls.op_log = os.path.join(d, "provider.log")
        for _ in range(5):
            port = ct.free_port()
            log = open(cls.op_log, "ab")
            cls.op = subprocess.Popen(
                ["node", os.path.join(HERE, "oidc_provider.mjs"),
                 "--port", str(port),
                 "--redirect-uri", cls.srv.base + "/sign-in/sso/callback",
                 "--client-id", CLIENT, "--client-secret", SECRET,
                 "--accounts", accounts],
                stdout=subprocess.PIPE, stderr=log, text=True)
            log.close()
            line = cls.op.stdout.readline()
            if line.startswith("ready "):
                cls.issuer = line.split()[1]
                return
            cls.op.kill()	# e.g. its port was taken meanwhile
            cls.op.wait()
        raise AssertionError("oidc-provider did not start:\n" +
                             open(cls.op_log).read()[-3000:])

    @classmethod
    def tearDownClass(cls):
        cls.op.terminate()
        cls.op.wait()
        cls.srv.stop()

    def setUp(self):
        self.mark()
        self.control("tamper", mode="")
        self.control("clock", offset=0)
        self.control("accounts", **ACCOUNTS)

    # ---- helpers ---------------------------------------------------------

    def control(self, what, **body):
        req = urllib.request.Request(
            self.issuer + "/__test/" + what, method="POST",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def start(self, b, authority="north"):
        """GET /sign-in/sso: the provider's authorisation URL."""
        st, loc, body = b.get(self.srv.base + "/sign-in/sso?authority=" +
                              authority)
        self.assertEqual(st, 302, body[:300])
        self.assertTrue(loc.startswith(self.issuer + "/auth?"), loc)
        return loc

    def at_provider(self, b, url, account):
        """Sign in at the provider as account; the callback URL it sends
        the browser to (not yet followed)."""
        self.control("next-login", account=account)
        for _ in range(10):
            st, loc, body = b.get(url)
            self.assertIn(st, (302, 303), "provider: %d %s" % (st,
                                                               body[:300]))
            if loc.startswith(self.srv.base + "/"):
                return loc
            url = loc
        raise AssertionError("too many redirects at the provider")

    def callback(self, b, url):
        return b.get(url)

    def sign_in(self, account, b=None):
        """The whole flow; (status, location, body) of the callback."""
        b = b or Browser()
        cb = self.at_provider(b, self.start(b), account)
        return self.callback(b, cb)

    def assert_signed_in(self, res, b=None):
        st, loc, body = res
        self.assertEqual(st, 303, body[:500])
        self.assertEqual(loc, self.srv.base + "/")

    def assert_refused(self, res, status, text, log=None):
        st, loc, body = res
        self.assertEqual(st, status, body[:500])
        self.assertIn(text, re.sub(r"\s+", " ", body))
        if log is not None:
            self.wait_log(log)

    def mark(self):
        """wait_log looks only at what the server logs from now on."""
        self.log_from = len(self.srv.log_text())

    def wait_log(self, text):
        for _ in range(50):
            if text in self.srv.log_text()[self.log_from:]:
                return
            time.sleep(0.1)
        self.fail("not in the log: %r\n%s" % (text,
                                              self.srv.log_text()[-2000:]))

    def user(self, username):
        rows = ct.query(self.db, "SELECT u.id, u.role, t.name, u.active, "
                        "u.display_name, u.password_hash FROM users u "
                        "LEFT JOIN teams t ON t.id = u.team_id WHERE "
                        "u.username = %s", (username,))
        return rows[0] if rows else None

    # ---- the happy path --------------------------------------------------

    def test_happy_path_provisions_maps_and_reuses(self):
        b = Browser()
        self.assert_signed_in(self.sign_in("sub-alice", b))
        uid, role, team, active, name, pw = self.user("alice.able@north.gov.uk")
        self.assertEqual((role, team, active, name),
                         ("social_worker", "Team North", True, "Alice Able"))
        # No local password: none is known, and none can be set.
        p = ct.run_cli(self.db, "user", "reset-password",
                       "alice.able@north.gov.uk")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.user("alice.able@north.gov.uk")[5], pw)
        ident = ct.query(self.db, "SELECT issuer, subject FROM "
                         "oidc_identities WHERE user_id = %s", (uid,))
        self.assertEqual(ident, [(self.issuer, "sub-alice")])
        # The session is the ordinary one: the home page answers.
        cookie = b.cookie(ct.SESSION_COOKIE)
        st, _, _ = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual(st, 200)
        # Audit: provisioning, then sign-in, for that user.
        acts = [r[0] for r in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = 'user' "
            "AND entity_id = %s ORDER BY id", (uid,))]
        self.assertEqual(acts, ["user.sso_provision"])
        # The second sign-in reuses the user.
        self.assert_signed_in(self.sign_in("sub-alice"))
        self.assertEqual(self.user("alice.able@north.gov.uk")[0], uid)
        n = ct.query(self.db, "SELECT count(*) FROM oidc_identities WHERE "
                     "subject = 'sub-alice'")[0][0]
        self.assertEqual(n, 1)
        acts = [r[0] for r in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = 'user' "
            "AND entity_id = %s ORDER BY id", (uid,))]
        self.assertEqual(acts, ["user.sso_provision", "user.sso_sign_in"])

    def test_role_mapping_highest_wins_and_admin_has_no_team(self):
        b = Browser()
        self.assert_signed_in(self.sign_in("sub-bob", b))
        self.assertEqual(self.user("bob@north.gov.uk")[1:3],
                         ("manager", "Team North"))
        # A manager signed in by the provider is not sent to set up the
        # local second step: the provider's MFA is theirs (docs/sso.md).
        st, h, _ = ct.form("GET", self.srv.base, "/",
                           cookie=b.cookie(ct.SESSION_COOKIE))
        self.assertEqual((st, h.get("Location")), (200, None))
        self.assert_signed_in(self.sign_in("sub-carol"))
        self.assertEqual(self.user("carol@north.gov.uk")[1:3],
                         ("admin", None))

    def test_team_and_role_follow_the_provider(self):
        self.assert_signed_in(self.sign_in("sub-dave"))
        accts = dict(ACCOUNTS)
        accts["sub-dave"] = dict(ACCOUNTS["sub-dave"],
                                 groups=["convene-managers"],
                                 department="Team South")
        self.control("accounts", **accts)
        self.assert_signed_in(self.sign_in("sub-dave"))
        self.assertEqual(self.user("dave@north.gov.uk")[1:3],
                         ("manager", "Team South"))

    # ---- who may sign in -------------------------------------------------

    def test_disallowed_email_domain_refused(self):
        self.assert_refused(self.sign_in("sub-eve"), 403,
                            "not one this council")
        self.assertIsNone(self.user("eve@evil.example"))

    def test_unverified_email_refused(self):
        self.assert_refused(self.sign_in("sub-unverified"), 403,
                            "not verified")
        self.assertIsNone(self.user("una@north.gov.uk"))

    def test_no_mapped_role_refused_and_not_provisioned(self):
        self.assert_refused(self.sign_in("sub-nogroup"), 403,
                            "has not given you access")
        self.assertIsNone(self.user("nora@north.gov.uk"))

    def test_existing_local_account_not_taken_over_by_email(self):
        self.assert_refused(self.sign_in("sub-taken"), 403,
                            "already exists")
        n = ct.query(self.db, "SELECT count(*) FROM oidc_identities WHERE "
                     "subject = 'sub-taken'")[0][0]
        self.assertEqual(n, 0)
        # The local account still signs in with its password.
        self.assertTrue(ct.sign_in(self.srv.base, "local-user@north.gov.uk",
                                   self.local_pw))

    def test_deactivated_user_refused(self):
        b = Browser()
        self.assert_signed_in(self.sign_in("sub-leaver", b))
        ct.cli(self.db, "user", "deactivate", "lee@north.gov.uk")
        self.assert_refused(self.sign_in("sub-leaver"), 403, "deactivated",
                            log="is deactivated")

    def test_leaver_removed_at_the_provider_is_deactivated(self):
        accts = dict(ACCOUNTS)
        accts["sub-gone"] = {"email": "gone@north.gov.uk", "name": "Gone",
                             "groups": ["convene-sw"],
                             "department": "Team North"}
        self.control("accounts", **accts)
        b = Browser()
        self.assert_signed_in(self.sign_in("sub-gone", b))
        cookie = b.cookie(ct.SESSION_COOKIE)
        accts["sub-gone"] = dict(accts["sub-gone"], groups=[])
        self.control("accounts", **accts)
        self.assert_refused(self.sign_in("sub-gone"), 403,
                            "no longer gives you access")
        gone = self.user("gone@north.gov.uk")
        self.assertFalse(gone[3])
        acts = [r[0] for r in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = 'user' "
            "AND entity_id = %s ORDER BY id", (gone[0],))]
        self.assertEqual(acts[-1], "user.deactivate")
        # Their earlier session ended with the deactivation.
        st, h, _ = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual((st, h.get("Location")), (303, "/sign-in"))
        # And they stay out when the group comes back: an administrator
        # reactivates, not the provider.
        accts["sub-gone"] = dict(accts["sub-gone"], groups=["convene-sw"])
        self.control("accounts", **accts)
        self.assert_refused(self.sign_in("sub-gone"), 403, "deactivated")

    def test_known_user_moved_out_of_the_domains_is_deactivated(self):
        accts = dict(ACCOUNTS)
        accts["sub-mover"] = {"email": "max@north.gov.uk", "name": "Max",
                              "groups": ["convene-sw"],
                              "department": "Team North"}
        self.control("accounts", **accts)
        self.assert_signed_in(self.sign_in("sub-mover"))
        accts["sub-mover"] = dict(accts["sub-mover"],
                                  email="max@elsewhere.example")
        self.control("accounts", **accts)
        self.assert_refused(self.sign_in("sub-mover"), 403,
                            "no longer gives you access",
                            log="deactivated user")
        self.assertFalse(self.user("max@north.gov.uk")[3])

    # ---- the id_token ----------------------------------------------------

    def test_wrong_audience_refused(self):
        self.control("tamper", mode="aud")
        self.assert_refused(self.sign_in("sub-alice"), 403,
                            "could not be checked", log="wrong audience")

    def test_bad_signature_refused(self):
        self.control("tamper", mode="sig")
        self.assert_refused(self.sign_in("sub-alice"), 403,
                            "could not be checked", log="bad signature")

    def test_alg_none_and_hs256_refused(self):
        for mode in ("none", "hs256"):
            self.mark()
            self.control("tamper", mode=mode)
            self.assert_refused(self.sign_in("sub-alice"), 403,
                                "could not be checked", log="alg not allowed")

    def test_expired_token_refused(self):
        # Issued by a provider whose clock is 4000 s behind: the id_token
        # (1 h life) expired before it arrived, beyond the 120 s skew.
        self.control("clock", offset=-4000)
        self.assert_refused(self.sign_in("sub-alice"), 403,
                            "could not be checked", log=": expired")

    def test_small_clock_skew_tolerated_large_refused(self):
        self.control("clock", offset=60)
        self.assert_signed_in(self.sign_in("sub-alice"))
        self.mark()
        self.control("clock", offset=400)
        self.assert_refused(self.sign_in("sub-alice"), 403,
                            "could not be checked",
                            log="issued in the future")

    def test_key_rotation(self):
        self.assert_signed_in(self.sign_in("sub-alice"))
        old = self.control("tamper", mode="")["kid"]
        new = self.control("rotate")["kid"]
        self.assertNotEqual(old, new)
        # Convene fetches the key set again on the unknown kid, but not
        # more often than every 5 s (OIDC_REFETCH_SECONDS).
        time.sleep(5.5)
        self.mark()
        self.assert_signed_in(self.sign_in("sub-alice"))
        self.wait_log("fetched the key set")

    def test_key_rotation_to_es256(self):
        # Another algorithm of the allow-list, end to end: the provider now
        # signs with a P-256 key (ES256). Later tests run with this key.
        self.assert_signed_in(self.sign_in("sub-alice"))
        got = self.control("rotate", alg="ES256")
        self.assertEqual(got["alg"], "ES256")
        with urllib.request.urlopen(self.issuer + "/jwks", timeout=30) as r:
            keys = json.loads(r.read())["keys"]
        self.assertEqual([(k["kty"], k["kid"]) for k in keys],
                         [("EC", got["kid"])])
        time.sleep(5.5)
        self.mark()
        self.assert_signed_in(self.sign_in("sub-alice"))
        self.wait_log("fetched the key set")

    def test_nonce_mismatch_refused(self):
        b = Browser()
        url = self.start(b)
        url = re.sub(r"nonce=[^&]+", "nonce=" + "N" * 43, url)
        cb = self.at_provider(b, url, "sub-alice")
        self.assert_refused(self.callback(b, cb), 403,
                            "could not be checked", log="nonce mismatch")

    def test_mixed_up_issuer_in_the_answer_refused(self):
        b = Browser()
        cb = self.at_provider(b, self.start(b), "sub-alice")
        self.assertIn("iss=", cb)	# RFC 9207, sent by oidc-provider
        cb = re.sub(r"iss=[^&]+", "iss=" + urllib.parse.quote(
            "https://evil.example", safe=""), cb)
        self.assert_refused(self.callback(b, cb), 403,
                            "could not be checked",
                            log="names another issuer")

    # ---- state and code --------------------------------------------------

    def test_replayed_callback_refused(self):
        b = Browser()
        cb = self.at_provider(b, self.start(b), "sub-alice")
        self.assert_signed_in(self.callback(b, cb))
        # The same callback again, even with the state cookie put back.
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "state"][0]
        st, h, body = ct.form("GET", self.srv.base, cb[len(self.srv.base):],
                              cookies={SSO_COOKIE: state})
        self.assertEqual(st, 400, body[:300])
        self.assertIn("already used", body)
        # The state cookie is cleared, on a refusal too.
        self.assertEqual(ct._cookie(h, SSO_COOKIE), "")

    def test_replayed_code_refused_by_provider(self):
        b = Browser()
        cb = self.at_provider(b, self.start(b), "sub-alice")
        self.assert_signed_in(self.callback(b, cb))
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)[
            "code"][0]
        # A fresh, genuine state of this browser, with the spent code.
        b2 = Browser()
        url = self.start(b2)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)[
            "state"][0]
        st, _, body = b2.get(self.srv.base + "/sign-in/sso/callback?" +
                             urllib.parse.urlencode({"code": code,
                                                     "state": state}))
        self.assertEqual(st, 403, body[:300])
        self.wait_log("invalid_grant")

    def test_state_missing_forged_or_from_another_browser(self):
        b = Browser()
        cb = self.at_provider(b, self.start(b), "sub-alice")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)
        path = "/sign-in/sso/callback?"
        # No state.
        st, _, body = ct.form("GET", self.srv.base, path +
                              urllib.parse.urlencode({"code": q["code"][0]}),
                              cookies={SSO_COOKIE: q["state"][0]})
        self.assertEqual(st, 400)
        # A forged state (its cookie forged too): nothing pending.
        forged = "A" * 43
        st, _, body = ct.form("GET", self.srv.base, path +
                              urllib.parse.urlencode(
                                  {"code": q["code"][0], "state": forged}),
                              cookies={SSO_COOKIE: forged})
        self.assertEqual(st, 400)
        self.assertIn("expired or was already used", body)
        # The genuine state, in another browser (no cookie): login CSRF.
        st, _, body = ct.form("GET", self.srv.base, cb[len(self.srv.base):])
        self.assertEqual(st, 400)
        self.assertIn("not started in this browser", body)
        # The pending sign-in survived those: the real browser finishes.
        self.assert_signed_in(self.callback(b, cb))

    def test_provider_error_refused(self):
        b = Browser()
        url = self.start(b)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)[
            "state"][0]
        st, _, body = b.get(self.srv.base + "/sign-in/sso/callback?" +
                            urllib.parse.urlencode(
                                {"error": "access_denied", "state": state}))
        self.assertEqual(st, 403)
        self.wait_log("refused the sign-in (access_denied)")

    def test_pending_sign_ins_capped_per_client(self):
        try:
            for i in range(60):
                st, _, body = ct.api("GET", self.srv.base,
                                     "/sign-in/sso?authority=north")
                if st != 302:
                    break
            self.assertEqual(st, 429, body[:300])
            n = ct.query(self.db, "SELECT count(*) FROM oidc_pending WHERE "
                         "client = '127.0.0.1'")[0][0]
            self.assertEqual(n, 50)
        finally:
            ct.query(self.db, "DELETE FROM oidc_pending")

    def test_provider_down_fails_fast(self):
        # An authority whose provider is not there (a free port: nothing
        # listens). The first start tries and fails (502); the next ones,
        # within 5 s, fail at once without another attempt.
        d = ct.tmpdir("convene-oidc-")
        secret_file = os.path.join(d, "secret")
        with open(secret_file, "w") as f:
            f.write("x\n")
        down = "http://127.0.0.1:%d" % ct.free_port()
        ct.cli(self.db, "oidc", "set", "downshire", "--issuer", down,
               "--client-id", "c", "--client-secret-file", secret_file,
               "--allowed-domains", "down.gov.uk", "--map", "admin=a")
        try:
            for _ in range(3):
                st, _, body = ct.api("GET", self.srv.base,
                                     "/sign-in/sso?authority=downshire")
                self.assertEqual(st, 502, body[:300])
                self.assertIn("could not be reached", body)
            self.wait_log("discovery of %s failed" % down)
            log = self.srv.log_text()[self.log_from:]
            self.assertEqual(log.count("discovery of %s failed" % down), 1)
        finally:
            ct.cli(self.db, "oidc", "remove", "downshire")

    def test_unknown_authority_and_bad_input(self):
        st, _, body = ct.api("GET", self.srv.base,
                             "/sign-in/sso?authority=nowhere")
        self.assertEqual(st, 404)
        st, _, body = ct.api("GET", self.srv.base,
                             "/sign-in/sso?authority=%3Cx%3E")
        self.assertEqual(st, 400)
        st, _, body = ct.api("GET", self.srv.base, "/sign-in/sso")
        self.assertEqual(st, 400)

    def test_authorisation_request_has_pkce_state_nonce(self):
        b = Browser()
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.start(b)).query)
        self.assertEqual(q["code_challenge_method"], ["S256"])
        self.assertEqual(q["response_type"], ["code"])
        self.assertEqual(q["client_id"], [CLIENT])
        for k in ("state", "nonce", "code_challenge"):
            self.assertRegex(q[k][0], r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(b.cookie(SSO_COOKIE), q["state"][0])
        for c in b.jar:
            if c.name == SSO_COOKIE:
                self.assertEqual(c.path, "/sign-in/sso")
                self.assertTrue(c.has_nonstandard_attr("HttpOnly"))
        # Kept server-side as a hash only, with a ten-minute life.
        rows = ct.query(self.db, "SELECT state_hash, extract(epoch FROM "
                        "expires_at - now()) FROM oidc_pending")
        self.assertNotIn(q["state"][0], [r[0] for r in rows])
        self.assertTrue(all(r[1] <= 600 for r in rows))

    def test_sign_in_page_offers_sso(self):
        st, _, body = ct.api("GET", self.srv.base, "/sign-in")
        self.assertEqual(st, 200)
        self.assertIn("/sign-in/sso?authority=north", body)

    def test_cli_never_shows_the_secret(self):
        self.assertNotIn(SECRET, self.set_out)
        rows = ct.query(self.db, "SELECT after::text FROM audit_log WHERE "
                        "action = 'oidc.configure'")
        self.assertTrue(rows)
        self.assertIn(CLIENT, rows[0][0])
        out = ct.cli(self.db, "oidc", "list")
        self.assertIn("north", out)
        self.assertNotIn(SECRET, out)
        secret_file = os.path.join(ct.tmpdir("convene-oidc-"), "s")
        with open(secret_file, "w") as f:
            f.write("x\n")
        p = ct.run_cli(self.db, "oidc", "set", "north", "--issuer",
                       "http://evil.example", "--client-id", "x",
                       "--client-secret-file", secret_file,
                       "--allowed-domains", "x.gov.uk", "--map",
                       "admin=a")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--issuer", p.stderr)

    def test_zz_no_secrets_in_logs(self):
        # Runs last (alphabetical order): after every other flow.
        self.assert_signed_in(self.sign_in("sub-alice"))
        log = self.srv.log_text() + self.srv.stdout_text()
        self.assertNotIn(SECRET, log)
        for r in ct.query(self.db, "SELECT after::text FROM audit_log "
                          "WHERE after IS NOT NULL"):
            self.assertNotIn(SECRET, r[0])
        self.assertNotIn("eyJ", log)	# no JWT
        self.assertNotIn("code=", log)
        self.assertNotIn("state=", log)


if __name__ == "__main__":
    unittest.main()
