"""No request can make PostgreSQL log a child's data (issue 11, section 1).

A distinctive child's name, a home-address-like string and a council person
id are planted in requests of every kind that is refused (bad bookings,
bad child fields, duplicate person_id, over-long fields, bad attendance,
bad records, bad changes, bad cancellations and contacts) and in accepted
ones. Validation happens in C before any write, so the PostgreSQL server
log must hold none of them:

- on scripts/test.sh's cluster (default log_error_verbosity, so a CHECK,
  foreign-key or unique violation would log the row or the key): its log
  is <dirname CONVENE_TEST_PG_DATADIR>/postgresql.log;
- on the embedded PostgreSQL (`convene serve --data-dir DIR` with no URL):
  its configuration sets log_error_verbosity = terse (in effect: SHOW, and
  a constraint violation made on purpose logs no row), and DIR/pg.log holds
  no planted string after the same refusals.

Each log check first proves the log is live: a marker made to appear in an
ERROR line of that cluster is found in that file.

Run: CONVENE_BIN=build-test/convene /usr/bin/python3 tests/integration/test_pg_log.py -v
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
import unittest

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402
from record_fixture import at, child_entry, mutate  # noqa: E402

TOKEN = secrets.token_hex(4)
NAME = "Zephyrine Quillon%s" % TOKEN			# a child's name
ADDRESS = "41 Larkspur%s Mews, Northtown NT4 7QZ" % TOKEN	# her home
PERSON = "PID%s" % TOKEN				# council person id
# What must never be found (case-insensitive): each planted value's own
# distinctive part, so that a truncated or re-quoted copy is found too.
PLANTED = ["Quillon" + TOKEN, "Larkspur" + TOKEN, PERSON]


def log_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def assert_live(test, path, provoke):
    """provoke(marker) makes that cluster log an ERROR naming marker; wait
    until it is in path (so the file is this cluster's live log, written
    up to now)."""
    marker = "LOGCONTROL%s" % secrets.token_hex(6)
    provoke(marker)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if marker in log_text(path):
            return
        time.sleep(0.2)
    test.fail("%s is not the live log: control marker not found" % path)


def assert_nothing_planted(test, path):
    text = log_text(path).lower()
    for s in PLANTED:
        i = text.find(s.lower())
        test.assertEqual(i, -1, "planted %r in the PostgreSQL log: ...%s..."
                         % (s, text[max(0, i - 300):i + 200]))


def log_size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def assert_no_errors_since(test, path, offset):
    """No ERROR reached PostgreSQL since offset (besides our control
    markers): every refusal was decided in C, before any statement could
    fail, whatever the server's log verbosity."""
    with open(path, "rb") as f:
        f.seek(offset)
        new = f.read().decode("utf-8", "replace")
    errors = [ln for ln in new.splitlines()
              if re.search(r"\b(ERROR|FATAL|PANIC):", ln) and
              "LOGCONTROL" not in ln]
    test.assertEqual(errors, [], "statements failed in PostgreSQL")


