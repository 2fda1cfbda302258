/*
 * invite_revise: which changes to a meeting need a new SEQUENCE (and new
 * answers). invite_revise() itself is declared in invite.h, beside
 * invite_queue(), which meeting.c calls after it.
 */
#ifndef CONVENE_INVITE_REVISE_H
#define CONVENE_INVITE_REVISE_H

#include <time.h>

/* 1 when a meeting whose invitations announced sent_starts..sent_ends now
 * runs starts..ends at another time or for another length: RFC 5545 asks
 * for a new SEQUENCE then, and for nothing else a meeting update can do
 * (a cancellation, the one status change, is bumped by meeting_cancel). */
int	 invite_revise_needs_sequence(time_t sent_starts, time_t sent_ends,
	    time_t starts, time_t ends);

#endif
