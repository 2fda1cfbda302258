/*
 * invite_revise: what a change to a meeting means for its invitations
 * (RFC 5545 3.8.7.4, RFC 5546 2.1.4). Only a change of time, duration or
 * status needs a new SEQUENCE; clients then ask the invitee again, so the
 * answers given to the old time no longer count and go back to
 * NEEDS-ACTION. Any other change (people, place, chair) goes out at the
 * same SEQUENCE with a fresh DTSTAMP: an acceptance still in transit is
 * then not stale, and a client that keeps its answer across a minor update
 * (Outlook, Apple) is not counted as "at risk" for never resending it.
 *
 * The comparison is against the times the invitations at the current
 * SEQUENCE announced (discussions.invited_starts_at/invited_ends_at), not
 * against the row before this one change, so two quick edits that move a
 * meeting and move it back cost no answers.
 */
#include <stdio.h>
#include <time.h>

#include "db.h"
#include "invite.h"
#include "invite_revise.h"

#define ID_LEN	24

int
invite_revise_needs_sequence(time_t sent_starts, time_t sent_ends,
    time_t starts, time_t ends)
{
	return sent_starts != starts || sent_ends != ends;
}

int
invite_revise(struct db *db, long id, int *rescheduled)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	int moved;

	if (rescheduled != NULL)
		*rescheduled = 0;
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT extract(epoch FROM invited_starts_at)::bigint, "
	    "extract(epoch FROM invited_ends_at)::bigint, "
	    "extract(epoch FROM starts_at)::bigint, "
	    "extract(epoch FROM ends_at)::bigint FROM discussions "
	    "WHERE id = $1 FOR UPDATE", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) != 1) {
		db_res_free(&r);
		return -1;
	}
	moved = invite_revise_needs_sequence(
	    (time_t)db_res_long(&r, 0, 0, 0), (time_t)db_res_long(&r, 0, 1, 0),
	    (time_t)db_res_long(&r, 0, 2, 0), (time_t)db_res_long(&r, 0, 3, 0));
	db_res_free(&r);
	if (!moved)
		return db_cmd(db, "UPDATE discussions SET updated_at = now() "
		    "WHERE id = $1", 1, p);
	/* Only the organiser moves SEQUENCE, once per change; the answers
	 * were to the old time, and so were the proposals of a new one. */
	if (db_cmd(db, "UPDATE discussions SET sequence = sequence + 1, "
	    "invited_starts_at = starts_at, invited_ends_at = ends_at, "
	    "answers_reset_at = now(), updated_at = now() WHERE id = $1", 1,
	    p) != 0 ||
	    db_cmd(db, "UPDATE participants SET partstat = 'NEEDS-ACTION', "
	    "reply_dtstamp = NULL, reply_sequence = NULL WHERE "
	    "discussion_id = $1 AND removed_at IS NULL", 1, p) != 0 ||
	    db_cmd(db, "UPDATE counter_proposals SET closed_at = now() WHERE "
	    "discussion_id = $1 AND closed_at IS NULL", 1, p) != 0)
		return -1;
	if (rescheduled != NULL)
		*rescheduled = 1;
	return 0;
}
