/*
 * web_record: the "Record of the strategy discussion" form (GET/POST
 * /meetings/{id}/record), the record as the meeting page shows it, and the
 * discussion's history in words. The form is a view of the typed model
 * (model.h): it builds the JSON body PUT /api/v1/meetings/{id}/record takes
 * and hands it to record_put(), which checks it whole and stores it in one
 * transaction; a refusal comes back as the field's GOV.UK error. Every code
 * and its words come from vocab.h.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "meeting.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "vocab.h"
#include "web.h"

#define DISSENT_ROWS	3	/* dissent rows the form offers */
#define KEY_LEN		64	/* a form field's name */
#define TEXT_BUF	WEB_BUF(MODEL_LONG_TEXT_MAX)
#define LABEL_BUF	(WEB_NAME_BUF + 64)
#define SENTENCE_BUF	(LABEL_BUF + 64)
#define HISTORY_CHANGES	40	/* changes listed under one history entry */
#define VOCAB_PAIRS	(2 * 32 + 1)

/* ---- labels ------------------------------------------------------------- */

/*
 * The words for the record's fields and the fields the history shows. The
 * values of a field go through the vocabulary list named by the field's
 * last segment (vocab_by_name), or by list when that differs.
 */
static const struct field_label {
	const char	*field;
	const char	*label;
	const char	*list;
} labels[] = {
	{ "decision", "Decision", NULL },
	{ "rationale", "Reasons for the decision", NULL },
	{ "police_investigation", "Police investigation", NULL },
	{ "medical", "Child protection medical", NULL },
	{ "plan_to_see", "Plan to see the child", NULL },
	{ "seen_alone", "Seen alone", NULL },
	{ "views", "The child's views, wishes and feelings", NULL },
	{ "communication_needs", "Communication needs", NULL },
	{ "parents", "Telling the parents", NULL },
	{ "parents_by", "Who tells the parents", NULL },
	{ "parents_when", "When the parents are told", NULL },
	{ "parents_delay_reason", "Why telling the parents is delayed", NULL },
	{ "consent_for_checks", "Consent for agency checks", NULL },
	{ "consent_reason", "Reason about consent", NULL },
	{ "next_step", "Next step", NULL },
	{ "legal_status", "Legal status", NULL },
	{ "unborn", "Unborn", NULL },
	{ "information", "Information shared", NULL },
	{ "checks", "Checks", NULL },
	{ "received", "How it was received", NULL },
	{ "from", "From whom", NULL },
	{ "agency", "Agency", NULL },
	{ "about", "What they disagree with", NULL },
	{ "escalated", "Escalated", NULL },
	{ "worries", "What we are worried about", NULL },
	{ "strengths", "What is working well", NULL },
	{ "gaps", "What we do not know", NULL },
	{ "concerns", "Categories of concern", "concern" },
	{ "concerns_other", "The other concern", NULL },
	{ "chair", "Chair", NULL },
	{ "chair_participant_id", "Chair", NULL },
	{ "safety_plan", "Safety plan", NULL },
	{ "status", "Status", NULL },
	{ "record_status", "Record status", NULL },
	{ "version", "Record version", NULL },
	{ "kind", "Kind", NULL },
	{ "format", "Format", NULL },
	{ "starts_at", "Date and time", NULL },
	{ "ends_at", "Ends", NULL },
	{ "concern_received_at", "Concern received", NULL },
	{ "duration_minutes", "Length in minutes", NULL },
	{ "case_ref", "Case", NULL },
	{ "team", "Team", NULL },
	{ "planned_classification", "Agencies as planned", "classification" },
	{ "classification", "Agencies as held", NULL },
	{ "planned_missing_agencies", "Agencies not invited", NULL },
	{ "missing_agencies", "Agencies missing", NULL },
	{ "contributed_agencies", "Agencies that sent information", NULL },
	{ "child_views_recorded", "Child's views recorded", NULL },
	{ "next_review_date", "Next review", NULL },
	{ "attendance", "Attendance", NULL },
	{ "response", "Reply to invite", NULL },
	{ "role", "Role", NULL },
	{ "organisation", "Organisation", NULL },
	{ "removed", "Removed", NULL },
	{ "added_on_day", "Joined on the day", NULL },
	{ "contacted_by_phone_at", "Phoned", NULL },
	{ NULL, NULL, NULL }
};

/* Fields that mean nothing to a reader (internal ids and counters). */
static const char *const silent[] = { "id", "uid", "sequence", "team_id",
	"contact_id", NULL };

static const struct field_label *
label_of(const char *field)
{
	size_t i;

	for (i = 0; labels[i].field != NULL; i++)
		if (strcmp(labels[i].field, field) == 0)
			return &labels[i];
	return NULL;
}

static const char *
label_text(const char *field)
{
	const struct field_label *l = label_of(field);

	return l != NULL ? l->label : field;
}

/* A child's name for staff pages, the unborn with the expected date in
 * words. */
static const char *
child_label(const struct child *c, char *buf, size_t len)
{
	char day[64];

	if (c == NULL)
		return "a child no longer in the case";
	if (c->name != NULL && c->name[0] != '\0')
		return c->name;
	web_day(c->expected_date, day, sizeof(day));
	snprintf(buf, len, "Unborn baby (expected %s)", day);
	return buf;
}

static void when_words(const char *iso, char *out, size_t len);

/* ---- loading -------------------------------------------------------------- */

/* The record can be written once the discussion started and attendance was
 * recorded; otherwise 409 (sent) saying which. */
static int
writable(struct http_req *rq, struct http_resp *rs,
    const struct discussion *d)
{
	if (strcmp(d->status, "cancelled") == 0) {
		http_error(rq, rs, 409, NULL, "this strategy discussion was "
		    "cancelled, so it has no record");
		return -1;
	}
	if (!d->started) {
		http_error(rq, rs, 409, NULL, "the meeting has not started: the "
		    "record can be written once it has");
		return -1;
	}
	if (strcmp(d->status, "held") != 0) {
		http_error(rq, rs, 409, NULL, "record who attended before "
		    "writing the record");
		return -1;
	}
	return 0;
}

