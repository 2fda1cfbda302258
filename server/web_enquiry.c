/*
 * web_enquiry: one Section 47 enquiry's page: its clock, and the form that
 * records the conference (booked for, held on; not required with the
 * reason, for a manager). The rules are enquiry.c's.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "enquiry.h"
#include "form.h"
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "str.h"
#include "web.h"

static const char *const not_required_pairs[] = { "yes",
	"No conference is needed", NULL };

/* "2 December 2026" for a JSON date, "" for null. */
static json_t *
day_text(json_t *v)
{
	char out[64] = "";

	if (json_is_string(v))
		web_day(json_string_value(v), out, sizeof(out));
	return json_string(out);
}

void
web_enquiry_words(json_t *e)
{
	json_t *c = json_object_get(e, "clock");
	const char *st = json_string_value(json_object_get(c, "state"));
	char text[160];

	snprintf(text, sizeof(text), "Day %lld of %lld working days, "
	    "conference %s", (long long)json_integer_value(json_object_get(c,
	    "working_day")), (long long)json_integer_value(json_object_get(c,
	    "target")), strcmp(st, "held") == 0 ? "held" :
	    strcmp(st, "not_required") == 0 ? "not required" :
	    json_is_string(json_object_get(e, "icpc_booked_for")) ? "booked" :
	    "not booked");
	json_object_set_new(e, "clock_text", json_string(text));
	json_object_set_new(e, "overdue", json_boolean(strcmp(st,
	    "overdue") == 0));
	json_object_set_new(e, "tag", json_string(strcmp(st, "amber") == 0 ?
	    "govuk-tag--yellow" : strcmp(st, "red") == 0 ||
	    strcmp(st, "overdue") == 0 ? "govuk-tag--red" :
	    strcmp(st, "ok") == 0 ? "govuk-tag--green" : "govuk-tag--grey"));
	json_object_set_new(e, "due_text", day_text(json_object_get(c, "due")));
	json_object_set_new(e, "started_text", day_text(json_object_get(e,
	    "started_on")));
	json_object_set_new(e, "booked_text", day_text(json_object_get(e,
	    "icpc_booked_for")));
	json_object_set_new(e, "held_text", day_text(json_object_get(e,
	    "icpc_held_on")));
	json_object_set_new(e, "kind_text", json_string(strcmp(
	    json_string_value(json_object_get(e, "kind")), "review") == 0 ?
	    "Review conference (the child is on a plan)" :
	    "Initial child protection conference"));
}

/* A date field, filled from the form when posted, else from the enquiry. */
static json_t *
date_field(struct http_req *rq, const struct web_errors *we, const char *id,
    const char *label, json_t *current)
{
	json_t *f = web_fld_date(we, rq->form.n > 0 ? rq : NULL, id, label,
	    "For example, 27 3 2026", 0);

	if (rq->form.n == 0 && json_is_string(current))
		web_fld_set_date(f, json_string_value(current), NULL);
	return f;
}

static int
page(struct http_req *rq, struct http_resp *rs, long id,
    struct web_errors *we)
{
	struct verr e = { 0 };
	json_t *en, *d, *f;
	int status = we != NULL && web_errors_any(we) ? 422 : 200;

	if (enquiry_get(rq->db, &rq->user, id, &en, &e) != 0)
		return web_fail(rq, rs, &e);
	web_enquiry_words(en);
	d = json_pack("{s:I, s:O}", "id", (json_int_t)id, "e", en);
	json_object_set_new(d, "f_booked", date_field(rq, we, "booked",
	    "Conference booked for", json_object_get(en, "icpc_booked_for")));
	json_object_set_new(d, "f_held", date_field(rq, we, "held",
	    "Conference held on", json_object_get(en, "icpc_held_on")));
	if (rq->user.role == ROLE_MANAGER) {
		f = web_fld(we, "not_required", "Not required", NULL, NULL);
		json_object_set_new(f, "items", web_choices("not_required",
		    not_required_pairs, rq->form.n > 0 ?
		    form_get(&rq->form, "not_required") :
		    json_is_true(json_object_get(en, "icpc_not_required")) ?
		    "yes" : NULL));
		json_object_set_new(d, "f_not_required", f);
		json_object_set_new(d, "f_reason", web_fld(we, "reason",
		    "Why no conference is needed", NULL, rq->form.n > 0 ?
		    form_get(&rq->form, "reason") : json_string_value(
		    json_object_get(en, "not_required_reason"))));
	}
	json_decref(en);
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, status, "enquiry", "Section 47 enquiry", d);
}

int
web_enquiry_form(struct http_req *rq, struct http_resp *rs)
{
	long id;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such "
		    "enquiry");
	return page(rq, rs, id, NULL);
}

static json_t *
form_body(struct http_req *rq, struct web_errors *we)
{
	char booked[16], held[16];
	const char *nr = form_get(&rq->form, "not_required");
	const char *reason = form_get(&rq->form, "reason");
	json_t *b;

	if (web_date(rq, we, "booked", 0, "the date the conference is booked "
	    "for", booked) != 0 || web_date(rq, we, "held", 0, "the date the "
	    "conference was held", held) != 0)
		return NULL;
	b = json_pack("{s:o, s:o}", "icpc_booked_for", booked[0] ?
	    json_string(booked) : json_null(), "icpc_held_on", held[0] ?
	    json_string(held) : json_null());
	if (b != NULL && rq->user.role == ROLE_MANAGER) {
		json_object_set_new(b, "icpc_not_required", json_boolean(
		    nr != NULL && strcmp(nr, "yes") == 0));
		if (reason != NULL && reason[0] != '\0')
			json_object_set_new(b, "not_required_reason",
			    json_string(reason));
	}
	return b;
}

int
web_enquiry_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "icpc_booked_for", "booked",
		"icpc_held_on", "held", "icpc_not_required", "not_required",
		"not_required_reason", "reason", NULL };
	struct web_errors we;
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	long id;
	int rc;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such "
		    "enquiry");
	web_errors_init(&we);
	if ((body = form_body(rq, &we)) == NULL) {
		rc = web_errors_any(&we) ? page(rq, rs, id, &we) :
		    (rs->status = 500);
		web_errors_free(&we);
		return rc;
	}
	if (enquiry_update(rq->db, &rq->user, id, body, &out, &e) == 0)
		rc = web_redirectf(rs, "/enquiries/%ld", id);
	else if (e.status == 422) {
		web_error_verr(&we, &e, map);
		rc = page(rq, rs, id, &we);
	} else
		rc = web_fail(rq, rs, &e);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return rc;
}
