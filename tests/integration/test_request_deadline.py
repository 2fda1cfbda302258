"""A request deadline (issue 14, section 3; include/deadline.h).

Slow clients cannot hold connections: headers that take longer than 10
seconds, or a body that arrives slower than 1 KiB a second on average after
a 10-second grace, get the connection closed, although each byte comes well
inside libmicrohttpd's 30-second idle timeout. Meanwhile the service answers
others at once, a normal keep-alive client is never cut, and /metrics
counts the cuts.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_request_deadline.py -v
"""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

HEADERS_SECS = 10
IDLE_SECS = 30


def trickle(port, first, then, every, result, key):
    """Send first, then one byte of then every `every` seconds until the
    server closes; result[key] = seconds the connection lived, or None if
    it outlived all of then."""
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    try:
        s.sendall(first)
        for i in range(len(then)):
            time.sleep(every)
            try:
                s.sendall(then[i:i + 1])
            except OSError:
                result[key] = time.monotonic() - t0
                return
            s.settimeout(0.01)
            try:
                if s.recv(1) == b"":
                    result[key] = time.monotonic() - t0
                    return
            except socket.timeout:
                pass
            except OSError:
                result[key] = time.monotonic() - t0
                return
            finally:
                s.settimeout(None)
        result[key] = None
    finally:
        s.close()


class RequestDeadlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_request_deadline")
        cls.srv = ct.Server(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def healthz_ms(self):
        t0 = time.monotonic()
        st, _, _ = ct.api("GET", self.srv.base, "/healthz")
        self.assertEqual(st, 200)
        return (time.monotonic() - t0) * 1000

    def cuts(self):
        st, _, body = ct.api("GET", self.srv.base, "/metrics")
        self.assertEqual(st, 200)
        for line in body.splitlines():
            if line.startswith("convene_http_slow_clients_cut_total "):
                return int(line.split()[1])
        self.fail("no cut counter in /metrics")

    def test_slow_clients_are_cut_and_others_served(self):
        before = self.cuts()
        result = {}
        # Slow headers: a header byte every 2 s (the idle timeout is 30 s).
        hdr = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        slow_headers = [threading.Thread(target=trickle, args=(
            self.srv.port, hdr, b"X-Slow: " + b"a" * 40 + b"\r\n\r\n", 2,
            result, "headers%d" % i)) for i in range(8)]
        for t in slow_headers:
            t.start()
        # Others are answered at once while the slow ones hang on.
        for _ in range(10):
            self.assertLess(self.healthz_ms(), 1000)
            time.sleep(0.5)
        for t in slow_headers:
            t.join(60)
        for i in range(8):
            lived = result["headers%d" % i]
            self.assertIsNotNone(lived, "slow headers %d never cut" % i)
            self.assertGreater(lived, HEADERS_SECS - 1)
            self.assertLess(lived, IDLE_SECS)
        self.assertGreaterEqual(self.cuts() - before, 8)

    def test_slow_body_is_cut(self):
        result = {}
        body = b"{" + b" " * 9000 + b"}"
        req = (b"POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % len(body))
        # 50 bytes a second for up to 25 s: under the rate once the grace
        # is over, though never idle.
        trickle(self.srv.port, req, body[:1250], 0.02, result, "body")
        lived = result["body"]
        self.assertIsNotNone(lived, "slow body never cut")
        self.assertGreater(lived, 10 - 1)
        self.assertLess(lived, IDLE_SECS)

    def test_keep_alive_client_is_not_cut(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port))
        try:
            f = s.makefile("rb")
            for i in range(2):
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                status = f.readline()
                self.assertIn(b" 200 ", status)
                length = 0
                while True:
                    line = f.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                f.read(length)
                # Idle between requests for longer than the header deadline
                # but inside the idle timeout: still open.
                if i == 0:
                    time.sleep(HEADERS_SECS + 2)
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
