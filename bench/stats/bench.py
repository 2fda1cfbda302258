"""bench/stats/bench.py: times every statistics call of a running convene
over HTTP, REPS times each, beside the reference query (a bare
SELECT date_trunc('month', starts_at), count(*) FROM discussions GROUP BY 1
over the same table, through psycopg2), and prints median and p95 times,
the ratio of each median to the reference's, and whether the 100 ms target
is met. Then checks exactness: a burst of ordinary writes (attendance
recorded, reviews, conference dates, a cancellation) through the triggers,
and stats_verify() must be 0. Started by bench/stats/run.sh.
"""

import argparse
import http.cookiejar
import re
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg2

TARGET_MS = 100.0

# (label, path, who): who is "manager", "sw" (token) or "page" (session).
CALLS = [
    ("stats, all time, by month", "/api/v1/stats", "manager"),
    ("stats, one year, by month",
     "/api/v1/stats?from=2025-01-01&to=2025-12-31", "manager"),
    ("stats, 12 months cutting months, by team",
     "/api/v1/stats?from=2024-04-15&to=2025-04-14&group_by=team", "manager"),
    ("stats, all time, by agency", "/api/v1/stats?group_by=agency",
     "manager"),
    ("stats, one team, one year",
     "/api/v1/stats?team=Team%203&from=2025-01-01&to=2025-12-31", "manager"),
    ("stats, meetings by phone, all time",
     "/api/v1/stats?kind=meeting&format=phone", "manager"),
    ("stats, social worker (own team)", "/api/v1/stats", "sw"),
    ("stats.csv, one year, by month",
     "/api/v1/stats.csv?from=2025-01-01&to=2025-12-31", "manager"),
    ("stats.csv, all time, by team", "/api/v1/stats.csv?group_by=team",
     "manager"),
    ("list behind a figure, first page (one month single-agency)",
     "/api/v1/stats/discussions?from=2025-06-01&to=2025-06-30"
     "&classification=single_agency", "manager"),
    ("dashboard page, one year",
     "/stats?from=2025-01-01&to=2025-12-31", "page"),
    ("dashboard page, all time, by team", "/stats?group_by=team", "page"),
]
# Exports of whole lists: timed and printed, not held to the target (their
# size grows with the range asked for).
EXPORTS = [
    ("export: discussions.csv, one month",
     "/api/v1/stats/discussions.csv?from=2025-06-01&to=2025-06-30",
     "manager"),
    ("export: section47.csv (Annex A), one month",
     "/api/v1/stats/section47.csv?from=2025-06-01&to=2025-06-30",
     "manager"),
]


class Client:
    def __init__(self, base, tokens, manager, password):
        self.base = base
        self.tokens = tokens
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar))
        self.signed_in = self.sign_in(manager, password)

    def sign_in(self, user, password):
        try:
            page = self.opener.open(self.base + "/sign-in").read().decode()
        except OSError:
            return False
        m = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not m:
            return False
        data = urllib.parse.urlencode({"username": user, "password": password,
                                       "csrf_token": m.group(1)}).encode()
        try:
            r = self.opener.open(self.base + "/sign-in", data=data)
            page, where = r.read().decode(), r.geturl()
            # A manager must set up two-step sign-in at the first sign-in
            # (docs/security.md): do it as a person would, with pyotp.
            if where.endswith("/account/mfa"):
                import pyotp
                secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', page)
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
                data = urllib.parse.urlencode({
                    "code": pyotp.TOTP(secret.group(1)).now(),
                    "csrf_token": csrf.group(1)}).encode()
                self.opener.open(self.base + "/account/mfa", data=data).read()
        except (OSError, AttributeError):
            return False
        return any(c.name == "convene_session" for c in self.jar)

    def get(self, path, who):
        if who == "page":
            req = urllib.request.Request(self.base + path)
            opener = self.opener
        else:
            req = urllib.request.Request(self.base + path, headers={
                "Authorization": "Bearer " + self.tokens[who]})
            opener = urllib.request.build_opener()
        t = time.perf_counter()
        with opener.open(req, timeout=60) as r:
            body = r.read()
            status = r.status
        return (time.perf_counter() - t) * 1000.0, status, len(body)


def summary(times):
    s = sorted(times)
    return statistics.median(s), s[max(0, int(len(s) * 0.95 + 0.5) - 1)]


def reference(db, reps):
    conn = psycopg2.connect(db)
    conn.autocommit = True
    cur = conn.cursor()
    times = []
    for _ in range(reps + 1):
        t = time.perf_counter()
        cur.execute("SELECT date_trunc('month', starts_at), count(*) FROM "
                    "discussions GROUP BY 1")
        cur.fetchall()
        times.append((time.perf_counter() - t) * 1000.0)
    conn.close()
    return times[1:]


