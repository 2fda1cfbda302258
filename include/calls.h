/*
 * calls: the at-risk view of a meeting and the calls a worker logs (issue
 * 13, part 3; docs/chasers.md). A statutory agency with nobody accepted is
 * "at risk": the meeting page and the worker's home page show it with the
 * chasers sent and a "Log a call" action. A logged call (time, who was
 * spoken to, outcome) counts as contact for the planned classification
 * when it names the invitee, stops the chasers when someone will attend,
 * and is shown as evidence beside the absence reason.
 */
#ifndef CONVENE_CALLS_H
#define CONVENE_CALLS_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

#define CALLS_SPOKE_TO_MAX	200	/* characters */

/*
 * Log a call on meeting id from body {"agency", "called_at", "spoke_to",
 * "outcome", "participant_id" (optional)}: checked before writing (422
 * naming the field; 409 for a cancelled meeting), then one transaction:
 * the call, the participant's contacted_by_phone_at when unset, the
 * planned classification again, an audit entry ("meeting.call", no
 * names). *out is the at-risk view after it (calls_at_risk).
 */
int	 calls_log(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

/*
 * The at-risk view of meeting id: {"meeting_id", "at_risk": [{"agency",
 * "agency_name"}] (statutory agencies, other than the convening one,
 * with nobody accepted, while the meeting is scheduled), "chases":
 * [{"agency", "kind", "sent_at", "emails", "organisation"}], "calls":
 * [{"agency", "called_at", "spoke_to", "outcome", "outcome_words"}]}.
 * 404 in e when u may not see it. body unused.
 */
int	 calls_at_risk(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

/* The meetings u may see that are at risk now (scheduled, not started,
 * an agency with nobody accepted and a chase sent), soonest first, at
 * most limit: [{"id", "case_ref", "starts_at", "agencies": [names]}].
 * NULL when the database failed. */
json_t	*calls_at_risk_list(struct db *db, const struct auth_user *u,
	    int limit);

#endif
