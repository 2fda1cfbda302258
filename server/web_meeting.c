/*
 * web_meeting: one strategy discussion: its details, participants grouped by
 * agency with their replies and attendance, the planned and actual
 * classification, the outcome, and its history from the audit log; and the
 * changes a social worker can make while it is scheduled: reschedule,
 * change invitees, cancel. Reads through meeting_get (which decides who may
 * see it); writes through meeting_update and meeting_cancel.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "invite.h"
#include "ltime.h"
#include "meeting.h"
#include "str.h"
#include "web.h"

static const char *const formats[] = { "in_person", "In person", "video",
	"Video call", "phone", "Phone", NULL };

/* Load meeting {id} for the page; -1 (response sent) when it cannot be. */
static int
load(struct http_req *rq, struct http_resp *rs, long *id, json_t **m)
{
	struct verr e = { 0 };

	*m = NULL;
	if (http_param_id(rq, 0, id) != 0) {
		http_error(rq, rs, 404, NULL, "there is nothing at this address");
		return -1;
	}
	if (meeting_get(rq->db, &rq->user, *id, m, &e) != 0) {
		web_fail(rq, rs, &e);
		return -1;
	}
	return 0;
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Changes are for scheduled meetings only: 409 (sent) otherwise. */
static int
scheduled(struct http_req *rq, struct http_resp *rs, json_t *m)
{
	const char *status = jstr(m, "status");

	if (strcmp(status, "scheduled") == 0)
		return 0;
	http_error(rq, rs, 409, NULL, "this strategy discussion is %s, so it "
	    "can no longer be changed", strcmp(status, "held") == 0 ?
	    "held" : "cancelled");
	return -1;
}

static const char *
response_text(const char *partstat)
{
	if (strcmp(partstat, "ACCEPTED") == 0)
		return "Accepted";
	if (strcmp(partstat, "DECLINED") == 0)
		return "Declined";
	if (strcmp(partstat, "TENTATIVE") == 0)
		return "Tentative";
	return "No reply yet";
}

/* Participants grouped by agency, in the agencies' order. */
json_t *
web_participant_groups(json_t *m, int include_removed)
{
	json_t *groups = json_array(), *g, *p, *people;
	const char *att;
	size_t a, i;

	for (a = 0; web_agencies[a] != NULL; a++) {
		people = json_array();
		json_array_foreach(json_object_get(m, "participants"), i, p) {
			if (strcmp(jstr(p, "agency"), web_agencies[a]) != 0 ||
			    (!include_removed &&
			    json_is_true(json_object_get(p, "removed"))))
				continue;
			att = json_string_value(json_object_get(p,
			    "attendance"));
			json_array_append_new(people, json_pack("{s:O, s:s, s:s, "
			    "s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "id",
			    json_object_get(p, "id"), "name", jstr(p, "name"),
			    "organisation", jstr(p, "organisation"), "role",
			    jstr(p, "role"), "email", jstr(p, "email"),
			    "response", response_text(jstr(p, "response")),
			    "attendance", web_attendance_name(att),
			    "attendance_code", att ? att : "",
			    "removed", json_is_true(json_object_get(p,
			    "removed")), "on_day", json_is_true(
			    json_object_get(p, "added_on_day"))));
		}
		if (json_array_size(people) == 0) {
			json_decref(people);
			continue;
		}
		g = json_pack("{s:s, s:s, s:o}", "agency", web_agencies[a],
		    "name", web_agency_name(web_agencies[a]), "people", people);
		json_array_append_new(groups, g);
	}
	return groups;
}

static void
row(json_t *rows, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		json_array_append_new(rows, json_pack("{s:s, s:s}", "key", key,
		    "value", value));
}

static json_t *
details(json_t *m)
{
	json_t *rows = json_array(), *ch;
	char buf[64], when[96];
	struct buf names;
	size_t i;

	row(rows, "Case", jstr(m, "case_ref"));
	buf_init(&names, 16384);
	json_array_foreach(json_object_get(m, "children"), i, ch) {
		web_day(json_string_value(json_object_get(ch, "date_of_birth")),
		    when, sizeof(when));
		buf_printf(&names, "%s%s%s%s%s", i ? "; " : "", jstr(ch, "name"),
		    when[0] ? " (born " : "", when, when[0] ? ")" : "");
	}
	row(rows, "Children", buf_cstr(&names));
	buf_free(&names);
	row(rows, "Team", jstr(m, "team"));
	row(rows, "Type", strcmp(jstr(m, "kind"), "discussion") == 0 ?
	    "Discussion by phone" : "Strategy meeting");
	row(rows, "Status", web_status_name(jstr(m, "status")));
	row(rows, "Reason", jstr(m, "reason"));
	web_when(jstr(m, "concern_received_at"), when, sizeof(when));
	row(rows, "Concern received", when);
	web_when(jstr(m, "starts_at"), when, sizeof(when));
	row(rows, "Date and time", when);
	snprintf(buf, sizeof(buf), "%lld minutes", (long long)
	    json_integer_value(json_object_get(m, "duration_minutes")));
	row(rows, "Duration", buf);
	row(rows, "Format", web_format_name(jstr(m, "format")));
	row(rows, "Location or link", jstr(m, "location"));
	row(rows, "Chair", jstr(m, "chair"));
	row(rows, "Why it was cancelled", jstr(m, "cancel_reason"));
	return rows;
}

static json_t *
outcome(json_t *m)
{
	json_t *o = json_object(), *list = json_array(), *x;
	char due[64];
	size_t i;

	json_array_foreach(json_object_get(m, "outcomes"), i, x)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
		    "child", jstr(x, "child"), "decision",
		    web_decision_name(jstr(x, "decision")), "rationale",
		    jstr(x, "rationale")));
	json_object_set_new(o, "decisions", list);
	list = json_array();
	json_array_foreach(json_object_get(m, "actions"), i, x) {
		web_day(json_string_value(json_object_get(x, "due")), due,
		    sizeof(due));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "what",
		    jstr(x, "what"), "owner", jstr(x, "owner"), "due", due));
	}
	json_object_set_new(o, "actions", list);
	json_object_set_new(o, "any_actions",
	    json_boolean(json_array_size(list) > 0));
	x = json_object_get(m, "child_views_recorded");
	json_object_set_new(o, "views_recorded", json_string(json_is_true(x) ?
	    "Yes" : json_is_false(x) ? "No" : ""));
	json_object_set_new(o, "child_views", json_string(jstr(m,
	    "child_views")));
	web_day(json_string_value(json_object_get(m, "next_review_date")), due,
	    sizeof(due));
	json_object_set_new(o, "next_review", json_string(due));
	return o;
}

