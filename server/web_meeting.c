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

#include "actions.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "invite.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "partner.h"
#include "rsvp.h"
#include "str.h"
#include "vocab.h"
#include "web.h"
#include "web_duty.h"

static const char *const formats[] = { "in_person", "In person", "video",
	"Video call", "phone", "Phone", NULL };

/* The page's text for an absent string. */
static const char *
txt(const char *s)
{
	return s != NULL ? s : "";
}

/* Changes are for scheduled meetings only: 409 (sent) otherwise. */
static int
scheduled(struct http_req *rq, struct http_resp *rs,
    const struct discussion *d)
{
	const char *status = txt(d->status);

	if (strcmp(status, "scheduled") == 0)
		return 0;
	http_error(rq, rs, 409, NULL, "this strategy discussion is %s, so it "
	    "can no longer be changed", strcmp(status, "held") == 0 ?
	    "held" : "cancelled");
	return -1;
}

static json_t *
person_view(const struct participant *p)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}",
	    "id", (json_int_t)p->id, "name", txt(p->name), "organisation",
	    txt(p->organisation), "role", txt(p->role), "email", txt(p->email),
	    "response", rsvp_partstat_words(txt(p->response)), "attendance",
	    web_attendance_name(p->attendance), "attendance_code",
	    txt(p->attendance), "removed", p->removed, "on_day",
	    p->added_on_day);
}

/* Participants grouped by agency, in the agencies' order. */
json_t *
web_participant_groups(const struct discussion *d, int include_removed,
    void (*more)(json_t *person, const struct participant *p, void *arg),
    void *arg)
{
	const struct participant *p;
	json_t *groups = json_array(), *people, *x;
	size_t a, i;

	for (a = 0; web_agencies[a] != NULL; a++) {
		people = json_array();
		for (i = 0; i < d->nparticipants; i++) {
			p = &d->participants[i];
			if (strcmp(txt(p->agency), web_agencies[a]) != 0 ||
			    (!include_removed && p->removed))
				continue;
			x = person_view(p);
			if (more != NULL)
				more(x, p, arg);
			json_array_append_new(people, x);
		}
		if (json_array_size(people) == 0) {
			json_decref(people);
			continue;
		}
		json_array_append_new(groups, json_pack("{s:s, s:s, s:o}",
		    "agency", web_agencies[a], "name",
		    web_agency_name(web_agencies[a]), "people", people));
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
details(const struct discussion *d)
{
	json_t *rows = json_array();
	char buf[64], when[96];
	struct buf names;
	size_t i;

	row(rows, "Case", txt(d->case_ref));
	buf_init(&names, 16384);
	for (i = 0; i < d->nchildren; i++) {
		web_day(d->children[i].date_of_birth, when, sizeof(when));
		buf_printf(&names, "%s%s%s%s%s", i ? "; " : "",
		    txt(d->children[i].name), when[0] ? " (born " : "", when,
		    when[0] ? ")" : "");
	}
	row(rows, "Children", buf_cstr(&names));
	buf_free(&names);
	row(rows, "Team", txt(d->team));
	row(rows, "Type", strcmp(txt(d->kind), "discussion") == 0 ?
	    "Discussion by phone" : "Strategy meeting");
	row(rows, "Status", web_status_name(txt(d->status)));
	row(rows, "Reason", txt(d->reason));
	if (d->reviews_discussion_id != 0) {
		web_day(d->reviews_date, buf, sizeof(buf));
		snprintf(when, sizeof(when), "The decisions of %s", buf);
		row(rows, "Reviews", when);
	}
	web_when(d->concern_received_at, when, sizeof(when));
	row(rows, "Concern received", when);
	web_when(d->starts_at, when, sizeof(when));
	row(rows, "Date and time", when);
	snprintf(buf, sizeof(buf), "%ld minutes", d->duration_minutes);
	row(rows, "Duration", buf);
	row(rows, "Format", web_format_name(txt(d->format)));
	row(rows, "Location or link", txt(d->location));
	row(rows, "Chair", txt(d->chair));
	row(rows, "Why it was cancelled", txt(d->cancel_reason));
	return rows;
}

/* The decisions per child as the meeting page words them. */
static json_t *
decisions_view(const struct discussion *d)
{
	const struct child_decision *x;
	const struct child *c;
	json_t *list = json_array();
	char label[64];
	size_t i;

	for (i = 0; i < d->ndecisions; i++) {
		x = &d->decisions[i];
		c = model_child(d, x->child_id);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
		    "child", c ? model_child_label(c, label, sizeof(label)) :
		    "", "decision", web_decision_name(txt(x->decision)),
		    "rationale", txt(x->rationale)));
	}
	return list;
}

