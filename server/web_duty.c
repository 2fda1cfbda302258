/*
 * web_duty: see include/web_duty.h. The panel and the list are views of
 * calls_at_risk() and calls_at_risk_list(); the form goes through
 * calls_log(), so the page and the API refuse the same things.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "calls.h"
#include "classify.h"
#include "form.h"
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "rota.h"
#include "str.h"
#include "vocab.h"
#include "web.h"
#include "web_duty.h"

#define HOME_AT_RISK_MAX	20
#define TITLE_MAX		256

/* "Health has not accepted", "Health and police have not accepted". */
static void
title_of(json_t *at_risk, char *out, size_t len)
{
	size_t i, n = json_array_size(at_risk), used = 0;
	const char *name;
	int k;

	out[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		name = json_string_value(json_object_get(json_array_get(
		    at_risk, i), "agency_name"));
		k = snprintf(out + used, len - used, "%s%s", i == 0 ? "" :
		    i + 1 == n ? " and " : ", ", name != NULL ? name : "");
		if (k > 0)
			used += (size_t)k;
	}
	if (used < len)
		snprintf(out + used, len - used, " %s not accepted", n > 1 ?
		    "have" : "has");
}

/* Rows {when, what, agency} of the chases, {when, agency, spoke_to,
 * outcome} of the calls, with times in words. */
static json_t *
rows_with_when(json_t *a, const char *key, int chases)
{
	char when[96];
	json_t *out = json_array(), *r, *o;
	size_t i;
	const char *kind;

	for (i = 0; i < json_array_size(a); i++) {
		o = json_array_get(a, i);
		web_when(json_string_value(json_object_get(o, key)), when,
		    sizeof(when));
		r = json_deep_copy(o);
		json_object_set_new(r, "when", json_string(when));
		if (chases) {
			kind = json_string_value(json_object_get(o, "kind"));
			json_object_set_new(r, "what", json_string(vocab_words(
			    VOCAB_CHASE_KIND, kind != NULL ? kind : "")));
		}
		json_array_append_new(out, r);
	}
	return out;
}

/* Radio items {value, text} from the at-risk agencies. */
static json_t *
agency_items(json_t *at_risk, const char *current)
{
	const char *pairs[2 * CLASSIFY_MAX_AGENCIES + 1];
	size_t i, n = 0;
	json_t *o;

	for (i = 0; i < json_array_size(at_risk) && n + 2 <
	    sizeof(pairs) / sizeof(pairs[0]); i++) {
		o = json_array_get(at_risk, i);
		pairs[n++] = json_string_value(json_object_get(o, "agency"));
		pairs[n++] = json_string_value(json_object_get(o,
		    "agency_name"));
	}
	pairs[n] = NULL;
	return web_choices("call_agency", pairs, current);
}

/* Radio items from the call_outcome vocabulary. */
static json_t *
outcome_items(const char *current)
{
	const char *pairs[2 * 16 + 1];
	const struct vocab_term *t;
	size_t i, n, k = 0;

	t = vocab_terms(VOCAB_CALL_OUTCOME, &n);
	for (i = 0; i < n && k + 2 < sizeof(pairs) / sizeof(pairs[0]); i++) {
		pairs[k++] = t[i].code;
		pairs[k++] = t[i].words;
	}
	pairs[k] = NULL;
	return web_choices("call_outcome", pairs, current);
}

