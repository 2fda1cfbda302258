/*
 * model: reading a strategy discussion into typed structs, and the views of
 * those structs (API JSON, audit allow-list). The discussion is read in one
 * statement (json_build_object in SQL, one round trip) and decoded here, the
 * only place that reads it by key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "model.h"
#include "str.h"

/* ---- owned strings ------------------------------------------------------- */

struct model_strings {
	struct model_strings	*next;
	char			 s[];
};

/* A copy of s owned by d; NULL for NULL (and on failure, with d->failed
 * noted through the return of decode). */
static char *
keep(struct discussion *d, const char *s, int *failed)
{
	struct model_strings *m;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((m = malloc(sizeof(*m) + n + 1)) == NULL) {
		*failed = 1;
		return NULL;
	}
	memcpy(m->s, s, n + 1);
	m->next = d->strings;
	d->strings = m;
	return m->s;
}

void
model_discussion_free(struct discussion *d)
{
	struct model_strings *m, *next;

	if (d == NULL)
		return;
	for (m = d->strings; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	free(d->record);
	free(d);
}

/* ---- reading ------------------------------------------------------------- */

#define MODEL_SQL \
	"SELECT json_build_object(" \
	"'id', d.id, 'authority_id', d.authority_id, 'authority', au.name," \
	"'uid', d.uid, 'case_ref', c.case_ref, 'team', t.name," \
	"'team_id', d.team_id, 'kind', d.kind, 'reason', d.reason," \
	"'concern_received_at', d.concern_received_at," \
	"'starts_at', d.starts_at, 'ends_at', d.ends_at," \
	"'started', d.starts_at <= now()," \
	"'duration_minutes'," \
	" (extract(epoch FROM d.ends_at - d.starts_at) / 60)::int," \
	"'format', d.format, 'location', d.location, 'chair', d.chair," \
	"'chair_participant_id', d.chair_participant_id," \
	"'status', d.status, 'sequence', d.sequence," \
	"'planned_classification', d.planned_classification," \
	"'planned_missing_agencies', to_json(d.planned_missing)," \
	"'missing_agency_reason', d.missing_agency_reason," \
	"'classification', d.actual_classification," \
	"'missing_agencies', to_json(CASE WHEN d.status = 'held' " \
	" THEN d.actual_missing ELSE d.planned_missing END)," \
	"'contributed_agencies', to_json(coalesce(d.actual_contributed, '{}'))," \
	"'absence_reason', d.absence_reason," \
	"'child_views_recorded', d.child_views_recorded," \
	"'child_views', d.child_views," \
	"'next_review_date', d.next_review_date," \
	"'reviews_discussion_id', d.reviews_discussion_id," \
	"'approval', d.approval, 'approval_note', d.approval_note," \
	"'reviews_date', (SELECT (r.starts_at AT TIME ZONE 'Europe/London')" \
	" ::date FROM discussions r WHERE r.id = d.reviews_discussion_id)," \
	"'cancel_reason', d.cancel_reason," \
	"'created_at', d.created_at, 'updated_at', d.updated_at," \
	"'children', (SELECT coalesce(json_agg(json_build_object('id', ch.id," \
	" 'name', ch.name, 'date_of_birth', ch.date_of_birth, 'sex', ch.sex," \
	" 'ethnicity', ch.ethnicity, 'disability', ch.disability," \
	" 'legal_status', ch.legal_status, 'person_id', ch.person_id," \
	" 'unborn', ch.unborn, 'expected_date', ch.expected_date)" \
	" ORDER BY ch.id), '[]') FROM children ch WHERE ch.case_id = d.case_id)," \
	"'participants', (SELECT coalesce(json_agg(json_build_object(" \
	" 'id', p.id, 'contact_id', p.contact_id, 'user_id', p.user_id," \
	" 'name', p.name," \
	" 'email', p.email, 'agency', p.agency," \
	" 'organisation', p.organisation, 'role', p.role," \
	" 'added_on_day', p.added_on_day, 'attendance', p.attendance," \
	" 'response', p.partstat, 'removed', p.removed_at IS NOT NULL," \
	" 'contacted_by_phone_at', p.contacted_by_phone_at," \
	" 'can_chair', coalesce(ct.can_chair, false) OR EXISTS (SELECT 1" \
	"  FROM users u WHERE u.id = p.user_id AND u.authority_id =" \
	"  d.authority_id AND u.active AND u.role = 'manager'))" \
	" ORDER BY p.id), '[]') FROM participants p" \
	" LEFT JOIN contacts ct ON ct.id = p.contact_id" \
	" WHERE p.discussion_id = d.id)," \
	"'decisions', (SELECT coalesce(json_agg(json_build_object(" \
	" 'child_id', o.child_id, 'decision', o.decision," \
	" 'rationale', o.rationale," \
	" 'police_investigation', o.police_investigation," \
	" 'medical', o.medical, 'plan_to_see', o.plan_to_see," \
	" 'seen_alone', o.seen_alone, 'views', o.views," \
	" 'communication_needs', o.communication_needs," \
	" 'parents', o.parents, 'parents_by', o.parents_by," \
	" 'parents_when', o.parents_when," \
	" 'parents_delay_reason', o.parents_delay_reason," \
	" 'consent_for_checks', o.consent_for_checks," \
	" 'consent_reason', o.consent_reason, 'next_step', o.next_step)" \
	" ORDER BY o.child_id), '[]') FROM outcomes o" \
	" WHERE o.discussion_id = d.id)," \
	"'actions', (SELECT coalesce(json_agg(json_build_object(" \
	" 'id', a.id, 'what', a.what, 'owner', a.owner, 'due', a.due_date," \
	" 'child_id', a.child_id, 'owner_participant_id'," \
	" a.owner_participant_id, 'owner_agency', a.owner_agency," \
	" 'status', a.status, 'not_done_reason', a.not_done_reason," \
	" 'overdue', coalesce(a.status = 'open' AND a.due_date < (now() AT" \
	" TIME ZONE 'Europe/London')::date, false)) ORDER BY a.id)," \
	" '[]') FROM actions a WHERE a.discussion_id = d.id)," \
	"'record', (SELECT json_build_object('status', r.status," \
	" 'version', r.version, 'concerns_other', r.concerns_other," \
	" 'worries', r.worries, 'strengths', r.strengths, 'gaps', r.gaps," \
	" 'safety_plan', r.safety_plan, 'written_at', r.written_at," \
	" 'written_by', (SELECT coalesce(nullif(u.display_name, ''), u.username)" \
	"  FROM users u WHERE u.id = r.written_by)," \
	" 'concerns', (SELECT coalesce(json_agg(rc.concern ORDER BY" \
	"  v.sort_order), '[]') FROM record_concerns rc JOIN vocabulary v ON" \
	"  v.list = rc.v_concern AND v.code = rc.concern" \
	"  WHERE rc.discussion_id = r.discussion_id)," \
	" 'agency_information', (SELECT coalesce(json_agg(json_build_object(" \
	"  'agency', i.agency, 'information', i.information," \
	"  'checks', i.checks, 'received', i.received, 'from', i.from_whom)" \
	"  ORDER BY i.position), '[]') FROM record_agency_information i" \
	"  WHERE i.discussion_id = r.discussion_id)," \
	" 'dissent', (SELECT coalesce(json_agg(json_build_object(" \
	"  'agency', x.agency, 'about', x.about, 'escalated', x.escalated)" \
	"  ORDER BY x.position), '[]') FROM record_dissent x" \
	"  WHERE x.discussion_id = r.discussion_id))" \
	" FROM records r WHERE r.discussion_id = d.id)" \
	") FROM discussions d JOIN cases c ON c.id = d.case_id" \
	" JOIN teams t ON t.id = d.team_id" \
	" JOIN authorities au ON au.id = d.authority_id WHERE d.id = $1"

struct decoder {
	struct discussion	*d;
	int			 failed;
};

static char *
s_of(struct decoder *x, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? keep(x->d, json_string_value(v),
	    &x->failed) : NULL;
}

static long
l_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

/* -1 for null, 0 or 1. */
static int
b_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static void
fix_of(json_t *o, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(o, key);

	str_copy(out, json_is_string(v) ? json_string_value(v) : "", len);
}

static void
agencies_of(struct decoder *x, json_t *o, const char *key,
    struct agency_list *l)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	l->n = 0;
	json_array_foreach(a, i, v) {
		if (l->n < MODEL_MAX_AGENCIES && json_is_string(v))
			l->codes[l->n++] = keep(x->d, json_string_value(v),
			    &x->failed);
	}
}

