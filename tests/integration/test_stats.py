"""Statistics: every measure of docs/statistics.md checked against a small
fixed data set whose answers were worked out by hand (the working is in the
comments of DISCUSSIONS below), through the JSON API, the CSV export and
the list and Section 47 exports; the same figures for one team and for date
ranges that cut months in half; the pre-aggregated summaries against a fresh
count over the live tables after every kind of change; who may see what; a
manager's review taking the count of unreviewed flags down by one; the
conference date on a case; and the bank holidays table an admin edits.

The data are inserted with SQL straight into a fresh database (the server has
migrated it), as another system would leave them: eleven strategy
discussions of the default authority in November and December 2025, one in
October 2025 and one in another authority, with participants, outcomes,
conference dates, reviews and sign-offs.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_stats.py -v
"""

import csv
import datetime
import io
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

NORTH, SOUTH = "Team North", "Team South"
CHILD = "Zebedee Quartermain"	# must never appear in an export
RANGE = "from=2025-11-01&to=2025-12-31"

# Participants: (agency, organisation, attendance, partstat, email?, removed?)
SC = ("social_care", "Children's Services", "attended", "NEEDS-ACTION", True,
      False)


def police(att, ps):
    return ("police", "Northshire Police", att, ps, True, False)


def trust(name, att, ps, removed=False):
    return ("health", "NHS Trust " + name, att, ps, True, removed)


# key: (team, kind, format, status, concern (London), starts (London),
#       class, missing, contributed, child views, s47 decision or None,
#       case, participants)
# November and December 2025 are GMT: London time is UTC. Working days
# (concern -> discussion, "cd") and conference timings are worked by hand.
DISCUSSIONS = {
    # Mon 3 Nov, same day: cd 0. Case C1 conference Fri 21 Nov: Tue 4 is
    # day 1 ... Fri 7 day 4, 10-14 Nov days 5-9, 17-21 Nov days 10-14: 14.
    "D1": (NORTH, "meeting", "in_person", "held", "2025-11-03 09:00",
           "2025-11-03 14:00", "multi_agency", [], [], True, "s47_joint",
           "C1", [SC, police("attended", "ACCEPTED"),
                  police("absent", "DECLINED"),
                  trust("A", "attended", "ACCEPTED")]),
    # Thu 6 Nov -> Mon 10 Nov: Fri 7 day 1, Mon 10 day 2: cd 2.
    "D2": (NORTH, "meeting", "video", "held", "2025-11-06 10:00",
           "2025-11-10 10:00", "partial", ["health"], [], True,
           "no_further_action", "C2",
           [SC, police("attended", "ACCEPTED"),
            trust("A", "apologies", "DECLINED")]),
    # Fri 7 Nov, same day: cd 0. Health sent information only.
    "D3": (NORTH, "discussion", "phone", "held", "2025-11-07 15:00",
           "2025-11-07 17:00", "single_agency", ["police", "health"],
           ["health"], False, None, "C3",
           [("social_care", "Children's Services", "attended",
             "NEEDS-ACTION", False, False),
            police("absent", "NEEDS-ACTION"),
            trust("A", "contributed", "NEEDS-ACTION")]),
    # Tue 11 -> Wed 12 Nov: cd 1. Section 47, conference not required.
    "D4": (SOUTH, "meeting", "in_person", "held", "2025-11-11 09:00",
           "2025-11-12 11:00", "multi_agency", [], [], True,
           "s47_single_agency", "C4",
           [SC, police("attended", "TENTATIVE"),
            trust("B", "attended", "ACCEPTED"),
            ("education", "Oak School", "attended", "ACCEPTED", True,
             False)]),
    # Mon 17 -> Mon 24 Nov: 18, 19, 20, 21, 24: cd 5.
    "D5": (SOUTH, "meeting", "video", "held", "2025-11-17 09:00",
           "2025-11-24 10:00", "partial", ["health"], [], False, None, "C5",
           [SC, police("attended", "ACCEPTED"),
            trust("B", "absent", "NEEDS-ACTION")]),
    "D6": (SOUTH, "discussion", "phone", "cancelled", "2025-11-19 09:00",
           "2025-11-20 10:00", None, None, None, None, None, "C6",
           [SC, police(None, "DECLINED"), trust("A", None, "NEEDS-ACTION")]),
    "D7": (NORTH, "meeting", "in_person", "scheduled", "2025-11-25 09:00",
           "2025-11-28 10:00", None, None, None, None, None, "C7",
           [SC, police(None, "NEEDS-ACTION")]),
    # Tue 23 Dec -> Mon 29 Dec: Wed 24 day 1, 25 and 26 bank holidays, Mon
    # 29 day 2: cd 2. Conference Tue 20 Jan 2026: Tue 30 Dec 1, Wed 31 2,
    # Thu 1 Jan holiday, Fri 2 Jan 3, 5-9 Jan 4-8, 12-16 Jan 9-13, Mon 19
    # 14, Tue 20 15: exactly 15, in time.
    "D8": (NORTH, "meeting", "in_person", "held", "2025-12-23 09:00",
           "2025-12-29 10:00", "multi_agency", [], [], True, "s47_joint",
           "C8", [SC, police("attended", "ACCEPTED"),
                  trust("A", "attended", "ACCEPTED")]),
    # Mon 1 -> Tue 2 Dec: cd 1. Health never invited. Conference Tue 6 Jan
    # 2026: 3-5 Dec 1-3, 8-12 Dec 4-8, 15-19 Dec 9-13, 22-24 Dec 14-16,
    # 29-31 Dec 17-19, Fri 2 Jan 20, Mon 5 21, Tue 6 22: late.
    "D9": (SOUTH, "meeting", "video", "held", "2025-12-01 09:00",
           "2025-12-02 10:00", "single_agency", ["police", "health"], [],
           True, "s47_joint", "C9",
           [SC, police("absent", "NEEDS-ACTION")]),
    # Thu 11 -> Mon 15 Dec: Fri 12 1, Mon 15 2: cd 2. No conference yet:
    # awaiting, long overdue.
    "D10": (SOUTH, "discussion", "phone", "held", "2025-12-11 09:00",
            "2025-12-15 10:00", "multi_agency", [], [], False, "s47_joint",
            "C10", [SC, police("attended", "ACCEPTED"),
                    trust("B", "attended", "ACCEPTED")]),
    # A second Section 47 discussion on case C1: not the one that started
    # the enquiry. Mon 1 -> Wed 3 Dec: cd 2. A removed invitee from Trust B
    # counts nowhere.
    "D11": (NORTH, "meeting", "in_person", "held", "2025-12-01 09:00",
            "2025-12-03 10:00", "multi_agency", [], [], True, "s47_joint",
            "C1", [SC, police("attended", "ACCEPTED"),
                   trust("A", "attended", "TENTATIVE"),
                   trust("B", "attended", "DECLINED", removed=True)]),
    # Outside the range.
    "D12": (NORTH, "meeting", "in_person", "held", "2025-10-06 09:00",
            "2025-10-06 10:00", "multi_agency", [], [], True, None, "C12",
            [SC, police("attended", "ACCEPTED"),
             trust("A", "attended", "ACCEPTED")]),
}
# People added on the day (participants.added_on_day), by (discussion,
# index in its participants): Trust A in D1 (November, North), the school
# in D4 (November, South), the officer in D10 (December, South). The
# removed Trust B invitee of D11 and the officer of D12 (October, outside
# RANGE) count nowhere in RANGE.
ADDED_ON_DAY = {("D1", 3), ("D4", 3), ("D10", 1), ("D11", 3), ("D12", 1)}
ADDED = {"social_care": 0, "police": 1, "health": 1, "education": 1}
CONFERENCES = {"C1": "2025-11-21", "C8": "2026-01-20", "C9": "2026-01-06"}
NOT_REQUIRED = ("C4",)
REVIEWS = {"D2": ("practice_concern", "Health were not chased"),
           "D9": ("agree", "Out of hours; police phoned back")}
SIGNED_OFF = ("D1", "D4", "D9")