static int
took_part(const struct participant *p)
{
	return !p->removed && p->attendance != NULL &&
	    (strcmp(p->attendance, "attended") == 0 ||
	    strcmp(p->attendance, "contributed") == 0);
}

static int
sent_information(const struct discussion *d, const char *agency)
{
	size_t i;

	for (i = 0; i < d->nparticipants; i++)
		if (!d->participants[i].removed &&
		    d->participants[i].attendance != NULL &&
		    strcmp(d->participants[i].attendance, "contributed") == 0 &&
		    strcmp(d->participants[i].agency, agency) == 0)
			return 1;
	return 0;
}

static void
add_agency(json_t *list, const char *code)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (strcmp(json_string_value(x), code) == 0)
			return;
	json_array_append_new(list, json_string(code));
}

/* The agencies the form asks about: those that took part or sent
 * information, and any the stored record has, in the agencies' order. */
static json_t *
info_agencies(const struct discussion *d)
{
	json_t *seen = json_array(), *out = json_array(), *x;
	size_t i, k;

	for (i = 0; i < d->nparticipants; i++)
		if (took_part(&d->participants[i]))
			add_agency(seen, d->participants[i].agency);
	for (i = 0; d->record != NULL && i < d->record->ninfo; i++)
		add_agency(seen, d->record->info[i].agency);
	for (k = 0; web_agencies[k] != NULL; k++)
		json_array_foreach(seen, i, x)
			if (strcmp(json_string_value(x), web_agencies[k]) == 0)
				add_agency(out, web_agencies[k]);
	json_array_foreach(seen, i, x)
		add_agency(out, json_string_value(x));
	json_decref(seen);
	return out;
}

static const struct agency_contribution *
stored_info(const struct discussion *d, const char *agency)
{
	size_t i;

	for (i = 0; d->record != NULL && i < d->record->ninfo; i++)
		if (strcmp(d->record->info[i].agency, agency) == 0)
			return &d->record->info[i];
	return NULL;
}

/* ---- the form's views ---------------------------------------------------- */

struct page {
	struct http_req		*rq;
	struct web_errors	*we;
	const struct discussion	*d;
	int			 posted;
};

/* The field's value: the form's when posted, else the stored one. */
static const char *
cur(const struct page *pg, const char *key, const char *stored, char *buf,
    size_t len)
{
	if (pg->posted)
		return web_field(pg->rq, key, buf, len);
	return stored != NULL ? stored : "";
}

static json_t *
fld_text(const struct page *pg, const char *key, const char *label,
    const char *hint, const char *stored, int rows)
{
	char v[TEXT_BUF];
	json_t *f = web_fld(pg->we, key, label, hint, cur(pg, key, stored, v,
	    sizeof(v)));

	if (rows > 0)
		json_object_set_new(f, "rows", json_integer(rows));
	return f;
}

static json_t *
vocab_items(const char *id, enum vocab_list l, const char *current)
{
	const char *pairs[VOCAB_PAIRS];
	const struct vocab_term *t;
	size_t n, i, k = 0;

	t = vocab_terms(l, &n);
	for (i = 0; i < n && k + 2 < VOCAB_PAIRS; i++) {
		pairs[k++] = t[i].code;
		pairs[k++] = t[i].words;
	}
	pairs[k] = NULL;
	return web_choices(id, pairs, current);
}

static json_t *
fld_radios(const struct page *pg, const char *key, const char *label,
    const char *hint, enum vocab_list l, const char *stored, int inline_)
{
	char v[64];
	json_t *f = web_fld(pg->we, key, label, hint, cur(pg, key, stored, v,
	    sizeof(v)));

	json_object_set_new(f, "items", vocab_items(key, l,
	    json_string_value(json_object_get(f, "value"))));
	if (inline_)
		json_object_set_new(f, "inline", json_true());
	return f;
}

static json_t *
fld_yes_no(const struct page *pg, const char *key, const char *label,
    int stored)
{
	static const char *const yes_no[] = { "yes", "Yes", "no", "No", NULL };
	char v[16];
	json_t *f = web_fld(pg->we, key, label, NULL, cur(pg, key, stored ==
	    1 ? "yes" : stored == 0 ? "no" : "", v, sizeof(v)));

	json_object_set_new(f, "items", web_choices(key, yes_no,
	    json_string_value(json_object_get(f, "value"))));
	json_object_set_new(f, "inline", json_true());
	return f;
}

static json_t *
fld_date(const struct page *pg, const char *key, const char *label,
    const char *stored)
{
	json_t *f = web_fld_date(pg->we, pg->posted ? pg->rq : NULL, key,
	    label, "For example, 27 3 2026", 0);

	if (!pg->posted && stored != NULL && stored[0] != '\0')
		web_fld_set_date(f, stored, NULL);
	return f;
}

static json_t *
chair_view(const struct page *pg)
{
	const struct discussion *d = pg->d;
	const struct participant *p;
	json_t *items = json_array(), *f;
	char v[32], stored[32], iid[KEY_LEN];
	size_t i;
	int first = 1;

	snprintf(stored, sizeof(stored), "%ld", d->chair_participant_id);
	f = web_fld(pg->we, "chair", "Who chaired the discussion?", NULL,
	    cur(pg, "chair", d->chair_participant_id ? stored : NULL, v,
	    sizeof(v)));
	for (i = 0; i < d->nparticipants; i++) {
		p = &d->participants[i];
		if (p->removed || strcmp(p->agency, "social_care") != 0 ||
		    p->attendance == NULL ||
		    strcmp(p->attendance, "attended") != 0)
			continue;
		snprintf(stored, sizeof(stored), "%ld", p->id);
		if (first)
			str_copy(iid, "chair", sizeof(iid));
		else
			snprintf(iid, sizeof(iid), "chair-%ld", p->id);
		first = 0;
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:s}", "item_id", iid, "value", stored, "text", p->name,
		    "checked", strcmp(json_string_value(json_object_get(f,
		    "value")), stored) == 0, "item_hint", p->can_chair ?
		    "May chair (a manager, or marked able to chair)" :
		    "Not marked as able to chair"));
	}
	json_object_set_new(f, "items", items);
	json_object_set_new(f, "legend_size", json_string("m"));
	return f;
}

