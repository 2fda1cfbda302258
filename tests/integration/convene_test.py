"""convene_test: what every integration test shares.

Real parts only: a real PostgreSQL, the real `convene` binary (the ASan/UBSan
build under scripts/test.sh), real HTTP over loopback. Standard library plus
Debian's python3-psycopg2 and python3-pyotp; run the tests with
/usr/bin/python3.

Environment (scripts/test.sh exports these; ctest adds CONVENE_BIN):
  CONVENE_BIN                  the convene binary
  CONVENE_TEST_DATABASE_URL    postgresql://convene@127.0.0.1:PORT/convene_test
  CONVENE_TEST_PG_ADMIN_URL    postgresql://postgres@127.0.0.1:PORT/postgres
  CONVENE_TEST_PG_BINDIR       initdb, pg_ctl, postgres
When the two URLs are missing (a developer running one file by hand) the
first call to fresh_database() starts a throwaway PostgreSQL itself (initdb
as the `postgres` user in a temporary directory, a loopback port below 32768)
and removes it when the process exits.

Least privilege (docs/security.md): fresh_database() migrates as the role
of CONVENE_TEST_DATABASE_URL (the owner) and returns a URL for the serving
login (SERVE_USER, a member of convene_serve: DML only), so every test's
servers, CLI calls and queries run without the owner's rights. A test that
needs the owner (a trigger that must hold even for it, stats_rebuild) asks
for owner_url(url).

The API below is used by every integration test; keep it stable:
  fresh_database(name, migrate=True) -> url (serving login; with
      migrate=False the owner's URL of an empty database)
  owner_url(url) -> the owner's URL for a URL fresh_database returned
  serving_url(url) -> url with the serving login as its user
  make_roles(admin_url) -> create convene_serve and SERVE_USER in a cluster
  prepare_database(admin_url, owner) -> make_roles, migrate as owner (a
      URL), and the serving URL (a test's own cluster)
  Server(database_url, data_dir=None, env=None, args=()) with start(),
      stop() (SIGTERM, asserts exit status 0), kill(), log_text(), base
  cli(url, *args, data_dir=None, env=None) -> stdout
  add_user(url, name, role, team=None, authority=None) -> password
  token(url, user) -> API token
  api(method, base, path, token=None, json=None, raw=None, headers=None)
      -> (status, headers, parsed JSON or text)
  counts(url) -> {table: rows}, query(url, sql, params=None) -> rows
  sign_in(base, username, password) -> session cookie value (the form way,
      with the second step, enrolling TOTP on first sign-in when required)
  mfa_code(username), mfa_enrol(base, username, cookie), mfa_code_step(...),
      mfa_finish(...), mfa_after_password(get, post, username, location)
      (the same for a test's own client), mfa_forget(username),
      mfa_secrets, mfa_recovery
  session_csrf(url, cookie) -> that session's CSRF token
  form(method, base, path, fields, cookie=None, csrf=None) -> like api()
  Postgres: a throwaway cluster of our own (start/stop/url)
"""

import atexit
import glob
import hashlib
import json as jsonlib
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg2
import psycopg2.extensions

# Sanitizer settings as scripts/test.sh sets them, for hand runs: any report
# ends the process with a non-zero status, which Server.stop() asserts.
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

SERVER_PORTS = (20000, 29999)	# test servers (DEVELOPERS.md: below 32768)
PG_PORTS = (16000, 19999)	# throwaway PostgreSQL clusters
SERVE_ROLE = "convene_serve"	# the group role migrate grants to
SERVE_USER = os.environ.get("CONVENE_TEST_SERVE_USER", "convene_app")
START_TIMEOUT = 90		# seconds; an embedded initdb under ASan is slow
STOP_TIMEOUT = 60


def convene_bin():
    """The convene binary under test (CONVENE_BIN, else a build dir)."""
    b = os.environ.get("CONVENE_BIN")
    if b:
        return b
    root = os.environ.get("CONVENE_SOURCE_DIR") or os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for cand in (os.path.join(root, "build-test", "convene"),
                 os.path.join(root, "build", "convene")):
        if os.access(cand, os.X_OK):
            return cand
    raise RuntimeError("set CONVENE_BIN to the convene binary")


