/*
 * web_partner: the pages a partner uses (include/partner.h): the pack link
 * from the invitation, the one-time code, the meeting pack with its forms
 * (our agency's information, a reply), the list of their meetings and
 * signing out. Partners are not users: these routes are public in the
 * route table (AUTH_NONE) and each handler asks partner.c for the
 * partner's session, checks its own CSRF token on every POST after
 * sign-in and answers 404 for anything the partner may not see.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "meeting.h"
#include "mfa.h"
#include "model.h"
#include "oidc.h"
#include "partner.h"
#include "router.h"
#include "rsvp.h"
#include "str.h"
#include "throttle.h"
#include "vocab.h"
#include "web.h"

#define NOT_FOUND	"this page does not exist, or you are not invited to " \
			"this meeting; open the pack with the link in your " \
			"invitation"
#define WINDOW_CLOSED	"access to this meeting's pack has ended; ask the " \
			"social worker if you need the record"

int
web_partner_cookie(struct http_req *rq, struct http_resp *rs,
    const char *value, int max_age)
{
	char c[256];

	snprintf(c, sizeof(c), "%s=%s; Path=/partner; HttpOnly; "
	    "SameSite=Strict%s; Max-Age=%d", PARTNER_COOKIE, value,
	    rq->app->cfg.https ? "; Secure" : "", max_age);
	return http_resp_header(rs, "Set-Cookie", c);
}

/* The signed-in partner: 0, or -1 with the 404 (or 500) sent. */
static int
signed_in(struct http_req *rq, struct http_resp *rs, struct partner *pa)
{
	int rc = partner_session_load(rq->db, http_cookie(rq, PARTNER_COOKIE),
	    pa);

	if (rc < 0)
		rs->status = 500;
	else if (rc > 0)
		http_error(rq, rs, 404, NULL, NOT_FOUND);
	return rc == 0 ? 0 : -1;
}

/* Signed in and the CSRF token right, with the path's discussion id:
 * 0, else -1 with the answer sent. */
static int
partner_post(struct http_req *rq, struct http_resp *rs, struct partner *pa,
    long *id)
{
	if (signed_in(rq, rs, pa) != 0)
		return -1;
	if (partner_csrf_ok(pa, form_get(&rq->form, "csrf_token")) != 0) {
		http_error(rq, rs, 403, "csrf_token", "this form had expired: "
		    "go back, reload the page and try again");
		return -1;
	}
	if (http_param_id(rq, 0, id) != 0) {
		http_error(rq, rs, 404, NULL, NOT_FOUND);
		return -1;
	}
	return 0;
}

/* The client's address for the view log; "" when unknown. */
static void
client_of(const struct http_req *rq, char *out, size_t outlen)
{
	if (http_client_addr(rq, out, outlen) != 0)
		out[0] = '\0';
}

/* The access answer for discussion id as a response: 0 open. */
static int
access_ok(struct http_req *rq, struct http_resp *rs, long cid, long id,
    long *pid)
{
	int rc = partner_access(rq->db, cid, id, pid);

	if (rc < 0)
		rs->status = 500;
	else if (rc == 1)
		http_error(rq, rs, 404, NULL, NOT_FOUND);
	else if (rc == 2)
		http_error(rq, rs, 410, NULL, WINDOW_CLOSED);
	return rc == 0 ? 0 : -1;
}

int
web_partner_invitation(struct http_req *rq, struct http_resp *rs, long *pid,
    long *cid, long *did)
{
	unsigned char key[RSVP_KEY_BYTES];
	long unused;
	int rc;

	if (rsvp_key(rq->db, key) != 0) {
		rs->status = 500;
		return -1;
	}
	if (partner_token_verify(key, rq->params[0], pid) != 0)
		rc = 1;
	else
		rc = partner_invitation(rq->db, *pid, cid, did);
	if (rc < 0) {
		rs->status = 500;
		return -1;
	}
	if (rc == 1 || *cid == 0) {
		http_error(rq, rs, 404, NULL, "this link is not valid: use the "
		    "link in your latest invitation");
		return -1;
	}
	return access_ok(rq, rs, *cid, *did, &unused);
}

/* ---- signing in ----------------------------------------------------------- */

/* The code page; sso_name (NULL: none) offers the organisation's single
 * sign-on beside the authenticator app. */
