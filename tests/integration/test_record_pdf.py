"""The record as a document: GET /meetings/{id}/record.pdf (signed-in pages)
and GET /api/v1/meetings/{id}/record.pdf (API), over HTTP against a real
PostgreSQL.

Books a strategy meeting in the past (two children, one unborn), records
attendance (health sent information in writing), writes the record through
PUT /api/v1/meetings/{id}/record, then downloads both PDFs and reads them
back with poppler's pdftotext: every section, the child's name, the
authority, the version. Before the record exists both answer 409 on
"record"; another team's social worker gets 404; the file name carries the
case reference only. Page 1 is rendered to PNG (pdftoppm) into
$CONVENE_TEST_OUTPUT_DIR/record-pdf/; CONVENE_UPDATE_SCREENSHOTS=1 copies it
to docs/screenshots/record-pdf.png.

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_record_pdf.py -v
"""

import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

CHILD = "Robin Pdfexample"
CASE_REF = "PDF-CASE-7"
SECTIONS = ("Record of the strategy discussion", "Attendance",
            "Category of concern", "Information from each agency",
            "Analysis", "Decisions for each child", "Safety plan",
            "Telling the family", "Dissent", "Actions", "Next review")


def london_past(days):
    """A local wall-clock time days ago, as the API takes it."""
    t = datetime.datetime.now() - datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT10:00")