static int
has_concern(const struct page *pg, const char *code)
{
	const char *vals[MODEL_MAX_CONCERNS + 4];
	size_t i, n;

	if (pg->posted) {
		n = form_get_all(&pg->rq->form, "concerns", vals,
		    sizeof(vals) / sizeof(vals[0]));
		for (i = 0; i < n; i++)
			if (strcmp(vals[i], code) == 0)
				return 1;
		return 0;
	}
	for (i = 0; pg->d->record != NULL && i < pg->d->record->nconcerns; i++)
		if (strcmp(pg->d->record->concerns[i], code) == 0)
			return 1;
	return 0;
}

static json_t *
concerns_view(const struct page *pg)
{
	const struct vocab_term *t;
	json_t *f, *items = json_array();
	char iid[KEY_LEN];
	size_t n, i;

	t = vocab_terms(VOCAB_CONCERN, &n);
	f = web_fld(pg->we, "concerns", "Categories of concern",
	    "Select all that apply", NULL);
	for (i = 0; i < n; i++) {
		if (i == 0)
			str_copy(iid, "concerns", sizeof(iid));
		else
			snprintf(iid, sizeof(iid), "concerns-%s", t[i].code);
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:b}", "item_id", iid, "value", t[i].code, "text",
		    t[i].words, "checked", has_concern(pg, t[i].code), "other",
		    strcmp(t[i].code, "other") == 0));
	}
	json_object_set_new(f, "items", items);
	json_object_set_new(f, "legend_size", json_string("m"));
	json_object_set_new(f, "f_other", fld_text(pg, "concerns_other",
	    "What is the other concern?", NULL, pg->d->record ?
	    pg->d->record->concerns_other : NULL, 3));
	return f;
}

static json_t *
info_view(const struct page *pg, json_t *agencies)
{
	const struct agency_contribution *a;
	json_t *out = json_array(), *x;
	char key[KEY_LEN];
	const char *code;
	size_t i;
	int wrote;

	json_array_foreach(agencies, i, x) {
		code = json_string_value(x);
		a = stored_info(pg->d, code);
		wrote = sent_information(pg->d, code);
#define K(f) (snprintf(key, sizeof(key), "i-%s-%s", code, f), key)
		json_array_append_new(out, json_pack("{s:s, s:s, s:b, s:o, s:o, "
		    "s:o, s:o}", "agency", code, "name", web_agency_name(code),
		    "sent", wrote,
		    "f_information", fld_text(pg, K("information"),
		    "What they shared", wrote ? "They sent information instead "
		    "of attending: record what was sent, when and by whom" :
		    NULL, a ? a->information : NULL, 4),
		    "f_checks", fld_radios(pg, K("checks"), "Checks made", NULL,
		    VOCAB_CHECKS, a ? a->checks : NULL, 0),
		    "f_received", fld_radios(pg, K("received"),
		    "How it was received", NULL, VOCAB_RECEIVED,
		    a ? a->received : NULL, 0),
		    "f_from", fld_text(pg, K("from"), "From whom", "A name and "
		    "role", a ? a->from : NULL, 0)));
#undef K
	}
	return out;
}

static json_t *
child_view(const struct page *pg, const struct child *c)
{
	const struct child_decision *x = model_decision(pg->d, c->id);
	char key[KEY_LEN], buf_name[LABEL_BUF], buf[SENTENCE_BUF];
	const char *nm;
	json_t *o;

	nm = child_label(c, buf_name, sizeof(buf_name));
#define K(f) (snprintf(key, sizeof(key), "c%ld-%s", c->id, f), key)
#define S(f) (x != NULL ? x->f : NULL)
	snprintf(buf, sizeof(buf), "Decision for %s", nm);
	o = json_pack("{s:I, s:s}", "id", (json_int_t)c->id, "name", nm);
	json_object_set_new(o, "f_decision", fld_radios(pg, K("decision"), buf,
	    NULL, VOCAB_DECISION, S(decision), 0));
	json_object_set_new(o, "f_rationale", fld_text(pg, K("rationale"),
	    "Reasons for the decision", NULL, S(rationale), 4));
	json_object_set_new(o, "f_police", fld_radios(pg,
	    K("police_investigation"), "Police investigation",
	    "Needed with a Section 47 decision", VOCAB_POLICE_INVESTIGATION,
	    S(police_investigation), 0));
	json_object_set_new(o, "f_medical", fld_radios(pg, K("medical"),
	    "Child protection medical", "Needed with a Section 47 decision",
	    VOCAB_MEDICAL, S(medical), 0));
	json_object_set_new(o, "f_plan_to_see", fld_text(pg, K("plan_to_see"),
	    "Plan to see the child", "Who sees them, where and when",
	    S(plan_to_see), 2));
	json_object_set_new(o, "f_seen_alone", fld_yes_no(pg, K("seen_alone"),
	    "Will the child be seen alone?", x ? x->seen_alone : -1));
	json_object_set_new(o, "f_views", fld_text(pg, K("views"),
	    "The child's views, wishes and feelings", "For a baby or a child "
	    "who does not talk yet, what was observed", S(views), 3));
	json_object_set_new(o, "f_comm", fld_text(pg, K("communication_needs"),
	    "Communication needs", "Interpreter, intermediary, signing",
	    S(communication_needs), 2));
	json_object_set_new(o, "f_parents", fld_radios(pg, K("parents"),
	    "Telling the parents", NULL, VOCAB_PARENTS, S(parents), 0));
	json_object_set_new(o, "f_parents_by", fld_text(pg, K("parents_by"),
	    "Who tells them", NULL, S(parents_by), 0));
	json_object_set_new(o, "f_parents_when", fld_date(pg,
	    K("parents_when"), "By when", S(parents_when)));
	json_object_set_new(o, "f_parents_delay", fld_text(pg,
	    K("parents_delay_reason"), "Why telling them is delayed",
	    "Needed when it is delayed", S(parents_delay_reason), 2));
	json_object_set_new(o, "f_consent", fld_radios(pg,
	    K("consent_for_checks"), "Consent for agency checks", NULL,
	    VOCAB_CONSENT, S(consent_for_checks), 0));
	json_object_set_new(o, "f_consent_reason", fld_text(pg,
	    K("consent_reason"), "Reason about consent", "Why consent was not "
	    "sought, or what was said when it was refused", S(consent_reason),
	    2));
	json_object_set_new(o, "f_next_step", fld_radios(pg, K("next_step"),
	    "Next step", NULL, VOCAB_NEXT_STEP, S(next_step), 0));
#undef S
#undef K
	return o;
}