static int
code_page(struct http_req *rq, struct http_resp *rs, int status, int totp,
    const char *error, const char *sso_name)
{
	struct web_errors we;
	json_t *d;
	char action[HTTP_MAX_URI], sso_href[HTTP_MAX_URI];

	web_errors_init(&we);
	if (error != NULL)
		web_error(&we, "code", NULL, "%s", error);
	snprintf(action, sizeof(action), "/partner/%s/sign-in", rq->params[0]);
	d = json_pack("{s:s, s:b, s:o}", "action", action, "totp", totp,
	    "f_code", web_fld(&we, "code", totp ? "Code from your "
	    "authenticator app" : "Sign-in code", totp ? "The 6 digits the "
	    "app shows for Convene" : "The 6 digits in the email we sent to "
	    "your address in the directory", ""));
	if (d != NULL && web_errors_any(&we))
		json_object_set_new(d, "has_errors", json_true());
	if (d != NULL && sso_name != NULL) {
		snprintf(sso_href, sizeof(sso_href), "/partner/%s/sso",
		    rq->params[0]);
		json_object_set_new(d, "sso_href", json_string(sso_href));
		json_object_set_new(d, "sso_name", json_string(sso_name));
	}
	if (d != NULL)
		web_errors_put(&we, d);
	web_errors_free(&we);
	return web_page(rq, rs, status, "partner_code", totp ? "Enter the "
	    "code from your authenticator app" : "Enter your sign-in code", d);
}

/* GET /partner/{token}: the pack link; signed in already as its contact:
 * straight to the pack. When the contact's organisation has its own
 * identity provider, the page offers it beside the emailed code
 * (web_partner_sso.c). */
static int
h_start(struct http_req *rq, struct http_resp *rs)
{
	struct partner pa;
	char action[HTTP_MAX_URI], sso_href[HTTP_MAX_URI], org_name[201];
	long pid, cid, did, org;
	int totp, sso;

	if (web_partner_invitation(rq, rs, &pid, &cid, &did) != 0)
		return rs->status;
	if (partner_session_load(rq->db, http_cookie(rq, PARTNER_COOKIE),
	    &pa) == 0 && pa.contact_id == cid)
		return web_redirectf(rs, "/partner/meetings/%ld", did);
	if ((totp = partner_totp_enrolled(rq->db, cid)) < 0 ||
	    (sso = oidc_partner_for_contact(rq->db, cid, &org, org_name,
	    sizeof(org_name))) < 0)
		return rs->status = 500;
	if (totp)
		return code_page(rq, rs, 200, 1, NULL, sso == 0 ? org_name :
		    NULL);
	snprintf(action, sizeof(action), "/partner/%s/code", rq->params[0]);
	snprintf(sso_href, sizeof(sso_href), "/partner/%s/sso", rq->params[0]);
	return web_page(rq, rs, 200, "partner_start", "Open the meeting pack",
	    json_pack("{s:s, s:s, s:s?, s:s?}", "action", action, "code_href",
	    action, "sso_href", sso == 0 ? sso_href : NULL, "sso_name",
	    sso == 0 ? org_name : NULL));
}

/* POST /partner/{token}/code: email a code to the contact's directory
 * address. */
static int
h_code(struct http_req *rq, struct http_resp *rs)
{
	long pid, cid, did;
	int rc;

	if (web_partner_invitation(rq, rs, &pid, &cid, &did) != 0)
		return rs->status;
	if ((rc = partner_totp_enrolled(rq->db, cid)) != 0) {
		if (rc < 0)
			return rs->status = 500;
		return http_error(rq, rs, 409, NULL, "you sign in with your "
		    "authenticator app: go back to the link in your invitation "
		    "and enter its code");
	}
	rc = partner_code_send(rq->db, cid, did, pid);
	if (rc < 0)
		return rs->status = 500;
	if (rc == 1) {
		/* http_error starts the headers afresh: Retry-After after. */
		http_error(rq, rs, 429, NULL, "we have sent %d codes in the "
		    "last 10 minutes: use the newest one, or try again in 10 "
		    "minutes", PARTNER_CODE_SENDS);
		http_resp_header(rs, "Retry-After", "600");
		return rs->status;
	}
	log_info("partner", "sign-in code sent to contact %ld", cid);
	return code_page(rq, rs, 200, 0, NULL, NULL);
}

