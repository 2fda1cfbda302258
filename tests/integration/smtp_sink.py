"""smtp_sink: a real SMTP server (Debian's python3-aiosmtpd) on loopback that
stores every message it accepts in a directory, for the invite tests.

Each accepted message becomes NNNNNN.eml (the bytes as received, after SMTP
dot-unstuffing) and NNNNNN.json ({"mail_from": ..., "rcpt_tos": [...]}),
written to a temporary name and renamed, so a reader never sees half a
message. stop() and start() again on the same port simulate a relay that is
down for a while.

    sink = SmtpSink(directory)   # auth=("user", "password"): AUTH required
    # tls=ssl.SSLContext: STARTTLS offered (and AUTH only after it);
    # implicit_tls=True with it: TLS from the first byte (smtps://)
    sink.start()                 # a free port in 20000..29999 (or port=)
    ... sink.port, sink.messages() -> [(envelope dict, bytes), ...]
    sink.stop()

Also runnable on its own: python3 smtp_sink.py DIR PORT
"""

import itertools
import json
import logging
import os
import random
import socket
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# AUTH without TLS is what a loopback test wants; keep its warnings quiet.
logging.getLogger("mail.log").setLevel(logging.ERROR)


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class _Store:
    """The aiosmtpd handler: one file pair per accepted message."""

    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        existing = [int(n[:-4]) for n in os.listdir(directory)
                    if n.endswith(".eml") and n[:-4].isdigit()]
        self.counter = itertools.count(max(existing, default=0) + 1)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.counter)
        base = os.path.join(self.directory, "%06d" % n)
        meta = {"mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "received_at": time.time(),
                "tls": server.transport.get_extra_info("ssl_object")
                is not None,
                "authenticated": bool(session.authenticated)}
        for suffix, data in ((".json", json.dumps(meta).encode()),
                             (".eml", envelope.original_content)):
            tmp = base + suffix + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, base + suffix)
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, directory, auth=None, tls=None, implicit_tls=False):
        self.directory = directory
        self.tls = tls
        self.implicit_tls = implicit_tls
        os.makedirs(directory, exist_ok=True)
        self.port = None
        self.controller = None
        self.auth = auth
        self.auth_attempts = []	# (login, accepted)

    def _authenticate(self, server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and self.auth is not None and \
            (data.login.decode(), data.password.decode()) == self.auth
        self.auth_attempts.append((data.login.decode() if isinstance(
            data, LoginPassword) else None, ok))
        return AuthResult(success=ok, handled=False)

    def start(self, port=None):
        """Listen on port (the previous one after stop(), else a free one)."""
        if self.controller is not None:
            return self
        if port is None:
            port = self.port
        for _ in range(50):
            p = port or random.randint(20000, 29999)
            if port is None and not _port_free(p):
                continue
            kw = {}
            # Here, not at import: unittest installs its own filters.
            warnings.filterwarnings("ignore", "Requiring AUTH while not "
                                    "requiring TLS")
            if self.auth is not None:
                kw = {"authenticator": self._authenticate,
                      "auth_required": True,
                      # with implicit TLS aiosmtpd does not know the
                      # session is encrypted (it is, from the first byte)
                      "auth_require_tls": self.tls is not None and
                      not self.implicit_tls}
            if self.tls is not None and self.implicit_tls:
                kw["ssl_context"] = self.tls
            elif self.tls is not None:
                kw["tls_context"] = self.tls
            c = Controller(_Store(self.directory), hostname="127.0.0.1",
                           port=p, ready_timeout=10, **kw)
            try:
                c.start()
            except Exception:
                if port is not None:
                    raise
                continue
            self.controller = c
            self.port = p
            return self
        raise RuntimeError("no free port for the SMTP sink")

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self):
        """Every stored message, in arrival order: [(envelope, bytes)]."""
        out = []
        for name in sorted(os.listdir(self.directory)):
            if not name.endswith(".eml"):
                continue
            base = os.path.join(self.directory, name[:-4])
            try:
                with open(base + ".json") as f:
                    env = json.load(f)
                with open(base + ".eml", "rb") as f:
                    out.append((env, f.read()))
            except OSError:
                continue
        return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: smtp_sink.py DIR PORT")
    sink = SmtpSink(sys.argv[1]).start(int(sys.argv[2]))
    print("SMTP sink on 127.0.0.1:%d storing into %s" % (sink.port,
                                                         sink.directory))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()
