"""nginx_test: run deploy/nginx-convene.conf with Debian's nginx in a test.

The shipped site file is used as it is, with only what a machine-specific
install changes rewritten: listen ports (loopback, below 32768), the upstream
instances, and the certificate (a throwaway self-signed one for 127.0.0.1
made with openssl). Each rewrite must find its line, so a change to the
file's shape fails the tests instead of silently testing something else.
nginx runs in the foreground (`daemon off`) as a child of the test, with its
pid file, logs and temporary files in a temporary directory.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import convene_test as ct

SITE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "deploy", "nginx-convene.conf")


def nginx_bin():
    for p in ("/usr/sbin/nginx", shutil.which("nginx") or ""):
        if p and os.access(p, os.X_OK):
            return p
    return None


def make_cert(d):
    """A self-signed certificate for 127.0.0.1; (cert, key) paths."""
    cert = os.path.join(d, "cert.pem")
    key = os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return cert, key


def _sub(text, pattern, repl, count=0):
    new, n = re.subn(pattern, repl, text, count=count, flags=re.M)
    if n == 0:
        raise AssertionError("deploy/nginx-convene.conf: no line matches "
                             "%r" % pattern)
    return new


def render_site(http_port, https_port, upstream_ports, cert, key):
    """The shipped site file with this machine's ports and certificate."""
    with open(SITE) as f:
        text = f.read()
    text = _sub(text, r"^\s*listen \[::\]:.*\n", "")
    text = _sub(text, r"^(\s*)listen 80;", r"\1listen 127.0.0.1:%d;" %
                http_port)
    text = _sub(text, r"^(\s*)listen 443 ssl http2;",
                r"\1listen 127.0.0.1:%d ssl http2;" % https_port)
    text = _sub(text, r"^\s*#server 127\.0\.0\.1:\d+ .*\n", "")
    m = re.search(r"^(\s*)server 127\.0\.0\.1:8080( [^;]*);", text, re.M)
    if m is None:
        raise AssertionError("deploy/nginx-convene.conf: no upstream line "
                             "'server 127.0.0.1:8080 ...;'")
    lines = "\n".join("%sserver 127.0.0.1:%d%s;" % (m.group(1), p,
                                                    m.group(2))
                      for p in upstream_ports)
    text = text[:m.start()] + lines + text[m.end():]
    text = _sub(text, r"^(\s*)ssl_certificate .*;",
                r"\1ssl_certificate %s;" % cert)
    text = _sub(text, r"^(\s*)ssl_certificate_key .*;",
                r"\1ssl_certificate_key %s;" % key)
    return text


class Nginx:
    """nginx with the rendered site file on free loopback ports."""

    def __init__(self, upstream_ports, http_port=None, https_port=None):
        self.dir = ct.tmpdir("convene-nginx-")
        self.cert, self.key = make_cert(self.dir)
        self.http_port = http_port or ct.free_port()
        self.https_port = https_port or ct.free_port()
        while self.https_port == self.http_port:
            self.https_port = ct.free_port()
        self.site = os.path.join(self.dir, "convene.conf")
        with open(self.site, "w") as f:
            f.write(render_site(self.http_port, self.https_port,
                                upstream_ports, self.cert, self.key))
        self.conf = os.path.join(self.dir, "nginx.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.access_log = os.path.join(self.dir, "access.log")
        tmp = os.path.join(self.dir, "tmp")
        os.mkdir(tmp)
        with open(self.conf, "w") as f:
            f.write("""worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 1024; }}
http {{
	log_format t '$msec|$request_method|$uri|$status|$upstream_addr|'
		'$upstream_status|$request_time';
	access_log {d}/access.log t;
	client_body_temp_path {t}/body;
	proxy_temp_path {t}/proxy;
	fastcgi_temp_path {t}/fastcgi;
	uwsgi_temp_path {t}/uwsgi;
	scgi_temp_path {t}/scgi;
	include {site};
}}
""".format(d=self.dir, t=tmp, site=self.site))
        self.proc = None
        self.https_base = "https://127.0.0.1:%d" % self.https_port
        self.http_base = "http://127.0.0.1:%d" % self.http_port
        self.ssl = ssl.create_default_context(cafile=self.cert)

    def cmd(self, *args):
        return [nginx_bin(), "-p", self.dir, "-c", self.conf, "-e",
                self.error_log] + list(args)

    def check(self):
        """nginx -t; (exit status, output)."""
        p = subprocess.run(self.cmd("-t"), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        return p.returncode, p.stdout

    def start(self):
        self.proc = subprocess.Popen(self.cmd(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited %d:\n%s" % (
                    self.proc.returncode, self.log_text()[-3000:]))
            try:
                with socket.create_connection(("127.0.0.1",
                                               self.https_port), 0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("nginx did not listen:\n" +
                             self.log_text()[-3000:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)	# graceful
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_text(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def access_lines(self):
        """The access log: one dict per request with time (epoch seconds),
        method, uri, status (nginx's answer), upstreams (the instances
        tried, in order; [] when nginx answered itself) and their
        statuses."""
        try:
            with open(self.access_log, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return []
        out = []
        for ln in lines:
            f = ln.split("|")
            if len(f) != 7:
                continue
            ups = [u.strip() for u in re.split(r"[,:] (?=\S)", f[4])
                   if u.strip() not in ("", "-")] if f[4] != "-" else []
            out.append({"time": float(f[0]), "method": f[1], "uri": f[2],
                        "status": int(f[3]), "upstreams": ups,
                        "upstream_status": f[5]})
        return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener(ctx=None):
    """A urllib opener that trusts ctx's certificate and does not follow
    redirects."""
    return urllib.request.build_opener(
        _NoRedirect, urllib.request.HTTPSHandler(context=ctx))


def request(op, method, url, headers=None, data=None, timeout=30):
    """(status, headers (an email.message.Message), body bytes)."""
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        resp = op.open(req, timeout=timeout)
        out = resp.status, resp.headers, resp.read()
        resp.close()
    except urllib.error.HTTPError as e:
        out = e.code, e.headers, e.read()
        e.close()
    return out