int
web_meeting_show(struct http_req *rq, struct http_resp *rs)
{
	char miss[200], contrib[200];
	const char *done = http_query(rq, "done"), *status;
	json_t *m, *d;
	long id;
	int sw = rq->user.role == ROLE_SOCIAL_WORKER;

	if (load(rq, rs, &id, &m) != 0)
		return rs->status;
	status = jstr(m, "status");
	d = json_pack("{s:O, s:o, s:o, s:o, s:o, s:o}", "id",
	    json_object_get(m, "id"), "m", web_meeting_row(m), "details",
	    details(m), "groups", web_participant_groups(m, 1), "planned",
	    web_class_tag(json_string_value(json_object_get(m,
	    "planned_classification"))), "actual",
	    web_class_tag(json_string_value(json_object_get(m,
	    "classification"))));
	if (web_record_meeting_view(rq, id, d) != 0) {
		json_decref(d);
		json_decref(m);
		return rs->status = 500;
	}
	web_agency_list(json_object_get(m, "planned_missing_agencies"), miss,
	    sizeof(miss));
	json_object_set_new(d, "planned_missing", json_string(miss));
	json_object_set_new(d, "missing_reason", json_string(jstr(m,
	    "missing_agency_reason")));
	web_agency_list(json_object_get(m, "missing_agencies"), miss,
	    sizeof(miss));
	web_agency_list(json_object_get(m, "contributed_agencies"), contrib,
	    sizeof(contrib));
	json_object_set_new(d, "actual_missing", json_string(
	    strcmp(status, "held") == 0 ? miss : ""));
	json_object_set_new(d, "contributed", json_string(contrib));
	json_object_set_new(d, "absence_reason", json_string(jstr(m,
	    "absence_reason")));
	json_object_set_new(d, "held", json_boolean(strcmp(status, "held") ==
	    0));
	if (strcmp(status, "held") == 0)
		json_object_set_new(d, "outcome", outcome(m));
	json_object_set_new(d, "can_change", json_boolean(sw &&
	    strcmp(status, "scheduled") == 0));
	json_object_set_new(d, "can_record", json_boolean(sw &&
	    strcmp(status, "cancelled") != 0));
	json_object_set_new(d, "done", json_string(done == NULL ? "" :
	    strcmp(done, "rescheduled") == 0 ? "The strategy discussion has "
	    "been rescheduled. Updated invites are being sent." :
	    strcmp(done, "invitees") == 0 ? "The invitees have been changed. "
	    "Invites and cancellations are being sent." :
	    strcmp(done, "cancelled") == 0 ? "The strategy discussion has been "
	    "cancelled. Everyone invited is being told." :
	    strcmp(done, "record") == 0 ? "Record saved" : ""));
	json_object_set_new(d, "back", json_pack("{s:s, s:s}", "href",
	    "/meetings", "text", "All strategy discussions"));
	/* invites: answers reset, counter-proposals (meeting_counters) */
	json_object_set_new(d, "invite_notes", invite_page_notes(rq->db, id));
	json_decref(m);
	return web_page(rq, rs, 200, "meeting", "Strategy discussion", d);
}