def tmpdir(prefix="convene-"):
    """A temporary directory removed at exit. Mode 0711 so that the
    postgres user can pass through it to an embedded cluster."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o711)
    atexit.register(shutil.rmtree, d, True)
    return d


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_port(lo=SERVER_PORTS[0], hi=SERVER_PORTS[1]):
    """A loopback port in [lo, hi] nothing listens on right now (another
    process may take it before we bind: callers retry)."""
    for _ in range(200):
        p = random.randint(lo, hi)
        if port_free(p):
            return p
    raise RuntimeError("no free port in %d..%d" % (lo, hi))


# ---- PostgreSQL -------------------------------------------------------------

def pg_bindir():
    d = os.environ.get("CONVENE_TEST_PG_BINDIR")
    if d and os.access(os.path.join(d, "initdb"), os.X_OK):
        return d

    def ver(p):
        try:
            return int(p.split("/")[-2])
        except ValueError:
            return 0
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=ver,
                    reverse=True):
        if all(os.access(os.path.join(d, x), os.X_OK)
               for x in ("initdb", "pg_ctl", "postgres")):
            return d
    raise RuntimeError("no PostgreSQL server programs in "
                       "/usr/lib/postgresql/*/bin")


class Postgres:
    """A throwaway PostgreSQL cluster of our own on 127.0.0.1 (trust auth),
    run as the `postgres` user when we are root. For the fallback when
    scripts/test.sh's cluster is not there, and for tests that must stop a
    database under a running server."""

    def __init__(self, conf=""):
        """conf: extra postgresql.conf lines (the bench's
        pg_stat_statements)."""
        self.bindir = pg_bindir()
        self.root = tmpdir("convene-pg-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "postgresql.log")
        self.port = None
        self.running = False
        self.as_pg = []
        self._uid = None
        if os.geteuid() == 0:
            self.as_pg = ["runuser", "-u", "postgres", "--"]
            pw = pwd.getpwnam("postgres")
            self._uid = (pw.pw_uid, pw.pw_gid)
            os.chown(self.root, *self._uid)
        os.chmod(self.root, 0o700)
        self._run("initdb", "-D", self.data, "--username=postgres",
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\nlisten_addresses = '127.0.0.1'\n"
                    "unix_socket_directories = '%s'\n"
                    "fsync = off\nsynchronous_commit = off\n"
                    "full_page_writes = off\nmax_connections = 200\n%s\n"
                    % (self.root, conf))
        atexit.register(self.stop)

    def _run(self, prog, *args, check=True):
        cmd = self.as_pg + [os.path.join(self.bindir, prog)] + list(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (prog, p.returncode,
                                                       p.stdout[-2000:]))
        return p

    def start(self):
        """Start on a free port (the same one again after stop())."""
        if self.running:
            return self
        for _ in range(20):
            port = self.port or free_port(*PG_PORTS)
            p = self._run("pg_ctl", "start", "-D", self.data, "-l", self.log,
                          "-w", "-t", "60", "-s", "-o", "-p %d" % port,
                          check=False)
            if p.returncode == 0:
                self.port = port
                self.running = True
                return self
            if self.port is not None:
                break
        raise RuntimeError("PostgreSQL did not start: " + self.log_text()[-2000:])

    def stop(self):
        if self.running:
            self.running = False
            self._run("pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w",
                      "-t", "60", "-s", check=False)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def url(self, user="postgres", dbname="postgres"):
        return "postgresql://%s@127.0.0.1:%d/%s" % (user, self.port, dbname)


_fallback = None


def _ensure_cluster():
    """Use scripts/test.sh's cluster, or start our own once per process."""
    global _fallback
    if os.environ.get("CONVENE_TEST_PG_ADMIN_URL") and \
            os.environ.get("CONVENE_TEST_DATABASE_URL"):
        return
    _fallback = Postgres().start()
    admin = _fallback.url()
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE ROLE convene LOGIN CREATEDB NOSUPERUSER "
                    "NOCREATEROLE")
        cur.execute("CREATE DATABASE convene_test OWNER convene")
    conn.close()
    make_roles(admin)
    os.environ["CONVENE_TEST_PG_ADMIN_URL"] = admin
    os.environ["CONVENE_TEST_DATABASE_URL"] = _fallback.url(
        "convene", "convene_test")
    os.environ["CONVENE_TEST_PG_BINDIR"] = _fallback.bindir
    os.environ["CONVENE_TEST_PG_DATADIR"] = _fallback.data


