/*
 * feed: subscription feeds. The ETag is a BLAKE2b hash of the feed's token
 * hash and, for each meeting in it, id, SEQUENCE, status and updated_at:
 * every change that alters what a feed shows (reschedule, participants,
 * cancellation, attendance) moves SEQUENCE or updated_at, and a meeting
 * that ends leaves the set. Because it comes from the database, two
 * instances give the same ETag for the same feed.
 *
 * Calendar clients poll, and a feed changes rarely, so a poll is answered
 * from memory without touching the database: the rendered body and its
 * ETag are cached per token hash, tagged with the change generations
 * (changes.h) they were built at and the time the first of their meetings
 * ends. A change to any data a feed shows moves the data generation in
 * every instance, and the next poll at least FEED_FRESH_MS after the build
 * rebuilds it: a police force's feed changes with every booking, and
 * rebuilding it for each one took the cores from every other route. A
 * change to a token moves the tokens generation, which no entry outlives.
 * The passing of a meeting's end expires the entry.
 *
 * Rebuilding is cheap because each meeting's VEVENT, as libical wrote it,
 * is kept too, keyed by the meeting and the same version columns as the
 * ETag (SEQUENCE, status, updated_at), and shared by every feed: after a
 * booking, a feed of 1,000 meetings renders one and reuses 999.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zlib.h>

#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "changes.h"
#include "db.h"
#include "feed.h"
#include "invite.h"
#include "log.h"
#include "str.h"

#define ID_LEN		24
#define FEED_VERSION	"2"	/* bump when the rendering changes */
#define FEED_BODY_MAX	(FEED_MAX_EVENTS * FEED_EVENT_MAX + 65536)

struct entry {
	char		 hash[65];	/* "" when the slot is free */
	char		 etag[FEED_ETAG_MAX];
	struct blob	*body;		/* NULL when too large to keep */
	struct blob	*gz;		/* body, gzip-encoded; may be NULL */
	size_t		 len, gz_len;	/* of each, kept or not */
	struct changes_gen gen;		/* generations it was built at */
	uint64_t	 built_ms;	/* monotonic time it was built */
	time_t		 valid_until;	/* the first of its meetings ends */
	time_t		 last_modified;
};

/* One meeting's VEVENT ... END:VEVENT, CRLF-terminated. */
struct frag {
	long	 id;		/* 0: free */
	char	 version[96];	/* sequence/status/updated_at */
	char	*text;
	size_t	 len;
	uint64_t used;		/* frag_tick when last put or appended */
};

static pthread_mutex_t frag_mu = PTHREAD_MUTEX_INITIALIZER;
static struct frag frags[FEED_EVENT_SLOTS];
static size_t frag_bytes;
static uint64_t frag_tick;
/* What libical writes around the events (VCALENDAR properties and the
 * VTIMEZONE; END:VCALENDAR), taken from the first one-meeting render. */
static char *frame_head, *frame_tail;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry cache[FEED_CACHE_MAX];
static size_t cache_next;
static size_t cache_bytes;