static json_t *
outcome(const struct discussion *d)
{
	json_t *o = json_object(), *list = json_array();
	char due[64];
	size_t i;

	json_object_set_new(o, "decisions", decisions_view(d));
	for (i = 0; i < d->nactions; i++) {
		web_day(d->actions[i].due, due, sizeof(due));
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, "
		    "s:s, s:s, s:b, s:b}", "id", (json_int_t)d->actions[i].id,
		    "what", txt(d->actions[i].what), "owner",
		    txt(d->actions[i].owner), "due", due, "status_text",
		    vocab_words(VOCAB_ACTION_STATUS, d->actions[i].status) ?
		    vocab_words(VOCAB_ACTION_STATUS, d->actions[i].status) : "",
		    "reason", txt(d->actions[i].not_done_reason), "overdue",
		    d->actions[i].overdue, "open", d->actions[i].status != NULL &&
		    strcmp(d->actions[i].status, "open") == 0));
	}
	json_object_set_new(o, "actions", list);
	json_object_set_new(o, "any_actions", json_boolean(d->nactions > 0));
	json_object_set_new(o, "views_recorded", json_string(
	    d->child_views_recorded > 0 ? "Yes" : d->child_views_recorded == 0 ?
	    "No" : ""));
	json_object_set_new(o, "child_views", json_string(txt(d->child_views)));
	web_day(d->next_review_date, due, sizeof(due));
	json_object_set_new(o, "next_review", json_string(due));
	return o;
}

static const char *
done_text(const char *done)
{
	if (done == NULL)
		return "";
	if (strcmp(done, "rescheduled") == 0)
		return "The strategy discussion has been rescheduled. Updated "
		    "invites are being sent.";
	if (strcmp(done, "invitees") == 0)
		return "The invitees have been changed. Invites and "
		    "cancellations are being sent.";
	if (strcmp(done, "cancelled") == 0)
		return "The strategy discussion has been cancelled. Everyone "
		    "invited is being told.";
	if (strcmp(done, "approval") == 0)
		return "Your decision has been recorded.";
	if (strcmp(done, "action") == 0)
		return "The action has been updated.";
	if (strcmp(done, "call") == 0)
		return "The call has been logged.";
	if (strcmp(done, "submitted") == 0)
		return "The record has been sent to your managers for "
		    "authorisation.";
	if (strcmp(done, "authorised") == 0)
		return "The record has been authorised.";
	return strcmp(done, "record") == 0 ? "Record saved" : "";
}

/* The classification and agencies, planned and actual. */
static void
agencies_view(const struct discussion *d, json_t *out)
{
	char miss[200], contrib[200];
	int held = strcmp(txt(d->status), "held") == 0;

	json_object_set_new(out, "planned", web_class_tag(
	    d->planned_classification));
	json_object_set_new(out, "actual", web_class_tag(d->classification));
	web_agency_words(&d->planned_missing, miss, sizeof(miss));
	json_object_set_new(out, "planned_missing", json_string(miss));
	json_object_set_new(out, "missing_reason", json_string(txt(
	    d->missing_agency_reason)));
	web_agency_words(&d->missing, miss, sizeof(miss));
	web_agency_words(&d->contributed, contrib, sizeof(contrib));
	json_object_set_new(out, "actual_missing", json_string(held ? miss :
	    ""));
	json_object_set_new(out, "contributed", json_string(contrib));
	json_object_set_new(out, "absence_reason", json_string(txt(
	    d->absence_reason)));
	json_object_set_new(out, "held", json_boolean(held));
}

