"""Bad input: each request gets the documented 4xx naming the field, and the
database is left exactly as it was (row counts of every table, the audit log
included, and the meeting under change read back unchanged).

Also the other side of the rule: SQL meta-characters and HTML/script in
names are valid input, stored verbatim and returned verbatim in JSON.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_bad_input.py -v
"""

import copy
import http.client
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

MAX_BODY = 256 * 1024
DELETE = object()	# in a mutation: remove the key


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


class BadInputTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_bad_input")
        ct.add_user(cls.db, "bad-admin", "admin")
        ct.add_user(cls.db, "bad-sw", "social_worker", team="Bad Team")
        cls.admin = ct.token(cls.db, "bad-admin")
        cls.sw = ct.token(cls.db, "bad-sw")
        cls.srv = ct.Server(cls.db)
        ids = {}
        for agency in ("social_care", "police", "health"):
            st, _, c = cls.req("POST", "/api/v1/contacts", cls.admin,
                               json={"name": "Bad %s" % agency,
                                     "email": "%s@bad.example" % agency,
                                     "agency": agency,
                                     "organisation": "Org %s" % agency})
            assert st == 201, c
            ids[agency] = c["id"]
        cls.create = {
            "case_ref": "SC-1",
            "children": [{"name": "Jamie Example",
                          "date_of_birth": "2019-04-01"}],
            "kind": "meeting", "reason": "Bruising reported by school",
            "concern_received_at": "2026-12-01T09:15",
            "starts_at": "2026-12-02T10:00", "duration_minutes": 60,
            "format": "video", "location": "https://meet.example/abc",
            "participants": [
                {"contact_id": ids["social_care"]},
                {"name": "DS Jane Smith", "email": "jane.smith@police.example",
                 "agency": "police", "organisation": "Northumbria Police",
                 "role": "Detective Sergeant"},
                {"contact_id": ids["health"]}]}
        cls.contact = {"name": "New Person", "email": "new@x.example",
                       "agency": "education", "organisation": "A School",
                       "role": "Designated safeguarding lead",
                       "phone": "0191 111 1111"}
        st, _, m = cls.req("POST", "/api/v1/meetings", cls.sw,
                           json=dict(cls.create, case_ref="SC-FIXTURE"))
        assert st == 201, m
        cls.meeting = m
        cls.mpath = "/api/v1/meetings/%d" % m["id"]
        cls.attend = {"participants": [{"id": p["id"],
                                        "attendance": "attended"}
                                       for p in m["participants"]],
                      "outcomes": [{"child": "Jamie Example",
                                    "decision": "s47_joint",
                                    "rationale": "Joint enquiry"}],
                      "child_views_recorded": False,
                      "actions": [{"what": "Visit", "owner": "Sam",
                                   "due": "2026-12-04"}]}

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    @classmethod
    def req(cls, method, path, token, **kw):
        return ct.api(method, cls.srv.base, path, token=token, **kw)

    # ---- the check ----------------------------------------------------------

    def refused(self, method, path, status, field, token=None, json=None,
                raw=None, headers=None):
        """Send it; assert status, error format and field, and that nothing
        changed."""
        before = ct.counts(self.db)
        st, h, body = self.req(method, path, token or self.sw, json=json,
                               raw=raw, headers=headers)
        self.assertEqual(st, status, body)
        self.assertTrue(h.get("Content-Type", "").startswith(
            "application/json"))
        self.assertIsInstance(body, dict, body)
        err = body["error"]
        self.assertEqual(set(err) - {"field"}, {"code", "message"}, err)
        self.assertEqual(err.get("field"), field, err)
        self.assertTrue(err["message"], err)
        if field is not None:
            # The message names the field first: "starts_at: must be ...".
            self.assertTrue(err["message"].startswith(field.split("[")[0]),
                            err)
        self.assertEqual(ct.counts(self.db), before)
        st, _, now = self.req("GET", self.mpath, self.sw)
        self.assertEqual(now, self.meeting)
        return err

    def bad_create(self, status, field, *changes):
        return self.refused("POST", "/api/v1/meetings", status, field,
                            json=mutate(self.create, *changes))

    # ---- missing and overlong ------------------------------------------------

    def test_missing_fields(self):
        for key in ("case_ref", "kind", "reason", "concern_received_at",
                    "starts_at", "format"):
            with self.subTest(missing=key):
                self.bad_create(422, key, ((key,), DELETE))
            with self.subTest(null=key):
                self.bad_create(422, key, ((key,), None))
            with self.subTest(empty=key):
                self.bad_create(422, key, ((key,), ""))
        # Answered like another team's case (issue 14: references cannot
        # be probed), so on case_ref.
        with self.subTest("a new case without children"):
            self.bad_create(422, "case_ref", (("case_ref",), "SC-NEW"),
                            (("children",), []))
        with self.subTest("child without a name"):
            self.bad_create(422, "children[0].name",
                            (("children", 0, "name"), DELETE))
        with self.subTest("blank name"):
            self.bad_create(422, "participants[1].name",
                            (("participants", 1, "name"), "  \t "))
        with self.subTest("participant without agency"):
            self.bad_create(422, "participants[1].agency",
                            (("participants", 1, "agency"), DELETE))
        for key in ("name", "email", "agency", "organisation"):
            with self.subTest(contact_missing=key):
                self.refused("POST", "/api/v1/contacts", 422, key,
                             token=self.admin,
                             json=mutate(self.contact, ((key,), DELETE)))
        self.refused("POST", self.mpath + "/cancel", 422, "reason", json={})
        b = dict(self.attend)
        del b["child_views_recorded"]
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "child_views_recorded", json=b)
        b = dict(self.attend)
        del b["participants"]
        self.refused("PUT", self.mpath + "/attendance", 422, "participants",
                     json=b)
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "actions[0].owner",
                     json=mutate(self.attend, (("actions", 0, "owner"),
                                               DELETE)))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "outcomes[0].decision",
                     json=mutate(self.attend, (("outcomes", 0, "decision"),
                                               DELETE)))

    def test_overlong_fields(self):
        cases = [
            (("reason",), 2000, "reason"),
            (("case_ref",), 40, "case_ref"),
            (("location",), 500, "location"),
            (("chair",), 200, "chair"),
            (("missing_agency_reason",), 2000, "missing_agency_reason"),
            (("children", 0, "name"), 200, "children[0].name"),
            (("participants", 1, "name"), 200, "participants[1].name"),
            (("participants", 1, "organisation"), 200,
             "participants[1].organisation"),
            (("participants", 1, "role"), 200, "participants[1].role"),
        ]
        for path, limit, field in cases:
            with self.subTest(field=field):
                # Characters, not bytes: "é" is two bytes in UTF-8.
                ch = "A" if path == ("case_ref",) else "é"
                self.bad_create(422, field, (path, ch * (limit + 1)))
        with self.subTest("email over 254"):
            self.bad_create(422, "participants[1].email",
                            (("participants", 1, "email"),
                             "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "org"))
        with self.subTest("61 participants"):
            p = self.create["participants"][1]
            self.bad_create(422, "participants", (("participants",), [
                dict(p, email="p%d@police.example" % i) for i in range(61)]))
        with self.subTest("13 children"):
            self.bad_create(422, "children", (("children",), [
                {"name": "Child %d" % i} for i in range(13)]))
        self.refused("POST", "/api/v1/contacts", 422, "phone",
                     token=self.admin,
                     json=mutate(self.contact, (("phone",), "1" * 41)))
        self.refused("POST", self.mpath + "/cancel", 422, "reason",
                     json={"reason": "x" * 2001})
        self.refused("PUT", self.mpath + "/attendance", 422, "child_views",
                     json=mutate(self.attend,
                                 (("child_views_recorded",), True),
                                 (("child_views",), "v" * 5001)))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "outcomes[0].rationale",
                     json=mutate(self.attend, (("outcomes", 0, "rationale"),
                                               "r" * 5001)))
        self.refused("PUT", self.mpath + "/attendance", 422, "actions",
                     json=mutate(self.attend, (("actions",), [
                         {"what": "a", "owner": "b"}] * 51)))

    def test_longest_allowed_values_are_accepted(self):
        """The limits are characters: exactly the limit, in two-byte
        characters, is fine."""
        b = mutate(self.create, (("case_ref",), "L" * 40),
                   (("reason",), "é" * 2000), (("chair",), "é" * 200),
                   (("location",), "é" * 500),
                   (("children", 0, "name"), "é" * 200),
                   (("participants", 1, "name"), "é" * 200))
        st, _, m = self.req("POST", "/api/v1/meetings", self.sw, json=b)
        self.assertEqual(st, 201, m)
        self.assertEqual(m["reason"], "é" * 2000)
        self.assertEqual(m["children"][0]["name"], "é" * 200)

    # ---- dates and times ------------------------------------------------------

    def test_invalid_and_impossible_times(self):
        for value in ("2026-02-30T10:00",	# no such day
                      "2026-12-02T25:00",	# no such hour
                      "2026-12-02T10:60",
                      "2026-12-02T24:00",
                      "2026-03-29T01:30",	# skipped when clocks go forward
                      "2026-13-01T10:00",
                      "2026-12-02",		# a date is not a time
                      "02/12/2026 10:00",
                      "tomorrow at ten",
                      "2026-12-02T10:00+25:00",
                      "2026-12-02T10:00:00.5Z",
                      "1812-12-02T10:00"):
            with self.subTest(starts_at=value):
                err = self.bad_create(422, "starts_at",
                                      (("starts_at",), value),
                                      (("concern_received_at",),
                                       "1970-01-02T00:00"))
                self.assertNotIn("<", err["message"])
        err = self.bad_create(422, "starts_at",
                              (("starts_at",), "2026-03-29T01:30"))
        self.assertIn("2026-03-29", err["message"])
        self.bad_create(422, "concern_received_at",
                        (("concern_received_at",), "2026-02-29T09:00"))
        self.bad_create(422, "children[0].date_of_birth",
                        (("children", 0, "date_of_birth"), "2019-02-29"))
        self.bad_create(422, "children[0].date_of_birth",
                        (("children", 0, "date_of_birth"), "01/04/2019"))
        self.refused("PUT", self.mpath + "/attendance", 422, "actions[0].due",
                     json=mutate(self.attend, (("actions", 0, "due"),
                                               "2026-02-30")))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "next_review_date",
                     json=dict(self.attend, next_review_date="2026-12-32"))
        self.refused("PATCH", self.mpath, 422, "starts_at",
                     json={"starts_at": "2026-03-29T01:59"})

    def test_end_before_start(self):
        self.bad_create(422, "ends_at", (("duration_minutes",), DELETE),
                        (("ends_at",), "2026-12-02T09:59"))
        self.bad_create(422, "ends_at", (("duration_minutes",), DELETE),
                        (("ends_at",), "2026-12-02T10:00"))
        self.bad_create(422, "ends_at", (("ends_at",), "2026-12-02T11:00"))
        self.bad_create(422, "ends_at", (("duration_minutes",), DELETE),
                        (("ends_at",), "2026-12-02T18:01"))	# > 8 hours
        for d in (0, 4, 481, -60):
            with self.subTest(duration_minutes=d):
                self.bad_create(422, "duration_minutes",
                                (("duration_minutes",), d))
        self.bad_create(422, "starts_at",
                        (("concern_received_at",), "2026-12-02T10:01"))
        self.refused("PATCH", self.mpath, 422, "ends_at",
                     json={"starts_at": "2026-12-02T12:00",
                           "ends_at": "2026-12-02T11:00"})

    # ---- values ------------------------------------------------------------------

    def test_unknown_values(self):
        self.bad_create(422, "participants[1].agency",
                        (("participants", 1, "agency"), "fire_service"))
        self.bad_create(422, "participants[1].agency",
                        (("participants", 1, "agency"), "Police"))
        self.bad_create(422, "participants[0].contact_id",
                        (("participants", 0, "contact_id"), 987654))
        self.bad_create(422, "kind", (("kind",), "conference"))
        self.bad_create(422, "format", (("format",), "carrier_pigeon"))
        self.bad_create(422, "case_ref", (("case_ref",), "SC 104233"))
        self.bad_create(422, "case_ref", (("case_ref",), "-SC1"))
        self.bad_create(422, "case_ref", (("case_ref",), "../etc"))
        self.refused("POST", "/api/v1/contacts", 422, "agency",
                     token=self.admin,
                     json=mutate(self.contact, (("agency",), "fire_service")))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "participants[0].attendance",
                     json=mutate(self.attend,
                                 (("participants", 0, "attendance"),
                                  "late")))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "outcomes[0].decision",
                     json=mutate(self.attend, (("outcomes", 0, "decision"),
                                               "s47")))
        self.refused("PATCH", self.mpath, 422, "add_participants[0].agency",
                     json={"add_participants": [{"name": "X",
                                                 "agency": "army"}]})

    def test_invalid_email(self):
        for value in ("jane.smith@", "@police.example", "jane smith@x.org",
                      "jane@@x.org", "jane@x", "jane@x..org", ".j@x.org",
                      "jane@-x.org", "jane@x.org\n", "<jane@x.org>",
                      "jane@x.org, bob@y.org"):
            with self.subTest(email=value):
                self.bad_create(422, "participants[1].email",
                                (("participants", 1, "email"), value))
                self.refused("POST", "/api/v1/contacts", 422, "email",
                             token=self.admin,
                             json=mutate(self.contact, (("email",), value)))

    def test_wrong_types(self):
        cases = [
            (("kind",), 1, "kind"),
            (("reason",), True, "reason"),
            (("reason",), ["a"], "reason"),
            (("starts_at",), 1765000000, "starts_at"),
            (("duration_minutes",), "60", "duration_minutes"),
            (("duration_minutes",), 60.5, "duration_minutes"),
            (("participants",), {"contact_id": 1}, "participants"),
            (("participants",), "everyone", "participants"),
            (("participants", 0), "Sam", "participants[0]"),
            (("participants", 0, "contact_id"), "12",
             "participants[0].contact_id"),
            (("participants", 0, "contact_id"), 0,
             "participants[0].contact_id"),
            (("children",), "Jamie", "children"),
            (("children", 0), "Jamie", "children"),
            (("children", 0, "date_of_birth"), 20190401,
             "children[0].date_of_birth"),
        ]
        for path, value, field in cases:
            with self.subTest(path=path, value=value):
                self.bad_create(422, field, (path, value))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "child_views_recorded",
                     json=dict(self.attend, child_views_recorded="no"))
        self.refused("PUT", self.mpath + "/attendance", 422, "participants",
                     json=dict(self.attend, participants={"1": "attended"}))
        self.refused("PUT", self.mpath + "/attendance", 422, "outcomes",
                     json=dict(self.attend, outcomes="s47_joint"))
        self.refused("PATCH", self.mpath, 422, "remove_participants",
                     json={"remove_participants": ["1"]})
        self.refused("PATCH", self.mpath, 422, "remove_participants",
                     json={"remove_participants": 1})
        self.refused("POST", "/api/v1/contacts", 422, "name",
                     token=self.admin,
                     json=mutate(self.contact, (("name",), {"first": "A"})))

    def test_control_characters(self):
        # One-line fields refuse control characters; JSON's \u0000 is not
        # even valid input for the parser.
        self.bad_create(422, "participants[1].name",
                        (("participants", 1, "name"), "Jane\u0007Smith"))
        self.bad_create(422, "participants[1].name",
                        (("participants", 1, "name"), "Jane\nSmith"))
        self.bad_create(422, "chair", (("chair",), "A\u007fB"))
        raw = json.dumps(self.create).replace("DS Jane Smith",
                                              "DS Jane\\u0000Smith")
        self.refused("POST", "/api/v1/meetings", 400, "body", raw=raw)
        raw = json.dumps(self.create).encode().replace(b"DS Jane Smith",
                                                       b"DS Jane\x00Smith")
        self.refused("POST", "/api/v1/meetings", 400, "body", raw=raw)

    # ---- the body as a whole ---------------------------------------------------

    def test_unknown_fields(self):
        self.bad_create(422, "colour", (("colour",), "red"))
        self.bad_create(422, "participants[0].nickname",
                        (("participants", 0, "nickname"), "Sammy"))
        self.bad_create(422, "children[0].age", (("children", 0, "age"), 7))
        self.bad_create(422, "status", (("status",), "held"))
        self.bad_create(422, "id", (("id",), 5))
        self.refused("PATCH", self.mpath, 422, "case_ref",
                     json={"case_ref": "SC-OTHER"})
        self.refused("PATCH", self.mpath, 422, "sequence",
                     json={"sequence": 10})
        self.refused("POST", self.mpath + "/cancel", 422, "when",
                     json={"reason": "r", "when": "now"})
        self.refused("PUT", self.mpath + "/attendance", 422, "status",
                     json=dict(self.attend, status="held"))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "actions[0].priority",
                     json=mutate(self.attend,
                                 (("actions", 0, "priority"), "high")))
        self.refused("PUT", self.mpath + "/attendance", 422,
                     "participants[0]",
                     json=mutate(self.attend,
                                 (("participants", 0, "note"), "late")))
        self.refused("POST", "/api/v1/contacts", 422, "active",
                     token=self.admin,
                     json=dict(self.contact, active=False))

    def test_invalid_json(self):
        for raw in (b'{"case_ref": ', b"", b"   ", b"null", b"[]", b'"text"',
                    b"42", b"{'case_ref': 'SC-1'}", b'{"a": 1,}',
                    b'{"a": 1} {"b": 2}', b"\xef\xbb\xbf{}", b"[" * 100000,
                    b'{"duration_minutes": 99999999999999999999999}'):
            with self.subTest(raw=raw[:40]):
                self.refused("POST", "/api/v1/meetings", 400, "body",
                             raw=raw)
        self.refused("PATCH", self.mpath, 400, "body", raw=b"{")
        self.refused("PUT", self.mpath + "/attendance", 400, "body",
                     raw=b"[1]")
        self.refused("POST", self.mpath + "/cancel", 400, "body", raw=b"")
        self.refused("POST", "/api/v1/contacts", 400, "body",
                     token=self.admin, raw=b"{")

    def test_invalid_utf8(self):
        base = json.dumps(self.create).encode()
        for bad in (b"\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80",
                    b"\xf4\x90\x80\x80", b"\xe2\x82"):
            with self.subTest(bytes=bad):
                raw = base.replace(b"DS Jane Smith", b"DS Jane" + bad)
                self.refused("POST", "/api/v1/meetings", 400, "body",
                             raw=raw)
        # A lone surrogate escape is not a character either.
        raw = base.replace(b"DS Jane Smith", b"DS Jane \\ud800")
        self.refused("POST", "/api/v1/meetings", 400, "body", raw=raw)

    def test_duplicate_keys(self):
        raw = json.dumps(self.create)[:-1] + ', "case_ref": "SC-OTHER"}'
        self.refused("POST", "/api/v1/meetings", 400, "body", raw=raw)
        raw = json.dumps(self.create).replace(
            '"name": "DS Jane Smith"',
            '"name": "DS Jane Smith", "name": "Someone Else"')
        self.refused("POST", "/api/v1/meetings", 400, "body", raw=raw)
        self.refused("POST", self.mpath + "/cancel", 400, "body",
                     raw='{"reason": "a", "reason": "b"}')

    def test_body_over_the_limit(self):
        pad = MAX_BODY + 1 - (len(json.dumps(self.create).encode()) -
                              len(self.create["reason"]))
        big = mutate(self.create, (("reason",), "x" * pad))
        raw = json.dumps(big).encode()
        self.assertEqual(len(raw), MAX_BODY + 1)
        self.refused("POST", "/api/v1/meetings", 413, None, raw=raw)
        self.refused("POST", "/api/v1/meetings", 413, None,
                     raw=b" " * (4 * MAX_BODY))
        self.refused("PUT", self.mpath + "/attendance", 413, None,
                     raw=b" " * (MAX_BODY + 1))
        before = ct.counts(self.db)
        # Chunked, with no length given at all.
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port,
                                          timeout=30)
        try:
            chunks = (b" " * 65536 for _ in range(5))
            conn.request("POST", "/api/v1/meetings", body=chunks,
                         headers={"Authorization": "Bearer " + self.sw,
                                  "Content-Type": "application/json"},
                         encode_chunked=True)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
            resp.read()
        finally:
            conn.close()
        self.assertEqual(ct.counts(self.db), before)

    def test_body_at_the_limit_is_accepted(self):
        body = mutate(self.create, (("case_ref",), "SC-LIMIT"))
        raw = json.dumps(body).encode()
        raw = raw[:-1] + b" " * (MAX_BODY - len(raw)) + b"}"
        self.assertEqual(len(raw), MAX_BODY)
        st, _, m = self.req("POST", "/api/v1/meetings", self.sw, raw=raw)
        self.assertEqual(st, 201, m)

    # A Content-Length over the limit is answered at once, before the
    # client has sent (and we have read) the body.
    def test_content_length_over_the_limit_answered_at_once(self):
        before = ct.counts(self.db)
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port,
                                          timeout=5)
        try:
            conn.putrequest("POST", "/api/v1/meetings")
            conn.putheader("Authorization", "Bearer " + self.sw)
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(10 * 1024 * 1024 * 1024))
            conn.endheaders()
            conn.send(b"{" * 1024)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
            self.assertEqual(json.loads(resp.read())["error"]["code"],
                             "too_large")
        finally:
            conn.close()
        self.assertEqual(ct.counts(self.db), before)

    def test_address_too_long(self):
        before = ct.counts(self.db)
        st, _, body = self.req("GET", "/api/v1/meetings/" + "1" * 3000,
                               self.sw)
        self.assertEqual(st, 414, body)
        self.assertEqual(body["error"]["code"], "uri_too_long")
        # A request line too big for the connection's memory: refused by
        # libmicrohttpd itself.
        st, _, body = self.req("GET", "/api/v1/meetings?case_ref=" +
                               "a" * 100000, self.sw)
        self.assertIn(st, (414, 431), body)
        self.assertEqual(ct.counts(self.db), before)

    # ---- valid, however it looks ------------------------------------------------

    def test_sql_and_html_are_stored_verbatim(self):
        nasty = {
            "reason": "Robert'); DROP TABLE discussions;-- \"quoted\" \\ %_",
            "child": "<script>alert('x')</script> & \"Jamie\"",
            "name": "O'Brien <b>bold</b> & co; SELECT * FROM users; --",
            "org": "Police' OR '1'='1",
            "role": "</td><img src=x onerror=alert(1)>",
            "location": "https://meet.example/?a=1&b=<2>",
            "chair": "Ms ${jndi:ldap://x} `rm -rf` $(id)",
            "missing": "é ü ñ 中文 \U0001F600 \u202e reversed",
        }
        body = mutate(self.create, (("case_ref",), "SC-NASTY"),
                      (("participants",), self.create["participants"][:2]),
                      (("reason",), nasty["reason"]),
                      (("children", 0, "name"), nasty["child"]),
                      (("participants", 1, "name"), nasty["name"]),
                      (("participants", 1, "organisation"), nasty["org"]),
                      (("participants", 1, "role"), nasty["role"]),
                      (("location",), nasty["location"]),
                      (("chair",), nasty["chair"]),
                      (("missing_agency_reason",), nasty["missing"]))
        before = ct.counts(self.db)
        st, _, m = self.req("POST", "/api/v1/meetings", self.sw, json=body)
        self.assertEqual(st, 201, m)
        after = ct.counts(self.db)
        self.assertEqual(after["discussions"], before["discussions"] + 1)
        st, raw_h, raw = self.req("GET", "/api/v1/meetings/%d" % m["id"],
                                  self.sw)
        self.assertEqual(st, 200)
        for got in (m, raw):
            self.assertEqual(got["reason"], nasty["reason"])
            self.assertEqual(got["children"][0]["name"], nasty["child"])
            p = got["participants"][1]
            self.assertEqual((p["name"], p["organisation"], p["role"]),
                             (nasty["name"], nasty["org"], nasty["role"]))
            self.assertEqual(got["location"], nasty["location"])
            self.assertEqual(got["chair"], nasty["chair"])
            self.assertEqual(got["missing_agency_reason"], nasty["missing"])
        self.assertEqual(ct.query(
            self.db, "SELECT d.reason, ch.name, p.name FROM discussions d "
            "JOIN children ch ON ch.case_id = d.case_id JOIN participants p "
            "ON p.discussion_id = d.id AND p.agency = 'police' WHERE d.id = %s",
            (m["id"],)),
            [(nasty["reason"], nasty["child"], nasty["name"])])
        # Tables all still there, and the list finds it by reference.
        self.assertEqual(set(ct.counts(self.db)), set(after))
        st, _, lst = self.req("GET", "/api/v1/meetings?case_ref=SC-NAS",
                              self.sw)
        self.assertEqual([x["id"] for x in lst["meetings"]], [m["id"]])
        # "_" in the reference filter is a character, not a LIKE wildcard.
        st, _, lst = self.req("GET", "/api/v1/meetings?case_ref=SC_N",
                              self.sw)
        self.assertEqual((st, lst["total"]), (200, 0))
        # A contact with the same kind of name.
        st, _, c = self.req("POST", "/api/v1/contacts", self.admin,
                            json=dict(self.contact, name=nasty["name"],
                                      organisation=nasty["org"],
                                      email="o'brien+tag@x.example"))
        self.assertEqual(st, 201, c)
        st, _, lst = self.req("GET", "/api/v1/contacts?agency=education",
                              self.sw)
        mine = [x for x in lst["contacts"] if x["id"] == c["id"]]
        self.assertEqual((mine[0]["name"], mine[0]["organisation"],
                          mine[0]["email"]),
                         (nasty["name"], nasty["org"], "o'brien+tag@x.example"))


if __name__ == "__main__":
    unittest.main()