/* POST /partner/{token}/sign-in: the code; a partner session. */
static int
h_sign_in(struct http_req *rq, struct http_resp *rs)
{
	char client[64], who[40], cookie[AUTH_TOKEN_LEN + 1];
	const char *code = form_get(&rq->form, "code");
	struct partner pa;
	long pid, cid, did, retry = 0;
	int rc, totp;

	if (web_partner_invitation(rq, rs, &pid, &cid, &did) != 0)
		return rs->status;
	if (http_client_addr(rq, client, sizeof(client)) != 0)
		str_copy(client, "unknown", sizeof(client));
	snprintf(who, sizeof(who), "partner:%ld", cid);
	if ((rc = throttle_take(rq->db, client, who, &retry)) != 0) {
		char ra[24];

		if (rc < 0)
			return rs->status = 500;
		snprintf(ra, sizeof(ra), "%ld", retry);
		http_error(rq, rs, 429, "code", "too many wrong codes from "
		    "here: try again in %ld seconds", retry);
		http_resp_header(rs, "Retry-After", ra);
		return rs->status;
	}
	if ((totp = partner_totp_enrolled(rq->db, cid)) < 0 ||
	    (rc = totp ? partner_totp_check(rq->db, cid, code) :
	    partner_code_check(rq->db, cid, code)) < 0)
		return rs->status = 500;
	if (rc == 1) {
		log_warn("partner", "wrong or spent sign-in code for contact "
		    "%ld", cid);
		return code_page(rq, rs, 422, totp, totp ? "The code is wrong "
		    "or was used already: enter the code your app shows now" :
		    "The code is wrong, used or more than 10 minutes old: "
		    "enter the newest code, or ask for another", NULL);
	}
	throttle_refund(rq->db, client, who);
	if (partner_session_create(rq->db, cid, totp ? "totp" : "code", cookie,
	    sizeof(cookie), &pa) != 0 ||
	    web_partner_cookie(rq, rs, cookie, PARTNER_MAX_SECONDS) != 0)
		return rs->status = 500;
	log_info("partner", "contact %ld signed in", cid);
	return web_redirectf(rs, "/partner/meetings/%ld", did);
}

/* POST /partner/sign-out */
static int
h_sign_out(struct http_req *rq, struct http_resp *rs)
{
	struct partner pa;

	if (signed_in(rq, rs, &pa) != 0)
		return rs->status;
	if (partner_csrf_ok(&pa, form_get(&rq->form, "csrf_token")) != 0)
		return http_error(rq, rs, 403, "csrf_token", "this form had "
		    "expired: reload the page and try again");
	partner_session_end(rq->db, &pa);
	web_partner_cookie(rq, rs, "", 0);
	return web_page(rq, rs, 200, "partner_signed_out", "You have signed "
	    "out", json_object());
}

/* ---- the pack ------------------------------------------------------------- */

static json_t *
children_view(const struct discussion *m)
{
	char label[300], dob[64];
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->nchildren; i++) {
		const struct child *c = &m->children[i];

		dob[0] = '\0';
		if (c->date_of_birth[0] != '\0')
			web_day(c->date_of_birth, dob, sizeof(dob));
		json_array_append_new(a, json_pack("{s:s, s:s}", "name",
		    model_child_label(c, label, sizeof(label)), "dob",
		    dob[0] ? dob : "Not known"));
	}
	return a;
}

static json_t *
invitees_view(const struct discussion *m, long pid)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->nparticipants; i++) {
		const struct participant *p = &m->participants[i];

		if (p->removed)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b}",
		    "name", p->name ? p->name : "", "organisation",
		    p->organisation ? p->organisation : "", "agency",
		    web_agency_name(p->agency), "reply", p->user_id ?
		    "Organiser" : rsvp_partstat_words(p->response), "me",
		    p->id == pid));
	}
	return a;
}

static json_t *
concerns_view(const struct discussion *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; m->record != NULL && i < m->record->nconcerns; i++)
		json_array_append_new(a, json_string(vocab_words(VOCAB_CONCERN,
		    m->record->concerns[i])));
	return a;
}

/* This agency's information already in the record. */
static json_t *
sent_view(const struct discussion *m, const char *agency)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; m->record != NULL && i < m->record->ninfo; i++) {
		const struct agency_contribution *c = &m->record->info[i];

		if (c->agency == NULL || strcmp(c->agency, agency) != 0)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "information", c->information ? c->information : "",
		    "checks", vocab_words(VOCAB_CHECKS, c->checks),
		    "received", vocab_words(VOCAB_RECEIVED, c->received),
		    "from", c->from ? c->from : ""));
	}
	return a;
}

static const char *const reply_pairs[] = {
	"accept", "Yes, I will attend",
	"tentative", "Maybe (tentative)",
	"decline", "No, I cannot attend",
	NULL
};

static const char *const check_answers[] = {
	"accurate", "Yes, it is accurate",
	"dissent", "No, my agency disagrees with part of it",
	NULL
};

