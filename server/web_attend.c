/*
 * web_attend: recording who attended a strategy discussion and what was
 * decided: a status per participant, people who joined on the day, a
 * decision per child, whether the child's views were recorded, actions with
 * owners and dates, the next review, and why a statutory agency was absent.
 * The whole form is checked before meeting_record_attendance stores it in
 * one transaction; the result page then shows the classification.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "classify.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "meeting.h"
#include "model.h"
#include "str.h"
#include "vocab.h"
#include "web.h"
#include "web_duty.h"

static const char *const attendances[] = { "attended", "Attended",
	"contributed", "Sent information", "apologies", "Apologies",
	"absent", "Absent", NULL };
#define DECISION_PAIRS	(2 * 8 + 1)

static const char *const yes_no[] = { "yes", "Yes", "no", "No", NULL };

/* The page's text for an absent string. */
static const char *
txt(const char *s)
{
	return s != NULL ? s : "";
}

/* The decisions as {code, words} pairs from the vocabulary, NULL-ended. */
static void
decision_pairs(const char **pairs, size_t max)
{
	const struct vocab_term *t;
	size_t n, i, k = 0;

	t = vocab_terms(VOCAB_DECISION, &n);
	for (i = 0; i < n && k + 2 < max; i++) {
		pairs[k++] = t[i].code;
		pairs[k++] = t[i].words;
	}
	pairs[k] = NULL;
}

/* A child's name for the page: the name, or "Unborn baby (expected DATE)"
 * with the date in words. */
static const char *
child_name(const struct child *ch, char *buf, size_t len)
{
	char day[64];

	if (!ch->unborn || txt(ch->name)[0] != '\0')
		return txt(ch->name);
	web_day(ch->expected_date, day, sizeof(day));
	snprintf(buf, len, "Unborn baby (expected %s)", day);
	return buf;
}

static int
one_of(const char *v, const char *const *pairs)
{
	size_t i;

	for (i = 0; pairs[i] != NULL; i += 2)
		if (strcmp(v, pairs[i]) == 0)
			return 1;
	return 0;
}

/*
 * Discussion {id} as the user may see it, when attendance can be recorded:
 * not cancelled (409) and started (409 saying when it starts). -1 with the
 * response sent otherwise.
 */
static int
load(struct http_req *rq, struct http_resp *rs, long *id,
    struct discussion **m)
{
	char when[96];

	if (web_discussion_load(rq, rs, id, m) != 0)
		return -1;
	if (strcmp(txt((*m)->status), "cancelled") == 0) {
		http_error(rq, rs, 409, NULL, "this strategy discussion was "
		    "cancelled, so it has no attendance");
	} else if (!(*m)->started) {
		web_when((*m)->starts_at, when, sizeof(when));
		http_error(rq, rs, 409, NULL, "the meeting has not started: it "
		    "starts on %s. Attendance can be recorded once it has "
		    "started", when);
	} else
		return 0;
	model_discussion_free(*m);
	*m = NULL;
	return -1;
}

static int
rows_field(const struct http_req *rq, const char *key, int max, int more)
{
	char v[16];
	long n;

	if (str_to_long(web_field(rq, key, v, sizeof(v)), 1, max, &n) != 0)
		n = 1;
	if (more && n < max)
		n++;
	return (int)n;
}

/* ---- the form ------------------------------------------------------------------- */

/* Current value of a field: the form's when posted, else from the record. */
static const char *
val(const struct http_req *rq, const char *key, const char *stored,
    char *buf, size_t len)
{
	if (rq->form.n > 0)
		return web_field(rq, key, buf, len);
	return stored ? stored : "";
}

struct people_arg {
	const struct http_req	*rq;
	const struct web_errors	*we;
};