class Planter:
    """Fixtures and the refused and accepted requests, against one server
    (base) with a social worker's token; participants by name and email so
    that no admin is needed."""

    def __init__(self, test, base, tok, tok_other=None, prefix="PL"):
        self.t = test
        self.base = base
        self.tok = tok
        self.tok_other = tok_other
        self.prefix = prefix
        self.n = 0
        self.sent = 0

    def call(self, method, path, body=None, tok=None, raw=None):
        return ct.api(method, self.base, path, token=tok or self.tok,
                      json=body, raw=raw)

    def ref(self):
        self.n += 1
        return "%s-%d" % (self.prefix, self.n)

    def people(self, police_email=True):
        police = {"name": "DC Dee Log", "agency": "police",
                  "organisation": "Northumbria Police", "role": "DC"}
        if police_email:
            police["email"] = "dee.%s@police.example" % self.prefix.lower()
        return [{"name": "Sam Log", "agency": "social_care",
                 "email": "sam.%s@council.example" % self.prefix.lower(),
                 "organisation": "Northtown Council",
                 "role": "Social worker"},
                police,
                {"name": "Nurse Log", "agency": "health",
                 "email": "nurse.%s@nhs.example" % self.prefix.lower(),
                 "organisation": "Northtown NHS Trust", "role": "Nurse"}]

    def booking(self, starts=None, children=None, **over):
        b = {"case_ref": self.ref(),
             "children": children if children is not None else
             [{"name": NAME, "date_of_birth": "2017-02-03"}],
             "kind": "meeting",
             "reason": "Neighbour heard screaming at " + ADDRESS,
             "concern_received_at": at(days=-1),
             "starts_at": starts or at(hours=-3), "duration_minutes": 60,
             "format": "in_person", "location": ADDRESS,
             "participants": self.people()}
        b.update(over)
        return b

    def accepted(self, method, path, body, status):
        st, _, r = self.call(method, path, body)
        self.sent += 1
        self.t.assertEqual(st, status, "%s %s: %s" % (method, path, r))
        return r

    def refused(self, what, method, path, body, expect, raw=None, tok=None):
        st, _, r = self.call(method, path, body, tok=tok, raw=raw)
        self.sent += 1
        self.t.assertIn(st, expect, "%s: %s %s" % (what, st, r))
        return r

    # ---- fixtures -------------------------------------------------------------

    def setup(self):
        """Accepted requests carrying the planted strings, and the
        meetings the refusals work on."""
        self.fix = self.accepted("POST", "/api/v1/meetings", self.booking(
            children=[{"name": NAME, "date_of_birth": "2017-02-03",
                       "person_id": PERSON, "sex": "female",
                       "ethnicity": "Lives at " + ADDRESS,
                       "disability": NAME + " has asthma",
                       "legal_status": "child_in_need"},
                      {"unborn": True, "expected_date": "2027-05-01",
                       "ethnicity": NAME + "'s sibling"}]), 201)
        self.sched = self.accepted("POST", "/api/v1/meetings", self.booking(
            children=[{"name": NAME + " Junior"}]), 201)
        self.fut = self.accepted("POST", "/api/v1/meetings",
                                 self.booking(starts=at(days=2)), 201)
        held = self.accepted("POST", "/api/v1/meetings", self.booking(),
                             201)
        self.held = self.accepted(
            "PUT", "/api/v1/meetings/%d/attendance" % held["id"],
            {"participants": [{"id": p["id"], "attendance": "attended"}
                              for p in held["participants"]],
             "child_views_recorded": True,
             "child_views": NAME + " wants to stay at " + ADDRESS,
             "outcomes": [{"child": NAME, "decision": "s47_joint",
                           "rationale": NAME + " was hurt at " + ADDRESS}],
             "actions": [{"what": "Visit " + ADDRESS, "owner": "Sam Log"}]},
            200)

    def part(self, m, agency):
        return [p for p in m["participants"] if p["agency"] == agency][0]

    def record(self, m=None, **over):
        m = m or self.held
        b = {"chair_participant_id": self.part(m, "social_care")["id"],
             "concerns": ["physical_abuse", "other"],
             "concerns_other": NAME + " is afraid of a lodger",
             "agency_information": [
                 {"agency": "police", "information": "Call-outs to " +
                  ADDRESS, "checks": "complete", "received": "at_meeting",
                  "from": "DC Dee Log"}],
             "analysis": {"worries": NAME + " has bruises",
                          "strengths": "Grandmother near " + ADDRESS,
                          "gaps": "School not asked about " + NAME},
             "children": [child_entry(
                 m["children"][0]["id"], "s47_joint",
                 rationale=NAME + " has an injury the account does not fit",
                 plan_to_see="See " + NAME + " at " + ADDRESS,
                 views=NAME + " says she is scared",
                 parents_by="Social worker at " + ADDRESS)],
             "safety_plan": NAME + " stays with grandmother, not at " +
                            ADDRESS,
             "dissent": [{"agency": "health", "about": "Threshold for " +
                          NAME, "escalated": False}]}
        b.update(over)
        return b

    # ---- refusals ---------------------------------------------------------------

    def bookings(self):
        bad = [
            ("kind", {"kind": "conference"}),
            ("future discussion", {"kind": "discussion", "format": "phone",
                                   "starts_at": at(days=1)}),
            ("reason too long", {"reason": ADDRESS * 60}),
            ("location too long", {"location": ADDRESS * 15}),
            ("unknown key", {"home_address": ADDRESS}),
            ("bad starts_at", {"starts_at": NAME}),
            ("police without email, no reason",
             {"participants": self.people(police_email=False)}),
        ]
        for what, over in bad:
            self.refused("booking " + what, "POST", "/api/v1/meetings",
                         self.booking(**over), (422,))
        children = [
            ("sex", [{"name": NAME, "sex": NAME}]),
            ("legal_status", [{"name": NAME, "legal_status": NAME}]),
            ("ethnicity too long", [{"name": NAME,
                                     "ethnicity": NAME * 10}]),
            ("disability too long", [{"name": NAME,
                                      "disability": ADDRESS * 6}]),
            ("person_id too long", [{"name": NAME,
                                     "person_id": PERSON * 10}]),
            ("name too long", [{"name": NAME * 10}]),
            ("date_of_birth", [{"name": NAME, "date_of_birth": NAME}]),
            ("expected_date", [{"unborn": True, "expected_date": NAME}]),
            ("unborn without date", [{"unborn": True, "ethnicity": NAME}]),
            ("no name", [{"date_of_birth": "2019-01-01",
                          "disability": NAME}]),
            ("unborn with a birth date", [{"unborn": True,
                                           "expected_date": "2027-01-01",
                                           "date_of_birth": "2019-01-01",
                                           "ethnicity": NAME}]),
            ("unknown key", [{"name": NAME, "address": ADDRESS}]),
            ("duplicate person_id", [{"name": NAME + " Two",
                                      "person_id": PERSON}]),
            ("person_id twice", [{"name": NAME + " A",
                                  "person_id": PERSON + "B"},
                                 {"name": NAME + " B",
                                  "person_id": PERSON + "B"}]),
            ("13 children", [{"name": "%s %d" % (NAME, i)}
                             for i in range(13)]),
        ]
        for what, ch in children:
            self.refused("child " + what, "POST", "/api/v1/meetings",
                         self.booking(children=ch), (422,))
        people = self.people()
        for what, p in (
                ("phone time", dict(people[1], contacted_by_phone_at=NAME)),
                ("phone in future", dict(people[1], name=NAME,
                                         contacted_by_phone_at=at(days=2))),
                ("agency", dict(people[1], name=NAME, agency=NAME)),
                ("added-on-day key", dict(people[1], attendance=NAME)),
                ("name too long", dict(people[1], name=NAME * 10))):
            self.refused("participant " + what, "POST", "/api/v1/meetings",
                         self.booking(participants=[people[0], p,
                                                    people[2]]), (422,))
        raw = json.dumps(self.booking())[:-1] + ', "x": "%s"' % NAME
        self.refused("invalid JSON", "POST", "/api/v1/meetings", None,
                     (400,), raw=raw)
        if self.tok_other:
            self.refused("another team's case", "POST", "/api/v1/meetings",
                         self.booking(case_ref=self.fix["case_ref"]),
                         (422,), tok=self.tok_other)

    def attendance(self):
        m = self.sched
        path = "/api/v1/meetings/%d/attendance" % m["id"]
        base = {"participants": [{"id": p["id"], "attendance": "attended"}
                                 for p in m["participants"]],
                "child_views_recorded": True, "child_views": NAME}
        day = {"name": NAME, "email": "day@x.example", "agency": "health",
               "organisation": "Surgery at " + ADDRESS, "role": "GP",
               "attendance": "attended"}
        bad = [
            ("before start", self.fut, dict(base, participants=[
                {"id": p["id"], "attendance": "attended"}
                for p in self.fut["participants"]]), (409,)),
            ("added without organisation", m, mutate(
                base, (("participants",), base["participants"] + [
                    {k: v for k, v in day.items()
                     if k != "organisation"}])), (422,)),
            ("added without role", m, mutate(
                base, (("participants",), base["participants"] + [
                    {k: v for k, v in day.items() if k != "role"}])),
             (422,)),
            ("added with a bad phone time", m, mutate(
                base, (("participants",), base["participants"] + [
                    dict(day, contacted_by_phone_at=NAME)])), (422,)),
            ("attendance code", m, mutate(
                base, (("participants", 0, "attendance"), NAME)), (422,)),
            ("outcome child", m, dict(base, outcomes=[
                {"child": NAME + " Nobody", "decision": "s47_joint"}]),
             (422,)),
            ("outcome decision", m, dict(base, outcomes=[
                {"child": NAME + " Junior", "decision": NAME}]), (422,)),
            ("views too long", m, dict(base, child_views=ADDRESS * 150),
             (422,)),
            ("absence without reason", m, mutate(
                base, (("participants", 2, "attendance"), "absent")),
             (422,)),
            ("review date", m, dict(base, next_review_date=NAME), (422,)),
            ("action due", m, dict(base, actions=[
                {"what": "Visit " + ADDRESS, "owner": "Sam",
                 "due": NAME}]), (422,)),
            ("unknown key", m, dict(base, home=ADDRESS), (422,)),
        ]
        for what, mt, body, expect in bad:
            self.refused("attendance " + what, "PUT",
                         "/api/v1/meetings/%d/attendance" % mt["id"], body,
                         expect)
        self.t.assertEqual(path, "/api/v1/meetings/%d/attendance" % m["id"])

    def records(self):
        rec = self.record()
        path = "/api/v1/meetings/%d/record" % self.held["id"]
        c0 = ("children", 0)
        bad = [
            ("chair by a planted name", mutate(
                rec, (("chair_participant_id",), None), (("chair",), NAME))),
            ("police chair", mutate(rec, (("chair_participant_id",),
                                          self.part(self.held,
                                                    "police")["id"]))),
            ("decision", mutate(rec, (c0 + ("decision",), NAME))),
            ("no rationale", mutate(rec, (c0 + ("rationale",), ""))),
            ("plan too long", mutate(rec, (c0 + ("plan_to_see",),
                                           NAME * 30))),
            ("parents_when", mutate(rec, (c0 + ("parents_when",), NAME))),
            ("delay without reason", mutate(rec, (c0 + ("parents",),
                                                  "delay"))),
            ("child id", mutate(rec, (c0 + ("child_id",), 987654321))),
            ("unknown child key", mutate(rec, (c0 + ("name",), NAME))),
            ("nfa with a medical", mutate(
                rec, (c0 + ("decision",), "no_further_action"),
                (c0 + ("medical",), "urgent"))),
            ("agency", mutate(rec, (("agency_information", 0, "agency"),
                                    NAME))),
            ("checks", mutate(rec, (("agency_information", 0, "checks"),
                                    NAME))),
            ("received", mutate(rec, (("agency_information", 0,
                                       "received"), NAME))),
            ("information too long", mutate(
                rec, (("agency_information", 0, "information"),
                      ADDRESS * 150))),
            ("dissent agency", mutate(rec, (("dissent", 0, "agency"),
                                            NAME))),
            ("concern", mutate(rec, (("concerns",), [NAME]))),
            ("concerns_other too long", mutate(
                rec, (("concerns_other",), ADDRESS * 60))),
            ("safety plan too long", mutate(rec, (("safety_plan",),
                                                  ADDRESS * 150))),
            ("unknown key", mutate(rec, (("home_address",), ADDRESS))),
        ]
        for what, body in bad:
            self.refused("record " + what, "PUT", path, body, (422,))
        # Valid documents for meetings that cannot have a record yet.
        self.refused("record not held", "PUT",
                     "/api/v1/meetings/%d/record" % self.sched["id"],
                     self.record(self.sched, children=[child_entry(
                         self.sched["children"][0]["id"],
                         rationale=NAME)]), (409,))
        self.refused("record before start", "PUT",
                     "/api/v1/meetings/%d/record" % self.fut["id"],
                     self.record(self.fut, children=[child_entry(
                         self.fut["children"][0]["id"],
                         rationale=NAME)]), (409,))

    def changes(self):
        m = self.sched
        path = "/api/v1/meetings/%d" % m["id"]
        cid = m["children"][0]["id"]
        bad = [
            ("child sex", {"children": [{"id": cid, "sex": NAME}]}),
            ("child legal status", {"children": [{"id": cid,
                                                  "legal_status": NAME}]}),
            ("child person_id taken", {"children": [{"id": cid,
                                                     "person_id": PERSON}]}),
            ("child ethnicity too long", {"children": [
                {"id": cid, "ethnicity": NAME * 10}]}),
            ("child expected date", {"children": [
                {"id": cid, "expected_date": NAME}]}),
            ("unknown child", {"children": [{"id": 987654321,
                                             "disability": NAME}]}),
            ("location too long", {"location": ADDRESS * 15}),
            ("starts_at", {"starts_at": NAME}),
            ("add participant", {"add_participants": [
                {"name": NAME, "agency": NAME}]}),
            ("unknown key", {"address": ADDRESS}),
        ]
        for what, body in bad:
            self.refused("change " + what, "PATCH", path, body, (422,))
        self.refused("cancel reason too long", "POST", path + "/cancel",
                     {"reason": ADDRESS * 60}, (422,))
        self.refused("cancel unknown key", "POST", path + "/cancel",
                     {"reason": "Moved", "address": ADDRESS}, (422,))

    def accepted_with_plants(self):
        """Accepted writes that carry the planted strings."""
        self.accepted("PATCH", "/api/v1/meetings/%d" % self.sched["id"],
                      {"location": "Home visit: " + ADDRESS,
                       "children": [{"id": self.sched["children"][0]["id"],
                                     "ethnicity": NAME + " family",
                                     "person_id": PERSON + "J"}]}, 200)
        self.accepted("PUT", "/api/v1/meetings/%d/record" % self.held["id"],
                      self.record(), 200)

    def all(self):
        self.setup()
        self.bookings()
        self.attendance()
        self.changes()
        self.records()
        self.accepted_with_plants()