def _with_dbname(url, name):
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query,
                                    u.fragment))


def make_roles(admin_url):
    """As scripts/test.sh does, and as a DBA does once (docs/operations.md):
    the serving group role and a serving login in it, neither owning
    anything. Idempotent."""
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for role, opts in ((SERVE_ROLE, "NOLOGIN"),
                               (SERVE_USER, "LOGIN NOSUPERUSER NOCREATEDB "
                                "NOCREATEROLE")):
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                            (role,))
                if not cur.fetchall():
                    cur.execute('CREATE ROLE "%s" %s' % (role, opts))
            cur.execute('GRANT "%s" TO "%s"' % (SERVE_ROLE, SERVE_USER))
    finally:
        conn.close()


def serving_url(url):
    """url with the serving login (SERVE_USER) as its user."""
    u = urllib.parse.urlsplit(url)
    host = u.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((u.scheme, SERVE_USER + "@" + host,
                                    u.path, u.query, u.fragment))


_owners = {}


def owner_url(url):
    """The owner's URL for a serving URL fresh_database() returned (url
    itself for any other)."""
    return _owners.get(url, url)


def prepare_database(admin_url, owner):
    """For a cluster of a test's own: the roles (make_roles), `convene
    migrate` as owner (a URL), and the serving login's URL, as
    fresh_database() gives."""
    make_roles(admin_url)
    cli(owner, "migrate")
    serve = serving_url(owner)
    _owners[serve] = owner
    return serve


def fresh_database(name, migrate=True):
    """Drop and create database `name`, owned by the role of
    CONVENE_TEST_DATABASE_URL. With migrate, run `convene migrate` as that
    owner and return the serving login's URL; else the owner's URL of the
    empty database."""
    if not name.replace("_", "").isalnum():
        raise ValueError("database name: letters, digits and _ only")
    _ensure_cluster()
    base = os.environ["CONVENE_TEST_DATABASE_URL"]
    owner = urllib.parse.urlsplit(base).username or "convene"
    url = _with_dbname(base, name)
    _forget(url)
    _forget(serving_url(url))
    conn = psycopg2.connect(os.environ["CONVENE_TEST_PG_ADMIN_URL"])
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM "
                        "pg_stat_activity WHERE datname = %s AND "
                        "pid <> pg_backend_pid()", (name,))
            cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
            cur.execute('CREATE DATABASE "%s" OWNER "%s"' % (name, owner))
    finally:
        conn.close()
    if not migrate:
        return url
    cli(url, "migrate")
    serve = serving_url(url)
    _owners[serve] = url
    return serve


_conns = {}


def _forget(url):
    c = _conns.pop(url, None)
    if c is not None:
        try:
            c.close()
        except psycopg2.Error:
            pass


def _run(url, fn):
    """fn(cursor) on a kept autocommit connection to url, reconnecting once
    if the kept one has gone (a restarted or recreated database)."""
    for attempt in (0, 1):
        conn = _conns.get(url)
        fresh = conn is None
        if fresh:
            conn = psycopg2.connect(url)
            conn.autocommit = True
            _conns[url] = conn
        try:
            with conn.cursor() as cur:
                return fn(cur)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            _forget(url)
            if fresh or attempt:
                raise


