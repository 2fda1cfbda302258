"""record_fixture: what the record tests share (issue 11).

A base class for unittest with one server on a fresh database, a directory
of contacts, and helpers to book a meeting at a time relative to now, to
record attendance, to build a valid record body (docs: PUT
/api/v1/meetings/{id}/record) and to assert a refusal that changed nothing
(row counts of every table, the meeting and its history read back equal).

Not a test file itself (no test_ prefix): test_record.py, test_pg_log.py and
test_audit_allowlist.py import it.
"""

import copy
import datetime
import itertools
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

DELETE = object()	# in a change: remove the key


def at(**delta):
    """now + delta as "YYYY-MM-DDTHH:MMZ" (UTC, whole minutes)."""
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(**delta)
    return t.strftime("%Y-%m-%dT%H:%MZ")


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def instant(s):
    """An ISO 8601 time as an aware datetime (for comparing instants)."""
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def mutate(body, *changes):
    """A deep copy of body with each (path, value) applied; path is a tuple
    of keys and indexes, value DELETE removes it."""
    b = copy.deepcopy(body)
    for path, value in changes:
        o = b
        for k in path[:-1]:
            o = o[k]
        if value is DELETE:
            del o[path[-1]]
        else:
            o[path[-1]] = value
    return b


S47 = ("s47_joint", "s47_single_agency")


def child_entry(child_id, decision="s47_joint", **over):
    """A complete, valid record entry for one child. Section 47 decisions
    get every field they require; others the rationale, no medical and a
    next step that goes with them. over: fields to set (DELETE removes)."""
    e = {"child_id": child_id, "decision": decision,
         "rationale": "Rationale for the decision on this child"}
    if decision in S47:
        e.update({"police_investigation": "yes" if decision == "s47_joint"
                  else "no",
                  "medical": "planned",
                  "plan_to_see": "Joint visit at school this afternoon",
                  "seen_alone": True,
                  "views": "Says they are worried about going home",
                  "communication_needs": "None identified",
                  "parents": "inform_now",
                  "parents_by": "Allocated social worker",
                  "parents_when": today(),
                  "consent_for_checks": "sought",
                  "next_step": "icpc"})
    elif decision == "no_s47_further_assessment":
        e.update({"medical": "not_needed", "next_step": "child_in_need"})
    else:
        e.update({"medical": "not_needed",
                  "next_step": "no_further_action"})
    for k, v in over.items():
        if v is DELETE:
            e.pop(k, None)
        else:
            e[k] = v
    return e


