/*
 * invite: iCalendar invitations by email. A change to a meeting queues its
 * messages in the outbox inside the caller's transaction, so a booking and
 * its invites are stored together or not at all; delivery happens later.
 */
#ifndef CONVENE_INVITE_H
#define CONVENE_INVITE_H

struct db;

enum invite_kind {
	INVITE_NEW,	/* METHOD:REQUEST to every invitee */
	INVITE_UPDATE,	/* METHOD:REQUEST, SEQUENCE+1, to everyone still in */
	INVITE_CANCEL,	/* METHOD:CANCEL to everyone */
	INVITE_REMOVED	/* METHOD:CANCEL to one removed participant */
};

/* Queue the messages for a change to meeting id (its row already shows the
 * new state). participant is the removed participant's id for
 * INVITE_REMOVED, NULL otherwise. 0 on success. */
int	 invite_queue(struct db *db, long id, enum invite_kind kind,
	    const long *participant);

#endif