/* ---- reschedule --------------------------------------------------------------- */

static int
resched_page(struct http_req *rq, struct http_resp *rs, long id, json_t *m,
    struct web_errors *we)
{
	char v[WEB_BUF(500)], hm[8], ymd[16];
	json_t *d, *f;
	time_t t;
	int y, mo, dd, h, mi, posted = rq->form.n > 0;

	d = json_pack("{s:I, s:o}", "id", (json_int_t)id, "m",
	    web_meeting_row(m));
	f = web_fld_date(we, posted ? rq : NULL, "when", "New date and time",
	    "For example, 28 3 2026", 1);
	/* counter_starts: "Reschedule to this time" (meeting_counters). */
	if (!posted && ltime_parse(http_query(rq, "counter_starts") ?
	    http_query(rq, "counter_starts") : jstr(m, "starts_at"), &t, v,
	    sizeof(v)) == 0 && ltime_local(t, &y, &mo, &dd, &h, &mi) == 0) {
		snprintf(ymd, sizeof(ymd), "%04d-%02d-%02d", y, mo, dd);
		snprintf(hm, sizeof(hm), "%02d:%02d", h, mi);
		web_fld_set_date(f, ymd, hm);
	}
	json_object_set_new(d, "f_when", f);
	snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(
	    json_object_get(m, "duration_minutes")));
	if (http_query(rq, "counter_minutes") != NULL)
		str_copy(v, http_query(rq, "counter_minutes"), sizeof(v));
	json_object_set_new(d, "f_duration", f = web_fld(we, "duration",
	    "How long will it last?", NULL, posted ? web_field(rq, "duration",
	    v, sizeof(v)) : v));
	json_object_set_new(f, "width", json_string("govuk-input--width-3"));
	json_object_set_new(f, "suffix", json_string("minutes"));
	json_object_set_new(f, "inputmode", json_string("numeric"));
	json_object_set_new(d, "f_format", f = web_fld(we, "format",
	    "How will it be held?", NULL, posted ? web_field(rq, "format", v,
	    sizeof(v)) : jstr(m, "format")));
	json_object_set_new(f, "items", web_choices("format", formats,
	    json_string_value(json_object_get(f, "value"))));
	json_object_set_new(d, "f_location", web_fld(we, "location",
	    "Location or joining link (optional)", "Do not include the "
	    "child's name or address", posted ? web_field(rq, "location", v,
	    sizeof(v)) : jstr(m, "location")));
	json_object_set_new(d, "f_chair", web_fld(we, "chair",
	    "Chair (optional)", NULL, posted ? web_field(rq, "chair", v,
	    sizeof(v)) : jstr(m, "chair")));
	json_object_set_new(d, "back", json_pack("{s:s, s:I}", "text", "Back",
	    "id", (json_int_t)id));
	json_object_set_new(json_object_get(d, "back"), "href",
	    json_sprintf("/meetings/%ld", id));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "meeting_reschedule", "Reschedule", d);
}

