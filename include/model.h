/*
 * model: the strategy discussion as typed C structs, owned by this module
 * with the SQL that reads them. A discussion is read in one statement and
 * decoded here, once; the JSON API, the web pages, the PDF and the audit
 * log are explicit views of these structs (model_*_json, model_audit_view,
 * web_meeting.c, record_pdf.c), so nothing else reads a discussion by
 * string key.
 *
 * Strings are owned by the discussion (freed by model_discussion_free) and
 * are NULL when absent. Codes are from the vocabulary (vocab.h) or the
 * agencies table.
 */
#ifndef CONVENE_MODEL_H
#define CONVENE_MODEL_H

#include <stddef.h>

#include <jansson.h>

/* Limits of the record, named once (validation, SQL backstops, forms). */
#define MODEL_MAX_PARTICIPANTS	60
#define MODEL_MAX_CHILDREN	12
#define MODEL_MAX_ACTIONS	50
#define MODEL_MAX_AGENCY_INFO	20	/* agency_information entries */
#define MODEL_MAX_DISSENT	10
#define MODEL_MAX_CONCERNS	16	/* one of each category */
#define MODEL_MAX_AGENCIES	16	/* agencies in one list */
#define MODEL_NAME_MAX		200	/* characters: names, roles */
#define MODEL_SHORT_TEXT_MAX	500	/* plan to see, who tells parents */
#define MODEL_TEXT_MAX		2000	/* reasons, about, concerns_other */
#define MODEL_LONG_TEXT_MAX	5000	/* information, analysis, rationale */
#define MODEL_PERSON_ID_MAX	64
#define MODEL_CASE_REF_MAX	40	/* sql/001 CHECK: 1 + 39 */
#define MODEL_AGENCY_CODE_MAX	32	/* sql/001 CHECK on agencies.code */
#define MODEL_PHONE_MAX		40
#define MODEL_LOCATION_MAX	MODEL_SHORT_TEXT_MAX
#define MODEL_ID_MAX		9007199254740991L	/* JSON's safe integers */
#define MODEL_DATE_LEN		11	/* "YYYY-MM-DD" and NUL */
#define MODEL_TIME_LEN		40	/* ISO 8601, microseconds, offset, NUL */

struct db;

struct child {
	long	 id;
	char	*name;			/* NULL for an unborn baby */
	char	 date_of_birth[MODEL_DATE_LEN];	/* "" when unknown */
	char	*sex;			/* VOCAB_SEX */
	char	*ethnicity;
	char	*disability;
	char	*legal_status;		/* VOCAB_LEGAL_STATUS */
	char	*person_id;		/* the council's case-system id */
	int	 unborn;
	char	 expected_date[MODEL_DATE_LEN];
};

struct participant {
	long	 id;
	long	 contact_id;		/* 0: not from the directory */
	long	 user_id;		/* 0: not a Convene user */
	char	*name;
	char	*email;
	char	*agency;
	char	*organisation;
	char	*role;
	int	 added_on_day;
	char	*attendance;		/* VOCAB_ATTENDANCE, NULL: not recorded */
	char	*response;		/* iTIP PARTSTAT */
	int	 removed;
	char	 contacted_by_phone_at[MODEL_TIME_LEN];
	int	 can_chair;		/* a manager user or a marked contact */
};

/* The record's decisions and plans for one child. */
struct child_decision {
	long	 child_id;
	char	*decision;		/* VOCAB_DECISION */
	char	*rationale;
	char	*police_investigation;	/* VOCAB_POLICE_INVESTIGATION */
	char	*medical;		/* VOCAB_MEDICAL */
	char	*plan_to_see;
	int	 seen_alone;		/* -1 unknown, 0, 1 */
	char	*views;
	char	*communication_needs;
	char	*parents;		/* VOCAB_PARENTS */
	char	*parents_by;
	char	 parents_when[MODEL_DATE_LEN];
	char	*parents_delay_reason;
	char	*consent_for_checks;	/* VOCAB_CONSENT */
	char	*consent_reason;
	char	*next_step;		/* VOCAB_NEXT_STEP */
};

struct agency_contribution {
	char	*agency;
	char	*information;
	char	*checks;		/* VOCAB_CHECKS */
	char	*received;		/* VOCAB_RECEIVED */
	char	*from;
};

struct dissent {
	char	*agency;
	char	*about;
	int	 escalated;
};

struct action {
	long	 id;
	char	*what;
	char	*owner;			/* the words shown */
	char	 due[MODEL_DATE_LEN];
	long	 child_id;		/* 0: every child */
	long	 owner_participant_id;	/* 0: none */
	char	*owner_agency;
	char	*status;		/* VOCAB_ACTION_STATUS */
	char	*not_done_reason;
	int	 overdue;		/* open and past its due date */
};

