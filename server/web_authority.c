/*
 * web_authority: /admin/settings, the authority's settings as a GOV.UK
 * form: a checkbox per agency of the agencies table for the statutory set,
 * radios for the discussion target (the same day, or 1 to 3 working
 * days), radios for whether chair eligibility is enforced and for who
 * must use two-step sign-in. The form is turned into the same JSON object
 * the API takes and saved by authority_settings_put, so the checks, the
 * transaction and the audit entry are the API's. The CSRF token is
 * checked before the handler runs (http.c), as for every form.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "authority.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "meeting.h"
#include "str.h"
#include "web.h"
#include "web_authority.h"

#define FIELD_AGENCIES	"statutory_agencies"
#define FIELD_TARGET	"discussion_target_working_days"
#define FIELD_CHAIR	"enforce_chair_eligibility"
#define FIELD_MFA	"mfa_required_for_everyone"
#define FIELD_APPROVAL	"require_approval_single_agency"
#define AGENCIES_MAX	64	/* checkboxes read from one form */

static const char *const target_pairs[] = {
	"0", "The same day as the concern",
	"1", "Within 1 working day",
	"2", "Within 2 working days",
	"3", "Within 3 working days",
	NULL
};

static const char *const chair_pairs[] = {
	"no", "Anyone from children's social care who attended; the record "
	    "shows whether they may chair",
	"yes", "Only managers, and directory contacts marked as able to chair",
	NULL
};

static const char *const approval_pairs[] = {
	"no", "No: the reason given is enough",
	"yes", "Yes: a manager approves it before it goes ahead",
	NULL
};

static const char *const mfa_pairs[] = {
	"no", "Managers and administrators only",
	"yes", "Everyone",
	NULL
};

static int
has_code(json_t *codes, const char *code)
{
	size_t i;
	json_t *v;

	json_array_foreach(codes, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), code) == 0)
			return 1;
	return 0;
}

/* A checkbox per agency, ticked when its code is in codes. */
static json_t *
agency_items(json_t *agencies, json_t *codes)
{
	json_t *items = json_array(), *a;
	char iid[96];
	const char *code;
	size_t i;

	json_array_foreach(agencies, i, a) {
		code = json_string_value(json_object_get(a, "code"));
		if (i == 0)
			str_copy(iid, FIELD_AGENCIES, sizeof(iid));
		else
			snprintf(iid, sizeof(iid), "%s-%s", FIELD_AGENCIES, code);
		json_array_append_new(items, json_pack("{s:s, s:s, s:O, s:b, "
		    "s:s?}", "item_id", iid, "value", code, "text",
		    json_object_get(a, "name"), "checked", has_code(codes, code),
		    "item_hint", strcmp(code, AUTHORITY_LEAD_AGENCY) == 0 ?
		    "Always statutory: children's social care convenes every "
		    "strategy discussion" : NULL));
	}
	return items;
}

/* The chase thresholds (docs/chasers.md): their labels, in the order of
 * AUTHORITY_CHASE_FIELDS. */
static const char *const chase_labels[] = {
	"Remind an agency that has not accepted, before the meeting",
	"Ask its duty contact to send someone, before the meeting",
	"Booked the same day: remind, before the meeting",
	"Booked the same day: ask its duty contact, before the meeting",
};
static const char *const chase_names[] = {
#define X(name, unit)	name,
	AUTHORITY_CHASE_FIELDS(X)
#undef X
};
static const char *const chase_units[] = {
#define X(name, unit)	unit,
	AUTHORITY_CHASE_FIELDS(X)
#undef X
};
#define NCHASE	(sizeof(chase_names) / sizeof(chase_names[0]))

/* The four fields as text inputs with their unit. */
static json_t *
chase_view(const struct web_errors *we, json_t *shown)
{
	char v[24];
	json_t *a = json_array(), *f, *j;
	size_t i;

	for (i = 0; i < NCHASE; i++) {
		j = json_object_get(shown, chase_names[i]);
		if (json_is_integer(j))
			snprintf(v, sizeof(v), "%lld",
			    (long long)json_integer_value(j));
		else
			str_copy(v, json_is_string(j) ? json_string_value(j) :
			    "", sizeof(v));
		f = web_fld(we, chase_names[i], chase_labels[i], NULL, v);
		json_object_set_new(f, "width",
		    json_string("govuk-input--width-3"));
		json_object_set_new(f, "suffix", json_string(chase_units[i]));
		json_object_set_new(f, "inputmode", json_string("numeric"));
		json_array_append_new(a, f);
	}
	return a;
}

