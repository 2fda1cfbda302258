"""Two instances migrating one empty database at the same moment: both
succeed, every migration is applied exactly once, and the schema is whole;
two servers starting at once on a migrated database both come up.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_migrate_race.py -v
"""

import glob
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

SOURCE = os.environ.get("CONVENE_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUNDS = 3


def expected_versions():
    """(version, name) of every sql/NNN_name.sql, compiled into the binary."""
    out = []
    for path in sorted(glob.glob(os.path.join(SOURCE, "sql", "[0-9]*.sql"))):
        name = os.path.basename(path)
        out.append((int(name[:3]), name))
    return out


class MigrateRaceTest(unittest.TestCase):
    maxDiff = None

    def check_schema(self, db):
        rows = ct.query(db, "SELECT version, name FROM schema_migrations "
                        "ORDER BY version")
        want = expected_versions()
        self.assertTrue(want)
        self.assertEqual([v for v, _ in rows], [v for v, _ in want])
        self.assertEqual(len({v for v, _ in rows}), len(rows))
        # Seed rows from the migrations are there once, not twice.
        self.assertEqual(ct.query(db, "SELECT count(*) FROM agencies"),
                         [(7,)])
        self.assertEqual(ct.query(db, "SELECT count(*) FROM authorities"),
                         [(1,)])
        self.assertEqual(ct.query(db, "SELECT count(*) FROM "
                                  "statutory_agencies"), [(3,)])

    def test_two_migrates_at_once(self):
        for r in range(ROUNDS):
            with self.subTest(round=r):
                db = ct.fresh_database("convene_it_migrate_race",
                                       migrate=False)
                procs = []
                for _ in range(2):
                    procs.append(subprocess.Popen(
                        [ct.convene_bin(), "migrate", "--database-url", db],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True))
                for p in procs:
                    out, err = p.communicate(timeout=120)
                    self.assertEqual(p.returncode, 0, err)
                    self.assertIn("up to date", out)
                self.check_schema(db)
                # And again, with nothing left to do.
                out = ct.cli(db, "migrate")
                self.assertIn("up to date", out)
                self.check_schema(db)

    def test_two_servers_start_at_once(self):
        # serve runs no DDL (docs/security.md, "Least privilege"): the
        # schema is migrated beforehand, as the owner, and two servers
        # starting together (signing keys and all) both come up on it.
        db = ct.fresh_database("convene_it_migrate_race2")
        a = ct.Server(db, start=False)
        b = ct.Server(db, start=False)
        # start() waits for health: spawn both first, then wait.
        a.spawn()
        b.spawn()
        while b.port == a.port:
            b.kill()
            b.spawn()
        try:
            a.wait_healthy()
            b.wait_healthy()
            self.check_schema(db)
            applied = sum(s.log_text().count('"applied ') for s in (a, b))
            self.assertEqual(applied, 0)
            a.stop()
            b.stop()
        finally:
            a.kill()
            b.kill()


if __name__ == "__main__":
    unittest.main()
