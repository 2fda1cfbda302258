/*
 * review: management oversight and the case records the statistics count.
 * A manager reviews a flagged (single-agency or partial) discussion, agreeing
 * the recorded reason or marking a practice concern with a note, and signs
 * off a held discussion's record; a social worker of the case's team, or a
 * manager, records the initial child protection conference (its date, or
 * that none is needed). Each change is one transaction with its audit entry;
 * the statistics summaries follow in the same transaction (database
 * triggers).
 */
#ifndef CONVENE_REVIEW_H
#define CONVENE_REVIEW_H

#include <jansson.h>

#define REVIEW_NOTE_MAX		2000	/* characters */

struct auth_user;
struct db;
struct verr;

/*
 * The oversight state of discussion id: {"discussion_id", "flagged",
 * "review": {...} | null, "sign_off": {...} | null}. Visible as the meeting
 * is (a social worker's own team, a manager's authority); 404 otherwise.
 * *out is the caller's.
 */
int	 review_get(struct db *db, const struct auth_user *u, long id,
	    json_t **out, struct verr *e);
/*
 * Review flagged discussion id: body {"decision": "agree" |
 * "practice_concern", "note": text}; the note is required for a practice
 * concern. Managers only (of the discussion's authority, else 404); 409
 * unless the discussion is held and single-agency or partial. A second
 * review replaces the first (both stay in the audit log). *out as
 * review_get.
 */
int	 review_flag(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);
/*
 * Sign off held discussion id; body may be empty or {"note": text}. 409
 * when not held, already signed off, or flagged and not yet reviewed.
 */
int	 review_sign_off(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

/*
 * The initial child protection conference of case case_ref:
 * {"case_ref", "conference": {"date", "not_required"}, "section47":
 * {"discussion_id", "date", "due", "working_days", "within_target"} | null}.
 * A social worker sees their own team's cases; 404 otherwise.
 */
int	 review_conference_get(struct db *db, const struct auth_user *u,
	    const char *case_ref, json_t **out, struct verr *e);
/*
 * Record it: body {"date": "YYYY-MM-DD" | null, "not_required": bool}; a
 * date and not_required true together is 422, and so is a date before the
 * strategy discussion that started the Section 47 enquiry or more than a
 * year ahead. Both absent/false clears it.
 */
int	 review_conference_set(struct db *db, const struct auth_user *u,
	    const char *case_ref, json_t *body, json_t **out, struct verr *e);

#endif