class RecordCase(unittest.TestCase):
    """One server on a fresh database per test class; DB names it."""
    maxDiff = None
    DB = "convene_it_record_base"
    PREFIX = "REC"
    _refs = itertools.count(1)

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database(cls.DB)
        p = cls.PREFIX.lower()
        ct.add_user(cls.db, p + "-admin", "admin")
        ct.add_user(cls.db, p + "-sw", "social_worker", team="Record Team")
        ct.add_user(cls.db, p + "-sw-b", "social_worker", team="Other Team")
        ct.add_user(cls.db, p + "-mgr", "manager", team="Record Team")
        cls.admin = ct.token(cls.db, p + "-admin")
        cls.sw = ct.token(cls.db, p + "-sw")
        cls.sw_b = ct.token(cls.db, p + "-sw-b")
        cls.mgr = ct.token(cls.db, p + "-mgr")
        cls.srv = ct.Server(cls.db)
        cls.contact = {}
        for key, agency, name in (
                ("social_care", "social_care", "Sam Social"),
                ("social_care2", "social_care", "Sol Second"),
                ("police", "police", "PC Pat Police"),
                ("health", "health", "Nurse Hana Health"),
                ("education", "education", "Ed Teacher")):
            st, _, body = cls.call("POST", "/api/v1/contacts", cls.admin, {
                "name": name, "agency": agency,
                "email": "%s.%s@%s.example" % (key, p, agency.replace("_", "-")),
                "organisation": "Org %s" % agency, "role": "Lead"})
            assert st == 201, body
            cls.contact[key] = body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    @classmethod
    def call(cls, method, path, token=None, json=None, **kw):
        return ct.api(method, cls.srv.base, path, token=token, json=json,
                      **kw)

    # ---- booking ----------------------------------------------------------

    def ref(self):
        return "%s-%d" % (self.PREFIX, next(self._refs))

    def booking(self, agencies=("social_care", "police", "health"),
                starts=None, **over):
        """A valid booking body: a meeting that started three hours ago
        (unless starts is given), one child."""
        b = {"case_ref": self.ref(),
             "children": [{"name": "Jamie Record",
                           "date_of_birth": "2018-06-14"}],
             "kind": "meeting", "reason": "Bruising reported by school",
             "concern_received_at": at(days=-1),
             "starts_at": starts or at(hours=-3), "duration_minutes": 60,
             "format": "video", "location": "https://meet.example/rec",
             "participants": [{"contact_id": self.contact[a]}
                              for a in agencies]}
        b.update(over)
        return b

    def book(self, agencies=("social_care", "police", "health"),
             token=None, **over):
        st, _, m = self.call("POST", "/api/v1/meetings", token or self.sw,
                             self.booking(agencies, **over))
        self.assertEqual(st, 201, m)
        return m

    def get(self, mid, token=None):
        st, _, m = self.call("GET", "/api/v1/meetings/%d" % mid,
                             token or self.sw)
        self.assertEqual(st, 200, m)
        return m

    def history(self, mid, token=None):
        st, _, h = self.call("GET", "/api/v1/meetings/%d/history" % mid,
                             token or self.sw)
        self.assertEqual(st, 200, h)
        return h

    def part(self, m, key):
        """The participant of m who is the directory contact key."""
        for p in m["participants"]:
            if p.get("contact_id") == self.contact[key] and not p["removed"]:
                return p
        self.fail("no %s participant in %r" % (key, m["participants"]))

    def attendance_body(self, m, statuses=None, **extra):
        """statuses: {contact key: attendance}; everyone else attended."""
        statuses = statuses or {}
        by_id = {}
        for key in self.contact:
            for p in m["participants"]:
                if p.get("contact_id") == self.contact[key]:
                    by_id[p["id"]] = statuses.get(key, "attended")
        b = {"participants": [{"id": pid, "attendance": a}
                              for pid, a in by_id.items()],
             "child_views_recorded": False}
        b.update(extra)
        return b

    def attend(self, m, statuses=None, **extra):
        body = self.attendance_body(m, statuses, **extra)
        if any(a != "attended" for a in (statuses or {}).values()) and \
                "absence_reason" not in extra:
            body["absence_reason"] = "Could not attend; sent a report"
        st, _, r = self.call("PUT", "/api/v1/meetings/%d/attendance" %
                             m["id"], self.sw, body)
        self.assertEqual(st, 200, r)
        self.assertEqual(r["status"], "held")
        return r

    def held(self, agencies=("social_care", "police", "health"),
             statuses=None, **over):
        """Booked in the past and attendance recorded."""
        return self.attend(self.book(agencies, **over), statuses)

    # ---- the record ----------------------------------------------------------

    def record_body(self, m, decisions=None, **over):
        """A complete valid record for held meeting m: the attending
        social-care contact chairs; decisions: {child id: decision}
        (default s47_joint for every child)."""
        decisions = decisions or {}
        chair = over.pop("chair_participant_id", None) or \
            self.part(m, "social_care")["id"]
        b = {"chair_participant_id": chair,
             "concerns": ["physical_abuse", "neglect"],
             "agency_information": [
                 {"agency": "police", "information":
                  "Two call-outs to the address this year",
                  "checks": "complete", "received": "at_meeting",
                  "from": "PC Pat Police"}],
             "analysis": {"worries": "Unexplained bruising",
                          "strengths": "Engaged grandparent",
                          "gaps": "No GP information yet"},
             "children": [child_entry(c["id"],
                                      decisions.get(c["id"], "s47_joint"))
                          for c in m["children"]],
             "safety_plan": "Child to stay with grandparent tonight",
             "dissent": []}
        b.update(over)
        return b

    def put_record(self, mid, body, token=None):
        return self.call("PUT", "/api/v1/meetings/%d/record" % mid,
                         token or self.sw, body)

    def record_ok(self, mid, body, token=None):
        st, _, r = self.put_record(mid, body, token)
        self.assertEqual(st, 200, r)
        return r

    # ---- refusals ------------------------------------------------------------

    def state(self, mid):
        """Everything a refusal must leave as it was."""
        s = {"counts": ct.counts(self.db)}
        if mid is not None:
            s["meeting"] = self.call("GET", "/api/v1/meetings/%d" % mid,
                                     self.sw)[::2]
            s["history"] = self.call("GET", "/api/v1/meetings/%d/history" %
                                     mid, self.sw)[::2]
        return s

    def refused(self, mid, method, path, status, field, body, token=None):
        """Send it; assert the status, the error's field (a string, or a
        tuple of the acceptable names where the contract leaves it open)
        and a message; and that nothing changed. Returns the error."""
        before = self.state(mid)
        st, h, resp = self.call(method, path, token or self.sw, body)
        self.assertEqual(st, status, resp)
        self.assertIsInstance(resp, dict, resp)
        err = resp.get("error")
        self.assertIsInstance(err, dict, resp)
        if isinstance(field, tuple):
            self.assertIn(err.get("field"), field, err)
        else:
            self.assertEqual(err.get("field"), field, err)
        self.assertTrue(err.get("message"), err)
        self.assertEqual(self.state(mid), before, "a refusal changed state")
        return err

    def bad_record(self, m, field, body, status=422, token=None):
        return self.refused(m["id"], "PUT", "/api/v1/meetings/%d/record" %
                            m["id"], status, field, body, token)

    def bad_booking(self, field, body, status=422):
        return self.refused(None, "POST", "/api/v1/meetings", status, field,
                            body)
