/*
 * rsvp: personal accept / decline / tentative links in invite emails. A
 * link carries a token made of the participant's id, the SEQUENCE of the
 * invitation it came in and an expiry time, signed with libsodium's
 * crypto_auth under a key the service generates on first use and keeps in
 * the database (service_keys). Tokens name nobody: an id, a SEQUENCE, a
 * time and a MAC, base64url. An answer through a link issued for an older
 * SEQUENCE (before a reschedule) is refused. Following a link shows a page
 * with a button; only the POST from that button records the answer, so
 * mail scanners that fetch links do not answer for anyone.
 */
#ifndef CONVENE_RSVP_H
#define CONVENE_RSVP_H

#include <stddef.h>
#include <time.h>

#define RSVP_KEY_BYTES	32
#define RSVP_TOKEN_MAX	80	/* characters, NUL included */

struct db;

enum rsvp_answer {
	RSVP_ACCEPT,
	RSVP_DECLINE,
	RSVP_TENTATIVE
};

/* "accept" etc. <-> the enum; 0 on success. */
int	 rsvp_answer_parse(const char *s, enum rsvp_answer *out);
const char *rsvp_answer_word(enum rsvp_answer a);
/* The iTIP PARTSTAT an answer records: "ACCEPTED", "DECLINED", "TENTATIVE". */
const char *rsvp_partstat(enum rsvp_answer a);
/* A PARTSTAT (or NULL) as pages show it: "Accepted", ..., "No reply yet". */
const char *rsvp_partstat_words(const char *partstat);

/* Pure signing with an explicit key (unit-tested). sign: 0 on success.
 * verify: 0 when the MAC is right and now < expiry (*pid, *sequence,
 * *expires set); 1 when malformed or forged; 2 when well-signed but
 * expired. Tokens signed before links carried a SEQUENCE read as
 * SEQUENCE 0, as a reply without one does. */
int	 rsvp_token_sign(const unsigned char key[RSVP_KEY_BYTES], long pid,
	    long sequence, time_t expires, char *out, size_t outlen);
int	 rsvp_token_verify(const unsigned char key[RSVP_KEY_BYTES],
	    const char *token, time_t now, long *pid, long *sequence,
	    time_t *expires);

/*
 * The service key: read from service_keys, created there on first use.
 * Cached in memory once read outside a transaction (inside one, the row may
 * still roll back with it). 0 on success.
 */
int	 rsvp_key(struct db *db, unsigned char key[RSVP_KEY_BYTES]);

#endif
