/*
 * record: checking and storing the record of a strategy discussion. The
 * body is read into a struct record_in (strings borrowed from the JSON) and
 * every rule is checked against the discussion loaded through the model
 * before the first write, so a refused request writes nothing and gives
 * PostgreSQL nothing to log.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "authorise.h"
#include "auth.h"
#include "db.h"
#include "input.h"
#include "meeting.h"
#include "model.h"
#include "record.h"
#include "str.h"
#include "vocab.h"

#define ID_LEN	24

static const char *const record_keys[] = { "chair", "chair_participant_id",
	"concerns", "concerns_other", "agency_information", "analysis",
	"children", "safety_plan", "dissent", NULL };
static const char *const info_keys[] = { "agency", "information", "checks",
	"received", "from", NULL };
static const char *const analysis_keys[] = { "worries", "strengths", "gaps",
	NULL };
static const char *const dissent_keys[] = { "agency", "about", "escalated",
	NULL };
static const char *const child_keys[] = { "child_id", "decision",
	"rationale", "police_investigation", "medical", "plan_to_see",
	"seen_alone", "views", "communication_needs", "parents", "parents_by",
	"parents_when", "parents_delay_reason", "consent_for_checks",
	"consent_reason", "next_step", NULL };

/* The body, checked; strings borrowed from it. */
struct record_in {
	long			 chair_id;
	const char		*concerns[MODEL_MAX_CONCERNS];
	size_t			 nconcerns;
	const char		*concerns_other;
	struct agency_contribution info[MODEL_MAX_AGENCY_INFO];
	size_t			 ninfo;
	const char		*worries, *strengths, *gaps, *safety_plan;
	struct child_decision	 children[MODEL_MAX_CHILDREN];
	size_t			 nchildren;
	struct dissent		 dissent[MODEL_MAX_DISSENT];
	size_t			 ndissent;
};

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong; nothing was "
	    "changed");
}

/* input_str into a char * slot of the model structs (borrowed). */
static int
text(json_t *o, const char *key, const char *field, int opts, size_t max,
    char **out, struct verr *e)
{
	const char *s;

	if (input_str(o, key, field, opts, max, &s, e) != 0)
		return -1;
	*out = (char *)(uintptr_t)s;
	return 0;
}

static int
code(json_t *o, const char *key, const char *field, int opts,
    enum vocab_list l, char **out, struct verr *e)
{
	const char *s;

	if (input_enum(o, key, field, opts, vocab_codes(l), &s, e) != 0)
		return -1;
	*out = (char *)(uintptr_t)s;
	return 0;
}

static int
is_agency(struct db *db, const char *code_s, int *yes)
{
	const char *p[1] = { code_s };
	struct db_res r;

	if (db_exec(db, &r, "SELECT 1 FROM agencies WHERE code = $1", 1,
	    p) != 0)
		return -1;
	*yes = db_res_rows(&r) == 1;
	db_res_free(&r);
	return 0;
}

static int
agency(struct db *db, json_t *o, const char *field, char **out,
    struct verr *e)
{
	int yes;

	if (text(o, "agency", field, INPUT_REQUIRED, MODEL_AGENCY_CODE_MAX,
	    out, e) != 0)
		return -1;
	if (is_agency(db, *out, &yes) != 0)
		return internal(e);
	if (!yes)
		return verr_set(e, 422, field, "%s: is not a known agency", field);
	return 0;
}

/* ---- reading the body ------------------------------------------------------ */

/* Text of only spaces says nothing: a rule that needs it is not met. */
static int
empty(const char *s)
{
	if (s == NULL)
		return 1;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

static int
read_concerns(json_t *body, struct record_in *in, struct verr *e)
{
	json_t *list = json_object_get(body, "concerns"), *v;
	char f[48];
	size_t i, j;

	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > MODEL_MAX_CONCERNS)
		return verr_set(e, 422, "concerns", "concerns: give the "
		    "categories of concern, at least one");
	json_array_foreach(list, i, v) {
		snprintf(f, sizeof(f), "concerns[%zu]", i);
		if (!json_is_string(v) || !vocab_has(VOCAB_CONCERN,
		    json_string_value(v)))
			return verr_set(e, 422, f, "%s: is not a category of "
			    "concern", f);
		for (j = 0; j < in->nconcerns; j++)
			if (strcmp(in->concerns[j], json_string_value(v)) == 0)
				return verr_set(e, 422, f, "%s: is given twice", f);
		in->concerns[in->nconcerns++] = json_string_value(v);
	}
	if (input_str(body, "concerns_other", "concerns_other",
	    INPUT_MULTILINE, MODEL_TEXT_MAX, &in->concerns_other, e) != 0)
		return -1;
	for (j = 0; j < in->nconcerns; j++)
		if (strcmp(in->concerns[j], "other") == 0 &&
		    empty(in->concerns_other))
			return verr_set(e, 422, "concerns_other", "concerns_other: "
			    "say what the other concern is");
	return 0;
}

