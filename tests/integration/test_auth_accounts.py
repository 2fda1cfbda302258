"""Accounts (issue 14, section 2): usernames unique whatever their case, the
sign-in form's signed token, deactivation, API tokens with expiry, changing
one's password and an administrator's reset, through the API, the command
line and the pages, against a real PostgreSQL.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_auth_accounts.py -v
"""

import hashlib
import os
import re
import sys
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402


def form_token(base):
    st, h, page = ct.api("GET", base, "/sign-in")
    assert st == 200
    return ct._cookie(h, ct.SIGNIN_COOKIE)


def post_sign_in(base, username, password, token, cookie_token=None):
    return ct.form("POST", base, "/sign-in",
                   {"username": username, "password": password,
                    "csrf_token": token},
                   cookies={ct.SIGNIN_COOKIE: cookie_token or token})


class AccountsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_auth_accounts")
        cls.pw = {}
        for name, role, team, auth in (
                ("a-admin", "admin", None, None),
                ("a-admin2", "admin", None, None),
                ("a-sw", "social_worker", "Acc Team", None),
                ("a-gone", "social_worker", "Acc Team", None),
                ("a-reset", "social_worker", "Acc Team", None),
                ("a-change", "social_worker", "Acc Team", None),
                ("a-tok", "social_worker", "Acc Team", None),
                ("a-far-admin", "admin", None, "farshire"),
                ("a-far-sw", "social_worker", "Far Team", "farshire"),
                ("Acc-Case", "social_worker", "Acc Team", None)):
            cls.pw[name] = ct.add_user(cls.db, name, role, team=team,
                                       authority=auth)
        cls.tok = {n: ct.token(cls.db, n) for n in
                   ("a-admin", "a-far-admin", "a-sw")}
        cls.srv = ct.Server(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def uid(self, name):
        return ct.query(self.db, "SELECT id FROM users WHERE username = %s",
                        (name,))[0][0]

    def api(self, method, path, token=None, **kw):
        return ct.api(method, self.srv.base, path, token=token, **kw)

    # ---- usernames -------------------------------------------------------

    def test_usernames_unique_whatever_their_case(self):
        with self.assertRaises(ct.CliError) as e:
            ct.add_user(self.db, "acc-case", "social_worker", team="Acc Team")
        self.assertIn("already exists", e.exception.stderr)
        with self.assertRaises(psycopg2.IntegrityError):
            ct.query(self.db, "INSERT INTO users (authority_id, username, "
                     "role, password_hash) SELECT authority_id, 'ACC-CASE', "
                     "role, password_hash FROM users WHERE username = "
                     "'Acc-Case'")
        # Sign-in is case-blind.
        cookie = ct.sign_in(self.srv.base, "aCC-cASE", self.pw["Acc-Case"])
        self.assertTrue(cookie)
        # Token commands find the user whatever the case.
        self.assertEqual(len(ct.token(self.db, "ACC-case")), 64)

    # ---- the sign-in form's token ------------------------------------------

    def test_sign_in_form_token_is_signed(self):
        good = form_token(self.srv.base)
        self.assertRegex(good, r"^[0-9]+\.[0-9a-f]{32}\.[0-9a-f]{64}$")
        # A double-submit pair the server did not sign (a cookie planted by
        # a sibling site) is refused, although field and cookie agree.
        forged = "%s.%s.%s" % (good.split(".")[0], "ab" * 16, "cd" * 32)
        st, _, page = post_sign_in(self.srv.base, "a-sw", self.pw["a-sw"],
                                   forged)
        self.assertEqual(st, 403)
        self.assertIn("The sign-in form had expired", page)
        # Changing the time invalidates the signature (and an old form is
        # refused anyway).
        t, n, mac = good.split(".")
        older = "%d.%s.%s" % (int(t) - 7200, n, mac)
        st, _, _ = post_sign_in(self.srv.base, "a-sw", self.pw["a-sw"], older)
        self.assertEqual(st, 403)
        # Field and cookie must still be the same.
        st, _, _ = post_sign_in(self.srv.base, "a-sw", self.pw["a-sw"], good,
                                form_token(self.srv.base))
        self.assertEqual(st, 403)
        st, h, _ = post_sign_in(self.srv.base, "a-sw", self.pw["a-sw"], good)
        self.assertEqual(st, 303)
        # One key, in the database only.
        rows = ct.query(self.db, "SELECT key_hex FROM server_keys")
        self.assertEqual(len(rows), 1)
        self.assertNotIn(rows[0][0], self.srv.log_text())

    # ---- deactivation ------------------------------------------------------

    def test_deactivate_ends_sessions_and_tokens_at_once(self):
        token = ct.token(self.db, "a-gone")
        cookie = ct.sign_in(self.srv.base, "a-gone", self.pw["a-gone"])
        self.assertEqual(self.api("GET", "/api/v1/meetings", token)[0], 200)
        self.assertEqual(ct.form("GET", self.srv.base, "/",
                                 cookie=cookie)[0], 200)
        out = ct.cli(self.db, "user", "deactivate", "A-GONE")
        self.assertIn("deactivated", out)
        st, h, body = self.api("GET", "/api/v1/meetings", token)
        self.assertEqual(st, 401)
        self.assertEqual(h["WWW-Authenticate"], "Bearer")
        st, h, _ = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual((st, h["Location"]), (303, "/sign-in"))
        st, _, _ = ct.api("GET", self.srv.base, "/api/v1/meetings",
                          headers={"Cookie": "convene_session=" + cookie})
        self.assertEqual(st, 401)
        with self.assertRaises(AssertionError):
            ct.sign_in(self.srv.base, "a-gone", self.pw["a-gone"])
        ct.cli(self.db, "user", "reactivate", "a-gone")
        self.assertTrue(ct.sign_in(self.srv.base, "a-gone",
                                   self.pw["a-gone"]))
        # Tokens stay revoked: a new one must be made.
        self.assertEqual(self.api("GET", "/api/v1/meetings", token)[0], 401)
        acts = [r[0] for r in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = 'user' "
            "AND entity_id = %s ORDER BY id", (self.uid("a-gone"),))]
        self.assertIn("user.deactivate", acts)
        self.assertIn("user.reactivate", acts)

    def test_admin_deactivates_within_own_authority_only(self):
        sw = self.uid("a-far-sw")
        st, _, body = self.api("POST", "/api/v1/users/%d/deactivate" % sw,
                               self.tok["a-admin"])
        self.assertEqual(st, 404)
        st, _, body = self.api("POST", "/api/v1/users/%d/deactivate" %
                               self.uid("a-admin"), self.tok["a-admin"])
        self.assertEqual(st, 409)
        st, _, body = self.api("GET", "/api/v1/users", self.tok["a-admin"])
        self.assertEqual(st, 200)
        names = {u["username"] for u in body["users"]}
        self.assertIn("a-sw", names)
        self.assertNotIn("a-far-sw", names)
        self.assertFalse(any("password" in k and k != "must_change_password"
                             for u in body["users"] for k in u))
        # The far admin deactivates their own user; the token dies.
        far_tok = ct.token(self.db, "a-far-sw")
        st, _, body = self.api("POST", "/api/v1/users/%d/deactivate" % sw,
                               self.tok["a-far-admin"])
        self.assertEqual((st, body["active"]), (200, False))
        self.assertEqual(self.api("GET", "/api/v1/meetings", far_tok)[0],
                         401)
        st, _, body = self.api("POST", "/api/v1/users/%d/reactivate" % sw,
                               self.tok["a-far-admin"])
        self.assertEqual((st, body["active"]), (200, True))

    # ---- tokens ------------------------------------------------------------

    def test_token_expiry_list_and_revoke_on_the_command_line(self):
        out = ct.cli(self.db, "token", "create", "a-tok")
        tok = out.strip().splitlines()[-1]
        tid = int(re.search(r"API token (\d+)", out).group(1))
        self.assertIn("90 days", out)
        days = ct.query(self.db, "SELECT extract(day FROM expires_at - "
                        "created_at) FROM api_tokens WHERE id = %s",
                        (tid,))[0][0]
        self.assertEqual(int(days), 90)
        out = ct.cli(self.db, "token", "create", "a-tok", "--expires-days",
                     "2", "--label", "laptop")
        short = out.strip().splitlines()[-1]
        sid = int(re.search(r"API token (\d+)", out).group(1))
        self.assertEqual(self.api("GET", "/api/v1/meetings", short)[0], 200)
        listing = ct.cli(self.db, "token", "list", "a-tok")
        self.assertRegex(listing, r"(?m)^%d\s+active\s+\S+\s+laptop$" % sid)
        self.assertNotIn(short, listing)
        # Expired: refused at once.
        ct.query(self.db, "UPDATE api_tokens SET expires_at = now() - "
                 "interval '1 second' WHERE id = %s", (sid,))
        self.assertEqual(self.api("GET", "/api/v1/meetings", short)[0], 401)
        self.assertRegex(ct.cli(self.db, "token", "list", "a-tok"),
                         r"(?m)^%d\s+expired" % sid)
        # Revoked: refused.
        self.assertEqual(self.api("GET", "/api/v1/meetings", tok)[0], 200)
        self.assertIn("revoked", ct.cli(self.db, "token", "revoke",
                                        str(tid)))
        self.assertEqual(self.api("GET", "/api/v1/meetings", tok)[0], 401)
        for bad in (["token", "create", "a-tok", "--expires-days", "0"],
                    ["token", "create", "a-tok", "--expires-days", "400"],
                    ["token", "revoke", "99999999"],
                    ["token", "list", "nobody-at-all"]):
            p = ct.run_cli(self.db, *bad)
            self.assertNotEqual(p.returncode, 0, bad)

    def test_own_tokens_through_the_api(self):
        cookie = ct.sign_in(self.srv.base, "a-tok", self.pw["a-tok"])
        csrf = ct.session_csrf(self.db, cookie)
        h = {"Cookie": "convene_session=" + cookie, "X-CSRF-Token": csrf}
        st, _, body = ct.api("POST", self.srv.base, "/api/v1/account/tokens",
                             json={"label": "script", "expires_days": 7},
                             headers=h)
        self.assertEqual(st, 201, body)
        self.assertEqual((body["label"], body["state"]), ("script", "active"))
        tok, tid = body["token"], body["id"]
        self.assertEqual(self.api("GET", "/api/v1/meetings", tok)[0], 200)
        # A token may not make tokens.
        st, _, _ = self.api("POST", "/api/v1/account/tokens", tok, json={})
        self.assertEqual(st, 403)
        st, _, body = self.api("GET", "/api/v1/account/tokens", tok)
        self.assertEqual(st, 200)
        mine = [t for t in body["tokens"] if t["id"] == tid][0]
        self.assertNotIn("token", mine)
        # Nobody revokes another's token through their own list.
        st, _, _ = self.api("DELETE", "/api/v1/account/tokens/%d" % tid,
                            self.tok["a-sw"])
        self.assertEqual(st, 404)
        # The admin of another authority cannot touch it either.
        st, _, _ = self.api("DELETE", "/api/v1/users/%d/tokens/%d" % (
            self.uid("a-tok"), tid), self.tok["a-far-admin"])
        self.assertEqual(st, 404)
        st, _, body = self.api("GET", "/api/v1/users/%d/tokens" %
                               self.uid("a-tok"), self.tok["a-admin"])
        self.assertIn(tid, [t["id"] for t in body["tokens"]])
        st, _, _ = self.api("DELETE", "/api/v1/account/tokens/%d" % tid, tok)
        self.assertEqual(st, 200)
        self.assertEqual(self.api("GET", "/api/v1/meetings", tok)[0], 401)
        for bad in ({"expires_days": 0}, {"expires_days": 367},
                    {"label": "x" * 101}, {"owner": "a-sw"}):
            st, _, body = ct.api("POST", self.srv.base,
                                 "/api/v1/account/tokens", json=bad,
                                 headers=h)
            self.assertEqual(st, 422, (bad, body))
        # Only the hash is stored.
        self.assertEqual(ct.query(self.db, "SELECT count(*) FROM api_tokens "
                                  "WHERE token_hash = %s", (tok,))[0][0], 0)
        self.assertEqual(ct.query(
            self.db, "SELECT count(*) FROM api_tokens WHERE token_hash = %s",
            (hashlib.blake2b(tok.encode(), digest_size=32).hexdigest(),))
            [0][0], 1)

    # ---- passwords ---------------------------------------------------------

    def test_change_own_password(self):
        old = self.pw["a-change"]
        other = ct.sign_in(self.srv.base, "a-change", old)
        cookie = ct.sign_in(self.srv.base, "a-change", old)
        h = {"Cookie": "convene_session=" + cookie,
             "X-CSRF-Token": ct.session_csrf(self.db, cookie)}
        path = "/api/v1/account/password"
        st, _, body = ct.api("POST", self.srv.base, path, headers=h, json={
            "current_password": "not-it-at-all", "new_password": "x" * 20})
        self.assertEqual((st, body["error"]["field"]),
                         (422, "current_password"))
        st, _, body = ct.api("POST", self.srv.base, path, headers=h, json={
            "current_password": old, "new_password": "short"})
        self.assertEqual((st, body["error"]["field"]), (422, "new_password"))
        new = "a new and long passphrase"
        st, _, body = ct.api("POST", self.srv.base, path, headers=h, json={
            "current_password": old, "new_password": new})
        self.assertEqual(st, 200, body)
        # This session lives on, the other one has ended.
        self.assertEqual(ct.form("GET", self.srv.base, "/",
                                 cookie=cookie)[0], 200)
        self.assertEqual(ct.form("GET", self.srv.base, "/",
                                 cookie=other)[0], 303)
        with self.assertRaises(AssertionError):
            ct.sign_in(self.srv.base, "a-change", old)
        self.assertTrue(ct.sign_in(self.srv.base, "a-change", new))
        self.assertNotIn(new, self.srv.log_text())

    def test_admin_reset_forces_a_change_at_next_sign_in(self):
        uid = self.uid("a-reset")
        token = ct.token(self.db, "a-reset")
        before = ct.sign_in(self.srv.base, "a-reset", self.pw["a-reset"])
        # Another authority's admin: not found. One's own: use change.
        st, _, _ = self.api("POST", "/api/v1/users/%d/password-reset" % uid,
                            self.tok["a-far-admin"])
        self.assertEqual(st, 404)
        st, _, _ = self.api("POST", "/api/v1/users/%d/password-reset" %
                            self.uid("a-admin"), self.tok["a-admin"])
        self.assertEqual(st, 409)
        st, _, body = self.api("POST", "/api/v1/users/%d/password-reset" %
                               uid, self.tok["a-admin"])
        self.assertEqual(st, 200, body)
        temp = body["temporary_password"]
        self.assertTrue(body["must_change_password"])
        # Everything the user had has ended.
        self.assertEqual(self.api("GET", "/api/v1/meetings", token)[0], 401)
        self.assertEqual(ct.form("GET", self.srv.base, "/",
                                 cookie=before)[0], 303)
        with self.assertRaises(AssertionError):
            ct.sign_in(self.srv.base, "a-reset", self.pw["a-reset"])
        # Signing in with the temporary password leads to the change page;
        # nothing else opens until the password is changed.
        tok = form_token(self.srv.base)
        st, h, _ = post_sign_in(self.srv.base, "a-reset", temp, tok)
        self.assertEqual((st, h["Location"]), (303, "/account/password"))
        cookie = ct._cookie(h, ct.SESSION_COOKIE)
        st, h, _ = ct.form("GET", self.srv.base, "/", cookie=cookie)
        self.assertEqual((st, h["Location"]), (303, "/account/password"))
        st, _, body = ct.api("GET", self.srv.base, "/api/v1/meetings",
                             headers={"Cookie": "convene_session=" + cookie})
        self.assertEqual(st, 403)
        csrf = ct.session_csrf(self.db, cookie)
        st, _, page = ct.form("GET", self.srv.base, "/account/password",
                              cookie=cookie)
        self.assertEqual(st, 200)
        self.assertIn("An administrator reset your password", page)
        new = "my very own passphrase"
        st, _, page = ct.form("POST", self.srv.base, "/account/password",
                              {"current_password": temp,
                               "new_password": new}, cookie=cookie,
                              csrf=csrf)
        self.assertEqual(st, 200)
        self.assertIn("Your password has been changed", page)
        self.assertEqual(ct.form("GET", self.srv.base, "/",
                                 cookie=cookie)[0], 200)
        self.assertTrue(ct.sign_in(self.srv.base, "a-reset", new))
        acts = [r[0] for r in ct.query(
            self.db, "SELECT action FROM audit_log WHERE entity = 'user' "
            "AND entity_id = %s ORDER BY id", (uid,))]
        self.assertIn("user.password_reset", acts)
        self.assertIn("user.password_change", acts)
        log = self.srv.log_text()
        self.assertNotIn(temp, log)
        self.assertNotIn(new, log)

    def test_admin_pages(self):
        admin = ct.sign_in(self.srv.base, "a-admin", self.pw["a-admin"])
        csrf = ct.session_csrf(self.db, admin)
        uid = self.uid("a-sw")
        st, _, page = ct.form("GET", self.srv.base, "/admin/users",
                              cookie=admin)
        self.assertEqual(st, 200)
        self.assertIn('action="/admin/users/%d/deactivate"' % uid, page)
        self.assertNotIn('action="/admin/users/%d/deactivate"' %
                         self.uid("a-admin"), page)
        self.assertNotIn("a-far-sw", page)
        user = ct.sign_in(self.srv.base, "a-sw", self.pw["a-sw"])
        st, h, _ = ct.form("POST", self.srv.base,
                           "/admin/users/%d/deactivate" % uid, {},
                           cookie=admin, csrf=csrf)
        self.assertEqual((st, h["Location"]),
                         (303, "/admin/users?done=deactivated"))
        self.assertEqual(ct.form("GET", self.srv.base, "/",
                                 cookie=user)[0], 303)
        self.assertEqual(self.api("GET", "/api/v1/meetings",
                                  self.tok["a-sw"])[0], 401)
        st, _, page = ct.form("GET", self.srv.base, "/admin/users",
                              cookie=admin)
        self.assertIn('action="/admin/users/%d/reactivate"' % uid, page)
        st, h, _ = ct.form("POST", self.srv.base,
                           "/admin/users/%d/reactivate" % uid, {},
                           cookie=admin, csrf=csrf)
        self.assertEqual(st, 303)
        # Another authority's user: not found, nothing changes.
        st, _, _ = ct.form("POST", self.srv.base, "/admin/users/%d/"
                           "deactivate" % self.uid("a-far-sw"), {},
                           cookie=admin, csrf=csrf)
        self.assertEqual(st, 404)
        st, _, page = ct.form("POST", self.srv.base,
                              "/admin/users/%d/password-reset" % uid, {},
                              cookie=admin, csrf=csrf)
        self.assertEqual(st, 200)
        temp = re.search(r'id="new-password">([0-9a-f]+)<', page).group(1)
        st, h, _ = post_sign_in(self.srv.base, "a-sw", temp,
                                form_token(self.srv.base))
        self.assertEqual((st, h["Location"]), (303, "/account/password"))
        self.assertNotIn(temp, self.srv.log_text())
        # Put a-sw back as it was, for the other tests.
        cookie = ct._cookie(h, ct.SESSION_COOKIE)
        st, _, _ = ct.form("POST", self.srv.base, "/account/password",
                           {"current_password": temp,
                            "new_password": self.pw["a-sw"] + "-two"},
                           cookie=cookie,
                           csrf=ct.session_csrf(self.db, cookie))
        self.assertEqual(st, 200)
        self.pw["a-sw"] += "-two"
        self.tok["a-sw"] = ct.token(self.db, "a-sw")

    def test_reset_on_the_command_line(self):
        out = ct.cli(self.db, "user", "reset-password", "a-admin2")
        temp = out.strip().splitlines()[-1]
        st, h, _ = post_sign_in(self.srv.base, "a-admin2", temp,
                                form_token(self.srv.base))
        self.assertEqual((st, h["Location"]), (303, "/account/password"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