/* The form fields of the pack, with the errors and values of a refused
 * post. */
static void
forms_view(const struct http_req *rq, const struct web_errors *we,
    const struct partner *pa, json_t *d)
{
	const char *check_pairs[2 * 3 + 1];
	char info[WEB_BUF(MODEL_LONG_TEXT_MAX)], from[WEB_NAME_BUF];
	char ans[16], reason[WEB_BUF(PARTNER_REASON_MAX)];
	char about[WEB_BUF(MODEL_TEXT_MAX)];
	json_t *f;
	size_t i, n;
	const struct vocab_term *t = vocab_terms(VOCAB_CHECKS, &n);

	for (i = 0; i < n && i < 3; i++) {
		check_pairs[2 * i] = t[i].code;
		check_pairs[2 * i + 1] = t[i].words;
	}
	check_pairs[2 * i] = NULL;
	web_field(rq, "information", info, sizeof(info));
	web_field(rq, "from_whom", from, sizeof(from));
	web_field(rq, "answer", ans, sizeof(ans));
	web_field(rq, "reason", reason, sizeof(reason));
	f = web_fld(we, "information", "What your agency knows", "What you "
	    "know about the child and family, and what it means for the "
	    "decisions", info);
	json_object_set_new(f, "rows", json_integer(8));
	json_object_set_new(d, "f_information", f);
	f = web_fld(we, "checks", "Which checks have you done?", NULL, NULL);
	json_object_set_new(f, "items", web_choices("checks", check_pairs,
	    form_get(&rq->form, "checks")));
	json_object_set_new(d, "f_checks", f);
	json_object_set_new(d, "f_from", web_fld(we, "from_whom", "From whom",
	    "Your name and role, or who in your agency this comes from",
	    from[0] ? from : pa->name));
	f = web_fld(we, "answer", "Will you attend?", NULL, NULL);
	json_object_set_new(f, "items", web_choices("answer", reply_pairs,
	    ans));
	json_object_set_new(d, "f_answer", f);
	json_object_set_new(d, "f_reason", web_fld(we, "reason", "If you "
	    "cannot attend, why not?", "Needed when you decline", reason));
	web_field(rq, "about", about, sizeof(about));
	f = web_fld(we, "about", "What does your agency disagree with, and "
	    "why?", "Needed when you disagree", about);
	json_object_set_new(f, "rows", json_integer(5));
	json_object_set_new(d, "f_about", f);
	f = web_fld(we, "check", "Is the record accurate?", NULL, NULL);
	json_object_set_new(f, "items", web_choices("check", check_answers,
	    form_get(&rq->form, "check")));
	json_object_set_new(d, "f_check", f);
}

/* 1 when action a is the partner's agency's: owned by the agency or by
 * one of its invitees. */
static int
agency_owns(const struct discussion *m, const struct action *a,
    const char *agency)
{
	const struct participant *p;

	if (a->owner_agency != NULL && strcmp(a->owner_agency, agency) == 0)
		return 1;
	p = a->owner_participant_id ? model_participant(m,
	    a->owner_participant_id) : NULL;
	return p != NULL && p->agency != NULL && strcmp(p->agency, agency) == 0;
}

static json_t *
actions_view(const struct discussion *m, const char *agency)
{
	char due[64];
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->nactions; i++) {
		const struct action *x = &m->actions[i];
		int ours = agency_owns(m, x, agency);

		due[0] = '\0';
		if (x->due[0] != '\0')
			web_day(x->due, due, sizeof(due));
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:s, "
		    "s:b, s:b}", "id", (json_int_t)x->id, "what", x->what ?
		    x->what : "", "owner", x->owner ? x->owner : "", "due", due,
		    "status", vocab_words(VOCAB_ACTION_STATUS, x->status),
		    "ours", ours, "can_done", ours && x->status != NULL &&
		    strcmp(x->status, "done") != 0));
	}
	return a;
}

