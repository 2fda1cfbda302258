/*
 * demo_record: the records of the demo council's held discussions. Each is
 * built from the discussion as the model reads it (who attended, the
 * decisions per child already drawn by demo.c) and written through
 * record_write_tx, so demo records pass exactly the rules a social worker's
 * do. Every text is invented.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "demo.h"
#include "meeting.h"
#include "model.h"
#include "record.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define DPICK(r, a)	((a)[(r) % NITEMS(a)])

static const struct {
	const char	*agency;
	const char	*info[3];
	const char	*from;
} agency_text[] = {
	{ "police", { "Two domestic incidents at the address in the last "
	    "year, both with the children present; no charges.",
	    "The mother's partner has a caution for assault (2021) and is "
	    "known to the drugs team.",
	    "No police records for the household." }, "PNC, PND and local "
	    "intelligence checks" },
	{ "health", { "Health visitor: growth on the 9th centile, two missed "
	    "appointments; GP has no concerns about the parents' health.",
	    "Emergency department: one attendance last month with a head "
	    "injury, explained as a fall.",
	    "School nurse: the child disclosed feeling scared at home; no "
	    "physical health concerns." }, "GP, health visitor and ED records" },
	{ "education", { "Attendance 81% this term; often arrives hungry; "
	    "the designated safeguarding lead has logged three concerns.",
	    "Settled at nursery, good attendance, no concerns before this "
	    "week.", "Attendance 95%; teachers noticed a change in "
	    "behaviour after half term." }, "Designated safeguarding lead" },
	{ "probation", { "The father is on licence until next spring with a "
	    "condition not to have unsupervised contact with children.",
	    "Not known to probation.", "Completed a domestic abuse "
	    "programme last year; the officer reports partial engagement." },
	    "Probation officer" },
	{ "housing", { "Rent arrears; an eviction notice was served last "
	    "month.", "Overcrowded: five people in a one-bedroom flat.",
	    "No housing concerns recorded." }, "Housing officer" },
};

static const char *const worries[] = {
	"Injuries not consistent with the explanation given; the child is "
	"frightened of going home.",
	"Repeated domestic abuse with the children present, escalating in "
	"the last month.",
	"The baby is not gaining weight and health appointments have been "
	"missed; the parents minimise the concerns.",
	"The young person is missing for nights at a time and has unexplained "
	"money and phones.",
};
static const char *const strengths[] = {
	"A grandparent nearby is able and willing to help and to have the "
	"children stay.",
	"The non-abusing parent has called the police herself and wants "
	"support.",
	"The child has a trusted teacher and attends school every day.",
	"The family engaged with early help last year.",
};
static const char *const gaps[] = {
	"The father's current address and whether he is in contact with the "
	"children.",
	"What the youngest child has seen; they have not yet been spoken to "
	"alone.",
	"The medical opinion on the injury.",
	"Whether there are other children in the partner's household.",
};
static const char *const safety_plans[] = {
	"The children stay with their maternal grandmother tonight; the "
	"mother has agreed the partner will not come to the house; police "
	"to check the address at 8pm.",
	"The child is seen at school tomorrow by the social worker and "
	"police; the mother agrees to supervise all contact until then.",
	"Health visitor to visit daily this week and weigh the baby; the "
	"parents agree to the paediatric appointment on Friday.",
	"The young person is placed with a foster carer tonight under "
	"section 20 with the parents' agreement.",
};
static const char *const plans_to_see[] = {
	"Social worker and police officer to see the child at school "
	"tomorrow morning.",
	"Social worker to visit at home within 24 hours and see the child "
	"alone.",
	"Joint visit with the health visitor on Thursday.",
};
/* Indexed by the dissenting agency: health, then police. */
static const char *const dissent_about[] = {
	"Health disagrees with the decision: the injury needs a "
	"paediatrician's opinion before the enquiry is narrowed.",
	"Police consider the threshold for a joint enquiry is not met and "
	"will not open a criminal investigation.",
};

struct builder {
	const struct discussion	*d;
	uint64_t		 r;
};

static unsigned
next(struct builder *b)
{
	b->r ^= b->r >> 12;
	b->r ^= b->r << 25;
	b->r ^= b->r >> 27;
	return (unsigned)((b->r * 2685821657736338717ULL) >> 33);
}

/* One entry per agency and way of receiving: an agency that sent
 * information in writing has that entry even when a colleague attended. */
static int
listed(json_t *list, const char *agency, const char *received)
{
	json_t *o;
	size_t j;

	json_array_foreach(list, j, o)
		if (strcmp(json_string_value(json_object_get(o, "agency")),
		    agency) == 0 && strcmp(json_string_value(json_object_get(o,
		    "received")), received) == 0)
			return 1;
	return 0;
}

static json_t *
agency_information(struct builder *b)
{
	static const char *const generic[] = { "Shared what the agency knows "
	    "of the family; no further concerns." };
	const struct participant *p;
	const char *const *info, *from, *received;
	json_t *list = json_array();
	size_t i, k, ninfo;

	for (i = 0; list != NULL && i < b->d->nparticipants; i++) {
		p = &b->d->participants[i];
		if (p->removed || p->attendance == NULL ||
		    strcmp(p->agency, "social_care") == 0 ||
		    (strcmp(p->attendance, "attended") != 0 &&
		    strcmp(p->attendance, "contributed") != 0))
			continue;
		received = strcmp(p->attendance, "contributed") == 0 ?
		    "in_writing" : "at_meeting";
		if (listed(list, p->agency, received))
			continue;
		for (k = 0; k < NITEMS(agency_text); k++)
			if (strcmp(agency_text[k].agency, p->agency) == 0)
				break;
		info = k < NITEMS(agency_text) ? agency_text[k].info : generic;
		ninfo = k < NITEMS(agency_text) ? 3 : 1;
		from = k < NITEMS(agency_text) ? agency_text[k].from : p->name;
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s,"
		    " s:s}", "agency", p->agency, "information",
		    info[next(b) % ninfo], "checks",
		    next(b) % 5 == 0 ? "partial" : "complete", "received",
		    received, "from", strcmp(received, "in_writing") == 0 ?
		    p->name : from));
	}
	return list;
}

