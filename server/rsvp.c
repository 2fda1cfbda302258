/*
 * rsvp: signing and checking the tokens of RSVP links, and the key they are
 * signed with. Layout of a token before base64url: 'S', participant id,
 * SEQUENCE, expiry (8 bytes each, big-endian; the expiry in Unix time),
 * then crypto_auth (HMAC-SHA-512-256) of those 25 bytes. Links sent before
 * the SEQUENCE was added ('R', id, expiry, MAC over 17 bytes) still verify,
 * as SEQUENCE 0: the oldest, so refused once the meeting has moved.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "rsvp.h"
#include "str.h"

#define BODY_LEN	25
#define TOKEN_LEN	(BODY_LEN + crypto_auth_BYTES)
#define OLD_BODY_LEN	17	/* 'R' tokens: no SEQUENCE */
#define OLD_TOKEN_LEN	(OLD_BODY_LEN + crypto_auth_BYTES)

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char cached_key[RSVP_KEY_BYTES];
static int have_key;

static const char *const words[] = { "accept", "decline", "tentative" };
static const char *const partstats[] = { "ACCEPTED", "DECLINED",
	"TENTATIVE" };

int
rsvp_answer_parse(const char *s, enum rsvp_answer *out)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0) {
			*out = (enum rsvp_answer)i;
			return 0;
		}
	return -1;
}

const char *
rsvp_answer_word(enum rsvp_answer a)
{
	return (unsigned)a <= RSVP_TENTATIVE ? words[a] : "";
}

const char *
rsvp_partstat(enum rsvp_answer a)
{
	return (unsigned)a <= RSVP_TENTATIVE ? partstats[a] : "NEEDS-ACTION";
}

const char *
rsvp_partstat_words(const char *partstat)
{
	if (partstat == NULL)
		return "No reply yet";
	if (strcmp(partstat, "ACCEPTED") == 0)
		return "Accepted";
	if (strcmp(partstat, "DECLINED") == 0)
		return "Declined";
	if (strcmp(partstat, "TENTATIVE") == 0)
		return "Tentative";
	return "No reply yet";
}

int
rsvp_token_sign(const unsigned char key[RSVP_KEY_BYTES], long pid,
    long sequence, time_t expires, char *out, size_t outlen)
{
	unsigned char t[TOKEN_LEN];

	if (pid < 1 || sequence < 0 || expires < 0 ||
	    outlen < sodium_base64_ENCODED_LEN(TOKEN_LEN,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	t[0] = 'S';
	str_put_be64(t + 1, (uint64_t)pid);
	str_put_be64(t + 9, (uint64_t)sequence);
	str_put_be64(t + 17, (uint64_t)expires);
	crypto_auth(t + BODY_LEN, t, BODY_LEN, key);
	if (sodium_bin2base64(out, outlen, t, sizeof(t),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL)
		return -1;
	return 0;
}

/* The body length of a decoded token t of len bytes by its first byte;
 * 0 when it is neither layout. */
static size_t
body_len(const unsigned char *t, size_t len)
{
	if (len == TOKEN_LEN && t[0] == 'S')
		return BODY_LEN;
	if (len == OLD_TOKEN_LEN && t[0] == 'R')
		return OLD_BODY_LEN;
	return 0;
}

int
rsvp_token_verify(const unsigned char key[RSVP_KEY_BYTES], const char *token,
    time_t now, long *pid, long *sequence, time_t *expires)
{
	unsigned char t[TOKEN_LEN + 1];
	size_t len = 0, tlen, body;
	const char *end = NULL;
	uint64_t id, seq = 0, exp;

	if (token == NULL || (tlen = strlen(token)) == 0 ||
	    tlen >= RSVP_TOKEN_MAX)
		return 1;
	if (sodium_base642bin(t, sizeof(t), token, tlen, NULL, &len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != token + tlen || (body = body_len(t, len)) == 0)
		return 1;
	if (crypto_auth_verify(t + body, t, body, key) != 0)
		return 1;
	id = str_get_be64(t + 1);
	if (body == BODY_LEN)
		seq = str_get_be64(t + 9);
	exp = str_get_be64(t + body - 8);
	if (id < 1 || id > 9007199254740991ULL || exp > (uint64_t)INT64_MAX ||
	    seq > (uint64_t)INT32_MAX)
		return 1;
	*pid = (long)id;
	*sequence = (long)seq;
	*expires = (time_t)exp;
	if ((uint64_t)now >= exp)
		return 2;
	return 0;
}

static int
key_from_hex(const char *hex, unsigned char key[RSVP_KEY_BYTES])
{
	size_t len = 0;

	if (hex == NULL || sodium_hex2bin(key, RSVP_KEY_BYTES, hex,
	    strlen(hex), NULL, &len, NULL) != 0 || len != RSVP_KEY_BYTES)
		return -1;
	return 0;
}

static int
select_key(struct db *db, unsigned char key[RSVP_KEY_BYTES], int *found)
{
	struct db_res r;
	int rc = -1;

	*found = 0;
	if (db_exec(db, &r, "SELECT key_hex FROM service_keys WHERE name = "
	    "'rsvp'", 0, NULL) != 0)
		return -1;
	if (db_res_rows(&r) == 0)
		rc = 0;
	else if (key_from_hex(db_res_get(&r, 0, 0), key) == 0) {
		*found = 1;
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

int
rsvp_key(struct db *db, unsigned char key[RSVP_KEY_BYTES])
{
	unsigned char fresh[RSVP_KEY_BYTES];
	char hex[2 * RSVP_KEY_BYTES + 1];
	const char *p[1] = { hex };
	int found, result = -1;

	pthread_mutex_lock(&key_mu);
	if (have_key) {
		memcpy(key, cached_key, RSVP_KEY_BYTES);
		pthread_mutex_unlock(&key_mu);
		return 0;
	}
	pthread_mutex_unlock(&key_mu);
	if (select_key(db, key, &found) != 0)
		goto out;
	if (!found) {
		/* Another instance may insert at the same moment: the first
		 * insert wins and everybody reads it back. */
		crypto_auth_keygen(fresh);
		sodium_bin2hex(hex, sizeof(hex), fresh, sizeof(fresh));
		sodium_memzero(fresh, sizeof(fresh));
		if (db_cmd(db, "INSERT INTO service_keys (name, key_hex) VALUES "
		    "('rsvp', $1) ON CONFLICT (name) DO NOTHING", 1, p) != 0 ||
		    select_key(db, key, &found) != 0 || !found)
			goto out;
	}
	if (!db->in_tx) {
		pthread_mutex_lock(&key_mu);
		memcpy(cached_key, key, RSVP_KEY_BYTES);
		have_key = 1;
		pthread_mutex_unlock(&key_mu);
	}
	result = 0;
out:
	sodium_memzero(hex, sizeof(hex));
	return result;
}