static json_t *
record_view(const struct discussion *m, const char *agency)
{
	const struct record *r = m->record;
	char label[300];
	json_t *o, *info = json_array(), *dec = json_array();
	json_t *dis = json_array();
	size_t i;

	for (i = 0; i < r->ninfo; i++)
		json_array_append_new(info, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s}", "agency", web_agency_name(r->info[i].agency),
		    "information", r->info[i].information ?
		    r->info[i].information : "", "checks",
		    vocab_words(VOCAB_CHECKS, r->info[i].checks), "received",
		    vocab_words(VOCAB_RECEIVED, r->info[i].received), "from",
		    r->info[i].from ? r->info[i].from : ""));
	for (i = 0; i < m->ndecisions; i++) {
		const struct child_decision *c = &m->decisions[i];
		const struct child *ch = model_child(m, c->child_id);

		json_array_append_new(dec, json_pack("{s:s, s:s, s:s}",
		    "child", ch != NULL ? model_child_label(ch, label,
		    sizeof(label)) : "", "decision",
		    web_decision_name(c->decision), "rationale",
		    c->rationale ? c->rationale : ""));
	}
	for (i = 0; i < r->ndissent; i++)
		json_array_append_new(dis, json_pack("{s:s, s:s}", "agency",
		    web_agency_name(r->dissent[i].agency), "about",
		    r->dissent[i].about ? r->dissent[i].about : ""));
	o = json_pack("{s:s, s:i, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:b, "
	    "s:o, s:b, s:b}", "status", vocab_words(VOCAB_RECORD_STATUS,
	    r->status), "version", r->version, "info", info, "worries",
	    r->worries ? r->worries : "", "strengths", r->strengths ?
	    r->strengths : "", "gaps", r->gaps ? r->gaps : "", "safety_plan",
	    r->safety_plan ? r->safety_plan : "", "decisions", dec, "dissent",
	    dis, "dissent_any", r->ndissent > 0, "actions",
	    actions_view(m, agency), "actions_any", m->nactions > 0,
	    "can_check", strcmp(r->status, "awaiting_authorisation") == 0);
	return o != NULL ? o : json_null();
}

static int
pack_page(struct http_req *rq, struct http_resp *rs, const struct partner *pa,
    long id, long pid, struct web_errors *we, const char *done)
{
	struct discussion *m = NULL;
	char when[96], addr[64];
	json_t *d;
	int status = 500, rc, bad = we != NULL && web_errors_any(we);
	int shows_record = 0;

	if ((rc = model_discussion_load(rq->db, id, &m)) != 0) {
		if (rc > 0)
			http_error(rq, rs, 404, NULL, NOT_FOUND);
		goto out;
	}
	web_when(m->starts_at, when, sizeof(when));
	d = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, "
	    "s:o, s:o, s:b, s:s, s:s}",
	    "id", (json_int_t)id, "case_ref", m->case_ref, "when", when,
	    "format", web_format_name(m->format), "place", m->location ?
	    m->location : "To be confirmed", "reason", m->reason ?
	    m->reason : "", "status", web_status_name(m->status), "agency",
	    web_agency_name(pa->agency), "children", children_view(m),
	    "invitees", invitees_view(m, pid), "concerns", concerns_view(m),
	    "sent", sent_view(m, pa->agency), "can_reply",
	    strcmp(m->status, "scheduled") == 0,
	    "pcsrf", pa->csrf, "partner_name", pa->name);
	if (d == NULL)
		goto out;
	json_object_set_new(d, "id_meeting", json_integer((json_int_t)id));
	json_object_set_new(d, "sent_any", json_boolean(json_array_size(
	    json_object_get(d, "sent")) > 0));
	/* The record once it is submitted: the draft to check, then the
	 * final one. */
	shows_record = m->record != NULL && strcmp(m->record->status,
	    "draft") != 0;
	if (shows_record)
		json_object_set_new(d, "record", record_view(m, pa->agency));
	if (done != NULL)
		json_object_set_new(d, "done", json_string(done));
	forms_view(rq, we, pa, d);
	if (bad) {
		json_object_set_new(d, "has_errors", json_true());
		web_errors_put(we, d);
	}
	/* Every view is logged before it is shown. */
	client_of(rq, addr, sizeof(addr));
	if (partner_view_log(rq->db, id, pa->contact_id, shows_record ?
	    "record" : "pack", addr) != 0) {
		json_decref(d);
		goto out;
	}
	status = web_page(rq, rs, bad ? 422 : 200, "partner_pack",
	    "Meeting pack", d);
out:
	model_discussion_free(m);
	if (status == 500 && rs->status != 500 && rs->status != 0)
		status = rs->status;
	return rs->status = status;
}

/* GET /partner: the partner's meetings. */
static int
h_list(struct http_req *rq, struct http_resp *rs)
{
	const char *q = http_query(rq, "done");
	struct partner pa;
	json_t *a;

	if (signed_in(rq, rs, &pa) != 0)
		return rs->status;
	if ((a = partner_meetings_json(rq->db, pa.contact_id)) == NULL)
		return rs->status = 500;
	return web_page(rq, rs, 200, "partner_list", "Your strategy meetings",
	    json_pack("{s:b, s:o, s:s, s:s, s:s?}", "meetings_any",
	    json_array_size(a) > 0, "meetings", a, "pcsrf", pa.csrf,
	    "partner_name", pa.name, "done", q != NULL && strcmp(q, "totp")
	    == 0 ? "Your authenticator app is set up: from now on, sign in "
	    "with its codes." : NULL));
}