static int
on_plan(const struct discussion *d, long child_id)
{
	const struct child *c = model_child(d, child_id);

	return c != NULL && c->legal_status != NULL &&
	    strcmp(c->legal_status, "child_protection_plan") == 0;
}

static json_t *
child_entry(struct builder *b, const struct child_decision *c, int injury)
{
	int s47 = strncmp(c->decision, "s47", 3) == 0;
	int joint = strcmp(c->decision, "s47_joint") == 0;
	int delay = s47 && joint && next(b) % 5 == 0;
	json_t *o;

	o = json_pack("{s:I, s:s, s:s}", "child_id", (json_int_t)c->child_id,
	    "decision", c->decision, "rationale", c->rationale ?
	    c->rationale : "Agreed by everyone present.");
	if (o == NULL)
		return NULL;
	if (s47) {
		json_object_set_new(o, "police_investigation", json_string(joint ?
		    (next(b) % 3 ? "yes" : "under_review") : "no"));
		json_object_set_new(o, "medical", json_string(injury ?
		    (next(b) % 2 ? "urgent" : "planned") : "not_needed"));
		json_object_set_new(o, "plan_to_see", json_string(
		    DPICK(next(b), plans_to_see)));
		json_object_set_new(o, "seen_alone", json_true());
		json_object_set_new(o, "parents", json_string(delay ? "delay" :
		    "inform_now"));
		json_object_set_new(o, "parents_by", json_string(
		    "Allocated social worker"));
		if (delay)
			json_object_set_new(o, "parents_delay_reason",
			    json_string("Police to interview the suspect first; "
			    "telling the family now could prejudice the "
			    "investigation."));
		json_object_set_new(o, "next_step", json_string(on_plan(b->d,
		    c->child_id) ? "review_conference" : "icpc"));
	} else {
		json_object_set_new(o, "next_step", json_string(
		    strcmp(c->decision, "no_further_action") == 0 ?
		    (next(b) % 2 ? "early_help" : "no_further_action") :
		    "child_in_need"));
	}
	json_object_set_new(o, "consent_for_checks", json_string(
	    next(b) % 4 == 0 ? "not_sought" : "sought"));
	if (json_is_string(json_object_get(o, "consent_for_checks")) &&
	    strcmp(json_string_value(json_object_get(o,
	    "consent_for_checks")), "not_sought") == 0)
		json_object_set_new(o, "consent_reason", json_string(
		    "Seeking consent could put the child at risk."));
	return o;
}

static long
chair_of(const struct discussion *d)
{
	size_t i;

	for (i = 0; i < d->nparticipants; i++)
		if (!d->participants[i].removed &&
		    strcmp(d->participants[i].agency, "social_care") == 0 &&
		    d->participants[i].attendance != NULL &&
		    strcmp(d->participants[i].attendance, "attended") == 0)
			return d->participants[i].id;
	return 0;
}

static json_t *
build(struct builder *b, const char *const *concerns, size_t nconcerns)
{
	const struct discussion *d = b->d;
	json_t *body, *cs, *children, *dissent;
	size_t i;
	int injury = 0;

	cs = json_array();
	for (i = 0; cs != NULL && i < nconcerns; i++) {
		json_array_append_new(cs, json_string(concerns[i]));
		injury |= strcmp(concerns[i], "physical_abuse") == 0 ||
		    strcmp(concerns[i], "unexplained_injury") == 0;
	}
	children = json_array();
	for (i = 0; children != NULL && i < d->ndecisions; i++)
		json_array_append_new(children, child_entry(b,
		    &d->decisions[i], injury));
	dissent = json_array();
	if (next(b) % 12 == 0 && dissent != NULL) {
		i = next(b) % 2;
		json_array_append_new(dissent, json_pack("{s:s, s:s, s:b}",
		    "agency", i == 0 ? "health" : "police", "about",
		    dissent_about[i], "escalated", next(b) % 3 == 0));
	}
	body = json_pack("{s:I, s:o, s:o, s:{s:s, s:s, s:s}, s:o, s:s, s:o}",
	    "chair_participant_id", (json_int_t)chair_of(d), "concerns", cs,
	    "agency_information", agency_information(b), "analysis",
	    "worries", DPICK(next(b), worries), "strengths",
	    DPICK(next(b), strengths), "gaps", DPICK(next(b), gaps),
	    "children", children, "safety_plan",
	    DPICK(next(b), safety_plans), "dissent", dissent);
	return body;
}

int
demo_record_write(struct db *db, const struct auth_user *u, long id,
    const char *const *concerns, size_t nconcerns, uint64_t seed,
    struct verr *e)
{
	struct discussion *d = NULL, *after = NULL;
	struct builder b;
	json_t *body = NULL;
	int rc = -1;

	if (model_discussion_load(db, id, &d) != 0)
		return -1;
	/* No social-care attendee: nobody could chair; such a discussion
	 * stays without a record, as it would in life until corrected. */
	if (chair_of(d) == 0 || d->ndecisions != d->nchildren) {
		rc = 1;
		goto out;
	}
	b.d = d;
	b.r = seed | 1;
	if ((body = build(&b, concerns, nconcerns)) == NULL)
		goto out;
	rc = record_write_tx(db, u, id, body, &after, e);
out:
	json_decref(body);
	model_discussion_free(d);
	model_discussion_free(after);
	return rc;
}