int
web_meeting_page(struct http_req *rq, struct http_resp *rs,
    const struct discussion *m, struct web_errors *we)
{
	const char *status = txt(m->status);
	json_t *d;
	int sw = rq->user.role == ROLE_SOCIAL_WORKER;

	d = json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)m->id, "m",
	    web_discussion_row(m), "details", details(m), "groups",
	    web_participant_groups(m, 1, NULL, NULL));
	if (web_record_meeting_view(rq, m, d) != 0 ||
	    web_authorise_view(rq, m, d, we) != 0 ||
	    web_approval_view(rq, m, d, we) != 0 ||
	    web_duty_meeting_view(rq, m, d, we) != 0) {
		json_decref(d);
		return rs->status = 500;
	}
	agencies_view(m, d);
	if (strcmp(status, "held") == 0)
		json_object_set_new(d, "outcome", outcome(m));
	json_object_set_new(d, "can_change", json_boolean(sw &&
	    strcmp(status, "scheduled") == 0));
	json_object_set_new(d, "can_record", json_boolean(sw &&
	    strcmp(status, "cancelled") != 0));
	json_object_set_new(d, "done", json_string(done_text(http_query(rq,
	    "done"))));
	json_object_set_new(d, "back", json_pack("{s:s, s:s}", "href",
	    "/meetings", "text", "All strategy discussions"));
	/* the action rows' forms, whose own "id" is the action's */
	json_object_set_new(d, "id_meeting", json_integer((json_int_t)m->id));
	/* invites: answers reset, counter-proposals (meeting_counters) */
	json_object_set_new(d, "invite_notes", invite_page_notes(rq->db, m->id));
	if (partner_views_view(rq->db, m->id, d) != 0 ||
	    partner_checks_view(rq->db, m->id, d) != 0) {
		json_decref(d);
		return rs->status = 500;
	}
	if (we != NULL && web_errors_any(we)) {
		web_errors_put(we, d);
		return web_page(rq, rs, 422, "meeting", "Strategy discussion", d);
	}
	return web_page(rq, rs, 200, "meeting", "Strategy discussion", d);
}

static int
has_action(const struct discussion *m, long aid)
{
	size_t i;

	for (i = 0; i < m->nactions; i++)
		if (m->actions[i].id == aid)
			return 1;
	return 0;
}

/* POST /meetings/{id}/actions/{aid}: an action done, or not done with the
 * reason; back to the meeting page. */
int
web_meeting_action_post(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m = NULL;
	struct web_errors we;
	struct verr e = { 0 };
	const char *st = form_get(&rq->form, "status");
	const char *reason = form_get(&rq->form, "not_done_reason");
	json_t *body, *out = NULL;
	char key[48];
	long id, aid;
	int rc;

	if (http_param_id(rq, 1, &aid) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such action");
	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (!has_action(m, aid)) {
		model_discussion_free(m);
		return http_error(rq, rs, 404, NULL, "this discussion has no "
		    "such action");
	}
	web_errors_init(&we);
	body = json_pack("{s:s, s:s?}", "status", st != NULL ? st : "",
	    "not_done_reason", reason != NULL && reason[0] != '\0' ? reason :
	    NULL);
	if (body == NULL)
		rc = rs->status = 500;
	else if (actions_set_status(rq->db, &rq->user, aid, body, &out,
	    &e) == 0)
		rc = web_redirectf(rs, "/meetings/%ld?done=action", id);
	else if (e.status == 422) {
		snprintf(key, sizeof(key), "reason-%ld", aid);
		web_error(&we, key, NULL, "Say why the action was not done");
		rc = web_meeting_page(rq, rs, m, &we);
	} else
		rc = web_fail(rq, rs, &e);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	model_discussion_free(m);
	return rc;
}

int
web_meeting_show(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	long id;
	int rc;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	rc = web_meeting_page(rq, rs, m, NULL);
	model_discussion_free(m);
	return rc;
}

/* ---- reschedule --------------------------------------------------------------- */

static int
resched_page(struct http_req *rq, struct http_resp *rs, long id,
    const struct discussion *m, struct web_errors *we)
{
	char v[WEB_BUF(500)], hm[8], ymd[16];
	const char *format;
	json_t *d, *f;
	time_t t;
	int y, mo, dd, h, mi, posted = rq->form.n > 0;

	d = json_pack("{s:I, s:o}", "id", (json_int_t)id, "m",
	    web_discussion_row(m));
	f = web_fld_date(we, posted ? rq : NULL, "when", "New date and time",
	    "For example, 28 3 2026", 1);
	/* counter_starts: "Reschedule to this time" (meeting_counters). */
	if (!posted && ltime_parse(http_query(rq, "counter_starts") ?
	    http_query(rq, "counter_starts") : m->starts_at, &t, v,
	    sizeof(v)) == 0 && ltime_local(t, &y, &mo, &dd, &h, &mi) == 0) {
		snprintf(ymd, sizeof(ymd), "%04d-%02d-%02d", y, mo, dd);
		snprintf(hm, sizeof(hm), "%02d:%02d", h, mi);
		web_fld_set_date(f, ymd, hm);
	}
	json_object_set_new(d, "f_when", f);
	snprintf(v, sizeof(v), "%ld", m->duration_minutes);
	if (http_query(rq, "counter_minutes") != NULL)
		str_copy(v, http_query(rq, "counter_minutes"), sizeof(v));
	json_object_set_new(d, "f_duration", f = web_fld(we, "duration",
	    "How long will it last?", NULL, posted ? web_field(rq, "duration",
	    v, sizeof(v)) : v));
	json_object_set_new(f, "width", json_string("govuk-input--width-3"));
	json_object_set_new(f, "suffix", json_string("minutes"));
	json_object_set_new(f, "inputmode", json_string("numeric"));
	format = posted ? web_field(rq, "format", v, sizeof(v)) :
	    txt(m->format);
	json_object_set_new(d, "f_format", f = web_fld(we, "format",
	    "How will it be held?", NULL, format));
	json_object_set_new(f, "items", web_choices("format", formats,
	    format));
	json_object_set_new(d, "f_location", web_fld(we, "location",
	    "Location or joining link (optional)", "Do not include the "
	    "child's name or address", posted ? web_field(rq, "location", v,
	    sizeof(v)) : txt(m->location)));
	json_object_set_new(d, "f_chair", web_fld(we, "chair",
	    "Chair (optional)", NULL, posted ? web_field(rq, "chair", v,
	    sizeof(v)) : txt(m->chair)));
	json_object_set_new(d, "back", json_pack("{s:s, s:I, s:o}", "text",
	    "Back", "id", (json_int_t)id, "href", json_sprintf("/meetings/%ld",
	    id)));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "meeting_reschedule", "Reschedule", d);
}

