"""bench/bench.py: Convene against references measured in the same run.
Started by bench/run.sh (which installs the references and builds a
Release convene); see docs/performance.md for what each part measures.

  1. feed: GET /feeds/<token>.ics of upcoming meetings, from Convene, from
     nginx (the same bytes as a static file), from a bare libmicrohttpd
     server (bench/feed_control.c, the control) and from Radicale (the same
     events in a calendar collection): wrk -c32, requests/s and p99
  2. booking: POST /api/v1/meetings (4 participants, invites queued) vs
     pgbench running the same rows as a plain transaction on the same
     database, without Convene's statistics triggers
  3. statistics: bench/stats/run.sh (its own table), when present
  4. soak: mixed traffic at a fixed rate; errors, p99, resident memory

Alternately, RUNS times each; medians. Prints a table of ratios, met/not met.
"""

import argparse
import base64
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import convene_test as ct  # noqa: E402
import psycopg2  # noqa: E402

AGENCIES = ("social_care", "police", "health", "education")


def log(*a):
    print(*a, flush=True)


def wrk(url, seconds, conns=32, script=None, headers=()):
    cmd = ["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency",
           "--timeout", "10s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write "
                     r"(\d+), timeout (\d+)", out)
    nerr = (int(bad.group(1)) if bad else 0) + \
        (sum(int(x) for x in errs.groups()) if errs else 0)
    return rps, p99, nerr


