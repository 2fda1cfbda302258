/*
 * feed: calendar subscriptions (webcal:// or https://) for one directory
 * contact or one organisation: a METHOD-less VCALENDAR of the upcoming
 * meetings they are invited to, with the same UID and SEQUENCE as the
 * emails so calendar clients merge the two. The URL holds an unguessable
 * token (32 random bytes, hex) of which only a hash is stored; revoking it
 * is permanent. Responses carry an ETag computed from the database, and
 * rendered bodies are cached in memory until a change to what they show
 * (see feed.c), so a poll usually costs no database work at all.
 */
#ifndef CONVENE_FEED_H
#define CONVENE_FEED_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define FEED_TOKEN_HEX	64
#define FEED_MAX_EVENTS	1000	/* meetings in one feed, soonest first */
#define FEED_CACHE_MAX	64	/* feeds kept in memory */
#define FEED_CACHE_BYTES (8 * 1024 * 1024) /* their bodies, in all */
#define FEED_EVENT_SLOTS 4096	/* rendered meetings kept */
#define FEED_EVENT_WAYS	8	/* slots a meeting may take (set-associative) */
#define FEED_EVENT_BYTES (2 * 1024 * 1024) /* their text, in all; least
					      recently used go first */
#define FEED_EVENT_MAX	(64 * 1024)	/* one rendered meeting, bytes */
#define FEED_ETAG_MAX	72
#define FEED_FLIGHTS	8	/* feeds rebuilt at once, each shared */
#define FEED_FLIGHT_WAIT 10	/* s a poll waits for another's rebuild */
/* A feed built less than this long ago answers polls after a change to
 * what it shows (not after a token change): one rebuild a second at most
 * per feed and instance, however fast bookings come (docs/performance.md).
 * Calendar clients poll hourly; a meeting reaches feeds within a second. */
#define FEED_FRESH_MS	1000

struct auth_user;
struct db;

/*
 * Create a feed for a contact (contact_id > 0) or an organisation
 * (organisation_id > 0). The token goes to token (FEED_TOKEN_HEX + 1 bytes)
 * and the new row's id to *id. The feed belongs to u's authority and
 * lists only that authority's meetings. 0 on success, 1 when the contact
 * or organisation does not exist, -1 on error. One transaction, audited.
 */
int	 feed_create(struct db *db, const struct auth_user *u, long contact_id,
	    long organisation_id, char *token, long *id);
/* Revoke feed id of u's authority: 0 done, 1 no such active feed (or
 * another authority's), -1 error. Audited. */
int	 feed_revoke(struct db *db, const struct auth_user *u, long id);
/* The feeds of u's authority (no tokens): {"feeds": [...]}; NULL on
 * error. */
json_t	*feed_list(struct db *db, const struct auth_user *u);

struct blob;

/* What the client sent that decides between 200 and 304, and gzip. */
struct feed_cond {
	const char	*if_none_match;		/* may be NULL */
	const char	*if_modified_since;	/* may be NULL; ignored with
						   If-None-Match (RFC 9110) */
	int		 gzip;			/* Accept-Encoding allows it */
};

struct feed_body {
	int		 status;		/* 200, 304 or 404 */
	char		 etag[FEED_ETAG_MAX];	/* quoted, for the ETag header */
	time_t		 last_modified;		/* the last change it shows */
	int		 gzip;			/* body is gzip-encoded */
	size_t		 length;		/* what a 200 sends, in bytes */
	struct blob	*body;			/* 200 only; feed_body_free */
};

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate) to an instant;
 * -1 when it is not one. */
int	 feed_http_date_parse(const char *s, time_t *out);
/* t as an IMF-fixdate into out (at least 30 bytes). */
void	 feed_http_date(time_t t, char *out, size_t outlen);

/*
 * Answer GET /feeds/<token>.ics from memory: 1 with out filled (200 or
 * 304) when a valid cached answer exists, 0 otherwise (then ask feed_get).
 * Needs no database.
 */
int	 feed_cached(const char *token, const struct feed_cond *c,
	    struct feed_body *out);
/*
 * Answer GET /feeds/<token>.ics from the database, and cache the answer.
 * 0 with out filled (status 404 for an unknown or revoked token), -1 on
 * error.
 */
int	 feed_get(struct db *db, const char *token, const struct feed_cond *c,
	    struct feed_body *out);
void	 feed_body_free(struct feed_body *b);

/* Feeds built from the database, and polls answered by another poll's
 * build after waiting for it (for /metrics). */
unsigned long feed_builds(void);
unsigned long feed_builds_shared(void);

#endif