struct record {
	char	*status;		/* VOCAB_RECORD_STATUS */
	int	 version;
	size_t	 nconcerns;
	char	*concerns[MODEL_MAX_CONCERNS];
	char	*concerns_other;
	size_t	 ninfo;
	struct agency_contribution info[MODEL_MAX_AGENCY_INFO];
	char	*worries;
	char	*strengths;
	char	*gaps;
	char	*safety_plan;
	size_t	 ndissent;
	struct dissent dissent[MODEL_MAX_DISSENT];
	char	*written_by;		/* display name */
	char	 written_at[MODEL_TIME_LEN];
};

struct agency_list {
	size_t	 n;
	char	*codes[MODEL_MAX_AGENCIES];
};

struct discussion {
	long	 id;
	long	 authority_id;
	char	*authority;		/* the authority's name */
	long	 team_id;
	char	*team;
	char	*uid;
	char	*case_ref;
	char	*kind;			/* VOCAB_KIND */
	char	*reason;
	char	 concern_received_at[MODEL_TIME_LEN];
	char	 starts_at[MODEL_TIME_LEN];
	char	 ends_at[MODEL_TIME_LEN];
	long	 duration_minutes;
	int	 started;		/* starts_at <= now() */
	char	*format;		/* VOCAB_FORMAT */
	char	*location;
	char	*chair;			/* the chair's name */
	long	 chair_participant_id;	/* 0: none */
	char	*status;		/* VOCAB_STATUS */
	long	 sequence;
	char	*planned_classification;
	struct agency_list planned_missing;
	char	*missing_agency_reason;
	char	*classification;	/* actual; NULL until held */
	struct agency_list missing;	/* actual when held, else planned */
	struct agency_list contributed;
	char	*absence_reason;
	int	 child_views_recorded;	/* -1 unknown */
	char	*child_views;
	char	 next_review_date[MODEL_DATE_LEN];
	long	 reviews_discussion_id;	/* 0: reviews no earlier one */
	char	 reviews_date[MODEL_DATE_LEN];	/* the reviewed one's date */
	char	*approval;		/* NULL, pending, approved, refused */
	char	*approval_note;
	char	*cancel_reason;
	char	 created_at[MODEL_TIME_LEN];
	char	 updated_at[MODEL_TIME_LEN];
	size_t	 nchildren;
	struct child children[MODEL_MAX_CHILDREN];
	size_t	 nparticipants;
	struct participant participants[MODEL_MAX_PARTICIPANTS];
	/* The decisions per child: written with the record (or, before
	 * records existed, with attendance); the record's "children". */
	size_t	 ndecisions;
	struct child_decision decisions[MODEL_MAX_CHILDREN];
	size_t	 nactions;
	struct action actions[MODEL_MAX_ACTIONS];
	struct record *record;		/* NULL: no record written yet */
	/* Owned storage behind every string above. */
	struct model_strings *strings;
};

/*
 * Read discussion id (no visibility check: callers have done it) into a new
 * struct owned by the caller (model_discussion_free). 0, 1 when there is no
 * such discussion, -1 on a database error.
 */
int	 model_discussion_load(struct db *db, long id, struct discussion **out);
void	 model_discussion_free(struct discussion *d);

/* The child with id, or NULL. */
const struct child *model_child(const struct discussion *d, long id);
/* The participant with id, or NULL. */
const struct participant *model_participant(const struct discussion *d,
	    long id);
/* The record's decision for child id, or NULL. */
const struct child_decision *model_decision(const struct discussion *d,
	    long child_id);
/* A child's name for staff pages: the name, or "Unborn baby (expected
 * DATE)". Never for emails, invites or logs. */
const char *model_child_label(const struct child *c, char *buf, size_t len);

/* Views. Each returns a new reference (NULL when out of memory). */
/* The JSON API's discussion (GET /api/v1/meetings/{id}), record included. */
json_t	*model_discussion_json(const struct discussion *d);
/* The record alone, as PUT /record takes it; json null when none. */
json_t	*model_record_json(const struct discussion *d);
/*
 * The audit snapshot: an allow-list projection. Child-level facts are keyed
 * by child_id and are codes and flags only; no names, dates of birth,
 * addresses or free text that may name a child. A field reaches the audit
 * log only when it is listed in model.c's allow-list.
 */
json_t	*model_audit_view(const struct discussion *d);

/*
 * The projection behind model_audit_view, for any JSON view: copy from view
 * only the paths in allow (NULL-ended). A path is keys joined by ".";
 * "key[]" walks an array keeping positions, "key[field]" turns an array of
 * objects into an object keyed by each element's field (child_id, id).
 * Anything not listed is dropped, so a new field stays out of the audit log
 * until someone lists it here.
 */
json_t	*model_audit_project(const json_t *view, const char *const *allow);
/* The allow-list model_audit_view uses. */
extern const char *const model_audit_allow[];
/*
 * The fields of model_discussion_json that the audit snapshot drops, each
 * on purpose (paths as in model_audit_allow). Every field of the view is in
 * exactly one of the two lists; the unit test checks it, so a new field
 * needs a decision before it lands.
 */
extern const char *const model_audit_drop[];

#endif