/* The attendance field for one person on the page (web_participant_groups). */
static void
attendance_field(json_t *person, const struct participant *p, void *arg)
{
	const struct people_arg *a = arg;
	char key[48], label[WEB_NAME_BUF], v[32];
	const char *value;
	json_t *f;

	snprintf(key, sizeof(key), "att-%ld", p->id);
	snprintf(label, sizeof(label), "%s", txt(p->name));
	value = val(a->rq, key, txt(p->attendance), v, sizeof(v));
	f = web_fld(a->we, key, label, txt(p->organisation)[0] ?
	    p->organisation : NULL, value);
	json_object_set_new(f, "items", web_choices(key, attendances, value));
	json_object_set_new(f, "inline", json_true());
	json_object_set_new(f, "small", json_true());
	json_object_set_new(person, "f_att", f);
}

static json_t *
people_view(const struct http_req *rq, const struct web_errors *we,
    const struct discussion *m)
{
	struct people_arg a = { rq, we };

	return web_participant_groups(m, 0, attendance_field, &a);
}

static json_t *
children_view(const struct http_req *rq, const struct web_errors *we,
    const struct discussion *m)
{
	const struct child_decision *stored;
	const struct child *ch;
	json_t *out = json_array(), *o, *f, *row;
	char key[48], label[WEB_NAME_BUF + 80], name[WEB_NAME_BUF + 64];
	char v[WEB_BUF(MEETING_LONG_TEXT_MAX)];
	const char *value, *pairs[DECISION_PAIRS];
	size_t i;

	decision_pairs(pairs, DECISION_PAIRS);
	for (i = 0; i < m->nchildren; i++) {
		ch = &m->children[i];
		stored = model_decision(m, ch->id);
		row = json_pack("{s:s}", "name", child_name(ch, name,
		    sizeof(name)));
		snprintf(key, sizeof(key), "outcome-%ld", ch->id);
		snprintf(label, sizeof(label), "Decision for %s",
		    child_name(ch, name, sizeof(name)));
		value = val(rq, key, stored ? stored->decision : NULL, v,
		    sizeof(v));
		f = web_fld(we, key, label, NULL, value);
		json_object_set_new(f, "items", web_choices(key, pairs, value));
		json_object_set_new(row, "f_decision", f);
		snprintf(key, sizeof(key), "rationale-%ld", ch->id);
		o = web_fld(we, key, "Why (optional)", NULL, val(rq, key,
		    stored ? stored->rationale : NULL, v, sizeof(v)));
		json_object_set_new(o, "rows", json_integer(3));
		json_object_set_new(row, "f_rationale", o);
		json_array_append_new(out, row);
	}
	return out;
}

static const char *
idbuf(long id, char *out, size_t outlen)
{
	snprintf(out, outlen, "%ld", id);
	return out;
}

static json_t *
actions_view(const struct http_req *rq, const struct web_errors *we,
    const struct discussion *m, int n)
{
	const struct action *a;
	json_t *out = json_array(), *row, *f;
	char key[48], v[WEB_BUF(MEETING_TEXT_MAX)], num[24];
	int i;

	for (i = 0; i < n; i++) {
		a = rq->form.n == 0 && (size_t)i < m->nactions ?
		    &m->actions[i] : NULL;
		snprintf(key, sizeof(key), "action-%d-id", i);
		row = json_pack("{s:i, s:s, s:s}", "number", i + 1, "id_name",
		    key, "id", val(rq, key, a != NULL && a->id ? idbuf(a->id,
		    num, sizeof(num)) : NULL, v, sizeof(v)));
		snprintf(key, sizeof(key), "action-%d-what", i);
		f = web_fld(we, key, "What needs doing", NULL, val(rq, key,
		    a ? a->what : NULL, v, sizeof(v)));
		json_object_set_new(f, "rows", json_integer(2));
		json_object_set_new(row, "f_what", f);
		snprintf(key, sizeof(key), "action-%d-owner", i);
		json_object_set_new(row, "f_owner", web_fld(we, key,
		    "Who will do it", "A name and agency", val(rq, key,
		    a ? a->owner : NULL, v, sizeof(v))));
		snprintf(key, sizeof(key), "action-%d-due", i);
		f = web_fld_date(we, rq->form.n > 0 ? rq : NULL, key,
		    "By when (optional)", "For example, 4 4 2026", 0);
		if (a != NULL)
			web_fld_set_date(f, a->due, NULL);
		json_object_set_new(row, "f_due", f);
		json_array_append_new(out, row);
	}
	return out;
}