def writes_then_verify(db):
    """Ordinary writes through the triggers, then a fresh count."""
    conn = psycopg2.connect(db)
    cur = conn.cursor()
    t = time.perf_counter()
    cur.execute("SELECT id, case_id FROM discussions WHERE status = "
                "'scheduled' ORDER BY id LIMIT 300")
    rows = cur.fetchall()
    for i, (did, case_id) in enumerate(rows):
        if i % 3 == 0:
            cur.execute("UPDATE discussions SET status = 'cancelled', "
                        "cancel_reason = 'bench' WHERE id = %s", (did,))
        else:
            cur.execute("UPDATE participants SET attendance = CASE WHEN "
                        "agency = 'health' THEN 'absent' ELSE 'attended' END "
                        "WHERE discussion_id = %s", (did,))
            cur.execute("UPDATE discussions SET status = 'held', "
                        "actual_classification = 'partial', actual_missing "
                        "= '{health}', actual_contributed = '{}', "
                        "child_views_recorded = true WHERE id = %s", (did,))
            cur.execute("INSERT INTO discussion_reviews (discussion_id, "
                        "decision, note, reviewed_by) SELECT %s, 'agree', "
                        "'', min(id) FROM users", (did,))
            cur.execute("UPDATE cases SET icpc_date = current_date WHERE "
                        "id = %s", (case_id,))
        conn.commit()
    writes = (time.perf_counter() - t) * 1000.0 / max(1, len(rows))
    # The writes only queued their cases (sql/020); no server runs here to
    # fold them, so fold as a statistics read would, and time it apart.
    t = time.perf_counter()
    # (sql/020_stats_fold.sql: the lock first, then one REPEATABLE READ
    # snapshot.)
    conn.commit()
    conn.autocommit = True
    cur.execute("SELECT pg_advisory_lock(20, 1)")
    cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    cur.execute("SELECT stats_fold(1000000, true)")
    folded = cur.fetchone()[0]
    cur.execute("COMMIT")
    cur.execute("SELECT pg_advisory_unlock(20, 1)")
    fold = (time.perf_counter() - t) * 1000.0 / max(1, folded)
    t = time.perf_counter()
    cur.execute("SELECT stats_verify()")
    bad = cur.fetchone()[0]
    verify = time.perf_counter() - t
    conn.close()
    return len(rows), writes, fold, bad, verify


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--manager", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--manager-token", required=True)
    ap.add_argument("--sw-token", required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--skip-verify", action="store_true",
                    help="time the calls only (the exactness check takes "
                    "minutes at full scale)")
    a = ap.parse_args()

    c = Client(a.base, {"manager": a.manager_token, "sw": a.sw_token},
               a.manager, a.password)
    ref = reference(a.db, a.reps)
    ref_med, ref_p95 = summary(ref)
    print("reference: SELECT date_trunc('month', starts_at), count(*) FROM "
          "discussions GROUP BY 1: median %.1f ms, p95 %.1f ms" %
          (ref_med, ref_p95))
    print("%-58s %8s %8s %7s %s" % ("call", "median", "p95", "ratio",
                                    "< 100 ms"))
    failed = 0
    for label, path, who in CALLS + EXPORTS:
        if who == "page" and not c.signed_in:
            print("%-58s %s" % (label, "skipped: could not sign in"))
            continue
        times = []
        status = size = None
        try:
            c.get(path, who)		# warm the connection and caches
            for _ in range(a.reps):
                ms, status, size = c.get(path, who)
                times.append(ms)
        except urllib.error.HTTPError as e:
            print("%-58s HTTP %d" % (label, e.code))
            if (label, path, who) in CALLS and e.code != 404:
                failed += 1
            continue
        med, p95 = summary(times)
        held = (label, path, who) in CALLS
        met = med < TARGET_MS
        if held and not met:
            failed += 1
        print("%-58s %7.1f %8.1f %7.2f %s" % (
            label[:58], med, p95, med / ref_med if ref_med else 0,
            ("met" if met else "NOT MET") if held else "(export, %d bytes)"
            % size))
    if a.skip_verify:
        print("exactness: not checked (--skip-verify)")
        print("result: %s" % ("all statistics calls met the target"
                              if failed == 0 else "%d not met" % failed))
        return 1 if failed else 0
    n, per_write, per_fold, bad, verify = writes_then_verify(a.db)
    print("exactness: %d discussions changed through the triggers (%.1f ms "
          "per transaction, %.1f ms per case folded after); stats_verify() "
          "= %d (%.1f s): %s" % (n, per_write, per_fold, bad, verify,
                                 "exact" if bad == 0 else "NOT EXACT"))
    if bad != 0:
        failed += 1
    print("result: %s" % ("all statistics calls met the target"
                          if failed == 0 else "%d not met" % failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