int
web_meeting_resched_form(struct http_req *rq, struct http_resp *rs)
{
	json_t *m;
	long id;
	int status;

	if (load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (scheduled(rq, rs, m) != 0) {
		json_decref(m);
		return rs->status;
	}
	status = resched_page(rq, rs, id, m, NULL);
	json_decref(m);
	return status;
}

int
web_meeting_resched_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "starts_at", "when#when-day",
		"ends_at", "duration", "duration_minutes", "duration",
		"format", "format", "location", "location", "chair", "chair",
		"status", "form", NULL };
	struct web_errors we;
	struct verr e = { 0 };
	char v[WEB_BUF(500)], iso[LTIME_ISO_MAX];
	json_t *m = NULL, *body = json_object(), *out = NULL;
	time_t t;
	long id, dur = 0;
	int status = 500;

	web_errors_init(&we);
	if (load(rq, rs, &id, &m) != 0) {
		status = rs->status;
		goto out;
	}
	if (web_datetime(rq, &we, "when", "the new date", &t) == 0 &&
	    ltime_format(t, iso, sizeof(iso)) == 0)
		json_object_set_new(body, "starts_at", json_string(iso));
	if (str_to_long(web_field(rq, "duration", v, sizeof(v)), 5,
	    MEETING_MAX_DURATION, &dur) != 0)
		web_error(&we, "duration", NULL, "Duration must be a whole "
		    "number of minutes from 5 to %d", MEETING_MAX_DURATION);
	json_object_set_new(body, "duration_minutes", json_integer(dur));
	web_field(rq, "format", v, sizeof(v));
	if (strcmp(v, "in_person") != 0 && strcmp(v, "video") != 0 &&
	    strcmp(v, "phone") != 0)
		web_error(&we, "format", NULL, "Select how it will be held");
	json_object_set_new(body, "format", json_string(v));
	web_field(rq, "location", v, sizeof(v));
	if (web_check_text(&we, "location", v, 0, 500, 0, "the location") == 0)
		json_object_set_new(body, "location", json_string(v));
	web_field(rq, "chair", v, sizeof(v));
	if (web_check_text(&we, "chair", v, 0, MEETING_NAME_MAX, 0,
	    "the chair's name") == 0)
		json_object_set_new(body, "chair", json_string(v));
	if (!web_errors_any(&we) && meeting_update(rq->db, &rq->user, id,
	    body, &out, &e) != 0) {
		if (e.status == 500)
			goto out;
		web_error_verr(&we, &e, map);
	}
	if (web_errors_any(&we)) {
		status = resched_page(rq, rs, id, m, &we);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%ld?done=rescheduled", id);
out:
	json_decref(m);
	json_decref(out);
	json_decref(body);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- invitees -------------------------------------------------------------------- */

static int
invitees_page(struct http_req *rq, struct http_resp *rs, long id, json_t *m,
    struct web_errors *we)
{
	const char *vals[MEETING_MAX_PARTICIPANTS];
	long ids[MEETING_MAX_PARTICIPANTS];
	char v[WEB_BUF(MEETING_TEXT_MAX)], miss[200], key[32];
	json_t *d, *f, *groups, *g, *c, *p, *cur = json_array();
	size_t i, j, k, n, nids = 0;
	int nextra;

	/* Keep what was ticked when the form comes back with an error. */
	n = form_get_all(&rq->form, "contact", vals, MEETING_MAX_PARTICIPANTS);
	for (i = 0; i < n; i++)
		if (str_to_long(vals[i], 1, 9007199254740991L, &ids[nids]) == 0)
			nids++;
	if ((groups = web_directory_groups(rq->db, ids, nids)) == NULL)
		return rs->status = 500;
	/* People already invited are not offered again. */
	json_array_foreach(json_object_get(m, "participants"), i, p) {
		if (json_is_true(json_object_get(p, "removed")))
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)
		    json_integer_value(json_object_get(p, "id")));
		json_array_append_new(cur, json_pack("{s:O, s:s, s:s, s:s, "
		    "s:b}", "id", json_object_get(p, "id"), "name", jstr(p,
		    "name"), "agency", web_agency_name(jstr(p, "agency")),
		    "organisation", jstr(p, "organisation"), "checked", 0));
		json_array_foreach(groups, j, g)
			for (k = 0; k < json_array_size(json_object_get(g,
			    "contacts")); k++) {
				c = json_array_get(json_object_get(g,
				    "contacts"), k);
				if (json_equal(json_object_get(c, "id"),
				    json_object_get(p, "contact_id")))
					json_array_remove(json_object_get(g,
					    "contacts"), k--);
			}
	}
	/* Tick the people the form asked to remove. */
	n = form_get_all(&rq->form, "remove", vals, MEETING_MAX_PARTICIPANTS);
	json_array_foreach(cur, i, p)
		for (j = 0; j < n; j++) {
			snprintf(key, sizeof(key), "%lld", (long long)
			    json_integer_value(json_object_get(p, "id")));
			if (strcmp(vals[j], key) == 0)
				json_object_set_new(p, "checked", json_true());
		}
	nextra = 1;
	if (str_to_long(web_field(rq, "extras_n", v, sizeof(v)), 1,
	    WEB_MAX_EXTRA, &ids[0]) == 0)
		nextra = (int)ids[0];
	if (strcmp(web_field(rq, "action", v, sizeof(v)), "add-extra") == 0 &&
	    nextra < WEB_MAX_EXTRA)
		nextra++;
	d = json_pack("{s:I, s:o, s:o, s:o, s:o, s:i, s:b}", "id",
	    (json_int_t)id, "m", web_meeting_row(m), "current", cur, "groups",
	    groups, "extras", web_extra_rows(rq, we, "extra", nextra, 0),
	    "extras_n", nextra, "can_add_extra", nextra < WEB_MAX_EXTRA);
	web_agency_list(json_object_get(m, "planned_missing_agencies"), miss,
	    sizeof(miss));
	json_object_set_new(d, "missing_text", json_string(miss));
	json_object_set_new(d, "f_missing", f = web_fld(we,
	    "missing_agency_reason", "If social care, police or health will "
	    "not be there, say why", jstr(m, "missing_agency_reason")[0] ?
	    "A reason is already recorded; anything you write here replaces "
	    "it" : NULL, web_field(rq, "missing_agency_reason", v,
	    sizeof(v))));
	json_object_set_new(f, "rows", json_integer(3));
	if (we != NULL && json_object_get(we->by_key, "contacts") != NULL)
		json_object_set_new(d, "err_contacts", json_incref(
		    json_object_get(we->by_key, "contacts")));
	json_object_set_new(d, "back", json_pack("{s:s}", "text", "Back"));
	json_object_set_new(json_object_get(d, "back"), "href",
	    json_sprintf("/meetings/%ld", id));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "meeting_invitees", "Change invitees", d);
}

