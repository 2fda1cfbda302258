/*
 * invite: iCalendar invitations by email. A change to a meeting queues its
 * messages in the outbox inside the caller's transaction, so a booking and
 * its invites are stored together or not at all; delivery happens later.
 */
#ifndef CONVENE_INVITE_H
#define CONVENE_INVITE_H

#include <stddef.h>

#include <jansson.h>

struct config;
struct db;

#define INVITE_AT_RISK_MAX	256	/* bytes for invite_at_risk's list */
#define INVITE_TITLE_MAX	200	/* authorities.invite_title_template */
#define INVITE_FEED_NAME	"Strategy meetings (Convene)"
#define INVITE_FEED_REFRESH	60	/* minutes: REFRESH-INTERVAL */

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
 * An authority's calendar title template (authorities.invite_title_template,
 * the SUMMARY and the {{title}} of subjects): one line of 1 to
 * INVITE_TITLE_MAX characters using only the meeting's placeholders
 * ({{case_ref}}, {{purpose}}, {{meeting_kind}}, {{when}}, {{starts}},
 * {{format}}, {{place}}, {{chair}}, {{agencies}}). 0 when usable; -1 with
 * a message naming the field in err.
 */
int	 invite_title_check(const char *tpl, char *err, size_t errlen);

/*
 * Decide what a change to meeting id (already written, in the caller's
 * transaction) means for its invitations, and record it: when the start
 * or end differs from what the invitations at the current SEQUENCE
 * announced, SEQUENCE moves on, every current answer goes back to
 * NEEDS-ACTION (shown on the meeting page) and open counter-proposals are
 * closed; any other change (people, place, chair) keeps the SEQUENCE, so
 * answers in transit still count. updated_at moves either way. Sets
 * *rescheduled (may be NULL). 0 on success, -1 on a database error.
 */
int	 invite_revise(struct db *db, long id, int *rescheduled);

/*
 * For the meeting page (templates/meeting_counters.html): {"answers_reset":
 * when a new time last reset the answers, or "", "counters": open
 * counter-proposals with a "Reschedule to this time" link, "mails":
 * emails without a calendar part about it}. NULL on a database error.
 */
json_t	*invite_page_notes(struct db *db, long id);

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
/* The same, named for a subscription (NAME, X-WR-CALNAME, REFRESH-INTERVAL,
 * X-PUBLISHED-TTL). DTSTAMP is each meeting's last change, so the same
 * content gives the same bytes on every instance. */
char	*invite_feed_calendar(struct db *db, const long *ids, size_t n,
	    size_t *lenp);

#endif