/* The child's views, the next review and the absence reason, into d. */
static void
after_fields(const struct http_req *rq, const struct web_errors *we,
    const struct discussion *m, json_t *d)
{
	char v[WEB_BUF(MEETING_LONG_TEXT_MAX)];
	const char *value;
	json_t *f;

	value = val(rq, "views", m->child_views_recorded > 0 ? "yes" :
	    m->child_views_recorded == 0 ? "no" : "", v, sizeof(v));
	f = web_fld(we, "views", "Were the child's views recorded?", NULL,
	    value);
	json_object_set_new(f, "items", web_choices("views", yes_no, value));
	json_object_set_new(f, "inline", json_true());
	json_object_set_new(d, "f_views", f);
	f = web_fld(we, "child_views", "Summary of the child's views",
	    "Needed when they were recorded", val(rq, "child_views",
	    m->child_views, v, sizeof(v)));
	json_object_set_new(f, "rows", json_integer(4));
	json_object_set_new(d, "f_child_views", f);
	f = web_fld_date(we, rq->form.n > 0 ? rq : NULL, "review",
	    "Date of the next strategy discussion or review (optional)",
	    "For example, 14 4 2026", 0);
	if (rq->form.n == 0)
		web_fld_set_date(f, m->next_review_date, NULL);
	json_object_set_new(d, "f_review", f);
	f = web_fld(we, "absence_reason", "If social care, police or health "
	    "did not attend, say why", "Managers see this reason",
	    val(rq, "absence_reason", m->absence_reason, v, sizeof(v)));
	json_object_set_new(f, "rows", json_integer(3));
	json_object_set_new(d, "f_absence", f);
}

static int
attend_page(struct http_req *rq, struct http_resp *rs, long id,
    const struct discussion *m, struct web_errors *we, int more_day,
    int more_actions)
{
	json_t *d;
	int nday, nact, posted = rq->form.n > 0;

	nday = posted ? rows_field(rq, "days_n", WEB_MAX_EXTRA, more_day) : 1;
	nact = posted ? rows_field(rq, "actions_n", MEETING_MAX_ACTIONS,
	    more_actions) : (int)m->nactions;
	if (nact < 1)
		nact = 1;
	d = json_pack("{s:I, s:o, s:o, s:o, s:o, s:i, s:i, s:b, s:b}", "id",
	    (json_int_t)id, "m", web_discussion_row(m), "groups",
	    people_view(rq, we, m), "day", web_extra_rows(rq, we, "day", nday,
	    1), "children", children_view(rq, we, m), "days_n", nday,
	    "actions_n", nact, "can_add_day", nday < WEB_MAX_EXTRA,
	    "can_add_action", nact < MEETING_MAX_ACTIONS);
	json_object_set_new(d, "actions", actions_view(rq, we, m, nact));
	after_fields(rq, we, m, d);
	if (web_duty_evidence(rq, m, d) != 0) {
		json_decref(d);
		return rs->status = 500;
	}
	json_object_set_new(d, "back", json_pack("{s:s, s:o}", "text", "Back",
	    "href", json_sprintf("/meetings/%ld", id)));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "attendance", "Record attendance and "
	    "outcome", d);
}

int
web_attend_form(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	long id;
	int status;

	if (load(rq, rs, &id, &m) != 0)
		return rs->status;
	status = attend_page(rq, rs, id, m, NULL, 0, 0);
	model_discussion_free(m);
	return status;
}

