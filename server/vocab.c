/*
 * vocab: the closed lists of the record and their words, defined once.
 * Everything else (validation, pages, PDF, history, the SQL constraints
 * through the vocabulary table) reads them from here.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "vocab.h"

#define T(c, w)	{ c, w }
#define S47_JOINT	"s47_joint"
#define S47_SINGLE	"s47_single_agency"

static const struct vocab_term kinds[] = {
	T("meeting", "Strategy meeting, booked ahead"),
	T("discussion", "Strategy discussion recorded afterwards"),
};
static const struct vocab_term formats[] = {
	T("in_person", "In person"),
	T("video", "Video call"),
	T("phone", "Phone"),
};
static const struct vocab_term statuses[] = {
	T("scheduled", "Scheduled"),
	T("held", "Held"),
	T("cancelled", "Cancelled"),
};
static const struct vocab_term classes[] = {
	T("multi_agency", "Multi-agency"),
	T("partial", "Partial"),
	T("single_agency", "Single agency"),
};
static const struct vocab_term attendances[] = {
	T("attended", "Attended"),
	T("contributed", "Sent information"),
	T("apologies", "Apologies"),
	T("absent", "Absent"),
};
static const struct vocab_term decisions[] = {
	T(S47_JOINT, "Section 47 enquiry, joint with police"),
	T(S47_SINGLE, "Section 47 enquiry, single agency"),
	T("no_s47_further_assessment",
	    "Section 47 threshold not met: continue assessment (section 17)"),
	T("no_further_action", "No further action by children's social care"),
};
/* The decisions that start a Section 47 enquiry, with the kind of enquiry
 * as the enquiries list shows it; joint first (a discussion with one child
 * of each is a joint enquiry). Statistics, the clocks and the record's
 * rules read this list, so no SQL names a decision. */
static const struct vocab_term section47[] = {
	T(S47_JOINT, "joint"),
	T(S47_SINGLE, "single agency"),
};
static const struct vocab_term concerns[] = {
	T("physical_abuse", "Physical abuse"),
	T("sexual_abuse", "Sexual abuse"),
	T("emotional_abuse", "Emotional abuse"),
	T("neglect", "Neglect"),
	T("domestic_abuse", "Domestic abuse"),
	T("child_sexual_exploitation", "Child sexual exploitation"),
	T("child_criminal_exploitation", "Child criminal exploitation"),
	T("fabricated_or_induced_illness", "Fabricated or induced illness"),
	T("female_genital_mutilation", "Female genital mutilation"),
	T("honour_based_abuse", "Honour-based abuse"),
	T("online_harm", "Online harm"),
	T("child_on_child_harm", "Harm by another child"),
	T("allegation_against_person_in_position_of_trust",
	    "Allegation against a person in a position of trust (LADO)"),
	T("unexplained_injury", "Unexplained injury"),
	T("unborn_baby", "Unborn baby"),
	T("other", "Other"),
};
static const struct vocab_term checks[] = {
	T("complete", "Checks complete"),
	T("partial", "Checks partly done"),
	T("not_done", "Checks not done"),
};
static const struct vocab_term received[] = {
	T("at_meeting", "Shared at the discussion"),
	T("in_writing", "Sent in writing"),
	T("by_phone", "Given by phone"),
};
static const struct vocab_term police[] = {
	T("yes", "Police criminal investigation"),
	T("no", "No police investigation"),
	T("under_review", "Police investigation under review"),
};
static const struct vocab_term medical[] = {
	T("urgent", "Child protection medical: urgent"),
	T("planned", "Child protection medical: planned"),
	T("not_needed", "No child protection medical needed"),
};
static const struct vocab_term parents[] = {
	T("inform_now", "Parents told now"),
	T("delay", "Telling parents delayed"),
};
static const struct vocab_term consent[] = {
	T("sought", "Consent for checks sought"),
	T("refused", "Consent for checks refused"),
	T("not_sought", "Consent for checks not sought"),
};
static const struct vocab_term next_steps[] = {
	T("icpc", "Initial child protection conference"),
	T("review_conference", "Review child protection conference"),
	T("child_in_need", "Continue assessment as a child in need"),
	T("early_help", "Early help"),
	T("no_further_action", "No further action by children's social care"),
};
static const struct vocab_term legal[] = {
	T("none", "None"),
	T("child_in_need", "Child in need"),
	T("child_protection_plan", "On a child protection plan"),
	T("looked_after", "Looked after"),
};
static const struct vocab_term sexes[] = {
	T("female", "Female"),
	T("male", "Male"),
	T("unknown", "Not known"),
};
static const struct vocab_term record_statuses[] = {
	T("draft", "Draft"),
	T("awaiting_authorisation", "Awaiting authorisation"),
	T("authorised", "Authorised"),
};
static const struct vocab_term action_statuses[] = {
	T("open", "Open"),
	T("done", "Done"),
	T("not_done", "Not done"),
};
static const struct vocab_term chase_kinds[] = {
	T("reminder", "Reminder to the invitee"),
	T("escalation", "Escalation to the duty inbox"),
};
static const struct vocab_term call_outcomes[] = {
	T("will_attend", "Will attend"),
	T("will_send_someone", "Will send someone else"),
	T("will_send_information", "Will send information"),
	T("cannot_attend", "Cannot attend"),
	T("no_answer", "No answer"),
};