/*
 * The page. shown: the values to show (the stored settings, or what was
 * submitted when it had errors); we: those errors, or NULL.
 */
static int
settings_page(struct http_req *rq, struct http_resp *rs, json_t *shown,
    struct web_errors *we, int done)
{
	json_t *d, *f, *agencies;
	char target[8] = "";
	json_t *t = json_object_get(shown, FIELD_TARGET);
	json_t *c = json_object_get(shown, FIELD_CHAIR);
	json_t *m = json_object_get(shown, FIELD_MFA);
	const char *chair = json_is_boolean(c) ? (json_is_true(c) ? "yes" :
	    "no") : "";
	const char *mfa = json_is_true(m) ? "yes" : "no";
	const char *appr = json_is_true(json_object_get(shown,
	    FIELD_APPROVAL)) ? "yes" : "no";
	int status;

	if ((agencies = authority_agencies(rq->db)) == NULL)
		return rs->status = 500;
	if (json_is_integer(t))
		snprintf(target, sizeof(target), "%lld",
		    (long long)json_integer_value(t));
	else if (json_is_string(t))
		str_copy(target, json_string_value(t), sizeof(target));
	d = json_object();
	json_object_set_new(d, "f_statutory", f = web_fld(we, FIELD_AGENCIES,
	    "Which agencies must take part for a discussion to be "
	    "multi-agency?", "Select every statutory agency. A discussion "
	    "without one of them is partial or single-agency and needs a "
	    "reason. Discussions already recorded keep their classification.",
	    NULL));
	json_object_set_new(f, "items", agency_items(agencies,
	    json_object_get(shown, FIELD_AGENCIES)));
	json_object_set_new(f, "legend_size", json_string("m"));
	json_object_set_new(d, "f_target", f = web_fld(we, FIELD_TARGET,
	    "When should a strategy discussion be held?", "Counted in working "
	    "days after the concern was received. The statistics measure "
	    "timeliness against this target.", target));
	json_object_set_new(f, "items", web_choices(FIELD_TARGET, target_pairs,
	    target));
	json_object_set_new(f, "legend_size", json_string("m"));
	json_object_set_new(d, "f_chair", f = web_fld(we, FIELD_CHAIR,
	    "Who may chair a strategy discussion?", "The chair is one of the "
	    "social care staff who attended.", chair));
	json_object_set_new(f, "items", web_choices(FIELD_CHAIR, chair_pairs,
	    chair));
	json_object_set_new(f, "legend_size", json_string("m"));
	json_object_set_new(d, "f_mfa", f = web_fld(we, FIELD_MFA,
	    "Who must use two-step sign-in?", "A code from an authenticator "
	    "app after the password. Managers and administrators always "
	    "need it; people without it set it up at their next page.", mfa));
	json_object_set_new(f, "items", web_choices(FIELD_MFA, mfa_pairs,
	    mfa));
	json_object_set_new(f, "legend_size", json_string("m"));
	json_object_set_new(d, "f_approval", f = web_fld(we, FIELD_APPROVAL,
	    "Does a booking without every statutory agency need a manager's "
	    "approval?", "The social worker still gives the reason; with "
	    "approval, the attendance cannot be recorded until a manager "
	    "approves.", appr));
	json_object_set_new(f, "items", web_choices(FIELD_APPROVAL,
	    approval_pairs, appr));
	json_object_set_new(f, "legend_size", json_string("m"));
	json_object_set_new(d, "chase_fields", chase_view(we, shown));
	json_object_set_new(d, "done", json_boolean(done));
	json_decref(agencies);
	status = we != NULL && web_errors_any(we) ? 422 : 200;
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, status, "admin_settings", "Authority settings",
	    d);
}

int
web_authority_form(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	const char *done = http_query(rq, "done");
	json_t *s;
	int status;

	if ((s = authority_settings_get(rq->db, rq->user.authority_id,
	    &e)) == NULL)
		return web_fail(rq, rs, &e);
	status = settings_page(rq, rs, s, NULL, done != NULL &&
	    strcmp(done, "1") == 0);
	json_decref(s);
	return status;
}

/* The chase thresholds given (absent: an older form, left as they are);
 * what is not a number stays text, which the field's check refuses. */
static void
chase_settings_in(struct http_req *rq, json_t *in)
{
	char v[24];
	size_t i;
	long n;

	for (i = 0; i < NCHASE; i++) {
		if (web_field(rq, chase_names[i], v, sizeof(v))[0] == '\0')
			continue;
		if (str_to_long(v, 0, 100000, &n) == 0)
			json_object_set_new(in, chase_names[i], json_integer(n));
		else
			json_object_set_new(in, chase_names[i], json_string(v));
	}
}