/* GET /partner/meetings/{id}: the pack. */
static int
h_pack(struct http_req *rq, struct http_resp *rs)
{
	static const char *const done[][2] = {
		{ "information", "Your information has been added to the "
		  "record. The social worker can see it now." },
		{ "reply", "Your reply has been recorded." },
		{ "check", "Thank you: your answer is with the manager who "
		  "authorises the record." },
		{ "action", "The action is marked as done." },
	};
	const char *q = http_query(rq, "done"), *msg = NULL;
	struct partner pa;
	long id, pid;
	size_t i;

	if (signed_in(rq, rs, &pa) != 0)
		return rs->status;
	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, NOT_FOUND);
	if (access_ok(rq, rs, pa.contact_id, id, &pid) != 0)
		return rs->status;
	for (i = 0; q != NULL && i < sizeof(done) / sizeof(done[0]); i++)
		if (strcmp(q, done[i][0]) == 0)
			msg = done[i][1];
	return pack_page(rq, rs, &pa, id, pid, NULL, msg);
}

/* A refused pack form: the pack again with the errors (422), or the
 * model's refusal as an error page. */
static int
refused(struct http_req *rq, struct http_resp *rs, const struct partner *pa,
    long id, long pid, struct web_errors *we, const struct verr *e)
{
	if (e != NULL && e->status == 500)
		return rs->status = 500;
	if (e != NULL)
		return http_error(rq, rs, e->status, NULL, "%s", e->msg);
	return pack_page(rq, rs, pa, id, pid, we, NULL);
}

/* POST /partner/meetings/{id}/information: our agency's information. */
static int
h_information(struct http_req *rq, struct http_resp *rs)
{
	char info[WEB_BUF(MODEL_LONG_TEXT_MAX)], from[WEB_NAME_BUF];
	const char *checks = form_get(&rq->form, "checks");
	struct verr e = { 0 };
	struct web_errors we;
	struct partner pa;
	long id, pid;
	int rc;

	if (partner_post(rq, rs, &pa, &id) != 0 ||
	    access_ok(rq, rs, pa.contact_id, id, &pid) != 0)
		return rs->status;
	web_errors_init(&we);
	web_field(rq, "information", info, sizeof(info));
	web_field(rq, "from_whom", from, sizeof(from));
	web_check_text(&we, "information", info, 1, MODEL_LONG_TEXT_MAX, 1,
	    "what your agency knows");
	if (checks == NULL || !vocab_has(VOCAB_CHECKS, checks))
		web_error(&we, "checks", NULL, "Select which checks you have "
		    "done");
	web_check_text(&we, "from_whom", from, 1, MODEL_NAME_MAX, 0,
	    "who the information is from");
	if (web_errors_any(&we))
		rc = refused(rq, rs, &pa, id, pid, &we, NULL);
	else if (partner_information_add(rq->db, pid, id, &pa, info, checks,
	    from, &e) != 0)
		rc = refused(rq, rs, &pa, id, pid, &we, &e);
	else {
		log_info("partner", "contact %ld sent information for "
		    "discussion %ld", pa.contact_id, id);
		rc = web_redirectf(rs, "/partner/meetings/%ld?done="
		    "information", id);
	}
	web_errors_free(&we);
	return rc;
}

/* POST /partner/meetings/{id}/reply: accept, tentative, decline. */
static int
h_reply(struct http_req *rq, struct http_resp *rs)
{
	char reason[WEB_BUF(PARTNER_REASON_MAX)];
	struct verr e = { 0 };
	struct web_errors we;
	enum rsvp_answer ans = RSVP_ACCEPT;
	struct partner pa;
	long id, pid;
	int rc, ok;

	if (partner_post(rq, rs, &pa, &id) != 0 ||
	    access_ok(rq, rs, pa.contact_id, id, &pid) != 0)
		return rs->status;
	web_errors_init(&we);
	web_field(rq, "reason", reason, sizeof(reason));
	ok = rsvp_answer_parse(form_get(&rq->form, "answer"), &ans) == 0;
	if (!ok)
		web_error(&we, "answer", NULL, "Select whether you will "
		    "attend");
	else if (ans == RSVP_DECLINE)
		web_check_text(&we, "reason", reason, 1, PARTNER_REASON_MAX, 1,
		    "why you cannot attend");
	else
		reason[0] = '\0';
	if (web_errors_any(&we))
		rc = refused(rq, rs, &pa, id, pid, &we, NULL);
	else if (partner_reply(rq->db, pid, id, ans, reason[0] ? reason :
	    NULL, &e) != 0)
		rc = refused(rq, rs, &pa, id, pid, &we, &e);
	else
		rc = web_redirectf(rs, "/partner/meetings/%ld?done=reply", id);
	web_errors_free(&we);
	return rc;
}

