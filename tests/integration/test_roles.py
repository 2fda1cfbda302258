"""Role enforcement: every route of `convene routes` x every kind of caller.

ROUTES below is the access table: for each route, what each caller gets, and
how to call it. A route that `convene routes` lists and the table does not
(or the other way round) fails the test, so a new route cannot ship without
its row. To add one: a row with the expected result per caller and a request
builder (path and body for that caller; it may book a fresh meeting so that a
successful write does not disturb the next call).

Callers:
  sw_own    social worker of team A, which owns the meetings under test
  sw_other  social worker of team B, same authority
  manager   manager (team A), same authority: reads every team, books nothing
  admin     administrator: the directory and users, not case data
  mgr_far   manager of another authority: sees none of this authority's cases
  sw_far    social worker of another authority
  none      no credentials
  bad       a well-formed but unknown bearer token / session cookie
API routes (auth "token") are called with each caller's bearer token, pages
(auth "session", and public pages) with each caller's session cookie, signed
in through the sign-in form.

Expected results: a status code, or for pages
  OK     let through: not 401/403/404/405, no 5xx, not sent to sign in
  LOGIN  sent to sign in: 303 to /sign-in for GET, 401 otherwise

Run: CONVENE_BIN=build/convene /usr/bin/python3 tests/integration/test_roles.py -v
"""

import itertools
import hashlib
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convene_test as ct  # noqa: E402

CALLERS = ("sw_own", "sw_other", "manager", "admin", "mgr_far", "sw_far",
           "none", "bad")
SIGNED_IN = CALLERS[:6]
OK, LOGIN = "ok", "login"
BAD_SECRET = "0123456789abcdef" * 4


def row(sw_own, sw_other, manager, admin, mgr_far, sw_far, none, bad):
    return dict(zip(CALLERS, (sw_own, sw_other, manager, admin, mgr_far,
                              sw_far, none, bad)))


# Common rows for pages.
ANYONE = row(OK, OK, OK, OK, OK, OK, OK, OK)
SIGNED = row(OK, OK, OK, OK, OK, OK, LOGIN, LOGIN)
STAFF = row(OK, OK, OK, 403, OK, OK, LOGIN, LOGIN)
SW = row(OK, OK, 403, 403, 403, OK, LOGIN, LOGIN)
ADMIN = row(403, 403, 403, OK, 403, 403, LOGIN, LOGIN)
# Someone else's meeting is "not found" (its existence is not revealed).
READ_MEETING = row(OK, 404, OK, 403, 404, 404, LOGIN, LOGIN)
WRITE_MEETING = row(OK, 404, 403, 403, 403, 404, LOGIN, LOGIN)

# Routes whose 403 in the table is not about the role (every role may call
# them, but not this way): a bearer token may not make API tokens.
NOT_FOR_ROLE = {("POST", "/api/v1/account/tokens")}

CASE_REF = "ROLE-A-1"
CONF_REF = "ROLE-CONF-1"	# a case of team A only
STAFF_API = row(200, 200, 200, 403, 200, 200, 401, 401)
_n = itertools.count(1)


def meeting_body(t):
    return {"case_ref": CASE_REF,
            "children": [{"name": "Robin Roles",
                          "date_of_birth": "2018-05-05"}],
            "kind": "meeting", "reason": "Disclosure at school",
            "concern_received_at": "2026-12-01T09:00",
            "starts_at": "2026-12-02T10:00", "duration_minutes": 60,
            "format": "in_person", "location": "Civic Centre",
            "participants": [{"contact_id": c} for c in t.contacts]}


# Request builders: (test, caller) -> dict(path=, json= | form=, cookie=).
def fixed(path, **kw):
    return lambda t, c: dict(path=path, **kw)


def fresh(suffix="", **kw):
    """A new meeting of team A (for changes)."""
    return lambda t, c: dict(path="/api/v1/meetings/%d%s" %
                             (t.book()["id"], suffix), **kw)


def seen(suffix=""):
    """A meeting of team A to read (the same one each time)."""
    return lambda t, c: dict(path="/api/v1/meetings/%d%s" %
                             (t.shared()["id"], suffix))


def page(suffix="", **kw):
    """A page of a meeting of team A: a new one for forms that change it."""
    if "form" not in kw:
        return lambda t, c: dict(path="/meetings/%d%s" % (t.shared()["id"],
                                                          suffix))
    return lambda t, c: dict(path="/meetings/%d%s" % (t.book()["id"],
                                                      suffix), **kw)


def held_page(suffix):
    return lambda t, c: dict(path="/meetings/%d%s" % (
        t.shared(held=True)["id"], suffix))


def record_pdf(prefix):
    """The PDF of a meeting of team A whose record is written."""
    return lambda t, c: dict(path="%s/meetings/%d/record.pdf" % (
        prefix, t.recorded()["id"]))


def api_attendance(t, c):
    m = t.book()
    return dict(path="/api/v1/meetings/%d/attendance" % m["id"],
                json={"participants": [{"id": p["id"],
                                        "attendance": "attended"}
                                       for p in m["participants"]],
                      "child_views_recorded": False})


def sign_in_post(t, c):
    """The sign-in form, submitted properly: the caller's own account for
    signed-in callers, an unknown one otherwise."""
    st, h, _ = ct.api("GET", t.srv.base, "/sign-in")
    token = ct._cookie(h, ct.SIGNIN_COOKIE)
    user, pw = t.accounts.get(c, ("nobody-here", "not-a-password"))
    return dict(path="/sign-in", form={"username": user, "password": pw,
                                       "csrf_token": token},
                cookies={ct.SIGNIN_COOKIE: token}, no_csrf=True)


def sign_out_post(t, c):
    """Signing out ends the session: use a throwaway one."""
    if c not in t.accounts:
        return dict(path="/sign-out", form={})
    cookie = ct.sign_in(t.srv.base, *t.accounts[c])
    return dict(path="/sign-out", form={}, cookie=cookie,
                csrf=ct.session_csrf(t.db, cookie))


def own_session(path):
    """A form POST to path(t) from a session signed in just now."""
    def build(t, c):
        if c not in t.accounts:
            return dict(path=path(t), form={})
        cookie = ct.sign_in(t.srv.base, *t.accounts[c])
        return dict(path=path(t), form={}, cookie=cookie,
                    csrf=ct.session_csrf(t.db, cookie))
    return build