def query(url, sql, params=None):
    """Run one statement (autocommit); rows (a list of tuples) when it
    returns any, else []. Errors are raised as psycopg2 raises them."""
    def fn(cur):
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []
    return _run(url, fn)


def _fold(cur):
    """Fold the statistics queue as a statistics read does: the one-folder
    lock at session level, then one REPEATABLE READ snapshot
    (sql/020_stats_fold.sql)."""
    cur.execute("SELECT pg_advisory_lock(20, 1)")
    try:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try:
            cur.execute("SELECT stats_fold(1000000, true)")
            n = cur.fetchone()[0]
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.execute("SELECT pg_advisory_unlock(20, 1)")
    return n


def stats_fold(url):
    """Fold everything queued in the database at url; the cases folded."""
    return _run(url, _fold)


def counts(url):
    """Rows in every table of the public schema, for "nothing changed"."""
    def fn(cur):
        cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
                    "n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
                    "c.relkind IN ('r', 'p') ORDER BY 1")
        tables = [r[0] for r in cur.fetchall()]
        if not tables:
            return {}
        sql = " UNION ALL ".join(
            "SELECT %s, count(*) FROM \"%s\"" % (
                psycopg2.extensions.adapt(t).getquoted().decode(),
                t.replace('"', '""')) for t in tables)
        # The statistics tables follow the data off the commit path
        # (sql/020): fold what is queued, as a statistics read does, and
        # count in one snapshot in which nothing is queued, so that they
        # count what the data says whatever the folding thread is doing.
        for _ in range(100):
            if "stats_queue" in tables:
                _fold(cur)
            cur.execute(sql)
            got = dict(cur.fetchall())
            if got.get("stats_queue", 0) == 0:
                break
            time.sleep(0.02)
        return got
    return _run(url, fn)


# ---- the convene command ----------------------------------------------------

class CliError(AssertionError):
    def __init__(self, args, code, stdout, stderr):
        super().__init__("convene %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), code, stdout[-2000:], stderr[-4000:]))
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


def run_cli(url, *args, data_dir=None, env=None, timeout=120):
    """Run convene ARGS against url (or, url None, the embedded PostgreSQL
    under data_dir); the CompletedProcess, whatever its exit status."""
    cmd = [convene_bin()] + list(args)
    if url is not None:
        cmd += ["--database-url", url]
    if data_dir is not None:
        cmd += ["--data-dir", data_dir]
    e = dict(os.environ)
    e.pop("CONVENE_DATABASE_URL", None)
    if env:
        e.update(env)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=e, timeout=timeout)


def cli(url, *args, data_dir=None, env=None):
    """Run convene ARGS --database-url URL; its stdout. Fails (CliError) on a
    non-zero exit status."""
    p = run_cli(url, *args, data_dir=data_dir, env=env)
    if p.returncode != 0:
        raise CliError(list(args), p.returncode, p.stdout, p.stderr)
    return p.stdout


def _last_line(out):
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if not lines:
        raise AssertionError("no output")
    return lines[-1].strip()


def add_user(url, name, role, team=None, authority=None, data_dir=None):
    """convene user add; returns the password (its last line)."""
    args = ["user", "add", name, "--role", role]
    if team is not None:
        args += ["--team", team]
    if authority is not None:
        args += ["--authority", authority]
    return _last_line(cli(url, *args, data_dir=data_dir))


def token(url, user, data_dir=None):
    """convene token create; returns the token (its last line)."""
    return _last_line(cli(url, "token", "create", user, data_dir=data_dir))


def icaljs(raw):
    """What Mozilla's ical.js (tests/integration/icaljs_read.mjs) makes of
    raw iCalendar bytes, as JSON."""
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(["node", os.path.join(here, "icaljs_read.mjs")],
                       input=raw, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60,
                       cwd=os.environ.get("CONVENE_SOURCE_DIR",
                                          os.path.dirname(os.path.dirname(
                                              here))))
    assert p.returncode == 0, p.stderr.decode()
    return jsonlib.loads(p.stdout)