/* POST /partner/meetings/{id}/record-check: accurate, or dissent. */
static int
h_record_check(struct http_req *rq, struct http_resp *rs)
{
	char about[WEB_BUF(MODEL_TEXT_MAX)];
	const char *ans = form_get(&rq->form, "check");
	struct verr e = { 0 };
	struct web_errors we;
	struct partner pa;
	long id, pid;
	int rc, accurate = 0;

	if (partner_post(rq, rs, &pa, &id) != 0 ||
	    access_ok(rq, rs, pa.contact_id, id, &pid) != 0)
		return rs->status;
	web_errors_init(&we);
	web_field(rq, "about", about, sizeof(about));
	if (ans != NULL && strcmp(ans, "accurate") == 0)
		accurate = 1;
	else if (ans == NULL || strcmp(ans, "dissent") != 0)
		web_error(&we, "check", NULL, "Select whether the record is "
		    "accurate");
	else
		web_check_text(&we, "about", about, 1, MODEL_TEXT_MAX, 1,
		    "what your agency disagrees with");
	if (web_errors_any(&we))
		rc = refused(rq, rs, &pa, id, pid, &we, NULL);
	else if (partner_record_check(rq->db, pid, id, pa.agency, accurate,
	    about, &e) != 0)
		rc = refused(rq, rs, &pa, id, pid, &we, &e);
	else
		rc = web_redirectf(rs, "/partner/meetings/%ld?done=check", id);
	web_errors_free(&we);
	return rc;
}

/* POST /partner/meetings/{id}/actions/{aid}/done: an action of the
 * partner's agency is done. */
static int
h_action_done(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	struct partner pa;
	long id, pid, aid;

	if (partner_post(rq, rs, &pa, &id) != 0 ||
	    access_ok(rq, rs, pa.contact_id, id, &pid) != 0)
		return rs->status;
	if (http_param_id(rq, 1, &aid) != 0)
		return http_error(rq, rs, 404, NULL, NOT_FOUND);
	if (partner_action_done(rq->db, id, aid, pa.agency, &e) != 0)
		return refused(rq, rs, &pa, id, pid, NULL, &e);
	return web_redirectf(rs, "/partner/meetings/%ld?done=action", id);
}

/* The authenticator page: the secret to add to an app and the form for
 * its first code, or that it is on. */
static int
totp_page(struct http_req *rq, struct http_resp *rs, const struct partner *pa,
    int status, const char *error)
{
	char b32[MFA_SECRET_B32_MAX], uri[MFA_URI_MAX];
	struct web_errors we;
	json_t *d;
	int rc;

	if ((rc = partner_totp_begin(rq->db, pa->contact_id, b32,
	    sizeof(b32))) < 0)
		return rs->status = 500;
	web_errors_init(&we);
	if (error != NULL)
		web_error(&we, "code", NULL, "%s", error);
	d = json_pack("{s:b, s:s, s:s}", "enrolled", rc == 1, "pcsrf",
	    pa->csrf, "partner_name", pa->name);
	if (d != NULL && rc == 0 && mfa_otpauth_uri(pa->name, b32, uri,
	    sizeof(uri)) == 0) {
		json_object_set_new(d, "secret", json_string(b32));
		json_object_set_new(d, "uri", json_string(uri));
		json_object_set_new(d, "f_code", web_fld(&we, "code", "Code "
		    "from your authenticator app", "The 6 digits it shows "
		    "for Convene", ""));
	}
	if (d != NULL && web_errors_any(&we)) {
		json_object_set_new(d, "has_errors", json_true());
		web_errors_put(&we, d);
	}
	web_errors_free(&we);
	return web_page(rq, rs, status, "partner_totp", "Sign in with an "
	    "authenticator app", d);
}

/* GET /partner/authenticator */
static int
h_totp_form(struct http_req *rq, struct http_resp *rs)
{
	struct partner pa;

	if (signed_in(rq, rs, &pa) != 0)
		return rs->status;
	return totp_page(rq, rs, &pa, 200, NULL);
}