static void
child_of(struct decoder *x, json_t *o, struct child *c)
{
	c->id = l_of(o, "id");
	c->name = s_of(x, o, "name");
	fix_of(o, "date_of_birth", c->date_of_birth, sizeof(c->date_of_birth));
	c->sex = s_of(x, o, "sex");
	c->ethnicity = s_of(x, o, "ethnicity");
	c->disability = s_of(x, o, "disability");
	c->legal_status = s_of(x, o, "legal_status");
	c->person_id = s_of(x, o, "person_id");
	c->unborn = b_of(o, "unborn") == 1;
	fix_of(o, "expected_date", c->expected_date, sizeof(c->expected_date));
}

static void
participant_of(struct decoder *x, json_t *o, struct participant *p)
{
	p->id = l_of(o, "id");
	p->contact_id = l_of(o, "contact_id");
	p->user_id = l_of(o, "user_id");
	p->name = s_of(x, o, "name");
	p->email = s_of(x, o, "email");
	p->agency = s_of(x, o, "agency");
	p->organisation = s_of(x, o, "organisation");
	p->role = s_of(x, o, "role");
	p->added_on_day = b_of(o, "added_on_day") == 1;
	p->attendance = s_of(x, o, "attendance");
	p->response = s_of(x, o, "response");
	p->removed = b_of(o, "removed") == 1;
	fix_of(o, "contacted_by_phone_at", p->contacted_by_phone_at,
	    sizeof(p->contacted_by_phone_at));
	p->can_chair = b_of(o, "can_chair") == 1;
}

