"""Fault: the .eml outbox (no SMTP configured: messages are written to
DATA_DIR/outbox/<id>.eml) on a read-only file system, then on a full one.

DATA_DIR/outbox is a small tmpfs of our own, remounted read-only (EROFS)
and later filled to the last byte (ENOSPC). Checks, for each: the worker
logs a clear error and records it on the row (last_error "eml: ..."), the
message stays queued with its bytes unchanged, no partial or temporary
file is left behind; once the directory is writable (or has room) again,
every message is written exactly once with exactly the bytes queued.

Needs mount (root with CAP_SYS_ADMIN); without it, `chattr +i` stands in
for read-only and the disk-full half is skipped with a printed reason.
Retry backoff is 5 s doubling: once the fault is cleared the test moves
next_attempt_at of the waiting rows to now() by SQL (what waiting does).

Disk-full for the embedded PostgreSQL (no database URL) is
tests/faults/pg_disk_full.py.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/faults/eml_outbox.py [--long]
"""

import atexit
import os
import subprocess

import faultlib as fl
from faultlib import ct


def sh(*cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


class Dir:
    """DATA_DIR/outbox on a tmpfs we can make read-only or full."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path)
        self.mounted = sh("mount", "-t", "tmpfs", "-o", "size=512k,mode=0700",
                          "tmpfs", path).returncode == 0
        self.why = ""
        if self.mounted:
            atexit.register(sh, "umount", "-l", path)	# before rmtree
        else:
            r = sh("chattr", "+i", path)
            if r.returncode != 0:
                self.why = "neither mount nor chattr +i works here: " + \
                    r.stdout.strip()
            sh("chattr", "-i", path)

    def readonly(self, on):
        if self.mounted:
            r = sh("mount", "-o", "remount,%s" % ("ro" if on else "rw"),
                   self.path)
        else:
            r = sh("chattr", "+i" if on else "-i", self.path)
        assert r.returncode == 0, r.stdout
        if on:
            try:
                open(os.path.join(self.path, "probe"), "w").close()
            except OSError:
                return
            raise AssertionError("could not make %s read-only" % self.path)

    def fill(self):
        """Fill the tmpfs to the last byte."""
        filler = os.path.join(self.path, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for size in (65536, 4096, 1):
                try:
                    while os.write(fd, b"\0" * size) > 0:
                        pass
                except OSError:
                    pass
        finally:
            os.close(fd)
        return filler


def run(quick=True):
    meetings = 3 if quick else 10
    db = ct.fresh_database("convene_fault_eml")
    ct.add_user(db, "eml-sw", "social_worker", team="Eml Team")
    tok = ct.token(db, "eml-sw")
    data = ct.tmpdir("convene-fault-eml-")
    box = Dir(os.path.join(data, "outbox"))
    if box.why:
        print("eml_outbox: skipped: " + box.why, flush=True)
        raise fl.Skip(box.why)
    injected = 0
    srv = ct.Server(db, data_dir=data, env={"CONVENE_SMTP_FROM": fl.FROM})
    try:
        phases = [("read-only", "errno 30" if box.mounted else "errno 1")]
        if box.mounted:
            phases.append(("disk full", "errno 28"))
        else:
            print("eml_outbox: disk-full phase skipped: cannot mount a "
                  "tmpfs here (%s)" % sh("mount", "-t", "tmpfs", "tmpfs",
                                         "/nonexistent").stdout.strip())
        for k, (what, errno_text) in enumerate(phases):
            filler = None
            if what == "read-only":
                box.readonly(True)
            else:
                filler = box.fill()
            injected += 1
            ids = []
            for i in range(meetings):
                st, _, m = srv.api("POST", "/api/v1/meetings", token=tok,
                                   json=fl.meeting_body("EML-%d-%d" % (k, i)))
                assert st == 201, m
                ids.append(m["id"])
            queued = dict(ct.query(
                db, "SELECT id, message FROM outbox WHERE discussion_id = "
                "ANY(%s)", (ids,)))
            assert len(queued) == 4 * meetings
            fl.wait_until(lambda: ct.query(
                db, "SELECT count(*) FROM outbox WHERE id = ANY(%s) AND "
                "status = 'queued' AND attempts >= 1 AND last_error LIKE "
                "%s", (list(queued), "eml: %" + errno_text + "%"))[0][0]
                == len(queued), 60, what="every write to fail (%s)" % what)
            log = srv.log_text()
            assert "not delivered" in log and "eml: " in log, log[-2000:]
            # Not lost, not corrupt: still queued with the same bytes, and
            # nothing half-written in the directory.
            now = dict(ct.query(db, "SELECT id, message FROM outbox WHERE "
                                "id = ANY(%s) AND status = 'queued'",
                                (list(queued),)))
            assert now == queued
            left = [n for n in os.listdir(box.path) if n != "filler"]
            assert all(n.endswith(".eml") and int(n[:-4]) not in queued
                       for n in left), left
            # Clear the fault; skip the backoff wait (module comment).
            if what == "read-only":
                box.readonly(False)
            else:
                os.unlink(filler)
            ct.query(db, "UPDATE outbox SET next_attempt_at = now() WHERE "
                     "status = 'queued'")
            fl.wait_until(lambda: ct.query(
                db, "SELECT count(*) FROM outbox WHERE id = ANY(%s) AND "
                "status = 'sent'", (list(queued),))[0][0] == len(queued), 60,
                what="every message written (%s cleared)" % what)
        srv.stop()
    finally:
        srv.kill()
        if not box.mounted:
            sh("chattr", "-i", box.path)
    outbox = dict((i, m.encode()) for i, m in ct.query(
        db, "SELECT id, message FROM outbox"))
    files = {}
    for n in os.listdir(box.path):
        assert n.endswith(".eml"), "stray file %s" % n
        with open(os.path.join(box.path, n), "rb") as f:
            files[int(n[:-4])] = f.read()
    lost = [i for i in outbox if i not in files]
    corrupt = [i for i in outbox if i in files and files[i] != outbox[i]]
    out = fl.summary("eml_outbox", injected, len(outbox), len(files),
                     len(lost), 0)
    assert not lost, lost
    assert not corrupt, corrupt
    assert set(files) == set(outbox)
    return out


if __name__ == "__main__":
    run(fl.arg_quick())
