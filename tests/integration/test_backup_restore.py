"""The backup and restore commands of docs/operations.md, run for real.

A PostgreSQL of our own with WAL archiving (archive_command as documented),
Convene booking through it, a base backup (`pg_basebackup -Ft -z -X stream`)
in the middle, a moment remembered, more bookings after it, and a logical
dump (`pg_dump -Fc`) at the end. Then:
- the dump restores into an empty database with `pg_restore --no-owner
  --role=convene`; `convene migrate` finds it up to date, every booking is
  there with the statistics summaries, the append-only audit log came back
  whole (and still refuses DELETE), and Convene serves the restored
  meetings;
- the base backup plus the archived WAL, with restore_command and
  recovery_target_time, recovers to exactly the bookings made before the
  remembered moment, and promotes.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_backup_restore.py -v
"""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402


# Counted before and after: the records, the audit log, and the statistics
# summaries. These follow the data off the commit path (sql/020): a backup
# holds the data and the queue of cases still to fold, so the figures are
# compared once the queue has been folded on each side.
TABLES = ("discussions", "participants", "audit_log", "children", "cases",
          "stats_fact", "stats_summary")


def as_pg(*cmd):
    pre = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(pre + list(cmd), check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)


def pg_owned_dir(prefix):
    d = ct.tmpdir(prefix)
    if os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam("postgres")
        os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o700)
    return d


class BackupRestoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = ct.Postgres()
        cls.archive = pg_owned_dir("convene-archive-")
        with open(os.path.join(cls.pg.data, "postgresql.conf"), "a") as f:
            f.write("wal_level = replica\narchive_mode = on\n"
                    "archive_command = 'test ! -f %s/%%f && cp %%p %s/%%f'\n"
                    % (cls.archive, cls.archive))
        cls.pg.start()
        admin = cls.pg.url()
        ct.query(admin, "CREATE ROLE convene LOGIN")
        ct.query(admin, "CREATE DATABASE convene OWNER convene")
        cls.url = ct.prepare_database(admin, cls.pg.url("convene", "convene"))
        ct.add_user(cls.url, "bk-sw", "social_worker", team="Backup Team")
        cls.tok = ct.token(cls.url, "bk-sw")
        cls.srv = ct.Server(cls.url)
        cls.base = pg_owned_dir("convene-base-")
        cls.dumpdir = ct.tmpdir("convene-dump-")

        for i in range(4):
            cls.book("BK-%d" % i)
        # A base backup in the middle of the work.
        cls.pg._run("pg_basebackup", "-h", "127.0.0.1", "-p",
                    str(cls.pg.port), "-U", "postgres", "-D",
                    os.path.join(cls.base, "b"), "-Ft", "-z", "-X",
                    "stream", "-c", "fast")
        for i in range(4, 7):
            cls.book("BK-%d" % i)
        time.sleep(1.1)
        cls.target = ct.query(admin, "SELECT now()::text")[0][0]
        cls.before_target = ct.query(cls.url, "SELECT count(*) FROM "
                                     "discussions")[0][0]
        time.sleep(1.1)
        for i in range(7, 10):
            cls.book("BK-%d" % i)
        # The dump is taken with cases still queued, as a real one would be.
        cls.dump = os.path.join(cls.dumpdir, "convene.dump")
        subprocess.run(["pg_dump", "-Fc", "-d", cls.pg.url("postgres",
                                                           "convene"),
                        "-f", cls.dump], check=True)
        ct.stats_fold(cls.url)
        cls.live = {t: ct.query(cls.url, "SELECT count(*) FROM %s" % t)[0][0]
                    for t in TABLES}
        # Everything up to here archived.
        ct.query(admin, "SELECT pg_switch_wal()")
        deadline = time.monotonic() + 30
        want = ct.query(admin, "SELECT pg_walfile_name(pg_current_wal_lsn()"
                        " - 1)")[0][0]
        while time.monotonic() < deadline:
            if ct.query(admin, "SELECT last_archived_wal >= %s FROM "
                        "pg_stat_archiver", (want,))[0][0]:
                break
            time.sleep(0.2)
        cls.srv.stop()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    @classmethod
    def book(cls, ref):
        st, _, m = ct.api("POST", cls.srv.base, "/api/v1/meetings",
                          token=cls.tok, json={
                              "case_ref": ref,
                              "children": [{"name": "Backup Child",
                                            "date_of_birth": "2015-05-05"}],
                              "kind": "meeting", "reason": "Backup drill",
                              "concern_received_at": "2026-11-20T09:00",
                              "starts_at": "2026-11-20T10:00",
                              "duration_minutes": 30, "format": "phone",
                              "participants": [
                                  # Reached by phone: no mail to send.
                                  {"name": n, "agency": a,
                                   "contacted_by_phone_at":
                                   "2026-11-20T09:30"}
                                  for n, a in (("A", "social_care"),
                                               ("B", "police"),
                                               ("C", "health"))]})
        assert st == 201, m

    def test_1_logical_dump_restores(self):
        admin = self.pg.url()
        ct.query(admin, "CREATE DATABASE restored OWNER convene")
        p = subprocess.run(["pg_restore", "-d", self.pg.url("postgres",
                                                            "restored"),
                            "--no-owner", "--role=convene", self.dump],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stdout)
        url = self.pg.url("convene", "restored")
        self.assertEqual(ct.cli(url, "migrate").strip(),
                         "database is up to date")
        ct.stats_fold(url)
        got = {t: ct.query(url, "SELECT count(*) FROM %s" % t)[0][0]
               for t in self.live}
        self.assertEqual(ct.query(url, "SELECT stats_verify()")[0][0], 0)
        self.assertEqual(ct.query(url, "SELECT list_totals_verify()"),
                         [(0,)])
        self.assertEqual(got, self.live)
        self.assertEqual(got["discussions"], 10)
        self.assertGreater(got["stats_summary"], 0)
        # The restored audit log is still append-only.
        with self.assertRaises(Exception):
            ct.query(url, "DELETE FROM audit_log")
        # And the service runs on it as the serving login (migrate gave
        # the grants again): the token came back too.
        with ct.Server(ct.serving_url(url)) as srv:
            st, _, body = srv.api("GET", "/api/v1/meetings?per_page=100",
                                  token=self.tok)
            self.assertEqual(st, 200, body)
            self.assertEqual(body["total"], 10)

    def test_2_point_in_time_recovery(self):
        self.pg.stop()
        root = pg_owned_dir("convene-pitr-")
        data = os.path.join(root, "data")
        as_pg("mkdir", "-m", "0700", data)
        b = os.path.join(self.base, "b")
        as_pg("tar", "-xzf", os.path.join(b, "base.tar.gz"), "-C", data)
        as_pg("tar", "-xzf", os.path.join(b, "pg_wal.tar.gz"), "-C",
              os.path.join(data, "pg_wal"))
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write("archive_mode = off\nunix_socket_directories = '%s'\n"
                    "restore_command = 'cp %s/%%f %%p'\n"
                    "recovery_target_time = '%s'\n"
                    "recovery_target_action = 'promote'\n" %
                    (root, self.archive, self.target))
        as_pg("touch", os.path.join(data, "recovery.signal"))
        pitr = ct.Postgres.__new__(ct.Postgres)
        pitr.__dict__.update(self.pg.__dict__)
        pitr.root, pitr.data = root, data
        pitr.log = os.path.join(root, "postgresql.log")
        pitr.port, pitr.running = None, False
        pitr.start()
        try:
            deadline = time.monotonic() + 60
            while ct.query(pitr.url(), "SELECT pg_is_in_recovery()")[0][0]:
                self.assertLess(time.monotonic(), deadline,
                                pitr.log_text()[-2000:])
                time.sleep(0.2)
            url = pitr.url("convene", "convene")
            self.assertEqual(ct.query(url, "SELECT count(*) FROM "
                                      "discussions")[0][0],
                             self.before_target)
            self.assertEqual(self.before_target, 7)
            ct.stats_fold(url)
            self.assertEqual(ct.query(url, "SELECT stats_verify()")[0][0], 0)
            self.assertEqual(ct.query(url, "SELECT list_totals_verify()"),
                         [(0,)])
            self.assertEqual(ct.query(url, "SELECT count(*) FROM "
                                      "stats_fact")[0][0], 7)
            self.assertIn("recovery stopping before commit",
                          pitr.log_text())
        finally:
            pitr.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
