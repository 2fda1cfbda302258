/*
 * invite: iCalendar invitations by email. A change to a meeting queues its
 * messages in the outbox inside the caller's transaction, so a booking and
 * its invites are stored together or not at all; delivery happens later.
 */
#ifndef CONVENE_INVITE_H
#define CONVENE_INVITE_H

#include <stddef.h>

struct config;
struct db;

#define INVITE_AT_RISK_MAX	256	/* bytes for invite_at_risk's list */

enum invite_kind {
	INVITE_NEW,	/* METHOD:REQUEST to every invitee */
	INVITE_UPDATE,	/* METHOD:REQUEST, SEQUENCE+1, to everyone still in */
	INVITE_CANCEL,	/* METHOD:CANCEL to everyone */
	INVITE_REMOVED	/* METHOD:CANCEL to one removed participant */
};

/*
 * Take the settings invites need (templates directory, organiser mailbox,
 * base URL) and check every template in ics-templates/. Call once at
 * start-up, before threads. 0 when the templates are usable; -1 (logged,
 * naming the file) otherwise.
 */
int	 invite_init(const struct config *cfg);

/* Queue the messages for a change to meeting id (its row already shows the
 * new state). participant is the removed participant's id for
 * INVITE_REMOVED, NULL otherwise. Meetings that have already ended get no
 * messages. 0 on success. */
int	 invite_queue(struct db *db, long id, enum invite_kind kind,
	    const long *participant);

/*
 * Whether meeting id is at risk: it is scheduled, has not started, and some
 * statutory agency of its authority has no participant who has ACCEPTED.
 * Writes the agency codes, comma-separated in the authority's order (e.g.
 * "health" or "police,health"), to out ("" when not at risk). Returns how
 * many agencies are missing (0: not at risk), -1 on error.
 */
int	 invite_at_risk(struct db *db, long id, char *out, size_t outlen);

/*
 * The calendar of the n meetings in ids, without METHOD (downloads and
 * feeds): the same UID, SEQUENCE and times as the emails, attendees
 * without PARTSTAT. Returns text for free(), its length in *lenp; NULL on
 * error.
 */
char	*invite_calendar(struct db *db, const long *ids, size_t n,
	    size_t *lenp);

#endif
