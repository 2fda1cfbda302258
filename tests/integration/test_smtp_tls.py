"""Delivery over TLS to a real SMTP server (issue 15, point 10).

A throwaway CA and a server certificate for 127.0.0.1 are made with the
openssl command; python3-aiosmtpd (smtp_sink.py) offers STARTTLS and
requires AUTH after it, or speaks TLS from the first byte (smtps://). The
real convene binary delivers through libcurl:

- STARTTLS + AUTH with CONVENE_SMTP_CA_FILE and CONVENE_SMTP_TLS=required:
  delivered over TLS, authenticated;
- a certificate the service does not trust (no CA file): not delivered,
  a clear last_error, the message queued for a retry; a restart with the
  CA file delivers it (nothing lost);
- a relay without STARTTLS: refused when required (clear error, queued),
  delivered in plain text when TLS is not required;
- smtps:// (implicit TLS) delivered.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_smtp_tls.py -v
"""

import datetime
import os
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

FROM = "strategy-meetings@council.example"
USER, PASSWORD = "convene", "relay-secret"
WAIT = 40


def make_certs(d):
    """ca.pem, and srv.pem/srv.key for IP 127.0.0.1 signed by it."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
        "/CN=Convene test CA", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext",
        "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key",
        "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n"
                "basicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2",
        "-extfile", "ext.cnf")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "srv.pem"),
                        os.path.join(d, "srv.key"))
    return os.path.join(d, "ca.pem"), ctx


class SmtpTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_smtp_tls")
        ct.add_user(cls.db, "tls-admin", "admin")
        ct.add_user(cls.db, "tls-sw", "social_worker", team="TLS Team")
        cls.admin = ct.token(cls.db, "tls-admin")
        cls.sw = ct.token(cls.db, "tls-sw")
        cls.ca, cls.ctx = make_certs(ct.tmpdir("convene-certs-"))
        cls.n = 0

    def server(self, sink, scheme="smtp", **env):
        e = {"CONVENE_SMTP_URL": "%s://127.0.0.1:%d" % (scheme, sink.port),
             "CONVENE_SMTP_FROM": FROM, "CONVENE_SMTP_USER": USER,
             "CONVENE_SMTP_PASSWORD": PASSWORD}
        e.update(env)
        return ct.Server(self.db, env=e)

    def book(self, srv):
        SmtpTlsTest.n += 1
        st, _, c = ct.api("POST", srv.base, "/api/v1/contacts",
                          token=self.admin,
                          json={"name": "Officer %d" % self.n,
                                "email": "officer%d@police.example" % self.n,
                                "agency": "police",
                                "organisation": "Police", "role": "DC"})
        self.assertEqual(st, 201, c)
        d = datetime.date.today() + datetime.timedelta(days=10)
        st, _, m = ct.api("POST", srv.base, "/api/v1/meetings", token=self.sw,
                          json={"case_ref": "TLS-%d" % self.n,
                                "children": [{"name": "A Child",
                                              "date_of_birth": "2020-01-01"}],
                                "kind": "meeting", "reason": "Concern",
                                "concern_received_at": "%sT09:00" %
                                datetime.date.today().isoformat(),
                                "starts_at": "%sT10:00" % d.isoformat(),
                                "duration_minutes": 60,
                                "format": "in_person", "location": "Room 1",
                                "participants": [{"contact_id": c["id"]}],
                                "missing_agency_reason": "TLS test"})
        self.assertEqual(st, 201, m)
        return m["id"]

    def outbox(self, mid):
        return ct.query(self.db, "SELECT status, attempts, last_error FROM "
                        "outbox WHERE discussion_id = %s", (mid,))

    def wait_status(self, mid, pred, what):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            rows = self.outbox(mid)
            if rows and all(pred(r) for r in rows):
                return rows
            time.sleep(0.3)
        self.fail("%s: %r" % (what, self.outbox(mid)))

    def delivered(self, sink, mid):
        self.wait_status(mid, lambda r: r[0] == "sent", "not delivered")
        got = [env for env, raw in sink.messages()
               if b"TLS-%d" % self.n in raw]
        self.assertEqual(len(got), 1)
        return got[0]

    def test_starttls_auth_required(self):
        sink = SmtpSink(ct.tmpdir("convene-sink-"), auth=(USER, PASSWORD),
                        tls=self.ctx).start()
        try:
            srv = self.server(sink, CONVENE_SMTP_TLS="required",
                              CONVENE_SMTP_CA_FILE=self.ca)
            try:
                env = self.delivered(sink, self.book(srv))
            finally:
                srv.stop()
            self.assertTrue(env["tls"])
            self.assertTrue(env["authenticated"])
            self.assertIn((USER, True), sink.auth_attempts)
        finally:
            sink.stop()

    def test_untrusted_certificate_retries(self):
        sink = SmtpSink(ct.tmpdir("convene-sink-"), auth=(USER, PASSWORD),
                        tls=self.ctx).start()
        try:
            srv = self.server(sink)	# no CA file: the system's CAs
            try:
                mid = self.book(srv)
                rows = self.wait_status(mid, lambda r: r[1] >= 1 and
                                        r[2] is not None, "no failure")
            finally:
                srv.stop()
            status, attempts, err = rows[0]
            self.assertEqual(status, "queued")
            self.assertIn("certificate", err)
            self.assertIn("CONVENE_SMTP_CA_FILE", err)
            self.assertEqual(sink.messages(), [])
            # Nothing lost: with the CA, the same message goes out.
            srv = self.server(sink, CONVENE_SMTP_CA_FILE=self.ca)
            try:
                env = self.delivered(sink, mid)
            finally:
                srv.stop()
            self.assertTrue(env["tls"])
        finally:
            sink.stop()

    def test_plain_relay(self):
        sink = SmtpSink(ct.tmpdir("convene-sink-")).start()
        try:
            srv = self.server(sink, CONVENE_SMTP_TLS="required",
                              CONVENE_SMTP_USER="")
            try:
                mid = self.book(srv)
                rows = self.wait_status(mid, lambda r: r[2] is not None,
                                        "no failure")
            finally:
                srv.stop()
            self.assertEqual(rows[0][0], "queued")
            self.assertIn("does not offer STARTTLS", rows[0][2])
            self.assertEqual(sink.messages(), [])
            srv = self.server(sink, CONVENE_SMTP_USER="")
            try:
                env = self.delivered(sink, mid)
            finally:
                srv.stop()
            self.assertFalse(env["tls"])
        finally:
            sink.stop()

    def test_smtps_implicit_tls(self):
        sink = SmtpSink(ct.tmpdir("convene-sink-"), auth=(USER, PASSWORD),
                        tls=self.ctx, implicit_tls=True).start()
        try:
            srv = self.server(sink, scheme="smtps",
                              CONVENE_SMTP_TLS="required",
                              CONVENE_SMTP_CA_FILE=self.ca)
            try:
                env = self.delivered(sink, self.book(srv))
            finally:
                srv.stop()
            self.assertTrue(env["tls"])
            self.assertTrue(env["authenticated"])
        finally:
            sink.stop()


if __name__ == "__main__":
    unittest.main()