static json_t *
agency_items(const char *current)
{
	json_t *items = json_array();
	size_t i;

	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "Choose an agency", "checked", current == NULL ||
	    current[0] == '\0'));
	for (i = 0; web_agencies[i] != NULL; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
		    "value", web_agencies[i], "text",
		    web_agency_name(web_agencies[i]), "checked", current != NULL &&
		    strcmp(current, web_agencies[i]) == 0));
	return items;
}

static json_t *
dissent_view(const struct page *pg)
{
	const struct record *r = pg->d->record;
	const struct dissent *x;
	json_t *out = json_array(), *f, *row;
	char key[KEY_LEN], v[32];
	int i, esc;

	for (i = 0; i < DISSENT_ROWS; i++) {
		x = r != NULL && (size_t)i < r->ndissent ? &r->dissent[i] : NULL;
		row = json_pack("{s:i}", "number", i + 1);
		snprintf(key, sizeof(key), "d%d-agency", i);
		f = web_fld(pg->we, key, "Agency", NULL, cur(pg, key,
		    x ? x->agency : NULL, v, sizeof(v)));
		json_object_set_new(f, "items", agency_items(json_string_value(
		    json_object_get(f, "value"))));
		json_object_set_new(row, "f_agency", f);
		snprintf(key, sizeof(key), "d%d-about", i);
		json_object_set_new(row, "f_about", fld_text(pg, key,
		    "What they disagree with", NULL, x ? x->about : NULL, 2));
		snprintf(key, sizeof(key), "d%d-escalated", i);
		esc = pg->posted ? form_get(&pg->rq->form, key) != NULL :
		    x != NULL && x->escalated;
		f = web_fld(pg->we, key, "Escalation", NULL, NULL);
		json_object_set_new(f, "items", json_pack("[{s:s, s:s, s:s, s:b, "
		    "s:n}]", "item_id", key, "value", "yes", "text",
		    "The partnership's escalation procedure (resolving "
		    "professional disagreement) was started", "checked", esc,
		    "item_hint"));
		json_object_set_new(row, "f_escalated", f);
		json_array_append_new(out, row);
	}
	return out;
}

static int
form_page(struct http_req *rq, struct http_resp *rs, long id,
    const struct discussion *d, struct web_errors *we)
{
	struct page pg = { rq, we, d, rq->form.n > 0 };
	const struct record *r = d->record;
	json_t *data, *kids = json_array(), *agencies = info_agencies(d);
	char when[96];
	size_t i;
	int bad;

	for (i = 0; i < d->nchildren; i++)
		json_array_append_new(kids, child_view(&pg, &d->children[i]));
	web_when(d->starts_at, when, sizeof(when));
	data = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:b}", "id", (json_int_t)id, "case_ref", d->case_ref,
	    "when", when, "f_chair", chair_view(&pg), "f_concerns",
	    concerns_view(&pg), "agencies", info_view(&pg, agencies),
	    "f_worries", fld_text(&pg, "worries", "What are we worried about?",
	    "The harm, and how likely it is", r ? r->worries : NULL, 4),
	    "f_strengths", fld_text(&pg, "strengths", "What is working well?",
	    "Protective factors", r ? r->strengths : NULL, 4),
	    "f_gaps", fld_text(&pg, "gaps", "What do we not know?", NULL,
	    r ? r->gaps : NULL, 3), "children", kids,
	    "f_safety", fld_text(&pg, "safety_plan", "Safety plan",
	    "Where each child sleeps tonight, who checks, and any legal advice "
	    "or emergency protection considered", r ? r->safety_plan : NULL,
	    5), "dissent", dissent_view(&pg), "editing", r != NULL);
	json_decref(agencies);
	json_object_set_new(data, "back", json_pack("{s:s, s:s}", "text",
	    "Back", "href", ""));
	json_object_set_new(json_object_get(data, "back"), "href",
	    json_sprintf("/meetings/%ld", id));
	bad = we != NULL && web_errors_any(we);
	if (we != NULL)
		web_errors_put(we, data);
	return web_page(rq, rs, bad ? 422 : 200, "record_form",
	    "Record of the strategy discussion", data);
}

int
web_record_form(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *d;
	long id;
	int status;

	if (web_discussion_load(rq, rs, &id, &d) != 0)
		return rs->status;
	if (writable(rq, rs, d) != 0) {
		model_discussion_free(d);
		return rs->status;
	}
	status = form_page(rq, rs, id, d, NULL);
	model_discussion_free(d);
	return status;
}

/* ---- reading the form into the record's JSON ------------------------------ */

/* Set key in o to the form's text for field, when there is any. */
static const char *
put_text(json_t *o, const char *key, struct http_req *rq, const char *field)
{
	char v[TEXT_BUF];

	web_field(rq, field, v, sizeof(v));
	if (v[0] == '\0')
		return NULL;
	json_object_set_new(o, key, json_string(v));
	return json_string_value(json_object_get(o, key));
}