static int
read_info(struct db *db, json_t *body, struct record_in *in, struct verr *e)
{
	json_t *list = json_object_get(body, "agency_information"), *o;
	struct agency_contribution *a;
	char f[64];
	size_t i;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) ||
	    json_array_size(list) > MODEL_MAX_AGENCY_INFO)
		return verr_set(e, 422, "agency_information", "agency_information:"
		    " must be a list of at most %d entries",
		    MODEL_MAX_AGENCY_INFO);
	json_array_foreach(list, i, o) {
		a = &in->info[in->ninfo++];
		snprintf(f, sizeof(f), "agency_information[%zu]", i);
		if (!json_is_object(o))
			return verr_set(e, 422, f, "%s: must be an object", f);
		snprintf(f, sizeof(f), "agency_information[%zu].", i);
		if (input_known_keys(o, info_keys, f, e) != 0)
			return -1;
#define F(k) (snprintf(f, sizeof(f), "agency_information[%zu].%s", i, k), f)
		if (agency(db, o, F("agency"), &a->agency, e) != 0 ||
		    text(o, "information", F("information"), INPUT_REQUIRED |
		    INPUT_MULTILINE, MODEL_LONG_TEXT_MAX, &a->information,
		    e) != 0 ||
		    code(o, "checks", F("checks"), INPUT_REQUIRED, VOCAB_CHECKS,
		    &a->checks, e) != 0 ||
		    code(o, "received", F("received"), INPUT_REQUIRED,
		    VOCAB_RECEIVED, &a->received, e) != 0 ||
		    text(o, "from", F("from"), INPUT_OPTIONAL, MODEL_NAME_MAX,
		    &a->from, e) != 0)
			return -1;
#undef F
	}
	return 0;
}

static int
read_analysis(json_t *body, struct record_in *in, struct verr *e)
{
	json_t *o = json_object_get(body, "analysis");

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return verr_set(e, 422, "analysis", "analysis: must be an object "
		    "with worries, strengths and gaps");
	if (input_known_keys(o, analysis_keys, "analysis.", e) != 0 ||
	    input_str(o, "worries", "analysis.worries", INPUT_MULTILINE,
	    MODEL_LONG_TEXT_MAX, &in->worries, e) != 0 ||
	    input_str(o, "strengths", "analysis.strengths", INPUT_MULTILINE,
	    MODEL_LONG_TEXT_MAX, &in->strengths, e) != 0 ||
	    input_str(o, "gaps", "analysis.gaps", INPUT_MULTILINE,
	    MODEL_LONG_TEXT_MAX, &in->gaps, e) != 0)
		return -1;
	return 0;
}

static int
read_dissent(struct db *db, json_t *body, struct record_in *in,
    struct verr *e)
{
	json_t *list = json_object_get(body, "dissent"), *o;
	struct dissent *ds;
	char f[48];
	size_t i;
	int esc;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > MODEL_MAX_DISSENT)
		return verr_set(e, 422, "dissent", "dissent: must be a list of at "
		    "most %d entries", MODEL_MAX_DISSENT);
	json_array_foreach(list, i, o) {
		ds = &in->dissent[in->ndissent++];
		snprintf(f, sizeof(f), "dissent[%zu]", i);
		if (!json_is_object(o))
			return verr_set(e, 422, f, "%s: must be an object", f);
		snprintf(f, sizeof(f), "dissent[%zu].", i);
		if (input_known_keys(o, dissent_keys, f, e) != 0)
			return -1;
#define F(k) (snprintf(f, sizeof(f), "dissent[%zu].%s", i, k), f)
		if (agency(db, o, F("agency"), &ds->agency, e) != 0 ||
		    text(o, "about", F("about"), INPUT_REQUIRED | INPUT_MULTILINE,
		    MODEL_TEXT_MAX, &ds->about, e) != 0 ||
		    input_bool(o, "escalated", F("escalated"), INPUT_OPTIONAL,
		    &esc, NULL, e) != 0)
			return -1;
#undef F
		ds->escalated = esc;
	}
	return 0;
}

/* One child's entry: fields and their types. The rules between fields are
 * checked by check_child. */
