/*
 * mfa: TOTP and recovery codes (include/mfa.h). The code checks are liboath's;
 * the sealing, hashing and randomness libsodium's. The pure functions come
 * first (tests/unit/test_mfa.c), then the database ones.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "mfa.h"
#include "str.h"

#define ID_BUF		24
#define STR_OF_(x)	#x
#define STR_OF(x)	STR_OF_(x)
#define SEAL_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG	crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEAL_BYTES	(SEAL_NONCE + MFA_SECRET_BYTES + SEAL_TAG)

/* No I, O, 0 or 1 (misread), 32 symbols: 5 bits each, no bias. */
static const char recovery_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ready;

static void
oath_start(void)
{
	oath_ready = oath_init() == OATH_OK;
}

/* ---- pure functions ------------------------------------------------------- */

int
mfa_code_parse(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (in == NULL || outlen < MFA_DIGITS + 1)
		return -1;
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t' || *in == '-')
			continue;
		if (*in < '0' || *in > '9' || n == MFA_DIGITS)
			return -1;
		out[n++] = *in;
	}
	if (n != MFA_DIGITS)
		return -1;
	out[n] = '\0';
	return 0;
}

int
mfa_recovery_parse(const char *in, char *out, size_t outlen)
{
	char c[MFA_RECOVERY_CHARS];
	size_t n = 0;
	int ch;

	if (in == NULL || outlen < MFA_RECOVERY_BUF)
		return -1;
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t' || *in == '-')
			continue;
		ch = toupper((unsigned char)*in);
		if (n == MFA_RECOVERY_CHARS ||
		    strchr(recovery_alphabet, ch) == NULL)
			return -1;
		c[n++] = (char)ch;
	}
	if (n != MFA_RECOVERY_CHARS)
		return -1;
	memcpy(out, c, 5);
	out[5] = '-';
	memcpy(out + 6, c + 5, 5);
	out[11] = '\0';
	return 0;
}

int
mfa_recovery_format(const unsigned char *raw, size_t n, char *out,
    size_t outlen)
{
	char c[MFA_RECOVERY_CHARS + 1];
	size_t i;

	if (n != MFA_RECOVERY_CHARS || outlen < MFA_RECOVERY_BUF)
		return -1;
	for (i = 0; i < n; i++)
		c[i] = recovery_alphabet[raw[i] & 31];
	c[n] = '\0';
	return mfa_recovery_parse(c, out, outlen);
}

int
mfa_base32(const unsigned char *secret, size_t n, char *out, size_t outlen)
{
	char *b = NULL;
	size_t len = 0;
	int rc = -1;

	if (oath_base32_encode((const char *)secret, n, &b, &len) != OATH_OK)
		return -1;
	/* liboath pads with '='; authenticator apps want none. */
	while (len > 0 && b[len - 1] == '=')
		len--;
	if (len + 1 > outlen)
		goto out;
	memcpy(out, b, len);
	out[len] = '\0';
	rc = 0;
out:
	if (b != NULL) {
		sodium_memzero(b, strlen(b));
		free(b);
	}
	return rc;
}

