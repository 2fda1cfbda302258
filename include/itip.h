/*
 * itip: iTIP REPLY ingestion (RFC 5546) for replies that a mail gateway
 * forwards from the organiser mailbox. Parsing is a pure function (fuzzed by
 * tests/fuzz/fuzz_itip.c); matching and storing is separate. A reply can
 * only ever move participants.partstat: matched on UID plus attendee
 * address, case-insensitively, with or without ORGANIZER (Exchange leaves
 * it out), ignored when its SEQUENCE is older than the meeting's. Anything
 * that cannot be applied is kept in itip_inbox for a person to review.
 */
#ifndef CONVENE_ITIP_H
#define CONVENE_ITIP_H

#include <stddef.h>

#include <jansson.h>

#define ITIP_MAX_BODY	(256 * 1024)	/* bytes of text/calendar */

struct auth_user;
struct db;

struct itip_reply {
	char	 uid[256];
	char	 attendee[255];		/* lower case, without "mailto:" */
	char	 partstat[32];		/* as sent, e.g. "ACCEPTED" */
	long	 sequence;		/* 0 when absent */
	int	 has_sequence;
	int	 has_organizer;
};

/*
 * Parse a METHOD:REPLY calendar from text[0..len) (need not be
 * NUL-terminated). 0 on success with out filled; -1 with a fixed reason in
 * err (never text from the input) when it is not a well-formed reply with
 * one VEVENT, a UID and exactly one ATTENDEE carrying PARTSTAT.
 */
int	 itip_parse_reply(const char *text, size_t len, struct itip_reply *out,
	    char *err, size_t errlen);

/*
 * Apply one reply in its own transaction on db, recording it in itip_inbox
 * (and the audit log when applied, as user u). Returns the HTTP status to
 * answer: 200 applied, 202 stored for review or ignored (stale, unmatched,
 * unsupported PARTSTAT), 422 malformed (stored too), 500 on a database
 * error (nothing stored). *out gets a JSON object describing the outcome.
 */
int	 itip_ingest(struct db *db, const struct auth_user *u,
	    const char *body, size_t len, json_t **out);

#endif