static int
read_child(json_t *o, size_t i, struct child_decision *c, struct verr *e)
{
	char f[64];
	long id;
	int seen, has_seen;

	snprintf(f, sizeof(f), "children[%zu]", i);
	if (!json_is_object(o))
		return verr_set(e, 422, f, "%s: must be an object", f);
	snprintf(f, sizeof(f), "children[%zu].", i);
	if (input_known_keys(o, child_keys, f, e) != 0)
		return -1;
#define F(k) (snprintf(f, sizeof(f), "children[%zu].%s", i, k), f)
	if (input_int(o, "child_id", F("child_id"), INPUT_REQUIRED, 1,
	    MODEL_ID_MAX, &id, NULL, e) != 0 ||
	    code(o, "decision", F("decision"), INPUT_REQUIRED, VOCAB_DECISION,
	    &c->decision, e) != 0 ||
	    text(o, "rationale", F("rationale"), INPUT_REQUIRED |
	    INPUT_MULTILINE, MODEL_LONG_TEXT_MAX, &c->rationale, e) != 0 ||
	    code(o, "police_investigation", F("police_investigation"),
	    INPUT_OPTIONAL, VOCAB_POLICE_INVESTIGATION,
	    &c->police_investigation, e) != 0 ||
	    code(o, "medical", F("medical"), INPUT_OPTIONAL, VOCAB_MEDICAL,
	    &c->medical, e) != 0 ||
	    text(o, "plan_to_see", F("plan_to_see"), INPUT_MULTILINE,
	    MODEL_SHORT_TEXT_MAX, &c->plan_to_see, e) != 0 ||
	    input_bool(o, "seen_alone", F("seen_alone"), INPUT_OPTIONAL, &seen,
	    &has_seen, e) != 0 ||
	    text(o, "views", F("views"), INPUT_MULTILINE, MODEL_LONG_TEXT_MAX,
	    &c->views, e) != 0 ||
	    text(o, "communication_needs", F("communication_needs"),
	    INPUT_MULTILINE, MODEL_TEXT_MAX, &c->communication_needs, e) != 0 ||
	    code(o, "parents", F("parents"), INPUT_OPTIONAL, VOCAB_PARENTS,
	    &c->parents, e) != 0 ||
	    text(o, "parents_by", F("parents_by"), INPUT_OPTIONAL,
	    MODEL_NAME_MAX, &c->parents_by, e) != 0 ||
	    input_date(o, "parents_when", F("parents_when"), INPUT_OPTIONAL,
	    c->parents_when, NULL, e) != 0 ||
	    text(o, "parents_delay_reason", F("parents_delay_reason"),
	    INPUT_MULTILINE, MODEL_TEXT_MAX, &c->parents_delay_reason, e) != 0 ||
	    code(o, "consent_for_checks", F("consent_for_checks"),
	    INPUT_OPTIONAL, VOCAB_CONSENT, &c->consent_for_checks, e) != 0 ||
	    text(o, "consent_reason", F("consent_reason"), INPUT_MULTILINE,
	    MODEL_TEXT_MAX, &c->consent_reason, e) != 0 ||
	    code(o, "next_step", F("next_step"), INPUT_OPTIONAL,
	    VOCAB_NEXT_STEP, &c->next_step, e) != 0)
		return -1;
#undef F
	c->child_id = id;
	c->seen_alone = has_seen ? seen : -1;
	return 0;
}

static int
is_s47(const char *decision)
{
	return vocab_has(VOCAB_SECTION47, decision);
}