int
mfa_otpauth_uri(const char *username, const char *b32, char *out,
    size_t outlen)
{
	char label[3 * 64 + 1];
	size_t i, j = 0;
	unsigned char ch;
	int n;

	/* The label is "Issuer:username", the username percent-encoded
	 * beyond letters, digits, '.', '_' and '-'. */
	for (i = 0; username[i] != '\0'; i++) {
		ch = (unsigned char)username[i];
		if (j + 4 > sizeof(label))
			return -1;
		if (isalnum(ch) || ch == '.' || ch == '_' || ch == '-')
			label[j++] = (char)ch;
		else {
			n = snprintf(label + j, sizeof(label) - j, "%%%02X", ch);
			if (n != 3)
				return -1;
			j += 3;
		}
	}
	label[j] = '\0';
	n = snprintf(out, outlen, "otpauth://totp/" MFA_ISSUER ":%s?secret=%s"
	    "&issuer=" MFA_ISSUER "&algorithm=SHA1&digits=%d&period=%d", label,
	    b32, MFA_DIGITS, MFA_STEP_SECONDS);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int
mfa_totp_check(const unsigned char *secret, size_t n, time_t now,
    const char *code, uint64_t last_step, uint64_t *step)
{
	uint64_t counter = 0;
	int pos = 0;

	pthread_once(&oath_once, oath_start);
	if (!oath_ready || code == NULL || strlen(code) != MFA_DIGITS)
		return MFA_WRONG;
	if (oath_totp_validate3((const char *)secret, n, now, MFA_STEP_SECONDS,
	    0, MFA_WINDOW, &pos, &counter, code) < 0)
		return MFA_WRONG;
	if (counter <= last_step)
		return MFA_REPLAY;
	*step = counter;
	return 0;
}

/* ---- sealing and hashing ---------------------------------------------------- */

/* The sealing key: the server key's HMAC of a fixed label (a PRF, so a
 * key of its own that reveals nothing of the server key). */
static int
seal_key(unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
	char hex[65];
	size_t len = 0;
	int rc;

	if (auth_mac_hex("mfa|seal-key|v1", hex, sizeof(hex)) != 0)
		return -1;
	rc = sodium_hex2bin(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	    hex, 64, NULL, &len, NULL) == 0 &&
	    len == crypto_aead_xchacha20poly1305_ietf_KEYBYTES ? 0 : -1;
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int
mfa_seal(const char *ad, const unsigned char *secret, char *hex,
    size_t hexlen)
{
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned char box[SEAL_BYTES];
	unsigned long long clen = 0;
	int rc = -1;

	if (hexlen < 2 * SEAL_BYTES + 1 || seal_key(key) != 0)
		goto out;
	randombytes_buf(box, SEAL_NONCE);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(box + SEAL_NONCE, &clen,
	    secret, MFA_SECRET_BYTES, (const unsigned char *)ad, strlen(ad),
	    NULL, box, key) != 0)
		goto out;
	sodium_bin2hex(hex, hexlen, box, SEAL_BYTES);
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
mfa_unseal(const char *ad, const char *hex, unsigned char *secret)
{
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned char box[SEAL_BYTES];
	unsigned long long mlen = 0;
	size_t len = 0;
	int rc = -1;

	if (hex == NULL || sodium_hex2bin(box, sizeof(box), hex, strlen(hex),
	    NULL, &len, NULL) != 0 || len != SEAL_BYTES || seal_key(key) != 0)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &mlen, NULL,
	    box + SEAL_NONCE, SEAL_BYTES - SEAL_NONCE,
	    (const unsigned char *)ad, strlen(ad), box, key) != 0 ||
	    mlen != MFA_SECRET_BYTES)
		goto out;
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* Seal secret for uid into hex (2 * SEAL_BYTES + 1): bound to the user's
 * id. */
static int
seal(long uid, const unsigned char *secret, char *hex, size_t hexlen)
{
	char ad[ID_BUF];

	snprintf(ad, sizeof(ad), "%ld", uid);
	return mfa_seal(ad, secret, hex, hexlen);
}

/* Open uid's sealed secret into secret (MFA_SECRET_BYTES). */
static int
unseal(long uid, const char *hex, unsigned char *secret)
{
	char ad[ID_BUF];

	snprintf(ad, sizeof(ad), "%ld", uid);
	if (mfa_unseal(ad, hex, secret) != 0) {
		log_error("mfa", "the TOTP secret of user %ld does not open "
		    "(another server key?)", uid);
		return -1;
	}
	return 0;
}

/* The stored form of recovery code (normalised) for uid. */
static int
recovery_hash(long uid, const char *code, char *hex, size_t hexlen)
{
	char msg[64];

	if (snprintf(msg, sizeof(msg), "mfa|recovery|%ld|%s", uid, code) >=
	    (int)sizeof(msg))
		return -1;
	return auth_mac_hex(msg, hex, hexlen);
}

/* ---- the database ------------------------------------------------------------- */

/* One audit entry about user uid by actor (NULL: the user themselves when
 * self is set, else the operator), in the caller's transaction. */
static int
audit(struct db *db, long actor, const char *action, long uid)
{
	char aid[ID_BUF], sid[ID_BUF];
	const char *p[3] = { actor > 0 ? aid : NULL, action, sid };

	snprintf(aid, sizeof(aid), "%ld", actor);
	snprintf(sid, sizeof(sid), "%ld", uid);
	return db_cmd(db, "INSERT INTO audit_log (authority_id, user_id, action, "
	    "entity, entity_id) SELECT authority_id, $1::bigint, $2, 'user', id "
	    "FROM users WHERE id = $3", 3, p);
}

int
mfa_status(struct db *db, const struct auth_user *u, int *enrolled,
    int *required)
{
	char sid[ID_BUF];
	const char *p[1] = { sid };
	struct db_res r;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", u->id);
	/* An account signed in through the authority's identity provider
	 * has no local password: the provider's MFA is its second factor
	 * (docs/sso.md), so none is required here. */
	if (db_exec(db, &r, "SELECT EXISTS (SELECT 1 FROM mfa_totp m WHERE "
	    "m.user_id = u.id AND m.confirmed_at IS NOT NULL), (u.role IN "
	    "('manager', 'admin') OR a.mfa_required_for_everyone) AND NOT "
	    "EXISTS (SELECT 1 FROM oidc_identities o WHERE o.user_id = u.id) "
	    "FROM users u JOIN authorities a ON a.id = u.authority_id WHERE "
	    "u.id = $1", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		*enrolled = db_res_bool(&r, 0, 0);
		*required = db_res_bool(&r, 0, 1);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

static int
enrol_begin(struct db *db, const struct auth_user *u, char *b32,
    size_t b32len, int again)
{
	unsigned char secret[MFA_SECRET_BYTES];
	char sid[ID_BUF], sealed[2 * SEAL_BYTES + 1];
	const char *p[2] = { sid, sealed };
	struct db_res r;
	int rc = -1;

	db_res_init(&r);
	snprintf(sid, sizeof(sid), "%ld", u->id);
	/* Kept across reloads of the page, so an app set up from the first
	 * one still matches. */
	if (db_exec(db, &r, "SELECT secret_sealed, confirmed_at IS NOT NULL "
	    "FROM mfa_totp WHERE user_id = $1", 1, p) != 0)
		goto out;
	if (db_res_rows(&r) == 1 && db_res_bool(&r, 0, 1)) {
		rc = MFA_ENROLLED;
		goto out;
	}
	if (db_res_rows(&r) == 1) {
		if (unseal(u->id, db_res_get(&r, 0, 0), secret) != 0)
			goto out;
	} else {
		randombytes_buf(secret, sizeof(secret));
		db_res_free(&r);
		if (seal(u->id, secret, sealed, sizeof(sealed)) != 0 ||
		    db_exec(db, &r, "INSERT INTO mfa_totp (user_id, "
		    "secret_sealed) VALUES ($1, $2) ON CONFLICT (user_id) DO "
		    "NOTHING RETURNING user_id", 2, p) != 0)
			goto out;
		/* Another request of the same user's got there first: show
		 * theirs, or the two pages would disagree. */
		if (db_res_rows(&r) == 0) {
			rc = again ? -1 : enrol_begin(db, u, b32, b32len, 1);
			goto out;
		}
	}
	if (mfa_base32(secret, sizeof(secret), b32, b32len) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	db_res_free(&r);
	return rc;
}

int
mfa_enrol_begin(struct db *db, const struct auth_user *u, char *b32,
    size_t b32len)
{
	return enrol_begin(db, u, b32, b32len, 0);
}

/* A fresh recovery set for uid into codes, replacing the old one, in the
 * caller's transaction. */
static int
recovery_issue(struct db *db, long uid, struct mfa_codes *codes)
{
	unsigned char raw[MFA_RECOVERY_CHARS];
	char sid[ID_BUF], hash[65];
	const char *p[2] = { sid, hash };
	int i, rc = -1;

	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_cmd(db, "DELETE FROM mfa_recovery_codes WHERE user_id = $1", 1,
	    p) != 0)
		goto out;
	for (i = 0; i < MFA_RECOVERY_COUNT; i++) {
		randombytes_buf(raw, sizeof(raw));
		if (mfa_recovery_format(raw, sizeof(raw), codes->code[i],
		    sizeof(codes->code[i])) != 0 ||
		    recovery_hash(uid, codes->code[i], hash, sizeof(hash)) != 0 ||
		    db_cmd(db, "INSERT INTO mfa_recovery_codes (user_id, "
		    "code_hash) VALUES ($1, $2)", 2, p) != 0)
			goto out;
	}
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

/*
 * Check a TOTP code of uid against the stored secret (confirmed or not, as
 * confirmed says) and record its step, in the caller's transaction (the row
 * is locked). 0, MFA_WRONG, MFA_REPLAY, MFA_NOT_FOUND, -1.
 */
static int
totp_use(struct db *db, long uid, const char *code, int confirmed)
{
	unsigned char secret[MFA_SECRET_BYTES];
	char sid[ID_BUF], st[ID_BUF];
	const char *p[2] = { sid, st };
	struct db_res r;
	uint64_t step = 0;
	long last;
	int rc = -1;

	db_res_init(&r);
	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_exec(db, &r, confirmed ? "SELECT secret_sealed, last_step FROM "
	    "mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR "
	    "UPDATE" : "SELECT secret_sealed, last_step FROM mfa_totp WHERE "
	    "user_id = $1 AND confirmed_at IS NULL FOR UPDATE", 1, p) != 0)
		goto out;
	if (db_res_rows(&r) != 1) {
		rc = MFA_NOT_FOUND;
		goto out;
	}
	last = db_res_long(&r, 0, 1, 0);
	if (unseal(uid, db_res_get(&r, 0, 0), secret) != 0)
		goto out;
	if ((rc = mfa_totp_check(secret, sizeof(secret), time(NULL), code,
	    last < 0 ? 0 : (uint64_t)last, &step)) != 0)
		goto out;
	rc = -1;
	snprintf(st, sizeof(st), "%llu", (unsigned long long)step);
	if (db_cmd(db, "UPDATE mfa_totp SET last_step = $2::bigint WHERE "
	    "user_id = $1", 2, p) != 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	db_res_free(&r);
	return rc;
}

int
mfa_enrol_confirm(struct db *db, const struct auth_user *u, const char *code,
    struct mfa_codes *codes)
{
	char sid[ID_BUF];
	const char *p[1] = { sid };
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", u->id);
	if (db_begin(db) != 0)
		goto out;
	if ((rc = totp_use(db, u->id, code, 0)) != 0) {
		if (rc == MFA_NOT_FOUND)
			rc = MFA_ENROLLED;	/* or never begun: start again */
		else if (rc == MFA_REPLAY)
			rc = MFA_WRONG;
		goto out;
	}
	rc = -1;
	if (db_cmd(db, "UPDATE mfa_totp SET confirmed_at = now() WHERE "
	    "user_id = $1", 1, p) != 0 ||
	    recovery_issue(db, u->id, codes) != 0 ||
	    audit(db, u->id, "mfa.enrol", u->id) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_rollback(db);
	if (rc != 0)
		sodium_memzero(codes, sizeof(*codes));
	return rc;
}

/* Spend recovery code (normalised) of uid, in the caller's transaction:
 * 0 spent now, MFA_WRONG, -1. */
static int
recovery_use(struct db *db, long uid, const char *code)
{
	char sid[ID_BUF], hash[65];
	const char *p[2] = { sid, hash };
	struct db_res r;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", uid);
	if (recovery_hash(uid, code, hash, sizeof(hash)) != 0)
		return -1;
	/* The WHERE makes a second use, even a concurrent one, find nothing. */
	if (db_exec(db, &r, "UPDATE mfa_recovery_codes SET used_at = now() "
	    "WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL "
	    "RETURNING id", 2, p) != 0)
		return -1;
	rc = db_res_rows(&r) == 1 ? 0 : MFA_WRONG;
	db_res_free(&r);
	return rc;
}

int
mfa_verify(struct db *db, long uid, const char *code, int *recovery)
{
	char totp[MFA_DIGITS + 1], rec[MFA_RECOVERY_BUF];
	int rc = -1;

	*recovery = 0;
	if (db_begin(db) != 0)
		goto out;
	if (mfa_code_parse(code, totp, sizeof(totp)) == 0) {
		if ((rc = totp_use(db, uid, totp, 1)) == MFA_NOT_FOUND)
			rc = MFA_WRONG;
	} else if (mfa_recovery_parse(code, rec, sizeof(rec)) == 0) {
		if ((rc = recovery_use(db, uid, rec)) == 0) {
			*recovery = 1;
			rc = audit(db, uid, "mfa.recovery_used", uid);
		}
	} else
		rc = MFA_WRONG;
	if (rc != 0)
		goto out;
	rc = db_commit(db) == 0 ? 0 : -1;
out:
	db_rollback(db);
	sodium_memzero(totp, sizeof(totp));
	sodium_memzero(rec, sizeof(rec));
	return rc;
}

int
mfa_recovery_renew(struct db *db, const struct auth_user *u, const char *code,
    struct mfa_codes *codes)
{
	char totp[MFA_DIGITS + 1];
	int rc = MFA_WRONG;

	if (mfa_code_parse(code, totp, sizeof(totp)) != 0)
		goto out;
	if ((rc = db_begin(db)) != 0)
		goto out;
	if ((rc = totp_use(db, u->id, totp, 1)) != 0) {
		if (rc == MFA_NOT_FOUND)
			rc = MFA_WRONG;
		goto out;
	}
	rc = -1;
	if (recovery_issue(db, u->id, codes) != 0 ||
	    audit(db, u->id, "mfa.recovery_renew", u->id) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_rollback(db);
	if (rc != 0)
		sodium_memzero(codes, sizeof(*codes));
	return rc;
}

/* Delete uid's TOTP and recovery codes, in the caller's transaction. */
static int
forget(struct db *db, long uid)
{
	char sid[ID_BUF];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%ld", uid);
	return db_cmd(db, "DELETE FROM mfa_recovery_codes WHERE user_id = $1",
	    1, p) != 0 ||
	    db_cmd(db, "DELETE FROM mfa_pending WHERE user_id = $1", 1, p) != 0 ||
	    db_cmd(db, "DELETE FROM mfa_totp WHERE user_id = $1", 1, p) != 0 ?
	    -1 : 0;
}

int
mfa_disable(struct db *db, const struct auth_user *u, const char *code)
{
	char totp[MFA_DIGITS + 1];
	int enrolled = 0, required = 0, rc = -1;

	if (mfa_status(db, u, &enrolled, &required) != 0)
		return -1;
	if (required)
		return MFA_REQUIRED;
	if (mfa_code_parse(code, totp, sizeof(totp)) != 0)
		return MFA_WRONG;
	if (db_begin(db) != 0)
		goto out;
	if ((rc = totp_use(db, u->id, totp, 1)) != 0) {
		if (rc == MFA_NOT_FOUND)
			rc = MFA_WRONG;
		goto out;
	}
	rc = -1;
	if (forget(db, u->id) != 0 || audit(db, u->id, "mfa.disable",
	    u->id) != 0 || db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_rollback(db);
	return rc;
}

int
mfa_reset(struct db *db, const struct auth_user *actor, long uid)
{
	char sid[ID_BUF];
	const char *p[1] = { sid };
	struct db_res r;
	int rc = -1;

	db_res_init(&r);
	if (actor != NULL && actor->id == uid)
		return MFA_NOT_FOUND;	/* one's own: turn it off instead */
	snprintf(sid, sizeof(sid), "%ld", uid);
	if (db_begin(db) != 0 ||
	    db_exec(db, &r, "SELECT authority_id FROM users WHERE id = $1 FOR "
	    "UPDATE", 1, p) != 0)
		goto out;
	if (db_res_rows(&r) != 1 || (actor != NULL &&
	    db_res_long(&r, 0, 0, -1) != actor->authority_id)) {
		rc = MFA_NOT_FOUND;
		goto out;
	}
	/* Whoever holds a session holds it by the old factor: it ends. */
	if (forget(db, uid) != 0 ||
	    db_cmd(db, "DELETE FROM sessions WHERE user_id = $1", 1, p) != 0 ||
	    audit(db, actor != NULL ? actor->id : 0, "mfa.reset", uid) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_res_free(&r);
	db_rollback(db);
	return rc;
}

int
mfa_pending_create(struct db *db, long uid, char *token, size_t len)
{
	char hash[65], sid[ID_BUF];
	const char *p[2] = { hash, sid };

	snprintf(sid, sizeof(sid), "%ld", uid);
	if (auth_random_hex(token, len, AUTH_TOKEN_LEN / 2) != 0 ||
	    auth_hash_hex(token, hash, sizeof(hash)) != 0)
		return -1;
	/* Old ones of anybody go here, so the table stays small. */
	if (db_cmd(db, "DELETE FROM mfa_pending WHERE created_at < now() - "
	    "make_interval(secs => " STR_OF(MFA_PENDING_SECONDS) ")", 0,
	    NULL) != 0 ||
	    db_cmd(db, "INSERT INTO mfa_pending (id_hash, user_id) VALUES ($1, "
	    "$2)", 2, p) != 0)
		return -1;
	return 0;
}

int
mfa_pending_user(struct db *db, const char *token, long *uid)
{
	char hash[65];
	const char *p[1] = { hash };
	struct db_res r;
	int rc = 1;

	if (token == NULL || strlen(token) != AUTH_TOKEN_LEN)
		return 1;
	if (auth_hash_hex(token, hash, sizeof(hash)) != 0 ||
	    db_exec(db, &r, "SELECT user_id FROM mfa_pending WHERE id_hash = $1 "
	    "AND created_at > now() - make_interval(secs => "
	    STR_OF(MFA_PENDING_SECONDS) ")", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		*uid = db_res_long(&r, 0, 0, 0);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

int
mfa_pending_take(struct db *db, const char *token)
{
	char hash[65];
	const char *p[1] = { hash };
	struct db_res r;
	int rc;

	if (token == NULL || auth_hash_hex(token, hash, sizeof(hash)) != 0 ||
	    db_exec(db, &r, "DELETE FROM mfa_pending WHERE id_hash = $1 "
	    "RETURNING user_id", 1, p) != 0)
		return -1;
	rc = db_res_rows(&r) == 1 ? 0 : 1;
	db_res_free(&r);
	return rc;
}