int
feed_create(struct db *db, const struct auth_user *u, long contact_id,
    long organisation_id, char *token, long *id)
{
	char hash[65], cid[ID_LEN], oid[ID_LEN], uid[ID_LEN], aid[ID_LEN];
	const char *p[5] = { hash, contact_id > 0 ? cid : NULL,
		organisation_id > 0 ? oid : NULL, uid, aid };
	struct db_res r;
	json_t *after = NULL;
	int result = -1;

	if ((contact_id > 0) == (organisation_id > 0))
		return -1;
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	snprintf(oid, sizeof(oid), "%ld", organisation_id);
	snprintf(uid, sizeof(uid), "%ld", u->id);
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (auth_random_hex(token, FEED_TOKEN_HEX + 1, FEED_TOKEN_HEX / 2) ||
	    auth_hash_hex(token, hash, sizeof(hash)) != 0 || db_begin(db) != 0)
		return -1;
	/* The feed belongs to the creator's authority: it lists only that
	 * authority's meetings, and only its administrators see it. */
	if (db_exec(db, &r, "INSERT INTO feed_tokens (token_hash, contact_id, "
	    "organisation_id, created_by, authority_id) SELECT $1, $2::bigint, "
	    "$3::bigint, $4, $5 "
	    "WHERE ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM contacts WHERE "
	    "id = $2::bigint)) AND ($3::bigint IS NULL OR EXISTS (SELECT 1 "
	    "FROM organisations WHERE id = $3::bigint)) RETURNING id", 5,
	    p) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		db_res_free(&r);
		result = 1;
		goto out;
	}
	*id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	after = json_pack("{s:I, s:I}", contact_id > 0 ? "contact_id" :
	    "organisation_id", (json_int_t)(contact_id > 0 ? contact_id :
	    organisation_id), "feed_id", (json_int_t)*id);
	if (after == NULL || audit_record(db, u, "feed.create", "feed", *id,
	    NULL, after) != 0 || db_commit(db) != 0)
		goto out;
	result = 0;
out:
	if (result != 0)
		sodium_memzero(token, FEED_TOKEN_HEX + 1);
	db_rollback(db);
	json_decref(after);
	return result;
}

int
feed_revoke(struct db *db, const struct auth_user *u, long id)
{
	char sid[ID_LEN], aid[ID_LEN];
	const char *p[2] = { sid, aid };
	struct db_res r;
	int result = -1, n;

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_begin(db) != 0)
		return -1;
	/* Another authority's feed is "no active feed", like a missing one. */
	if (db_exec(db, &r, "UPDATE feed_tokens SET revoked_at = now() WHERE "
	    "id = $1 AND authority_id = $2 AND revoked_at IS NULL RETURNING id",
	    2, p) != 0)
		goto out;
	n = db_res_rows(&r);
	db_res_free(&r);
	if (n == 0) {
		result = 1;
		goto out;
	}
	if (audit_record(db, u, "feed.revoke", "feed", id, NULL, NULL) != 0 ||
	    db_commit(db) != 0)
		goto out;
	changes_bump_tokens();	/* refused here at once (changes.h) */
	result = 0;
out:
	db_rollback(db);
	return result;
}

json_t *
feed_list(struct db *db, const struct auth_user *u)
{
	char aid[ID_LEN];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *o = NULL;
	const char *v;

	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_exec(db, &r, "SELECT json_build_object('feeds', coalesce("
	    "json_agg(json_build_object('id', f.id, 'contact_id', f.contact_id, "
	    "'organisation_id', f.organisation_id, 'created_at', f.created_at, "
	    "'revoked_at', f.revoked_at) ORDER BY f.id), '[]')) "
	    "FROM feed_tokens f WHERE f.authority_id = $1", 1, p) != 0)
		return NULL;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return o;
}

/* What feed_shown holds for a feed (sql/038). */
struct shown {
	char	 feed_id[ID_LEN];
	char	 etag[FEED_ETAG_MAX];	/* "" when never recorded */
	time_t	 at;
};

/* The meetings of the feed whose token hashes to hash: id, sequence,
 * status, updated_at as text, ends_at as epoch; soonest first. What it
 * last showed goes to sh. 1 when no active feed has that hash. */
static int
feed_meetings(struct db *db, const char *hash, struct db_res *r,
    struct shown *sh)
{
	char lim[ID_LEN];
	const char *p[2] = { hash, lim };
	struct db_res f;
	int found;