/* The rules between a child's fields, and with the child's legal status. */
static int
check_child(const struct child_decision *c, const struct child *ch,
    size_t i, struct verr *e)
{
	static const char *const s47_needs[] = { "police_investigation",
		"medical", "plan_to_see", "parents", "next_step" };
	const char *have[5] = { c->police_investigation, c->medical,
		c->plan_to_see, c->parents, c->next_step };
	char f[64];
	size_t k;
	int conference = c->next_step != NULL &&
	    (strcmp(c->next_step, "icpc") == 0 ||
	    strcmp(c->next_step, "review_conference") == 0);

	if (is_s47(c->decision)) {
		for (k = 0; k < 5; k++) {
			if (!empty(have[k]))
				continue;
			snprintf(f, sizeof(f), "children[%zu].%s", i,
			    s47_needs[k]);
			return verr_set(e, 422, f, "%s: required with a Section "
			    "47 decision", f);
		}
	} else if (conference) {
		snprintf(f, sizeof(f), "children[%zu].next_step", i);
		return verr_set(e, 422, f, "%s: a child protection conference "
		    "follows a Section 47 enquiry; this decision is not one", f);
	}
	if (c->parents != NULL && strcmp(c->parents, "delay") == 0 &&
	    empty(c->parents_delay_reason)) {
		snprintf(f, sizeof(f), "children[%zu].parents_delay_reason", i);
		return verr_set(e, 422, f, "%s: say why telling the parents is "
		    "delayed", f);
	}
	if (c->next_step != NULL && strcmp(c->next_step, "icpc") == 0 &&
	    ch->legal_status != NULL &&
	    strcmp(ch->legal_status, "child_protection_plan") == 0) {
		snprintf(f, sizeof(f), "children[%zu].next_step", i);
		return verr_set(e, 422, f, "%s: this child is already on a child "
		    "protection plan: the next step is a review conference, not "
		    "an initial one", f);
	}
	if (strcmp(c->decision, "no_further_action") == 0 &&
	    c->medical != NULL && strcmp(c->medical, "not_needed") != 0) {
		snprintf(f, sizeof(f), "children[%zu].medical", i);
		return verr_set(e, 422, f, "%s: no further action cannot come "
		    "with a child protection medical; choose a Section 47 "
		    "decision or say no medical is needed", f);
	}
	return 0;
}

/* Exactly one entry per child of the discussion, each checked. */
static int
read_children(json_t *body, const struct discussion *d,
    struct record_in *in, struct verr *e)
{
	json_t *list = json_object_get(body, "children"), *o;
	const struct child *ch;
	char f[64];
	size_t i, j;

	if (!json_is_array(list) || json_array_size(list) > MODEL_MAX_CHILDREN)
		return verr_set(e, 422, "children", "children: give one entry "
		    "per child, with the decision and its reasons");
	json_array_foreach(list, i, o) {
		if (read_child(o, i, &in->children[i], e) != 0)
			return -1;
		in->nchildren = i + 1;
		snprintf(f, sizeof(f), "children[%zu].child_id", i);
		if ((ch = model_child(d, in->children[i].child_id)) == NULL)
			return verr_set(e, 422, f, "%s: is not a child of this "
			    "discussion", f);
		for (j = 0; j < i; j++)
			if (in->children[j].child_id == in->children[i].child_id)
				return verr_set(e, 422, f, "%s: is given twice", f);
		if (check_child(&in->children[i], ch, i, e) != 0)
			return -1;
	}
	for (i = 0; i < d->nchildren; i++) {
		for (j = 0; j < in->nchildren; j++)
			if (in->children[j].child_id == d->children[i].id)
				break;
		if (j == in->nchildren)
			return verr_set(e, 422, "children", "children: record the "
			    "decision for child %ld too", d->children[i].id);
	}
	return 0;
}

/* The chair: an attending social-care participant, by id or by name. */
static int
read_chair(struct db *db, json_t *body, const struct discussion *d,
    struct record_in *in, struct verr *e)
{
	const struct participant *p = NULL;
	const char *name, *field;
	const char *q[1];
	struct db_res r;
	char aid[ID_LEN];
	size_t i;
	int has_id, enforce;

	if (input_int(body, "chair_participant_id", "chair_participant_id",
	    INPUT_OPTIONAL, 1, MODEL_ID_MAX, &in->chair_id, &has_id,
	    e) != 0 ||
	    input_str(body, "chair", "chair", INPUT_OPTIONAL, MODEL_NAME_MAX,
	    &name, e) != 0)
		return -1;
	field = has_id ? "chair_participant_id" : "chair";
	if (has_id)
		p = model_participant(d, in->chair_id);
	else if (name != NULL)
		for (i = 0; i < d->nparticipants && p == NULL; i++)
			if (!d->participants[i].removed &&
			    strcmp(d->participants[i].agency, "social_care") == 0 &&
			    str_casecmp(d->participants[i].name, name) == 0)
				p = &d->participants[i];
	if (!has_id && name == NULL)
		return verr_set(e, 422, "chair", "chair: say who chaired the "
		    "discussion (chair_participant_id or chair)");
	if (p == NULL || p->removed || strcmp(p->agency, "social_care") != 0 ||
	    p->attendance == NULL || strcmp(p->attendance, "attended") != 0)
		return verr_set(e, 422, field, "%s: the chair must be one of the "
		    "children's social care people who attended", field);
	in->chair_id = p->id;
	snprintf(aid, sizeof(aid), "%ld", d->authority_id);
	q[0] = aid;
	if (db_exec(db, &r, "SELECT enforce_chair_eligibility FROM authorities "
	    "WHERE id = $1", 1, q) != 0)
		return internal(e);
	enforce = db_res_bool(&r, 0, 0);
	db_res_free(&r);
	if (enforce && !p->can_chair)
		return verr_set(e, 422, field, "%s: this authority asks for a "
		    "manager or a contact marked as able to chair", field);
	return 0;
}