static void
read_chair(struct http_req *rq, struct web_errors *we, json_t *body)
{
	char v[32];
	long pid;

	web_field(rq, "chair", v, sizeof(v));
	if (str_to_long(v, 1, 9007199254740991L, &pid) != 0) {
		web_error(we, "chair", NULL, "Select who chaired the discussion");
		return;
	}
	json_object_set_new(body, "chair_participant_id", json_integer(pid));
}

static void
read_concerns(struct http_req *rq, struct web_errors *we, json_t *body)
{
	const char *vals[MODEL_MAX_CONCERNS + 4];
	json_t *list = json_array();
	size_t i, n;

	n = form_get_all(&rq->form, "concerns", vals, sizeof(vals) /
	    sizeof(vals[0]));
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_string(vals[i]));
	if (n == 0)
		web_error(we, "concerns", NULL, "Select at least one category "
		    "of concern");
	json_object_set_new(body, "concerns", list);
	put_text(body, "concerns_other", rq, "concerns_other");
	for (i = 0; i < n; i++)
		if (strcmp(vals[i], "other") == 0 &&
		    json_object_get(body, "concerns_other") == NULL)
			web_error(we, "concerns_other", NULL, "Say what the other "
			    "concern is");
}

/* One entry per agency with anything filled in (or that sent information);
 * map[i] is entry i's agency. */
static void
read_info(struct http_req *rq, struct web_errors *we,
    const struct discussion *d, json_t *agencies, json_t *body, json_t *map)
{
	json_t *list = json_array(), *o, *x;
	char key[KEY_LEN];
	const char *code, *received;
	size_t i;
	int wrote;

	json_array_foreach(agencies, i, x) {
		code = json_string_value(x);
		wrote = sent_information(d, code);
		o = json_pack("{s:s}", "agency", code);
#define K(f) (snprintf(key, sizeof(key), "i-%s-%s", code, f), key)
		put_text(o, "information", rq, K("information"));
		put_text(o, "checks", rq, K("checks"));
		received = put_text(o, "received", rq, K("received"));
		put_text(o, "from", rq, K("from"));
		if (wrote && (received == NULL ||
		    strcmp(received, "in_writing") != 0))
			web_error(we, K("received"), NULL, "%s sent information "
			    "instead of attending: choose \"%s\"",
			    web_agency_name(code), vocab_words(VOCAB_RECEIVED,
			    "in_writing"));
		if (wrote && json_object_get(o, "information") == NULL)
			web_error(we, K("information"), NULL, "%s sent "
			    "information: record what was sent",
			    web_agency_name(code));
#undef K
		if (json_object_size(o) == 1 && !wrote) {
			json_decref(o);
			continue;
		}
		json_array_append_new(list, o);
		json_array_append_new(map, json_string(code));
	}
	json_object_set_new(body, "agency_information", list);
}

static void
read_child(struct http_req *rq, struct web_errors *we, const struct child *c,
    json_t *list)
{
	static const char *const texts[] = { "rationale", "police_investigation",
		"medical", "plan_to_see", "views", "communication_needs",
		"parents", "parents_by", "parents_delay_reason",
		"consent_for_checks", "consent_reason", "next_step", NULL };
	char key[KEY_LEN], buf_name[LABEL_BUF], label[SENTENCE_BUF], when[11];
	const char *nm;
	char v[16];
	json_t *o = json_pack("{s:I}", "child_id", (json_int_t)c->id);
	size_t i;

	nm = child_label(c, buf_name, sizeof(buf_name));
#define K(f) (snprintf(key, sizeof(key), "c%ld-%s", c->id, f), key)
	if (put_text(o, "decision", rq, K("decision")) == NULL)
		web_error(we, key, NULL, "Select the decision for %s", nm);
	for (i = 0; texts[i] != NULL; i++)
		put_text(o, texts[i], rq, K(texts[i]));
	if (json_object_get(o, "rationale") == NULL)
		web_error(we, K("rationale"), NULL, "Give the reasons for the "
		    "decision for %s", nm);
	web_field(rq, K("seen_alone"), v, sizeof(v));
	if (v[0] != '\0')
		json_object_set_new(o, "seen_alone", json_boolean(strcmp(v,
		    "yes") == 0));
	snprintf(label, sizeof(label), "the date %s's parents are told", nm);
	if (web_date(rq, we, K("parents_when"), 0, label, when) == 0 &&
	    when[0] != '\0')
		json_object_set_new(o, "parents_when", json_string(when));
#undef K
	json_array_append_new(list, o);
}

static void
read_dissent(struct http_req *rq, json_t *body, json_t *map)
{
	json_t *list = json_array(), *o;
	char key[KEY_LEN];
	int i;

	for (i = 0; i < DISSENT_ROWS; i++) {
		o = json_object();
#define K(f) (snprintf(key, sizeof(key), "d%d-%s", i, f), key)
		put_text(o, "agency", rq, K("agency"));
		put_text(o, "about", rq, K("about"));
		if (json_object_size(o) == 0) {
			json_decref(o);
			continue;
		}
		json_object_set_new(o, "escalated", json_boolean(form_get(
		    &rq->form, K("escalated")) != NULL));
#undef K
		json_array_append_new(list, o);
		json_array_append_new(map, json_integer(i));
	}
	json_object_set_new(body, "dissent", list);
}

/* ---- record_put's refusal, on the form ------------------------------------- */

/* "children[3].medical" -> 3 and "medical"; -1 when not of that shape. */
static long
indexed(const char *field, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	long i;

	*rest = "";
	if (strncmp(field, prefix, n) != 0 || str_to_long_n(field + n,
	    strcspn(field + n, "]"), 0, 999, &i) != 0)
		return -1;
	*rest = strchr(field + n, ']');
	*rest = *rest != NULL && (*rest)[1] == '.' ? *rest + 2 : "";
	return i;
}

/* The model's message without its "field: " prefix. */
static const char *
bare(const struct verr *e)
{
	const char *m = e->msg;
	size_t n = strlen(e->field);

	if (n > 0 && strncmp(m, e->field, n) == 0 && m[n] == ':')
		m += n + 1;
	while (*m == ' ')
		m++;
	return m;
}