# The expected totals for RANGE, all teams, from the table above.
TOTALS = {
    "discussions": 11, "held": 9, "multi_agency": 5, "partial": 2,
    "single_agency": 2, "cancelled": 1, "scheduled": 1,
    "missing": {"social_care": 0, "police": 2, "health": 4},
    "contributed": {"social_care": 0, "police": 0, "health": 1},
    "child_views_recorded": 6, "signed_off": 3, "flagged": 4,
    "reviewed": {"agree": 1, "practice_concern": 1}, "unreviewed_flags": 2,
    "added_on_day": 3, "added_on_day_by_agency": ADDED,
}
SHARES = {"multi_agency": 0.5556, "partial": 0.2222, "single_agency": 0.2222,
          "cancelled": 0.0909, "child_views_recorded": 0.6667,
          "signed_off": 0.3333,
          "missing": {"social_care": 0.0, "police": 0.2222,
                      "health": 0.4444}}
CONCERN = {"target_working_days": 1, "measured": 9, "within_target": 4,
           "share_within_target": 0.4444, "mean_working_days": 1.7,
           "distribution": [("0", 2), ("1", 2), ("2", 4), ("3", 0),
                            ("4-5", 1), ("6-10", 0), ("11+", 0)]}
CONFERENCE = {"target_working_days": 15, "section47_enquiries": 5,
              "conferences": 3, "within_target": 2,
              "share_within_target": 0.6667, "late": 1, "not_required": 1,
              "awaiting": 1, "awaiting_overdue": 1, "mean_working_days": 17.0,
              "distribution": [("0-10", 0), ("11-15", 2), ("16-20", 0),
                               ("21-30", 1), ("31+", 0)]}
MONTHS = {
    "2025-11": dict(discussions=7, held=5, multi_agency=2, partial=2,
                    single_agency=1, cancelled=1, scheduled=1,
                    missing={"social_care": 0, "police": 1, "health": 3},
                    child_views_recorded=3, signed_off=2, flagged=3,
                    unreviewed_flags=2, added_on_day=2,
                    added_on_day_by_agency=dict(ADDED, police=0)),
    "2025-12": dict(discussions=4, held=4, multi_agency=3, partial=0,
                    single_agency=1, cancelled=0, scheduled=0,
                    missing={"social_care": 0, "police": 1, "health": 1},
                    child_views_recorded=3, signed_off=1, flagged=1,
                    unreviewed_flags=0, added_on_day=1,
                    added_on_day_by_agency=dict(ADDED, health=0,
                                                education=0)),
}
TEAMS = {
    NORTH: dict(discussions=6, held=5, multi_agency=3, partial=1,
                single_agency=1, cancelled=0, scheduled=1,
                missing={"social_care": 0, "police": 1, "health": 2},
                child_views_recorded=4, signed_off=1, flagged=2,
                unreviewed_flags=1, added_on_day=1),
    SOUTH: dict(discussions=5, held=4, multi_agency=2, partial=1,
                single_agency=1, cancelled=1, scheduled=0,
                missing={"social_care": 0, "police": 1, "health": 2},
                child_views_recorded=2, signed_off=2, flagged=2,
                unreviewed_flags=1, added_on_day=2),
}
# Per agency over the held discussions in RANGE: (invited, present,
# contributed, missing, statutory).
AGENCIES = {"social_care": (9, 9, 0, 0, True), "police": (9, 7, 0, 2, True),
            "health": (8, 5, 1, 4, True), "education": (1, 1, 0, 0, False)}
# Per organisation: (invited, present, contributed) over held discussions;
# replies (people, accepted, declined, tentative, no_reply) over all.
ORGS = {
    "Children's Services": (9, 9, 0, (10, 0, 0, 0, 10)),
    "Northshire Police": (9, 7, 0, (12, 6, 2, 1, 3)),
    "NHS Trust A": (5, 3, 1, (6, 2, 1, 1, 2)),
    "NHS Trust B": (3, 2, 0, (3, 2, 0, 0, 1)),
    "Oak School": (1, 1, 0, (1, 1, 0, 0, 0)),
}


def subset(test, want, got, where=""):
    """Every key of want is in got with the same value."""
    for k, v in want.items():
        test.assertIn(k, got, where)
        if isinstance(v, dict):
            subset(test, v, got[k], where + "." + k)
        else:
            test.assertEqual(got[k], v, "%s.%s" % (where, k))



# The stored facts and the views they are kept from (sql/005, sql/047).
FACT_TABLES = ("stats_fact", "stats_agency_fact", "stats_org_fact")
FACTS_DIFFER = ("(SELECT count(*) FROM ((TABLE %s EXCEPT ALL SELECT * FROM "
                "%s_source) UNION ALL (SELECT * FROM %s_source EXCEPT ALL "
                "TABLE %s)) x)")


class StatsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_stats")
        cls.pw = {}
        for name, role, team, auth in (
                ("st-mgr", "manager", NORTH, None),
                ("st-sw-n", "social_worker", NORTH, None),
                ("st-sw-s", "social_worker", SOUTH, None),
                ("st-admin", "admin", None, None),
                ("st-far", "manager", "Far Team", "farshire")):
            cls.pw[name] = ct.add_user(cls.db, name, role, team=team,
                                       authority=auth)
        cls.tok = {n: ct.token(cls.db, n) for n in cls.pw}
        cls.srv = ct.Server(cls.db)
        cls.cookies = {}
        cls.ids = {}
        cls.load()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    # ---- the data set -----------------------------------------------------

    @classmethod
    def one(cls, sql, params=()):
        return ct.query(cls.db, sql, params)[0][0]

    @classmethod
    def load(cls):
        auth = cls.one("SELECT id FROM authorities WHERE code = 'default'")
        team = {t: cls.one("SELECT id FROM teams WHERE name = %s", (t,))
                for t in (NORTH, SOUTH)}
        worker = cls.one("SELECT id FROM users WHERE username = 'st-sw-n'")
        mgr = cls.one("SELECT id FROM users WHERE username = 'st-mgr'")
        cls.auth, cls.team, cls.mgr_id = auth, team, mgr
        cases, children = {}, {}
        for key, d in DISCUSSIONS.items():
            ref = d[11]
            if ref not in cases:
                cases[ref] = cls.one(
                    "INSERT INTO cases (authority_id, case_ref, team_id, "
                    "allocated_worker_id) VALUES (%s, %s, %s, %s) "
                    "RETURNING id", (auth, ref, team[d[0]], worker))
                children[ref] = cls.one(
                    "INSERT INTO children (case_id, name, date_of_birth) "
                    "VALUES (%s, %s, '2016-02-03') RETURNING id",
                    (cases[ref], "%s %s" % (CHILD, ref)))
        cls.cases, cls.children = cases, children
        for key, d in DISCUSSIONS.items():
            (tname, kind, fmt, status, concern, starts, cls_, missing,
             contributed, views, decision, ref, parts) = d
            held = status == "held"
            did = cls.one(
                "INSERT INTO discussions (authority_id, case_id, team_id, "
                "kind, reason, concern_received_at, starts_at, ends_at, "
                "format, status, uid, planned_classification, "
                "actual_classification, actual_missing, actual_contributed, "
                "child_views_recorded, child_views, created_by, "
                "held_recorded_at) VALUES (%s, %s, %s, %s, "
                "'Concern reported', %s::timestamp AT TIME ZONE "
                "'Europe/London', %s::timestamp AT TIME ZONE 'Europe/London',"
                " %s::timestamp AT TIME ZONE 'Europe/London' + "
                "interval '1 hour', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "CASE WHEN %s THEN now() END) RETURNING id",
                (auth, cases[ref], team[tname], kind, concern, starts, starts,
                 fmt, status, "stats-%s@test" % key,
                 cls_ or "partial", cls_, missing, contributed, views,
                 "Wants to stay with gran" if views else None, worker, held))
            cls.ids[key] = did
            for i, (agency, org, att, ps, email, removed) in enumerate(parts):
                ct.query(cls.db,
                         "INSERT INTO participants (discussion_id, name, "
                         "email, agency, organisation, attendance, partstat,"
                         " removed_at, added_on_day) VALUES (%s, %s, %s, %s,"
                         " %s, %s, %s, CASE WHEN %s THEN now() END, %s)",
                         (did, "Person %s %d" % (key, i),
                          "p%s-%d@example.org" % (key, i) if email else None,
                          agency, org, att, ps, removed,
                          (key, i) in ADDED_ON_DAY))
            if decision:
                ct.query(cls.db, "INSERT INTO outcomes (discussion_id, "
                         "child_id, decision) VALUES (%s, %s, %s)",
                         (did, children[ref], decision))
        for ref, date in CONFERENCES.items():
            ct.query(cls.db, "UPDATE cases SET icpc_date = %s WHERE id = %s",
                     (date, cases[ref]))
        for ref in NOT_REQUIRED:
            ct.query(cls.db, "UPDATE cases SET icpc_not_required = true "
                     "WHERE id = %s", (cases[ref],))
        # The child-level enquiries (sql/027) as authorisation makes them:
        # the first held Section 47 discussion of each case, its child,
        # and the case's conference as that enquiry's.
        ct.query(cls.db, "INSERT INTO s47_enquiries (authority_id, case_id,"
                 " child_id, discussion_id, started_on, icpc_held_on, "
                 "icpc_not_required, not_required_reason) SELECT DISTINCT "
                 "ON (d.case_id) d.authority_id, d.case_id, o.child_id, "
                 "d.id, (d.starts_at AT TIME ZONE 'Europe/London')::date, "
                 "c.icpc_date, c.icpc_not_required, CASE WHEN "
                 "c.icpc_not_required THEN 'Recorded on the case' END FROM "
                 "discussions d JOIN outcomes o ON o.discussion_id = d.id "
                 "JOIN cases c ON c.id = d.case_id WHERE d.status = 'held' "
                 "AND o.decision IN ('s47_joint', 's47_single_agency') AND "
                 "d.authority_id = %s ORDER BY d.case_id, d.starts_at, d.id",
                 (auth,))
        for key, (decision, note) in REVIEWS.items():
            ct.query(cls.db, "INSERT INTO discussion_reviews (discussion_id,"
                     " decision, note, reviewed_by) VALUES (%s, %s, %s, %s)",
                     (cls.ids[key], decision, note, mgr))
        for key in SIGNED_OFF:
            ct.query(cls.db, "INSERT INTO discussion_signoffs "
                     "(discussion_id, signed_off_by) VALUES (%s, %s)",
                     (cls.ids[key], mgr))
        # Another authority's discussion in the same month: never counted.
        far = cls.one("SELECT id FROM authorities WHERE code = 'farshire'")
        far_team = cls.one("SELECT id FROM teams WHERE name = 'Far Team'")
        far_case = cls.one("INSERT INTO cases (authority_id, case_ref, "
                           "team_id) VALUES (%s, 'C1', %s) RETURNING id",
                           (far, far_team))
        cls.ids["FAR"] = cls.one(
            "INSERT INTO discussions (authority_id, case_id, team_id, kind, "
            "reason, concern_received_at, starts_at, ends_at, format, status,"
            " uid, planned_classification, actual_classification, "
            "actual_missing, child_views_recorded) VALUES (%s, %s, %s, "
            "'meeting', 'r', '2025-11-05 09:00Z', '2025-11-05 10:00Z', "
            "'2025-11-05 11:00Z', 'phone', 'held', 'stats-far@test', "
            "'single_agency', 'single_agency', '{police,health}', false) "
            "RETURNING id", (far, far_case, far_team))

    # ---- helpers ------------------------------------------------------------

    def get(self, path, user="st-mgr", want=200):
        st, h, body = self.srv.api("GET", path, token=self.tok[user])
        self.assertEqual(st, want, body)
        return body, h

    def stats(self, query="", user="st-mgr"):
        return self.get("/api/v1/stats?" + query, user)[0]

    def csv_rows(self, path, user="st-mgr"):
        st, h, text = self.srv.api("GET", path, token=self.tok[user])
        self.assertEqual(st, 200, text)
        self.assertTrue(h["Content-Type"].startswith("text/csv"))
        self.assertIn("attachment", h["Content-Disposition"])
        self.assertTrue(text.startswith("\ufeff"), "no byte order mark")
        self.assertNotIn(CHILD, text)
        body = text[1:]
        lines = body.split("\r\n")
        self.assertEqual(lines[-1], "", "CSV must end with CRLF")
        self.assertNotIn("\n", "".join(lines).replace("\r\n", ""))
        return list(csv.DictReader(io.StringIO(body, newline="")))

    def folded(self, seconds=3.0):
        """stats_verify() plus the stored facts that differ from their
        source (sql/047 rewrites only those that changed, so a fact left
        stale would go unnoticed until a later change), in a snapshot in
        which the server's folding thread has emptied the queue (the
        invite worker keeps writing, so they are read in one statement)."""
        end = time.monotonic() + seconds
        while True:
            queued, diff = ct.query(self.db, "SELECT (SELECT count(*) FROM "
                                    "stats_queue), stats_verify() + " +
                                    " + ".join(FACTS_DIFFER % (t, t, t, t)
                                               for t in FACT_TABLES))[0]
            if queued == 0:
                return diff
            self.assertLess(time.monotonic(), end,
                            "statistics queue not folded in %.0f s" % seconds)
            time.sleep(0.05)

    def verify(self):
        self.assertEqual(self.folded(), 0,
                         "summaries differ from a fresh count")

    def unreviewed(self):
        return self.stats(RANGE)["totals"]["unreviewed_flags"]

    # ---- working days ---------------------------------------------------------

    def test_working_days_sql(self):
        """working_days_between() in SQL: the hand-checked spans of
        tests/unit/test_workdays.c."""
        for a, b, n in (("2026-11-04", "2026-11-04", 0),
                        ("2026-11-06", "2026-11-09", 1),
                        ("2026-11-07", "2026-11-09", 1),
                        ("2026-12-24", "2027-01-04", 4),
                        ("2021-12-23", "2022-01-04", 5),
                        ("2026-04-02", "2026-04-07", 1),
                        ("2020-05-07", "2020-05-11", 1),
                        ("2022-06-01", "2022-06-06", 1),
                        ("2022-09-16", "2022-09-20", 1),
                        ("2023-05-05", "2023-05-09", 1),
                        ("2025-12-31", "2026-12-31", 253),
                        ("2026-11-02", "2026-11-23", 15),
                        ("2026-12-11", "2027-01-06", 15),
                        ("2027-01-04", "2026-12-24", -4)):
            self.assertEqual(self.one("SELECT working_days_between(%s, %s)",
                                      (a, b)), n, "%s -> %s" % (a, b))
        self.assertEqual(self.one("SELECT count(*) FROM bank_holidays"), 131)

    # ---- the figures ----------------------------------------------------------

    def test_exact_against_a_fresh_count(self):
        self.verify()
        # And an independent count straight from the live tables.
        held = self.one(
            "SELECT count(*) FROM discussions WHERE authority_id = %s AND "
            "status = 'held' AND (starts_at AT TIME ZONE 'Europe/London')"
            "::date BETWEEN '2025-11-01' AND '2025-12-31'", (self.auth,))
        health = self.one(
            "SELECT count(*) FROM discussions WHERE authority_id = %s AND "
            "status = 'held' AND 'health' = ANY (actual_missing) AND "
            "(starts_at AT TIME ZONE 'Europe/London')::date BETWEEN "
            "'2025-11-01' AND '2025-12-31'", (self.auth,))
        t = self.stats(RANGE)["totals"]
        self.assertEqual((t["held"], t["missing"]["health"]), (held, health))

    def test_totals(self):
        s = self.stats(RANGE)
        t = s["totals"]
        subset(self, TOTALS, t, "totals")
        subset(self, SHARES, t["shares"], "shares")
        c = t["timeliness"]["concern_to_discussion"]
        i = t["timeliness"]["discussion_to_conference"]
        want_c = dict(CONCERN, distribution=[
            {"working_days": k, "count": n} for k, n in CONCERN["distribution"]])
        want_i = dict(CONFERENCE, distribution=[
            {"working_days": k, "count": n}
            for k, n in CONFERENCE["distribution"]])
        self.assertEqual(c, want_c)
        self.assertEqual(i, want_i)
        self.assertEqual(s["filters"], {"from": "2025-11-01",
                                        "to": "2025-12-31", "team": None,
                                        "kind": None, "format": None,
                                        "group_by": "month"})

    def test_attendance_and_organisations(self):
        s = self.stats(RANGE)
        got = {a["agency"]: a for a in s["attendance"]}
        self.assertEqual(set(got), set(AGENCIES))
        for code, (inv, pres, contrib, miss, stat) in AGENCIES.items():
            a = got[code]
            self.assertEqual((a["invited"], a["present"], a["contributed"],
                              a["missing"], a["statutory"], a["held"]),
                             (inv, pres, contrib, miss, stat, 9), code)
            self.assertEqual(a["attendance_rate"],
                             round(pres / inv, 4), code)
        # Statutory agencies first, in the agencies' order.
        self.assertEqual([a["agency"] for a in s["attendance"]],
                         ["social_care", "police", "health", "education"])
        orgs = {o["organisation"]: o for o in s["organisations"]}
        self.assertEqual(set(orgs), set(ORGS))
        for name, (inv, pres, contrib, replies) in ORGS.items():
            o = orgs[name]
            self.assertEqual((o["invited"], o["present"], o["contributed"]),
                             (inv, pres, contrib), name)
            r = o["responses"]
            self.assertEqual((r["invited"], r["accepted"], r["declined"],
                              r["tentative"], r["no_reply"]), replies, name)
        self.assertFalse(s["organisations_truncated"])

    def test_months(self):
        s = self.stats(RANGE + "&group_by=month")
        self.assertEqual([g["key"] for g in s["groups"]],
                         ["2025-11", "2025-12"])
        for g in s["groups"]:
            subset(self, MONTHS[g["key"]], g, g["key"])
        self.assertEqual((s["groups"][0]["from"], s["groups"][0]["to"]),
                         ("2025-11-01", "2025-11-30"))
        # Empty months inside the range are listed, with zeros.
        s = self.stats("from=2025-09-15&to=2026-01-10")
        self.assertEqual([g["key"] for g in s["groups"]],
                         ["2025-09", "2025-10", "2025-11", "2025-12",
                          "2026-01"])
        self.assertEqual([g["discussions"] for g in s["groups"]],
                         [0, 1, 7, 4, 0])
        self.assertEqual((s["groups"][0]["from"], s["groups"][-1]["to"]),
                         ("2025-09-15", "2026-01-10"))
        # Without a range: every month with data, and the gaps between.
        s = self.stats()
        self.assertEqual([g["key"] for g in s["groups"]],
                         ["2025-10", "2025-11", "2025-12"])
        self.assertEqual(s["totals"]["discussions"], 12)

    def test_teams(self):
        s = self.stats(RANGE + "&group_by=team")
        self.assertEqual([g["key"] for g in s["groups"]], [NORTH, SOUTH])
        for g in s["groups"]:
            subset(self, TEAMS[g["key"]], g, g["key"])

    def test_team_filter(self):
        """The same data set for one team: the totals are that team's."""
        for team in (NORTH, SOUTH):
            s = self.stats(RANGE + "&team=" + urllib.parse.quote(team))
            subset(self, TEAMS[team], s["totals"], team)
            self.assertEqual(s["filters"]["team"], team)
            self.assertEqual(sum(g["discussions"] for g in s["groups"]),
                             TEAMS[team]["discussions"])
        s = self.stats(RANGE + "&team=" + urllib.parse.quote(SOUTH) +
                       "&group_by=agency")
        got = {g["key"]: g for g in s["groups"]}
        # South's held: D4, D5, D9, D10. Police absent in D9; health not
        # invited to D9, absent in D5.
        self.assertEqual((got["police"]["invited"], got["police"]["present"],
                          got["police"]["missing"]), (4, 3, 1))
        self.assertEqual((got["health"]["invited"], got["health"]["present"],
                          got["health"]["missing"]), (3, 2, 2))
        s = self.stats(RANGE + "&team=" + urllib.parse.quote(NORTH) +
                       "&kind=discussion")
        self.assertEqual((s["totals"]["discussions"], s["totals"]["held"],
                          s["totals"]["single_agency"]), (1, 1, 1))
        s = self.stats(RANGE + "&format=video")
        self.assertEqual((s["totals"]["discussions"],
                          s["totals"]["partial"]), (3, 2))	# D2, D5, D9

    def test_ranges_that_cut_months(self):
        """Whole months come from monthly sums, the days at the ends from
        daily ones: the answers must not show the seam."""
        s = self.stats("from=2025-11-10&to=2025-12-02")
        # D2 (10 Nov), D4, D5, D6, D7, D9 (2 Dec); not D3 (7 Nov) or D11
        # (3 Dec).
        t = s["totals"]
        self.assertEqual((t["discussions"], t["held"], t["multi_agency"],
                          t["partial"], t["single_agency"], t["cancelled"]),
                         (6, 4, 1, 2, 1, 1))
        self.assertEqual(t["missing"], {"social_care": 0, "police": 1,
                                        "health": 3})
        self.assertEqual([(g["key"], g["discussions"]) for g in s["groups"]],
                         [("2025-11", 5), ("2025-12", 1)])
        # Per agency in each cut month: summed over its days. November:
        # health missing from D2 and D5, the school added on the day to
        # D4 (D1, 3 Nov, is outside); December: D9 without police or
        # health.
        self.assertEqual([(g["missing"]["police"], g["missing"]["health"],
                           g["added_on_day"],
                           g["added_on_day_by_agency"]["education"])
                          for g in s["groups"]], [(0, 2, 1, 1), (1, 1, 0, 0)])
        t = self.stats("from=2025-11-05&to=2025-11-12")["totals"]
        self.assertEqual((t["discussions"], t["held"]), (3, 3))	# D2-D4
        t = self.stats("from=2025-11-07&to=2025-11-07")["totals"]
        self.assertEqual((t["discussions"], t["single_agency"]), (1, 1))
        t = self.stats("from=2025-12-04&to=2025-12-28")["totals"]
        self.assertEqual((t["discussions"], t["held"]), (1, 1))	# D10
        t = self.stats("from=2025-10-01&to=2025-12-31")["totals"]
        self.assertEqual(t["discussions"], 12)

    def test_timeliness_follows_the_target(self):
        ct.query(self.db, "UPDATE authorities SET target_working_days = 2 "
                 "WHERE id = %s", (self.auth,))
        try:
            c = self.stats(RANGE)["totals"]["timeliness"][
                "concern_to_discussion"]
            self.assertEqual((c["target_working_days"], c["within_target"]),
                             (2, 8))
        finally:
            ct.query(self.db, "UPDATE authorities SET target_working_days = "
                     "1 WHERE id = %s", (self.auth,))

    # ---- CSV ------------------------------------------------------------------

    def test_csv(self):
        rows = self.csv_rows("/api/v1/stats.csv?" + RANGE)
        self.assertEqual([(r["group_by"], r["key"]) for r in rows],
                         [("total", "total"), ("month", "2025-11"),
                          ("month", "2025-12")])
        t = rows[0]
        self.assertEqual((t["from"], t["to"]), ("2025-11-01", "2025-12-31"))
        want = {"discussions": 11, "held": 9, "multi_agency": 5,
                "partial": 2, "single_agency": 2, "cancelled": 1,
                "scheduled": 1, "missing_social_care": 0,
                "missing_police": 2, "missing_health": 4,
                "contributed_health": 1, "child_views_recorded": 6,
                "signed_off": 3, "flagged": 4, "reviewed_agree": 1,
                "practice_concerns": 1, "unreviewed_flags": 2,
                "concern_target_working_days": 1,
                "concern_within_target": 4, "section47_enquiries": 5,
                "conferences": 3, "conferences_within_15": 2,
                "conference_not_required": 1, "conference_awaiting": 1}
        self.assertEqual({k: int(t[k]) for k in want}, want)
        self.assertEqual((t["multi_agency_pct"], t["child_views_recorded_pct"],
                          t["concern_mean_working_days"],
                          t["conferences_within_15_pct"]),
                         ("55.6", "66.7", "1.7", "66.7"))
        self.assertEqual(int(rows[1]["held"]), 5)
        self.assertEqual(int(rows[2]["missing_health"]), 1)
        # The JSON and the CSV agree, group by group.
        js = self.stats(RANGE)
        for r, g in zip(rows[1:], js["groups"]):
            self.assertEqual((int(r["held"]), int(r["multi_agency"]),
                              int(r["unreviewed_flags"])),
                             (g["held"], g["multi_agency"],
                              g["unreviewed_flags"]))
        rows = self.csv_rows("/api/v1/stats.csv?%s&group_by=agency" % RANGE)
        got = {r["key"]: r for r in rows}
        self.assertEqual((got["health"]["invited"], got["health"]["present"],
                          got["health"]["attendance_rate_pct"]),
                         ("8", "5", "62.5"))

    def added_rows(self, by="agency"):
        """People added on the day, counted straight from the participant
        rows: held discussions of the default authority in RANGE, not
        removed; {agency or month: n}."""
        key = ("p.agency" if by == "agency" else
               "to_char(d.starts_at AT TIME ZONE 'Europe/London', "
               "'YYYY-MM')")
        return dict(ct.query(
            self.db, "SELECT %s, count(*) FROM participants p JOIN "
            "discussions d ON d.id = p.discussion_id WHERE d.authority_id ="
            " %%s AND d.status = 'held' AND p.added_on_day AND "
            "p.removed_at IS NULL AND (d.starts_at AT TIME ZONE "
            "'Europe/London')::date BETWEEN '2025-11-01' AND '2025-12-31' "
            "GROUP BY 1" % key, (self.auth,)))

    def check_added_on_day(self):
        """JSON, CSV and dashboard against the participant rows."""
        rows = self.added_rows()
        months = self.added_rows("month")
        s = self.stats(RANGE)
        t = s["totals"]
        by = t["added_on_day_by_agency"]
        # Every agency of the report has a count; they match the rows.
        self.assertEqual(set(by), {a["agency"] for a in s["attendance"]})
        self.assertEqual(by, {a: rows.get(a, 0) for a in by})
        self.assertEqual(t["added_on_day"], sum(rows.values()))
        for a in s["attendance"]:
            self.assertEqual(a["added_on_day"], rows.get(a["agency"], 0),
                             a["agency"])
        for g in s["groups"]:
            self.assertEqual(g["added_on_day"], months.get(g["key"], 0),
                             g["key"])
            self.assertEqual(sum(g["added_on_day_by_agency"].values()),
                             g["added_on_day"], g["key"])
        csv_rows = self.csv_rows("/api/v1/stats.csv?" + RANGE)
        self.assertEqual(int(csv_rows[0]["added_on_day"]),
                         t["added_on_day"])
        for r, g in zip(csv_rows[1:], s["groups"]):
            self.assertEqual(int(r["added_on_day"]), g["added_on_day"])
            for code, n in g["added_on_day_by_agency"].items():
                self.assertEqual(int(r["added_on_day_" + code]), n,
                                 (g["key"], code))
        agency_csv = self.csv_rows("/api/v1/stats.csv?%s&group_by=agency"
                                   % RANGE)
        self.assertEqual({r["key"]: int(r["added_on_day"])
                          for r in agency_csv}, by)
        html = self.page("/stats?" + RANGE)
        self.assertEqual(self.figures(html)["added_on_day"],
                         t["added_on_day"])
        for code, n in by.items():
            self.assertEqual(self.cells(html, "agencies", "data-agency",
                                        code)["added_on_day"], str(n), code)
        self.assertEqual(self.cells(html, "classes", "data-group",
                                    "Nov 2025")["added_on_day"],
                         str(months.get("2025-11", 0)))
        return t

    def test_added_on_day(self):
        """People added on the day: per period, per agency and per team,
        in the JSON, the CSV and on the dashboard, equal to the rows."""
        t = self.check_added_on_day()
        self.assertEqual((t["added_on_day"], t["added_on_day_by_agency"]),
                         (3, ADDED))
        csv_rows = self.csv_rows("/api/v1/stats.csv?%s&group_by=team"
                                 % RANGE)
        self.assertEqual([(r["key"], r["added_on_day"],
                           r["added_on_day_education"]) for r in csv_rows],
                         [("total", "3", "1"), (NORTH, "1", "0"),
                          (SOUTH, "2", "1")])
        # Another person marked as added on the day (D2's police officer):
        # the trigger keeps the summaries exact and every view follows.
        pid = self.one("SELECT id FROM participants WHERE discussion_id = "
                       "%s AND agency = 'police'", (self.ids["D2"],))
        ct.query(self.db, "UPDATE participants SET added_on_day = true "
                 "WHERE id = %s", (pid,))
        try:
            self.verify()
            t = self.check_added_on_day()
            self.assertEqual((t["added_on_day"],
                              t["added_on_day_by_agency"]["police"]), (4, 2))
        finally:
            ct.query(self.db, "UPDATE participants SET added_on_day = false "
                     "WHERE id = %s", (pid,))
        self.verify()
        self.assertEqual(self.stats(RANGE)["totals"]["added_on_day"], 3)

    def test_csv_formula_injection_and_quoting(self):
        """Text that a spreadsheet would run as a formula gets a leading
        apostrophe; commas and quotes are quoted."""
        evil = '=HYPERLINK("http://x.example","a,b")'
        tid = self.one("INSERT INTO teams (authority_id, name) VALUES "
                       "(%s, %s) RETURNING id", (self.auth, evil))
        try:
            st, _, text = self.srv.api(
                "GET", "/api/v1/stats.csv?%s&group_by=team" % RANGE,
                token=self.tok["st-mgr"])
            self.assertEqual(st, 200)
            self.assertIn('\r\nteam,"\'=HYPERLINK(""http://x.example"",'
                          '""a,b"")",2025-11-01,', text)
            rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
            self.assertIn("'" + evil, [r["key"] for r in rows])
            for r in rows:
                for v in r.values():
                    self.assertFalse(v[:1] in ("=", "+", "@"), v)
        finally:
            ct.query(self.db, "DELETE FROM teams WHERE id = %s", (tid,))

    # ---- list exports -----------------------------------------------------

    def ids_of(self, rows, key="id"):
        inv = {v: k for k, v in self.ids.items()}
        return sorted(inv[int(r[key])] for r in rows)

    def test_list_behind_a_figure(self):
        rows = self.csv_rows("/api/v1/stats/discussions.csv?%s&"
                             "classification=single_agency" % RANGE)
        self.assertEqual(self.ids_of(rows), ["D3", "D9"])
        r = {x["id"]: x for x in rows}[str(self.ids["D3"])]
        self.assertEqual((r["case_ref"], r["team"], r["date"], r["status"],
                          r["missing_agencies"], r["contributed_agencies"],
                          r["child_views_recorded"], r["review"],
                          r["concern_working_days"]),
                         ("C3", NORTH, "2025-11-07", "held", "police health",
                          "health", "no", "unreviewed", "0"))
        for q, want in (("review=unreviewed", ["D3", "D5"]),
                        ("review=flagged", ["D2", "D3", "D5", "D9"]),
                        ("missing=police", ["D3", "D9"]),
                        ("signed_off=yes", ["D1", "D4", "D9"]),
                        ("child_views=no", ["D10", "D3", "D5"]),
                        ("status=cancelled", ["D6"]),
                        ("concern=late", ["D10", "D11", "D2", "D5", "D8"]),
                        ("icpc=within", ["D1", "D8"]),
                        ("icpc=late", ["D9"]),
                        ("icpc=awaiting", ["D10"]),
                        ("icpc=overdue", ["D10"]),
                        ("icpc=not_required", ["D4"]),
                        ("team=Team%20South&classification=partial",
                         ["D5"])):
            body, _ = self.get("/api/v1/stats/discussions?%s&%s" % (RANGE, q))
            self.assertEqual(self.ids_of(body["discussions"]), want, q)
            self.assertEqual(body["total"], len(want), q)
        # Paging.
        body, _ = self.get("/api/v1/stats/discussions?%s&per_page=4&page=3"
                           % RANGE)
        self.assertEqual((body["total"], len(body["discussions"]),
                          body["page"]), (11, 3, 3))
        self.assertNotIn(CHILD, json.dumps(body))

    def test_section47_annex_a(self):
        rows = self.csv_rows("/api/v1/stats/section47.csv?" + RANGE)
        ref_of = {"CV-%d" % cid: ref for ref, cid in self.children.items()}
        got = {ref_of[r["Child ID"]]: r for r in rows}
        self.assertEqual(sorted(got), ["C1", "C10", "C4", "C8", "C9"])
        self.assertEqual(list(rows[0].keys()), [
            "Child ID", "Gender", "Ethnicity", "Disability",
            "Age at the start of the enquiry", "Strategy discussion date",
            "Initial child protection conference needed",
            "Initial child protection conference date",
            "Working days from strategy discussion to conference",
            "Team", "Allocated worker"])
        # In the order of the strategy discussions.
        self.assertEqual([r["Strategy discussion date"] for r in rows],
                         sorted(r["Strategy discussion date"] for r in rows))
        c = [(r["Strategy discussion date"],
              r["Initial child protection conference needed"],
              r["Initial child protection conference date"],
              r["Working days from strategy discussion to conference"],
              r["Team"], r["Age at the start of the enquiry"])
             for r in (got[k] for k in ("C1", "C4", "C8", "C9", "C10"))]
        self.assertEqual(c, [
            ("2025-11-03", "yes", "2025-11-21", "14", NORTH, "9"),
            ("2025-11-12", "no", "", "", SOUTH, "9"),
            ("2025-12-29", "yes", "2026-01-20", "15", NORTH, "9"),
            ("2025-12-02", "yes", "2026-01-06", "22", SOUTH, "9"),
            ("2025-12-15", "not yet known", "", "", SOUTH, "9")])
        self.assertEqual(got["C1"]["Allocated worker"], "st-sw-n")
        self.assertNotIn(CHILD, json.dumps(rows))
        # The CIN census module, one row per child enquiry.
        cin = self.csv_rows("/api/v1/stats/cin-census.csv?" + RANGE)
        self.assertEqual(list(cin[0].keys()), [
            "LAchildID", "S47ActualStartDate", "InitialCPConferenceDate",
            "ICPCnotRequired"])
        by = {ref_of[r["LAchildID"]]: r for r in cin}
        self.assertEqual((by["C1"]["S47ActualStartDate"],
                          by["C1"]["InitialCPConferenceDate"],
                          by["C1"]["ICPCnotRequired"]),
                         ("2025-11-03", "2025-11-21", "no"))
        self.assertEqual(by["C4"]["ICPCnotRequired"], "yes")
        # The same, counted per child on the figures (docs/statistics.md).
        self.assertEqual(self.stats(RANGE)["children"], {
            "target_working_days": 15, "section47_enquiries": 5,
            "conferences": 3, "within_target": 2, "late": 1,
            "not_required": 1, "awaiting": 1, "awaiting_overdue": 1,
            "mean_working_days": 17.0})
        body, _ = self.get("/api/v1/stats/section47?" + RANGE +
                           "&team=" + urllib.parse.quote(NORTH))
        self.assertEqual([e["case_ref"] for e in body["enquiries"]],
                         ["C1", "C8"])

    # ---- who sees what --------------------------------------------------------

    def test_social_workers_see_their_own_team(self):
        s = self.stats(RANGE, user="st-sw-s")
        subset(self, TEAMS[SOUTH], s["totals"], "sw South")
        self.assertEqual(s["filters"]["team"], SOUTH)
        self.stats(RANGE + "&team=" + urllib.parse.quote(SOUTH),
                   user="st-sw-s")
        for path in ("/api/v1/stats", "/api/v1/stats.csv",
                     "/api/v1/stats/discussions",
                     "/api/v1/stats/discussions.csv",
                     "/api/v1/stats/section47.csv"):
            st, _, body = self.srv.api(
                "GET", path + "?team=" + urllib.parse.quote(NORTH),
                token=self.tok["st-sw-s"])
            self.assertEqual(st, 403, (path, body))
            self.assertEqual(body["error"]["field"], "team")
        # group_by=team shows only their own team.
        s = self.stats(RANGE + "&group_by=team", user="st-sw-n")
        self.assertEqual([g["key"] for g in s["groups"]], [NORTH])

    def test_admins_and_strangers(self):
        st, _, _ = self.srv.api("GET", "/api/v1/stats",
                                token=self.tok["st-admin"])
        self.assertEqual(st, 403)
        st, _, _ = self.srv.api("GET", "/api/v1/stats")
        self.assertEqual(st, 401)
        # Another authority's manager sees only their own discussion.
        t = self.stats(RANGE, user="st-far")["totals"]
        self.assertEqual((t["discussions"], t["single_agency"]), (1, 1))
        st, _, _ = self.srv.api("GET", "/api/v1/meetings/%d/review" %
                                self.ids["D3"], token=self.tok["st-far"])
        self.assertEqual(st, 404)

    def test_bad_filters(self):
        for q, field in (("from=2025-02-30", "from"), ("to=yesterday", "to"),
                         ("from=2025-12-01&to=2025-11-01", "to"),
                         ("team=Nowhere", "team"), ("kind=chat", "kind"),
                         ("format=fax", "format"),
                         ("group_by=week", "group_by")):
            st, _, body = self.srv.api("GET", "/api/v1/stats?" + q,
                                       token=self.tok["st-mgr"])
            self.assertEqual((st, body["error"]["field"]), (400, field), q)
        st, _, body = self.srv.api(
            "GET", "/api/v1/stats/discussions?classification=none",
            token=self.tok["st-mgr"])
        self.assertEqual((st, body["error"]["field"]),
                         (400, "classification"))

    # ---- review and sign-off -----------------------------------------------

    def test_review_takes_a_flag_off_the_count(self):
        before = self.unreviewed()
        audits = self.one("SELECT count(*) FROM audit_log WHERE action = "
                          "'discussion.review'")
        d3 = self.ids["D3"]
        path = "/api/v1/meetings/%d/review" % d3
        # Not for social workers; a practice concern needs a note.
        st, _, _ = self.srv.api("POST", path, token=self.tok["st-sw-n"],
                                json={"decision": "agree"})
        self.assertEqual(st, 403)
        st, _, body = self.srv.api("POST", path, token=self.tok["st-mgr"],
                                   json={"decision": "practice_concern"})
        self.assertEqual((st, body["error"]["field"]), (422, "note"))
        st, _, body = self.srv.api("POST", path, token=self.tok["st-mgr"],
                                   json={"decision": "maybe"})
        self.assertEqual((st, body["error"]["field"]), (422, "decision"))
        self.assertEqual(self.unreviewed(), before)
        # A multi-agency discussion has nothing to review.
        st, _, _ = self.srv.api("POST", "/api/v1/meetings/%d/review" %
                                self.ids["D1"], token=self.tok["st-mgr"],
                                json={"decision": "agree"})
        self.assertEqual(st, 409)
        # Signing off a flagged, unreviewed record waits for the review.
        st, _, body = self.srv.api("POST", "/api/v1/meetings/%d/sign-off" %
                                   d3, token=self.tok["st-mgr"])
        self.assertEqual((st, body["error"]["field"]), (409, "review"))
        st, _, body = self.srv.api("POST", path, token=self.tok["st-mgr"],
                                   json={"decision": "agree",
                                         "note": "Police unavailable"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["review"]["decision"], "agree")
        self.assertTrue(body["flagged"])
        self.assertEqual(self.unreviewed(), before - 1)
        self.assertEqual(self.one("SELECT count(*) FROM audit_log WHERE "
                                  "action = 'discussion.review' AND "
                                  "entity_id = %s", (d3,)), 1)
        self.assertEqual(self.one("SELECT count(*) FROM audit_log WHERE "
                                  "action = 'discussion.review'"),
                         audits + 1)
        # Changing one's mind: still one review, a second audit entry.
        st, _, body = self.srv.api("POST", path, token=self.tok["st-mgr"],
                                   json={"decision": "practice_concern",
                                         "note": "Police should have dialled in"})
        self.assertEqual(st, 200, body)
        t = self.stats(RANGE)["totals"]
        self.assertEqual((t["unreviewed_flags"],
                          t["reviewed"]["practice_concern"]),
                         (before - 1, 2))
        # Sign-off now, once.
        signed = t["signed_off"]
        st, _, body = self.srv.api("POST", "/api/v1/meetings/%d/sign-off" %
                                   d3, token=self.tok["st-mgr"],
                                   json={"note": "Seen"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["sign_off"]["signed_off_by"], "st-mgr")
        st, _, _ = self.srv.api("POST", "/api/v1/meetings/%d/sign-off" % d3,
                                token=self.tok["st-mgr"])
        self.assertEqual(st, 409)
        self.assertEqual(self.stats(RANGE)["totals"]["signed_off"],
                         signed + 1)
        st, _, _ = self.srv.api("POST", "/api/v1/meetings/%d/sign-off" %
                                self.ids["D6"], token=self.tok["st-mgr"])
        self.assertEqual(st, 409)	# cancelled
        body, _ = self.get("/api/v1/meetings/%d/review" % d3,
                           user="st-sw-n")
        self.assertEqual(body["review"]["decision"], "practice_concern")
        self.get("/api/v1/meetings/%d/review" % d3, user="st-sw-s", want=404)
        self.verify()
        # Put the data set back as it was for the other tests.
        ct.query(self.db, "DELETE FROM discussion_signoffs WHERE "
                 "discussion_id = %s", (d3,))
        ct.query(self.db, "DELETE FROM discussion_reviews WHERE "
                 "discussion_id = %s", (d3,))
        self.assertEqual(self.unreviewed(), before)
        self.verify()

    # ---- the conference on a case ----------------------------------------------

    def test_conference(self):
        path = "/api/v1/cases/C10/conference"
        body, _ = self.get(path, user="st-sw-s")
        self.assertEqual(body["conference"], {"date": None,
                                              "not_required": False})
        # Mon 15 Dec 2025 + 15 working days: 16-19 Dec 1-4, 22-24 Dec 5-7,
        # 29-31 Dec 8-10, Fri 2 Jan 11, 5-8 Jan 12-15.
        self.assertEqual(body["section47"]["due"], "2026-01-08")
        st, _, _ = self.srv.api("GET", path, token=self.tok["st-sw-n"])
        self.assertEqual(st, 404)	# another team's case
        tomorrow = (datetime.date.today() +
                    datetime.timedelta(days=1)).isoformat()
        for bad, field in (({"date": "2025-12-12"}, "date"),
                           ({"date": tomorrow}, "date"),
                           ({"date": "2025-12-20", "not_required": True},
                            "not_required"),
                           ({"date": "20-12-2025"}, "date"),
                           ({"when": "2025-12-20"}, "when")):
            before = ct.counts(self.db)
            st, _, body = self.srv.api("PUT", path, token=self.tok["st-sw-s"],
                                       json=bad)
            self.assertEqual((st, body["error"]["field"]), (422, field), bad)
            self.assertEqual(ct.counts(self.db), before)
        st, _, body = self.srv.api("PUT", path, token=self.tok["st-sw-s"],
                                   json={"date": "2026-01-05"})
        self.assertEqual(st, 200, body)
        # 16-19 Dec 1-4, 22-24 5-7, 29-31 8-10, 2 Jan 11, 5 Jan 12.
        self.assertEqual((body["section47"]["working_days"],
                          body["section47"]["within_target"]), (12, True))
        i = self.stats(RANGE)["totals"]["timeliness"][
            "discussion_to_conference"]
        self.assertEqual((i["conferences"], i["within_target"],
                          i["awaiting"], i["awaiting_overdue"]),
                         (4, 3, 0, 0))
        self.assertEqual(self.one("SELECT count(*) FROM audit_log WHERE "
                                  "action = 'case.conference' AND "
                                  "entity_id = %s", (self.cases["C10"],)), 1)
        self.verify()
        st, _, body = self.srv.api("POST", path, token=self.tok["st-mgr"],
                                   json={"date": None, "not_required": False})
        self.assertEqual(st, 200, body)
        i = self.stats(RANGE)["totals"]["timeliness"][
            "discussion_to_conference"]
        self.assertEqual((i["conferences"], i["awaiting"]), (3, 1))
        self.verify()

    # ---- bank holidays ---------------------------------------------------------

    def test_bank_holiday_edits_move_the_figures(self):
        """An admin adds a holiday on Fri 7 Nov 2025: D2's concern (Thu 6)
        to discussion (Mon 10) becomes 1 working day, and C1's conference
        14 -> 13."""
        base = self.stats(RANGE)["totals"]["timeliness"]
        path = "/api/v1/bank-holidays/2025-11-07"
        st, _, _ = self.srv.api("PUT", path, token=self.tok["st-mgr"],
                                json={"name": "Test day"})
        self.assertEqual(st, 403)
        st, _, body = self.srv.api("PUT", path, token=self.tok["st-admin"],
                                   json={"name": "Test day"})
        self.assertEqual(st, 201, body)
        try:
            t = self.stats(RANGE)["totals"]["timeliness"]
            c = {d["working_days"]: d["count"]
                 for d in t["concern_to_discussion"]["distribution"]}
            self.assertEqual((c["1"], c["2"]), (3, 3))
            self.assertEqual(t["concern_to_discussion"]["within_target"],
                             base["concern_to_discussion"]["within_target"]
                             + 1)
            self.assertEqual(
                t["discussion_to_conference"]["mean_working_days"],
                round((13 + 15 + 22) / 3, 1))
            self.verify()
            body, _ = self.get("/api/v1/bank-holidays?year=2025")
            self.assertIn({"date": "2025-11-07", "name": "Test day"},
                          body["bank_holidays"])
            self.assertEqual(len(body["bank_holidays"]), 9)
        finally:
            st, _, _ = self.srv.api("DELETE", path,
                                    token=self.tok["st-admin"])
            self.assertEqual(st, 200)
        self.assertEqual(self.stats(RANGE)["totals"]["timeliness"], base)
        self.verify()
        st, _, _ = self.srv.api("DELETE", path, token=self.tok["st-admin"])
        self.assertEqual(st, 404)

    # ---- the dashboard page -------------------------------------------------

    def page(self, path, user="st-mgr", want=200):
        if user not in self.cookies:
            self.cookies[user] = ct.sign_in(self.srv.base, user, self.pw[user])
        st, h, html = ct.form("GET", self.srv.base, path,
                              cookie=self.cookies[user])
        self.assertEqual(st, want, str(html)[:500])
        return html

    @staticmethod
    def figures(html):
        return {k: int(v) for k, v in
                re.findall(r'data-figure="([a-z_.0-9]+)">(\d+)<', html)}

    @staticmethod
    def cells(html, table, row_attr, row):
        """{data-col: text} of one row of a data table."""
        t = re.search(r'<table[^>]*data-table="%s".*?</table>' % table, html,
                      re.S).group(0)
        r = re.search(r'<tr[^>]*%s="%s".*?</tr>' % (row_attr, re.escape(row)),
                      t, re.S).group(0)
        return dict(re.findall(r'data-col="([a-z_]+)">([^<]*)<', r))

    def test_dashboard_html(self):
        html = self.page("/stats?" + RANGE)
        self.assertNotIn(CHILD, html)
        f = self.figures(html)
        want = {"held": 9, "multi_agency": 5, "partial": 2,
                "single_agency": 2, "cancelled": 1, "scheduled": 1,
                "missing.health": 4, "missing.police": 2,
                "missing.social_care": 0, "contributed.health": 1,
                "unreviewed_flags": 2, "reviewed.agree": 1,
                "reviewed.practice_concern": 1, "child_views_recorded": 6,
                "signed_off": 3, "concern_within_target": 4,
                "section47_enquiries": 5, "conferences_within_15": 2,
                "conferences_late": 1, "conference_not_required": 1,
                "awaiting_overdue": 1, "unreviewed_banner": 2}
        self.assertEqual({k: f.get(k) for k in want}, want)
        self.assertIn("All teams, 1 November 2025 to 31 December 2025", html)
        # Four charts, each an accessible SVG with a title and a
        # description, a sentence above it and a data table beneath.
        svgs = re.findall(r'<svg[^>]*class="convene-chart"[^>]*>', html)
        self.assertEqual(len(svgs), 4)
        for svg in svgs:
            self.assertIn('role="img"', svg)
            self.assertIn("aria-labelledby=", svg)
        self.assertEqual(len(re.findall(r"<desc id=", html)), 4)
        self.assertIn("Of 9 strategy discussions held, 5 (55.6%) were "
                      "multi-agency, 2 (22.2%) partial and 2 (22.2%) "
                      "single-agency.", html)
        self.assertIn("<title>Nov 2025: 2 multi-agency</title>", html)
        # Working Together's words for the timescale, not "statutory".
        self.assertIn("within the Working Together timescale of 15 working "
                      "days", html)
        self.assertNotIn("statutory 15", html)
        self.assertEqual(self.cells(html, "classes", "data-group",
                                    "Nov 2025")["held"], "5")
        self.assertEqual(self.cells(html, "classes", "data-group",
                                    "Dec 2025")["single_agency"], "1")
        police = self.cells(html, "agencies", "data-agency", "police")
        self.assertEqual((police["invited"], police["present"],
                          police["rate"]), ("9", "7", "77.8%"))
        self.assertEqual(self.cells(html, "concern", "data-days", "2")
                         ["count"], "4")
        self.assertEqual(self.cells(html, "conference", "data-days",
                                    "21-30")["count"], "1")
        org = self.cells(html, "organisations", "data-organisation",
                         "Northshire Police")
        self.assertEqual((org["people"], org["accepted"], org["declined"],
                          org["no_reply"]), ("12", "6", "2", "3"))
        # Click-through and exports carry the filters.
        self.assertIn('href="/stats/discussions?from=2025-11-01&amp;'
                      'to=2025-12-31&amp;classification=single_agency"', html)
        self.assertIn('href="/api/v1/stats.csv?from=2025-11-01&amp;'
                      'to=2025-12-31"', html)
        self.assertIn('href="/api/v1/stats/section47.csv?from=2025-11-01'
                      '&amp;to=2025-12-31"', html)
        # Acceptance and chasers by organisation (docs/chasers.md), from
        # the page with its session. Over all booked meetings not
        # cancelled (docs/statistics.md), so counted here the same way.
        self.assertIn('href="/api/v1/stats/acceptance.csv"', html)
        st, h, text = ct.form("GET", self.srv.base,
                              "/api/v1/stats/acceptance.csv",
                              cookie=self.cookies["st-mgr"])
        self.assertEqual(st, 200, text)
        acc = {r["organisation"]: r for r in csv.DictReader(
            io.StringIO(text))}
        want = ct.query(self.db, "SELECT count(*) FILTER (WHERE "
                        "p.partstat = 'ACCEPTED'), count(*) FILTER (WHERE "
                        "p.partstat = 'DECLINED') FROM participants p JOIN "
                        "discussions d ON d.id = p.discussion_id WHERE "
                        "d.kind = 'meeting' AND d.status <> 'cancelled' AND "
                        "p.removed_at IS NULL AND coalesce(p.email, '') <> "
                        "'' AND p.organisation = 'Northshire Police'")[0]
        self.assertGreater(want[0], 0)
        self.assertEqual((acc["Northshire Police"]["accepted"],
                          acc["Northshire Police"]["declined"]),
                         (str(want[0]), str(want[1])))
        # The page and the CSV agree.
        rows = self.csv_rows("/api/v1/stats.csv?" + RANGE)
        self.assertEqual((int(rows[0]["held"]), int(rows[0]["missing_health"]),
                          int(rows[0]["unreviewed_flags"])),
                         (f["held"], f["missing.health"],
                          f["unreviewed_flags"]))
        # By team, one team, and a bad date.
        html = self.page("/stats?%s&group_by=team" % RANGE)
        self.assertEqual(self.cells(html, "classes", "data-group",
                                    SOUTH)["held"], "4")
        html = self.page("/stats?%s&team=%s" % (RANGE,
                                                urllib.parse.quote(SOUTH)))
        f = self.figures(html)
        self.assertEqual((f["held"], f["single_agency"],
                          f["unreviewed_flags"]), (4, 1, 1))
        html = self.page("/stats?from=31/2/2025")
        self.assertIn("Date from must be a real date", html)
        # Dates typed the British way.
        f = self.figures(self.page("/stats?from=1/11/2025&to=31/12/2025"))
        self.assertEqual(f["held"], 9)

    def test_dashboard_for_others(self):
        html = self.page("/stats?" + RANGE, user="st-sw-n")
        f = self.figures(html)
        self.assertEqual((f["held"], f["unreviewed_flags"]), (5, 1))
        self.assertNotIn("unreviewed_banner", html)	# managers only
        self.page("/stats?%s&team=%s" % (RANGE, urllib.parse.quote(SOUTH)),
                  user="st-sw-n", want=403)
        self.page("/stats", user="st-admin", want=403)
        st, h, _ = ct.form("GET", self.srv.base, "/stats")
        self.assertEqual((st, h.get("Location")), (303, "/sign-in"))

    def test_review_from_the_page(self):
        """Drill into the flagged discussions, review one: the count of
        unreviewed flags on the dashboard goes down by one."""
        before = self.figures(self.page("/stats?" + RANGE))["unreviewed_flags"]
        html = self.page("/stats/discussions?%s&review=unreviewed" % RANGE)
        ids = sorted(int(i) for i in re.findall(r'data-meeting-id="(\d+)"',
                                                html))
        self.assertEqual(ids, sorted([self.ids["D3"], self.ids["D5"]]))
        self.assertNotIn(CHILD, html)
        d5 = self.ids["D5"]
        link = re.search(r'href="(/stats/discussions/%d/review\?back=[^"]+)"'
                         % d5, html).group(1).replace("&amp;", "&")
        form = self.page(link)
        self.assertIn("Reason recorded for absence", form)
        back = re.search(r'name="back" value="([^"]+)"', form).group(1)
        back = back.replace("&amp;", "&")
        self.assertTrue(back.startswith("/stats/discussions?"), back)
        cookie = self.cookies["st-mgr"]
        csrf = ct.session_csrf(self.db, cookie)
        path = "/stats/discussions/%d/review" % d5
        # A practice concern needs a note: the form again, nothing saved.
        st, _, html = ct.form("POST", self.srv.base, path,
                              {"decision": "practice_concern", "note": "",
                               "back": back}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 422)
        self.assertIn("govuk-error-summary", html)
        self.assertEqual(self.unreviewed(), before)
        # Without the CSRF token: refused.
        st, _, _ = ct.form("POST", self.srv.base, path,
                           {"decision": "agree", "back": back},
                           cookie=cookie)
        self.assertEqual(st, 403)
        st, h, _ = ct.form("POST", self.srv.base, path,
                           {"decision": "agree", "note": "Health could not "
                            "attend at short notice", "back": back},
                           cookie=cookie, csrf=csrf)
        self.assertEqual(st, 303)
        self.assertEqual(h["Location"], back + "&done=review")
        after = self.figures(self.page("/stats?" + RANGE))
        self.assertEqual(after["unreviewed_flags"], before - 1)
        html = self.page(h["Location"])
        self.assertIn("Review recorded.", html)
        # Signed off from the list, once reviewed.
        st, h, _ = ct.form("POST", self.srv.base,
                           "/stats/discussions/%d/sign-off" % d5,
                           {"back": back}, cookie=cookie, csrf=csrf)
        self.assertEqual(st, 303)
        self.assertEqual(self.figures(self.page("/stats?" + RANGE))
                         ["signed_off"], 4)
        # Social workers do not review.
        sw = ct.sign_in(self.srv.base, "st-sw-s", self.pw["st-sw-s"])
        st, _, _ = ct.form("POST", self.srv.base, path, {"decision": "agree"},
                           cookie=sw, csrf=ct.session_csrf(self.db, sw))
        self.assertEqual(st, 403)
        self.verify()
        ct.query(self.db, "DELETE FROM discussion_signoffs WHERE "
                 "discussion_id = %s", (d5,))
        ct.query(self.db, "DELETE FROM discussion_reviews WHERE "
                 "discussion_id = %s", (d5,))
        self.assertEqual(self.unreviewed(), before)

    def test_writes_queue_and_the_thread_folds_off_the_commit(self):
        """A write's COMMIT only queues its case: with every folder held
        off (the fold lock taken elsewhere) a manager's review still
        commits, the case waits in stats_queue and the summaries lag;
        released, the server's own thread folds it, exactly, with no
        statistics read to prompt it."""
        import psycopg2
        d3 = self.ids["D3"]
        case = self.one("SELECT case_id FROM discussions WHERE id = %s",
                        (d3,))
        before = self.unreviewed()
        holder = psycopg2.connect(self.db)
        try:
            cur = holder.cursor()
            cur.execute("SELECT pg_advisory_lock(20, 1)")
            st, _, body = self.srv.api(
                "POST", "/api/v1/meetings/%d/review" % d3,
                token=self.tok["st-mgr"],
                json={"decision": "agree", "note": "Police unavailable"})
            self.assertEqual(st, 200, body)
            self.assertEqual(self.one(
                "SELECT count(*) FROM stats_queue WHERE case_id = %s",
                (case,)), 1)
            self.assertGreater(self.one("SELECT stats_verify()"), 0,
                               "the review was folded inside its COMMIT")
            cur.execute("SELECT pg_advisory_unlock(20, 1)")
        finally:
            holder.close()
        self.assertEqual(self.folded(seconds=3.0), 0)
        self.assertEqual(self.unreviewed(), before - 1)
        ct.query(self.db, "DELETE FROM discussion_reviews WHERE "
                 "discussion_id = %s", (d3,))
        self.assertEqual(self.unreviewed(), before)
        self.verify()

    def test_rebuild_gives_the_same_summaries(self):
        before = self.stats("")
        # An operator's repair (TRUNCATE): the owner's, not the service's.
        ct.query(ct.owner_url(self.db), "SELECT stats_rebuild()")
        self.assertEqual(self.stats(""), before)
        self.verify()


if __name__ == "__main__":
    unittest.main(verbosity=2)