/* ---- checking and saving ---------------------------------------------------------- */

#define ATTEND_MAX_PRESENT	(MEETING_MAX_PARTICIPANTS + WEB_MAX_EXTRA)

struct attend {
	json_t	*body;
	json_t	*keys;		/* participants[i] -> form field key */
	/* Who was there, for the check; agency codes live in the discussion
	 * or web_agencies. */
	size_t	 npresent;
	struct classify_participant present[ATTEND_MAX_PRESENT];
};

/* Note agency's attendance att (one of attendances) for the check. */
static void
add_present(struct attend *a, const char *agency, const char *att)
{
	if (a->npresent == ATTEND_MAX_PRESENT)
		return;
	a->present[a->npresent].agency = agency;
	a->present[a->npresent++].presence = strcmp(att, "attended") == 0 ?
	    CLASSIFY_PRESENT : strcmp(att, "contributed") == 0 ?
	    CLASSIFY_CONTRIBUTED : CLASSIFY_NOT_PRESENT;
}

static void
parse_people(struct http_req *rq, struct web_errors *we,
    const struct discussion *m, struct attend *a)
{
	const struct participant *p;
	json_t *parts = json_array(), *x;
	const char *agency, *att;
	char key[48], v[32];
	size_t i;
	int k, nday;

	for (i = 0; i < m->nparticipants; i++) {
		p = &m->participants[i];
		if (p->removed)
			continue;
		snprintf(key, sizeof(key), "att-%ld", p->id);
		att = web_field(rq, key, v, sizeof(v));
		if (!one_of(att, attendances)) {
			web_error(we, key, NULL, "Select whether %s attended",
			    txt(p->name));
			continue;
		}
		json_array_append_new(parts, json_pack("{s:I, s:s}", "id",
		    (json_int_t)p->id, "attendance", att));
		json_array_append_new(a->keys, json_string(key));
		add_present(a, txt(p->agency), att);
	}
	nday = rows_field(rq, "days_n", WEB_MAX_EXTRA, 0);
	for (k = 0; k < nday; k++) {
		if ((x = web_parse_person(rq, we, "day", k, &agency)) == NULL)
			continue;
		snprintf(key, sizeof(key), "day-%d-attendance", k);
		att = web_field(rq, key, v, sizeof(v));
		if (!one_of(att, attendances)) {
			web_error(we, key, NULL, "Select whether person %d "
			    "attended or sent information", k + 1);
			json_decref(x);
			continue;
		}
		if (json_is_null(x)) {
			json_decref(x);
			continue;
		}
		json_object_set_new(x, "attendance", json_string(att));
		json_array_append_new(parts, x);
		snprintf(key, sizeof(key), "day-%d-name", k);
		json_array_append_new(a->keys, json_string(key));
		add_present(a, agency, att);
	}
	json_object_set_new(a->body, "participants", parts);
}