# ---- the server -------------------------------------------------------------

class _PortTaken(Exception):
    pass


class Server:
    """`convene serve` on a free loopback port in 20000..29999.

    database_url None means the embedded PostgreSQL under data_dir. stderr
    (the JSON log) goes to a file: log_text(). env and args are passed
    through (SMTP settings and the like)."""

    def __init__(self, database_url, data_dir=None, env=None, args=(),
                 start=True):
        self.database_url = database_url
        self.data_dir = data_dir or tmpdir("convene-data-")
        self.env = dict(env or {})
        self.args = list(args)
        self.proc = None
        self.port = None
        self.base = None
        self.returncode = None
        d = tmpdir("convene-log-")
        self.log_path = os.path.join(d, "stderr.log")
        self.out_path = os.path.join(d, "stdout.log")
        if start:
            self.start()

    def _spawn(self, port):
        cmd = [convene_bin(), "serve", "--listen", "127.0.0.1:%d" % port,
               "--data-dir", self.data_dir]
        if self.database_url is not None:
            cmd += ["--database-url", self.database_url]
        cmd += self.args
        e = dict(os.environ)
        e.pop("CONVENE_DATABASE_URL", None)
        e.update(self.env)
        # With a relay, convene refuses to start without a base URL for
        # the answer links (issue 15): this server's own address.
        if e.get("CONVENE_SMTP_URL") and not e.get("CONVENE_BASE_URL") \
                and "--base-url" not in cmd:
            cmd += ["--base-url", "http://127.0.0.1:%d" % port]
        out = open(self.out_path, "ab")
        err = open(self.log_path, "ab")
        try:
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, env=e)
        finally:
            out.close()
            err.close()

    def spawn(self):
        """Start the process on a free port without waiting for it (then
        wait_healthy()); start() is both, retrying on another port."""
        assert self.proc is None, "already running"
        port = free_port()
        self.proc = self._spawn(port)
        self.port = port
        self.base = "http://127.0.0.1:%d" % port
        self.returncode = None
        return self

    def wait_healthy(self, timeout=START_TIMEOUT):
        """Wait until /healthz answers 200; AssertionError when the process
        exits first (_PortTaken when its port was taken) or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                self.returncode = rc
                if "could not listen" in self.log_text()[-600:]:
                    raise _PortTaken()
                raise AssertionError("convene serve exited %d at start:\n%s"
                                     % (rc, self.log_text()[-4000:]))
            try:
                st, _, _ = api("GET", self.base, "/healthz", timeout=2)
                if st == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError("convene serve did not become healthy in %ds:"
                             "\n%s" % (timeout, self.log_text()[-4000:]))

    def start(self):
        """Start and wait until /healthz answers 200 (retrying on another
        port if ours was taken meanwhile)."""
        for _ in range(5):
            self.spawn()
            try:
                return self.wait_healthy()
            except _PortTaken:
                continue
        raise AssertionError("could not find a port for convene serve")

    def stop(self):
        """SIGTERM, wait, and assert a clean exit (status 0, no sanitizer
        report in the log)."""
        if self.proc is None:
            return self.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise AssertionError("convene serve ignored SIGTERM for %ds" %
                                 STOP_TIMEOUT)
        self.proc = None
        self.returncode = rc
        log = self.log_text()
        if rc != 0 or "AddressSanitizer" in log or \
                "LeakSanitizer" in log or "runtime error:" in log:
            raise AssertionError("convene serve exited %d on SIGTERM:\n%s" %
                                 (rc, log[-6000:]))
        return rc

    def kill(self):
        """SIGKILL: a crash, nothing cleaned up."""
        if self.proc is not None:
            self.proc.kill()
            self.returncode = self.proc.wait()
            self.proc = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stdout_text(self):
        try:
            with open(self.out_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def api(self, method, path, **kw):
        return api(method, self.base, path, **kw)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self.kill()
        return False


# ---- HTTP -------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# A signed organiser address: the mailbox's local part, "+", the participant
# id, "-" and 20 lower-case hex digits of MAC (include/organizer.h).
ORGANIZER_TAG = r"[1-9][0-9]{0,11}-[0-9a-f]{20}"


def organizer_address(url, uid, attendee):
    """The ORGANIZER address Convene issued to attendee for the meeting
    with this UID, read from the latest message queued to them (the real
    rendered email in the outbox); None when none was queued. Replies
    sent there (or posted with ?recipient= it) may answer for attendee."""
    import email
    import email.policy
    rows = query(url, "SELECT o.message FROM outbox o JOIN discussions d "
                 "ON d.id = o.discussion_id WHERE d.uid = %s AND "
                 "lower(o.recipient) = lower(%s) ORDER BY o.id DESC "
                 "LIMIT 1", (uid, attendee))
    if not rows:
        return None
    msg = email.message_from_string(rows[0][0], policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            text = re.sub(r"\r\n[ \t]", "",
                          part.get_payload(decode=True).decode("utf-8"))
            m = re.search(r"(?mi)^ORGANIZER[^\r\n]*?:mailto:([^\r\n]+)\r?$",
                          text)
            return m.group(1) if m else None
    return None


def itip_path(recipient=None):
    """POST path of a reply delivered to recipient (the gateway's
    ?recipient=, URL-encoded: '+' is %2B)."""
    if recipient is None:
        return "/api/v1/itip"
    return "/api/v1/itip?recipient=" + urllib.parse.quote(recipient, safe="@")


_opener = urllib.request.build_opener(_NoRedirect)


def api(method, base, path, token=None, json=None, raw=None, headers=None,
        timeout=30):
    """One HTTP request; (status, headers, body) where body is the parsed
    JSON when the response says it is JSON, else text. Redirects are not
    followed (a 303 comes back as 303). json= sends a JSON document, raw=
    sends bytes as they are."""
    data = None
    h = {}
    if json is not None:
        data = jsonlib.dumps(json).encode("utf-8")
        h["Content-Type"] = "application/json"
    elif raw is not None:
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    if data is None and method in ("POST", "PUT", "PATCH"):
        data = b""
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers=h)
    try:
        resp = _opener.open(req, timeout=timeout)
        status, rh, body = resp.status, resp.headers, resp.read()
        resp.close()
    except urllib.error.HTTPError as e:
        status, rh, body = e.code, e.headers, e.read()
        e.close()
    ctype = rh.get("Content-Type", "") if rh is not None else ""
    text = body.decode("utf-8", "replace")
    if ctype.startswith("application/json"):
        return status, rh, jsonlib.loads(body.decode("utf-8"))
    return status, rh, text


# ---- the web pages ----------------------------------------------------------

SESSION_COOKIE = "convene_session"
SIGNIN_COOKIE = "convene_signin"


def _cookie(headers, name):
    for c in headers.get_all("Set-Cookie") or []:
        k, _, rest = c.partition("=")
        if k.strip() == name:
            return rest.split(";")[0]
    return None


def form(method, base, path, fields=None, cookie=None, csrf=None,
         cookies=None, headers=None):
    """A form submission (application/x-www-form-urlencoded) or a page
    request, signed in with the session cookie when given; csrf adds the
    csrf_token field. Returns api()'s (status, headers, body)."""
    h = dict(headers or {})
    jar = dict(cookies or {})
    if cookie is not None:
        jar[SESSION_COOKIE] = cookie
    if jar:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in jar.items())
    raw = None
    if method != "GET" and method != "HEAD":
        f = list((fields or {}).items()) if isinstance(fields, dict) \
            else list(fields or [])
        if csrf is not None:
            f.append(("csrf_token", csrf))
        raw = urllib.parse.urlencode(f).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    return api(method, base, path, raw=raw, headers=h)