int
web_meeting_invitees_form(struct http_req *rq, struct http_resp *rs)
{
	json_t *m;
	long id;
	int status;

	if (load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (scheduled(rq, rs, m) != 0) {
		json_decref(m);
		return rs->status;
	}
	status = invitees_page(rq, rs, id, m, NULL);
	json_decref(m);
	return status;
}

/* The invitee changes as a meeting_update body; errors into we. */
static json_t *
invitee_body(struct http_req *rq, struct web_errors *we)
{
	const char *vals[MEETING_MAX_PARTICIPANTS + 1], *agency;
	json_t *body = json_object(), *add = json_array(), *rm = json_array();
	json_t *x;
	char v[WEB_BUF(MEETING_TEXT_MAX)], key[16];
	size_t i, n;
	long id, nextra = 1;
	int k;

	n = form_get_all(&rq->form, "contact", vals, MEETING_MAX_PARTICIPANTS);
	for (i = 0; i < n; i++)
		if (str_to_long(vals[i], 1, 9007199254740991L, &id) == 0)
			json_array_append_new(add, json_pack("{s:I}",
			    "contact_id", (json_int_t)id));
	if (str_to_long(web_field(rq, "extras_n", v, sizeof(v)), 1,
	    WEB_MAX_EXTRA, &nextra) != 0)
		nextra = 1;
	for (k = 0; k < nextra; k++) {
		if ((x = web_parse_person(rq, we, "extra", k, &agency)) == NULL)
			continue;
		if (json_is_null(x))
			json_decref(x);
		else
			json_array_append_new(add, x);
	}
	n = form_get_all(&rq->form, "remove", vals, MEETING_MAX_PARTICIPANTS);
	for (i = 0; i < n; i++)
		if (str_to_long(vals[i], 1, 9007199254740991L, &id) == 0)
			json_array_append_new(rm, json_integer(id));
	if (json_array_size(add) > 0)
		json_object_set_new(body, "add_participants", add);
	else
		json_decref(add);
	if (json_array_size(rm) > 0)
		json_object_set_new(body, "remove_participants", rm);
	else
		json_decref(rm);
	web_field(rq, "missing_agency_reason", v, sizeof(v));
	snprintf(key, sizeof(key), "reason");
	if (web_check_text(we, "missing_agency_reason", v, 0, MEETING_TEXT_MAX,
	    1, key) == 0 && v[0] != '\0')
		json_object_set_new(body, "missing_agency_reason",
		    json_string(v));
	if (json_object_size(body) == 0)
		web_error(we, "contacts", NULL, "Choose someone to invite or "
		    "remove");
	return body;
}

int
web_meeting_invitees_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "add_participants", "contacts",
		"remove_participants", "remove", "missing_agency_reason",
		"missing_agency_reason", "status", "form", "body", "contacts",
		NULL };
	struct web_errors we;
	struct verr e = { 0 };
	char action[16];
	json_t *m = NULL, *body = NULL, *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (load(rq, rs, &id, &m) != 0) {
		status = rs->status;
		goto out;
	}
	web_field(rq, "action", action, sizeof(action));
	if (strcmp(action, "add-extra") == 0) {
		status = invitees_page(rq, rs, id, m, NULL);
		goto out;
	}
	body = invitee_body(rq, &we);
	if (!web_errors_any(&we) && meeting_update(rq->db, &rq->user, id,
	    body, &out, &e) != 0) {
		if (e.status == 500)
			goto out;
		web_error_verr(&we, &e, map);
	}
	if (web_errors_any(&we)) {
		status = invitees_page(rq, rs, id, m, &we);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%ld?done=invitees", id);
out:
	json_decref(m);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- cancel ----------------------------------------------------------------------- */

static int
cancel_page(struct http_req *rq, struct http_resp *rs, long id, json_t *m,
    struct web_errors *we)
{
	char v[WEB_BUF(MEETING_TEXT_MAX)];
	json_t *d, *f;

	d = json_pack("{s:I, s:o}", "id", (json_int_t)id, "m",
	    web_meeting_row(m));
	json_object_set_new(d, "f_reason", f = web_fld(we, "reason",
	    "Why is it being cancelled?", "Everyone invited is told it is "
	    "cancelled; this reason is kept in the record, not sent",
	    web_field(rq, "reason", v, sizeof(v))));
	json_object_set_new(f, "rows", json_integer(3));
	json_object_set_new(d, "back", json_pack("{s:s}", "text", "Back"));
	json_object_set_new(json_object_get(d, "back"), "href",
	    json_sprintf("/meetings/%ld", id));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "meeting_cancel", "Cancel", d);
}

