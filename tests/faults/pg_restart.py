"""Fault: PostgreSQL stopped with `pg_ctl stop -m immediate` (a crash: no
checkpoint, backends killed) and restarted, N times (quick 3, --long 10)
under a steady booking load from a few client threads.

Checks: while the database is away the service answers 503 quickly (no
hang: every answer within REQUEST_TIMEOUT, 503s within MAX_503_SECONDS;
no crash: the process is still running and exits cleanly on SIGTERM, no
sanitizer report); it reconnects by itself (bookings succeed again after
each restart without touching the service); and every booking that got a
2xx is in the database afterwards, same id and UID (lost == 0). Clients
retry a 503 with the booking's Idempotency-Key until it is acknowledged,
so stored == acknowledged exactly and nothing is booked twice, even when
the 503 came after the COMMIT.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/faults/pg_restart.py [--long]
"""

import collections
import threading
import time

import psycopg2

import faultlib as fl
from faultlib import ct

CLIENTS = 3
REQUEST_TIMEOUT = 20	# seconds: an answer slower than this is a hang
MAX_503_SECONDS = 5	# a 503 while the database is away must be quick
OUTAGE_SECONDS = 1.5


def immediate_stop(pg):
    pg._run("pg_ctl", "stop", "-D", pg.data, "-m", "immediate", "-w",
            "-t", "60", "-s")
    pg.running = False


def run(quick=True):
    restarts = 3 if quick else 10
    pg = ct.Postgres()
    # ct.Postgres runs with synchronous_commit = off for speed; an immediate
    # stop then drops commits that were acknowledged to convene (and so to
    # the client), which is the database's documented trade-off, not ours.
    # This test is about Convene, so commits are durable here, as in
    # production (fsync stays off: the OS does not crash, only PostgreSQL).
    with open(pg.data + "/postgresql.conf", "a") as f:
        f.write("synchronous_commit = on\n")
    pg.start()
    admin = psycopg2.connect(pg.url())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("CREATE ROLE convene LOGIN")
        cur.execute("CREATE DATABASE convene OWNER convene")
    admin.close()
    db = ct.prepare_database(pg.url(), pg.url("convene", "convene"))
    ct.add_user(db, "fault-sw", "social_worker", team="Fault Team")
    tok = ct.token(db, "fault-sw")
    srv = ct.Server(db)

    stop = threading.Event()
    lock = threading.Lock()
    acked = {}			# case_ref -> (id, uid)
    statuses = collections.Counter()
    slow_503 = []		# latencies of 503s over MAX_503_SECONDS
    errors = []			# transport errors (refused, reset, timeout)

    retried = collections.Counter()	# ref -> 503s before its 2xx

    def attempt(ref):
        """One POST; its status, or None after a transport error."""
        t0 = time.monotonic()
        try:
            st, _, body = ct.api("POST", srv.base, "/api/v1/meetings",
                                 token=tok, json=fl.meeting_body(ref),
                                 headers={"Idempotency-Key": ref},
                                 timeout=REQUEST_TIMEOUT)
        except OSError as e:
            with lock:
                errors.append("%s: %r" % (ref, e))
            return None
        dt = time.monotonic() - t0
        with lock:
            statuses[st] += 1
            if 200 <= st < 300:
                acked[ref] = (body["id"], body["uid"])
            elif st == 503 and dt > MAX_503_SECONDS:
                slow_503.append(dt)
        return st

    def client(n):
        # Each booking is retried with its key until acknowledged, as a
        # careful client would: a 503 may come after the COMMIT (the
        # connection died before the reply), and the key makes the retry
        # answer with that booking instead of making a second one. A
        # booking under way when the run stops is still seen through.
        i = 0
        while not stop.is_set():
            i += 1
            ref = "PGR-%d-%d" % (n, i)
            give_up = None
            while True:
                st = attempt(ref)
                if st is not None and 200 <= st < 300:
                    break
                if st not in (None, 503):
                    break		# counted; the final asserts fail it
                if stop.is_set():
                    give_up = give_up or time.monotonic() + 60
                    if time.monotonic() > give_up:
                        break
                with lock:
                    retried[ref] += 1
                time.sleep(0.2 if st is None else 0.05)

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for k in range(restarts):
            before = len(acked)
            fl.wait_until(lambda: len(acked) >= before + 5, 60,
                          what="bookings to succeed (restart %d)" % k)
            immediate_stop(pg)
            t0 = time.monotonic()
            st, _, body = srv.api("GET", "/healthz", timeout=REQUEST_TIMEOUT)
            assert st == 503, (st, body)
            assert time.monotonic() - t0 < MAX_503_SECONDS
            time.sleep(OUTAGE_SECONDS)
            assert srv.running, "convene died with the database"
            pg.start()
            # It reconnects by itself: healthz and bookings come back with
            # nothing done to the service.
            fl.wait_until(lambda: srv.api("GET", "/healthz")[0] == 200, 30,
                          what="healthz 200 after restart %d" % k)
        before = len(acked)
        fl.wait_until(lambda: len(acked) >= before + 5, 60,
                      what="bookings after the last restart")
    finally:
        stop.set()
        for t in threads:
            t.join(REQUEST_TIMEOUT + 5)

    assert not any(t.is_alive() for t in threads), "a client hung"
    assert srv.running, "convene died"
    rows = ct.query(db, "SELECT c.case_ref, d.id, d.uid FROM discussions d "
                    "JOIN cases c ON c.id = d.case_id WHERE c.case_ref "
                    "LIKE 'PGR-%%'")
    stored = {r[0]: (r[1], r[2]) for r in rows}
    lost = [ref for ref, v in acked.items() if stored.get(ref) != v]
    dups = len(rows) - len(stored)
    srv.stop()	# asserts exit status 0 and no sanitizer report
    pg.stop()
    unacked = sorted(set(stored) - set(acked))
    print("pg_restart: answers %s; transport errors %d; 503 slower than "
          "%ds: %d; %d bookings retried with their Idempotency-Key after "
          "a 503; stored but never acknowledged: %d" % (
              dict(sorted(statuses.items())), len(errors), MAX_503_SECONDS,
              len(slow_503), len(retried), len(unacked)))
    out = fl.summary("pg_restart", restarts, len(acked), len(stored),
                     len(lost), dups)
    assert not lost, "acknowledged but not stored: %r" % lost[:10]
    assert dups == 0
    # Retried to an answer, every stored booking was acknowledged.
    assert not unacked, unacked[:10]
    assert not errors, errors[:5]
    assert not slow_503, slow_503
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[503] > 0, "no request saw the outage"
    return out


if __name__ == "__main__":
    run(fl.arg_quick())