/* POST /partner/authenticator: the first code confirms the secret. */
static int
h_totp_confirm(struct http_req *rq, struct http_resp *rs)
{
	struct partner pa;
	int rc;

	if (signed_in(rq, rs, &pa) != 0)
		return rs->status;
	if (partner_csrf_ok(&pa, form_get(&rq->form, "csrf_token")) != 0)
		return http_error(rq, rs, 403, "csrf_token", "this form had "
		    "expired: reload the page and try again");
	rc = partner_totp_confirm(rq->db, pa.contact_id, form_get(&rq->form,
	    "code"));
	if (rc < 0)
		return rs->status = 500;
	if (rc == 1) {
		/* A fresh secret would make the app's entry useless: show
		 * the same one again. */
		return totp_page(rq, rs, &pa, 422, "The code is wrong: check "
		    "the app shows Convene and enter the code it shows now");
	}
	log_info("partner", "contact %ld set up an authenticator app",
	    pa.contact_id);
	return web_redirectf(rs, "/partner?done=totp");
}

/* POST /directory/contacts/{id}/authenticator-reset: an admin of the
 * contact's authority turns the partner's authenticator app off. */
static int
h_totp_reset(struct http_req *rq, struct http_resp *rs)
{
	long id;
	int rc;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such contact");
	if ((rc = partner_totp_reset(rq->db, &rq->user, id)) < 0)
		return rs->status = 500;
	if (rc == 1)
		return http_error(rq, rs, 404, NULL, "this contact of your "
		    "authority has no authenticator app set up");
	log_info("partner", "authenticator app of contact %ld turned off by "
	    "user %ld", id, rq->user.id);
	return web_redirectf(rs, "/directory/contacts/%ld", id);
}

/*
 * Partners are not users: every route is public here and the handlers
 * check the partner's session (and its CSRF token) themselves.
 */
const struct route partner_routes[] = {
	{ "GET", "/partner", AUTH_NONE, 0, h_list, ROUTE_NO_CSRF,
	  "a partner's meetings (partner session)" },
	{ "GET", "/partner/authenticator", AUTH_NONE, 0, h_totp_form,
	  ROUTE_NO_CSRF, "set up an authenticator app instead of emailed "
	  "codes (partner session)" },
	{ "POST", "/partner/authenticator", AUTH_NONE, 0, h_totp_confirm,
	  ROUTE_NO_CSRF, "its first code turns it on (partner session, "
	  "CSRF)" },
	{ "POST", "/partner/sign-out", AUTH_NONE, 0, h_sign_out,
	  ROUTE_NO_CSRF, "end the partner session (its CSRF token)" },
	{ "GET", "/partner/meetings/{id}", AUTH_NONE, 0, h_pack,
	  ROUTE_NO_CSRF, "the meeting pack (partner session; view logged)" },
	{ "POST", "/partner/meetings/{id}/information", AUTH_NONE, 0,
	  h_information, ROUTE_NO_CSRF, "our agency's information, into the "
	  "record in writing (partner session, CSRF)" },
	{ "POST", "/partner/meetings/{id}/reply", AUTH_NONE, 0, h_reply,
	  ROUTE_NO_CSRF, "reply to the invitation (partner session, CSRF)" },
	{ "POST", "/partner/meetings/{id}/record-check", AUTH_NONE, 0,
	  h_record_check, ROUTE_NO_CSRF, "the submitted record is accurate, "
	  "or the agency's dissent (partner session, CSRF)" },
	{ "POST", "/partner/meetings/{id}/actions/{aid}/done", AUTH_NONE, 0,
	  h_action_done, ROUTE_NO_CSRF, "an action of the partner's agency "
	  "is done (partner session, CSRF)" },
	{ "GET", "/partner/{token}", AUTH_NONE, 0, h_start, ROUTE_NO_CSRF,
	  "the pack link of an invitation: asks for a sign-in code" },
	{ "POST", "/partner/{token}/code", AUTH_NONE, 0, h_code,
	  ROUTE_NO_CSRF, "email a one-time code to the contact (throttled)" },
	{ "POST", "/partner/{token}/sign-in", AUTH_NONE, 0, h_sign_in,
	  ROUTE_NO_CSRF, "the code: a partner session (throttled)" },
	/* Staff: an admin turns a partner's authenticator app off. */
	{ "POST", "/directory/contacts/{id}/authenticator-reset", AUTH_SESSION,
	  ROLE_ADMIN, h_totp_reset, 0, "turn off a partner's authenticator "
	  "app (their authority's contacts)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