int
web_meeting_cancel_form(struct http_req *rq, struct http_resp *rs)
{
	json_t *m;
	long id;
	int status;

	if (load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (scheduled(rq, rs, m) != 0) {
		json_decref(m);
		return rs->status;
	}
	status = cancel_page(rq, rs, id, m, NULL);
	json_decref(m);
	return status;
}

int
web_meeting_cancel_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "reason", "reason", "status",
		"form", NULL };
	struct web_errors we;
	struct verr e = { 0 };
	char v[WEB_BUF(MEETING_TEXT_MAX)];
	json_t *m = NULL, *body = NULL, *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (load(rq, rs, &id, &m) != 0) {
		status = rs->status;
		goto out;
	}
	web_field(rq, "reason", v, sizeof(v));
	if (web_check_text(&we, "reason", v, 1, MEETING_TEXT_MAX, 1,
	    "why it is being cancelled") == 0) {
		body = json_pack("{s:s}", "reason", v);
		if (meeting_cancel(rq->db, &rq->user, id, body, &out,
		    &e) != 0) {
			if (e.status == 500)
				goto out;
			web_error_verr(&we, &e, map);
		}
	}
	if (web_errors_any(&we)) {
		status = cancel_page(rq, rs, id, m, &we);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%ld?done=cancelled", id);
out:
	json_decref(m);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rs->status = status;
}