/* An agency that sent information instead of attending has its entry,
 * received in writing. */
static int
check_contributed(const struct discussion *d, const struct record_in *in,
    struct verr *e)
{
	const struct participant *p;
	size_t i, j;

	for (i = 0; i < d->nparticipants; i++) {
		p = &d->participants[i];
		if (p->removed || p->attendance == NULL ||
		    strcmp(p->attendance, "contributed") != 0)
			continue;
		for (j = 0; j < in->ninfo; j++)
			if (strcmp(in->info[j].agency, p->agency) == 0 &&
			    strcmp(in->info[j].received, "in_writing") == 0)
				break;
		if (j == in->ninfo)
			return verr_set(e, 422, "agency_information",
			    "agency_information: %s sent information: record "
			    "what was sent, with received \"in_writing\"",
			    p->agency);
	}
	return 0;
}

static int
read_record(struct db *db, json_t *body, const struct discussion *d,
    struct record_in *in, struct verr *e)
{
	memset(in, 0, sizeof(*in));
	if (!json_is_object(body))
		return verr_set(e, 400, "body", "body: must be a JSON object");
	if (input_known_keys(body, record_keys, "", e) != 0 ||
	    read_chair(db, body, d, in, e) != 0 ||
	    read_concerns(body, in, e) != 0 ||
	    read_info(db, body, in, e) != 0 ||
	    read_analysis(body, in, e) != 0 ||
	    read_children(body, d, in, e) != 0 ||
	    input_str(body, "safety_plan", "safety_plan", INPUT_MULTILINE,
	    MODEL_LONG_TEXT_MAX, &in->safety_plan, e) != 0 ||
	    read_dissent(db, body, in, e) != 0 ||
	    check_contributed(d, in, e) != 0)
		return -1;
	return 0;
}

/* ---- the record against a changed discussion ----------------------------- */

/* The participant who sent information with no entry received in writing
 * (the one check_contributed refuses first), or 0. */
static long
contributor_without_entry(const struct discussion *d)
{
	const struct participant *p;
	size_t i, j;

	if (d->record == NULL)
		return 0;
	for (i = 0; i < d->nparticipants; i++) {
		p = &d->participants[i];
		if (p->removed || p->attendance == NULL ||
		    strcmp(p->attendance, "contributed") != 0)
			continue;
		for (j = 0; j < d->record->ninfo; j++)
			if (d->record->info[j].agency != NULL &&
			    d->record->info[j].received != NULL &&
			    strcmp(d->record->info[j].agency, p->agency) == 0 &&
			    strcmp(d->record->info[j].received,
			    "in_writing") == 0)
				break;
		if (j == d->record->ninfo)
			return p->id;
	}
	return 0;
}

int
record_recheck(struct db *db, const struct discussion *d, long *child_id,
    long *participant_id, struct verr *e)
{
	static const char *const not_input[] = { "status", "version",
		"written_by", "written_at", NULL };
	struct record_in in;
	struct verr inner;
	char field[sizeof(inner.field) + 8];
	json_t *body;
	size_t i;
	unsigned long j;
	int rc;

	*child_id = 0;
	*participant_id = 0;
	if (d->record == NULL)
		return 0;
	/* The stored record, read back as PUT /record takes it: the chair by
	 * its participant id when there is one. */
	if ((body = model_record_json(d)) == NULL)
		return internal(e);
	for (i = 0; not_input[i] != NULL; i++)
		json_object_del(body, not_input[i]);
	if (d->chair_participant_id > 0)
		json_object_del(body, "chair");
	memset(&inner, 0, sizeof(inner));
	rc = read_record(db, body, d, &in, &inner);
	json_decref(body);
	if (rc == 0)
		return 0;
	if (inner.status >= 500)
		return internal(e);
	if (sscanf(inner.field, "children[%lu]", &j) == 1 && j < d->ndecisions)
		*child_id = d->decisions[j].child_id;
	else if (strcmp(inner.field, "chair_participant_id") == 0 ||
	    strcmp(inner.field, "chair") == 0)
		*participant_id = d->chair_participant_id;
	else if (strcmp(inner.field, "agency_information") == 0)
		*participant_id = contributor_without_entry(d);
	snprintf(field, sizeof(field), "record.%s", inner.field);
	return verr_set(e, 422, field, "%s", inner.msg);
}