/* The "Log a call" form's fields, refilled from a refused POST. */
static void
call_form(struct http_req *rq, json_t *panel, json_t *at_risk,
    const struct web_errors *we)
{
	char agency[40], t[16], who[CALLS_SPOKE_TO_MAX * 4 + 1], out[40];
	json_t *f;

	web_field(rq, "call_agency", agency, sizeof(agency));
	web_field(rq, "call_time", t, sizeof(t));
	web_field(rq, "call_spoke_to", who, sizeof(who));
	web_field(rq, "call_outcome", out, sizeof(out));
	json_object_set_new(panel, "f_agency", f = web_fld(we, "call_agency",
	    "Who did you call?", NULL, agency));
	json_object_set_new(f, "items", agency_items(at_risk, agency));
	json_object_set_new(f, "inline", json_true());
	json_object_set_new(panel, "f_time", f = web_fld(we, "call_time",
	    "Time of the call", "Today, for example 14:30", t));
	json_object_set_new(f, "width", json_string("govuk-input--width-5"));
	json_object_set_new(panel, "f_spoke_to", web_fld(we, "call_spoke_to",
	    "Who did you speak to?", "Their name and role", who));
	json_object_set_new(panel, "f_outcome", f = web_fld(we,
	    "call_outcome", "Outcome", NULL, out));
	json_object_set_new(f, "items", outcome_items(out));
}

int
web_duty_meeting_view(struct http_req *rq, const struct discussion *m,
    json_t *d, const struct web_errors *we)
{
	struct verr e = { 0 };
	char title[TITLE_MAX];
	json_t *v = NULL, *panel, *at_risk, *chases, *calls;

	if (calls_at_risk(rq->db, &rq->user, m->id, NULL, &v, &e) != 0)
		return -1;
	at_risk = json_object_get(v, "at_risk");
	chases = json_object_get(v, "chases");
	calls = json_object_get(v, "calls");
	if (json_array_size(at_risk) + json_array_size(chases) +
	    json_array_size(calls) == 0) {
		json_decref(v);
		return 0;
	}
	title_of(at_risk, title, sizeof(title));
	panel = json_pack("{s:I, s:s, s:b, s:o, s:o, s:b}", "id",
	    (json_int_t)m->id, "title", title, "warn",
	    json_array_size(at_risk) > 0, "chases", rows_with_when(chases,
	    "sent_at", 1), "calls", rows_with_when(calls, "called_at", 0),
	    "can_log", json_array_size(at_risk) > 0 && (m->status == NULL ||
	    strcmp(m->status, "cancelled") != 0));
	if (panel != NULL) {
		json_object_set_new(panel, "any_chases",
		    json_boolean(json_array_size(chases) > 0));
		json_object_set_new(panel, "any_calls",
		    json_boolean(json_array_size(calls) > 0));
	}
	if (panel != NULL && json_array_size(at_risk) > 0)
		call_form(rq, panel, at_risk, we);
	json_object_set_new(d, "at_risk_panel", panel);
	json_decref(v);
	return 0;
}

int
web_duty_evidence(struct http_req *rq, const struct discussion *m,
    json_t *d)
{
	struct verr e = { 0 };
	json_t *v = NULL, *chases, *calls;

	if (calls_at_risk(rq->db, &rq->user, m->id, NULL, &v, &e) != 0)
		return -1;
	chases = json_object_get(v, "chases");
	calls = json_object_get(v, "calls");
	if (json_array_size(chases) + json_array_size(calls) > 0)
		json_object_set_new(d, "evidence", json_pack("{s:o, s:o}",
		    "chases", rows_with_when(chases, "sent_at", 1), "calls",
		    rows_with_when(calls, "called_at", 0)));
	json_decref(v);
	return 0;
}

int
web_duty_home_view(struct http_req *rq, json_t *d)
{
	char when[96], names[TITLE_MAX];
	json_t *l, *o, *a;
	size_t i, j;
	int k, used;

	if ((l = calls_at_risk_list(rq->db, &rq->user, HOME_AT_RISK_MAX)) ==
	    NULL)
		return -1;
	for (i = 0; i < json_array_size(l); i++) {
		o = json_array_get(l, i);
		web_when(json_string_value(json_object_get(o, "starts_at")),
		    when, sizeof(when));
		json_object_set_new(o, "when", json_string(when));
		a = json_object_get(o, "agencies");
		names[0] = '\0';
		for (j = 0, used = 0; j < json_array_size(a); j++) {
			k = snprintf(names + used, sizeof(names) - (size_t)used,
			    "%s%s", j ? ", " : "", json_string_value(
			    json_array_get(a, j)));
			if (k > 0 && (size_t)(used + k) < sizeof(names))
				used += k;
		}
		json_object_set_new(o, "agency_names", json_string(names));
	}
	json_object_set_new(d, "at_risk", json_pack("{s:o, s:b}", "rows", l,
	    "any", json_array_size(l) > 0));
	return 0;
}