static void
decision_of(struct decoder *x, json_t *o, struct child_decision *c)
{
	c->child_id = l_of(o, "child_id");
	c->decision = s_of(x, o, "decision");
	c->rationale = s_of(x, o, "rationale");
	c->police_investigation = s_of(x, o, "police_investigation");
	c->medical = s_of(x, o, "medical");
	c->plan_to_see = s_of(x, o, "plan_to_see");
	c->seen_alone = b_of(o, "seen_alone");
	c->views = s_of(x, o, "views");
	c->communication_needs = s_of(x, o, "communication_needs");
	c->parents = s_of(x, o, "parents");
	c->parents_by = s_of(x, o, "parents_by");
	fix_of(o, "parents_when", c->parents_when, sizeof(c->parents_when));
	c->parents_delay_reason = s_of(x, o, "parents_delay_reason");
	c->consent_for_checks = s_of(x, o, "consent_for_checks");
	c->consent_reason = s_of(x, o, "consent_reason");
	c->next_step = s_of(x, o, "next_step");
}

static int
record_of(struct decoder *x, json_t *o)
{
	struct record *r;
	json_t *v;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	x->d->record = r;
	r->status = s_of(x, o, "status");
	r->version = (int)l_of(o, "version");
	r->concerns_other = s_of(x, o, "concerns_other");
	r->worries = s_of(x, o, "worries");
	r->strengths = s_of(x, o, "strengths");
	r->gaps = s_of(x, o, "gaps");
	r->safety_plan = s_of(x, o, "safety_plan");
	r->written_by = s_of(x, o, "written_by");
	fix_of(o, "written_at", r->written_at, sizeof(r->written_at));
	json_array_foreach(json_object_get(o, "concerns"), i, v) {
		if (r->nconcerns < MODEL_MAX_CONCERNS && json_is_string(v))
			r->concerns[r->nconcerns++] = keep(x->d,
			    json_string_value(v), &x->failed);
	}
	json_array_foreach(json_object_get(o, "agency_information"), i, v) {
		struct agency_contribution *a;

		if (r->ninfo >= MODEL_MAX_AGENCY_INFO)
			break;
		a = &r->info[r->ninfo++];
		a->agency = s_of(x, v, "agency");
		a->information = s_of(x, v, "information");
		a->checks = s_of(x, v, "checks");
		a->received = s_of(x, v, "received");
		a->from = s_of(x, v, "from");
	}
	json_array_foreach(json_object_get(o, "dissent"), i, v) {
		struct dissent *ds;

		if (r->ndissent >= MODEL_MAX_DISSENT)
			break;
		ds = &r->dissent[r->ndissent++];
		ds->agency = s_of(x, v, "agency");
		ds->about = s_of(x, v, "about");
		ds->escalated = b_of(v, "escalated") == 1;
	}
	return 0;
}