def fetch(base, path, token=None, cookie=None):
    """GET path; (status, headers, bytes), the body left as bytes."""
    h = {}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if cookie is not None:
        h["Cookie"] = "%s=%s" % (ct.SESSION_COOKIE, cookie)
    req = urllib.request.Request(base + path, headers=h)
    try:
        with ct._opener.open(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
        e.close()
        return e.code, e.headers, body


def pdf_text(data):
    """pdftotext's reading of the PDF bytes, blanks collapsed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", f.name, "-"],
                             stdout=subprocess.PIPE, check=True).stdout
    return re.sub(r"[ \t\r\n]+", " ", out.decode("utf-8"))


class RecordPdfTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_record_pdf")
        pw = ct.add_user(cls.db, "pdf-sw", "social_worker", team="Pdf Team A")
        ct.add_user(cls.db, "pdf-sw-b", "social_worker", team="Pdf Team B")
        ct.add_user(cls.db, "pdf-mgr", "manager", team="Pdf Team A")
        ct.add_user(cls.db, "pdf-admin", "admin")
        cls.sw = ct.token(cls.db, "pdf-sw")
        cls.sw_b = ct.token(cls.db, "pdf-sw-b")
        cls.mgr = ct.token(cls.db, "pdf-mgr")
        cls.admin = ct.token(cls.db, "pdf-admin")
        cls.srv = ct.Server(cls.db)
        cls.cookie = ct.sign_in(cls.srv.base, "pdf-sw", pw)
        cls.contacts = {}
        for agency, name, org in (
                ("social_care", "Sam Chairperson", "Pdf Children's Services"),
                ("police", "DC Jo Pdf", "Pdf Police"),
                ("health", "Nurse Ade Pdf", "Pdf NHS Trust")):
            st, _, c = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                              token=cls.admin,
                              json={"name": name, "agency": agency,
                                    "email": "%s@pdf.example" % agency,
                                    "organisation": org, "role": "Lead"})
            assert st == 201, c
            cls.contacts[agency] = c["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def call(self, method, path, token=None, json=None):
        return ct.api(method, self.srv.base, path,
                      token=token if token is not None else self.sw,
                      json=json)

    # ---- a discussion, step by step ------------------------------------------

    def book(self):
        expected = (datetime.date.today() +
                    datetime.timedelta(days=90)).isoformat()
        st, _, m = self.call("POST", "/api/v1/meetings", json={
            "case_ref": CASE_REF,
            "children": [{"name": CHILD, "date_of_birth": "2017-06-01",
                          "legal_status": "child_in_need"},
                         {"unborn": True, "expected_date": expected}],
            "kind": "meeting", "reason": "Disclosure at school",
            "concern_received_at": london_past(3),
            "starts_at": london_past(2), "duration_minutes": 60,
            "format": "video",
            "participants": [{"contact_id": c}
                             for c in self.contacts.values()]})
        self.assertEqual(st, 201, m)
        return m

    def attend(self, m):
        st, _, m = self.call(
            "PUT", "/api/v1/meetings/%d/attendance" % m["id"], json={
                "participants": [
                    {"id": p["id"], "attendance": "contributed"
                     if p["agency"] == "health" else "attended"}
                    for p in m["participants"]],
                "child_views_recorded": False,
                "absence_reason": "The nurse was on a ward and sent her "
                                  "information in writing"})
        self.assertEqual(st, 200, m)
        return m

    def record_body(self, m):
        chair = next(p["id"] for p in m["participants"]
                     if p["agency"] == "social_care")
        born, unborn = m["children"][0]["id"], m["children"][1]["id"]
        return {
            "chair_participant_id": chair,
            "concerns": ["domestic_abuse", "other"],
            "concerns_other": "Parental substance misuse",
            "agency_information": [
                {"agency": "police", "information": "Two call-outs in 2026",
                 "checks": "complete", "received": "at_meeting",
                 "from": "DC Jo Pdf"},
                {"agency": "health", "information": "Missed antenatal care",
                 "checks": "partial", "received": "in_writing",
                 "from": "Nurse Ade Pdf"}],
            "analysis": {"worries": "Escalating violence",
                         "strengths": "A protective grandmother",
                         "gaps": "Father's history unknown"},
            "children": [
                {"child_id": born, "decision": "s47_joint",
                 "rationale": "Bruising the account does not explain",
                 "police_investigation": "yes", "medical": "urgent",
                 "plan_to_see": "Joint visit at school", "seen_alone": True,
                 "views": "Feels safe with her grandmother",
                 "parents": "delay", "parents_by": "DC Jo Pdf",
                 "parents_delay_reason": "Could prejudice the police "
                                         "investigation",
                 "consent_for_checks": "not_sought",
                 "consent_reason": "Would put the child at risk",
                 "next_step": "icpc"},
                {"child_id": unborn,
                 "decision": "no_s47_further_assessment",
                 "rationale": "Pre-birth assessment",
                 "next_step": "child_in_need"}],
            "safety_plan": "Grandmother checks on the children each "
                           "evening.",
            "dissent": [{"agency": "health",
                         "about": "Delaying telling the parents",
                         "escalated": True}]}

    # ---- the test -------------------------------------------------------------

    def pdf_path(self, m, api=True):
        return "%s/meetings/%d/record.pdf" % ("/api/v1" if api else "",
                                             m["id"])

    def check_no_record(self, m):
        st, _, body = self.call("GET", self.pdf_path(m))
        self.assertEqual(st, 409, body)
        self.assertEqual(body["error"]["field"], "record")
        st, _, _ = fetch(self.srv.base, self.pdf_path(m, api=False),
                         cookie=self.cookie)
        self.assertEqual(st, 409)

    def check_pdf(self, st, h, data, version):
        self.assertEqual(st, 200, data[:300])
        self.assertEqual(h["Content-Type"], "application/pdf")
        self.assertEqual(h["Content-Disposition"],
                         'attachment; filename="record-%s-v%d.pdf"' %
                         (CASE_REF, version))
        self.assertEqual(h["Cache-Control"], "no-store")
        self.assertEqual(data[:5], b"%PDF-")
        return pdf_text(data)

    def test_record_pdf(self):
        m = self.book()
        self.check_no_record(m)		# booked
        m = self.attend(m)
        self.check_no_record(m)		# held, no record yet
        st, _, m = self.call("PUT", "/api/v1/meetings/%d/record" % m["id"],
                             json=self.record_body(m))
        self.assertEqual(st, 200, m)
        version = m["record"]["version"]
        authority = ct.query(self.db, "SELECT a.name FROM authorities a "
                             "JOIN discussions d ON d.authority_id = a.id "
                             "WHERE d.id = %s", (m["id"],))[0][0]

        st, h, data = fetch(self.srv.base, self.pdf_path(m), token=self.sw)
        text = self.check_pdf(st, h, data, version)
        for s in SECTIONS + (CHILD, "Unborn baby (expected", authority,
                             CASE_REF, "Version %d" % version, "Draft",
                             "Sent information", "Sent in writing",
                             "Missed antenatal care",
                             "Section 47 enquiry, joint with police",
                             "Initial child protection conference",
                             "Telling parents delayed",
                             "Delaying telling the parents",
                             "Grandmother checks on the children",
                             "Page 1 of"):
            self.assertIn(s, text)
        # The download's name never carries the child.
        self.assertNotIn("Robin", h["Content-Disposition"])

        # The page route, signed in, gives the same document.
        st, h, web = fetch(self.srv.base, self.pdf_path(m, api=False),
                           cookie=self.cookie)
        self.assertEqual(self.check_pdf(st, h, web, version), text)
        # A manager of the authority reads it too.
        st, h, data = fetch(self.srv.base, self.pdf_path(m), token=self.mgr)
        self.check_pdf(st, h, data, version)
        # Another team's social worker: not found, on both routes.
        st, _, body = self.call("GET", self.pdf_path(m), token=self.sw_b)
        self.assertEqual(st, 404, body)
        self.assertEqual(body["error"]["code"], "not_found")
        self.assertNotIn(CHILD, str(body))
        st, _, _ = self.call("GET", "/api/v1/meetings/999999/record.pdf")
        self.assertEqual(st, 404)
        self.screenshot(web)

    def screenshot(self, data):
        out = os.path.join(os.environ.get("CONVENE_TEST_OUTPUT_DIR") or
                           ct.tmpdir("record-pdf-"), "record-pdf")
        os.makedirs(out, exist_ok=True)
        pdf = os.path.join(out, "record.pdf")
        with open(pdf, "wb") as f:
            f.write(data)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                        "-singlefile", pdf, os.path.join(out, "page-1")],
                       check=True)
        png = os.path.join(out, "page-1.png")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        print("record PDF page 1: %s" % png, file=sys.stderr)
        if os.environ.get("CONVENE_UPDATE_SCREENSHOTS") == "1":
            src = os.environ.get("CONVENE_SOURCE_DIR") or os.path.join(
                os.path.dirname(os.path.abspath(__file__)), "..", "..")
            shutil.copyfile(png, os.path.join(src, "docs", "screenshots",
                                              "record-pdf.png"))


if __name__ == "__main__":
    unittest.main()
