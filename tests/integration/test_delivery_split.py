"""CONVENE_DELIVERY_THREADS: an instance that sends no invites.

An instance started with CONVENE_DELIVERY_THREADS=0 books as usual and
queues the invites, but sends none (its log says so); an instance with the
default sends them, each exactly once, from the shared outbox. Values out
of range are refused at start with the variable named.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_delivery_split.py -v
"""

import datetime
import glob
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402


class DeliverySplitTest(unittest.TestCase):
    def test_queue_here_send_there(self):
        db = ct.fresh_database("convene_it_delivery_split")
        ct.add_user(db, "ds-admin", "admin")
        ct.add_user(db, "ds-sw", "social_worker", team="Split Team")
        adm, sw = ct.token(db, "ds-admin"), ct.token(db, "ds-sw")
        quiet = ct.Server(db, env={"CONVENE_DELIVERY_THREADS": "0"})
        try:
            ids = []
            for ag, em in (("social_care", "s@c.example"),
                           ("police", "p@p.example"),
                           ("health", "h@n.example")):
                st, _, c = ct.api("POST", quiet.base, "/api/v1/contacts",
                                  token=adm, json={"name": ag, "email": em,
                                                   "agency": ag,
                                                   "organisation": ag})
                self.assertEqual(st, 201, c)
                ids.append(c["id"])
            d = datetime.date.today() + datetime.timedelta(days=9)
            st, _, m = ct.api("POST", quiet.base, "/api/v1/meetings",
                              token=sw, json={
                                  "case_ref": "DS-1",
                                  "children": [{"name": "Split Child",
                                                "date_of_birth":
                                                "2017-05-05"}],
                                  "kind": "meeting", "reason": "r",
                                  "concern_received_at": "%sT09:00" %
                                  datetime.date.today(),
                                  "starts_at": "%sT10:00" % d,
                                  "duration_minutes": 60,
                                  "format": "video",
                                  "participants": [{"contact_id": i}
                                                   for i in ids]})
            self.assertEqual(st, 201, m)
            time.sleep(3)	# three idle polls of a worker, had there been one
            self.assertEqual(ct.query(db, "SELECT status, count(*) FROM "
                                      "outbox GROUP BY status"),
                             [("queued", 3)])
            self.assertIn("no delivery threads", quiet.log_text())
            self.assertEqual(glob.glob(os.path.join(quiet.data_dir,
                                                    "outbox", "*.eml")), [])
        finally:
            quiet.stop()
        sender = ct.Server(db)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if ct.query(db, "SELECT count(*) FROM outbox WHERE status "
                            "= 'sent'")[0][0] == 3:
                    break
                time.sleep(0.2)
            self.assertEqual(ct.query(db, "SELECT status, count(*) FROM "
                                      "outbox GROUP BY status"),
                             [("sent", 3)])
            self.assertEqual(len(glob.glob(os.path.join(
                sender.data_dir, "outbox", "*.eml"))), 3)
        finally:
            sender.stop()

    def test_out_of_range_refused(self):
        for bad in ("-1", "9", "two"):
            env = dict(os.environ, CONVENE_DELIVERY_THREADS=bad,
                       CONVENE_DATABASE_URL="postgresql:///none")
            p = subprocess.run([ct.convene_bin(), "serve"], env=env,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("CONVENE_DELIVERY_THREADS: must be a whole number "
                          "from 0 to 8", p.stderr)


if __name__ == "__main__":
    unittest.main()