class PgLogTest(unittest.TestCase):
    """scripts/test.sh's cluster, default verbosity: nothing may reach
    PostgreSQL that it would refuse."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_pg_log")
        cls.log = os.path.join(os.path.dirname(
            os.environ["CONVENE_TEST_PG_DATADIR"]), "postgresql.log")
        ct.add_user(cls.db, "pl-admin", "admin")
        ct.add_user(cls.db, "pl-sw", "social_worker", team="Log Team")
        ct.add_user(cls.db, "pl-sw-b", "social_worker", team="Other Team")
        cls.admin = ct.token(cls.db, "pl-admin")
        cls.sw = ct.token(cls.db, "pl-sw")
        cls.sw_b = ct.token(cls.db, "pl-sw-b")
        cls.srv = ct.Server(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def provoke(self, marker):
        with self.assertRaises(psycopg2.Error):
            ct.query(self.db, "SELECT %s::int", (marker,))

    def check_log(self):
        assert_live(self, self.log, self.provoke)
        assert_nothing_planted(self, self.log)

    def test_log_is_found_and_live(self):
        self.assertTrue(os.path.isfile(self.log), self.log)
        self.check_log()

    def test_refused_and_accepted_requests_log_nothing_planted(self):
        p = Planter(self, self.srv.base, self.sw, self.sw_b, "PL")
        offset = log_size(self.log)
        try:
            p.all()
        finally:
            # Whatever failed above, the log must still be clean.
            self.check_log()
        assert_no_errors_since(self, self.log, offset)
        self.assertGreaterEqual(p.sent, 80)

    def test_contacts_log_nothing_planted(self):
        body = {"name": NAME, "email": "zq%s@school.example" % TOKEN,
                "agency": "education", "organisation": "School at " +
                ADDRESS, "role": "Teacher"}
        st, _, c = ct.api("POST", self.srv.base, "/api/v1/contacts",
                          token=self.admin, json=body)
        self.assertEqual(st, 201, c)
        st, _, c = ct.api("POST", self.srv.base, "/api/v1/contacts",
                          token=self.admin, json=dict(body, name=NAME + "2"))
        self.assertEqual(st, 409, c)
        st, _, c = ct.api("POST", self.srv.base, "/api/v1/contacts",
                          token=self.admin, json=dict(
                              body, email="other%s@x.example" % TOKEN,
                              agency=NAME))
        self.assertEqual(st, 422, c)
        self.check_log()


def conf_setting(text, name):
    """The last value given to name in a postgresql.conf text, or None."""
    val = None
    for line in text.splitlines():
        m = re.match(r"\s*%s\s*=?\s*'?([A-Za-z0-9_]*)'?\s*(#.*)?$" % name,
                     line)
        if m:
            val = m.group(1)
    return val


class EmbeddedPgLogTest(unittest.TestCase):
    """The embedded PostgreSQL of `convene serve` with no database URL."""
    maxDiff = None

    def test_embedded_terse_and_nothing_planted(self):
        data = ct.tmpdir("convene-pglog-emb-")
        ct.add_user(None, "ple-sw", "social_worker", team="Embedded Team",
                    data_dir=data)
        ct.add_user(None, "ple-sw-b", "social_worker", team="Other Team",
                    data_dir=data)
        tok = ct.token(None, "ple-sw", data_dir=data)
        tok_b = ct.token(None, "ple-sw-b", data_dir=data)
        pgdir = os.path.join(data, "pg")
        log = os.path.join(data, "pg.log")
        srv = ct.Server(None, data_dir=data)
        try:
            # The setting, in the files the server reads...
            with open(os.path.join(pgdir, "postgresql.conf")) as f:
                main_conf = f.read()
            extra = ""
            if "include_if_exists = 'convene.conf'" in main_conf:
                with open(os.path.join(pgdir, "convene.conf")) as f:
                    extra = f.read()
            self.assertEqual(conf_setting(main_conf + "\n" + extra,
                                          "log_error_verbosity"), "terse",
                             "postgresql.conf (and the convene.conf it "
                             "includes) do not set log_error_verbosity = "
                             "terse")
            sock = re.search(r"unix_socket_directories\s*=\s*'([^']*)'",
                             extra or main_conf).group(1)
            conn = psycopg2.connect(host=sock, port=5432, user="postgres",
                                    dbname="postgres")
            conn.autocommit = True
            try:
                # ...and in effect.
                with conn.cursor() as cur:
                    cur.execute("SHOW log_error_verbosity")
                    self.assertEqual(cur.fetchone()[0], "terse")

                def provoke(marker):
                    with conn.cursor() as cur:
                        with self.assertRaises(psycopg2.Error):
                            cur.execute("SELECT %s::int", (marker,))

                # A constraint violation made on purpose: with terse, the
                # failing row (DETAIL) is not logged. The value is built by
                # the server so that the statement text does not hold it.
                row = "ROWMARK%s" % secrets.token_hex(6)
                with conn.cursor() as cur:
                    cur.execute("CREATE TEMP TABLE t (a text, "
                                "b int CHECK (b > 0))")
                    with self.assertRaises(psycopg2.IntegrityError):
                        cur.execute("INSERT INTO t SELECT reverse(%s), -1",
                                    (row[::-1],))
                assert_live(self, log, provoke)
                self.assertNotIn(row, log_text(log),
                                 "a constraint violation logged its row")

                p = Planter(self, srv.base, tok, tok_b, "PLE")
                offset = log_size(log)
                try:
                    p.all()
                finally:
                    assert_live(self, log, provoke)
                    assert_nothing_planted(self, log)
                assert_no_errors_since(self, log, offset)
            finally:
                conn.close()
            srv.stop()
        finally:
            srv.kill()
            as_pg = (["runuser", "-u", "postgres", "--"]
                     if os.geteuid() == 0 else [])
            if os.path.exists(os.path.join(pgdir, "postmaster.pid")):
                subprocess.run(as_pg + [
                    os.path.join(ct.pg_bindir(), "pg_ctl"), "stop", "-m",
                    "immediate", "-D", pgdir],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    unittest.main()