static void
parse_outcome(struct http_req *rq, struct web_errors *we,
    const struct discussion *m, struct attend *a)
{
	json_t *outs = json_array(), *acts = json_array();
	const struct child *ch;
	char key[48], v[WEB_BUF(MEETING_LONG_TEXT_MAX)], due[11], label[40];
	char what[WEB_BUF(MEETING_TEXT_MAX)], owner[WEB_NAME_BUF];
	char name[WEB_NAME_BUF + 64], idv[24];
	size_t i;
	long aid;
	int k, n;

	for (i = 0; i < m->nchildren; i++) {
		ch = &m->children[i];
		snprintf(key, sizeof(key), "outcome-%ld", ch->id);
		web_field(rq, key, v, sizeof(v));
		if (!vocab_has(VOCAB_DECISION, v)) {
			web_error(we, key, NULL, "Select the decision for %s",
			    child_name(ch, name, sizeof(name)));
			continue;
		}
		json_array_append_new(outs, json_pack("{s:I, s:s}", "child_id",
		    (json_int_t)ch->id, "decision", v));
		snprintf(key, sizeof(key), "rationale-%ld", ch->id);
		web_field(rq, key, v, sizeof(v));
		if (web_check_text(we, key, v, 0, MEETING_LONG_TEXT_MAX, 1,
		    "the reason for the decision") == 0)
			json_object_set_new(json_array_get(outs,
			    json_array_size(outs) - 1), "rationale",
			    json_string(v));
	}
	json_object_set_new(a->body, "outcomes", outs);
	n = rows_field(rq, "actions_n", MEETING_MAX_ACTIONS, 0);
	for (k = 0; k < n; k++) {
		snprintf(key, sizeof(key), "action-%d-what", k);
		web_field(rq, key, what, sizeof(what));
		snprintf(key, sizeof(key), "action-%d-owner", k);
		web_field(rq, key, owner, sizeof(owner));
		snprintf(key, sizeof(key), "action-%d-due", k);
		snprintf(label, sizeof(label), "action %d's date", k + 1);
		if (web_date(rq, we, key, 0, label, due) != 0 ||
		    (what[0] == '\0' && owner[0] == '\0' && due[0] == '\0'))
			continue;
		snprintf(key, sizeof(key), "action-%d-what", k);
		if (web_check_text(we, key, what, 1, MEETING_TEXT_MAX, 1,
		    "what needs doing") != 0)
			continue;
		snprintf(key, sizeof(key), "action-%d-owner", k);
		if (web_check_text(we, key, owner, 1, MEETING_NAME_MAX, 0,
		    "who will do it") != 0)
			continue;
		json_array_append_new(acts, json_pack("{s:s, s:s, s:s?}",
		    "what", what, "owner", owner, "due", due[0] ? due : NULL));
		/* The action's id keeps its row, and its status, across
		 * saves. */
		snprintf(key, sizeof(key), "action-%d-id", k);
		if (str_to_long(web_field(rq, key, idv, sizeof(idv)), 1,
		    MODEL_ID_MAX, &aid) == 0)
			json_object_set_new(json_array_get(acts,
			    json_array_size(acts) - 1), "id", json_integer(aid));
	}
	json_object_set_new(a->body, "actions", acts);
}

/* The statutory agencies nobody attended for; errors when no reason. */
static int
parse_views(struct http_req *rq, struct web_errors *we, struct attend *a)
{
	const char *st[CLASSIFY_MAX_AGENCIES];
	struct classify_result res;
	json_t *stat, *x, *missing;
	char v[WEB_BUF(MEETING_LONG_TEXT_MAX)], review[11], human[200];
	size_t i, ns = 0;
	int recorded;

	web_field(rq, "views", v, sizeof(v));
	if (!one_of(v, yes_no))
		web_error(we, "views", NULL, "Select whether the child's views "
		    "were recorded");
	recorded = strcmp(v, "yes") == 0;
	json_object_set_new(a->body, "child_views_recorded",
	    json_boolean(recorded));
	web_field(rq, "child_views", v, sizeof(v));
	if (web_check_text(we, "child_views", v, recorded,
	    MEETING_LONG_TEXT_MAX, 1, "a summary of the child's views") == 0 &&
	    v[0] != '\0')
		json_object_set_new(a->body, "child_views", json_string(v));
	if (web_date(rq, we, "review", 0, "the next review date", review) == 0 &&
	    review[0] != '\0')
		json_object_set_new(a->body, "next_review_date",
		    json_string(review));
	if ((stat = web_statutory(rq->db, rq->user.authority_id)) == NULL)
		return -1;
	json_array_foreach(stat, i, x)
		if (ns < CLASSIFY_MAX_AGENCIES)
			st[ns++] = json_string_value(x);
	if (classify(a->present, a->npresent, st, ns, &res) != 0) {
		json_decref(stat);
		return -1;
	}
	missing = json_array();
	for (i = 0; i < res.nmissing; i++)
		json_array_append_new(missing, json_string(res.missing[i]));
	web_agency_list(missing, human, sizeof(human));
	json_decref(missing);
	json_decref(stat);
	web_field(rq, "absence_reason", v, sizeof(v));
	if (res.nmissing > 0 && v[0] == '\0')
		web_error(we, "absence_reason", NULL, "No one from %s attended: "
		    "say why", human);
	else if (web_check_text(we, "absence_reason", v, 0, MEETING_TEXT_MAX,
	    1, "the reason") == 0 && v[0] != '\0')
		json_object_set_new(a->body, "absence_reason", json_string(v));
	return 0;
}

