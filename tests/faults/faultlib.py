"""faultlib: what the fault scripts under tests/faults/ share.

Each script injects one kind of fault into a real `convene serve` (real
PostgreSQL, real SMTP through tests/integration/smtp_sink.py) and ends with
one line

    faults: N injected, acknowledged A, stored S, lost 0, duplicated D

and an assertion that lost == 0. Each exposes run(quick) -> that summary as
a dict; tests/integration/test_faults.py runs them all with quick=True
under ctest, `python3 tests/faults/<script>.py --long` runs the long form.
"""

import asyncio
import datetime
import email
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import convene_test as ct  # noqa: E402,F401 (the scripts' ct)
import smtp_sink  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402,F401

FROM = "strategy-meetings@faults.example"

PEOPLE = [{"name": "Sue Social", "agency": "social_care",
           "email": "sue@council.example"},
          {"name": "PC Rob", "agency": "police",
           "email": "rob@police.example"},
          {"name": "Dr Hal", "agency": "health", "email": "hal@nhs.example"},
          {"name": "Ed Teacher", "agency": "education",
           "email": "ed@school.example"}]


def meeting_body(case_ref, people=PEOPLE, days=21):
    """A booking four weeks or so ahead (so that invites are sent), with
    four invitees (one per agency), no child data in any invite."""
    d = datetime.date.today() + datetime.timedelta(days=days)
    return {"case_ref": case_ref,
            "children": [{"name": "Fay Fault",
                          "date_of_birth": "2016-04-04"}],
            "kind": "meeting", "reason": "Concern raised by school",
            "concern_received_at":
                datetime.date.today().isoformat() + "T09:00",
            "starts_at": d.isoformat() + "T10:00", "duration_minutes": 60,
            "format": "in_person", "location": "Room 1",
            "participants": list(people)}


class Skip(Exception):
    """The fault cannot be injected on this machine (the reason is
    printed); test_faults.py reports the test as skipped."""


def summary(name, injected, acknowledged, stored, lost, duplicated):
    """Print the one-line summary and return it as a dict."""
    print("%s: faults: %d injected, acknowledged %d, stored %d, lost %d, "
          "duplicated %d" % (name, injected, acknowledged, stored, lost,
                             duplicated), flush=True)
    return {"injected": injected, "acknowledged": acknowledged,
            "stored": stored, "lost": lost, "duplicated": duplicated}


def wait_until(fn, timeout, step=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ds waiting for %s" %
                                 (timeout, what))
        time.sleep(step)


def mail_keys(raw):
    """(Message-ID, UID, SEQUENCE) of one stored message: the Message-ID
    header, and UID/SEQUENCE from its text/calendar part."""
    msg = email.message_from_bytes(raw)
    mid = (msg.get("Message-ID") or "").strip()
    uid = seq = None
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True).decode("utf-8", "replace")
            text = re.sub(r"\r?\n[ \t]", "", text)	# unfold
            m = re.search(r"^UID:(.*?)\r?$", text, re.M)
            s = re.search(r"^SEQUENCE:(\d+)\r?$", text, re.M)
            uid = m.group(1) if m else None
            seq = int(s.group(1)) if s else None
            break
    return mid, uid, seq


class _SlowStore(smtp_sink._Store):
    """smtp_sink's store, then `delay` seconds before it answers 250: a
    slow relay, so that a kill lands mid-delivery. Storing first makes the
    worst case real: the relay has the message, the sender never hears so
    (and sends it again after a restart)."""

    delay = 0.5

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


class SlowSink(SmtpSink):
    """An SmtpSink whose every DATA takes `delay` seconds."""

    def __init__(self, directory, delay):
        super().__init__(directory)
        self.delay = delay

    def start(self, port=None):
        orig = smtp_sink._Store
        store = type("_Slow", (_SlowStore,), {"delay": self.delay})
        smtp_sink._Store = store	# SmtpSink.start builds _Store(dir)
        try:
            return super().start(port)
        finally:
            smtp_sink._Store = orig


def arg_quick():
    """quick unless --long is on the command line."""
    return "--long" not in sys.argv[1:]
