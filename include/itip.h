/*
 * itip: iTIP REPLY ingestion (RFC 5546) for replies that a mail gateway
 * forwards from the organiser mailbox. Parsing is a pure function (fuzzed by
 * tests/fuzz/fuzz_itip.c); matching and storing is separate. A reply can
 * only ever move participants.partstat: matched on UID plus attendee
 * address, case-insensitively, and only when it was sent to the signed
 * organiser address issued to that attendee (organizer.h: the envelope
 * recipient the gateway passes, else the reply's ORGANIZER; Exchange
 * leaves ORGANIZER out), ignored when its SEQUENCE is older than the
 * meeting's. Anything that cannot be applied is kept in itip_inbox for a
 * person to review.
 */
#ifndef CONVENE_ITIP_H
#define CONVENE_ITIP_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define ITIP_MAX_BODY	(256 * 1024)	/* bytes of text/calendar */
#define ITIP_MAX_OBSERVANCES	64	/* STANDARD/DAYLIGHT parts, all zones */

struct auth_user;
struct db;

#define ITIP_COMMENT_MAX	2000	/* bytes of a counter-proposal's COMMENT */

struct itip_reply {
	char	 uid[256];
	char	 attendee[255];		/* lower case, without "mailto:" */
	char	 partstat[32];		/* as sent, e.g. "ACCEPTED"; may be ""
					   in a COUNTER */
	long	 sequence;		/* 0 when absent */
	int	 has_sequence;
	int	 has_organizer;
	char	 organizer[255];	/* lower case, without "mailto:"; ""
					   when absent or not an address */
	time_t	 dtstamp;		/* UTC; 0 when absent */
	int	 has_dtstamp;
	/* METHOD:COUNTER ("Propose new time"): the time proposed and the
	 * proposer's COMMENT (UTF-8, may be ""). */
	int	 counter;
	time_t	 starts, ends;
	char	 comment[ITIP_COMMENT_MAX + 1];
};

/*
 * Parse a METHOD:REPLY or METHOD:COUNTER calendar from text[0..len) (need
 * not be NUL-terminated). 0 on success with out filled; -1 with a fixed
 * reason in err (never text from the input) when it is not a well-formed
 * reply with one VEVENT, a UID and exactly one ATTENDEE carrying PARTSTAT,
 * or a counter with one VEVENT, a UID, DTSTART, DTEND or DURATION after
 * it, and one ATTENDEE (or several, of which exactly one has answered:
 * the proposer).
 */
int	 itip_parse_reply(const char *text, size_t len, struct itip_reply *out,
	    char *err, size_t errlen);

/*
 * Apply one reply in its own transaction on db, recording it in itip_inbox
 * (and the audit log when applied, as user u). recipient is the address
 * the email was delivered to (the gateway's ?recipient=), or NULL to use
 * the reply's ORGANIZER; the reply applies only when that address is a
 * signed address of mailbox (CONVENE_SMTP_FROM) issued to its ATTENDEE
 * for this meeting. Returns the HTTP status to
 * answer: 200 applied, 202 stored for review or ignored (stale, unmatched,
 * unsupported PARTSTAT), 422 malformed (stored too), 500 on a database
 * error (nothing stored). *out gets a JSON object describing the outcome.
 */
int	 itip_ingest(struct db *db, const struct auth_user *u,
	    const char *body, size_t len, const char *mailbox,
	    const char *recipient, json_t **out);

#define ITIP_MAIL_HEADER_MAX	300	/* bytes kept of From and Subject */

/*
 * Store a whole email that has no calendar part (a typed "I can't make
 * it", Exchange's winmail.dat) for the organiser to read: 202 always
 * (stored, never refused for its content), 500 on a database error. It
 * is linked to a meeting only when its In-Reply-To or References names
 * the Message-ID of one of that meeting's invitations.
 */
int	 itip_ingest_mail(struct db *db, const struct auth_user *u,
	    const char *body, size_t len, json_t **out);

#endif
