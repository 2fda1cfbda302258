"""Two-step sign-in (identity issue, section 2; docs/security.md, "Multi-factor
authentication"): TOTP (RFC 6238) and recovery codes for local accounts,
against a real PostgreSQL and the real server.

- a manager (or admin) without TOTP gets a session that reaches nothing but
  setting it up; an API token of theirs still works (tokens are not
  affected)
- enrolment shows a secret and an otpauth URI and takes effect only after a
  first valid code; ten recovery codes are shown once
- sign-in with TOTP: no session before the code; a wrong code is refused; a
  code is used once (replay refused); the second-step state is single-use
- a recovery code works once
- the authority's "everyone" setting applies to sessions already open
- an administrator's reset (and the operator's `convene user mfa-reset`)
  forces enrolment again and never shows a secret; not across authorities
- a social worker may turn TOTP off with a code; a manager may not
- wrong codes take from the sign-in budget: 429 with Retry-After, at sign-in
  and on the account page (new recovery codes, turning it off)
- the secret is sealed at rest; no secret or code in the audit log or the
  server's log

Codes are made by pyotp (python3-pyotp), independently of liboath.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_mfa.py -v
"""

import os
import re
import sys
import unittest

import pyotp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

USERS = (
    ("m-mgr", "manager", "MFA Team", None),
    ("m-mgr2", "manager", "MFA Team", None),
    ("m-mgr-r", "manager", "MFA Team", None),
    ("m-mgr-cli", "manager", "MFA Team", None),
    ("m-thr", "manager", "MFA Team", None),
    ("m-renew", "manager", "MFA Team", None),
    ("m-admin", "admin", None, None),
    ("m-sw", "social_worker", "MFA Team", None),
    ("m-sw-off", "social_worker", "MFA Team", None),
    ("m-far-admin", "admin", None, "mfashire"),
    ("m-far-sw", "social_worker", "Far MFA Team", "mfashire"),
)


def sign_in_password(base, user, password):
    """The first step only: (status, headers) of POST /sign-in."""
    st, h, _ = ct.api("GET", base, "/sign-in")
    tok = ct._cookie(h, ct.SIGNIN_COOKIE)
    st, h, _ = ct.form("POST", base, "/sign-in",
                       {"username": user, "password": password,
                        "csrf_token": tok},
                       cookies={ct.SIGNIN_COOKIE: tok})
    return st, h


class MfaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_mfa")
        cls.pw = {n: ct.add_user(cls.db, n, r, team=t, authority=a)
                  for n, r, t, a in USERS}
        cls.srv = ct.Server(cls.db)
        cls.codes_used = []	# every TOTP and recovery code typed in

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def uid(self, name):
        return ct.query(self.db, "SELECT id FROM users WHERE username = %s",
                        (name,))[0][0]

    def get(self, path, cookie):
        return ct.form("GET", self.srv.base, path, cookie=cookie)

    def code(self, user):
        c = ct.mfa_code(user)
        self.codes_used.append(c)
        return c

    def audits(self, action, user):
        return ct.query(self.db, "SELECT user_id FROM audit_log WHERE "
                        "action = %s AND entity = 'user' AND entity_id = %s",
                        (action, self.uid(user)))

    def enrolled_sign_in(self, user):
        """Sign in (enrolling the first time) through the harness."""
        cookie = ct.sign_in(self.srv.base, user, self.pw[user])
        self.codes_used.extend(ct.mfa_recovery.get(user, []))
        return cookie

    # ---- enrolment ---------------------------------------------------------

    def test_manager_without_mfa_must_enrol_before_any_page(self):
        token = ct.token(self.db, "m-mgr")
        st, h = sign_in_password(self.srv.base, "m-mgr", self.pw["m-mgr"])
        self.assertEqual((st, h["Location"]), (303, "/account/mfa"))
        cookie = ct._cookie(h, ct.SESSION_COOKIE)
        for path in ("/", "/meetings", "/directory", "/stats"):
            st, h, _ = self.get(path, cookie)
            self.assertEqual((st, h.get("Location")), (303, "/account/mfa"),
                             path)
        st, _, body = ct.api("GET", self.srv.base, "/api/v1/meetings",
                             headers={"Cookie": "convene_session=" + cookie})
        self.assertEqual(st, 403, body)
        # A bearer token is a second secret already: not affected.
        st, _, _ = ct.api("GET", self.srv.base, "/api/v1/meetings", token)
        self.assertEqual(st, 200)
        # The page: a secret, its otpauth URI, and nothing on yet.
        st, _, page = self.get("/account/mfa", cookie)
        self.assertEqual(st, 200)
        secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', page).group(1)
        self.assertEqual(len(secret), 32)
        self.assertIn('href="otpauth://totp/Convene:m-mgr?secret=%s&amp;'
                      'issuer=Convene' % secret, page)
        # Reloading keeps the secret (an app set up from the first view
        # still works); it takes effect only after a first valid code.
        self.assertIn(secret, self.get("/account/mfa", cookie)[2])
        self.assertEqual(ct.query(self.db, "SELECT confirmed_at FROM "
                                  "mfa_totp WHERE user_id = %s",
                                  (self.uid("m-mgr"),))[0][0], None)
        csrf = ct.session_csrf(self.db, cookie)
        wrong = pyotp.TOTP(pyotp.random_base32()).now()
        st, _, page = ct.form("POST", self.srv.base, "/account/mfa",
                              {"code": wrong}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422)
        self.assertIn("Enter a correct code", page)
        st, _, page = ct.form("POST", self.srv.base, "/account/mfa",
                              {"code": "12ab"}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422)
        self.assertEqual(self.get("/", cookie)[0], 303)
        good = pyotp.TOTP(secret).now()
        self.codes_used.append(good)
        st, _, page = ct.form("POST", self.srv.base, "/account/mfa",
                              {"code": good}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 200, page)
        codes = re.findall(r'class="app-recovery-code">([A-Z2-9-]+)<', page)
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        self.codes_used.extend(codes)
        # The same session now reaches everything its role may.
        self.assertEqual(self.get("/", cookie)[0], 200)
        # Shown once: the page now offers no secret and no codes.
        page = self.get("/account/mfa", cookie)[2]
        self.assertNotIn(secret, page)
        self.assertNotIn(codes[0], page)
        self.assertIn("Get new recovery codes", page)
        self.assertEqual(self.audits("mfa.enrol", "m-mgr"),
                         [(self.uid("m-mgr"),)])
        # Only hashes of the codes are stored.
        rows = ct.query(self.db, "SELECT code_hash FROM mfa_recovery_codes "
                        "WHERE user_id = %s", (self.uid("m-mgr"),))
        self.assertEqual(len(rows), 10)
        for (h,) in rows:
            self.assertNotIn(h, [c.lower() for c in codes])
        ct.mfa_secrets["m-mgr"] = secret
        ct.mfa_recovery["m-mgr"] = codes

    # ---- signing in -----------------------------------------------------------

    def test_sign_in_with_code_wrong_code_and_replay(self):
        self.enrolled_sign_in("m-mgr2")
        base = self.srv.base
        st, h = sign_in_password(base, "m-mgr2", self.pw["m-mgr2"])
        self.assertEqual((st, h["Location"]), (303, "/sign-in/code"))
        # No session before the second factor.
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        pending = ct._cookie(h, ct.MFA_COOKIE)
        self.assertIn("Max-Age=300", ";".join(h.get_all("Set-Cookie")))
        self.assertIn("HttpOnly", ";".join(h.get_all("Set-Cookie")))
        # Without the state, the code page sends back to the start.
        st, h, _ = ct.form("GET", base, "/sign-in/code")
        self.assertEqual((st, h["Location"]), (303, "/sign-in"))
        st, h, _ = ct.form("GET", base, "/sign-in/code",
                           cookies={ct.MFA_COOKIE: "0" * 64})
        self.assertEqual((st, h["Location"]), (303, "/sign-in"))
        # A wrong code: the page again, no session.
        wrong = "%06d" % ((int(pyotp.TOTP(ct.mfa_secrets["m-mgr2"]).now())
                           + 1) % 1000000)
        st, h, page = ct.mfa_code_step(base, "m-mgr2", pending, wrong)
        self.assertEqual(st, 200)
        self.assertIn("Enter a correct security code", page)
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        # The form's token is the state's: another one is refused.
        st, _, _ = ct.form("POST", base, "/sign-in/code",
                           {"code": "123456", "csrf_token": "f" * 64},
                           cookies={ct.MFA_COOKIE: pending})
        self.assertEqual(st, 403)
        # The right code: a session.
        code = self.code("m-mgr2")
        st, h, _ = ct.mfa_code_step(base, "m-mgr2", pending, code)
        self.assertEqual((st, h["Location"]), (303, "/"))
        cookie = ct._cookie(h, ct.SESSION_COOKIE)
        self.assertEqual(self.get("/", cookie)[0], 200)
        # The state was single-use.
        st, h, _ = ct.form("GET", base, "/sign-in/code",
                           cookies={ct.MFA_COOKIE: pending})
        self.assertEqual((st, h["Location"]), (303, "/sign-in"))
        # The same code again, in a new sign-in: a replay, refused.
        st, h = sign_in_password(base, "m-mgr2", self.pw["m-mgr2"])
        pending = ct._cookie(h, ct.MFA_COOKIE)
        st, h, page = ct.mfa_code_step(base, "m-mgr2", pending, code)
        self.assertEqual(st, 200)
        self.assertIn("used already", page)
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        # An expired state is refused too.
        ct.query(ct.owner_url(self.db), "UPDATE mfa_pending SET created_at = "
                 "now() - interval '301 s'")
        st, h, _ = ct.form("GET", base, "/sign-in/code",
                           cookies={ct.MFA_COOKIE: pending})
        self.assertEqual((st, h["Location"]), (303, "/sign-in"))
        self.assertIn("second factor failed for m-mgr2",
                      self.srv.log_text())

    def test_recovery_code_works_once(self):
        self.enrolled_sign_in("m-admin")
        rc = ct.mfa_recovery["m-admin"][3]
        base = self.srv.base
        # (The harness may have spent one of the last five already.)
        unused = "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = " \
            "%s AND used_at IS NULL"
        left = ct.query(self.db, unused, (self.uid("m-admin"),))[0][0]
        audits = len(self.audits("mfa.recovery_used", "m-admin"))
        st, h = sign_in_password(base, "m-admin", self.pw["m-admin"])
        # Typed in lower case without the hyphen: still the code.
        st, h, _ = ct.mfa_code_step(base, "m-admin",
                                    ct._cookie(h, ct.MFA_COOKIE),
                                    rc.replace("-", "").lower())
        self.assertEqual((st, h["Location"]), (303, "/"))
        self.assertEqual(self.get("/", ct._cookie(h, ct.SESSION_COOKIE))[0],
                         200)
        self.assertEqual(len(self.audits("mfa.recovery_used", "m-admin")),
                         audits + 1)
        st, h = sign_in_password(base, "m-admin", self.pw["m-admin"])
        st, h, page = ct.mfa_code_step(base, "m-admin",
                                       ct._cookie(h, ct.MFA_COOKIE), rc)
        self.assertEqual(st, 200)
        self.assertIn("Enter a correct security code", page)
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        self.assertEqual(ct.query(self.db, unused,
                                  (self.uid("m-admin"),))[0][0], left - 1)

    def test_new_recovery_codes_replace_the_old(self):
        cookie = self.enrolled_sign_in("m-mgr-cli")
        old = ct.mfa_recovery["m-mgr-cli"]
        csrf = ct.session_csrf(self.db, cookie)
        st, _, page = ct.form("POST", self.srv.base,
                              "/account/mfa/recovery-codes",
                              {"code": "000000"}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422)
        st, _, page = ct.form("POST", self.srv.base,
                              "/account/mfa/recovery-codes",
                              {"code": self.code("m-mgr-cli")}, cookie=cookie,
                              csrf=csrf)
        self.assertEqual(st, 200)
        new = re.findall(r'class="app-recovery-code">([A-Z2-9-]+)<', page)
        self.codes_used.extend(new)
        self.assertEqual(len(new), 10)
        self.assertFalse(set(new) & set(old))
        self.assertEqual(len(self.audits("mfa.recovery_renew",
                                         "m-mgr-cli")), 1)
        # An old code no longer works.
        st, h = sign_in_password(self.srv.base, "m-mgr-cli",
                                 self.pw["m-mgr-cli"])
        st, h, _ = ct.mfa_code_step(self.srv.base, "m-mgr-cli",
                                    ct._cookie(h, ct.MFA_COOKIE), old[0])
        self.assertEqual(st, 200)
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        ct.mfa_recovery["m-mgr-cli"] = new

    # ---- who must have it ------------------------------------------------------

    def test_everyone_setting_of_an_authority(self):
        base = self.srv.base
        far_sw = ct.sign_in(base, "m-far-sw", self.pw["m-far-sw"])
        self.assertEqual(self.get("/", far_sw)[0], 200)
        self.assertNotIn("m-far-sw", ct.mfa_secrets)
        admin_token = ct.token(self.db, "m-far-admin")
        auth = ct.query(self.db, "SELECT authority_id FROM users WHERE "
                        "username = 'm-far-sw'")[0][0]
        path = "/api/v1/authorities/%d/settings" % auth
        st, _, body = ct.api("GET", base, path, admin_token)
        self.assertEqual((st, body["mfa_required_for_everyone"]),
                         (200, False))
        st, _, body = ct.api("PUT", base, path, admin_token,
                             json={"mfa_required_for_everyone": "yes"})
        self.assertEqual(st, 422)
        self.assertIn("mfa_required_for_everyone", str(body))
        st, _, body = ct.api("PUT", base, path, admin_token,
                             json={"mfa_required_for_everyone": True})
        self.assertEqual((st, body.get("mfa_required_for_everyone")),
                         (200, True), body)
        # The open session of a social worker now only reaches set-up.
        st, h, _ = self.get("/", far_sw)
        self.assertEqual((st, h["Location"]), (303, "/account/mfa"))
        st, h = sign_in_password(base, "m-far-sw", self.pw["m-far-sw"])
        self.assertEqual((st, h["Location"]), (303, "/account/mfa"))
        # The default authority's social workers are not affected.
        sw = ct.sign_in(base, "m-sw", self.pw["m-sw"])
        self.assertEqual(self.get("/", sw)[0], 200)
        # Someone required to have it cannot turn it off.
        cookie = ct.sign_in(base, "m-far-sw", self.pw["m-far-sw"])
        self.codes_used.extend(ct.mfa_recovery["m-far-sw"])
        self.assertEqual(self.get("/", cookie)[0], 200)
        st, _, page = ct.form("POST", base, "/account/mfa/disable",
                              {"code": self.code("m-far-sw")}, cookie=cookie,
                              csrf=ct.session_csrf(self.db, cookie))
        self.assertEqual(st, 422)
        self.assertIn("cannot be turned off", page)
        # The settings page has the radios.
        admin = ct.sign_in(base, "m-far-admin", self.pw["m-far-admin"])
        page = self.get("/admin/settings", admin)[2]
        self.assertRegex(page, r'name="mfa_required_for_everyone" '
                         r'type="radio" value="yes" checked')

    def test_social_worker_may_turn_it_off(self):
        base = self.srv.base
        cookie = ct.sign_in(base, "m-sw-off", self.pw["m-sw-off"])
        ct.mfa_enrol(base, "m-sw-off", cookie)
        self.codes_used.extend(ct.mfa_recovery["m-sw-off"])
        st, h = sign_in_password(base, "m-sw-off", self.pw["m-sw-off"])
        self.assertEqual(h["Location"], "/sign-in/code")
        cookie = ct.sign_in(base, "m-sw-off", self.pw["m-sw-off"])
        st, h, _ = ct.form("POST", base, "/account/mfa/disable",
                           {"code": self.code("m-sw-off")}, cookie=cookie,
                           csrf=ct.session_csrf(self.db, cookie))
        self.assertEqual((st, h["Location"]), (303, "/account/mfa"))
        self.assertEqual(len(self.audits("mfa.disable", "m-sw-off")), 1)
        st, h = sign_in_password(base, "m-sw-off", self.pw["m-sw-off"])
        self.assertEqual(h["Location"], "/")
        ct.mfa_forget("m-sw-off")

    # ---- resets ---------------------------------------------------------------

    def test_admin_reset_forces_enrolment_again(self):
        base = self.srv.base
        user = self.enrolled_sign_in("m-mgr-r")
        old_secret = ct.mfa_secrets["m-mgr-r"]
        admin = self.enrolled_sign_in("m-admin")
        uid = self.uid("m-mgr-r")
        # Another authority's admin: no such user. One's own: refused.
        far = ct.sign_in(base, "m-far-admin", self.pw["m-far-admin"])
        st, _, _ = ct.form("POST", base, "/admin/users/%d/mfa-reset" % uid,
                           cookie=far, csrf=ct.session_csrf(self.db, far))
        self.assertEqual(st, 404)
        st, _, _ = ct.form("POST", base, "/admin/users/%d/mfa-reset" %
                           self.uid("m-admin"), cookie=admin,
                           csrf=ct.session_csrf(self.db, admin))
        self.assertEqual(st, 404)
        # The users page offers the reset, and shows no secret.
        page = self.get("/admin/users", admin)[2]
        self.assertIn("/admin/users/%d/mfa-reset" % uid, page)
        st, h, body = ct.form("POST", base, "/admin/users/%d/mfa-reset" %
                              uid, cookie=admin,
                              csrf=ct.session_csrf(self.db, admin))
        self.assertEqual((st, h["Location"]), (303, "/admin/users"))
        self.assertNotIn(old_secret, body)
        self.assertEqual(self.audits("mfa.reset", "m-mgr-r"),
                         [(self.uid("m-admin"),)])
        # The users page no longer shows it as on.
        self.assertNotIn("/admin/users/%d/mfa-reset" % uid,
                         self.get("/admin/users", admin)[2])
        # Their session ended; the next sign-in sets up a new secret.
        self.assertEqual(self.get("/", user)[1]["Location"], "/sign-in")
        st, h = sign_in_password(base, "m-mgr-r", self.pw["m-mgr-r"])
        self.assertEqual((st, h["Location"]), (303, "/account/mfa"))
        ct.mfa_enrol(base, "m-mgr-r", ct._cookie(h, ct.SESSION_COOKIE))
        self.codes_used.extend(ct.mfa_recovery["m-mgr-r"])
        self.assertNotEqual(ct.mfa_secrets["m-mgr-r"], old_secret)
        # The operator's reset, for a lock-out.
        out = ct.cli(self.db, "user", "mfa-reset", "m-mgr-r")
        self.assertIn("two-step sign-in of m-mgr-r reset", out)
        self.assertNotIn(ct.mfa_secrets["m-mgr-r"], out)
        self.assertEqual(len(self.audits("mfa.reset", "m-mgr-r")), 2)
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM mfa_totp "
                                  "WHERE user_id = %s", (uid,))[0][0], 0)
        ct.mfa_forget("m-mgr-r")
        self.enrolled_sign_in("m-mgr-r")

    # ---- throttling ---------------------------------------------------------------

    def test_wrong_codes_are_throttled(self):
        base = self.srv.base
        self.enrolled_sign_in("m-thr")
        st, h = sign_in_password(base, "m-thr", self.pw["m-thr"])
        pending = ct._cookie(h, ct.MFA_COOKIE)
        right = pyotp.TOTP(ct.mfa_secrets["m-thr"]).now()
        wrong = "%06d" % ((int(right) + 500000) % 1000000)
        for i in range(5):
            st, h, _ = ct.mfa_code_step(base, "m-thr", pending, wrong)
            self.assertEqual(st, 200, i)
        st, h, page = ct.mfa_code_step(base, "m-thr", pending, wrong)
        self.assertEqual(st, 429)
        self.assertGreater(int(h["Retry-After"]), 0)
        self.assertIn("too many failed attempts", page)
        # Over budget, even the right code is not looked at.
        st, h, _ = ct.mfa_code_step(base, "m-thr", pending,
                                    self.code("m-thr"))
        self.assertEqual(st, 429)
        self.assertIsNone(ct._cookie(h, ct.SESSION_COOKIE))
        self.assertIn("second factor refused for m-thr", self.srv.log_text())

    def test_wrong_codes_on_the_account_page_are_throttled(self):
        # A stolen session must not guess its way to new recovery codes.
        base = self.srv.base
        cookie = self.enrolled_sign_in("m-renew")
        csrf = ct.session_csrf(self.db, cookie)
        right = pyotp.TOTP(ct.mfa_secrets["m-renew"]).now()
        wrong = "%06d" % ((int(right) + 500000) % 1000000)
        for i in range(5):
            st, _, _ = ct.form("POST", base, "/account/mfa/recovery-codes",
                               {"code": wrong}, cookie=cookie, csrf=csrf)
            self.assertEqual(st, 422, i)
        st, h, page = ct.form("POST", base, "/account/mfa/recovery-codes",
                              {"code": self.code("m-renew")}, cookie=cookie,
                              csrf=csrf)
        self.assertEqual(st, 429)
        self.assertGreater(int(h["Retry-After"]), 0)
        self.assertIn("too many wrong codes", page)
        self.assertNotIn("app-recovery-code", page)
        self.assertEqual(len(self.audits("mfa.recovery_renew", "m-renew")),
                         0)
        # An empty form is no guess: the field's own message.
        st, _, page = ct.form("POST", base, "/account/mfa/recovery-codes",
                              {}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422)
        self.assertIn("second factor change refused for m-renew",
                      self.srv.log_text())

    # ---- secrets -------------------------------------------------------------------

    def test_z_secrets_sealed_and_never_logged(self):
        # Runs last (unittest sorts by name): every code typed so far.
        self.assertTrue(ct.mfa_secrets)
        rows = ct.query(self.db, "SELECT secret_sealed FROM mfa_totp")
        sealed = " ".join(r[0] for r in rows)
        for secret in ct.mfa_secrets.values():
            raw = pyotp.TOTP(secret).byte_secret()
            self.assertNotIn(raw.hex(), sealed)
            self.assertNotIn(secret, sealed.upper())
        audit = " ".join(str(r) for r in ct.query(
            self.db, "SELECT action, before::text, after::text FROM "
            "audit_log WHERE action LIKE 'mfa.%'"))
        log = self.srv.log_text()
        everything = list(ct.mfa_secrets.values()) + self.codes_used
        for s in everything:
            for form in (s, s.replace("-", "")):
                word = re.compile(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" %
                                  re.escape(form))
                self.assertIsNone(word.search(log), form)
                self.assertIsNone(word.search(audit), form)


if __name__ == "__main__":
    unittest.main()