def proc_stat(pid):
    """/proc/<pid>/stat's fields after the command name: [0] state,
    [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime."""
    with open("/proc/%s/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_ticks(pid):
    v = proc_stat(pid)
    return int(v[11]) + int(v[12])	# utime + stime


def pg_cpu_ticks(pg):
    """PostgreSQL's CPU: the postmaster, its live children, and the
    children it has reaped (pgbench's backends exit with their run)."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        pm = int(f.readline())
    total = sum(int(x) for x in proc_stat(pm)[11:15])
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            v = proc_stat(d)
        except OSError:
            continue
        if int(v[1]) == pm:
            total += int(v[11]) + int(v[12])
    return total


def cpu_snapshot(pg, srv):
    """(convene, postgres, client) CPU ticks; the client is every process
    this script has waited for (wrk, pgbench)."""
    # A client's backends exit as it does; until the postmaster reaps them
    # their time is neither live nor in its children's total.
    time.sleep(0.5)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    hz = os.sysconf("SC_CLK_TCK")
    return (cpu_ticks(srv.proc.pid) if srv else 0, pg_cpu_ticks(pg),
            (ru.ru_utime + ru.ru_stime) * hz)


def cpu_per(before, after, n):
    """Milliseconds of CPU per transaction for each of cpu_snapshot's
    three, as text."""
    ms = 1000.0 / os.sysconf("SC_CLK_TCK") / max(n, 1)
    d = [(b - a) * ms for a, b in zip(before, after)]
    return "cpu ms each: convene %.2f, postgres %.2f, client %.2f" % tuple(d)


def wait_cpu_idle(pid, timeout=120):
    """Wait until process pid uses no CPU for a second; seconds waited."""
    t0 = time.monotonic()
    last = cpu_ticks(pid)
    while time.monotonic() - t0 < timeout:
        time.sleep(1)
        now = cpu_ticks(pid)
        if now == last:
            break
        last = now
    return time.monotonic() - t0


def free_port():
    return ct.free_port(20000, 29999)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---- set-up -----------------------------------------------------------------

def setup(pg, work, meetings):
    admin = psycopg2.connect(pg.url())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("CREATE ROLE convene LOGIN SUPERUSER")
        cur.execute("CREATE DATABASE convene OWNER convene")
    admin.close()
    db = pg.url("convene", "convene")
    # Since least privilege, nothing but `convene migrate` makes the
    # schema (docs/operations.md): run it first, as a deployment does.
    ct.cli(db, "migrate")
    ct.add_user(db, "bench-admin", "admin")
    ct.add_user(db, "bench-sw", "social_worker", team="Bench Team")
    ct.add_user(db, "bench-mgr", "manager", team="Bench Team")
    tok = {u: ct.token(db, "bench-" + u) for u in ("admin", "sw", "mgr")}
    return db, tok


# --discussions: a council a year or two in. Clones of a template booking
# (which invites the polled feed's contact and the other agencies' people),
# each a case of its own, from a year ago to a year ahead, in one
# transaction of set-based statements; then the statistics are rebuilt and
# the tables analysed, as after a restore.
SEED_SQL = """
CREATE TEMP TABLE seed AS SELECT g AS n, nextval('cases_id_seq') AS cid,
  (g %% 730) - 365 AS shift FROM generate_series(1, %(n)d) g;
INSERT INTO cases (id, authority_id, case_ref, team_id)
  SELECT s.cid, d.authority_id, 'SEED-' || s.n, d.team_id
  FROM seed s, discussions d WHERE d.id = %(t)d;
INSERT INTO children (case_id, name, date_of_birth)
  SELECT cid, 'Sam Seed', '2016-06-06' FROM seed;
INSERT INTO discussions (authority_id, case_id, team_id, kind, reason,
  concern_received_at, starts_at, ends_at, format, location, chair, uid,
  planned_classification, planned_missing, created_by)
  SELECT d.authority_id, s.cid, d.team_id, d.kind, d.reason,
  d.concern_received_at + make_interval(days => s.shift),
  d.starts_at + make_interval(days => s.shift),
  d.ends_at + make_interval(days => s.shift), d.format, d.location, d.chair,
  md5(s.n::text) || '@seed', d.planned_classification, d.planned_missing,
  d.created_by FROM seed s, discussions d WHERE d.id = %(t)d;
INSERT INTO participants (discussion_id, contact_id, name, email, agency,
  organisation, role)
  SELECT n.id, p.contact_id, p.name, p.email, p.agency, p.organisation,
  p.role FROM discussions n JOIN participants p ON p.discussion_id = %(t)d
  WHERE n.uid LIKE '%%@seed';
"""


def seed(db, n, template):
    """Add n discussions like template (see SEED_SQL); their count."""
    conn = psycopg2.connect(db)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(SEED_SQL % {"n": n, "t": template})
    finally:
        conn.close()
    ct.query(db, "SELECT stats_rebuild()")
    ct.query(db, "VACUUM (ANALYZE)")
    return ct.query(db, "SELECT count(*) FROM discussions")[0][0]


def start_convene(db, data, threads=None, delivery=None):
    env = {}
    if threads:
        env["CONVENE_THREADS"] = str(threads)
    if delivery is not None:
        env["CONVENE_DELIVERY_THREADS"] = str(delivery)
    return ct.Server(db, data_dir=data, env=env)


def make_contacts(srv, tok):
    ids = {}
    for a in AGENCIES:
        st, _, b = srv.api("POST", "/api/v1/contacts", token=tok["admin"],
                           json={"name": "Bench %s" % a,
                                 "email": "%s@bench.example" % a,
                                 "agency": a, "organisation": "Bench " + a,
                                 "role": "Lead"})
        assert st == 201, b
        ids[a] = b["id"]
    return ids


def booking_body(contacts, i, days):
    d = datetime.date.today() + datetime.timedelta(days=days)
    return {"case_ref": "BENCH-%d" % (i % 997),
            "children": [{"name": "Bea Bench", "date_of_birth": "2015-01-01"}],
            "kind": "meeting", "reason": "Bench concern",
            "concern_received_at": datetime.date.today().isoformat() + "T09:00",
            "starts_at": "%sT%02d:%02d" % (d.isoformat(), 8 + (i % 10),
                                           (i * 7) % 60),
            "duration_minutes": 60, "format": "in_person",
            "location": "Room %d" % (i % 9),
            "participants": [{"contact_id": contacts[a]} for a in AGENCIES]}


# ---- 1. feed -----------------------------------------------------------------

def nginx_start(work, body):
    root = os.path.join(work, "nginx")
    os.makedirs(os.path.join(root, "www"), exist_ok=True)
    with open(os.path.join(root, "www", "feed.ics"), "wb") as f:
        f.write(body)
    port = free_port()
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off; worker_processes auto; pid %(r)s/nginx.pid;
error_log %(r)s/error.log; events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { text/calendar ics; }
  client_body_temp_path %(r)s/tmp; proxy_temp_path %(r)s/tmp;
  fastcgi_temp_path %(r)s/tmp; uwsgi_temp_path %(r)s/tmp; scgi_temp_path %(r)s/tmp;
  server { listen 127.0.0.1:%(p)d; root %(r)s/www; } }
""" % {"r": root, "p": port})
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    p = subprocess.Popen(["nginx", "-c", conf, "-p", root],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/feed.ics" % port
    wait_http(url)
    return p, url


def control_start(work, body):
    """bench/feed_control.c: a bare libmicrohttpd server answering the
    same bytes from memory, the control beside nginx (not a target)."""
    exe = os.path.join(work, "feed_control")
    subprocess.run(["cc", "-O2", "-o", exe,
                    os.path.join(ROOT, "bench", "feed_control.c"),
                    "-lmicrohttpd"], check=True)
    path = os.path.join(work, "feed_control.ics")
    with open(path, "wb") as f:
        f.write(body)
    port = free_port()
    p = subprocess.Popen([exe, path, str(port)])
    url = "http://127.0.0.1:%d/feed.ics" % port
    wait_http(url)
    return p, url


def radicale_start(work, body):
    """The feed's events as a Radicale calendar (one item per event, the
    feed's VTIMEZONEs with each), served by Radicale itself."""
    root = os.path.join(work, "radicale")
    col = os.path.join(root, "collections", "collection-root", "bench",
                       "feed")
    os.makedirs(col)
    with open(os.path.join(col, ".Radicale.props"), "w") as f:
        json.dump({"tag": "VCALENDAR"}, f)
    text = body.decode()
    tz = "".join(re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n",
                            text, re.S))
    events = re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, re.S)
    for n, ev in enumerate(events):
        with open(os.path.join(col, "e%05d.ics" % n), "w", newline="") as f:
            f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN"
                    "\r\n" + tz + ev + "END:VCALENDAR\r\n")
    port = free_port()
    conf = os.path.join(root, "config")
    with open(conf, "w") as f:
        f.write("[server]\nhosts = 127.0.0.1:%d\n[auth]\ntype = none\n"
                "[rights]\ntype = owner_only\n[storage]\nfilesystem_folder"
                " = %s\n[logging]\nlevel = warning\n" %
                (port, os.path.join(root, "collections")))
    p = subprocess.Popen([sys.executable, "-m", "radicale", "--config", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/bench/feed/" % port
    auth = "Authorization: Basic " + base64.b64encode(b"bench:x").decode()
    wait_http(url, {"Authorization": auth.split(": ", 1)[1]})
    return p, url, auth, len(events)


def wait_http(url, headers=None, timeout=30):
    import urllib.request
    deadline = time.monotonic() + timeout
    while True:
        try:
            req = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# ---- 2. booking -------------------------------------------------------------

PGBENCH_SQL = r"""\set t %(t)d
\set dd random(0, 300)
BEGIN;
INSERT INTO cases (authority_id, case_ref, team_id)
 SELECT authority_id, 'P' || md5(random()::text), team_id
 FROM discussions WHERE id = :t RETURNING id AS cid \gset
INSERT INTO children (case_id, name, date_of_birth)
 VALUES (:cid, 'Bea Bench', '2015-01-01');
INSERT INTO discussions (authority_id, case_id, team_id, kind, reason,
  concern_received_at, starts_at, ends_at, format, location, chair, uid,
  planned_classification, planned_missing, created_by)
 SELECT authority_id, :cid, team_id, kind, reason, concern_received_at,
  starts_at + make_interval(days => :dd), ends_at + make_interval(days => :dd),
  format, location, chair, md5(random()::text) || '@bench',
  planned_classification, planned_missing, created_by
 FROM discussions WHERE id = :t RETURNING id AS did \gset
INSERT INTO participants (discussion_id, contact_id, name, email, agency,
  organisation, role)
 SELECT :did, contact_id, name, email, agency, organisation, role
 FROM participants WHERE discussion_id = :t;
INSERT INTO outbox (discussion_id, participant_id, kind, method, sequence,
  recipient, message_id, message)
 SELECT :did, np.id, o.kind, o.method, o.sequence, o.recipient,
  md5(random()::text) || o.message_id, o.message
 FROM outbox o JOIN participants tp ON tp.id = o.participant_id
 JOIN participants np ON np.discussion_id = :did
  AND np.contact_id = tp.contact_id
 WHERE o.discussion_id = :t;
INSERT INTO audit_log (authority_id, user_id, action, entity, entity_id, after)
 SELECT authority_id, user_id, action, entity, :did, after
 FROM audit_log WHERE entity = 'discussion' AND entity_id = :t
  AND action = 'meeting.create' LIMIT 1;
END;
"""


WRK_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local body = [[%s]]
local run = os.time() %% 1000000
local n, i = 0, 0
function setup(thread) n = n + 1; thread:set("tid", n) end
function request()
  i = i + 1
  local day = os.date("%%Y-%%m-%%d", os.time() + 86400 * (60 + math.random(0, 300)))
  local b = body:gsub("BENCHCASE", "B" .. run .. "-" .. (tid or 0) .. "-" .. i)
  b = b:gsub("BENCHDAY", day)
  return wrk.format(nil, nil, nil, b)
end
"""


# feed.c feed_meetings(), second statement, as it is sent on a cache miss
# (a poll after a change; an unchanged feed is answered from memory).
FEED_SQL = """WITH f AS (SELECT contact_id, organisation_id, authority_id
  FROM feed_tokens WHERE token_hash = %s AND revoked_at IS NULL),
  who AS (SELECT c.id, lower(c.email) AS email FROM contacts c, f
  WHERE c.id = f.contact_id OR c.organisation_id = f.organisation_id)
  SELECT d.id, d.sequence, d.status, extract(epoch FROM d.updated_at)::text,
  extract(epoch FROM d.ends_at)::bigint FROM discussions d
  WHERE d.authority_id = (SELECT authority_id FROM f)
  AND d.ends_at > now() AND d.status <> 'held'
  AND EXISTS (SELECT 1 FROM participants p WHERE p.discussion_id = d.id
  AND p.removed_at IS NULL AND (p.contact_id IN (SELECT id FROM who)
  OR lower(p.email) IN (SELECT email FROM who)))
  ORDER BY d.starts_at, d.id LIMIT 1000"""


def settle(db):
    """Before each booking run: drain the outbox (drain) and VACUUM ANALYZE,
    so that each run starts from the same state. The database grows from 20
    to thousands of meetings within the part, far faster than autovacuum
    (naptime 1 min) follows; without fresh statistics, plans cached by
    Convene's long-lived pool connections when the tables were tiny are
    kept (stats_refresh_case's generic plans, for example, walked every
    participant through a partial index), while pgbench's new connections
    plan afresh each run. ANALYZE invalidates those cached plans for both."""
    w = drain(db)
    t0 = time.monotonic()
    ct.query(db, "VACUUM (ANALYZE)")
    return w[0], w[1] + (time.monotonic() - t0)


def drain(db, timeout=180):
    """Wait until the delivery worker has sent every queued invite, so that
    each run starts with no backlog: otherwise the worker, delivering the
    previous run's thousands of outbox rows, loads the next run (whichever
    side it is). Returns (rows waiting at the start, seconds waited)."""
    t0 = time.monotonic()
    first = None
    while True:
        n = ct.query(db, "SELECT count(*) FROM outbox WHERE status IN "
                     "('queued', 'sending')")[0][0]
        if first is None:
            first = n
        if n == 0 or time.monotonic() - t0 > timeout:
            return first, time.monotonic() - t0
        time.sleep(0.1)


def booking_pairs_queued(a, srv, pg, db, lua, pgs, conns, book):
    """Alternate pairs with invites queued, not sent: VACUUM (ANALYZE)
    before each run, for the reason given in settle()."""
    for r in range(a.runs):
        ct.query(db, "VACUUM (ANALYZE)")
        if a.statements:
            statements_reset(pg)
        c0 = cpu_snapshot(pg, srv)
        rps, p99, err = wrk(srv.base + "/api/v1/meetings", a.seconds,
                            conns, script=lua)
        log("booking run %d convene: %s" % (r + 1, cpu_per(
            c0, cpu_snapshot(pg, srv), rps * a.seconds)))
        book["convene"].append((rps, p99, err))
        if a.statements:
            statements_log(pg, "convene booking run %d" % (r + 1), rps *
                           a.seconds)
        ct.query(db, "VACUUM (ANALYZE)")
        c0 = cpu_snapshot(pg, None)
        tps, failed = pgbench_plain(pg, pgs, a.seconds, conns)
        log("booking run %d pgbench: %s" % (r + 1, cpu_per(
            c0, cpu_snapshot(pg, None), tps * a.seconds)))
        book["pgbench"].append((tps, 0, failed))
        # Convene prepares its statements (db.c); pgbench's default sends
        # each one to be parsed and planned afresh. Its prepared mode is
        # the stricter reference, reported beside it.
        ct.query(db, "VACUUM (ANALYZE)")
        tpp, failp = pgbench_plain(pg, pgs, a.seconds, conns, "prepared")
        book["pgbench_prepared"].append((tpp, 0, failp))
        log("booking run %d (invites queued) convene %8.1f/s (p99 %.1f ms, "
            "errors %d)  pgbench %8.1f tps (failed %d), -M prepared %8.1f "
            "tps (failed %d)" % (r + 1, rps, p99, err, tps, failed, tpp,
                                 failp))


# --statements: pg_stat_statements over each of Convene's booking runs (the
# evidence of where a booking's database time goes, docs/performance.md).
STATEMENTS_CONF = ("shared_preload_libraries = 'pg_stat_statements'\n"
                   "pg_stat_statements.track = all\n")


def statements_reset(pg):
    url = pg.url(dbname="convene")
    ct.query(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    ct.query(url, "SELECT pg_stat_statements_reset(), pg_stat_reset()")


def statements_log(pg, title, bookings):
    """Convene's statements (any login but the superuser's; top level, so
    a function's own statements count in its call) by total time: per
    booking,
    calls and milliseconds, and the mean per call."""
    rows = ct.query(pg.url(dbname="convene"),
                    "SELECT s.calls, s.total_exec_time + s.total_plan_time, "
                    "s.mean_exec_time, s.rows, left(regexp_replace(s.query, "
                    "'\\s+', ' ', 'g'), 90) FROM pg_stat_statements s JOIN "
                    "pg_roles r ON r.oid = s.userid WHERE r.rolname <> "
                    "'postgres' AND s.toplevel ORDER BY 2 DESC LIMIT 20")
    total = sum(r[1] for r in rows) or 1.0
    n = max(bookings, 1)
    log("bench: %s: database time by statement (top 20, per %.0f)"
        % (title, bookings))
    log("  calls/n   ms/n    share  mean ms  statement")
    for calls, tot, mean, _, q in rows:
        log("  %7.2f %7.3f %6.1f%% %8.3f  %s" % (calls / n, tot / n,
                                                 100.0 * tot / total, mean,
                                                 q))
    # Inside functions and triggers (the fold's own statements), and the
    # tables read by sequential scan, which a growing table makes dearer.
    rows = ct.query(pg.url(dbname="convene"),
                    "SELECT s.calls, s.total_exec_time, s.mean_exec_time, "
                    "left(regexp_replace(s.query, '\\s+', ' ', 'g'), 90) "
                    "FROM pg_stat_statements s JOIN pg_roles r ON r.oid = "
                    "s.userid WHERE r.rolname <> 'postgres' AND NOT "
                    "s.toplevel ORDER BY 2 DESC LIMIT 12")
    log("  nested statements (calls/n, ms/n, mean ms):")
    for calls, tot, mean, q in rows:
        log("  %7.2f %7.3f %8.3f  %s" % (calls / n, tot / n, mean, q))
    rows = ct.query(pg.url(dbname="convene"),
                    "SELECT relname, seq_scan, seq_tup_read, n_live_tup "
                    "FROM pg_stat_user_tables WHERE seq_scan > 0 ORDER BY "
                    "seq_tup_read DESC LIMIT 8")
    log("  sequential scans (table, scans/n, rows read/n, live rows): " +
        "; ".join("%s %.2f %.0f %d" % (t, sc / n, tr / n, live)
                  for t, sc, tr, live in rows))


# The reference is the plain transaction: the same rows on the same
# database, without Convene's statistics machinery (issue 12: the stats_mark
# triggers that queue each case for the fold) or the list's kept totals
# (sql/042). Switched off for pgbench's runs only, by the superuser; the
# summaries and totals are rebuilt after the part.
STATS_TRIGGERS_SQL = """DO $$ DECLARE t record; BEGIN
FOR t IN SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid =
  g.tgrelid WHERE (g.tgname LIKE 'stats\\_mark%%' OR g.tgname LIKE
  'list\\_totals%%') AND NOT g.tgisinternal LOOP
  EXECUTE format('ALTER TABLE %%I %s TRIGGER %%I', t.relname, t.tgname);
END LOOP; END $$"""


def stats_triggers(pg, on):
    ct.query(pg.url(dbname="convene"),
             STATS_TRIGGERS_SQL % ("ENABLE" if on else "DISABLE"))


def pgbench_plain(pg, script, seconds, conns, mode="simple"):
    stats_triggers(pg, False)
    try:
        return pgbench(pg, script, seconds, conns, mode)
    finally:
        stats_triggers(pg, True)


def pgbench(pg, script, seconds, conns, mode="simple"):
    cmd = ["pgbench", "-n", "-M", mode, "-c%d" % conns, "-j2",
           "-T%d" % seconds, "-f", script, "-h", "127.0.0.1", "-p", str(pg.port), "-U",
           "postgres", "convene"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    m = re.search(r"tps = ([\d.]+) \(without initial", out)
    if not m:
        raise RuntimeError("pgbench: " + out[-2000:])
    bad = re.search(r"number of failed transactions: (\d+)", out)
    return float(m.group(1)), int(bad.group(1)) if bad else 0


# ---- 4. soak ----------------------------------------------------------------

def soak(srv, tok, contacts, feed_path, minutes, rate):
    """Fixed-rate mixed traffic (rate/5 senders, at least 8): 50% meeting
    lists and reads, 20% bookings, 20% feed polls, 10% statistics. Latency
    per route class; the rate achieved."""
    stop = time.monotonic() + minutes * 60
    lat, errors, lock = [], [], threading.Lock()
    ids = []
    n = [0]
    # Enough senders that a slow answer does not hold the rate back.
    nthreads = max(8, int(rate / 5))
    interval = nthreads / rate

    def one(i):
        r = random.random()
        if r < 0.2:
            st, _, b = srv.api("POST", "/api/v1/meetings", token=tok["sw"],
                               json=booking_body(contacts, i, 40))
            if st == 201:
                with lock:
                    ids.append(b["id"])
            return st, 201, "booking", b
        if r < 0.4:
            # As calendar clients poll (Outlook, Google, Apple all send
            # Accept-Encoding: gzip); the feed benchmark above asks for the
            # identity body, as nginx serves its static file.
            st, _, b = srv.api("GET", feed_path,
                               headers={"Accept-Encoding": "gzip"})
            return st, 200, "feed", b
        if r < 0.5:
            st, _, b = srv.api("GET", "/api/v1/stats", token=tok["mgr"])
            return st, 200, "stats", b
        if r < 0.75 and ids:
            st, _, b = srv.api("GET", "/api/v1/meetings/%d" %
                               random.choice(ids), token=tok["sw"])
            return st, 200, "meeting", b
        st, _, b = srv.api("GET", "/api/v1/meetings", token=tok["sw"])
        return st, 200, "list", b

    def worker(k):
        nxt = time.monotonic() + random.random() * interval
        while True:
            now = time.monotonic()
            if now >= stop:
                return
            if nxt > now:
                time.sleep(nxt - now)
            nxt += interval
            with lock:
                n[0] += 1
                i = n[0]
            t0 = time.monotonic()
            try:
                st, want, kind, body = one(i)
            except OSError as e:
                st, want, kind, body = repr(e), 200, "transport", ""
            dt = (time.monotonic() - t0) * 1000
            with lock:
                lat.append((kind, dt))
                if st != want:
                    errors.append("%s %s %s" % (kind, st, str(body)[:160]))

    rss0 = rss_kb(srv.proc.pid)
    t_start = time.monotonic()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - t_start
    rss1 = rss_kb(srv.proc.pid)
    every = sorted(x for _, x in lat)
    routes = {}
    for kind in sorted(set(k for k, _ in lat)):
        xs = sorted(x for k, x in lat if k == kind)
        routes[kind] = {"n": len(xs), "p50_ms": pctl(xs, 0.50),
                        "p95_ms": pctl(xs, 0.95), "p99_ms": pctl(xs, 0.99)}
    return {"requests": len(lat), "errors": len(errors),
            "error_kinds": sorted(set(map(str, errors)))[:5],
            "p99_ms": pctl(every, 0.99), "rate": rate,
            "achieved": len(lat) / max(elapsed, 1e-9), "routes": routes,
            "rss_start_kb": rss0, "rss_end_kb": rss1}


def pctl(xs, q):
    """The q-quantile of sorted xs (nearest rank); NaN when empty."""
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(len(xs) * q))]


# ---- main -------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--meetings", type=int, default=1000)
    ap.add_argument("--statements", action="store_true",
                    help="log pg_stat_statements for the booking runs "
                    "and the soaks")
    ap.add_argument("--soak-minutes", type=float, default=5)
    ap.add_argument("--soak-rate", type=float, default=50,
                    help="requests per second during the soak")
    ap.add_argument("--soak2-minutes", type=float, default=10,
                    help="the second, faster soak (0: none)")
    ap.add_argument("--soak2-rate", type=float, default=200)
    ap.add_argument("--discussions", type=int, default=None,
                    help="discussions seeded before the feed and the soak "
                    "(100,000 unless given), and before a booking part run "
                    "without them when given")
    ap.add_argument("--threads", type=int, default=0,
                    help="CONVENE_THREADS for convene (0: its default)")
    ap.add_argument("--booking-with-delivery", action="store_true",
                    help="booking part with invites sent during the runs "
                    "(drained and timed after each run) instead of queued")
    ap.add_argument("--stats-args", default="")
    ap.add_argument("--skip-stats", action="store_true")
    ap.add_argument("--parts", default="feed,booking,stats,soak",
                    help="comma-separated subset of feed,booking,stats,soak")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    if a.skip_stats:
        parts.discard("stats")
    if not parts & {"feed", "soak"}:
        a.meetings = min(a.meetings, 20)	# booking or stats alone
    random.seed(1)
    work = tempfile.mkdtemp(prefix="convene-bench-", dir="/dev/shm"
                            if os.path.isdir("/dev/shm") else None)
    os.chmod(work, 0o711)
    procs = []
    results = {}
    try:
        pg = ct.Postgres(STATEMENTS_CONF if a.statements else "").start()
        db, tok = setup(pg, work, a.meetings)
        # .eml outbox on tmpfs: invites are delivered by the worker as in
        # the default set-up, without a disk's fsync in the measurement.
        data = os.path.join(work, "data")
        os.makedirs(data)
        srv = start_convene(db, data, a.threads)
        log("bench: convene pid %d, %s HTTP threads, VmRSS %d kB at start"
            % (srv.proc.pid, a.threads or "default", rss_kb(srv.proc.pid)))
        contacts = make_contacts(srv, tok)
        log("bench: booking %d upcoming meetings" % a.meetings)
        for i in range(a.meetings):
            st, _, b = srv.api("POST", "/api/v1/meetings", token=tok["sw"],
                               json=booking_body(contacts, i,
                                                 7 + i % 120))
            assert st == 201, b
        # pgbench's template: a booking made through the API, so that the
        # reference writes every row Convene writes (a seeded discussion
        # has no invites and no audit row).
        booked = b["id"]
        wanted = {"feed", "soak"} | ({"booking"} if a.discussions else set())
        if a.discussions is None:
            a.discussions = 100000
        if parts & wanted and a.discussions > 0:
            t0 = time.monotonic()
            results["discussions"] = seed(db, a.discussions, booked)
            results["feed_contact_meetings"] = ct.query(
                db, "SELECT count(*) FROM participants WHERE contact_id = "
                "%s", (contacts["police"],))[0][0]
            log("bench: %d discussions (%d seeded in %.1f s); the polled "
                "feed's contact is invited to %d" % (
                    results["discussions"], a.discussions,
                    time.monotonic() - t0, results["feed_contact_meetings"]))
        st, _, f = srv.api("POST", "/api/v1/feeds", token=tok["admin"],
                           json={"contact_id": contacts["police"]})
        assert st == 201, f
        feed_path = "/feeds/" + f["url"].rsplit("/feeds/", 1)[1]
        st, h, body = srv.api("GET", feed_path)
        assert st == 200
        body = body.encode()
        nev = body.count(b"BEGIN:VEVENT")
        log("bench: feed %d bytes, %d events" % (len(body), nev))
        if "feed" in parts:
            ng, ngurl = nginx_start(work, body)
            procs.append(ng)
            ctl, ctlurl = control_start(work, body)
            procs.append(ctl)
            rad, radurl, radauth, nrad = radicale_start(work, body)
            procs.append(rad)
            got = wait_http(radurl, {"Authorization": radauth.split(": ", 1)[1]})
            assert got.count(b"BEGIN:VEVENT") == nev, "radicale lost events"
            results["feed_bytes"], results["feed_events"] = len(body), nev

            # 1. feed, alternately
            feed = {"convene": [], "nginx": [], "control": [],
                    "radicale": []}
            for r in range(a.runs):
                for name, url, hdr in (("convene", srv.base + feed_path, ()),
                                       ("nginx", ngurl, ()),
                                       ("control", ctlurl, ()),
                                       ("radicale", radurl, (radauth,))):
                    # Radicale takes seconds per 1,000-event answer: a
                    # 5-second run would see one or none of them.
                    secs = max(a.seconds, 30) if name == "radicale" else \
                        a.seconds
                    rps, p99, err = wrk(url, secs, 32, headers=hdr)
                    feed[name].append((rps, p99, err))
                    log("feed run %d %-8s %10.1f req/s  p99 %8.2f ms  errors %d"
                        % (r + 1, name, rps, p99, err))
                    if name == "radicale":
                        # wrk stops, but Radicale goes on answering the
                        # requests it had queued, for many seconds of CPU:
                        # the next run (Convene's) must not share the cores.
                        log("feed: Radicale busy %.1f s after its run" %
                            wait_cpu_idle(rad.pid))
            results["feed"] = {k: {"rps": median([x[0] for x in v]),
                                   "p99_ms": median([x[1] for x in v]),
                                   "errors": sum(x[2] for x in v)}
                               for k, v in feed.items()}

        if "feed" in parts:
            # The feed's query on a cache miss (feed.c, feed_meetings),
            # run here by hand with EXPLAIN ANALYZE.
            h = ct.query(db, "SELECT token_hash FROM feed_tokens LIMIT 1")[0][0]
            plan = ct.query(db, "EXPLAIN (ANALYZE, BUFFERS) " + FEED_SQL, (h,))
            results["feed_explain"] = "\n".join(r[0] for r in plan)
            log("feed query plan:\n" + results["feed_explain"])

        # 2. booking vs pgbench, alternately
        if "booking" in parts:
            lua = os.path.join(work, "book.lua")
            # Each booking a new case (as pgbench's transaction), so neither
            # side queues on one case's statistics refresh, and on a day
            # spread over 300 days (pgbench: the template's day plus
            # 0..300), so that both touch statistics rows as real bookings
            # do, not one hot summary row.
            tmpl_body = booking_body(contacts, 1, 60)
            tmpl_body["case_ref"] = "BENCHCASE"
            tmpl_body["starts_at"] = "BENCHDAY" + tmpl_body["starts_at"][10:]
            with open(lua, "w") as fl:
                fl.write(WRK_LUA % (tok["sw"], json.dumps(tmpl_body)))
            tmpl = booked
            rows = ct.query(db, "SELECT (SELECT count(*) FROM participants "
                            "WHERE discussion_id = %s), (SELECT count(*) "
                            "FROM outbox WHERE discussion_id = %s), (SELECT "
                            "count(*) FROM audit_log WHERE entity = "
                            "'discussion' AND entity_id = %s AND action = "
                            "'meeting.create')", (tmpl, tmpl, tmpl))[0]
            log("bench: pgbench's template, discussion %d: %d participants, "
                "%d invites, %d audit rows" % ((tmpl,) + tuple(rows)))
            assert rows[1] > 0 and rows[2] == 1, "template without invites"
            pgs = os.path.join(work, "book.sql")
            with open(pgs, "w") as fl:
                fl.write(PGBENCH_SQL % {"t": tmpl})
            conns = 8
            # Convene's delivery worker sends the invites of both sides.
            # It keeps up with Convene's bookings during Convene's run, but
            # falls behind pgbench's, whose backlog it then sends after
            # pgbench's run. So each run is followed by draining its own
            # backlog (timed), and a second rate counts that time too:
            # bookings with their invites sent, per second ("sustained").
            book = {"convene": [], "pgbench": [], "convene_sent": [],
                    "pgbench_sent": [], "pgbench_prepared": []}
            settle(db)
            if not a.booking_with_delivery:
                # The measure: bookings with their invites queued,
                # against the same transaction by pgbench. Nothing sends
                # during the runs, on either side: this instance has no
                # delivery threads, and the delivering one is stopped.
                srv.stop()
                srv = start_convene(db, data, a.threads, delivery=0)
                booking_pairs_queued(a, srv, pg, db, lua, pgs, conns, book)
                srv.stop()
                srv = start_convene(db, data, a.threads)
                w = drain(db, timeout=900)
                log("bench: delivered the %d invites queued by the booking "
                    "part in %.1f s (not measured)" % w)
            for r in range(a.runs if a.booking_with_delivery else 0):
                rps, p99, err = wrk(srv.base + "/api/v1/meetings", a.seconds,
                                    conns, script=lua)
                b1, d1 = drain(db)
                settle(db)
                book["convene"].append((rps, p99, err))
                book["convene_sent"].append((rps * a.seconds /
                                             (a.seconds + d1), 0, 0))
                tps, failed = pgbench_plain(pg, pgs, a.seconds, conns)
                b2, d2 = drain(db)
                settle(db)
                book["pgbench"].append((tps, 0, failed))
                book["pgbench_sent"].append((tps * a.seconds /
                                             (a.seconds + d2), 0, 0))
                log("booking run %d convene %8.1f/s (p99 %.1f ms, errors %d)  "
                    "pgbench %8.1f tps (failed %d); backlog after each: %d "
                    "rows sent in %.1f s, %d rows in %.1f s; sustained "
                    "%.1f/s vs %.1f/s" %
                    (r + 1, rps, p99, err, tps, failed, b1, d1, b2, d2,
                     book["convene_sent"][-1][0],
                     book["pgbench_sent"][-1][0]))
            drain(db)
            # pgbench's bookings were not queued for the statistics
            # nor counted in the list's totals.
            ct.query(pg.url(dbname="convene"), "SELECT stats_rebuild(), "
                     "list_totals_rebuild()")
            results["booking_mode"] = "delivery" if \
                a.booking_with_delivery else "queued"
            results["booking_rss_kb"] = rss_kb(srv.proc.pid)
            log("bench: convene VmRSS %d kB after the booking runs, idle"
                % results["booking_rss_kb"])
            results["booking"] = {k: {"rps": median([x[0] for x in v]),
                                      "p99_ms": median([x[1] for x in v]),
                                      "errors": sum(x[2] for x in v)}
                                  for k, v in book.items()}

        # 3. statistics: bench/stats/run.sh prints its own table
        stats_sh = os.path.join(ROOT, "bench", "stats", "run.sh")
        if os.path.exists(stats_sh) and "stats" in parts:
            log("bench: bench/stats/run.sh %s" % a.stats_args)
            p = subprocess.run(["bash", stats_sh] + a.stats_args.split(),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            log(p.stdout[-4000:])
            results["stats_rc"] = p.returncode
            results["stats_out"] = p.stdout[-4000:]

        # 4. soak on a fresh process (memory from a clean start)
        if "soak" in parts:
            srv.stop()
            srv = start_convene(db, data, a.threads)
            # Warm-up, not counted: the same traffic for 20 s, so that every
            # HTTP and delivery thread has its malloc arena and every pooled
            # connection is open before "RSS at start" is read.
            soak(srv, tok, contacts, feed_path, 20 / 60.0, a.soak_rate)
            for key, minutes, rate in (("soak", a.soak_minutes, a.soak_rate),
                                       ("soak2", a.soak2_minutes,
                                        a.soak2_rate)):
                if minutes <= 0:
                    continue
                log("bench: %s %.1f min at %.0f req/s" % (key, minutes, rate))
                if a.statements:
                    statements_reset(pg)
                results[key] = soak(srv, tok, contacts, feed_path, minutes,
                                    rate)
                log("%s: %s" % (key, json.dumps(results[key])))
                if a.statements:
                    statements_log(pg, "%s (per request)" % key,
                                   results[key]["requests"])
            bad = [ln for ln in srv.log_text().splitlines()
                   if '"status":5' in ln or '"level":"error"' in ln]
            log("soaks: %d server log lines with 5xx or errors; first:\n%s"
                % (len(bad), "\n".join(bad[:8])))
        srv.stop()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, True)

    report(results, a)


def report(r, a):
    rows = []

    def row(name, value, target, ok):
        rows.append((name, value, target, "met" if ok else "NOT MET"))

    print()
    print("runs %d x %d s (medians); wrk -c32 (feed), -c8 (booking) vs "
          "pgbench -c8" % (a.runs, a.seconds))
    if "feed" in r:
        f = r["feed"]
        print("  feed: %d events, %d bytes" % (r["feed_events"],
                                              r["feed_bytes"]))
        for k, v in f.items():
            print("  feed %-9s %10.1f req/s  p99 %8.2f ms  errors %d" % (
                k, v["rps"], v["p99_ms"], v["errors"]))
        x = f["convene"]["rps"] / f["nginx"]["rps"]
        row("feed vs nginx (req/s)", "%.2fx" % x, ">= 1.2x", x >= 1.2)
        if "control" in f:
            # Not a target: what libmicrohttpd alone does here.
            print("  control (bare libmicrohttpd, same bytes from memory) "
                  "vs nginx: %.2fx; convene vs control: %.2fx" % (
                      f["control"]["rps"] / f["nginx"]["rps"],
                      f["convene"]["rps"] / f["control"]["rps"]))
        if f["radicale"]["rps"] > 0:
            y = f["convene"]["rps"] / f["radicale"]["rps"]
            row("feed vs Radicale (req/s)", "%.1fx" % y, ">= 500x",
                y >= 500)
        else:
            row("feed vs Radicale (req/s)", "n/a (Radicale answered none)",
                ">= 500x", False)
    if "booking" in r:
        b = r["booking"]
        for k, v in b.items():
            if v["rps"] != v["rps"]:
                continue	# NaN: not measured in this mode
            print("  booking %-8s %8.1f /s  p99 %8.2f ms  errors %d" % (
                k, v["rps"], v["p99_ms"], v["errors"]))
        z = b["convene"]["rps"] / b["pgbench"]["rps"]
        row("booking vs plain tx, pgbench (tx/s, %s)" % r["booking_mode"],
            "%.2fx" % z, ">= 0.7x", z >= 0.7)
        zp = b["convene"]["rps"] / b["pgbench_prepared"]["rps"]
        if zp == zp:
            row("  vs pgbench -M prepared", "%.2fx" % zp, ">= 0.7x",
                zp >= 0.7)
        if r["booking_mode"] == "delivery":
            z2 = b["convene_sent"]["rps"] / b["pgbench_sent"]["rps"]
            row("  sustained (invites sent)", "%.2fx" % z2, ">= 0.7x",
                z2 >= 0.7)
        row("booking errors", "%d" % b["convene"]["errors"], "0",
            b["convene"]["errors"] == 0)
    if "stats_rc" in r:
        print("  statistics: bench/stats/run.sh exit %d (its table above)" %
              r["stats_rc"])
    if "discussions" in r:
        print("  database: %d discussions; the polled feed's contact is "
              "invited to %d" % (r["discussions"], r["feed_contact_meetings"]))
        row("discussions in the database", "%d" % r["discussions"],
            ">= %d" % a.discussions, r["discussions"] >= a.discussions)
    for key, limit in (("soak", 100.0), ("soak2", 250.0)):
        if key not in r:
            continue
        s = r[key]
        print("  %s at %.0f req/s: %d requests (%.1f req/s achieved), p99 "
              "%.1f ms" % (key, s["rate"], s["requests"], s["achieved"],
                           s["p99_ms"]))
        print("    %-9s %7s %9s %9s %9s" % ("route", "n", "p50 ms", "p95 ms",
                                           "p99 ms"))
        for k, v in s["routes"].items():
            print("    %-9s %7d %9.1f %9.1f %9.1f" % (k, v["n"], v["p50_ms"],
                                                     v["p95_ms"],
                                                     v["p99_ms"]))
        row("%s rate held (req/s)" % key, "%.1f of %.0f" % (
            s["achieved"], s["rate"]), ">= 98%", s["achieved"] >=
            0.98 * s["rate"])
        worst = max(s["routes"].items(), key=lambda kv: kv[1]["p99_ms"])
        row("%s p99, slowest route (%s)" % (key, worst[0]), "%.1f ms" %
            worst[1]["p99_ms"], "<= %.0f ms" % limit,
            worst[1]["p99_ms"] <= limit)
        row("%s errors" % key, "%d of %d" % (s["errors"], s["requests"]),
            "0", s["errors"] == 0)
    if "soak" in r:
        s = r["soak"]
        g = (s["rss_end_kb"] - s["rss_start_kb"]) / max(s["rss_start_kb"], 1)
        row("soak RSS growth", "%+.1f%% (%d -> %d kB)" % (
            100 * g, s["rss_start_kb"], s["rss_end_kb"]), "<= 10%",
            g <= 0.10)
        row("soak RSS", "%.1f MB" % (s["rss_end_kb"] / 1024.0), "<= 32 MB",
            s["rss_end_kb"] <= 32 * 1024)
    print()
    if rows:
        w = max(len(x[0]) for x in rows)
        print("%-*s  %-26s %-9s %s" % (w, "target", "measured", "wanted", ""))
        for name, val, tgt, ok in rows:
            print("%-*s  %-26s %-9s %s" % (w, name, val, tgt, ok))


if __name__ == "__main__":
    main()
