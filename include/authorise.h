/*
 * authorise: a manager's authorisation of a discussion's record. The record
 * goes draft -> awaiting_authorisation (the team submits it) -> authorised
 * (a manager of the authority, with their oversight, confirming or changing
 * each child's decision). A change to the record or the attendance after
 * that is allowed to the team but makes version N+1 awaiting authorisation;
 * each authorised version stays readable (record_versions, sql/026).
 */
#ifndef CONVENE_AUTHORISE_H
#define CONVENE_AUTHORISE_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

#define AUTHORISE_OVERSIGHT_MAX	5000	/* sql/026 CHECK */

/*
 * Inside the caller's transaction (the discussion locked): when id's record
 * is authorised, make it awaiting authorisation again, add bump to its
 * version and take the sign-off away. 0, or -1 on a database error.
 */
int	 authorise_reopen(struct db *db, long id, int bump);

struct discussion;
/* 1 when d was held without every statutory agency and no manager has
 * reviewed why (authorising waits for that review), 0 when not, -1 on a
 * database error. */
int	 authorise_needs_review(struct db *db, const struct discussion *d);

/* POST .../record/submit: the team hands the draft to its managers. */
int	 authorise_submit(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);
/*
 * POST .../authorisation: {"oversight": text, "children": [{child_id,
 * decision}]} by a manager. allow_draft: the record may still be a draft
 * (the older sign-off route). Each operation is one transaction with its
 * audit entry; *out is authorise_versions' view.
 */
int	 authorise_record(struct db *db, const struct auth_user *u, long id,
	    json_t *body, int allow_draft, json_t **out, struct verr *e);
/* {"status", "version", "versions": [{version, status, authorised_by,
 * authorised_at, oversight, changes, record}]}: every authorised version,
 * then the current one when it is not authorised. */
int	 authorise_versions(struct db *db, const struct auth_user *u, long id,
	    json_t **out, struct verr *e);

/*
 * A manager's queue: held discussions of u's authority awaiting
 * authorisation (oldest first), changed after authorisation, or flagged
 * and not reviewed, at most AUTHORISE_QUEUE_MAX, as [{id, case_ref, team,
 * held_on, why, since, days}]. NULL on error.
 */
#define AUTHORISE_QUEUE_MAX	50
json_t	*authorise_queue(struct db *db, const struct auth_user *u);

#endif
