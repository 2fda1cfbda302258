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
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
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
		web_when(json_string_value(json_object_get(o, "starts_at")), when,
		    sizeof(when));
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
