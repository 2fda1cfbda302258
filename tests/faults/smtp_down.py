"""Fault: the SMTP relay down for the length of a run, then up.

Bookings made while it is down are acknowledged (201) at once; their
invites wait in the outbox with a recorded error and back off; once the
relay is up, every one is delivered exactly once (matched by Message-ID).

Retry backoff is 5 s doubling (outbox.c, outbox_backoff). The quick form
does not wait for it: once the relay is back it moves next_attempt_at of
the waiting rows to now() by SQL (what waiting would do). The --long form
keeps the relay down for several attempts and waits for the backoff.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/faults/smtp_down.py [--long]
"""

import collections

import faultlib as fl
from faultlib import ct


def run(quick=True):
    meetings = 5 if quick else 20
    min_attempts = 1 if quick else 3
    db = ct.fresh_database("convene_fault_smtp")
    ct.add_user(db, "smtp-sw", "social_worker", team="Smtp Team")
    tok = ct.token(db, "smtp-sw")
    sink = fl.SmtpSink(ct.tmpdir("convene-fault-sink-")).start()
    sink.stop()		# down from the start; same port when it comes back
    env = {"CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % sink.port,
           "CONVENE_SMTP_FROM": fl.FROM}
    srv = ct.Server(db, env=env)
    try:
        for i in range(meetings):
            st, _, m = srv.api("POST", "/api/v1/meetings", token=tok,
                               json=fl.meeting_body("SMTP-%d" % i))
            assert st == 201, m
        n = meetings * 4
        fl.wait_until(lambda: ct.query(
            db, "SELECT count(*) FROM outbox WHERE status = 'queued' AND "
            "attempts >= %s AND last_error LIKE 'smtp: curl %%'",
            (min_attempts,))[0][0] == n, 60 if quick else 180,
            what="every message to have failed %d time(s)" % min_attempts)
        failed_attempts = ct.query(db, "SELECT sum(attempts) FROM outbox")[0][0]
        assert len(sink.messages()) == 0
        assert ct.query(db, "SELECT count(*) FROM outbox WHERE status = "
                        "'failed'")[0][0] == 0
        sink.start()
        if quick:
            # Skip the backoff wait (see the module comment).
            ct.query(db, "UPDATE outbox SET next_attempt_at = now() WHERE "
                     "status = 'queued'")
        fl.wait_until(lambda: ct.query(
            db, "SELECT count(*) FROM outbox WHERE status = 'sent'")[0][0]
            == n, 60 if quick else 300, what="every message sent")
        srv.stop()
    finally:
        srv.kill()
        sink.stop()
    outbox = {r[0].strip("<>") for r in ct.query(
        db, "SELECT message_id FROM outbox")}
    got = collections.Counter(fl.mail_keys(raw)[0].strip("<>")
                              for _, raw in sink.messages())
    lost = outbox - set(got)
    dup = sum(c - 1 for c in got.values())
    print("smtp_down: %d messages, %d failed attempts while down" %
          (len(outbox), failed_attempts))
    out = fl.summary("smtp_down", 1, len(outbox), len(got), len(lost), dup)
    assert not lost, lost
    assert dup == 0, got
    assert set(got) <= outbox
    return out


if __name__ == "__main__":
    run(fl.arg_quick())