static void
lists_of(struct decoder *x, json_t *o)
{
	struct discussion *d = x->d;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(o, "children"), i, v) {
		if (d->nchildren < MODEL_MAX_CHILDREN)
			child_of(x, v, &d->children[d->nchildren++]);
	}
	json_array_foreach(json_object_get(o, "participants"), i, v) {
		if (d->nparticipants < MODEL_MAX_PARTICIPANTS)
			participant_of(x, v,
			    &d->participants[d->nparticipants++]);
	}
	json_array_foreach(json_object_get(o, "decisions"), i, v) {
		if (d->ndecisions < MODEL_MAX_CHILDREN)
			decision_of(x, v, &d->decisions[d->ndecisions++]);
	}
	json_array_foreach(json_object_get(o, "actions"), i, v) {
		struct action *a;

		if (d->nactions >= MODEL_MAX_ACTIONS)
			break;
		a = &d->actions[d->nactions++];
		a->id = l_of(v, "id");
		a->what = s_of(x, v, "what");
		a->owner = s_of(x, v, "owner");
		fix_of(v, "due", a->due, sizeof(a->due));
		a->child_id = l_of(v, "child_id");
		a->owner_participant_id = l_of(v, "owner_participant_id");
		a->owner_agency = s_of(x, v, "owner_agency");
		a->status = s_of(x, v, "status");
		a->not_done_reason = s_of(x, v, "not_done_reason");
		a->overdue = b_of(v, "overdue");
	}
}

static int
decode(struct decoder *x, json_t *o)
{
	struct discussion *d = x->d;
	json_t *rec;

	d->id = l_of(o, "id");
	d->authority_id = l_of(o, "authority_id");
	d->authority = s_of(x, o, "authority");
	d->team_id = l_of(o, "team_id");
	d->team = s_of(x, o, "team");
	d->uid = s_of(x, o, "uid");
	d->case_ref = s_of(x, o, "case_ref");
	d->kind = s_of(x, o, "kind");
	d->reason = s_of(x, o, "reason");
	fix_of(o, "concern_received_at", d->concern_received_at,
	    sizeof(d->concern_received_at));
	fix_of(o, "starts_at", d->starts_at, sizeof(d->starts_at));
	fix_of(o, "ends_at", d->ends_at, sizeof(d->ends_at));
	d->duration_minutes = l_of(o, "duration_minutes");
	d->started = b_of(o, "started") == 1;
	d->format = s_of(x, o, "format");
	d->location = s_of(x, o, "location");
	d->chair = s_of(x, o, "chair");
	d->chair_participant_id = l_of(o, "chair_participant_id");
	d->status = s_of(x, o, "status");
	d->sequence = l_of(o, "sequence");
	d->planned_classification = s_of(x, o, "planned_classification");
	agencies_of(x, o, "planned_missing_agencies", &d->planned_missing);
	d->missing_agency_reason = s_of(x, o, "missing_agency_reason");
	d->classification = s_of(x, o, "classification");
	agencies_of(x, o, "missing_agencies", &d->missing);
	agencies_of(x, o, "contributed_agencies", &d->contributed);
	d->absence_reason = s_of(x, o, "absence_reason");
	d->child_views_recorded = b_of(o, "child_views_recorded");
	d->child_views = s_of(x, o, "child_views");
	fix_of(o, "next_review_date", d->next_review_date,
	    sizeof(d->next_review_date));
	d->reviews_discussion_id = l_of(o, "reviews_discussion_id");
	d->approval = s_of(x, o, "approval");
	d->approval_note = s_of(x, o, "approval_note");
	fix_of(o, "reviews_date", d->reviews_date, sizeof(d->reviews_date));
	d->cancel_reason = s_of(x, o, "cancel_reason");
	fix_of(o, "created_at", d->created_at, sizeof(d->created_at));
	fix_of(o, "updated_at", d->updated_at, sizeof(d->updated_at));
	lists_of(x, o);
	rec = json_object_get(o, "record");
	if (json_is_object(rec) && record_of(x, rec) != 0)
		return -1;
	return x->failed ? -1 : 0;
}

int
model_discussion_load(struct db *db, long id, struct discussion **out)
{
	char sid[24];
	const char *p[1] = { sid };
	struct decoder x = { NULL, 0 };
	struct db_res r;
	json_t *o = NULL;
	const char *v;
	int rc = -1;

	*out = NULL;
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, MODEL_SQL, 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 0) {
		rc = 1;
		goto out;
	}
	if ((v = db_res_get(&r, 0, 0)) == NULL ||
	    (o = json_loads(v, 0, NULL)) == NULL ||
	    (x.d = calloc(1, sizeof(*x.d))) == NULL)
		goto out;
	if (decode(&x, o) != 0)
		goto out;
	*out = x.d;
	x.d = NULL;
	rc = 0;