def sign_in(base, username, password):
    """Sign in through the sign-in form (its double-submit token included),
    doing the second step when the account has one and setting TOTP up when
    the account must have it (managers, admins: mfa_finish); returns the
    session cookie value. AssertionError when refused."""
    st, h, page = api("GET", base, "/sign-in")
    token = _cookie(h, SIGNIN_COOKIE)
    if st != 200 or token is None:
        raise AssertionError("GET /sign-in: %d, no form cookie" % st)
    st, h, page = form("POST", base, "/sign-in",
                       {"username": username, "password": password,
                        "csrf_token": token},
                       cookies={SIGNIN_COOKIE: token})
    if st == 303 and h.get("Location") == "/sign-in/code":
        st, h, page = mfa_code_step(base, username, _cookie(h, MFA_COOKIE))
    cookie = _cookie(h, SESSION_COOKIE)
    if st != 303 or not cookie:
        raise AssertionError("sign-in as %s: %d %s" % (
            username, st, re.sub(r"\s+", " ", str(page))[:300]))
    mfa_finish(base, username, cookie, h.get("Location"))
    return cookie


# ---- two-step sign-in (TOTP, docs/security.md) ---------------------------
#
# Codes come from pyotp (Debian python3-pyotp), an implementation independent
# of the server's liboath. The server refuses a time step used before, so
# each user's last step is remembered here and the next sign-in takes a later
# one within the +-1 window. When all three are spent, a sign-in uses one of
# the last five recovery codes from enrolment (mfa_recovery[user][5:], kept
# for this; tests use the first five) rather than wait for the clock, and
# waits only when those are gone too.
# Secrets are kept per username for the life of the test process: a test
# that uses one username in two databases must enrol it in each
# (mfa_forget).