	if (db_exec(db, &f, "SELECT t.id, s.etag, floor(extract(epoch FROM "
	    "s.shown_at))::bigint FROM feed_tokens t LEFT JOIN feed_shown s "
	    "ON s.feed_id = t.id WHERE t.token_hash = $1 AND "
	    "t.revoked_at IS NULL", 1, p) != 0)
		return -1;
	if ((found = db_res_rows(&f) == 1)) {
		str_copy(sh->feed_id, db_res_get(&f, 0, 0), sizeof(sh->feed_id));
		str_copy(sh->etag, db_res_get(&f, 0, 1) ? db_res_get(&f, 0, 1) :
		    "", sizeof(sh->etag));
		sh->at = (time_t)db_res_long(&f, 0, 2, 0);
	}
	db_res_free(&f);
	if (!found)
		return 1;
	snprintf(lim, sizeof(lim), "%d", FEED_MAX_EVENTS);
	/*
	 * The authority's upcoming meetings in start order (the index
	 * discussions_authority_start), each kept when one of the feed's
	 * contacts is invited, by id or by address (a probe of its
	 * participants), until the limit. The earlier form built the set of
	 * every meeting the contacts were ever invited to first, then sorted:
	 * 33-82 ms against 10 for a contact invited to 16,000, 117 against 57
	 * for one invited to 50 of them (docs/performance.md).
	 */
	return db_exec(db, r, "WITH f AS (SELECT contact_id, organisation_id, "
	    "authority_id FROM feed_tokens WHERE token_hash = $1 AND "
	    "revoked_at IS NULL), "
	    "who AS (SELECT c.id, lower(c.email) AS email FROM contacts c, f "
	    "WHERE c.id = f.contact_id OR c.organisation_id = "
	    "f.organisation_id) "
	    "SELECT d.id, d.sequence, d.status, "
	    "extract(epoch FROM d.updated_at)::text, "
	    "extract(epoch FROM d.ends_at)::bigint "
	    "FROM discussions d "
	    "WHERE d.authority_id = (SELECT authority_id FROM f) "
	    "AND d.ends_at > now() AND d.status <> 'held' "
	    "AND EXISTS (SELECT 1 FROM participants p WHERE p.discussion_id = "
	    "d.id AND p.removed_at IS NULL AND (p.contact_id IN (SELECT id "
	    "FROM who) OR lower(p.email) IN (SELECT email FROM who))) "
	    "ORDER BY d.starts_at, d.id LIMIT $2::int", 2, p) == 0 ? 0 : -1;
}

static void
make_etag(const char *hash, const struct db_res *r, char *etag)
{
	crypto_generichash_state st;
	unsigned char h[16];
	char hex[33];
	int i, c;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)FEED_VERSION, 1);
	crypto_generichash_update(&st, (const unsigned char *)hash,
	    strlen(hash));
	for (i = 0; i < db_res_rows(r); i++)
		for (c = 0; c < 4; c++) {
			const char *v = db_res_get(r, i, c);
			crypto_generichash_update(&st, (const unsigned char *)
			    (v ? v : ""), strlen(v ? v : "") + 1);
		}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(etag, FEED_ETAG_MAX, "\"%s\"", hex);
}

/* When the feed of rows must next be rebuilt: the first end of a meeting
 * in it (it then leaves the feed). */
static time_t
rows_valid_until(const struct db_res *r)
{
	time_t t = (time_t)INT64_MAX;
	long e;
	int i;

	for (i = 0; i < db_res_rows(r); i++)
		if ((e = db_res_long(r, i, 4, 0)) > 0 && (time_t)e < t)
			t = (time_t)e;
	return t;
}

/* 1 when the If-None-Match list holds etag (or is "*"). */
static int
etag_matches(const char *inm, const char *etag)
{
	if (inm == NULL)
		return 0;
	/* Weak comparison (RFC 9110 13.1.2): W/"x" matches "x". */
	return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
}

static size_t
entry_bytes(const struct entry *e)
{
	return (e->body != NULL ? blob_len(e->body) : 0) +
	    (e->gz != NULL ? blob_len(e->gz) : 0);
}