out:
	model_discussion_free(x.d);
	json_decref(o);
	db_res_free(&r);
	return rc;
}

/* ---- lookups ------------------------------------------------------------- */

const struct child *
model_child(const struct discussion *d, long id)
{
	size_t i;

	for (i = 0; i < d->nchildren; i++)
		if (d->children[i].id == id)
			return &d->children[i];
	return NULL;
}

const struct participant *
model_participant(const struct discussion *d, long id)
{
	size_t i;

	for (i = 0; i < d->nparticipants; i++)
		if (d->participants[i].id == id)
			return &d->participants[i];
	return NULL;
}

const struct child_decision *
model_decision(const struct discussion *d, long child_id)
{
	size_t i;

	for (i = 0; i < d->ndecisions; i++)
		if (d->decisions[i].child_id == child_id)
			return &d->decisions[i];
	return NULL;
}

const char *
model_child_label(const struct child *c, char *buf, size_t len)
{
	if (c->name != NULL && c->name[0] != '\0')
		return c->name;
	snprintf(buf, len, "Unborn baby (expected %s)", c->expected_date);
	return buf;
}

/* ---- the API view -------------------------------------------------------- */

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* A fixed-size date or time field: "" is absent. */
static json_t *
jfix(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
jtri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *
jid(long v)
{
	return v > 0 ? json_integer(v) : json_null();
}

static json_t *
jagencies(const struct agency_list *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < l->n; i++)
		json_array_append_new(a, json_string(l->codes[i]));
	return a;
}

static json_t *
child_json(const struct child *c)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o}",
	    "id", (json_int_t)c->id, "name", jstr(c->name),
	    "date_of_birth", jfix(c->date_of_birth), "sex", jstr(c->sex),
	    "ethnicity", jstr(c->ethnicity), "disability", jstr(c->disability),
	    "legal_status", jstr(c->legal_status),
	    "person_id", jstr(c->person_id), "unborn", c->unborn,
	    "expected_date", jfix(c->expected_date));
}

static json_t *
participant_json(const struct participant *p)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o,"
	    " s:o, s:b, s:o, s:b}",
	    "id", (json_int_t)p->id, "contact_id", jid(p->contact_id),
	    "user_id", jid(p->user_id),
	    "name", jstr(p->name), "email", jstr(p->email),
	    "agency", jstr(p->agency), "organisation", jstr(p->organisation),
	    "role", jstr(p->role), "added_on_day", p->added_on_day,
	    "attendance", jstr(p->attendance), "response", jstr(p->response),
	    "removed", p->removed,
	    "contacted_by_phone_at", jfix(p->contacted_by_phone_at),
	    "can_chair", p->can_chair);
}

static json_t *
decision_json(const struct child_decision *c)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:o}",
	    "child_id", (json_int_t)c->child_id,
	    "decision", jstr(c->decision), "rationale", jstr(c->rationale),
	    "police_investigation", jstr(c->police_investigation),
	    "medical", jstr(c->medical), "plan_to_see", jstr(c->plan_to_see),
	    "seen_alone", jtri(c->seen_alone), "views", jstr(c->views),
	    "communication_needs", jstr(c->communication_needs),
	    "parents", jstr(c->parents), "parents_by", jstr(c->parents_by),
	    "parents_when", jfix(c->parents_when),
	    "parents_delay_reason", jstr(c->parents_delay_reason),
	    "consent_for_checks", jstr(c->consent_for_checks),
	    "consent_reason", jstr(c->consent_reason),
	    "next_step", jstr(c->next_step));
}

/* The outcomes as the API gave them before the record: child, decision,
 * rationale. */
static json_t *
outcomes_json(const struct discussion *d)
{
	const struct child *c;
	json_t *a = json_array();
	char buf[64];
	size_t i;

	for (i = 0; a != NULL && i < d->ndecisions; i++) {
		c = model_child(d, d->decisions[i].child_id);
		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:o}",
		    "child_id", (json_int_t)d->decisions[i].child_id,
		    "child", c ? json_string(model_child_label(c, buf,
		    sizeof(buf))) : json_null(),
		    "decision", jstr(d->decisions[i].decision),
		    "rationale", jstr(d->decisions[i].rationale)));
	}
	return a;
}