static void
model_error(struct web_errors *we, const struct verr *e,
    const struct discussion *d, json_t *info_map, json_t *dissent_map,
    json_t *body)
{
	char key[KEY_LEN], anchor[KEY_LEN + 8], name[LABEL_BUF];
	const char *rest, *code;
	json_int_t cid;
	long i;

	if ((i = indexed(e->field, "children[", &rest)) >= 0) {
		cid = json_integer_value(json_object_get(json_array_get(
		    json_object_get(body, "children"), (size_t)i), "child_id"));
		if (rest[0] == '\0')
			rest = "decision";
		snprintf(key, sizeof(key), "c%lld-%s", (long long)cid, rest);
		snprintf(anchor, sizeof(anchor), "%s%s", key,
		    strcmp(rest, "parents_when") == 0 ? "-day" : "");
		web_error(we, key, anchor, "%s for %s: %s", label_text(rest),
		    child_label(model_child(d, (long)cid), name, sizeof(name)),
		    bare(e));
		return;
	}
	if ((i = indexed(e->field, "agency_information[", &rest)) >= 0 &&
	    (code = json_string_value(json_array_get(info_map, (size_t)i))) !=
	    NULL) {
		snprintf(key, sizeof(key), "i-%s-%s", code, rest[0] ? rest :
		    "information");
		web_error(we, key, NULL, "%s (%s): %s", label_text(rest[0] ?
		    rest : "information"), web_agency_name(code), bare(e));
		return;
	}
	if ((i = indexed(e->field, "dissent[", &rest)) >= 0 &&
	    json_array_get(dissent_map, (size_t)i) != NULL) {
		snprintf(key, sizeof(key), "d%lld-%s", (long long)
		    json_integer_value(json_array_get(dissent_map, (size_t)i)),
		    rest[0] ? rest : "about");
		web_error(we, key, NULL, "Dissent: %s: %s", label_text(rest[0] ?
		    rest : "about"), bare(e));
		return;
	}
	if (strncmp(e->field, "analysis.", 9) == 0)
		str_copy(key, e->field + 9, sizeof(key));
	else if (strncmp(e->field, "chair", 5) == 0)
		str_copy(key, "chair", sizeof(key));
	else if (strcmp(e->field, "concerns_other") == 0)
		str_copy(key, "concerns_other", sizeof(key));
	else if (strncmp(e->field, "concerns", 8) == 0)
		str_copy(key, "concerns", sizeof(key));
	else if (strcmp(e->field, "safety_plan") == 0)
		str_copy(key, "safety_plan", sizeof(key));
	else {
		web_error(we, "form", "main-content", "%s", bare(e));
		return;
	}
	web_error(we, key, NULL, "%s: %s", label_text(key), bare(e));
}

int
web_record_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct verr e = { 0 };
	struct discussion *d = NULL;
	json_t *body = NULL, *kids, *agencies = NULL, *out = NULL;
	json_t *info_map = json_array(), *dissent_map = json_array();
	long id;
	size_t i;
	int status = 500;

	web_errors_init(&we);
	if (web_discussion_load(rq, rs, &id, &d) != 0 || writable(rq, rs, d) != 0) {
		status = rs->status;
		goto out;
	}
	body = json_object();
	agencies = info_agencies(d);
	read_chair(rq, &we, body);
	read_concerns(rq, &we, body);
	read_info(rq, &we, d, agencies, body, info_map);
	json_object_set_new(body, "analysis", json_object());
	put_text(json_object_get(body, "analysis"), "worries", rq, "worries");
	put_text(json_object_get(body, "analysis"), "strengths", rq,
	    "strengths");
	put_text(json_object_get(body, "analysis"), "gaps", rq, "gaps");
	kids = json_array();
	for (i = 0; i < d->nchildren; i++)
		read_child(rq, &we, &d->children[i], kids);
	json_object_set_new(body, "children", kids);
	put_text(body, "safety_plan", rq, "safety_plan");
	read_dissent(rq, body, dissent_map);
	if (!web_errors_any(&we) && record_put(rq->db, &rq->user, id, body,
	    &out, &e) != 0) {
		if (e.status == 500)
			goto out;
		model_error(&we, &e, d, info_map, dissent_map, body);
	}
	if (web_errors_any(&we)) {
		status = form_page(rq, rs, id, d, &we);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%ld?done=record", id);
out:
	model_discussion_free(d);
	json_decref(body);
	json_decref(agencies);
	json_decref(out);
	json_decref(info_map);
	json_decref(dissent_map);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- the record on the meeting page ------------------------------------------ */

static void
row(json_t *rows, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		json_array_append_new(rows, json_pack("{s:s, s:s}", "key", key,
		    "value", value));
}

static const char *
yes_no_unknown(int v)
{
	return v == 1 ? "Yes" : v == 0 ? "No" : "";
}

static json_t *
decision_view(const struct discussion *d, const struct child *c)
{
	const struct child_decision *x = model_decision(d, c->id);
	char buf_name[LABEL_BUF], day[64];
	const char *nm;
	json_t *rows = json_array();

	nm = child_label(c, buf_name, sizeof(buf_name));
	if (x == NULL)
		return json_pack("{s:s, s:s, s:o}", "name", nm, "decision",
		    "Not recorded", "rows", rows);
	row(rows, "Reasons for the decision", x->rationale);
	row(rows, "Police investigation", vocab_words(
	    VOCAB_POLICE_INVESTIGATION, x->police_investigation));
	row(rows, "Child protection medical", vocab_words(VOCAB_MEDICAL,
	    x->medical));
	row(rows, "Plan to see the child", x->plan_to_see);
	row(rows, "Seen alone", yes_no_unknown(x->seen_alone));
	row(rows, "The child's views, wishes and feelings", x->views);
	row(rows, "Communication needs", x->communication_needs);
	row(rows, "Consent for agency checks", vocab_words(VOCAB_CONSENT,
	    x->consent_for_checks));
	row(rows, "Reason about consent", x->consent_reason);
	row(rows, "Next step", vocab_words(VOCAB_NEXT_STEP, x->next_step));
	web_day(x->parents_when, day, sizeof(day));
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "name", nm,
	    "decision", vocab_words(VOCAB_DECISION, x->decision), "rows", rows,
	    "parents", x->parents ? vocab_words(VOCAB_PARENTS, x->parents) :
	    "Not recorded", "parents_by", x->parents_by ? x->parents_by : "",
	    "parents_when", day, "parents_delay", x->parents_delay_reason ?
	    x->parents_delay_reason : "");
}