MFA_COOKIE = "convene_mfa"
MFA_STEP = 30
mfa_secrets = {}	# username -> base32 secret
mfa_recovery = {}	# username -> the recovery codes shown at enrolment
_mfa_last_step = {}	# username -> the last time step this process used


_mfa_waited = [0.0]	# seconds spent waiting for a fresh step


@atexit.register
def _mfa_report():
    if _mfa_waited[0] >= 1:
        print("convene_test: waited %.0f s in all for fresh TOTP time steps "
              "(a user signed in more than 3 times in 90 s)" %
              _mfa_waited[0], file=sys.stderr)


MFA_MARGIN = 8		# seconds a code must stay good for: typed and checked


def _mfa_oldest_step():
    """The oldest step the server will still take by the time the code
    arrives: the one before now only while the current step has more than
    MFA_MARGIN seconds to run (the server accepts one step either side)."""
    t = time.time()
    now = int(t) // MFA_STEP
    return now - 1 if t - now * MFA_STEP < MFA_STEP - MFA_MARGIN else now


def mfa_code(username, secret=None):
    """A TOTP code for username at a time step not used yet (waits when the
    window is spent)."""
    import pyotp
    secret = secret or mfa_secrets[username]
    while True:
        now = int(time.time()) // MFA_STEP
        step = max(_mfa_oldest_step(), _mfa_last_step.get(username, 0) + 1)
        if step <= now + 1:
            break
        time.sleep(0.5)
        _mfa_waited[0] += 0.5
    _mfa_last_step[username] = step
    return pyotp.TOTP(secret).at(step * MFA_STEP)


def _mfa_sign_in_code(username):
    """The code a sign-in types: a TOTP code when one is free now, else a
    spare recovery code, else (waiting) a TOTP code."""
    now = int(time.time()) // MFA_STEP
    spare = mfa_recovery.get(username, [])[5:]
    used = _mfa_spent.setdefault(username, set())
    free = [c for c in spare if c not in used]
    if _mfa_last_step.get(username, 0) + 1 > now + 1 and free:
        used.add(free[-1])
        return free[-1]
    return mfa_code(username)


_mfa_spent = {}		# username -> recovery codes the harness has used


def mfa_forget(username):
    """Forget a user's secret (after a reset, or for another database)."""
    mfa_secrets.pop(username, None)
    mfa_recovery.pop(username, None)
    _mfa_last_step.pop(username, None)
    _mfa_spent.pop(username, None)