/* The instant of "HH:MM" today in London; -1 when it is not a time. */
static int
today_at(const char *s, time_t *out)
{
	int y, mo, d, h, mi, hh, mm;

	if (web_parse_time(s, &hh, &mm) != 0)
		return -1;
	if (ltime_local(time(NULL), &y, &mo, &d, &h, &mi) != 0)
		return -1;
	return ltime_from_local(y, mo, d, hh, mm, out);
}

/* Read the form into body; errors into we. */
static void
read_form(struct http_req *rq, struct web_errors *we, json_t *body)
{
	char v[CALLS_SPOKE_TO_MAX * 4 + 1], iso[LTIME_ISO_MAX];
	time_t t;

	if (web_field(rq, "call_agency", v, sizeof(v))[0] == '\0')
		web_error(we, "call_agency", NULL, "Select the agency you "
		    "called");
	json_object_set_new(body, "agency", json_string(v));
	if (today_at(web_field(rq, "call_time", v, sizeof(v)), &t) != 0 ||
	    ltime_format(t, iso, sizeof(iso)) != 0)
		web_error(we, "call_time", NULL, "Enter the time of the call, "
		    "for example 14:30");
	else
		json_object_set_new(body, "called_at", json_string(iso));
	web_field(rq, "call_spoke_to", v, sizeof(v));
	if (web_check_text(we, "call_spoke_to", v, 1, CALLS_SPOKE_TO_MAX, 0,
	    "who you spoke to") == 0)
		json_object_set_new(body, "spoke_to", json_string(v));
	if (web_field(rq, "call_outcome", v, sizeof(v))[0] == '\0')
		web_error(we, "call_outcome", NULL, "Select the outcome of the "
		    "call");
	json_object_set_new(body, "outcome", json_string(v));
}

int
web_duty_call_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "agency", "call_agency",
		"called_at", "call_time", "spoke_to", "call_spoke_to",
		"outcome", "call_outcome", NULL };
	struct discussion *m = NULL;
	struct web_errors we;
	struct verr e = { 0 };
	json_t *body = json_object(), *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (web_discussion_load(rq, rs, &id, &m) != 0) {
		status = rs->status;
		goto out;
	}
	read_form(rq, &we, body);
	if (!web_errors_any(&we) && calls_log(rq->db, &rq->user, id, body,
	    &out, &e) != 0) {
		if (e.status != 422) {
			status = web_fail(rq, rs, &e);
			goto out;
		}
		web_error_verr(&we, &e, map);
	}
	if (web_errors_any(&we)) {
		status = web_meeting_page(rq, rs, m, &we);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%ld?done=call#at-risk", id);
out:
	model_discussion_free(m);
	json_decref(out);
	json_decref(body);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- the booking form's "On duty" tag ----------------------------------- */

static int
listed(json_t *codes, const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < json_array_size(codes); i++)
		if (strcmp(json_string_value(json_array_get(codes, i)), code) ==
		    0)
			return 1;
	return 0;
}

/* Set on_duty on the contact id of groups. */
static void
mark(json_t *groups, json_int_t id)
{
	json_t *g, *c;
	size_t i, j;

	json_array_foreach(groups, i, g)
		json_array_foreach(json_object_get(g, "contacts"), j, c)
			if (json_integer_value(json_object_get(c, "id")) == id)
				json_object_set_new(c, "on_duty", json_true());
}