/* ---- writing ------------------------------------------------------------- */

static int
store_lists(struct db *db, const char *sid, const struct record_in *in)
{
	char pos[ID_LEN];
	const char *p[6];
	size_t i;

	p[0] = sid;
	if (db_cmd(db, "DELETE FROM record_concerns WHERE discussion_id = $1",
	    1, p) != 0 ||
	    db_cmd(db, "DELETE FROM record_agency_information WHERE "
	    "discussion_id = $1", 1, p) != 0 ||
	    db_cmd(db, "DELETE FROM record_dissent WHERE discussion_id = $1",
	    1, p) != 0)
		return -1;
	for (i = 0; i < in->nconcerns; i++) {
		p[1] = in->concerns[i];
		if (db_cmd(db, "INSERT INTO record_concerns (discussion_id, "
		    "concern) VALUES ($1, $2)", 2, p) != 0)
			return -1;
	}
	for (i = 0; i < in->ninfo; i++) {
		snprintf(pos, sizeof(pos), "%zu", i);
		p[1] = pos;
		p[2] = in->info[i].agency;
		p[3] = in->info[i].information;
		p[4] = in->info[i].checks;
		p[5] = in->info[i].received;
		if (db_cmd(db, "INSERT INTO record_agency_information "
		    "(discussion_id, position, agency, information, checks, "
		    "received, from_whom) VALUES ($1, $2::integer, $3, $4, $5, "
		    "$6, coalesce($7, ''))", 7, (const char *[]){ p[0], p[1],
		    p[2], p[3], p[4], p[5], in->info[i].from }) != 0)
			return -1;
	}
	for (i = 0; i < in->ndissent; i++) {
		snprintf(pos, sizeof(pos), "%zu", i);
		p[1] = pos;
		p[2] = in->dissent[i].agency;
		p[3] = in->dissent[i].about;
		p[4] = in->dissent[i].escalated ? "t" : "f";
		if (db_cmd(db, "INSERT INTO record_dissent (discussion_id, "
		    "position, agency, about, escalated) VALUES ($1, "
		    "$2::integer, $3, $4, $5::boolean)", 5, p) != 0)
			return -1;
	}
	return 0;
}

static int
store_child(struct db *db, const char *sid, const struct child_decision *c)
{
	char cid[ID_LEN];
	const char *p[17];

	snprintf(cid, sizeof(cid), "%ld", c->child_id);
	p[0] = sid;
	p[1] = cid;
	p[2] = c->decision;
	p[3] = c->rationale;
	p[4] = c->police_investigation;
	p[5] = c->medical;
	p[6] = c->plan_to_see;
	p[7] = c->seen_alone < 0 ? NULL : c->seen_alone ? "t" : "f";
	p[8] = c->views;
	p[9] = c->communication_needs;
	p[10] = c->parents;
	p[11] = c->parents_by;
	p[12] = c->parents_when[0] ? c->parents_when : NULL;
	p[13] = c->parents_delay_reason;
	p[14] = c->consent_for_checks;
	p[15] = c->consent_reason;
	p[16] = c->next_step;
	return db_cmd(db, "INSERT INTO outcomes (discussion_id, child_id, "
	    "decision, rationale, police_investigation, medical, plan_to_see, "
	    "seen_alone, views, communication_needs, parents, parents_by, "
	    "parents_when, parents_delay_reason, consent_for_checks, "
	    "consent_reason, next_step) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	    "$8::boolean, $9, $10, $11, $12, $13::date, $14, $15, $16, $17) "
	    "ON CONFLICT (discussion_id, child_id) DO UPDATE SET decision = "
	    "EXCLUDED.decision, rationale = EXCLUDED.rationale, "
	    "police_investigation = EXCLUDED.police_investigation, medical = "
	    "EXCLUDED.medical, plan_to_see = EXCLUDED.plan_to_see, seen_alone = "
	    "EXCLUDED.seen_alone, views = EXCLUDED.views, communication_needs = "
	    "EXCLUDED.communication_needs, parents = EXCLUDED.parents, "
	    "parents_by = EXCLUDED.parents_by, parents_when = "
	    "EXCLUDED.parents_when, parents_delay_reason = "
	    "EXCLUDED.parents_delay_reason, consent_for_checks = "
	    "EXCLUDED.consent_for_checks, consent_reason = "
	    "EXCLUDED.consent_reason, next_step = EXCLUDED.next_step", 17, p);
}

