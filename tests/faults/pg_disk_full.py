"""Fault: the embedded PostgreSQL (`convene serve` with no database URL, the
cluster in DATA_DIR/pg, run as the `postgres` user) on a full, then on a
read-only file system, under a steady booking load.

DATA_DIR/pg is a tmpfs of our own (TMPFS_SIZE: the cluster needs about
48 MiB just after initdb and the migrations, 16 MiB of it the one WAL
segment, and up to ~128 MiB once checkpoints keep recycled segments).
Client threads book meetings non-stop through POST /api/v1/meetings all
through. Faults (--long: the first two 3 times):

1. data files full: a filler file (written as root until ENOSPC) takes the
   last byte while the WAL segment in use has room (a fresh one is made
   first). PostgreSQL refuses each write with ERROR "could not extend
   file ...: No space left on device" (SQLSTATE 53100) and stays up.
   Checked: every refusal is quick and JSON, nothing refused is stored,
   the service stays up; once the filler is gone bookings succeed again
   with nothing done to the service or to PostgreSQL (same postmaster).
2. WAL full: the same, and then the WAL must start a new segment
   (pg_logical_emit_message + pg_switch_wal, repeated until no recycled
   segment is left: what 16 MiB more of bookings would do). PostgreSQL
   PANICs ("could not write to file pg_wal/xlogtemp.N: No space left on
   device"), its crash recovery fails the same way and the postmaster
   exits. Checked: Convene answers 503 at once (never a hang, never a 2xx
   that is not stored), /healthz is 503, the process stays up; once the
   space is freed the database comes back by itself, with nothing done to
   the service: Convene's watchdog (main.c, pgembed_revive) sees the
   postmaster gone and starts it again within PGEMBED_WATCH_SECS, crash
   recovery runs, and everything acknowledged is served.
3. unusable at start (counted twice): Convene stopped, DATA_DIR/pg filled,
   then remounted read-only; `convene serve` must exit non-zero within
   START_LIMIT with one last line naming the file and "No space left on
   device" / "Read-only file system". (A running cluster's file system
   cannot be remounted read-only: the kernel answers EBUSY while files are
   open for writing, so "read-only while running" is not simulated.) Back
   to read-write, it starts and books again.

At the end, against the database: every booking answered 2xx is there with
the same id and UID (lost 0), with its 4 participants and its audit entry;
no case_ref twice; nothing answered 500/507 is stored; a count and a full
read (md5 over every row's text) of the key tables; pg_amcheck
(--heapallindexed, amcheck installed if missing) finds no corruption.

Refusals while PostgreSQL refuses writes (fault 1) are 503 "the database
has run out of space or resources; nothing was changed; try again later"
(SQLSTATE class 53 on the connection, server/http.c); a 500 fails the test.
--strict is kept as a synonym.

Needs mount (root with CAP_SYS_ADMIN); without it the script is skipped
with the reason printed.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/faults/pg_disk_full.py
     [--long] [--strict]
"""

import atexit
import collections
import os
import subprocess
import sys
import threading
import time

import psycopg2

import faultlib as fl
from faultlib import ct

NAME = "pg_disk_full"
# The cluster uses ~48 MiB after initdb and the migrations (32 of it the
# four databases, 16 the one WAL segment). Checkpoints keep up to
# min_wal_size (80 MB: 5 segments) of old WAL as recycled segments, so a
# cluster that has switched segments and restarted a few times holds
# ~128 MiB: the tmpfs must hold that plus a new segment, or it would stay
# full after the filler is gone.
TMPFS_SIZE = "192m"
CLIENTS = 2
REQUEST_TIMEOUT = 20	# seconds: an answer slower than this is a hang
MAX_ERROR_SECONDS = 5	# a refusal must be quick
START_LIMIT = 60	# seconds for `convene serve` to refuse a read-only dir
NOTHING_CHANGED = "something went wrong; nothing was changed"
ALLOWED_WHILE_FULL = {201, 503, 507}
WATCHDOG_WAIT = 60	# s: PGEMBED_WATCH_SECS (5) plus crash recovery
STRICT_WHILE_FULL = {201, 503, 507}