ROUTES = {
    # ---- public ---------------------------------------------------------
    ("GET", "/healthz"): (row(*[200] * 8), fixed("/healthz")),
    ("GET", "/metrics"): (ANYONE, fixed("/metrics")),
    ("GET", "/assets/*"): (row(*[200] * 8),
                           fixed("/assets/convene/convene.css")),
    ("GET", "/sign-in"): (ANYONE, fixed("/sign-in")),
    ("POST", "/sign-in"): (ANYONE, sign_in_post),
    # Single sign-on is public and answers every caller alike: here no
    # provider is set up (404 on the authority) and a callback without the
    # browser's state is refused (400). tests/integration/test_oidc.py
    # drives both against a real provider.
    ("GET", "/sign-in/sso"): (row(*[404] * 8),
                              fixed("/sign-in/sso?authority=default")),
    ("GET", "/sign-in/sso/callback"):
        (row(*[400] * 8), fixed("/sign-in/sso/callback?code=x&state=y")),
    # The second step of signing in belongs to a password just accepted
    # (the convene_mfa state, test_mfa.py): without it, back to the start,
    # whoever is signed in.
    ("GET", "/sign-in/code"): (row(*[LOGIN] * 8), fixed("/sign-in/code")),
    ("POST", "/sign-in/code"): (row(*[303] * 8), fixed(
        "/sign-in/code", form={"code": "123456"}, no_csrf=True)),
    # ---- JSON API (bearer tokens) -----------------------------------------
    # sw_other: the case belongs to team A, answered like an unknown case
    # (422 on case_ref, so references cannot be probed); sw_far: the same
    # reference in another authority is another case.
    ("POST", "/api/v1/meetings"):
        (row(201, 422, 403, 403, 403, 201, 401, 401),
         lambda t, c: dict(path="/api/v1/meetings", json=meeting_body(t))),
    ("GET", "/api/v1/meetings"):
        (row(200, 200, 200, 403, 200, 200, 401, 401),
         fixed("/api/v1/meetings")),
    ("GET", "/api/v1/meetings/{id}"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), seen()),
    ("PATCH", "/api/v1/meetings/{id}"):
        (row(200, 404, 403, 403, 403, 404, 401, 401),
         fresh(json={"location": "Room 4"})),
    ("POST", "/api/v1/meetings/{id}/cancel"):
        (row(200, 404, 403, 403, 403, 404, 401, 401),
         fresh("/cancel", json={"reason": "No longer needed"})),
    ("PUT", "/api/v1/meetings/{id}/attendance"):
        (row(200, 404, 403, 403, 403, 404, 401, 401), api_attendance),
    # A held meeting and an empty record: the team's social worker gets as
    # far as checking the body (422); everyone else is stopped before.
    ("PUT", "/api/v1/meetings/{id}/record"):
        (row(422, 404, 422, 403, 404, 404, 401, 401),
         lambda t, c: dict(path="/api/v1/meetings/%d/record" %
                           t.shared(held=True)["id"], json={})),
    ("GET", "/api/v1/meetings/{id}/history"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), seen("/history")),
    ("GET", "/api/v1/meetings/{id}/invite.ics"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), seen("/invite.ics")),
    ("GET", "/api/v1/meetings/{id}/invites"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), seen("/invites")),
    ("GET", "/api/v1/meetings/{id}/record.pdf"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), record_pdf("/api/v1")),
    ("GET", "/api/v1/meetings/{id}/deliveries"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), seen("/deliveries")),
    # The mail gateway's REPLY intake: an admin token (their authority's
    # meetings only) or the mail_gateway role (test_mail_gateway_...); not
    # a calendar here, so refused as input, not for the role.
    ("POST", "/api/v1/itip"):
        (row(403, 403, 403, OK, 403, 403, 401, 401), fixed(
            "/api/v1/itip", raw=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            headers={"Content-Type": "text/calendar"})),
    ("GET", "/api/v1/itip/inbox"):
        (row(403, 403, 403, 200, 403, 403, 401, 401),
         fixed("/api/v1/itip/inbox")),
    ("POST", "/api/v1/feeds"):
        (row(403, 403, 403, 201, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/feeds", json={"contact_id": t.spare_contact})),
    ("GET", "/api/v1/feeds"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), fixed("/api/v1/feeds")),
    ("DELETE", "/api/v1/feeds/{id}"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/feeds/%d" % t.feed())),
    # The invite's signed token is the credential, whoever else one is: a
    # forged one gets nowhere.
    ("GET", "/rsvp/{token}/{answer}"):
        (row(*[404] * 8), fixed("/rsvp/%s/accept" % BAD_SECRET)),
    ("POST", "/rsvp/{token}/{answer}"):
        (row(*[404] * 8), fixed("/rsvp/%s/accept" % BAD_SECRET, form={},
                                no_csrf=True)),
    ("GET", "/feeds/{file}"):
        (row(*[404] * 8), fixed("/feeds/%s.ics" % BAD_SECRET)),
    # Partners (issue 13) are not users: no staff session or token opens
    # their pages. Without a partner session, or with a forged pack token,
    # every caller gets 404 (tests/integration/test_partner.py signs a
    # partner in and checks what they may do).
    ("GET", "/partner"): (row(*[404] * 8), fixed("/partner")),
    ("GET", "/partner/authenticator"):
        (row(*[404] * 8), fixed("/partner/authenticator")),
    ("POST", "/partner/authenticator"):
        (row(*[404] * 8), fixed("/partner/authenticator",
                                form={"code": "123456"})),
    ("POST", "/partner/sign-out"):
        (row(*[404] * 8), fixed("/partner/sign-out", form={})),
    ("GET", "/partner/meetings/{id}"):
        (row(*[404] * 8), lambda t, c: dict(
            path="/partner/meetings/%d" % t.shared()["id"])),
    ("POST", "/partner/meetings/{id}/information"):
        (row(*[404] * 8), lambda t, c: dict(
            path="/partner/meetings/%d/information" % t.shared()["id"],
            form={"information": "x", "checks": "complete",
                  "from_whom": "x"})),
    ("POST", "/partner/meetings/{id}/reply"):
        (row(*[404] * 8), lambda t, c: dict(
            path="/partner/meetings/%d/reply" % t.shared()["id"],
            form={"answer": "accept"})),
    ("POST", "/partner/meetings/{id}/record-check"):
        (row(*[404] * 8), lambda t, c: dict(
            path="/partner/meetings/%d/record-check" % t.shared()["id"],
            form={"check": "accurate"})),
    ("POST", "/partner/meetings/{id}/actions/{aid}/done"):
        (row(*[404] * 8), lambda t, c: dict(
            path="/partner/meetings/%d/actions/1/done" % t.shared()["id"],
            form={})),
    ("GET", "/partner/{token}"):
        (row(*[404] * 8), fixed("/partner/%s" % BAD_SECRET)),
    ("POST", "/partner/{token}/code"):
        (row(*[404] * 8), fixed("/partner/%s/code" % BAD_SECRET, form={},
                                no_csrf=True)),
    ("POST", "/partner/{token}/sign-in"):
        (row(*[404] * 8), fixed("/partner/%s/sign-in" % BAD_SECRET,
                                form={"code": "123456"}, no_csrf=True)),
    # Partner single sign-on (test_partner_sso.py signs a partner in): a
    # forged pack token opens nothing; a callback without a pending
    # sign-in of this browser is 400 for everybody, staff sessions
    # included.
    ("GET", "/partner/{token}/sso"):
        (row(*[404] * 8), fixed("/partner/%s/sso" % BAD_SECRET)),
    ("GET", "/partner/sso/callback"):
        (row(*[400] * 8), fixed("/partner/sso/callback?code=x&state=y")),
    # ---- statistics, reviews, conferences, bank holidays ------------------
    ("GET", "/api/v1/stats"): (STAFF_API, fixed("/api/v1/stats")),
    ("GET", "/api/v1/stats.csv"): (STAFF_API, fixed("/api/v1/stats.csv")),
    ("GET", "/api/v1/stats/discussions"):
        (STAFF_API, fixed("/api/v1/stats/discussions")),
    ("GET", "/api/v1/stats/discussions.csv"):
        (STAFF_API, fixed("/api/v1/stats/discussions.csv")),
    ("GET", "/api/v1/stats/section47"):
        (STAFF_API, fixed("/api/v1/stats/section47")),
    ("GET", "/api/v1/stats/section47.csv"):
        (STAFF_API, fixed("/api/v1/stats/section47.csv")),
    ("GET", "/api/v1/stats/cin-census.csv"):
        (STAFF_API, fixed("/api/v1/stats/cin-census.csv")),
    ("GET", "/api/v1/meetings/{id}/review"):
        (row(200, 404, 200, 403, 404, 404, 401, 401),
         lambda t, c: dict(path="/api/v1/meetings/%d/review" %
                           t.shared(held=True)["id"])),
    ("POST", "/api/v1/meetings/{id}/review"):
        (row(403, 403, 200, 403, 404, 403, 401, 401),
         lambda t, c: dict(path="/api/v1/meetings/%d/review" %
                           t.held(partial=True)["id"],
                           json={"decision": "agree"})),
    ("POST", "/api/v1/meetings/{id}/sign-off"):
        (row(403, 403, 200, 403, 404, 403, 401, 401),
         lambda t, c: dict(path="/api/v1/meetings/%d/sign-off" %
                           t.held()["id"], json={"note": "Checked"})),
    # ---- authorisation (tests/integration/test_authorisation.py) ----------
    ("POST", "/api/v1/meetings/{id}/record/submit"):
        (row(200, 404, 403, 403, 403, 404, 401, 401), lambda t, c: dict(
            path="/api/v1/meetings/%d/record/submit" % t.new_record()["id"],
            json={})),
    ("POST", "/api/v1/meetings/{id}/authorisation"):
        (row(403, 403, 200, 403, 404, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/meetings/%d/authorisation" %
            t.new_record(submitted=True)["id"],
            json={"oversight": "Agreed"})),
    ("GET", "/api/v1/meetings/{id}/record/versions"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), lambda t, c: dict(
            path="/api/v1/meetings/%d/record/versions" % t.recorded()["id"])),
    # ---- Section 47 enquiries (tests/integration/test_enquiries.py: who
    # sees which; here the roles) ----------------------------------------------
    ("GET", "/api/v1/enquiries"): (STAFF_API, fixed("/api/v1/enquiries")),
    ("GET", "/api/v1/enquiries/{id}"):
        (row(404, 404, 404, 403, 404, 404, 401, 401),
         fixed("/api/v1/enquiries/999999")),
    ("PATCH", "/api/v1/enquiries/{id}"):
        (row(404, 404, 404, 403, 404, 404, 401, 401),
         fixed("/api/v1/enquiries/999999", json={})),
    # ---- actions (tests/integration/test_actions.py) ------------------------
    ("GET", "/api/v1/actions"): (STAFF_API, fixed("/api/v1/actions")),
    ("PATCH", "/api/v1/actions/{id}"):
        (row(404, 404, 404, 403, 404, 404, 401, 401),
         fixed("/api/v1/actions/999999", json={"status": "done"})),
    ("GET", "/api/v1/reviews/due"): (STAFF_API,
                                    fixed("/api/v1/reviews/due")),
    ("POST", "/api/v1/meetings/{id}/approval"):
        (row(403, 403, 409, 403, 404, 403, 401, 401),
         fresh("/approval", json={"decision": "approve"})),
    ("GET", "/api/v1/cases/*"):
        (row(200, 404, 200, 403, 404, 404, 401, 401),
         fixed("/api/v1/cases/%s/conference" % CONF_REF)),
    ("PUT", "/api/v1/cases/*"):
        (row(200, 404, 200, 403, 404, 404, 401, 401),
         fixed("/api/v1/cases/%s/conference" % CONF_REF,
               json={"not_required": True})),
    ("POST", "/api/v1/cases/*"):
        (row(200, 404, 200, 403, 404, 404, 401, 401),
         fixed("/api/v1/cases/%s/conference" % CONF_REF,
               json={"not_required": True})),
    # ---- teams: front doors (tests/integration/test_case_transfer.py) ------
    ("GET", "/api/v1/teams"):
        (row(200, 200, 200, 200, 200, 200, 401, 401), fixed("/api/v1/teams")),
    ("PATCH", "/api/v1/teams/{id}"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/teams/%d" % ct.query(
                t.db, "SELECT min(id) FROM teams WHERE authority_id = %s",
                (t.authority,))[0][0],
            json={"front_door": False})),
    ("GET", "/api/v1/bank-holidays"):
        (row(200, 200, 200, 200, 200, 200, 401, 401),
         fixed("/api/v1/bank-holidays")),
    ("PUT", "/api/v1/bank-holidays/{date}"):
        (row(403, 403, 403, 201, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/bank-holidays/%s" % t.holiday_date(),
            json={"name": "Roles Day"})),
    ("DELETE", "/api/v1/bank-holidays/{date}"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/bank-holidays/%s" % t.holiday())),
    ("GET", "/api/v1/contacts"):
        (row(200, 200, 200, 200, 200, 200, 401, 401),
         fixed("/api/v1/contacts")),
    ("POST", "/api/v1/contacts"):
        (row(403, 403, 403, 201, 403, 403, 401, 401),
         lambda t, c: dict(path="/api/v1/contacts", json={
             "name": "Role Contact", "email": "role%d@example.org" % next(_n),
             "agency": "other", "organisation": "Role Org"})),
    # ---- duty contacts and chasers (docs/chasers.md) ---------------------
    # The rota is directory data: everyone signed in reads it, the admins
    # of the authority that added the organisation change it.
    ("GET", "/api/v1/organisations/{id}/rota"):
        (row(200, 200, 200, 200, 200, 200, 401, 401), lambda t, c: dict(
            path="/api/v1/organisations/%d/rota" % t.spare_org)),
    ("PUT", "/api/v1/organisations/{id}/rota"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/organisations/%d/rota" % t.spare_org,
            json={"duty_email": "duty@role-org.example"})),
    ("GET", "/api/v1/directory/on-duty"):
        (row(200, 200, 200, 200, 200, 200, 401, 401),
         fixed("/api/v1/directory/on-duty")),
    ("GET", "/api/v1/meetings/{id}/chases"):
        (row(200, 404, 200, 403, 404, 404, 401, 401), seen("/chases")),
    ("POST", "/api/v1/meetings/{id}/calls"):
        (row(201, 404, 201, 403, 404, 404, 401, 401),
         fresh("/calls", json={"agency": "health", "called_at":
                               "2026-12-01T10:00", "spoke_to": "Duty desk",
                               "outcome": "no_answer"})),
    ("GET", "/api/v1/stats/acceptance"):
        (STAFF_API, fixed("/api/v1/stats/acceptance")),
    ("GET", "/api/v1/stats/acceptance.csv"):
        (STAFF_API, fixed("/api/v1/stats/acceptance.csv")),
    # ---- authority settings: the admins of that authority only -------------
    # (another authority's admin gets 404: tests/integration/test_statutory.py)
    ("GET", "/api/v1/authorities/{id}/settings"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/authorities/%d/settings" % t.authority)),
    ("PUT", "/api/v1/authorities/{id}/settings"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/authorities/%d/settings" % t.authority,
            json={"statutory_agencies": ["social_care", "police", "health"],
                  "discussion_target_working_days": 1})),
    # ---- accounts (issue 14): one's own tokens and password; an admin's
    # users, of their own authority only (another authority's user is 404:
    # tests/integration/test_auth_accounts.py) --------------------------------
    ("GET", "/api/v1/account/tokens"):
        (row(200, 200, 200, 200, 200, 200, 401, 401),
         fixed("/api/v1/account/tokens")),
    # Called with a bearer token: a token may not make tokens.
    ("POST", "/api/v1/account/tokens"):
        (row(403, 403, 403, 403, 403, 403, 401, 401),
         fixed("/api/v1/account/tokens", json={})),
    ("DELETE", "/api/v1/account/tokens/{id}"):
        (row(404, 404, 404, 404, 404, 404, 401, 401),
         fixed("/api/v1/account/tokens/999999")),
    ("POST", "/api/v1/account/password"):
        (row(422, 422, 422, 422, 422, 422, 401, 401),
         fixed("/api/v1/account/password", json={})),
    ("GET", "/api/v1/users"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), fixed("/api/v1/users")),
    ("POST", "/api/v1/users/{id}/deactivate"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/users/%d/deactivate" % t.spare_user)),
    ("POST", "/api/v1/users/{id}/reactivate"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/users/%d/reactivate" % t.spare_user)),
    ("POST", "/api/v1/users/{id}/password-reset"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/users/%d/password-reset" % t.spare_user)),
    ("GET", "/api/v1/users/{id}/tokens"):
        (row(403, 403, 403, 200, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/users/%d/tokens" % t.spare_user)),
    ("DELETE", "/api/v1/users/{id}/tokens/{tid}"):
        (row(403, 403, 403, 404, 403, 403, 401, 401), lambda t, c: dict(
            path="/api/v1/users/%d/tokens/999999" % t.spare_user)),
    # ---- pages (session cookie; POSTs carry the CSRF token) ----------------
    ("GET", "/account/password"): (SIGNED, fixed("/account/password")),
    # An empty form: the page again, with errors; nothing changes.
    ("POST", "/account/password"): (SIGNED, fixed("/account/password",
                                                  form={})),
    ("POST", "/sign-out"): (SIGNED, sign_out_post),
    ("GET", "/"): (SIGNED, fixed("/")),
    ("GET", "/meetings"): (STAFF, fixed("/meetings")),
    ("GET", "/meetings/new"): (SW, fixed("/meetings/new")),
    ("POST", "/meetings/new"): (SW, fixed("/meetings/new", form={})),
    ("GET", "/meetings/{id}"): (READ_MEETING, page()),
    ("GET", "/meetings/{id}/booked"): (READ_MEETING, page("/booked")),
    ("GET", "/meetings/{id}/reschedule"): (WRITE_MEETING,
                                           page("/reschedule")),
    ("POST", "/meetings/{id}/reschedule"): (WRITE_MEETING,
                                            page("/reschedule", form={})),
    ("GET", "/meetings/{id}/invitees"): (WRITE_MEETING, page("/invitees")),
    ("POST", "/meetings/{id}/invitees"): (WRITE_MEETING,
                                          page("/invitees", form={})),
    ("GET", "/meetings/{id}/cancel"): (WRITE_MEETING, page("/cancel")),
    ("POST", "/meetings/{id}/cancel"): (WRITE_MEETING,
                                        page("/cancel", form={})),
    ("GET", "/meetings/{id}/attendance"): (WRITE_MEETING,
                                           page("/attendance")),
    ("POST", "/meetings/{id}/attendance"): (WRITE_MEETING,
                                            page("/attendance", form={})),
    ("GET", "/meetings/{id}/record.pdf"): (READ_MEETING, record_pdf("")),
    ("GET", "/meetings/{id}/record"): (WRITE_MEETING,
                                       held_page("/record")),
    ("POST", "/meetings/{id}/record"): (WRITE_MEETING,
                                        page("/record", form={})),
    ("POST", "/meetings/{id}/actions/{aid}"):
        (row(404, 404, 404, 403, 404, 404, LOGIN, LOGIN),
         page("/actions/999999", form={"status": "done"})),
    ("POST", "/meetings/{id}/calls"): (READ_MEETING,
                                       page("/calls", form={})),
    ("POST", "/meetings/{id}/approval"):
        (row(403, 403, OK, 403, 404, 403, LOGIN, LOGIN),
         page("/approval", form={"decision": "approve"})),
    ("POST", "/meetings/{id}/record/submit"): (WRITE_MEETING,
                                               page("/record/submit",
                                                    form={})),
    ("POST", "/meetings/{id}/authorisation"):
        (row(403, 403, OK, 403, 404, 403, LOGIN, LOGIN),
         page("/authorisation", form={})),
    ("GET", "/meetings/{id}/recorded"): (READ_MEETING,
                                         held_page("/recorded")),
    ("GET", "/enquiries/{id}"):
        (row(404, 404, 404, 403, 404, 404, LOGIN, LOGIN),
         fixed("/enquiries/999999")),
    ("POST", "/enquiries/{id}"):
        (row(404, 404, 404, 403, 404, 404, LOGIN, LOGIN),
         fixed("/enquiries/999999", form={})),
    # A case: its team and managers of its authority (a transfer with no
    # reference is no such case).
    ("GET", "/case"): (READ_MEETING, fixed("/case?ref=" + CASE_REF)),
    ("POST", "/case/transfer"):
        (row(404, 404, 404, 403, 404, 404, LOGIN, LOGIN),
         fixed("/case/transfer", form={})),
    ("GET", "/directory"): (SIGNED, fixed("/directory")),
    ("GET", "/directory/contacts/new"): (ADMIN,
                                         fixed("/directory/contacts/new")),
    ("POST", "/directory/contacts/new"): (ADMIN, fixed(
        "/directory/contacts/new", form={})),
    ("GET", "/directory/contacts/{id}"): (ADMIN, lambda t, c: dict(
        path="/directory/contacts/%d" % t.spare_contact)),
    ("POST", "/directory/contacts/{id}"): (ADMIN, lambda t, c: dict(
        path="/directory/contacts/%d" % t.spare_contact, form={})),
    # Nothing to turn off for the spare contact: 404 for its admin.
    ("POST", "/directory/contacts/{id}/authenticator-reset"):
        (row(403, 403, 403, 404, 403, 403, LOGIN, LOGIN),
         lambda t, c: dict(path="/directory/contacts/%d/authenticator-reset"
                           % t.spare_contact, form={})),
    ("GET", "/directory/organisations/new"): (ADMIN, fixed(
        "/directory/organisations/new")),
    ("POST", "/directory/organisations/new"): (ADMIN, fixed(
        "/directory/organisations/new", form={})),
    ("GET", "/directory/organisations/{id}/rota"): (ADMIN, lambda t, c: dict(
        path="/directory/organisations/%d/rota" % t.spare_org)),
    ("POST", "/directory/organisations/{id}/rota"): (ADMIN, lambda t, c: dict(
        path="/directory/organisations/%d/rota" % t.spare_org, form={})),
    ("GET", "/directory/organisations/{id}"): (ADMIN, lambda t, c: dict(
        path="/directory/organisations/%d" % t.spare_org)),
    ("POST", "/directory/organisations/{id}"): (ADMIN, lambda t, c: dict(
        path="/directory/organisations/%d" % t.spare_org, form={})),
    # Statistics pages: managers review and sign off; another authority's
    # manager finds no such discussion.
    ("GET", "/stats"): (STAFF, fixed("/stats")),
    ("GET", "/stats/discussions"): (STAFF, fixed("/stats/discussions")),
    ("GET", "/stats/discussions/{id}/review"):
        (row(403, 403, OK, 403, 404, 403, LOGIN, LOGIN), lambda t, c: dict(
            path="/stats/discussions/%d/review" % t.shared(held=True)["id"])),
    # These sort after POST /sign-in, which ends the table's sessions: a
    # session of their own, as for sign-out.
    ("POST", "/stats/discussions/{id}/review"):
        (row(403, 403, OK, 403, 404, 403, LOGIN, LOGIN), own_session(
            lambda t: "/stats/discussions/%d/review" %
            t.shared(held=True)["id"])),
    ("POST", "/stats/discussions/{id}/sign-off"):
        (row(403, 403, OK, 403, 404, 403, LOGIN, LOGIN), own_session(
            lambda t: "/stats/discussions/%d/sign-off" % t.held()["id"])),
    ("GET", "/admin/users"): (ADMIN, fixed("/admin/users")),
    ("GET", "/admin/users/new"): (ADMIN, fixed("/admin/users/new")),
    ("POST", "/admin/users/new"): (ADMIN, fixed("/admin/users/new",
                                                form={})),
    ("POST", "/admin/teams"): (ADMIN, fixed("/admin/teams", form={})),
    ("POST", "/admin/teams/{id}/front-door"): (ADMIN, fixed(
        "/admin/teams/999999/front-door", form={})),
    ("POST", "/admin/users/{id}/deactivate"): (ADMIN, lambda t, c: dict(
        path="/admin/users/%d/deactivate" % t.spare_user, form={})),
    ("POST", "/admin/users/{id}/reactivate"): (ADMIN, lambda t, c: dict(
        path="/admin/users/%d/reactivate" % t.spare_user, form={})),
    ("POST", "/admin/users/{id}/password-reset"): (ADMIN, lambda t, c: dict(
        path="/admin/users/%d/password-reset" % t.spare_user, form={})),
    ("POST", "/admin/users/{id}/mfa-reset"): (ADMIN, lambda t, c: dict(
        path="/admin/users/%d/mfa-reset" % t.spare_user, form={})),
    # Two-step sign-in, one's own: without a code, 422 naming it.
    ("GET", "/account/mfa"): (SIGNED, fixed("/account/mfa")),
    ("POST", "/account/mfa"): (SIGNED, fixed("/account/mfa", form={})),
    ("POST", "/account/mfa/recovery-codes"): (SIGNED, fixed(
        "/account/mfa/recovery-codes", form={})),
    ("POST", "/account/mfa/disable"): (SIGNED, fixed("/account/mfa/disable",
                                                     form={})),
    ("GET", "/admin/settings"): (ADMIN, fixed("/admin/settings")),
    ("POST", "/admin/settings"): (ADMIN, fixed("/admin/settings", form={})),
}


class RolesTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.db = ct.fresh_database("convene_it_roles")
        users = (("r-sw-a", "social_worker", "Team A", None),
                 ("r-sw-b", "social_worker", "Team B", None),
                 ("r-mgr", "manager", "Team A", None),
                 ("r-admin", "admin", None, None),
                 ("r-mgr-far", "manager", "Far Team", "farshire"),
                 ("r-sw-far", "social_worker", "Far Team", "farshire"))
        cls.accounts = {}
        for caller, (name, role, team, authority) in zip(SIGNED_IN, users):
            cls.accounts[caller] = (name, ct.add_user(
                cls.db, name, role, team=team, authority=authority))
        cls.authority = ct.query(cls.db, "SELECT authority_id FROM users "
                                 "WHERE username = 'r-admin'")[0][0]
        # For the admin's account routes to act on.
        ct.add_user(cls.db, "r-spare", "social_worker", team="Team A")
        cls.spare_user = ct.query(cls.db, "SELECT id FROM users WHERE "
                                  "username = 'r-spare'")[0][0]
        cls.tokens = {c: ct.token(cls.db, cls.accounts[c][0])
                      for c in SIGNED_IN}
        cls.tokens["none"] = None
        cls.tokens["bad"] = BAD_SECRET
        cls.srv = ct.Server(cls.db)
        cls.cookies = {c: ct.sign_in(cls.srv.base, *cls.accounts[c])
                       for c in SIGNED_IN}
        cls.cookies["none"] = None
        cls.cookies["bad"] = BAD_SECRET
        cls.contacts = []
        for agency in ("social_care", "police", "health", "other"):
            st, _, c = ct.api("POST", cls.srv.base, "/api/v1/contacts",
                              token=cls.tokens["admin"],
                              json={"name": "Role %s" % agency,
                                    "email": "%s@roles.example" % agency,
                                    "agency": agency,
                                    "organisation": "Org %s" % agency})
            assert st == 201, c
            cls.contacts.append(c["id"])
        # The last one is for the directory edit pages to play with.
        cls.spare_contact = cls.contacts.pop()
        cls.spare_org = ct.query(cls.db, "SELECT organisation_id FROM "
                                 "contacts WHERE id = %s",
                                 (cls.spare_contact,))[0][0]
        st, _, m = ct.api("POST", cls.srv.base, "/api/v1/meetings",
                          token=cls.tokens["sw_own"],
                          json=dict(meeting_body(cls), case_ref=CONF_REF))
        assert st == 201, m

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    # ---- helpers ------------------------------------------------------------

    def book(self):
        st, _, m = ct.api("POST", self.srv.base, "/api/v1/meetings",
                          token=self.tokens["sw_own"],
                          json=meeting_body(self))
        self.assertEqual(st, 201, m)
        return m

    _shared = {}

    def shared(self, held=False):
        """A meeting of team A to read, the same each time: scheduled, or
        held with health absent."""
        if held not in self._shared:
            self._shared[held] = self.held(partial=True) if held else \
                self.book()
        return self._shared[held]

    def held(self, partial=False):
        """A meeting of team A with its attendance recorded: everyone
        there, or (partial) health absent."""
        m = self.book()
        att = {p["id"]: "absent" if partial and p["agency"] == "health"
               else "attended" for p in m["participants"]}
        st, _, r = ct.api("PUT", self.srv.base,
                          "/api/v1/meetings/%d/attendance" % m["id"],
                          token=self.tokens["sw_own"],
                          json={"participants": [
                              {"id": k, "attendance": v}
                              for k, v in att.items()],
                              "child_views_recorded": False,
                              "absence_reason": "Nurse off sick"
                              if partial else None})
        self.assertEqual(st, 200, r)
        return r

    _recorded = []

    def recorded(self):
        """A meeting of team A, held, with its record written (once)."""
        if not self._recorded:
            self._recorded.append(self.new_record())
        return self._recorded[0]

    def new_record(self, submitted=False):
        """A new meeting of team A, held, its record written (and submitted
        for authorisation)."""
        if True:
            m = self.held()
            chair = next(p["id"] for p in m["participants"]
                         if p["agency"] == "social_care")
            st, _, r = ct.api("PUT", self.srv.base,
                              "/api/v1/meetings/%d/record" % m["id"],
                              token=self.tokens["sw_own"], json={
                                  "chair_participant_id": chair,
                                  "concerns": ["neglect"],
                                  "children": [{
                                      "child_id": ch["id"],
                                      "decision": "no_s47_further_assessment",
                                      "rationale": "Assessment continues",
                                      "next_step": "child_in_need"}
                                      for ch in m["children"]]})
            self.assertEqual(st, 200, r)
        if submitted:
            st, _, v = ct.api("POST", self.srv.base,
                              "/api/v1/meetings/%d/record/submit" % r["id"],
                              token=self.tokens["sw_own"], json={})
            self.assertEqual(st, 200, v)
        return r

    _days = itertools.count(1)

    def holiday_date(self):
        """A date nobody else uses (bank holidays are global)."""
        n = next(self._days)
        return "2031-%02d-%02d" % (1 + n // 28, 1 + n % 28)

    def holiday(self):
        """A new bank holiday (admin); its date."""
        d = self.holiday_date()
        st, _, b = ct.api("PUT", self.srv.base, "/api/v1/bank-holidays/" + d,
                          token=self.tokens["admin"], json={"name": "Gone"})
        self.assertEqual(st, 201, b)
        return d

    def feed(self):
        """A new calendar feed (admin); its id."""
        st, _, f = ct.api("POST", self.srv.base, "/api/v1/feeds",
                          token=self.tokens["admin"],
                          json={"contact_id": self.spare_contact})
        self.assertEqual(st, 201, f)
        return f["id"]

    def routes(self):
        out = ct.cli(None, "routes")
        return {(r["method"], r["pattern"]): r for r in json.loads(out)}

    def send(self, method, route, caller, req, use_csrf=True):
        """Call route as caller: bearer token for API routes, session
        cookie for pages."""
        if route["auth"] == "token" or route["pattern"] == "/healthz":
            return ct.api(method, self.srv.base, req["path"],
                          token=self.tokens[caller], json=req.get("json"),
                          raw=req.get("raw"), headers=req.get("headers"))
        cookie = req.get("cookie", self.cookies[caller])
        csrf = req.get("csrf") if use_csrf else None
        if csrf is None and use_csrf and cookie is not None and \
                caller in SIGNED_IN and method != "GET" and \
                not req.get("no_csrf"):
            csrf = ct.session_csrf(self.db, cookie)
        return ct.form(method, self.srv.base, req["path"], req.get("form"),
                       cookie=cookie, csrf=csrf, cookies=req.get("cookies"))

    def check(self, method, want, st, h, body):
        where = h.get("Location")
        desc = "%s %s" % (st, re.sub(r"\s+", " ", str(body))[:300])
        to_sign_in = st == 303 and where == "/sign-in"
        if want == OK:
            self.assertLess(st, 500, desc)
            self.assertNotIn(st, (401, 403, 404, 405), desc)
            self.assertFalse(to_sign_in, desc)
        elif want == LOGIN:
            if method == "GET":
                self.assertTrue(to_sign_in, desc)
            else:
                self.assertEqual(st, 401, desc)
        else:
            self.assertEqual(st, want, desc)
            if st in (401, 403, 404) and isinstance(body, dict):
                self.assertEqual(body["error"]["code"], {
                    401: "unauthorized", 403: "forbidden",
                    404: "not_found"}[st])
                self.assertTrue(body["error"]["message"])

    # ---- the table ----------------------------------------------------------

    def test_table_covers_every_route(self):
        listed = set(self.routes())
        self.assertEqual(sorted(listed - set(ROUTES)), [],
                         "routes without a row in ROUTES")
        self.assertEqual(sorted(set(ROUTES) - listed), [],
                         "rows in ROUTES for routes that do not exist")

    def test_every_route_every_caller(self):
        routes = self.routes()
        role_of = {"sw_own": "social_worker", "manager": "manager",
                   "admin": "admin"}
        for key in sorted(routes):
            if key not in ROUTES:
                continue	# test_table_covers_every_route fails for it
            method, pattern = key
            expected, build = ROUTES[key]
            for caller in CALLERS:
                want = expected[caller]
                with self.subTest(route="%s %s" % key, caller=caller):
                    req = build(self, caller)
                    # A refused change changes nothing.
                    refused = method != "GET" and want != OK and (
                        want == LOGIN or want >= 400)
                    before = ct.counts(self.db) if refused else None
                    st, h, body = self.send(method, routes[key], caller, req)
                    self.check(method, want, st, h, body)
                    if st == 401 and routes[key]["auth"] == "token":
                        self.assertEqual(h.get("WWW-Authenticate"), "Bearer")
                    if refused:
                        self.assertEqual(ct.counts(self.db), before)
                    # `convene routes` agrees with the table for the roles.
                    if caller in role_of and routes[key]["auth"] != "none" \
                            and key not in NOT_FOR_ROLE:
                        self.assertEqual(role_of[caller] in
                                         routes[key]["roles"], want != 403,
                                         routes[key])

    def test_expired_session_every_route(self):
        """The fourth way of not being signed in: a session that has timed
        out. Every route answers it as it answers no session at all, and a
        refused change changes nothing."""
        routes = self.routes()
        for key in sorted(routes):
            if key not in ROUTES:
                continue
            method, pattern = key
            expected, build = ROUTES[key]
            want = expected["none"]
            with self.subTest(route="%s %s" % key):
                cookie = ct.sign_in(self.srv.base, *self.accounts["sw_own"])
                h = hashlib.blake2b(cookie.encode(),
                                    digest_size=32).hexdigest()
                csrf = ct.session_csrf(self.db, cookie)
                ct.query(self.db, "UPDATE sessions SET last_seen_at = "
                         "now() - interval '2 hours' WHERE id_hash = %s",
                         (h,))
                req = dict(build(self, "sw_own"))
                refused = method != "GET" and want != OK
                # The expired session itself is deleted when it is seen;
                # nothing else may change.
                before = ct.counts(self.db) if refused else None
                if before:
                    before.pop("sessions")
                if routes[key]["auth"] == "token":
                    st, hd, body = ct.api(method, self.srv.base, req["path"],
                                          json=req.get("json"),
                                          raw=req.get("raw"),
                                          headers={"Cookie": "%s=%s" % (
                                              ct.SESSION_COOKIE, cookie),
                                              "X-CSRF-Token": csrf})
                else:
                    req["cookie"] = cookie
                    req["csrf"] = csrf
                    st, hd, body = self.send(method, routes[key], "sw_own",
                                             req)
                self.check(method, want, st, hd, body)
                if refused:
                    after = ct.counts(self.db)
                    after.pop("sessions")
                    self.assertEqual(after, before)

    def test_mail_gateway_posts_replies_and_nothing_else(self):
        """The mail_gateway role (issue 14) gets past the role check of
        POST /api/v1/itip only: 403 on every other route that wants a
        role, with its token on the API and its session on pages."""
        pw = ct.add_user(self.db, "r-gateway", "mail_gateway")
        tok = ct.token(self.db, "r-gateway")
        cookie = ct.sign_in(self.srv.base, "r-gateway", pw)
        csrf = ct.session_csrf(self.db, cookie)
        routes = self.routes()
        for key, route in sorted(routes.items()):
            if route["auth"] == "none" or key not in ROUTES:
                continue
            method = key[0]
            allowed = "mail_gateway" in route["roles"]
            self.assertEqual(allowed, key == ("POST", "/api/v1/itip"), key)
            with self.subTest(route="%s %s" % key):
                req = ROUTES[key][1](self, "admin")
                before = ct.counts(self.db)
                if route["auth"] == "token":
                    st, h, body = ct.api(method, self.srv.base, req["path"],
                                         token=tok, json=req.get("json"),
                                         raw=req.get("raw"),
                                         headers=req.get("headers"))
                else:
                    st, h, body = ct.form(
                        method, self.srv.base, req["path"],
                        req.get("form"), cookie=cookie,
                        csrf=csrf if method != "GET" else None)
                if allowed:
                    self.assertEqual(st, 422, body)	# not a calendar
                else:
                    self.check(method, 403, st, h, body)
                    self.assertEqual(ct.counts(self.db), before)

    def test_tokens_do_not_open_pages(self):
        """A bearer token is for the API: pages want a session."""
        for key, route in sorted(self.routes().items()):
            if route["auth"] != "session" or key not in ROUTES:
                continue
            method = key[0]
            with self.subTest(route="%s %s" % key):
                req = ROUTES[key][1](self, "sw_own")
                before = ct.counts(self.db)
                st, h, body = ct.api(method, self.srv.base, req["path"],
                                     token=self.tokens["sw_own"],
                                     raw=b"" if method != "GET" else None)
                self.check(method, LOGIN, st, h, body)
                self.assertEqual(ct.counts(self.db), before)

    def test_cookie_changes_need_the_csrf_token(self):
        """Every change made with a session cookie, on pages and the API
        alike, needs the session's CSRF token."""
        for key, route in sorted(self.routes().items()):
            if key[0] == "GET" or route["auth"] == "none" or \
                    key not in ROUTES:
                continue
            expected, build = ROUTES[key]
            caller = next((c for c in SIGNED_IN
                           if expected[c] in (OK, 200, 201)), None)
            if caller is None:
                continue
            with self.subTest(route="%s %s" % key, caller=caller):
                req = build(self, caller)
                before = ct.counts(self.db)
                cookie = req.get("cookie", self.cookies[caller])
                if route["auth"] == "token":
                    st, _, body = ct.api(key[0], self.srv.base, req["path"],
                                         json=req.get("json"), headers={
                                             "Cookie": "%s=%s" % (
                                                 ct.SESSION_COOKIE, cookie)})
                else:
                    st, _, body = self.send(key[0], route, caller, req,
                                            use_csrf=False)
                self.assertEqual(st, 403, str(body)[:300])
                self.assertEqual(ct.counts(self.db), before)
                if isinstance(body, dict):
                    self.assertEqual(body["error"]["field"], "csrf_token")
                # The wrong token is no better.
                st, _, _ = ct.form(key[0], self.srv.base, req["path"],
                                   req.get("form") or {}, cookie=cookie,
                                   csrf=BAD_SECRET)
                self.assertEqual(st, 403)
                self.assertEqual(ct.counts(self.db), before)

    def test_api_with_a_session_cookie(self):
        """The API also takes a signed-in browser's session, with the CSRF
        token in X-CSRF-Token for changes."""
        cookie = self.cookies["sw_own"]
        hdr = {"Cookie": "%s=%s" % (ct.SESSION_COOKIE, cookie)}
        st, _, lst = ct.api("GET", self.srv.base, "/api/v1/meetings",
                            headers=hdr)
        self.assertEqual(st, 200, lst)
        st, _, m = ct.api("POST", self.srv.base, "/api/v1/meetings",
                          json=meeting_body(self), headers=dict(
                              hdr, **{"X-CSRF-Token": ct.session_csrf(
                                  self.db, cookie)}))
        self.assertEqual(st, 201, m)

    # ---- what each caller sees ------------------------------------------------

    def test_not_found_reveals_nothing(self):
        """Someone else's meeting looks exactly like one that does not
        exist."""
        m = self.book()
        for caller in ("sw_other", "sw_far", "mgr_far"):
            with self.subTest(caller=caller):
                st, _, theirs = ct.api("GET", self.srv.base,
                                       "/api/v1/meetings/%d" % m["id"],
                                       token=self.tokens[caller])
                st2, _, none = ct.api("GET", self.srv.base,
                                      "/api/v1/meetings/987654321",
                                      token=self.tokens[caller])
                self.assertEqual((st, st2), (404, 404))
                self.assertEqual(
                    re.sub(r"\d+", "N", json.dumps(theirs)),
                    re.sub(r"\d+", "N", json.dumps(none)))

    def _list(self, caller, query=""):
        st, _, body = ct.api("GET", self.srv.base,
                             "/api/v1/meetings?per_page=100" + query,
                             token=self.tokens[caller])
        self.assertEqual(st, 200, body)
        return body

    def test_list_visibility(self):
        mine = self.book()["id"]
        # A meeting of team B, and one in the other authority.
        body = meeting_body(self)
        body["case_ref"] = "ROLE-B-1"
        st, _, b = ct.api("POST", self.srv.base, "/api/v1/meetings",
                          token=self.tokens["sw_other"], json=body)
        self.assertEqual(st, 201, b)
        body["case_ref"] = "ROLE-FAR-1"
        st, _, far = ct.api("POST", self.srv.base, "/api/v1/meetings",
                            token=self.tokens["sw_far"], json=body)
        self.assertEqual(st, 201, far)

        def ids(caller, query=""):
            got, page = set(), 1
            while True:
                body = self._list(caller, query + "&page=%d" % page)
                got |= {x["id"] for x in body["meetings"]}
                if not body["meetings"]:
                    break
                page += 1
            self.assertEqual(body["total"], len(got))
            return got

        sw_a, sw_b, mgr = ids("sw_own"), ids("sw_other"), ids("manager")
        mgr_far, sw_far = ids("mgr_far"), ids("sw_far")
        self.assertIn(mine, sw_a)
        self.assertNotIn(b["id"], sw_a)
        self.assertEqual(sw_b, {b["id"]})
        self.assertEqual(mgr, sw_a | sw_b)
        self.assertIn(far["id"], mgr_far)
        self.assertEqual(mgr_far & mgr, set())
        self.assertEqual(mgr_far, sw_far)	# the only team there
        far_ids = {r[0] for r in ct.query(
            self.db, "SELECT d.id FROM discussions d JOIN authorities a ON "
            "a.id = d.authority_id WHERE a.code = 'farshire'")}
        self.assertEqual(mgr_far, far_ids)
        # A team filter cannot widen anyone's view.
        self.assertEqual(ids("sw_other", "&team=Team+A"), set())
        self.assertEqual(ids("mgr_far", "&team=Team+A"), set())
        # The other authority's case is its own, though the reference is
        # the same.
        self.assertEqual(
            ct.query(self.db, "SELECT count(DISTINCT authority_id) FROM cases "
                     "WHERE case_ref = %s", (CASE_REF,)), [(2,)])

    def test_manager_reads_every_team_but_cannot_write(self):
        m = self.book()
        st, _, got = ct.api("GET", self.srv.base,
                            "/api/v1/meetings/%d" % m["id"],
                            token=self.tokens["manager"])
        self.assertEqual(st, 200)
        self.assertEqual(got["id"], m["id"])
        self.assertEqual(got["children"][0]["name"], "Robin Roles")
        before = ct.counts(self.db)
        st, _, _ = ct.api("PATCH", self.srv.base,
                          "/api/v1/meetings/%d" % m["id"],
                          token=self.tokens["manager"],
                          json={"location": "Elsewhere"})
        self.assertEqual(st, 403)
        # The role is checked first: the same for a meeting that does not
        # exist.
        st, _, _ = ct.api("PATCH", self.srv.base,
                          "/api/v1/meetings/987654321",
                          token=self.tokens["manager"],
                          json={"location": "Elsewhere"})
        self.assertEqual(st, 403)
        self.assertEqual(ct.counts(self.db), before)

    def test_other_ways_of_not_signing_in(self):
        m = self.book()
        path = "/api/v1/meetings/%d" % m["id"]
        good = self.tokens["sw_own"]
        for hdr in ("Bearer", "Bearer ", "Basic " + good,
                    "Bearer " + good[:-1], "Bearer " + good + "0",
                    "Bearer " + good.upper(), good):
            with self.subTest(authorization=hdr):
                st, h, body = ct.api("GET", self.srv.base, path,
                                     headers={"Authorization": hdr})
                self.assertEqual(st, 401, body)
                self.assertEqual(h.get("WWW-Authenticate"), "Bearer")
        # A token in the query string is not a token.
        st, _, _ = ct.api("GET", self.srv.base, path + "?token=" + good)
        self.assertEqual(st, 401)
        # The token of a deactivated user stops working.
        ct.query(self.db, "UPDATE users SET active = false WHERE username = "
                 "'r-sw-b'")
        try:
            st, _, _ = ct.api("GET", self.srv.base, "/api/v1/meetings",
                              token=self.tokens["sw_other"])
            self.assertEqual(st, 401)
        finally:
            ct.query(self.db, "UPDATE users SET active = true WHERE "
                     "username = 'r-sw-b'")
        # And a revoked one.
        tok = ct.token(self.db, "r-sw-a")
        st, _, _ = ct.api("GET", self.srv.base, path, token=tok)
        self.assertEqual(st, 200)
        ct.query(self.db, "UPDATE api_tokens SET revoked_at = now() WHERE "
                 "id = (SELECT max(id) FROM api_tokens)")
        st, _, _ = ct.api("GET", self.srv.base, path, token=tok)
        self.assertEqual(st, 401)

    def test_only_hashes_of_tokens_are_stored(self):
        for caller in SIGNED_IN:
            tok = self.tokens[caller]
            self.assertEqual(ct.query(
                self.db, "SELECT count(*) FROM api_tokens WHERE token_hash "
                "= %s OR token_hash LIKE %s", (tok, "%" + tok[:16] + "%")),
                [(0,)])


if __name__ == "__main__":
    unittest.main()