static int
store(struct db *db, const struct auth_user *u, const struct discussion *d,
    const struct record_in *in)
{
	char sid[ID_LEN], uid[ID_LEN], chair[ID_LEN];
	const struct participant *ch = model_participant(d, in->chair_id);
	const char *p[9];
	size_t i;

	snprintf(sid, sizeof(sid), "%ld", d->id);
	snprintf(uid, sizeof(uid), "%ld", u != NULL ? u->id : 0);
	snprintf(chair, sizeof(chair), "%ld", in->chair_id);
	p[0] = sid;
	p[1] = in->concerns_other;
	p[2] = in->worries;
	p[3] = in->strengths;
	p[4] = in->gaps;
	p[5] = in->safety_plan;
	p[6] = u != NULL ? uid : NULL;	/* NULL: the demo loader */
	if (db_cmd(db, "INSERT INTO records (discussion_id, concerns_other, "
	    "worries, strengths, gaps, safety_plan, written_by) VALUES ($1, $2, "
	    "$3, $4, $5, $6, $7) ON CONFLICT (discussion_id) DO UPDATE SET "
	    "concerns_other = EXCLUDED.concerns_other, worries = "
	    "EXCLUDED.worries, strengths = EXCLUDED.strengths, gaps = "
	    "EXCLUDED.gaps, safety_plan = EXCLUDED.safety_plan, written_by = "
	    "EXCLUDED.written_by, written_at = now(), "
	    /* Each write is a new version: the PDF and the history say
	     * which one a reader holds. */
	    "version = records.version + 1", 7, p) != 0 ||
	    store_lists(db, sid, in) != 0)
		return -1;
	for (i = 0; i < in->nchildren; i++)
		if (store_child(db, sid, &in->children[i]) != 0)
			return -1;
	p[1] = chair;
	p[2] = ch != NULL ? ch->name : "";
	return db_cmd(db, "UPDATE discussions SET chair_participant_id = $2, "
	    "chair = $3, updated_at = now() WHERE id = $1", 3, p);
}

int
record_write_tx(struct db *db, const struct auth_user *u, long id,
    json_t *body, struct discussion **out, struct verr *e)
{
	struct discussion *d = NULL, *after = NULL;
	struct record_in in;
	json_t *a = NULL, *b = NULL;
	int result = -1;

	*out = NULL;
	if (model_discussion_load(db, id, &d) != 0)
		goto fail;
	if (read_record(db, body, d, &in, e) != 0)
		goto out;
	/* An authorised record changed is a new version awaiting
	 * authorisation (store adds the version). */
	if (authorise_reopen(db, id, 0) != 0 || store(db, u, d, &in) != 0 ||
	    model_discussion_load(db, id, &after) != 0 ||
	    (b = model_audit_view(d)) == NULL ||
	    (a = model_audit_view(after)) == NULL ||
	    audit_record(db, u, "record.write", "discussion", id, b, a) != 0)
		goto fail;
	*out = after;
	after = NULL;
	result = 0;
	goto out;
fail:
	internal(e);
out:
	model_discussion_free(d);
	model_discussion_free(after);
	json_decref(a);
	json_decref(b);
	return result;
}

int
record_put(struct db *db, const struct auth_user *u, long id, json_t *body,
    json_t **out, struct verr *e)
{
	struct discussion *after = NULL;
	char status[16];
	long authority;
	int result = -1;

	*out = NULL;
	if (db_begin(db) != 0)
		return internal(e);
	if (meeting_lock(db, u, id, status, &authority, e) != 0)
		goto out;
	if (strcmp(status, "cancelled") == 0) {
		verr_set(e, 409, "status", "status: a cancelled meeting has no "
		    "record");
		goto out;
	}
	if (meeting_check_started(db, id, e) != 0)
		goto out;
	if (strcmp(status, "held") != 0) {
		verr_set(e, 409, "status", "status: record who attended before "
		    "writing the record");
		goto out;
	}
	if (record_write_tx(db, u, id, body, &after, e) != 0)
		goto out;
	if ((*out = model_discussion_json(after)) == NULL ||
	    db_commit(db) != 0) {
		json_decref(*out);
		*out = NULL;
		internal(e);
		goto out;
	}
	result = 0;
out:
	db_rollback(db);
	model_discussion_free(after);
	return result;
}

/* ---- history ------------------------------------------------------------- */

#define HISTORY_MAX	500	/* audit entries of one discussion shown */
#define HISTORY_PATH	160