int
web_meeting_resched_form(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	long id;
	int status;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (scheduled(rq, rs, m) != 0) {
		model_discussion_free(m);
		return rs->status;
	}
	status = resched_page(rq, rs, id, m, NULL);
	model_discussion_free(m);
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
	struct discussion *m = NULL;
	json_t *body = json_object(), *out = NULL;
	time_t t;
	long id, dur = 0;
	int status = 500;

	web_errors_init(&we);
	if (web_discussion_load(rq, rs, &id, &m) != 0) {
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
	model_discussion_free(m);
	json_decref(out);
	json_decref(body);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- invitees -------------------------------------------------------------------- */

/* The people invited now, ticked when the form asked to remove them. */
static json_t *
current_view(struct http_req *rq, const struct discussion *m)
{
	const char *vals[MEETING_MAX_PARTICIPANTS];
	const struct participant *p;
	json_t *cur = json_array();
	char key[32];
	size_t i, j, n;
	int checked;

	n = form_get_all(&rq->form, "remove", vals, MEETING_MAX_PARTICIPANTS);
	for (i = 0; i < m->nparticipants; i++) {
		p = &m->participants[i];
		if (p->removed)
			continue;
		snprintf(key, sizeof(key), "%ld", p->id);
		for (checked = 0, j = 0; j < n && !checked; j++)
			checked = strcmp(vals[j], key) == 0;
		json_array_append_new(cur, json_pack("{s:I, s:s, s:s, s:s, "
		    "s:b}", "id", (json_int_t)p->id, "name", txt(p->name),
		    "agency", web_agency_name(txt(p->agency)), "organisation",
		    txt(p->organisation), "checked", checked));
	}
	return cur;
}

/* People already invited are not offered again: drop them from the
 * directory's groups (web_directory_groups). */
static void
drop_invited(json_t *groups, const struct discussion *m)
{
	json_t *g, *contacts;
	size_t i, j, k;
	long cid;

	for (i = 0; i < m->nparticipants; i++) {
		cid = m->participants[i].contact_id;
		if (m->participants[i].removed || cid <= 0)
			continue;
		json_array_foreach(groups, j, g) {
			contacts = json_object_get(g, "contacts");
			for (k = 0; k < json_array_size(contacts); k++)
				if (json_integer_value(json_object_get(
				    json_array_get(contacts, k), "id")) == cid)
					json_array_remove(contacts, k--);
		}
	}
}

static int
invitees_page(struct http_req *rq, struct http_resp *rs, long id,
    const struct discussion *m, struct web_errors *we)
{
	const char *vals[MEETING_MAX_PARTICIPANTS];
	long ids[MEETING_MAX_PARTICIPANTS];
	char v[WEB_BUF(MEETING_TEXT_MAX)], miss[200];
	json_t *d, *f, *groups;
	size_t i, n, nids = 0;
	int nextra;

	/* Keep what was ticked when the form comes back with an error. */
	n = form_get_all(&rq->form, "contact", vals, MEETING_MAX_PARTICIPANTS);
	for (i = 0; i < n; i++)
		if (str_to_long(vals[i], 1, MODEL_ID_MAX, &ids[nids]) == 0)
			nids++;
	if ((groups = web_directory_groups(rq->db, ids, nids)) == NULL)
		return rs->status = 500;
	drop_invited(groups, m);
	nextra = 1;
	if (str_to_long(web_field(rq, "extras_n", v, sizeof(v)), 1,
	    WEB_MAX_EXTRA, &ids[0]) == 0)
		nextra = (int)ids[0];
	if (strcmp(web_field(rq, "action", v, sizeof(v)), "add-extra") == 0 &&
	    nextra < WEB_MAX_EXTRA)
		nextra++;
	d = json_pack("{s:I, s:o, s:o, s:o, s:o, s:i, s:b}", "id",
	    (json_int_t)id, "m", web_discussion_row(m), "current",
	    current_view(rq, m), "groups",
	    groups, "extras", web_extra_rows(rq, we, "extra", nextra, 0),
	    "extras_n", nextra, "can_add_extra", nextra < WEB_MAX_EXTRA);
	web_agency_words(&m->planned_missing, miss, sizeof(miss));
	json_object_set_new(d, "missing_text", json_string(miss));
	json_object_set_new(d, "f_missing", f = web_fld(we,
	    "missing_agency_reason", "If social care, police or health will "
	    "not be there, say why", txt(m->missing_agency_reason)[0] ?
	    "A reason is already recorded; anything you write here replaces "
	    "it" : NULL, web_field(rq, "missing_agency_reason", v,
	    sizeof(v))));
	json_object_set_new(f, "rows", json_integer(3));
	if (we != NULL && json_object_get(we->by_key, "contacts") != NULL)
		json_object_set_new(d, "err_contacts", json_incref(
		    json_object_get(we->by_key, "contacts")));
	json_object_set_new(d, "back", json_pack("{s:s, s:o}", "text", "Back",
	    "href", json_sprintf("/meetings/%ld", id)));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "meeting_invitees", "Change invitees", d);
}

int
web_meeting_invitees_form(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	long id;
	int status;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (scheduled(rq, rs, m) != 0) {
		model_discussion_free(m);
		return rs->status;
	}
	status = invitees_page(rq, rs, id, m, NULL);
	model_discussion_free(m);
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
	struct discussion *m = NULL;
	json_t *body = NULL, *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (web_discussion_load(rq, rs, &id, &m) != 0) {
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
	model_discussion_free(m);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- cancel ----------------------------------------------------------------------- */

static int
cancel_page(struct http_req *rq, struct http_resp *rs, long id,
    const struct discussion *m, struct web_errors *we)
{
	char v[WEB_BUF(MEETING_TEXT_MAX)];
	json_t *d, *f;

	d = json_pack("{s:I, s:o}", "id", (json_int_t)id, "m",
	    web_discussion_row(m));
	json_object_set_new(d, "f_reason", f = web_fld(we, "reason",
	    "Why is it being cancelled?", "Everyone invited is told it is "
	    "cancelled; this reason is kept in the record, not sent",
	    web_field(rq, "reason", v, sizeof(v))));
	json_object_set_new(f, "rows", json_integer(3));
	json_object_set_new(d, "back", json_pack("{s:s, s:o}", "text", "Back",
	    "href", json_sprintf("/meetings/%ld", id)));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "meeting_cancel", "Cancel", d);
}

int
web_meeting_cancel_form(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	long id;
	int status;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	if (scheduled(rq, rs, m) != 0) {
		model_discussion_free(m);
		return rs->status;
	}
	status = cancel_page(rq, rs, id, m, NULL);
	model_discussion_free(m);
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
	struct discussion *m = NULL;
	json_t *body = NULL, *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (web_discussion_load(rq, rs, &id, &m) != 0) {
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
	model_discussion_free(m);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rs->status = status;
}