json_t *
model_record_json(const struct discussion *d)
{
	const struct record *r = d->record;
	json_t *o, *concerns, *info, *children, *dissent;
	size_t i;

	if (r == NULL)
		return json_null();
	concerns = json_array();
	info = json_array();
	children = json_array();
	dissent = json_array();
	for (i = 0; concerns != NULL && i < r->nconcerns; i++)
		json_array_append_new(concerns, json_string(r->concerns[i]));
	for (i = 0; info != NULL && i < r->ninfo; i++)
		json_array_append_new(info, json_pack("{s:o, s:o, s:o, s:o,"
		    " s:o}", "agency", jstr(r->info[i].agency),
		    "information", jstr(r->info[i].information),
		    "checks", jstr(r->info[i].checks),
		    "received", jstr(r->info[i].received),
		    "from", jstr(r->info[i].from)));
	for (i = 0; children != NULL && i < d->ndecisions; i++)
		json_array_append_new(children, decision_json(&d->decisions[i]));
	for (i = 0; dissent != NULL && i < r->ndissent; i++)
		json_array_append_new(dissent, json_pack("{s:o, s:o, s:b}",
		    "agency", jstr(r->dissent[i].agency),
		    "about", jstr(r->dissent[i].about),
		    "escalated", r->dissent[i].escalated));
	o = json_pack("{s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o},"
	    " s:o, s:o, s:o, s:o, s:o}",
	    "status", jstr(r->status), "version", r->version,
	    "chair_participant_id", jid(d->chair_participant_id),
	    "chair", jstr(d->chair),
	    "concerns", concerns ? concerns : json_array(),
	    "concerns_other", jstr(r->concerns_other),
	    "agency_information", info ? info : json_array(),
	    "analysis", "worries", jstr(r->worries),
	    "strengths", jstr(r->strengths), "gaps", jstr(r->gaps),
	    "children", children ? children : json_array(),
	    "safety_plan", jstr(r->safety_plan),
	    "dissent", dissent ? dissent : json_array(),
	    "written_by", jstr(r->written_by),
	    "written_at", jfix(r->written_at));
	return o;
}

static json_t *
action_json(const struct action *a)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
	    "id", (json_int_t)a->id, "what", jstr(a->what), "owner",
	    jstr(a->owner), "due", jfix(a->due), "child_id", jid(a->child_id),
	    "owner_participant_id", jid(a->owner_participant_id),
	    "owner_agency", jstr(a->owner_agency), "status", jstr(a->status),
	    "not_done_reason", jstr(a->not_done_reason), "overdue",
	    a->overdue);
}