/* A model error, mapped back to this form's fields. */
static void
model_error(struct web_errors *we, const struct verr *e, struct attend *a)
{
	static const char *const map[] = { "child_views_recorded", "views",
		"child_views", "child_views", "next_review_date",
		"review#review-day", "absence_reason", "absence_reason",
		"status", "form", NULL };
	const char *key;
	long i;

	if (strncmp(e->field, "participants[", 13) == 0 &&
	    str_to_long_n(e->field + 13, strcspn(e->field + 13, "]"), 0, 999,
	    &i) == 0 && (key = json_string_value(json_array_get(a->keys,
	    (size_t)i))) != NULL) {
		web_error(we, key, NULL, "%s", e->msg);
		return;
	}
	web_error_verr(we, e, map);
}

int
web_attend_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct verr e = { 0 };
	struct attend a = { 0 };
	char action[16];
	struct discussion *m = NULL;
	json_t *out = NULL;
	long id;
	int status = 500;

	web_errors_init(&we);
	if (load(rq, rs, &id, &m) != 0) {
		status = rs->status;
		goto out;
	}
	web_field(rq, "action", action, sizeof(action));
	if (strcmp(action, "add-day") == 0 || strcmp(action, "add-action") == 0) {
		status = attend_page(rq, rs, id, m, NULL, action[4] == 'd',
		    action[4] == 'a');
		goto out;
	}
	a.body = json_object();
	a.keys = json_array();
	parse_people(rq, &we, m, &a);
	parse_outcome(rq, &we, m, &a);
	if (parse_views(rq, &we, &a) != 0)
		goto out;
	if (!web_errors_any(&we) && meeting_record_attendance(rq->db,
	    &rq->user, id, a.body, &out, &e) != 0) {
		if (e.status == 500)
			goto out;
		model_error(&we, &e, &a);
	}
	if (web_errors_any(&we)) {
		status = attend_page(rq, rs, id, m, &we, 0, 0);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%ld/recorded", id);
out:
	model_discussion_free(m);
	json_decref(out);
	json_decref(a.body);
	json_decref(a.keys);
	web_errors_free(&we);
	return rs->status = status;
}

int
web_attend_done(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	char miss[200], contrib[200];
	const char *cls;
	json_t *d;
	long id;

	if (load(rq, rs, &id, &m) != 0)
		return rs->status;
	if ((cls = m->classification) == NULL) {
		model_discussion_free(m);
		return web_redirectf(rs, "/meetings/%ld", id);
	}
	web_agency_words(&m->missing, miss, sizeof(miss));
	web_agency_words(&m->contributed, contrib, sizeof(contrib));
	d = json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:b}", "id",
	    (json_int_t)id, "m", web_discussion_row(m), "tag",
	    web_class_tag(cls), "class_text", strcmp(cls, "multi_agency") == 0 ?
	    "multi-agency" : strcmp(cls, "partial") == 0 ? "partial" :
	    "single-agency", "missing", miss, "contributed", contrib,
	    "absence_reason", txt(m->absence_reason), "multi",
	    strcmp(cls, "multi_agency") == 0);
	model_discussion_free(m);
	return web_page(rq, rs, 200, "attendance_done", "Attendance recorded",
	    d);
}
