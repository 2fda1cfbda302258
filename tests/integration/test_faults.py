"""Faults, short form: runs each script under tests/faults/ in its quick
mode (PostgreSQL crashed and restarted under booking load; the service
SIGKILLed mid-delivery; the SMTP relay down for a run; the .eml outbox
read-only and full; the embedded PostgreSQL's data directory full and
read-only). Each asserts lost == 0 and prints its
`faults: N injected, acknowledged A, stored S, lost 0, duplicated D` line.
The long forms: /usr/bin/python3 tests/faults/<script>.py --long

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_faults.py -v
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "faults"))
import eml_outbox  # noqa: E402
import faultlib  # noqa: E402
import kill_delivery  # noqa: E402
import pg_disk_full  # noqa: E402
import pg_restart  # noqa: E402
import smtp_down  # noqa: E402


class FaultsTest(unittest.TestCase):
    def check(self, run):
        try:
            out = run(quick=True)
        except faultlib.Skip as e:
            self.skipTest(str(e))
        self.assertEqual(out["lost"], 0, out)
        self.assertGreater(out["injected"], 0, out)
        self.assertGreater(out["acknowledged"], 0, out)
        self.assertGreaterEqual(out["stored"], out["acknowledged"] -
                                out["lost"], out)

    def test_postgresql_restarts_under_load(self):
        self.check(pg_restart.run)

    def test_sigkill_mid_delivery(self):
        self.check(kill_delivery.run)

    def test_smtp_down_for_a_run(self):
        self.check(smtp_down.run)

    def test_eml_outbox_read_only_and_full(self):
        self.check(eml_outbox.run)

    def test_embedded_postgresql_disk_full_and_read_only(self):
        self.check(pg_disk_full.run)


if __name__ == "__main__":
    unittest.main()