static json_t *
lists_json(const struct discussion *d, json_t *o)
{
	json_t *ch = json_array(), *ps = json_array(), *as = json_array();
	size_t i;

	for (i = 0; ch != NULL && i < d->nchildren; i++)
		json_array_append_new(ch, child_json(&d->children[i]));
	for (i = 0; ps != NULL && i < d->nparticipants; i++)
		json_array_append_new(ps, participant_json(&d->participants[i]));
	for (i = 0; as != NULL && i < d->nactions; i++)
		json_array_append_new(as, action_json(&d->actions[i]));
	if (o == NULL || ch == NULL || ps == NULL || as == NULL ||
	    json_object_set_new(o, "children", ch) != 0 ||
	    json_object_set_new(o, "participants", ps) != 0 ||
	    json_object_set_new(o, "actions", as) != 0 ||
	    json_object_set_new(o, "outcomes", outcomes_json(d)) != 0 ||
	    json_object_set_new(o, "record", model_record_json(d)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
model_discussion_json(const struct discussion *d)
{
	json_t *o;

	o = json_pack("{s:I, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o,"
	    " s:I, s:o, s:o, s:o, s:o, s:o, s:I}",
	    "id", (json_int_t)d->id, "uid", jstr(d->uid),
	    "case_ref", jstr(d->case_ref), "team", jstr(d->team),
	    "team_id", (json_int_t)d->team_id, "kind", jstr(d->kind),
	    "reason", jstr(d->reason),
	    "concern_received_at", jfix(d->concern_received_at),
	    "starts_at", jfix(d->starts_at), "ends_at", jfix(d->ends_at),
	    "duration_minutes", (json_int_t)d->duration_minutes,
	    "format", jstr(d->format), "location", jstr(d->location),
	    "chair", jstr(d->chair),
	    "chair_participant_id", jid(d->chair_participant_id),
	    "status", jstr(d->status), "sequence", (json_int_t)d->sequence);
	if (o == NULL || json_object_update_new(o, json_pack("{s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "planned_classification", jstr(d->planned_classification),
	    "planned_missing_agencies", jagencies(&d->planned_missing),
	    "missing_agency_reason", jstr(d->missing_agency_reason),
	    "classification", jstr(d->classification),
	    "missing_agencies", jagencies(&d->missing),
	    "contributed_agencies", jagencies(&d->contributed),
	    "absence_reason", jstr(d->absence_reason),
	    "child_views_recorded", jtri(d->child_views_recorded),
	    "child_views", jstr(d->child_views),
	    "next_review_date", jfix(d->next_review_date),
	    "cancel_reason", jstr(d->cancel_reason),
	    "created_at", jfix(d->created_at),
	    "updated_at", jfix(d->updated_at))) != 0 ||
	    json_object_set_new(o, "reviews_discussion_id",
	    jid(d->reviews_discussion_id)) != 0 ||
	    json_object_set_new(o, "reviews_date",
	    jfix(d->reviews_date)) != 0 ||
	    json_object_set_new(o, "approval", jstr(d->approval)) != 0 ||
	    json_object_set_new(o, "approval_note",
	    jstr(d->approval_note)) != 0) {
		json_decref(o);
		return NULL;
	}
	return lists_json(d, o);
}

/* ---- the audit view: an allow-list ---------------------------------------- */

/* Codes, flags, times and ids only: no names, dates of birth, addresses or
 * free text (reason, location, rationale, information, views ...). */
const char *const model_audit_allow[] = {
	"id", "uid", "case_ref", "team", "team_id", "kind", "status", "sequence",
	"format", "concern_received_at", "starts_at", "ends_at",
	"duration_minutes", "chair_participant_id",
	"planned_classification", "planned_missing_agencies",
	"classification", "missing_agencies", "contributed_agencies",
	"child_views_recorded", "next_review_date", "reviews_discussion_id",
	"approval",
	"children[id].unborn", "children[id].legal_status",
	"participants[id].contact_id", "participants[id].user_id",
	"participants[id].agency",
	"participants[id].organisation", "participants[id].role",
	"participants[id].added_on_day", "participants[id].attendance",
	"participants[id].response", "participants[id].removed",
	"participants[id].contacted_by_phone_at",
	"record.status", "record.version", "record.concerns",
	"record.chair_participant_id",
	"record.agency_information[].agency",
	"record.agency_information[].checks",
	"record.agency_information[].received",
	"record.children[child_id].decision",
	"record.children[child_id].police_investigation",
	"record.children[child_id].medical",
	"record.children[child_id].seen_alone",
	"record.children[child_id].parents",
	"record.children[child_id].parents_when",
	"record.children[child_id].consent_for_checks",
	"record.children[child_id].next_step",
	"record.dissent[].agency", "record.dissent[].escalated",
	"actions[id].child_id", "actions[id].owner_participant_id",
	"actions[id].owner_agency", "actions[id].status",
	/* decisions recorded with attendance, before the record */
	"outcomes[child_id].decision",
	NULL
};

/*
 * Every other field of model_discussion_json, dropped on purpose: the
 * child's identity (name, date of birth, expected date, the council's id,
 * sex, ethnicity, disability), places that may be a home address
 * (location), people's names and email addresses, and free text that may
 * name a child. A field that is in neither list is undecided: the unit test
 * (tests/unit/test_model.c) fails until it is put in one of them.
 */
const char *const model_audit_drop[] = {
	"reason", "location", "chair", "missing_agency_reason",
	"absence_reason", "child_views", "cancel_reason", "created_at",
	/* the reviewed discussion's date: read from it, not recorded here */
	"reviews_date", "approval_note",
	"updated_at",
	"children[id].name", "children[id].date_of_birth", "children[id].sex",
	"children[id].ethnicity", "children[id].disability",
	"children[id].person_id", "children[id].expected_date",
	"participants[id].name", "participants[id].email",
	/* derived from the directory and the users when read, not a fact
	 * recorded in the discussion */
	"participants[id].can_chair",
	"actions[id].what", "actions[id].owner", "actions[id].due",
	"actions[id].not_done_reason", "actions[id].overdue",
	"outcomes[child_id].child", "outcomes[child_id].rationale",
	"record.chair", "record.concerns_other",
	"record.agency_information[].information",
	"record.agency_information[].from",
	"record.analysis.worries", "record.analysis.strengths",
	"record.analysis.gaps",
	"record.children[child_id].rationale",
	"record.children[child_id].plan_to_see",
	"record.children[child_id].views",
	"record.children[child_id].communication_needs",
	"record.children[child_id].parents_by",
	"record.children[child_id].parents_delay_reason",
	"record.children[child_id].consent_reason",
	"record.safety_plan", "record.dissent[].about",
	"record.written_by", "record.written_at",
	NULL
};

#define MODEL_PATH_MAX	128

static void project_path(const json_t *src, const char *path, json_t *dst);

/* Copy path (the rest after one segment) from each element of array a. */
static void
project_array(const json_t *a, const char *key, const char *by,
    const char *rest, json_t *dst)
{
	json_t *out, *el, *slot, *k;
	char kbuf[32];
	size_t i;

	out = json_object_get(dst, key);
	if (out == NULL) {
		out = by[0] ? json_object() : json_array();
		if (out == NULL || json_object_set_new(dst, key, out) != 0)
			return;
	}
	json_array_foreach(a, i, el) {
		if (!json_is_object(el))
			continue;
		if (by[0]) {
			k = json_object_get(el, by);
			if (!json_is_integer(k))
				continue;
			snprintf(kbuf, sizeof(kbuf), "%lld",
			    (long long)json_integer_value(k));
			if ((slot = json_object_get(out, kbuf)) == NULL &&
			    json_object_set_new(out, kbuf, json_object()) == 0)
				slot = json_object_get(out, kbuf);
		} else {
			while (json_array_size(out) <= i)
				if (json_array_append_new(out,
				    json_object()) != 0)
					return;
			slot = json_array_get(out, i);
		}
		if (slot != NULL)
			project_path(el, rest, slot);
	}
}

/* A collection already keyed by id (a stored audit snapshot projected
 * again, as the history does): keep the keys, project each element. */
static void
project_keyed(const json_t *o, const char *key, const char *rest,
    json_t *dst)
{
	json_t *out, *el, *slot;
	const char *k;

	out = json_object_get(dst, key);
	if (out == NULL) {
		if ((out = json_object()) == NULL ||
		    json_object_set_new(dst, key, out) != 0)
			return;
	}
	json_object_foreach((json_t *)o, k, el) {
		if (!json_is_object(el))
			continue;
		if ((slot = json_object_get(out, k)) == NULL &&
		    json_object_set_new(out, k, json_object()) == 0)
			slot = json_object_get(out, k);
		if (slot != NULL)
			project_path(el, rest, slot);
	}
}

static void
project_path(const json_t *src, const char *path, json_t *dst)
{
	char seg[MODEL_PATH_MAX], by[MODEL_PATH_MAX] = "";
	const char *dot, *br, *rest;
	json_t *v;
	size_t n;

	if (!json_is_object(src) || !json_is_object(dst))
		return;
	dot = strchr(path, '.');
	n = dot ? (size_t)(dot - path) : strlen(path);
	if (n == 0 || n >= sizeof(seg))
		return;
	memcpy(seg, path, n);
	seg[n] = '\0';
	rest = dot ? dot + 1 : NULL;
	if ((br = strchr(seg, '[')) != NULL) {
		str_copy(by, br + 1, sizeof(by));
		by[strcspn(by, "]")] = '\0';
		seg[br - seg] = '\0';
	}
	if ((v = json_object_get(src, seg)) == NULL)
		return;
	if (br != NULL) {
		if (json_is_array(v) && rest != NULL)
			project_array(v, seg, by, rest, dst);
		else if (json_is_object(v) && by[0] && rest != NULL)
			project_keyed(v, seg, rest, dst);
		return;
	}
	if (rest == NULL) {
		json_object_set_new(dst, seg, json_deep_copy(v));
		return;
	}
	if (json_is_null(v)) {
		if (json_object_get(dst, seg) == NULL)
			json_object_set_new(dst, seg, json_null());
		return;
	}
	if (json_object_get(dst, seg) == NULL ||
	    !json_is_object(json_object_get(dst, seg)))
		json_object_set_new(dst, seg, json_object());
	project_path(v, rest, json_object_get(dst, seg));
}

json_t *
model_audit_project(const json_t *view, const char *const *allow)
{
	json_t *out;
	size_t i;

	if (view == NULL || (out = json_object()) == NULL)
		return NULL;
	for (i = 0; allow[i] != NULL; i++)
		project_path(view, allow[i], out);
	return out;
}

json_t *
model_audit_view(const struct discussion *d)
{
	json_t *view, *out;

	if ((view = model_discussion_json(d)) == NULL)
		return NULL;
	out = model_audit_project(view, model_audit_allow);
	json_decref(view);
	return out;
}