/* The record as the meeting page shows it; JSON null when none. */
static json_t *
record_view(const struct discussion *d)
{
	const struct record *r = d->record;
	const struct participant *chair;
	json_t *o, *list;
	char when[96];
	size_t i;

	if (r == NULL)
		return json_null();
	when_words(r->written_at, when, sizeof(when));
	chair = d->chair_participant_id ? model_participant(d,
	    d->chair_participant_id) : NULL;
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "status", vocab_words(VOCAB_RECORD_STATUS, r->status), "version",
	    r->version, "written_by", r->written_by ? r->written_by : "",
	    "written_at", when, "chair", chair ? chair->name : d->chair ?
	    d->chair : "Not recorded", "chair_may", chair == NULL ? "" :
	    chair->can_chair ? "May chair (a manager, or marked able to chair)"
	    : "Not marked as able to chair", "worries", r->worries ?
	    r->worries : "", "strengths", r->strengths ? r->strengths : "",
	    "gaps", r->gaps ? r->gaps : "", "safety_plan", r->safety_plan ?
	    r->safety_plan : "");
	list = json_array();
	for (i = 0; i < r->nconcerns; i++)
		json_array_append_new(list, json_string(vocab_words(
		    VOCAB_CONCERN, r->concerns[i])));
	json_object_set_new(o, "concerns", list);
	json_object_set_new(o, "concerns_other", json_string(
	    r->concerns_other ? r->concerns_other : ""));
	list = json_array();
	for (i = 0; i < r->ninfo; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s}", "agency", web_agency_name(r->info[i].agency),
		    "information", r->info[i].information ?
		    r->info[i].information : "", "checks", vocab_words(
		    VOCAB_CHECKS, r->info[i].checks), "received", vocab_words(
		    VOCAB_RECEIVED, r->info[i].received), "from",
		    r->info[i].from ? r->info[i].from : ""));
	json_object_set_new(o, "info", list);
	list = json_array();
	for (i = 0; i < d->nchildren; i++)
		json_array_append_new(list, decision_view(d, &d->children[i]));
	json_object_set_new(o, "children", list);
	list = json_array();
	for (i = 0; i < r->ndissent; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
		    "agency", web_agency_name(r->dissent[i].agency), "about",
		    r->dissent[i].about ? r->dissent[i].about : "", "escalated",
		    r->dissent[i].escalated ? "Escalation procedure started" :
		    "Not escalated"));
	json_object_set_new(o, "dissent", list);
	json_object_set_new(o, "any_dissent", json_boolean(r->ndissent > 0));
	return o;
}

/* ---- the history in words ------------------------------------------------------ */

static const char *
action_words(const char *code)
{
	static const struct {
		const char	*code;
		const char	*words;
	} actions[] = {
		{ "meeting.create", "Booked" },
		{ "meeting.update", "Changed" },
		{ "meeting.cancel", "Cancelled" },
		{ "meeting.attendance", "Attendance recorded" },
		{ "record.write", "Record written" },
		{ "discussion.review", "Reviewed" },
		{ "discussion.sign_off", "Signed off" },
		{ "participant.reply", "Reply to an invite" },
		{ "meeting.call", "Call to an agency logged" },
	};
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].code, code) == 0)
			return actions[i].words;
	return "Other change";
}

/* The last segment of a path, without any [...]: "record.children[5].
 * decision" -> "decision", "record.concerns" -> "concerns". */
static void
last_segment(const char *path, char *out, size_t len)
{
	const char *dot = strrchr(path, '.');

	str_copy(out, dot != NULL ? dot + 1 : path, len);
	out[strcspn(out, "[")] = '\0';
}

static int
is_agency_list(const char *field)
{
	return strcmp(field, "agency") == 0 || strstr(field, "agencies") !=
	    NULL;
}

