/*
 * throttle: token buckets for sign-in in the signin_budget table. A bucket
 * holds up to its burst of tokens and earns one back every "every" seconds;
 * the refill is computed from updated_at when the bucket is next touched,
 * so nothing runs in the background. A refused attempt is answered at once
 * (429 with Retry-After by the caller): nothing here sleeps.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "log.h"
#include "str.h"
#include "throttle.h"

/* Both keys of an attempt; -1 when they do not fit. */
static int
keys(const char *client, const char *username, char *ck, char *ak)
{
	size_t i;

	if (snprintf(ck, THROTTLE_KEY_MAX, "c:%s", client) >= THROTTLE_KEY_MAX ||
	    snprintf(ak, THROTTLE_KEY_MAX, "a:%s|%s", username, client) >=
	    THROTTLE_KEY_MAX)
		return -1;
	/* Usernames are ASCII (users.username's check) and case-blind. */
	for (i = 2; ak[i] != '\0' && ak[i] != '|'; i++)
		ak[i] = (char)tolower((unsigned char)ak[i]);
	return 0;
}

int
throttle_take(struct db *db, const char *client, const char *username,
    long *retry_after)
{
	char ck[THROTTLE_KEY_MAX], ak[THROTTLE_KEY_MAX];
	char cb[16], ce[16], ab[16], ae[16];
	const char *p[6] = { ck, cb, ce, ak, ab, ae };
	struct db_res r;
	long wait = 0, w;
	int i, rc = -1;

	db_res_init(&r);
	if (keys(client, username, ck, ak) != 0)
		return -1;
	snprintf(cb, sizeof(cb), "%d", THROTTLE_CLIENT_BURST);
	snprintf(ce, sizeof(ce), "%d", THROTTLE_CLIENT_EVERY);
	snprintf(ab, sizeof(ab), "%d", THROTTLE_ACCOUNT_BURST);
	snprintf(ae, sizeof(ae), "%d", THROTTLE_ACCOUNT_EVERY);
	if (db_begin(db) != 0)
		return -1;
	/* One statement takes from both; row locks order concurrent takes. */
	if (db_exec(db, &r, "INSERT INTO signin_budget AS b (key, tokens, "
	    "rate, updated_at) SELECT k, burst - 1, 1.0 / every, now() FROM "
	    "(VALUES ($1, $2::float8, $3::float8), ($4, $5::float8, "
	    "$6::float8)) AS v (k, burst, every) ON CONFLICT (key) DO UPDATE "
	    "SET tokens = least(excluded.tokens + 1, b.tokens + extract(epoch "
	    "FROM now() - b.updated_at) * excluded.rate) - 1, rate = "
	    "excluded.rate, updated_at = now() RETURNING CASE WHEN b.tokens < 0 "
	    "THEN greatest(1, ceil(-b.tokens / b.rate))::bigint ELSE 0 END", 6,
	    p) != 0)
		goto out;
	/* A negative balance: the seconds until it is back to zero. */
	for (i = 0; i < db_res_rows(&r); i++)
		if ((w = db_res_long(&r, i, 0, 1)) > wait)
			wait = w;
	if (wait > 0) {
		*retry_after = wait;
		rc = 1;		/* rolled back below: nothing taken */
		goto out;
	}
	/* Full buckets are the same as no bucket: forget them now and then. */
	if (randombytes_uniform(64) == 0 && db_cmd(db, "DELETE FROM "
	    "signin_budget WHERE updated_at < now() - interval '1 day'", 0,
	    NULL) != 0)
		goto out;
	if (db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_res_free(&r);
	db_rollback(db);
	return rc;
}

void
throttle_refund(struct db *db, const char *client, const char *username)
{
	char ck[THROTTLE_KEY_MAX], ak[THROTTLE_KEY_MAX], cb[16], ab[16];
	const char *p[4] = { ck, cb, ak, ab };

	if (keys(client, username, ck, ak) != 0)
		return;
	snprintf(cb, sizeof(cb), "%d", THROTTLE_CLIENT_BURST);
	snprintf(ab, sizeof(ab), "%d", THROTTLE_ACCOUNT_BURST);
	(void)db_cmd(db, "UPDATE signin_budget AS b SET tokens = least(v.burst, "
	    "b.tokens + 1) FROM (VALUES ($1, $2::float8), ($3, $4::float8)) AS "
	    "v (k, burst) WHERE b.key = v.k", 4, p);
}