/* The form as the API's JSON object. A target that is not a number stays
 * a string, which the field's check refuses. */
static json_t *
form_settings(struct http_req *rq)
{
	const char *codes[AGENCIES_MAX];
	char target[16], chair[8], mfa[8], appr[8];
	json_t *in = json_object(), *a = json_array();
	size_t i, n;
	long t;

	n = form_get_all(&rq->form, FIELD_AGENCIES, codes, AGENCIES_MAX);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(codes[i]));
	json_object_set_new(in, FIELD_AGENCIES, a);
	web_field(rq, FIELD_TARGET, target, sizeof(target));
	if (str_to_long(target, AUTHORITY_TARGET_MIN, AUTHORITY_TARGET_MAX,
	    &t) == 0)
		json_object_set_new(in, FIELD_TARGET, json_integer(t));
	else
		json_object_set_new(in, FIELD_TARGET, json_string(target));
	web_field(rq, FIELD_CHAIR, chair, sizeof(chair));
	if (strcmp(chair, "yes") == 0 || strcmp(chair, "no") == 0)
		json_object_set_new(in, FIELD_CHAIR,
		    json_boolean(chair[0] == 'y'));
	/* Absent (an older form) leaves the setting as it is. */
	web_field(rq, FIELD_MFA, mfa, sizeof(mfa));
	if (strcmp(mfa, "yes") == 0 || strcmp(mfa, "no") == 0)
		json_object_set_new(in, FIELD_MFA, json_boolean(mfa[0] == 'y'));
	else if (mfa[0] != '\0')
		json_object_set_new(in, FIELD_MFA, json_string(mfa));
	web_field(rq, FIELD_APPROVAL, appr, sizeof(appr));
	if (strcmp(appr, "yes") == 0 || strcmp(appr, "no") == 0)
		json_object_set_new(in, FIELD_APPROVAL,
		    json_boolean(appr[0] == 'y'));
	else if (appr[0] != '\0')
		json_object_set_new(in, FIELD_APPROVAL, json_string(appr));
	chase_settings_in(rq, in);
	return in;
}

int
web_authority_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { FIELD_AGENCIES, FIELD_AGENCIES,
		FIELD_TARGET, FIELD_TARGET, FIELD_CHAIR, FIELD_CHAIR, FIELD_MFA,
		FIELD_MFA, FIELD_APPROVAL, FIELD_APPROVAL,
#define X(name, unit)	name, name,
		AUTHORITY_CHASE_FIELDS(X)
#undef X
		NULL };
	struct web_errors we;
	struct verr e = { 0 };
	json_t *in, *out = NULL;
	int status;

	web_errors_init(&we);
	in = form_settings(rq);
	/* The two mistakes a person can make here, in their words; anything
	 * else (a tampered form) gets the API's message. */
	if (!has_code(json_object_get(in, FIELD_AGENCIES),
	    AUTHORITY_LEAD_AGENCY))
		web_error(&we, FIELD_AGENCIES, NULL, "Select children's social "
		    "care: it convenes every strategy discussion, so it is "
		    "always statutory");
	if (!json_is_integer(json_object_get(in, FIELD_TARGET)))
		web_error(&we, FIELD_TARGET, NULL, "Select when a strategy "
		    "discussion should be held");
	if (!json_is_boolean(json_object_get(in, FIELD_CHAIR)))
		web_error(&we, FIELD_CHAIR, NULL, "Select who may chair a "
		    "strategy discussion");
	if (!web_errors_any(&we) && authority_settings_put(rq->db, &rq->user,
	    rq->user.authority_id, in, &out, &e) != 0) {
		if (e.status == 500 || e.status == 404) {
			json_decref(in);
			web_errors_free(&we);
			return web_fail(rq, rs, &e);
		}
		if (strstr(e.msg, "less than") != NULL)
			web_error(&we, e.field, NULL, "Ask the duty contact "
			    "closer to the meeting than the reminder: this "
			    "number must be smaller than the reminder's");
		else
			web_error_verr(&we, &e, map);
	}
	if (web_errors_any(&we))
		status = settings_page(rq, rs, in, &we, 0);
	else
		status = http_redirect(rs, "/admin/settings?done=1");
	json_decref(in);
	json_decref(out);
	web_errors_free(&we);
	return rs->status = status;
}