def _hidden(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, str(page))
    return m.group(1) if m else None


def mfa_code_step(base, username, pending, code=None):
    """The second step: GET and POST /sign-in/code with the pending cookie;
    api()'s (status, headers, body) of the POST."""
    st, h, page = form("GET", base, "/sign-in/code",
                       cookies={MFA_COOKIE: pending})
    if st != 200:
        raise AssertionError("GET /sign-in/code: %d" % st)
    return form("POST", base, "/sign-in/code",
                {"code": code or _mfa_sign_in_code(username),
                 "csrf_token": _hidden(page, "csrf_token")},
                cookies={MFA_COOKIE: pending})


def mfa_enrol(base, username, cookie):
    """Set up TOTP for the signed-in cookie's user from /account/mfa (the
    secret read from the page, as a person would type it into an app);
    returns the recovery codes."""
    st, _, page = form("GET", base, "/account/mfa", cookie=cookie)
    m = re.search(r'id="mfa-secret">([A-Z2-7]+)<', str(page))
    if st != 200 or not m:
        raise AssertionError("GET /account/mfa as %s: %d, no secret" % (
            username, st))
    secret = m.group(1)
    _mfa_last_step.pop(username, None)
    st, _, page = form("POST", base, "/account/mfa",
                       {"code": mfa_code(username, secret)}, cookie=cookie,
                       csrf=_hidden(page, "csrf_token"))
    codes = re.findall(r'class="app-recovery-code">([A-Z2-9-]+)<', str(page))
    if st != 200 or len(codes) != 10:
        raise AssertionError("enrolling %s: %d %s" % (
            username, st, re.sub(r"\s+", " ", str(page))[:300]))
    mfa_secrets[username] = secret
    mfa_recovery[username] = codes
    _mfa_spent.pop(username, None)
    return codes


def mfa_after_password(get, post, username, location):
    """The same two steps for a test's own cookie-keeping client: get(path)
    and post(path, fields) return (status, headers, body). location is where
    POST /sign-in sent the client; returns where the client ends up."""
    if location == "/sign-in/code":
        st, _, page = get("/sign-in/code")
        st, h, page = post("/sign-in/code", {
            "code": _mfa_sign_in_code(username),
            "csrf_token": _hidden(page, "csrf_token")})
        if st != 303:
            raise AssertionError("second step as %s: %d %s" % (
                username, st, re.sub(r"\s+", " ", str(page))[:300]))
        return h["Location"]
    if location == "/account/mfa":
        st, _, page = get("/account/mfa")
        m = re.search(r'id="mfa-secret">([A-Z2-7]+)<', str(page))
        if st != 200 or not m:
            raise AssertionError("GET /account/mfa as %s: %d" % (username,
                                                                   st))
        _mfa_last_step.pop(username, None)
        st, _, page = post("/account/mfa", {
            "code": mfa_code(username, m.group(1)),
            "csrf_token": _hidden(page, "csrf_token")})
        if st != 200:
            raise AssertionError("enrolling %s: %d" % (username, st))
        mfa_secrets[username] = m.group(1)
        mfa_recovery[username] = re.findall(
            r'class="app-recovery-code">([A-Z2-9-]+)<', str(page))
        _mfa_spent.pop(username, None)
        return "/"
    return location


def mfa_finish(base, username, cookie, location):
    """After sign-in: set up TOTP when the server sent the user to do so
    (possibly after a password change the test does itself)."""
    if location == "/account/mfa":
        mfa_enrol(base, username, cookie)


def session_csrf(url, cookie):
    """The CSRF token of the session whose cookie this is (sessions keeps
    the BLAKE2b-256 hash of the cookie, as libsodium's generichash)."""
    h = hashlib.blake2b(cookie.encode(), digest_size=32).hexdigest()
    rows = query(url, "SELECT csrf FROM sessions WHERE id_hash = %s", (h,))
    if not rows:
        raise AssertionError("no session for that cookie")
    return rows[0][0]