int
web_duty_mark_on_duty(struct http_req *rq, json_t *groups, json_t *stat)
{
	struct web_errors scratch;
	json_t *orgs, *o, *who;
	time_t at = time(NULL), t;
	size_t i;

	/* the slot chosen so far; its own errors are the form's business */
	web_errors_init(&scratch);
	if (rq->form.n > 0 && web_datetime(rq, &scratch, "when", "the date",
	    &t) == 0)
		at = t;
	web_errors_free(&scratch);
	if ((orgs = rota_on_duty(rq->db, at, "")) == NULL)
		return -1;
	json_array_foreach(orgs, i, o) {
		who = json_object_get(o, "on_duty");
		if (json_is_object(who) && listed(stat, json_string_value(
		    json_object_get(o, "agency"))))
			mark(groups, json_integer_value(json_object_get(who,
			    "contact_id")));
	}
	json_decref(orgs);
	return 0;
}

/* ---- the duty rota page ------------------------------------------------ */

/* The page for organisation id's setup cur (a rota_get object), with the
 * form refilled from rq after a refusal. */
static int
rota_page(struct http_req *rq, struct http_resp *rs, long id, json_t *cur,
    struct web_errors *we, int status)
{
	char v[300], when[96], until[96];
	json_t *d, *f, *rows = json_array(), *items, *o, *w;
	size_t i;

	for (i = 0; i < json_array_size(json_object_get(cur, "rota")); i++) {
		w = json_array_get(json_object_get(cur, "rota"), i);
		web_when(json_string_value(json_object_get(w, "starts_at")),
		    when, sizeof(when));
		web_when(json_string_value(json_object_get(w, "ends_at")),
		    until, sizeof(until));
		json_array_append_new(rows, json_pack("{s:O, s:s, s:s, s:O}",
		    "name", json_object_get(w, "name"), "from", when, "until",
		    until, "key", json_object_get(w, "starts_at")));
	}
	d = json_pack("{s:I, s:O, s:o, s:b}", "id", (json_int_t)id,
	    "organisation", json_object_get(cur, "organisation"), "rows", rows,
	    "any", json_array_size(rows) > 0);
	if (d == NULL)
		return rs->status = 500;
	o = json_object_get(cur, "duty_email");
	json_object_set_new(d, "f_email", web_fld(we, "duty_email",
	    "Duty inbox", "A shared mailbox: escalations go here",
	    rq->form.n > 0 ? web_field(rq, "duty_email", v, sizeof(v)) :
	    json_is_string(o) ? json_string_value(o) : ""));
	o = json_object_get(cur, "duty_phone");
	json_object_set_new(d, "f_phone", f = web_fld(we, "duty_phone",
	    "Duty phone", NULL, rq->form.n > 0 ? web_field(rq, "duty_phone",
	    v, sizeof(v)) : json_is_string(o) ? json_string_value(o) : ""));
	json_object_set_new(f, "width", json_string("govuk-input--width-20"));
	if ((items = rota_contacts(rq->db, id)) == NULL) {
		json_decref(d);
		return rs->status = 500;
	}
	json_array_insert_new(items, 0, json_pack("{s:s, s:s}", "value", "",
	    "text", "Nobody (no new window)"));
	json_object_set_new(d, "f_contact", f = web_fld(we, "new_contact",
	    "Contact on duty", NULL, NULL));
	json_object_set_new(f, "items", items);
	json_object_set_new(d, "f_start", web_fld_date(we, rq->form.n > 0 ?
	    rq : NULL, "new_start", "From", "For example, 7 12 2026 and 08:00",
	    1));
	json_object_set_new(d, "f_end", web_fld_date(we, rq->form.n > 0 ?
	    rq : NULL, "new_end", "Until", NULL, 1));
	json_object_set_new(d, "done", json_string(http_query(rq, "done") !=
	    NULL ? "The duty contact and rota have been saved." : ""));
	if (web_errors_any(we))
		web_errors_put(we, d);
	return web_page(rq, rs, status, "admin_rota", "Duty contact and rota",
	    d);
}

int
web_duty_rota_form(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct verr e = { 0 };
	json_t *cur = NULL;
	long id;
	int status;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such "
		    "organisation");
	if (rota_get(rq->db, &rq->user, id, NULL, &cur, &e) != 0)
		return web_fail(rq, rs, &e);
	web_errors_init(&we);
	status = rota_page(rq, rs, id, cur, &we, 200);
	web_errors_free(&we);
	json_decref(cur);
	return status;
}