def sh(*cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Cluster:
    """DATA_DIR/pg on a tmpfs of ours, and what we need to see of the
    embedded PostgreSQL running there."""

    def __init__(self, data):
        self.data = data
        self.path = os.path.join(data, "pg")
        self.sock = os.path.join(data, "pg-socket")
        self.log = os.path.join(data, "pg.log")
        self.filler = os.path.join(self.path, "filler")
        os.makedirs(self.path)
        r = sh("mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % TMPFS_SIZE,
               "tmpfs", self.path)
        self.why = "" if r.returncode == 0 else \
            "cannot mount a tmpfs here: " + r.stdout.strip()
        if not self.why:
            atexit.register(sh, "umount", "-l", self.path)
            atexit.register(self.kill_postgres)	# runs before the umount

    def dsn(self, dbname="convene"):
        return "host=%s port=5432 dbname=%s user=postgres " \
               "connect_timeout=5" % (self.sock, dbname)

    def postmaster(self):
        """The postmaster's pid when one is running for the cluster."""
        try:
            pid = int(read(os.path.join(self.path,
                                        "postmaster.pid")).split()[0])
            os.kill(pid, 0)
            return pid
        except (ValueError, IndexError, OSError):
            return None

    def kill_postgres(self):
        """At exit: never leave a postmaster behind on our mount."""
        pid = self.postmaster()
        if pid is not None:
            sh("runuser", "-u", "postgres", "--",
               os.path.join(ct.pg_bindir(), "pg_ctl"), "stop", "-m",
               "immediate", "-D", self.path)

    def free_kib(self):
        s = os.statvfs(self.path)
        return s.f_bavail * s.f_frsize // 1024

    def used_kib(self):
        s = os.statvfs(self.path)
        return (s.f_blocks - s.f_bfree) * s.f_frsize // 1024

    def fill(self, leave_kib=0):
        """Fill the file system to the last byte (as root), or to all but
        leave_kib KiB."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     0o600)
        try:
            for size in (1 << 20, 65536, 4096, 1):
                try:
                    while os.write(fd, b"\0" * size) > 0:
                        pass
                except OSError:
                    pass
        finally:
            os.close(fd)
        assert self.free_kib() < 64, self.free_kib()	# PostgreSQL may
        # have freed a partly written file meanwhile: a page or two
        if leave_kib:
            os.truncate(self.filler, os.path.getsize(self.filler) -
                        leave_kib * 1024)
            assert self.free_kib() >= leave_kib

    def unfill(self):
        os.unlink(self.filler)

    def admin(self, sql):
        """One statement as the cluster's superuser over its socket."""
        c = psycopg2.connect(self.dsn())
        try:
            c.autocommit = True
            with c.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else []
        finally:
            c.close()

    def wal_segments(self):
        return sum(len(n) == 24 for n in
                   os.listdir(os.path.join(self.path, "pg_wal")))

    def fresh_segment(self):
        """Switch to a new WAL segment and make sure its file exists: the
        file is created when the first record after the switch is
        written, which must not happen on a full disk (a PANIC)."""
        self.admin("SELECT pg_switch_wal()")
        self.admin("SELECT txid_current()")	# a commit: WAL flushed
        name = self.admin("SELECT pg_walfile_name("
                          "pg_current_wal_flush_lsn())")[0][0]
        seg = os.path.join(self.path, "pg_wal", name)
        assert os.path.getsize(seg) == 16 << 20, seg

    def readonly(self, on):
        """Remount read-only (EBUSY while PostgreSQL writes: retried) or
        read-write again."""
        deadline = time.monotonic() + 10
        while True:
            r = sh("mount", "-o", "remount,%s" % ("ro" if on else "rw"),
                   self.path)
            if r.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.returncode == 0, r.stdout


class Load:
    """CLIENTS threads booking meetings non-stop against whatever server
    `base` names; paused while the service itself is restarted."""

    def __init__(self, tok):
        self.tok = tok
        self.base = None
        self.phase = "steady"
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.go = threading.Event()
        self.idle = [threading.Event() for _ in range(CLIENTS)]
        self.acked = {}			# case_ref -> (id, uid)
        self.refused = collections.defaultdict(list)	# status -> refs
        self.answers = collections.defaultdict(collections.Counter)
        self.slow = []			# (phase, status, seconds)
        self.odd = []			# answers that break the rules
        self.errors = []		# transport errors (refused, reset)
        self.threads = [threading.Thread(target=self.client, args=(n,),
                                         daemon=True)
                        for n in range(CLIENTS)]

    def client(self, n):
        i = 0
        while not self.stop.is_set():
            self.idle[n].clear()	# before looking at go: see pause()
            if not self.go.is_set():
                self.idle[n].set()
                self.go.wait(0.2)
                continue
            i += 1
            ref = "PDF-%d-%d" % (n, i)
            phase = self.phase
            t0 = time.monotonic()
            try:
                st, _, body = ct.api("POST", self.base, "/api/v1/meetings",
                                     token=self.tok,
                                     json=fl.meeting_body(ref),
                                     timeout=REQUEST_TIMEOUT)
            except OSError as e:
                with self.lock:
                    self.errors.append("%s %s: %r" % (phase, ref, e))
                time.sleep(0.2)
                continue
            dt = time.monotonic() - t0
            with self.lock:
                self.answers[phase][st] += 1
                if 200 <= st < 300:
                    self.acked[ref] = (body["id"], body["uid"])
                    continue
                self.refused[st].append(ref)
                msg = body.get("error", {}).get("message") \
                    if isinstance(body, dict) else None
                if not msg:
                    self.odd.append((phase, ref, st, str(body)[:200]))
                elif st == 500 and msg != NOTHING_CHANGED:
                    self.odd.append((phase, ref, st, msg))
                if dt > MAX_ERROR_SECONDS:
                    self.slow.append((phase, st, round(dt, 2)))
            time.sleep(0.05)

    def start(self, base):
        self.base = base
        for t in self.threads:
            if not t.is_alive():
                t.start()
        self.go.set()

    def pause(self):
        """Stop sending and wait until no request is in flight (a client
        clears idle before it looks at go, so idle set here means it
        will not send until go is set again)."""
        self.go.clear()
        for e in self.idle:
            assert e.wait(REQUEST_TIMEOUT + 5), "a client hung"

    def finish(self):
        self.pause()
        self.stop.set()
        for t in self.threads:
            t.join(REQUEST_TIMEOUT + 5)
        assert not any(t.is_alive() for t in self.threads), "a client hung"

    def n_acked(self):
        with self.lock:
            return len(self.acked)

    def counts(self, phase):
        with self.lock:
            return dict(sorted(self.answers[phase].items()))

    def n_answers(self, phase, pred=lambda st: True):
        with self.lock:
            return sum(c for st, c in self.answers[phase].items()
                       if pred(st))


def more_bookings(load, n, what):
    before = load.n_acked()
    fl.wait_until(lambda: load.n_acked() >= before + n, 60,
                  what="%d bookings to succeed (%s)" % (n, what))


def data_files_full(cl, srv, load, k, allowed):
    """Fault 1: no room for a new page; the WAL segment has room."""
    cl.fresh_segment()	# room for WAL while the data files have none
    pm = cl.postmaster()
    log_at = len(read(cl.log))
    srv_at = len(srv.log_text())
    phase = load.phase = "data-full-%d" % k
    cl.fill()
    fl.wait_until(lambda: load.n_answers(phase, lambda s: s >= 300) >= 10,
                  30, what="bookings refused while the disk is full")
    st, _, body = srv.api("GET", "/healthz", timeout=REQUEST_TIMEOUT)
    assert srv.running, "convene died when the disk filled"
    assert cl.postmaster() == pm, "PostgreSQL restarted: %s" % \
        read(cl.log)[log_at:][-2000:]
    pglog = read(cl.log)[log_at:]
    assert "could not extend file" in pglog and \
        "No space left on device" in pglog, pglog[-2000:]
    assert "sqlstate=53100" in srv.log_text()[srv_at:]
    bad = set(load.counts(phase)) - allowed
    assert not bad, (phase, load.counts(phase))
    load.phase = "data-freed-%d" % k
    cl.unfill()
    more_bookings(load, 5, "space freed, nothing restarted")
    assert cl.postmaster() == pm
    return st


def wal_full(cl, srv, load, k, allowed):
    """Fault 2: the WAL needs a new segment and there is no room. Returns
    (came back by itself, the new Server or srv)."""
    log_at = len(read(cl.log))
    phase = load.phase = "wal-full-%d" % k
    cl.fill()
    # Recycled segments would take the switch without a new file: switch
    # until one has to be created (a WAL record first, or there is nothing
    # to switch away from). The connection dies with the PANIC.
    for _ in range(20):
        try:
            cl.admin("SELECT pg_logical_emit_message(false, 'pg_disk_full', "
                     "'x'), pg_switch_wal()")
        except psycopg2.Error:
            break
        if "PANIC" in read(cl.log)[log_at:]:
            break
        time.sleep(0.1)
    fl.wait_until(lambda: "PANIC" in read(cl.log)[log_at:], 30,
                  what="PostgreSQL to PANIC on WAL ENOSPC")
    # Crash recovery: it either fails (the disk is still full) and the
    # postmaster exits, or finds a recycled segment and comes back.
    panic_at = log_at + read(cl.log)[log_at:].index("PANIC")
    fl.wait_until(lambda: cl.postmaster() is None or
                  "ready to accept connections" in read(cl.log)[panic_at:],
                  30, what="crash recovery to end one way or the other")
    postmaster_gone = cl.postmaster() is None
    t0 = time.monotonic()
    st, _, body = srv.api("GET", "/healthz", timeout=REQUEST_TIMEOUT)
    assert time.monotonic() - t0 < MAX_ERROR_SECONDS
    if postmaster_gone:
        assert st == 503 and body == {"status": "database unavailable"}, \
            (st, body)
    refusal = (lambda s: s == 503) if postmaster_gone else \
        (lambda s: s >= 300)
    fl.wait_until(lambda: load.n_answers(phase, refusal) >= 5, 30,
                  what="bookings refused after the PANIC")
    assert srv.running, "convene died with PostgreSQL"
    pglog = read(cl.log)[log_at:]
    assert "No space left on device" in pglog, pglog[-2000:]
    bad = set(load.counts(phase)) - allowed
    assert not bad, (phase, load.counts(phase))
    load.phase = "wal-freed-%d" % k
    cl.unfill()
    # It comes back with nothing done to the service: the embedded
    # launcher's watchdog starts a postmaster that has gone (every
    # PGEMBED_WATCH_SECS), and crash recovery runs.
    by_itself = False
    deadline = time.monotonic() + WATCHDOG_WAIT
    while time.monotonic() < deadline:
        if srv.api("GET", "/healthz")[0] == 200:
            by_itself = True
            break
        time.sleep(0.2)
    assert by_itself, "PostgreSQL not back %d s after space was freed: %s" \
        % (WATCHDOG_WAIT, srv.log_text()[-2000:])
    if postmaster_gone:
        # pg_ctl start -w returns (and the watchdog logs) a moment after
        # the server starts answering.
        fl.wait_until(lambda: "the embedded PostgreSQL had stopped; started "
                      "it again" in srv.log_text(), 30,
                      what="the watchdog's log line")
    more_bookings(load, 5, "after the WAL PANIC")
    print("%s: WAL full %d: healthz %d during the outage; postmaster %s; "
          "%s; %d WAL segment files, %d KiB used" % (
              NAME, k, st, "exited" if postmaster_gone else "recovered",
              "back by itself" if by_itself else
              "back after restarting convene", cl.wal_segments(),
              cl.used_kib()), flush=True)
    return by_itself, srv


def serve_refused(cl, what, errno_text, names=None):
    """`convene serve` on the unusable data directory: it must exit
    non-zero, quickly, its last line naming the cause and the file (names:
    a path the line must hold; default the cluster's directory)."""
    t0 = time.monotonic()
    try:
        p = ct.run_cli(None, "serve", "--listen",
                       "127.0.0.1:%d" % ct.free_port(), data_dir=cl.data,
                       timeout=START_LIMIT)
    except subprocess.TimeoutExpired:
        raise AssertionError("convene serve ran for %ds on a %s data "
                             "directory" % (START_LIMIT, what))
    dt = time.monotonic() - t0
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    assert p.returncode != 0, (p.returncode, p.stderr[-2000:])
    assert last.startswith("convene: ") and errno_text in last and \
        (names or cl.path) in last, p.stderr[-2000:]
    assert cl.postmaster() is None, "PostgreSQL left running"
    print("%s: %s at start: serve exited %d in %.1fs: %s" % (
        NAME, what, p.returncode, dt, last), flush=True)


def unusable_at_start(cl, srv, load):
    """Fault 3: the data directory full, then read-only, when Convene
    starts (a running cluster's tmpfs cannot be remounted read-only: the
    kernel answers EBUSY while files are open for writing)."""
    load.pause()
    srv.stop()
    assert cl.postmaster() is None, "PostgreSQL outlived the service"
    cl.fill()
    serve_refused(cl, "full", "No space left on device")
    cl.unfill()
    cl.readonly(True)
    try:
        open(os.path.join(cl.path, "probe"), "w").close()
        raise AssertionError("could not make %s read-only" % cl.path)
    except OSError:
        pass
    serve_refused(cl, "read-only", "Read-only file system")
    cl.readonly(False)
    load.phase = "after-read-only"
    srv = ct.Server(None, data_dir=cl.data)
    load.start(srv.base)
    more_bookings(load, 5, "after the read-only start")
    return srv


def verify(cl, load):
    """Everything acknowledged is there, once, whole, uncorrupted."""
    db = cl.dsn()
    rows = ct.query(db, "SELECT c.case_ref, d.id, d.uid, (SELECT count(*) "
                    "FROM participants p WHERE p.discussion_id = d.id), "
                    "(SELECT count(*) FROM audit_log a WHERE a.entity = "
                    "'discussion' AND a.entity_id = d.id AND a.action = "
                    "'meeting.create') FROM discussions d JOIN cases c ON "
                    "c.id = d.case_id WHERE c.case_ref LIKE 'PDF-%%'")
    stored = {r[0]: (r[1], r[2]) for r in rows}
    dups = len(rows) - len(stored)
    lost = [ref for ref, v in load.acked.items() if stored.get(ref) != v]
    partial = [r for r in rows if r[0] in load.acked and
               (r[3] != len(fl.PEOPLE) or r[4] != 1)]
    half = [ref for st in (500, 507) for ref in load.refused.get(st, [])
            if ref in stored]
    after_503 = [ref for ref in load.refused.get(503, []) if ref in stored]
    # Counts and a full read (every row's text, TOAST included) of the
    # key tables; then amcheck over every table and index.
    full = {}
    for t in ("cases", "children", "discussions", "participants",
              "audit_log", "outbox"):
        n, digest, n2 = ct.query(
            db, "SELECT (SELECT count(*) FROM %s), md5(string_agg(t::text, "
            "',' ORDER BY t.id)), count(*) FROM %s t" % (t, t))[0]
        assert n == n2 and digest is not None, (t, n, n2)
        full[t] = n
    am = sh(os.path.join(ct.pg_bindir(), "pg_amcheck"), "-h", cl.sock,
            "-p", "5432", "-U", "postgres", "-d", "convene",
            "--install-missing", "--heapallindexed")
    assert am.returncode == 0, "pg_amcheck: " + am.stdout[-3000:]
    assert ct.query(db, "SELECT count(*) FROM pg_extension WHERE extname "
                    "= 'amcheck'") == [(1,)]
    return stored, dups, lost, partial, half, after_503, full


def run(quick=True, strict=False):
    cycles = 1 if quick else 3
    allowed = STRICT_WHILE_FULL if strict else ALLOWED_WHILE_FULL
    data = ct.tmpdir("convene-fault-pgfull-")
    cl = Cluster(data)
    if cl.why:
        print("%s: skipped: %s" % (NAME, cl.why), flush=True)
        raise fl.Skip(cl.why)
    t_start = time.monotonic()
    # No URL anywhere: the CLI and the service start the embedded cluster.
    ct.add_user(None, "pgfull-sw", "social_worker", team="Full Team",
                data_dir=data)
    tok = ct.token(None, "pgfull-sw", data_dir=data)
    srv = ct.Server(None, data_dir=data)
    used = cl.used_kib()
    print("%s: the cluster uses %d KiB of a %s tmpfs (%d KiB free)" % (
        NAME, used, TMPFS_SIZE, cl.free_kib()), flush=True)
    load = Load(tok)
    injected = 0
    restarted = 0
    try:
        load.start(srv.base)
        more_bookings(load, 5, "steady load")
        for k in range(cycles):
            injected += 1
            hz = data_files_full(cl, srv, load, k, allowed)
            print("%s: data files full %d: %s; healthz %d; space freed, "
                  "bookings back without a restart" % (
                      NAME, k, load.counts("data-full-%d" % k), hz),
                  flush=True)
            injected += 1
            by_itself, srv = wal_full(cl, srv, load, k, allowed)
            restarted += not by_itself
        injected += 2
        srv = unusable_at_start(cl, srv, load)
        load.finish()
        assert srv.running, "convene died"
        stored, dups, lost, partial, half, after_503, full = verify(cl, load)
        srv.stop()	# exit status 0, no sanitizer report
    finally:
        load.stop.set()
        load.go.set()
        srv.kill()
    answers = collections.Counter()
    for c in load.answers.values():
        answers.update(c)
    print("%s: answers %s; transport errors %d; refusals slower than %ds: "
          "%d; convene restarted %d time(s) to bring PostgreSQL back" % (
              NAME, dict(sorted(answers.items())), len(load.errors),
              MAX_ERROR_SECONDS, len(load.slow), restarted))
    print("%s: tables %s; pg_amcheck clean; refused but stored: %d after "
          "500/507, %d after 503; %.0f s" % (
              NAME, full, len(half), len(after_503),
              time.monotonic() - t_start), flush=True)
    out = fl.summary(NAME, injected, len(load.acked), len(stored),
                     len(lost), dups)
    assert not lost, "acknowledged but not stored: %r" % lost[:10]
    assert dups == 0
    assert not partial, partial[:5]
    assert not half, "refused with 500/507 but stored: %r" % half[:10]
    assert not load.errors, load.errors[:5]
    assert not load.slow, load.slow[:5]
    assert not load.odd, load.odd[:5]
    assert answers[503] > 0 and sum(c for s, c in answers.items()
                                    if s >= 300) > 0
    assert set(answers) <= allowed, answers
    return out


if __name__ == "__main__":
    run(fl.arg_quick(), strict="--strict" in sys.argv[1:])