static void
entry_clear(struct entry *e)
{
	cache_bytes -= entry_bytes(e);
	blob_unref(e->body);
	blob_unref(e->gz);
	memset(e, 0, sizeof(*e));
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * 1 when e may answer a poll at generations g: built at them or later,
 * or built at an older data generation less than FEED_FRESH_MS ago. Never
 * across a tokens change, so a revoked token is refused at once.
 */
static int
entry_fresh(const struct entry *e, const struct changes_gen *g, time_t now)
{
	if (now >= e->valid_until || e->gen.tokens < g->tokens)
		return 0;
	return e->gen.data >= g->data || mono_ms() - e->built_ms <
	    FEED_FRESH_MS;
}

/* The entry for hash that may answer at g (mutex held), or NULL. */
static struct entry *
cache_find(const char *hash, const struct changes_gen *g, time_t now)
{
	size_t i;

	for (i = 0; i < FEED_CACHE_MAX; i++) {
		if (strcmp(cache[i].hash, hash) != 0)
			continue;
		if (entry_fresh(&cache[i], g, now))
			return &cache[i];
		entry_clear(&cache[i]);
		return NULL;
	}
	return NULL;
}

/* Keep what was built at gen (the body and its gzip form). */
static void
cache_put(const char *hash, const struct entry *in,
    const struct changes_gen *gen)
{
	struct entry *e = NULL;
	struct blob *body = in->body, *gz = in->gz;
	size_t i, need;

	if (body != NULL && blob_len(body) + (gz != NULL ? blob_len(gz) :
	    0) > FEED_CACHE_BYTES)
		body = gz = NULL;
	need = (body != NULL ? blob_len(body) : 0) +
	    (gz != NULL ? blob_len(gz) : 0);
	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < FEED_CACHE_MAX && e == NULL; i++)
		if (strcmp(cache[i].hash, hash) == 0)
			e = &cache[i];
	if (e != NULL && e->gen.data > gen->data && e->body != NULL) {
		/* A rebuild that started later finished first. */
		pthread_mutex_unlock(&cache_mu);
		return;
	}
	if (e == NULL) {
		e = &cache[cache_next];
		cache_next = (cache_next + 1) % FEED_CACHE_MAX;
	}
	entry_clear(e);
	/* Over the byte ceiling, drop the others' bodies, oldest slot first. */
	for (i = 0; need > 0 && i < FEED_CACHE_MAX &&
	    cache_bytes + need > FEED_CACHE_BYTES; i++)
		if (&cache[(cache_next + i) % FEED_CACHE_MAX] != e)
			entry_clear(&cache[(cache_next + i) % FEED_CACHE_MAX]);
	str_copy(e->hash, hash, sizeof(e->hash));
	str_copy(e->etag, in->etag, sizeof(e->etag));
	e->gen = *gen;
	e->built_ms = mono_ms();
	e->valid_until = in->valid_until;
	e->last_modified = in->last_modified;
	e->len = in->len;
	e->gz_len = in->gz_len;
	if (body != NULL) {
		e->body = blob_ref(body);
		e->gz = gz != NULL ? blob_ref(gz) : NULL;
		cache_bytes += need;
	}
	pthread_mutex_unlock(&cache_mu);
}

/* ---- conditional requests and encoding ----------------------------------- */