/* Was the window starting at key ticked for removal? */
static int
removed(struct http_req *rq, const char *key)
{
	const char *vals[ROTA_MAX_ENTRIES];
	size_t i, n;

	n = form_get_all(&rq->form, "remove", vals, ROTA_MAX_ENTRIES);
	for (i = 0; i < n; i++)
		if (key != NULL && strcmp(vals[i], key) == 0)
			return 1;
	return 0;
}

/* The body for rota_put: the form's inbox and phone, the windows kept and
 * the new one. */
static json_t *
rota_body(struct http_req *rq, struct web_errors *we, json_t *cur)
{
	char v[300], s[LTIME_ISO_MAX], t[LTIME_ISO_MAX];
	json_t *b = json_object(), *rota = json_array(), *w;
	time_t from, until;
	size_t i;
	long cid;

	if (web_field(rq, "duty_email", v, sizeof(v))[0] != '\0')
		json_object_set_new(b, "duty_email", json_string(v));
	if (web_field(rq, "duty_phone", v, sizeof(v))[0] != '\0')
		json_object_set_new(b, "duty_phone", json_string(v));
	for (i = 0; i < json_array_size(json_object_get(cur, "rota")); i++) {
		w = json_array_get(json_object_get(cur, "rota"), i);
		if (!removed(rq, json_string_value(json_object_get(w,
		    "starts_at"))))
			json_array_append_new(rota, json_pack("{s:O, s:O, s:O}",
			    "contact_id", json_object_get(w, "contact_id"),
			    "starts_at", json_object_get(w, "starts_at"),
			    "ends_at", json_object_get(w, "ends_at")));
	}
	if (web_field(rq, "new_contact", v, sizeof(v))[0] != '\0') {
		if (str_to_long(v, 1, MODEL_ID_MAX, &cid) != 0)
			web_error(we, "new_contact", NULL, "Select a contact");
		if (web_datetime(rq, we, "new_start", "the start",
		    &from) == 0 &&
		    web_datetime(rq, we, "new_end", "the end", &until) == 0 &&
		    ltime_format(from, s, sizeof(s)) == 0 &&
		    ltime_format(until, t, sizeof(t)) == 0)
			json_array_append_new(rota, json_pack("{s:I, s:s, s:s}",
			    "contact_id", (json_int_t)cid, "starts_at", s,
			    "ends_at", t));
	}
	json_object_set_new(b, "rota", rota);
	return b;
}

int
web_duty_rota_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "duty_email", "duty_email",
		"duty_phone", "duty_phone", "rota", "new_start", NULL };
	struct web_errors we;
	struct verr e = { 0 };
	json_t *cur = NULL, *body = NULL, *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (http_param_id(rq, 0, &id) != 0) {
		status = http_error(rq, rs, 404, NULL, "there is no such "
		    "organisation");
		goto out;
	}
	if (rota_get(rq->db, &rq->user, id, NULL, &cur, &e) != 0) {
		status = web_fail(rq, rs, &e);
		goto out;
	}
	body = rota_body(rq, &we, cur);
	if (!web_errors_any(&we) && rota_put(rq->db, &rq->user, id, body,
	    &out, &e) != 0) {
		if (e.status != 422) {
			status = web_fail(rq, rs, &e);
			goto out;
		}
		/* the only window the form adds is the last one */
		if (strncmp(e.field, "rota[", 5) == 0 && strstr(e.field,
		    ".starts_at") != NULL)
			web_error(&we, "new_start", NULL, "The new window "
			    "overlaps one already on the rota: one contact is "
			    "on duty at a time");
		else
			web_error_verr(&we, &e, map);
	}
	if (web_errors_any(&we)) {
		status = rota_page(rq, rs, id, cur, &we, 422);
		goto out;
	}
	status = web_redirectf(rs, "/directory/organisations/%ld/rota?done=1",
	    id);
out:
	json_decref(cur);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rs->status = status;
}