/* One value of field in words, appended to b. */
static void
value_words(struct buf *b, const struct discussion *d, const char *field,
    json_t *v)
{
	const struct field_label *l = label_of(field);
	const struct participant *p;
	char out[128];
	int list;
	size_t i;
	json_t *x;

	if (v == NULL || json_is_null(v) || (json_is_array(v) &&
	    json_array_size(v) == 0)) {
		buf_printf(b, "none");
		return;
	}
	if (json_is_boolean(v)) {
		buf_printf(b, "%s", json_is_true(v) ? "Yes" : "No");
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			buf_printf(b, "%s", i ? ", " : "");
			value_words(b, d, field, x);
		}
		return;
	}
	if (json_is_integer(v)) {
		if (strcmp(field, "chair_participant_id") == 0 &&
		    (p = model_participant(d, (long)json_integer_value(v))) !=
		    NULL)
			buf_printf(b, "%s", p->name);
		else
			buf_printf(b, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (!json_is_string(v)) {
		buf_printf(b, "changed");
		return;
	}
	if (is_agency_list(field)) {
		buf_printf(b, "%s", web_agency_name(json_string_value(v)));
		return;
	}
	list = vocab_by_name(l != NULL && l->list != NULL ? l->list : field);
	if (list >= 0) {
		buf_printf(b, "%s", vocab_words((enum vocab_list)list,
		    json_string_value(v)));
		return;
	}
	if (json_string_length(v) == 10 && json_string_value(v)[4] == '-')
		web_day(json_string_value(v), out, sizeof(out));
	else if (json_string_length(v) > 10 && json_string_value(v)[4] == '-' &&
	    json_string_value(v)[10] == 'T')
		web_when(json_string_value(v), out, sizeof(out));
	else
		str_copy(out, json_string_value(v), sizeof(out));
	buf_printf(b, "%s", out);
}

/* Whose field it is: "for <child>", "of <participant>", "" for the
 * discussion's own. */
static void
owner_words(struct buf *b, const struct discussion *d, const char *path)
{
	char name[LABEL_BUF];
	const struct participant *p;
	const char *rest;
	long id;

	if (strncmp(path, "record.", 7) == 0)
		path += 7;
	if ((id = indexed(path, "children[", &rest)) >= 0)
		buf_printf(b, " for %s", child_label(model_child(d, id), name,
		    sizeof(name)));
	else if ((id = indexed(path, "participants[", &rest)) >= 0)
		buf_printf(b, " of %s", (p = model_participant(d, id)) != NULL ?
		    p->name : "someone no longer invited");
	else if ((id = indexed(path, "agency_information[", &rest)) >= 0)
		buf_printf(b, " (agency information %ld)", id + 1);
	else if ((id = indexed(path, "dissent[", &rest)) >= 0)
		buf_printf(b, " (dissent %ld)", id + 1);
}

static int
is_silent(const char *field)
{
	size_t i;

	for (i = 0; silent[i] != NULL; i++)
		if (strcmp(silent[i], field) == 0)
			return 1;
	return 0;
}

static int
listed(json_t *list, const char *s)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
		if (strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

/* "2026-12-05T10:16:38.210202+00:00" in words (whole seconds). */
static void
when_words(const char *iso, char *out, size_t len)
{
	char t[MODEL_TIME_LEN + 16];
	char *dot;
	size_t n;

	str_copy(t, iso != NULL ? iso : "", sizeof(t));
	if ((dot = strchr(t, '.')) != NULL) {
		n = strspn(dot + 1, "0123456789");
		memmove(dot, dot + 1 + n, strlen(dot + 1 + n) + 1);
	}
	web_when(t, out, len);
}

static json_t *
change_words(const struct discussion *d, json_t *changes)
{
	json_t *out = json_array(), *c;
	char field[64], label[96];
	const char *path;
	struct buf b, before, after;
	size_t i, k, shown = 0, more = 0;

	json_array_foreach(changes, i, c) {
		path = json_string_value(json_object_get(c, "field"));
		if (path == NULL)
			continue;
		last_segment(path, field, sizeof(field));
		if (is_silent(field))
			continue;
		if (strcmp(path, "record.status") == 0)
			str_copy(field, "record_status", sizeof(field));
		if (shown == HISTORY_CHANGES) {
			more++;
			continue;
		}
		str_copy(label, label_text(field), sizeof(label));
		if (label_of(field) == NULL)
			for (k = 0; label[k] != '\0'; k++)
				if (label[k] == '_')
					label[k] = ' ';
		if (label[0] >= 'a' && label[0] <= 'z')
			label[0] = (char)(label[0] - 'a' + 'A');
		buf_init(&before, 4096);
		buf_init(&after, 4096);
		buf_init(&b, 8192);
		value_words(&before, d, field, json_object_get(c, "before"));
		value_words(&after, d, field, json_object_get(c, "after"));
		buf_printf(&b, "%s", label);
		owner_words(&b, d, path);
		buf_printf(&b, ": %s \xe2\x86\x92 %s", buf_cstr(&before),
		    buf_cstr(&after));
		/* A container that appeared (its fields are listed) and the
		 * same fact seen through two paths say nothing new. */
		if (strcmp(buf_cstr(&before), buf_cstr(&after)) != 0 &&
		    !listed(out, buf_cstr(&b))) {
			json_array_append_new(out, json_string(buf_cstr(&b)));
			shown++;
		}
		buf_free(&before);
		buf_free(&after);
		buf_free(&b);
	}
	if (more > 0)
		json_array_append_new(out, json_sprintf("and %zu more %s", more,
		    more == 1 ? "change" : "changes"));
	return out;
}

/* The history for the page, newest first; NULL on a database error. */
static json_t *
history_view(struct http_req *rq, const struct discussion *d)
{
	struct verr e = { 0 };
	json_t *h = NULL, *list, *out, *x, *ch;
	const char *action;
	char when[96];
	size_t i;

	if (record_history(rq->db, &rq->user, d->id, &h, &e) != 0)
		return NULL;
	list = json_object_get(h, "history");
	out = json_array();
	for (i = json_array_size(list); i-- > 0;) {
		x = json_array_get(list, i);
		action = json_string_value(json_object_get(x, "action"));
		when_words(json_string_value(json_object_get(x, "at")), when,
		    sizeof(when));
		ch = strcmp(action ? action : "", "meeting.create") == 0 ?
		    json_array() : change_words(d, json_object_get(x,
		    "changes"));
		json_array_append_new(out, json_pack("{s:s, s:O, s:s, s:b, "
		    "s:o}", "when", when, "who", json_object_get(x, "by"),
		    "action", action_words(action ? action : ""),
		    "any_changes", json_array_size(ch) > 0, "changes", ch));
	}
	json_decref(h);
	return out;
}

int
web_record_meeting_view(struct http_req *rq, const struct discussion *d,
    json_t *data)
{
	json_t *hist;
	int sw = rq->user.role == ROLE_SOCIAL_WORKER;

	if ((hist = history_view(rq, d)) == NULL)
		return -1;
	json_object_set_new(data, "history", hist);
	json_object_set_new(data, "record", record_view(d));
	json_object_set_new(data, "record_section", json_boolean(
	    strcmp(d->status, "held") == 0 || d->record != NULL));
	json_object_set_new(data, "can_write_record", json_boolean(sw &&
	    d->started && strcmp(d->status, "held") == 0));
	json_object_set_new(data, "record_written", json_boolean(d->record !=
	    NULL));
	return 0;
}
