"""GET /metrics: scraped and parsed as Prometheus does, against a real server.

Checks that the page parses with the Prometheus client library's own parser
(python3-prometheus-client), that request counters move by exactly the
requests made (also under concurrent load: the counters are lock-free
atomics), that labels are route patterns and never a raw path, that the
latency histogram is well formed, that the outbox and pool figures match the
database, that the page still answers with convene_db_up 0 while PostgreSQL
is down, and who may read it: loopback without a proxy header, or anyone
with CONVENE_METRICS_TOKEN and nobody without it.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_metrics.py -v
"""

import concurrent.futures
import os
import sys
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

TOKEN = "m" * 16 + "0123456789abcdef0123456789abcdef"


def scrape(base, headers=None):
    """GET /metrics; (status, headers, {(name, labels tuple): value}, families)."""
    st, h, text = ct.api("GET", base, "/metrics", headers=headers)
    if st != 200:
        return st, h, text, None
    samples = {}
    families = {}
    for fam in text_string_to_metric_families(text):
        families[fam.name] = fam
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in samples, "duplicate series %r" % (key,)
            samples[key] = s.value
    return st, h, samples, families


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_metrics")
        ct.add_user(cls.db, "met-sw", "social_worker", team="Metrics Team")
        cls.sw = ct.token(cls.db, "met-sw")
        cls.srv = ct.Server(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def book(self, ref):
        body = {"case_ref": ref,
                "children": [{"name": "Metric Child",
                              "date_of_birth": "2018-02-03"}],
                "kind": "meeting", "reason": "Disclosure at school",
                "concern_received_at": "2027-01-10T09:00",
                "starts_at": "2027-01-11T10:00", "duration_minutes": 45,
                "format": "video",
                "participants": [
                    {"name": "Sam Social", "agency": "social_care",
                     "email": "sam@council.example"},
                    {"name": "PC Pat", "agency": "police",
                     "email": "pat@police.example"},
                    {"name": "Nurse Hana", "agency": "health",
                     "email": "hana@nhs.example"}]}
        st, _, m = self.srv.api("POST", "/api/v1/meetings", token=self.sw,
                                json=body)
        self.assertEqual(st, 201, m)
        return m

    def test_format_and_exact_counts(self):
        st, h, before, fams = scrape(self.srv.base)
        self.assertEqual(st, 200, before)
        self.assertTrue(h["Content-Type"].startswith(
            "text/plain; version=0.0.4"), h["Content-Type"])
        self.assertEqual(h["Cache-Control"], "no-store")
        for name, kind in (("convene_http_requests", "counter"),
                           ("convene_http_request_duration_seconds",
                            "histogram"),
                           ("convene_db_up", "gauge"),
                           ("convene_db_pool_in_use", "gauge"),
                           ("convene_db_pool_size", "gauge"),
                           ("convene_outbox_depth", "gauge"),
                           ("convene_outbox_oldest_unsent_age_seconds",
                            "gauge"),
                           ("convene_outbox_failed", "counter"),
                           ("convene_start_time_seconds", "gauge")):
            self.assertIn(name, fams)
            self.assertEqual(fams[name].type, kind, name)

        for _ in range(3):
            self.assertEqual(self.srv.api("GET", "/healthz")[0], 200)
        self.assertEqual(self.srv.api("GET", "/no/such/page")[0], 404)
        self.assertEqual(self.srv.api("GET", "/api/v1/meetings")[0], 401)
        # A path with an id: the label must be the pattern, not the path.
        self.assertEqual(self.srv.api("GET", "/api/v1/meetings/987654",
                                      token=self.sw)[0], 404)
        self.assertEqual(self.srv.api("DELETE", "/healthz")[0], 405)
        self.book("MET-1")

        st, _, after, _ = scrape(self.srv.base)
        self.assertEqual(st, 200)
        req = "convene_http_requests_total"

        def delta(route, method, status):
            return value(after, req, route=route, method=method,
                         status=str(status)) - \
                value(before, req, route=route, method=method,
                      status=str(status))
        self.assertEqual(delta("/healthz", "GET", 200), 3)
        self.assertEqual(delta("(unmatched)", "GET", 404), 1)
        self.assertEqual(delta("(unmatched)", "DELETE", 405), 1)
        self.assertEqual(delta("/api/v1/meetings", "GET", 401), 1)
        self.assertEqual(delta("/api/v1/meetings/{id}", "GET", 404), 1)
        self.assertEqual(delta("/api/v1/meetings", "POST", 201), 1)
        # The first scrape counted itself once finished.
        self.assertEqual(delta("/metrics", "GET", 200), 1)
        text = self.srv.api("GET", "/metrics")[2]
        self.assertNotIn("987654", text)
        self.assertNotIn("/no/such/page", text)
        self.assertNotIn("Metric Child", text)

        # Histogram: cumulative, +Inf equals the count, count equals the
        # requests of every status on that route and method.
        dur = "convene_http_request_duration_seconds"
        lab = {"route": "/healthz", "method": "GET"}
        buckets = sorted(
            ((float(dict(k[1])["le"]), v) for k, v in after.items()
             if k[0] == dur + "_bucket" and
             {x: y for x, y in k[1] if x != "le"} == lab))
        self.assertEqual(len(buckets), 12)
        self.assertEqual(buckets[-1][0], float("inf"))
        self.assertEqual([b for b, _ in buckets[:-1]],
                         [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                          2.5, 5.0, 10.0])
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts))
        self.assertEqual(counts[-1], value(after, dur + "_count", **lab))
        total = sum(v for k, v in after.items() if k[0] == req and
                    dict(k[1])["route"] == "/healthz" and
                    dict(k[1])["method"] == "GET")
        self.assertEqual(counts[-1], total)
        self.assertGreater(value(after, dur + "_sum", **lab), 0)
        self.assertLess(value(after, dur + "_sum", **lab), counts[-1] * 10)

        self.assertEqual(value(after, "convene_db_up"), 1)
        self.assertGreaterEqual(value(after, "convene_db_pool_in_use",
                                      pool="primary"), 1)
        self.assertEqual(value(after, "convene_db_pool_size",
                               pool="primary"), 12)
        started = value(after, "convene_start_time_seconds")
        self.assertLess(abs(time.time() - started), 600)

    def test_concurrent_requests_all_counted(self):
        """8 threads, 400 requests: lock-free counting loses none."""
        req = "convene_http_requests_total"
        _, _, before, _ = scrape(self.srv.base)

        def hit(_):
            return self.srv.api("GET", "/healthz")[0]
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            statuses = list(ex.map(hit, range(400)))
        self.assertEqual(statuses, [200] * 400)
        _, _, after, _ = scrape(self.srv.base)
        self.assertEqual(
            value(after, req, route="/healthz", method="GET", status="200") -
            value(before, req, route="/healthz", method="GET", status="200"),
            400)

    def test_outbox_figures_match_the_database(self):
        m = self.book("MET-OUTBOX")
        # Two rows the delivery worker will not touch: one due next year
        # (queued an hour ago), one given up on.
        ct.query(self.db, """
            INSERT INTO outbox (discussion_id, kind, method, sequence,
                recipient, message_id, message, status, next_attempt_at,
                created_at)
            VALUES (%s, 'new', 'REQUEST', 0, 'late@police.example',
                    'metrics-test-late@convene.invalid', 'x', 'queued',
                    now() + interval '1 year', now() - interval '1 hour'),
                   (%s, 'new', 'REQUEST', 0, 'gone@police.example',
                    'metrics-test-failed@convene.invalid', 'x', 'failed',
                    now(), now())""", (m["id"], m["id"]))
        sql = ("SELECT count(*) FILTER (WHERE status IN ('queued', "
               "'sending')), count(*) FILTER (WHERE status = 'failed') "
               "FROM outbox")
        depth_hi, failed = ct.query(self.db, sql)[0]
        _, _, s, _ = scrape(self.srv.base)
        depth_lo, failed_after = ct.query(self.db, sql)[0]
        # The worker may send the booking's own invites meanwhile: the
        # figure lies between the counts taken before and after the scrape.
        self.assertGreaterEqual(depth_hi, value(s, "convene_outbox_depth"))
        self.assertLessEqual(depth_lo, value(s, "convene_outbox_depth"))
        self.assertGreaterEqual(value(s, "convene_outbox_depth"), 1)
        self.assertGreaterEqual(
            value(s, "convene_outbox_failed_total"), failed)
        self.assertLessEqual(
            value(s, "convene_outbox_failed_total"), failed_after)
        age = value(s, "convene_outbox_oldest_unsent_age_seconds")
        self.assertGreaterEqual(age, 3600)
        self.assertLess(age, 3600 + 300)

    def test_proxied_requests_refused_without_token(self):
        for h in ({"X-Forwarded-For": "203.0.113.9"},
                  {"Forwarded": "for=203.0.113.9"},
                  {"X-Real-IP": "203.0.113.9"}):
            st, _, body = ct.api("GET", self.srv.base, "/metrics", headers=h)
            self.assertEqual(st, 403, h)
            self.assertNotIn("convene_http_requests_total", body)
            self.assertIn("CONVENE_METRICS_TOKEN", body)

    def test_token(self):
        srv = ct.Server(self.db, env={"CONVENE_METRICS_TOKEN": TOKEN})
        try:
            for h in ({}, {"Authorization": "Bearer wrong"},
                      {"Authorization": "Bearer " + TOKEN[:-1] + "x"},
                      {"Authorization": "Bearer " + TOKEN + "x"},
                      {"Authorization": TOKEN}):
                st, rh, body = ct.api("GET", srv.base, "/metrics",
                                      headers=h)
                self.assertEqual(st, 401, h)
                self.assertEqual(rh["WWW-Authenticate"], "Bearer")
                self.assertNotIn("convene_http_requests_total", body)
            # With the token, even through a proxy.
            st, _, s, _ = scrape(srv.base, {
                "Authorization": "Bearer " + TOKEN,
                "X-Forwarded-For": "203.0.113.9"})
            self.assertEqual(st, 200)
            self.assertEqual(value(s, "convene_db_up"), 1)
        finally:
            srv.stop()
        # A short token stops the service at start, naming the setting.
        p = ct.run_cli(self.db, "migrate",
                       env={"CONVENE_METRICS_TOKEN": "short"})
        self.assertEqual(p.returncode, 1)
        self.assertIn("CONVENE_METRICS_TOKEN", p.stderr)

    def test_answers_while_the_database_is_down(self):
        pg = ct.Postgres().start()
        ct.query(pg.url(), "CREATE ROLE convene LOGIN")
        ct.query(pg.url(), "CREATE DATABASE metrics_down OWNER convene")
        url = ct.prepare_database(pg.url(), pg.url("convene",
                                                   "metrics_down"))
        srv = ct.Server(url)
        try:
            st, _, s, _ = scrape(srv.base)
            self.assertEqual(st, 200)
            self.assertEqual(value(s, "convene_db_up"), 1)
            pg.stop()
            t0 = time.monotonic()
            st, _, s, fams = scrape(srv.base)
            self.assertEqual(st, 200, s)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(value(s, "convene_db_up"), 0)
            self.assertNotIn("convene_outbox_depth", fams)
            self.assertGreaterEqual(value(
                s, "convene_http_requests_total", route="/metrics",
                method="GET", status="200"), 1)
            # A scrape holds no connection once it has answered: the
            # next one (whose own connect fails) sees none lent out.
            st, _, s, _ = scrape(srv.base)
            self.assertEqual(st, 200, s)
            self.assertEqual(value(s, "convene_db_up"), 0)
            self.assertEqual(value(s, "convene_db_pool_in_use",
                                   pool="primary"), 0)
            pg.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                st, _, s, _ = scrape(srv.base)
                if st == 200 and value(s, "convene_db_up") == 1:
                    break
                time.sleep(0.5)
            self.assertEqual(value(s, "convene_db_up"), 1)
        finally:
            srv.stop()
            pg.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