#undef T

#define L(name, arr)	{ name, arr, sizeof(arr) / sizeof(arr[0]) }

static const struct {
	const char			*name;
	const struct vocab_term		*terms;
	size_t				 n;
} lists[VOCAB_NLISTS] = {
	[VOCAB_KIND] = L("kind", kinds),
	[VOCAB_FORMAT] = L("format", formats),
	[VOCAB_STATUS] = L("status", statuses),
	[VOCAB_CLASSIFICATION] = L("classification", classes),
	[VOCAB_ATTENDANCE] = L("attendance", attendances),
	[VOCAB_DECISION] = L("decision", decisions),
	[VOCAB_SECTION47] = L("section47", section47),
	[VOCAB_CONCERN] = L("concern", concerns),
	[VOCAB_CHECKS] = L("checks", checks),
	[VOCAB_RECEIVED] = L("received", received),
	[VOCAB_POLICE_INVESTIGATION] = L("police_investigation", police),
	[VOCAB_MEDICAL] = L("medical", medical),
	[VOCAB_PARENTS] = L("parents", parents),
	[VOCAB_CONSENT] = L("consent_for_checks", consent),
	[VOCAB_NEXT_STEP] = L("next_step", next_steps),
	[VOCAB_LEGAL_STATUS] = L("legal_status", legal),
	[VOCAB_SEX] = L("sex", sexes),
	[VOCAB_RECORD_STATUS] = L("record_status", record_statuses),
	[VOCAB_ACTION_STATUS] = L("action_status", action_statuses),
	[VOCAB_CHASE_KIND] = L("chase_kind", chase_kinds),
	[VOCAB_CALL_OUTCOME] = L("call_outcome", call_outcomes),
};

#undef L

/* Longest list, plus its NULL: the code arrays handed to input_enum. */
#define VOCAB_MAX_TERMS	24

static const char *codes[VOCAB_NLISTS][VOCAB_MAX_TERMS + 1];
static int codes_ready;

const char *
vocab_name(enum vocab_list l)
{
	return (unsigned)l < VOCAB_NLISTS ? lists[l].name : NULL;
}

const struct vocab_term *
vocab_terms(enum vocab_list l, size_t *n)
{
	if ((unsigned)l >= VOCAB_NLISTS) {
		*n = 0;
		return NULL;
	}
	*n = lists[l].n;
	return lists[l].terms;
}

/* The arrays are filled once; the server calls this from main before any
 * thread starts (vocab_sync, or the first vocab_codes of a unit test). */
static void
fill_codes(void)
{
	size_t l, i;

	if (codes_ready)
		return;
	for (l = 0; l < VOCAB_NLISTS; l++) {
		for (i = 0; i < lists[l].n && i < VOCAB_MAX_TERMS; i++)
			codes[l][i] = lists[l].terms[i].code;
		codes[l][i] = NULL;
	}
	codes_ready = 1;
}

const char *const *
vocab_codes(enum vocab_list l)
{
	fill_codes();
	return (unsigned)l < VOCAB_NLISTS ? codes[l] : codes[0];
}

static const struct vocab_term *
find(enum vocab_list l, const char *code)
{
	size_t i;

	if (code == NULL || (unsigned)l >= VOCAB_NLISTS)
		return NULL;
	for (i = 0; i < lists[l].n; i++)
		if (strcmp(lists[l].terms[i].code, code) == 0)
			return &lists[l].terms[i];
	return NULL;
}

int
vocab_has(enum vocab_list l, const char *code)
{
	return find(l, code) != NULL;
}

const char *
vocab_words(enum vocab_list l, const char *code)
{
	const struct vocab_term *t = find(l, code);

	return t != NULL ? t->words : code;
}

int
vocab_by_name(const char *name)
{
	int l;

	for (l = 0; name != NULL && l < VOCAB_NLISTS; l++)
		if (strcmp(lists[l].name, name) == 0)
			return l;
	return -1;
}

int
vocab_sync(struct db *db)
{
	char order[24];
	const char *p[4];
	size_t l, i;

	fill_codes();
	for (l = 0; l < VOCAB_NLISTS; l++) {
		for (i = 0; i < lists[l].n; i++) {
			snprintf(order, sizeof(order), "%zu", i + 1);
			p[0] = lists[l].name;
			p[1] = lists[l].terms[i].code;
			p[2] = lists[l].terms[i].words;
			p[3] = order;
			if (db_cmd(db, "INSERT INTO vocabulary (list, code, words, "
			    "sort_order) VALUES ($1, $2, $3, $4::integer) ON "
			    "CONFLICT (list, code) DO UPDATE SET words = "
			    "EXCLUDED.words, sort_order = EXCLUDED.sort_order "
			    "WHERE vocabulary.words IS DISTINCT FROM EXCLUDED.words "
			    "OR vocabulary.sort_order IS DISTINCT FROM "
			    "EXCLUDED.sort_order", 4, p) != 0)
				return -1;
		}
	}
	return 0;
}