static const char *const http_days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const http_months[] = { "Jan", "Feb", "Mar", "Apr",
	"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void
feed_http_date(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(out, outlen, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    http_days[tm.tm_wday], tm.tm_mday, http_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
feed_http_date_parse(const char *s, time_t *out)
{
	char day[4], mon[4], gmt[4], again[40];
	int d, y, h, mi, sec, m, n = 0;
	time_t t;

	if (s == NULL || strlen(s) != 29 || sscanf(s, "%3s, %2d %3s %4d "
	    "%2d:%2d:%2d %3s%n", day, &d, mon, &y, &h, &mi, &sec, gmt,
	    &n) != 8 || n != 29 || strcmp(gmt, "GMT") != 0)
		return -1;
	for (m = 0; m < 12 && strcmp(mon, http_months[m]) != 0; m++)
		;
	if (m == 12 || y < 1970 || y > 9999 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	/* days_from_civil, as ltime.c does it */
	{
		long yy = y - (m < 2), era = yy / 400, yoe = yy - era * 400;
		long doy = (153 * (m + 1 + (m > 1 ? -3 : 9)) + 2) / 5 + d - 1;
		long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		t = (time_t)(era * 146097 + doe - 719468) * 86400 +
		    h * 3600 + mi * 60 + sec;
	}
	/* Refuse what does not format back the same (30 February). */
	feed_http_date(t, again, sizeof(again));
	if (strcmp(again + 5, s + 5) != 0)
		return -1;
	*out = t;
	return 0;
}

/* gzip of data[0..len) as a new blob; NULL on failure (then none is
 * offered). zlib's header carries no time, so the bytes are the same on
 * every instance. */
static struct blob *
gzip_blob(const char *data, size_t len)
{
	struct blob *b = NULL;
	unsigned char *out;
	z_stream z;
	uLong cap;

	memset(&z, 0, sizeof(z));
	/* The fastest level: a feed is compressed on every cache miss, and
	 * level 6 took 10-40 ms for 1.4 MB where level 1 costs a fraction of
	 * that for a slightly larger body (docs/performance.md). */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len);
	if ((out = malloc(cap)) != NULL) {
		z.next_in = (unsigned char *)(uintptr_t)data;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END)
			b = blob_new(out, (size_t)z.total_out);
		free(out);
	}
	deflateEnd(&z);
	return b;
}

/* 1 when the request may be answered 304 for an entry like e. */
static int
not_modified(const struct entry *e, const struct feed_cond *c)
{
	time_t since;

	if (c->if_none_match != NULL)
		return etag_matches(c->if_none_match, e->etag);
	return c->if_modified_since != NULL &&
	    feed_http_date_parse(c->if_modified_since, &since) == 0 &&
	    e->last_modified <= since;
}

/*
 * Fill out from e: 304 or 200, with the body in the encoding asked for
 * either way (a 304's Content-Length is the 200's, RFC 9110 8.6: the
 * server sends its length but not the bytes). 0 when e holds no body.
 */
static int
answer(const struct entry *e, const struct feed_cond *c,
    struct feed_body *out)
{
	int gz = c->gzip && e->gz != NULL;

	if (e->body == NULL)
		return 0;
	str_copy(out->etag, e->etag, sizeof(out->etag));
	out->last_modified = e->last_modified;
	out->gzip = gz;
	out->length = gz ? e->gz_len : e->len;
	out->body = blob_ref(gz ? e->gz : e->body);
	out->status = not_modified(e, c) ? 304 : 200;
	return 1;
}

/* The token's hash, or -1 when it cannot be a feed token. */
static int
token_hash(const char *token, char *hash, size_t len)
{
	if (token == NULL || strlen(token) != FEED_TOKEN_HEX ||
	    strspn(token, "0123456789abcdef") != FEED_TOKEN_HEX)
		return -1;
	return auth_hash_hex(token, hash, len) == 0 ? 0 : -1;
}

/*
 * One rebuild per feed at a time. A calendar feed polled by many clients
 * misses its cache on every change; each miss took 50-120 ms of a core
 * (docs/performance.md), and at 10 polls and 10 changes a second the
 * misses of one feed overlapped and queued every other route behind them.
 * A poll that misses while the same feed is being rebuilt waits for that
 * rebuild and answers from it when it was built at its generation or
 * later. Mutex: cache_mu.
 */
static char flights[FEED_FLIGHTS][65];	/* token hashes; "" when free */
static atomic_ulong builds, shared;	/* for /metrics */
static pthread_cond_t flight_cv = PTHREAD_COND_INITIALIZER;

static char *
flight_find(const char *hash)
{
	size_t i;

	for (i = 0; i < FEED_FLIGHTS; i++)
		if (strcmp(flights[i], hash) == 0)
			return flights[i];
	return NULL;
}

/*
 * 1 when out was answered from a rebuild of hash at gen or later, after
 * waiting for one in progress. 0 when the caller must build: *slot is
 * then its claim (NULL when every slot is busy), for flight_leave.
 */
static int
flight_join(const char *hash, const struct changes_gen *gen,
    const struct feed_cond *c,
    struct feed_body *out, char **slot)
{
	struct entry *e;
	struct timespec until;
	int hit = 0;

	*slot = NULL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += FEED_FLIGHT_WAIT;
	pthread_mutex_lock(&cache_mu);
	for (;;) {
		if ((e = cache_find(hash, gen, time(NULL))) != NULL &&
		    (hit = answer(e, c, out))) {
			atomic_fetch_add(&shared, 1);
			break;
		}
		if (flight_find(hash) == NULL) {
			if ((*slot = flight_find("")) != NULL)
				str_copy(*slot, hash, sizeof(flights[0]));
			break;
		}
		if (pthread_cond_timedwait(&flight_cv, &cache_mu, &until) != 0)
			break;	/* build it alone */
	}
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

unsigned long
feed_builds(void)
{
	return atomic_load(&builds);
}

unsigned long
feed_builds_shared(void)
{
	return atomic_load(&shared);
}

static void
flight_leave(char *slot)
{
	if (slot == NULL)
		return;
	pthread_mutex_lock(&cache_mu);
	slot[0] = '\0';
	pthread_cond_broadcast(&flight_cv);
	pthread_mutex_unlock(&cache_mu);
}

int
feed_cached(const char *token, const struct feed_cond *c,
    struct feed_body *out)
{
	struct entry *e;
	char hash[65];
	struct changes_gen gen;
	int hit = 0;

	memset(out, 0, sizeof(*out));
	if (changes_generation(&gen) != 0 ||
	    token_hash(token, hash, sizeof(hash)) != 0)
		return 0;
	pthread_mutex_lock(&cache_mu);
	if ((e = cache_find(hash, &gen, time(NULL))) != NULL)
		hit = answer(e, c, out);
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

static void
row_version(const struct db_res *r, int i, char *v, size_t len)
{
	snprintf(v, len, "%s/%s/%s", db_res_get(r, i, 1) ? db_res_get(r, i, 1) :
	    "", db_res_get(r, i, 2) ? db_res_get(r, i, 2) : "",
	    db_res_get(r, i, 3) ? db_res_get(r, i, 3) : "");
}

/*
 * The slots meeting id may take: FEED_EVENT_WAYS of them. Direct-mapped
 * (one slot per id) made meetings whose ids differ by a multiple of the
 * slot count evict each other on every rebuild: about 240 of a feed's
 * 1,000 were rendered again each time (docs/performance.md).
 */
static struct frag *
frag_set(long id)
{
	return &frags[((unsigned long)id % (FEED_EVENT_SLOTS /
	    FEED_EVENT_WAYS)) * FEED_EVENT_WAYS];
}

/* The slot holding id, or NULL. Mutex held. */
static struct frag *
frag_find(long id)
{
	struct frag *set = frag_set(id);
	size_t i;

	for (i = 0; i < FEED_EVENT_WAYS; i++)
		if (set[i].id == id)
			return &set[i];
	return NULL;
}

/* Append meeting id's VEVENT at version to b from the store; 1 if absent. */
static int
frag_append(struct buf *b, long id, const char *version)
{
	struct frag *f;
	int rc = 1;

	pthread_mutex_lock(&frag_mu);
	if ((f = frag_find(id)) != NULL && strcmp(f->version, version) == 0) {
		f->used = ++frag_tick;
		rc = buf_append(b, f->text, f->len) == 0 ? 0 : -1;
	}
	pthread_mutex_unlock(&frag_mu);
	return rc;
}

static void
frag_clear(struct frag *f)
{
	frag_bytes -= f->len;
	free(f->text);
	memset(f, 0, sizeof(*f));
}

/* Drop the least recently used meetings (not keep) until len more bytes
 * fit in FEED_EVENT_BYTES. Mutex held. */
static void
frag_make_room(size_t len, const struct frag *keep)
{
	struct frag *old;
	size_t i;

	while (frag_bytes + len > FEED_EVENT_BYTES) {
		old = NULL;
		for (i = 0; i < FEED_EVENT_SLOTS; i++)
			if (frags[i].text != NULL && &frags[i] != keep &&
			    (old == NULL || frags[i].used < old->used))
				old = &frags[i];
		if (old == NULL)
			return;
		frag_clear(old);
	}
}

static void
frag_put(long id, const char *version, const char *text, size_t len)
{
	struct frag *f, *set;
	char *copy;
	size_t i;

	if (len > FEED_EVENT_MAX || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, text, len);
	pthread_mutex_lock(&frag_mu);
	/* Its own slot, else a free one, else the set's least recently
	 * used. */
	if ((f = frag_find(id)) == NULL) {
		set = frag_set(id);
		f = &set[0];
		for (i = 0; i < FEED_EVENT_WAYS; i++) {
			if (set[i].text == NULL) {
				f = &set[i];
				break;
			}
			if (set[i].used < f->used)
				f = &set[i];
		}
	}
	frag_clear(f);
	frag_make_room(len, f);
	f->id = id;
	str_copy(f->version, version, sizeof(f->version));
	f->text = copy;
	f->len = len;
	f->used = ++frag_tick;
	frag_bytes += len;
	pthread_mutex_unlock(&frag_mu);
}

/* Keep the frame of cal (a one-meeting calendar) if none is kept yet. */
static void
frame_keep(const char *cal, const char *ev, const char *end)
{
	char *h, *t;

	if ((h = strndup(cal, (size_t)(ev - cal))) == NULL ||
	    (t = strdup(end)) == NULL) {
		free(h);
		return;
	}
	pthread_mutex_lock(&frag_mu);
	if (frame_head == NULL) {
		frame_head = h;
		frame_tail = t;
		h = t = NULL;
	}
	pthread_mutex_unlock(&frag_mu);
	free(h);
	free(t);
}

/* Render meeting id alone with libical, keep its VEVENT, append it to b. */
static int
frag_render(struct db *db, struct buf *b, long id, const char *version)
{
	const char *ev, *end;
	char *cal;
	size_t len;
	int rc = -1;

	if ((cal = invite_feed_calendar(db, &id, 1, &len)) == NULL)
		return -1;
	/* Line-anchored: the VEVENT runs from its BEGIN line to the
	 * calendar's END line, which libical writes last. */
	if ((ev = strstr(cal, "\r\nBEGIN:VEVENT\r\n")) != NULL &&
	    len >= 15 && strcmp(cal + len - 15, "END:VCALENDAR\r\n") == 0) {
		ev += 2;
		end = cal + len - 15;
		frag_put(id, version, ev, (size_t)(end - ev));
		frame_keep(cal, ev, end);
		rc = buf_append(b, ev, (size_t)(end - ev));
	} else
		log_error("feed", "meeting %ld did not render as one VEVENT", id);
	free(cal);
	return rc;
}

/* The feed of rows as one calendar: the kept frame around each meeting's
 * kept or newly rendered VEVENT. NULL on error. */
static char *
assemble(struct db *db, const struct db_res *r, size_t *lenp)
{
	struct buf b, evs;
	char version[96];
	char *out = NULL;
	long id;
	int i, n = db_res_rows(r), rc;

	if (n == 0)
		return invite_feed_calendar(db, NULL, 0, lenp);
	buf_init(&evs, FEED_BODY_MAX);
	for (i = 0; i < n && i < FEED_MAX_EVENTS; i++) {
		id = db_res_long(r, i, 0, 0);
		row_version(r, i, version, sizeof(version));
		if ((rc = frag_append(&evs, id, version)) == 1)
			rc = frag_render(db, &evs, id, version);
		if (rc != 0)
			goto out;
	}
	buf_init(&b, FEED_BODY_MAX);
	pthread_mutex_lock(&frag_mu);
	buf_puts(&b, frame_head != NULL ? frame_head : "");
	pthread_mutex_unlock(&frag_mu);
	buf_append(&b, buf_cstr(&evs), evs.len);
	pthread_mutex_lock(&frag_mu);
	buf_puts(&b, frame_tail != NULL ? frame_tail : "");
	pthread_mutex_unlock(&frag_mu);
	if (!b.failed && frame_head != NULL)
		out = buf_steal(&b, lenp);
	buf_free(&b);
out:
	buf_free(&evs);
	return out;
}

/*
 * When what the feed shows last changed: when a poll first built its
 * current ETag (sql/038). Recorded by the first poll to see a new ETag,
 * in whichever instance; one that loses that race reads the winner's.
 */
static int
feed_last_modified(struct db *db, const struct shown *sh, const char *etag,
    time_t *out)
{
	const char *p[2] = { sh->feed_id, etag };
	struct db_res r;
	int rc;

	if (strcmp(sh->etag, etag) == 0) {
		*out = sh->at;
		return 0;
	}
	if (db_exec(db, &r, "INSERT INTO feed_shown (feed_id, etag, shown_at) "
	    "VALUES ($1::bigint, $2, now()) ON CONFLICT (feed_id) DO UPDATE "
	    "SET etag = excluded.etag, shown_at = excluded.shown_at "
	    "WHERE feed_shown.etag <> excluded.etag "
	    "RETURNING floor(extract(epoch FROM shown_at))::bigint",
	    2, p) != 0)
		return -1;
	rc = db_res_rows(&r) == 1;
	if (rc)
		*out = (time_t)db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	if (rc)
		return 0;
	/* Another instance recorded this ETag first. */
	if (db_exec(db, &r, "SELECT floor(extract(epoch FROM shown_at))::bigint "
	    "FROM feed_shown WHERE feed_id = $1::bigint", 1, p) != 0)
		return -1;
	*out = (time_t)db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	return 0;
}

/* Build the feed of hash from the database into e; 1 when no active feed
 * has that hash. */
static int
feed_build(struct db *db, const char *hash, struct entry *e)
{
	struct shown sh;
	struct db_res r;
	char *cal;
	size_t len;
	int rc;

	memset(&sh, 0, sizeof(sh));
	db_res_init(&r);
	if ((rc = feed_meetings(db, hash, &r, &sh)) != 0)
		return rc > 0 ? 1 : -1;
	make_etag(hash, &r, e->etag);
	e->valid_until = rows_valid_until(&r);
	/* Rendered even for a 304: its length is the Content-Length a 304
	 * may carry (RFC 9110 8.6), and the next 200 needs it anyway. */
	cal = NULL;
	if (feed_last_modified(db, &sh, e->etag, &e->last_modified) == 0)
		cal = assemble(db, &r, &len);
	db_res_free(&r);
	if (cal == NULL)
		return -1;
	/* From memory, not sendfile() from a memfd: measured, the buffer
	 * path answered 1.44x nginx where sendfile did 0.89x (the body is
	 * small enough that the copy costs less than the file path's extra
	 * system calls; docs/performance.md). */
	e->body = blob_new(cal, len);
	e->len = len;
	if ((e->gz = gzip_blob(cal, len)) != NULL)
		e->gz_len = blob_len(e->gz);
	free(cal);
	if (e->body == NULL) {
		blob_unref(e->gz);
		e->gz = NULL;
		return -1;
	}
	return 0;
}

int
feed_get(struct db *db, const char *token, const struct feed_cond *c,
    struct feed_body *out)
{
	struct entry e;
	char hash[65], *slot = NULL;
	struct changes_gen gen;
	int rc, result = -1, cacheable;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	out->status = 404;
	if (token_hash(token, hash, sizeof(hash)) != 0)
		return 0;
	/* Read before the data: a change committed later moves it on. */
	cacheable = changes_generation(&gen) == 0;
	if (cacheable && flight_join(hash, &gen, c, out, &slot))
		return 0;
	atomic_fetch_add(&builds, 1);
	if ((rc = feed_build(db, hash, &e)) != 0) {
		result = rc > 0 ? 0 : -1;
		goto out;
	}
	if (cacheable)
		cache_put(hash, &e, &gen);
	answer(&e, c, out);
	blob_unref(e.body);
	blob_unref(e.gz);
	result = 0;
out:
	flight_leave(slot);
	return result;
}

void
feed_body_free(struct feed_body *b)
{
	blob_unref(b->body);
	b->body = NULL;
}
