"""Fault: `convene serve` killed with SIGKILL while it delivers invites to
a slow SMTP relay (each message takes DELAY seconds to be accepted), then
started again on the same database, K times (quick 2, --long 5).

Checks: every queued message is delivered (by Message-ID, against the
outbox); a message delivered twice is one whose send was in flight at a
kill (its outbox row was 'sending' when the process died), and every copy
carries the same Message-ID, UID and SEQUENCE, so clients merge them.

The outbox lease is 10 minutes (OUTBOX_LEASE in include/outbox.h; there is
no setting for it). A restarted instance would pick the in-flight rows up
only after that, so the test expires their lease by SQL right after each
kill: exactly what the passing of 10 minutes would do, nothing else.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/faults/kill_delivery.py [--long]
"""

import collections
import time

import faultlib as fl
from faultlib import ct

DELAY = 0.4		# seconds the relay takes per message
MEETINGS_PER_ROUND = 4	# x4 invitees = 16 messages a round


def run(quick=True):
    kills = 2 if quick else 5
    db = ct.fresh_database("convene_fault_kill")
    ct.add_user(db, "kill-sw", "social_worker", team="Kill Team")
    tok = ct.token(db, "kill-sw")
    sink = fl.SlowSink(ct.tmpdir("convene-fault-sink-"), DELAY).start()
    env = {"CONVENE_SMTP_URL": "smtp://127.0.0.1:%d" % sink.port,
           "CONVENE_SMTP_FROM": fl.FROM}
    in_flight = set()	# Message-IDs whose row was 'sending' at a kill
    booked = 0
    srv = ct.Server(db, env=env)
    try:
        for k in range(kills):
            for i in range(MEETINGS_PER_ROUND):
                st, _, m = srv.api("POST", "/api/v1/meetings", token=tok,
                                   json=fl.meeting_body("KILL-%d-%d" % (k, i)))
                assert st == 201, m
                booked += 1
            have = len(sink.messages())
            # Kill once the relay has taken a couple of this round's
            # messages and another is being sent.
            fl.wait_until(lambda: len(sink.messages()) >= have + 2 and
                          ct.query(db, "SELECT count(*) FROM outbox WHERE "
                                   "status = 'sending'")[0][0] > 0, 60,
                          step=0.05, what="deliveries in progress")
            srv.kill()
            rows = ct.query(db, "SELECT message_id FROM outbox WHERE "
                            "status = 'sending'")
            in_flight.update(r[0].strip("<>") for r in rows)
            # Expire the 10-minute lease of the rows the dead process had
            # claimed (see the module comment): what time would do.
            ct.query(db, "UPDATE outbox SET locked_until = now() - "
                     "interval '1 second' WHERE status = 'sending'")
            srv = ct.Server(db, env=env)
        fl.wait_until(lambda: ct.query(
            db, "SELECT count(*) FROM outbox WHERE status <> 'sent'")[0][0]
            == 0, 120, what="every message sent")
        time.sleep(2 * DELAY + 0.5)	# a late copy would land by now
        srv.stop()
    finally:
        srv.kill()
        sink.stop()

    outbox = {r[0].strip("<>"): (r[1], r[2]) for r in ct.query(
        db, "SELECT o.message_id, d.uid, o.sequence FROM outbox o JOIN "
        "discussions d ON d.id = o.discussion_id")}
    got = collections.defaultdict(list)
    for env_, raw in sink.messages():
        mid, uid, seq = fl.mail_keys(raw)
        got[mid.strip("<>")].append((uid, seq))
    lost = [m for m in outbox if m not in got]
    stray = [m for m in got if m not in outbox]
    dups = {m: v for m, v in got.items() if len(v) > 1}
    out = fl.summary("kill_delivery", kills, len(outbox), len(got),
                     len(lost), sum(len(v) - 1 for v in dups.values()))
    print("kill_delivery: %d meetings booked, %d messages in flight at the "
          "kills, %d delivered twice" % (booked, len(in_flight), len(dups)))
    assert booked * 4 == len(outbox), (booked, len(outbox))
    assert not lost, lost
    assert not stray, stray
    for m, copies in got.items():
        # Same UID and SEQUENCE in every copy, and the ones queued.
        assert all(c == outbox[m] for c in copies), (m, copies, outbox[m])
    assert set(dups) <= in_flight, (set(dups) - in_flight)
    return out


if __name__ == "__main__":
    run(fl.arg_quick())