/* An object whose keys are all ids came from a "key[field]" projection. */
static int
keyed(json_t *o)
{
	const char *k;
	json_t *v;

	if (json_object_size(o) == 0)
		return 0;
	json_object_foreach(o, k, v) {
		(void)v;
		if (k[0] == '\0' || strspn(k, "0123456789") != strlen(k))
			return 0;
	}
	return 1;
}

/*
 * Flatten a projected snapshot into {path: value}. Decisions recorded with
 * attendance (outcomes) and with the record (record.children) are the same
 * rows: both become "children[ID].field", beside the child's own facts.
 */
static void
flatten(json_t *v, const char *path, json_t *out)
{
	char sub[HISTORY_PATH];
	const char *k, *name;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		int ids = keyed(v);

		json_object_foreach(v, k, x) {
			name = path;
			if (strcmp(path, "outcomes") == 0 ||
			    strcmp(path, "record.children") == 0)
				name = "children";
			if (ids)
				snprintf(sub, sizeof(sub), "%s[%s]", name, k);
			else
				snprintf(sub, sizeof(sub), "%s%s%s", name,
				    name[0] ? "." : "", k);
			flatten(x, sub, out);
		}
		return;
	}
	if (json_is_array(v) && json_array_size(v) > 0 &&
	    json_is_object(json_array_get(v, 0))) {
		json_array_foreach(v, i, x) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			flatten(x, sub, out);
		}
		return;
	}
	json_object_set(out, path, v);
}

/* The changes between two snapshots, in path order. Old entries (before
 * the allow-list) are projected again, so they show no more than new ones. */
static json_t *
changes(const char *before, const char *after)
{
	json_t *b = NULL, *a = NULL, *fb, *fa, *list, *keys, *x;
	const char *k;
	size_t i;

	if (before != NULL)
		b = json_loads(before, JSON_DECODE_ANY, NULL);
	if (after != NULL)
		a = json_loads(after, JSON_DECODE_ANY, NULL);
	fb = json_object();
	fa = json_object();
	list = json_array();
	keys = json_array();
	if (json_is_object(b)) {
		x = model_audit_project(b, model_audit_allow);
		flatten(x, "", fb);
		json_decref(x);
	}
	if (json_is_object(a)) {
		x = model_audit_project(a, model_audit_allow);
		flatten(x, "", fa);
		json_decref(x);
	}
	json_object_foreach(fb, k, x)
		if (!json_equal(x, json_object_get(fa, k)))
			json_array_append_new(keys, json_string(k));
	json_object_foreach(fa, k, x)
		if (json_object_get(fb, k) == NULL && !json_is_null(x))
			json_array_append_new(keys, json_string(k));
	json_array_foreach(keys, i, x) {
		k = json_string_value(x);
		if (json_object_get(fb, k) == NULL &&
		    json_is_null(json_object_get(fa, k)))
			continue;
		json_array_append_new(list, json_pack("{s:s, s:O?, s:O?}",
		    "field", k, "before", json_object_get(fb, k),
		    "after", json_object_get(fa, k)));
	}
	json_decref(keys);
	json_decref(fb);
	json_decref(fa);
	json_decref(a);
	json_decref(b);
	return list;
}

int
record_history(struct db *db, const struct auth_user *u, long id,
    json_t **out, struct verr *e)
{
	char sid[ID_LEN], lim[ID_LEN];
	const char *p[2] = { sid, lim };
	struct db_res r;
	json_t *list;
	int i;

	*out = NULL;
	if (meeting_visible(db, u, id, e) != 0)
		return -1;
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(lim, sizeof(lim), "%d", HISTORY_MAX);
	if (db_exec(db, &r, "SELECT to_json(l.at) #>> '{}', coalesce(nullif("
	    "u.display_name, ''), u.username, 'Convene'), l.action, l.before, "
	    "l.after FROM audit_log l LEFT JOIN users u ON u.id = l.user_id "
	    "WHERE l.entity = 'discussion' AND l.entity_id = $1 ORDER BY l.id "
	    "LIMIT $2::integer", 2, p) != 0)
		return internal(e);
	if ((list = json_array()) == NULL) {
		db_res_free(&r);
		return internal(e);
	}
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}",
		    "at", db_res_get(&r, i, 0), "by", db_res_get(&r, i, 1),
		    "action", db_res_get(&r, i, 2), "changes",
		    changes(db_res_get(&r, i, 3), db_res_get(&r, i, 4))));
	db_res_free(&r);
	*out = json_pack("{s:o}", "history", list);
	return *out != NULL ? 0 : internal(e);
}
