/*
 * partner: pack tokens, one-time codes, partner sessions, the access
 * window and the view log (include/partner.h). The pure token functions
 * come first (tests/unit/test_partner.c), then the database ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "auth.h"
#include "db.h"
#include "meeting.h"
#include "mfa.h"
#include "model.h"
#include "log.h"
#include "notice.h"
#include "partner.h"
#include "str.h"

#define BODY_LEN	9	/* 'P', participant id (8 bytes) */
#define MAC_LEN		16	/* 128 bits of crypto_auth */
#define TOKEN_LEN	(BODY_LEN + MAC_LEN)

/* The partner session is alive: idle and absolute limits, in SQL. */
#define ALIVE \
	"s.last_seen_at > now() - make_interval(secs => $2::int) AND " \
	"s.created_at > now() - make_interval(secs => $3::int)"

/* The access window is open for discussion d of authority au. */
#define WINDOW_OPEN \
	"working_days_between((d.ends_at AT TIME ZONE 'Europe/London')" \
	"::date, (now() AT TIME ZONE 'Europe/London')::date) <= " \
	"au.partner_access_working_days"

/* ---- tokens ---------------------------------------------------------------- */

int
partner_token_build(const unsigned char key[RSVP_KEY_BYTES], long pid,
    char *out, size_t outlen)
{
	unsigned char t[TOKEN_LEN], mac[crypto_auth_BYTES];

	if (pid < 1 || outlen < sodium_base64_ENCODED_LEN(TOKEN_LEN,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	t[0] = 'P';
	str_put_be64(t + 1, (uint64_t)pid);
	crypto_auth(mac, t, BODY_LEN, key);
	memcpy(t + BODY_LEN, mac, MAC_LEN);
	if (sodium_bin2base64(out, outlen, t, sizeof(t),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL)
		return -1;
	return 0;
}

int
partner_token_verify(const unsigned char key[RSVP_KEY_BYTES],
    const char *token, long *pid)
{
	unsigned char t[TOKEN_LEN + 1], mac[crypto_auth_BYTES];
	char canon[PARTNER_TOKEN_MAX];
	const char *end = NULL;
	size_t len = 0, tlen;
	uint64_t id;

	if (token == NULL || (tlen = strlen(token)) == 0 ||
	    tlen >= PARTNER_TOKEN_MAX)
		return -1;
	if (sodium_base642bin(t, sizeof(t), token, tlen, NULL, &len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != token + tlen || len != TOKEN_LEN || t[0] != 'P')
		return -1;
	crypto_auth(mac, t, BODY_LEN, key);
	if (sodium_memcmp(mac, t + BODY_LEN, MAC_LEN) != 0)
		return -1;
	/* One spelling per token: unused low bits of the last character
	 * must be zero, so the token is the only string that verifies. */
	if (sodium_bin2base64(canon, sizeof(canon), t, TOKEN_LEN,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL ||
	    strcmp(canon, token) != 0)
		return -1;
	id = str_get_be64(t + 1);
	if (id < 1 || id > 9007199254740991ULL)
		return -1;
	*pid = (long)id;
	return 0;
}

int
partner_link(struct db *db, const char *base_url, long pid, char *out,
    size_t outlen)
{
	unsigned char key[RSVP_KEY_BYTES];
	char token[PARTNER_TOKEN_MAX];
	int n;

	if (rsvp_key(db, key) != 0 ||
	    partner_token_build(key, pid, token, sizeof(token)) != 0)
		return -1;
	n = snprintf(out, outlen, "%s/partner/%s", base_url, token);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- codes ----------------------------------------------------------------- */

int
partner_invitation(struct db *db, long pid, long *contact_id,
    long *discussion)
{
	char sid[24];
	const char *p[1] = { sid };
	struct db_res r;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", pid);
	if (db_exec(db, &r, "SELECT coalesce(contact_id, 0), discussion_id "
	    "FROM participants WHERE id = $1 AND removed_at IS NULL", 1,
	    p) != 0)
		return -1;
	if (db_res_rows(&r) == 0)
		rc = 1;
	else {
		*contact_id = db_res_long(&r, 0, 0, 0);
		*discussion = db_res_long(&r, 0, 1, 0);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

/* The HMAC of a code for contact cid into mac (65 bytes). */
static int
code_mac(long cid, const char *code, char *mac, size_t maclen)
{
	char msg[64];
	int n;

	n = snprintf(msg, sizeof(msg), "partner-code|%ld|%s", cid, code);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return auth_mac_hex(msg, mac, maclen);
}

static const char code_text[] =
    "Your sign-in code for the meeting pack in Convene is:\n"
    "\n"
    "    %s\n"
    "\n"
    "It works once, within 10 minutes, on the page that asked for it.\n"
    "\n"
    "If you did not ask for a code, someone may have your invitation link:\n"
    "they cannot sign in without this email. You can ignore it, or tell the\n"
    "social worker who invited you.\n"
    "\n"
    "Case details are shown only after signing in, never by email.\n";

int
partner_code_send(struct db *db, long contact_id, long discussion, long pid)
{
	char cid[24], secs[16], code[PARTNER_CODE_DIGITS + 1], mac[65];
	char text[1024];
	const char *p[3] = { cid, secs, mac };
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	snprintf(secs, sizeof(secs), "%d", PARTNER_CODE_SECONDS);
	snprintf(code, sizeof(code), "%06u",
	    (unsigned)randombytes_uniform(1000000));
	if (code_mac(contact_id, code, mac, sizeof(mac)) != 0 ||
	    snprintf(text, sizeof(text), code_text, code) >= (int)sizeof(text))
		goto out;
	/* The contact row's lock orders concurrent sends for one contact. */
	if (db_begin(db) != 0 || db_exec(db, &r, "SELECT c.email, (SELECT "
	    "count(*) FROM partner_codes k WHERE k.contact_id = c.id AND "
	    "k.created_at > now() - make_interval(secs => $2::int)) FROM "
	    "contacts c WHERE c.id = $1 AND c.active FOR UPDATE", 2, p) != 0)
		goto out;
	if (db_res_rows(&r) == 0)
		goto out;
	if (db_res_long(&r, 0, 1, 0) >= PARTNER_CODE_SENDS) {
		result = 1;
		goto out;
	}
	if (db_cmd(db, "INSERT INTO partner_codes (contact_id, code_mac, "
	    "expires_at) VALUES ($1, $3, now() + make_interval(secs => "
	    "$2::int))", 3, p) != 0 ||
	    notice_queue(db, discussion, pid, NOTICE_PARTNER_CODE,
	    db_res_get(&r, 0, 0), "Your sign-in code for Convene",
	    text) != 0 ||
	    db_commit(db) != 0)
		goto out;
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	sodium_memzero(code, sizeof(code));
	sodium_memzero(text, sizeof(text));
	return result;
}

/* 1 when s is exactly PARTNER_CODE_DIGITS digits. */
static int
code_shaped(const char *s)
{
	size_t i;

	for (i = 0; i < PARTNER_CODE_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[i] == '\0';
}

int
partner_code_check(struct db *db, long contact_id, const char *code)
{
	char cid[24], mac[65], kid[24], tries[16];
	const char *p[2] = { cid, tries }, *k[1] = { kid };
	struct db_res r;
	int result = -1, right;

	db_res_init(&r);
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	snprintf(tries, sizeof(tries), "%d", PARTNER_CODE_TRIES);
	if (code == NULL || !code_shaped(code))
		code = "";
	if (code_mac(contact_id, code, mac, sizeof(mac)) != 0)
		goto out;
	if (db_begin(db) != 0 || db_exec(db, &r, "SELECT id, code_mac FROM "
	    "partner_codes WHERE contact_id = $1 AND used_at IS NULL AND "
	    "expires_at > now() AND tries < $2::int ORDER BY created_at DESC "
	    "LIMIT 1 FOR UPDATE", 2, p) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		result = 1;
		goto out;
	}
	str_copy(kid, db_res_get(&r, 0, 0), sizeof(kid));
	right = code[0] != '\0' && sodium_memcmp(mac, db_res_get(&r, 0, 1),
	    64) == 0;
	if (db_cmd(db, right ? "UPDATE partner_codes SET used_at = now(), "
	    "tries = tries + 1 WHERE id = $1" : "UPDATE partner_codes SET "
	    "tries = tries + 1 WHERE id = $1", 1, k) != 0 ||
	    db_commit(db) != 0)
		goto out;
	result = right ? 0 : 1;
out:
	db_rollback(db);
	db_res_free(&r);
	sodium_memzero(mac, sizeof(mac));
	return result;
}

/* ---- sessions -------------------------------------------------------------- */

int
partner_session_create(struct db *db, long contact_id, const char *via,
    char *cookie, size_t cookielen, struct partner *pa)
{
	char token[AUTH_TOKEN_LEN + 1], hash[65], csrf[65], cid[24];
	const char *p[4] = { hash, cid, csrf, via };

	if (cookielen < sizeof(token) ||
	    auth_random_hex(token, sizeof(token), AUTH_TOKEN_LEN / 2) != 0 ||
	    auth_random_hex(csrf, sizeof(csrf), 32) != 0 ||
	    auth_hash_hex(token, hash, sizeof(hash)) != 0)
		return -1;
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	if (db_cmd(db, "INSERT INTO partner_sessions (id_hash, contact_id, "
	    "csrf, via) VALUES ($1, $2, $3, $4)", 4, p) != 0)
		return -1;
	memset(pa, 0, sizeof(*pa));
	pa->contact_id = contact_id;
	str_copy(pa->session_hash, hash, sizeof(pa->session_hash));
	str_copy(pa->csrf, csrf, sizeof(pa->csrf));
	str_copy(cookie, token, cookielen);
	return 0;
}

int
partner_session_load(struct db *db, const char *cookie, struct partner *pa)
{
	char hash[65], idle[16], max[16];
	const char *p[3] = { hash, idle, max };
	struct db_res r;
	int rc = 1;

	if (cookie == NULL || strlen(cookie) != AUTH_TOKEN_LEN || db == NULL)
		return 1;
	if (auth_hash_hex(cookie, hash, sizeof(hash)) != 0)
		return -1;
	snprintf(idle, sizeof(idle), "%d", PARTNER_IDLE_SECONDS);
	snprintf(max, sizeof(max), "%d", PARTNER_MAX_SECONDS);
	if (db_exec(db, &r, "SELECT s.contact_id, s.csrf, " ALIVE ", c.name, "
	    "o.agency FROM partner_sessions s JOIN contacts c ON c.id = "
	    "s.contact_id JOIN organisations o ON o.id = c.organisation_id "
	    "WHERE s.id_hash = $1 AND c.active", 3, p) != 0)
		return -1;
	if (db_res_rows(&r) == 0)
		goto out;
	if (!db_res_bool(&r, 0, 2)) {
		(void)db_cmd(db, "DELETE FROM partner_sessions WHERE "
		    "id_hash = $1", 1, p);
		goto out;
	}
	memset(pa, 0, sizeof(*pa));
	pa->contact_id = db_res_long(&r, 0, 0, 0);
	str_copy(pa->csrf, db_res_get(&r, 0, 1), sizeof(pa->csrf));
	str_copy(pa->name, db_res_get(&r, 0, 3), sizeof(pa->name));
	str_copy(pa->agency, db_res_get(&r, 0, 4), sizeof(pa->agency));
	str_copy(pa->session_hash, hash, sizeof(pa->session_hash));
	(void)db_cmd(db, "UPDATE partner_sessions SET last_seen_at = now() "
	    "WHERE id_hash = $1 AND last_seen_at < now() - interval '60 s'",
	    1, p);
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

void
partner_session_end(struct db *db, const struct partner *pa)
{
	const char *p[1];

	if (pa == NULL || pa->session_hash[0] == '\0')
		return;
	p[0] = pa->session_hash;
	(void)db_cmd(db, "DELETE FROM partner_sessions WHERE id_hash = $1", 1,
	    p);
}

int
partner_csrf_ok(const struct partner *pa, const char *token)
{
	size_t n;

	if (token == NULL || pa->csrf[0] == '\0' ||
	    (n = strlen(pa->csrf)) != strlen(token))
		return -1;
	return sodium_memcmp(token, pa->csrf, n) == 0 ? 0 : -1;
}

/* ---- access and the view log ----------------------------------------------- */

int
partner_access(struct db *db, long contact_id, long discussion, long *pid)
{
	char cid[24], did[24];
	const char *p[2] = { cid, did };
	struct db_res r;
	int rc = -1;

	snprintf(cid, sizeof(cid), "%ld", contact_id);
	snprintf(did, sizeof(did), "%ld", discussion);
	if (db_exec(db, &r, "SELECT min(p.id), bool_or(" WINDOW_OPEN ") "
	    "FROM participants p JOIN discussions d ON d.id = p.discussion_id "
	    "JOIN authorities au ON au.id = d.authority_id "
	    "WHERE p.contact_id = $1 AND p.discussion_id = $2 AND "
	    "p.removed_at IS NULL AND d.status <> 'cancelled'", 2, p) != 0)
		return -1;
	if (db_res_get(&r, 0, 0) == NULL)
		rc = 1;
	else if (!db_res_bool(&r, 0, 1))
		rc = 2;
	else {
		*pid = db_res_long(&r, 0, 0, 0);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

int
partner_view_log(struct db *db, long discussion, long contact_id,
    const char *page, const char *address)
{
	char did[24], cid[24], addr[65];
	const char *p[4] = { did, cid, page, addr };

	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	str_copy(addr, address != NULL ? address : "", sizeof(addr));
	return db_cmd(db, "INSERT INTO record_views (discussion_id, "
	    "contact_id, page, address) VALUES ($1, $2, $3, $4)", 4, p);
}

json_t *
partner_views_json(struct db *db, long discussion)
{
	char did[24], lim[16];
	const char *p[2] = { did, lim };
	struct db_res r;
	json_t *a = NULL;

	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(lim, sizeof(lim), "%d", PARTNER_VIEWS_MAX);
	if (db_exec(db, &r, "SELECT coalesce(json_agg(json_build_object("
	    "'who', c.name, 'organisation', o.name, 'agency', ag.name, "
	    "'page', CASE v.page WHEN 'pack' THEN 'Meeting pack' ELSE "
	    "'Record' END, 'when', to_char(v.viewed_at AT TIME ZONE "
	    "'Europe/London', 'FMDD FMMonth YYYY, HH24:MI:SS'), "
	    "'address', v.address) ORDER BY v.viewed_at DESC, v.id DESC), "
	    "'[]')::text FROM (SELECT * FROM record_views WHERE "
	    "discussion_id = $1 ORDER BY viewed_at DESC, id DESC LIMIT "
	    "$2::int) v JOIN contacts c ON c.id = v.contact_id "
	    "JOIN organisations o ON o.id = c.organisation_id "
	    "JOIN agencies ag ON ag.code = o.agency", 2, p) != 0)
		return NULL;
	a = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return a;
}

int
partner_views_view(struct db *db, long discussion, json_t *d)
{
	json_t *a = partner_views_json(db, discussion);

	if (a == NULL)
		return -1;
	json_object_set_new(d, "partner_views_any", json_boolean(
	    json_array_size(a) > 0));
	json_object_set_new(d, "partner_views", a);
	return 0;
}

json_t *
partner_meetings_json(struct db *db, long contact_id)
{
	char cid[24];
	const char *p[1] = { cid };
	struct db_res r;
	json_t *a = NULL;

	snprintf(cid, sizeof(cid), "%ld", contact_id);
	if (db_exec(db, &r, "SELECT coalesce(json_agg(json_build_object("
	    "'id', d.id, 'case_ref', c.case_ref, 'when', to_char(d.starts_at "
	    "AT TIME ZONE 'Europe/London', 'FMDay FMDD FMMonth YYYY, HH24:MI'))"
	    " ORDER BY d.starts_at DESC), '[]')::text FROM discussions d "
	    "JOIN cases c ON c.id = d.case_id JOIN authorities au ON "
	    "au.id = d.authority_id WHERE d.status <> 'cancelled' AND "
	    WINDOW_OPEN " AND EXISTS (SELECT 1 FROM participants p WHERE "
	    "p.discussion_id = d.id AND p.contact_id = $1 AND p.removed_at "
	    "IS NULL)", 1, p) != 0)
		return NULL;
	a = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return a;
}

long
partner_purge(struct db *db)
{
	char max[16];
	const char *p[1] = { max };
	struct db_res r;
	long n = -1;

	snprintf(max, sizeof(max), "%d", PARTNER_MAX_SECONDS);
	if (db_exec(db, &r, "WITH a AS (DELETE FROM partner_codes WHERE "
	    "expires_at < now() - interval '1 day' RETURNING 1), "
	    "b AS (DELETE FROM partner_sessions WHERE created_at < now() - "
	    "make_interval(secs => $1::int) RETURNING 1) "
	    "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)", 1,
	    p) != 0)
		return -1;
	n = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	return n;
}

/* ---- what a partner writes ------------------------------------------------- */

/* Lock discussion and say whether it is still open to partners' changes;
 * 0 with its record status in rstatus ("" when no record), else -1 with e
 * set. */
static int
lock_discussion(struct db *db, const char *did, char *rstatus, size_t len,
    struct verr *e)
{
	const char *p[1] = { did };
	struct db_res r;
	int rc = -1;

	if (db_exec(db, &r, "SELECT d.status, coalesce(r.status, '') FROM "
	    "discussions d LEFT JOIN records r ON r.discussion_id = d.id "
	    "WHERE d.id = $1 FOR UPDATE OF d", 1, p) != 0) {
		verr_set(e, 500, NULL, "database error");
		return -1;
	}
	if (db_res_rows(&r) == 0 ||
	    strcmp(db_res_get(&r, 0, 0), "cancelled") == 0)
		verr_set(e, 404, NULL, "there is no such discussion");
	else {
		str_copy(rstatus, db_res_get(&r, 0, 1), len);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

int
partner_information_add(struct db *db, long pid, long discussion,
    const struct partner *pa, const char *information, const char *checks,
    const char *from, struct verr *e)
{
	char did[24], sid[24], rstatus[32], max[16];
	const char *p[6] = { did, pa->agency, information, checks, from, max };
	const char *pp[1] = { sid };
	json_t *after = NULL;
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(sid, sizeof(sid), "%ld", pid);
	snprintf(max, sizeof(max), "%d", MODEL_MAX_AGENCY_INFO);
	if (db_begin(db) != 0) {
		verr_set(e, 500, NULL, "database error");
		goto out;
	}
	if (lock_discussion(db, did, rstatus, sizeof(rstatus), e) != 0)
		goto out;
	if (rstatus[0] != '\0' && strcmp(rstatus, "draft") != 0) {
		verr_set(e, 409, NULL, "the record has been submitted: send "
		    "anything more to the social worker");
		goto out;
	}
	if (db_exec(db, &r, "SELECT count(*) >= $2::int FROM "
	    "record_agency_information WHERE discussion_id = $1", 2,
	    (const char *[]){ did, max }) != 0)
		goto fail;
	if (db_res_bool(&r, 0, 0)) {
		verr_set(e, 409, NULL, "the record already holds %d agencies' "
		    "information: send yours to the social worker",
		    MODEL_MAX_AGENCY_INFO);
		goto out;
	}
	after = json_pack("{s:I, s:s, s:s, s:s}", "participant",
	    (json_int_t)pid, "agency", pa->agency, "checks", checks,
	    "received", "in_writing");
	/* A partner is not a user: the record's writer stays as it was. */
	if (after == NULL ||
	    db_cmd(db, "INSERT INTO records (discussion_id) VALUES ($1) ON "
	    "CONFLICT (discussion_id) DO NOTHING", 1, p) != 0 ||
	    db_cmd(db, "INSERT INTO record_agency_information (discussion_id, "
	    "position, agency, information, checks, received, from_whom) "
	    "VALUES ($1, (SELECT coalesce(max(position) + 1, 0) FROM "
	    "record_agency_information WHERE discussion_id = $1), $2, $3, $4, "
	    "'in_writing', $5)", 5, p) != 0 ||
	    db_cmd(db, "UPDATE participants SET attendance = 'contributed' "
	    "WHERE id = $1 AND attendance IS DISTINCT FROM 'attended'", 1,
	    pp) != 0 ||
	    audit_record(db, NULL, "partner.information", "discussion",
	    discussion, NULL, after) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	result = 0;
	goto out;
fail:
	verr_set(e, 500, NULL, "database error");
out:
	db_rollback(db);
	db_res_free(&r);
	json_decref(after);
	return result;
}

int
partner_reply(struct db *db, long pid, long discussion,
    enum rsvp_answer ans, const char *reason, struct verr *e)
{
	char did[24], sid[24], rstatus[32];
	const char *p[3] = { sid, rsvp_partstat(ans), reason };
	const char *d[1] = { did };
	json_t *after = NULL;
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(sid, sizeof(sid), "%ld", pid);
	if (db_begin(db) != 0) {
		verr_set(e, 500, NULL, "database error");
		goto out;
	}
	if (lock_discussion(db, did, rstatus, sizeof(rstatus), e) != 0)
		goto out;
	if (db_exec(db, &r, "SELECT status = 'scheduled' AND ends_at > now() "
	    "FROM discussions WHERE id = $1", 1, d) != 0)
		goto fail;
	if (!db_res_bool(&r, 0, 0)) {
		verr_set(e, 409, NULL, "this meeting is over: there is "
		    "nothing to reply to");
		goto out;
	}
	after = json_pack("{s:I, s:s, s:s}", "participant", (json_int_t)pid,
	    "partstat", rsvp_partstat(ans), "via", "meeting pack");
	if (after == NULL ||
	    db_cmd(db, "UPDATE participants SET partstat = $2, reply_reason = "
	    "$3, reply_dtstamp = now() WHERE id = $1", 3, p) != 0 ||
	    audit_record(db, NULL, "participant.reply", "discussion",
	    discussion, NULL, after) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	result = 0;
	goto out;
fail:
	verr_set(e, 500, NULL, "database error");
out:
	db_rollback(db);
	db_res_free(&r);
	json_decref(after);
	return result;
}

/* ---- the record: checks by partners, their actions -------------------------- */

static const char check_text[] =
    "The record of the strategy discussion for case %s has been written\n"
    "and is with a manager for authorisation.\n"
    "\n"
    "Please check that it is accurate. Open it here (you will be asked for\n"
    "a sign-in code, sent to this address):\n"
    "\n"
    "    %s\n"
    "\n"
    "Then confirm that it is accurate, or say what your agency disagrees\n"
    "with. The manager sees your answer before authorising the record.\n"
    "\n"
    "Case details are shown only after signing in, never by email.\n";

int
partner_record_check_queue(struct db *db, long discussion)
{
	char did[24], link[512], text[2048], subject[NOTICE_SUBJECT_MAX];
	const char *p[1] = { did };
	struct db_res r;
	int i, n, result = -1;

	snprintf(did, sizeof(did), "%ld", discussion);
	if (db_exec(db, &r, "SELECT p.id, p.email, c.case_ref FROM "
	    "participants p JOIN discussions d ON d.id = p.discussion_id "
	    "JOIN cases c ON c.id = d.case_id WHERE p.discussion_id = $1 AND "
	    "p.removed_at IS NULL AND p.contact_id IS NOT NULL AND "
	    "p.user_id IS NULL AND coalesce(p.email, '') <> '' ORDER BY p.id",
	    1, p) != 0)
		return -1;
	n = db_res_rows(&r);
	for (i = 0; i < n; i++) {
		if (partner_link(db, notice_base_url(), db_res_long(&r, i, 0, 0),
		    link, sizeof(link)) != 0 ||
		    snprintf(text, sizeof(text), check_text, db_res_get(&r, i,
		    2), link) >= (int)sizeof(text) ||
		    snprintf(subject, sizeof(subject), "Please check the record "
		    "of strategy discussion %s", db_res_get(&r, i, 2)) >=
		    (int)sizeof(subject) ||
		    notice_queue(db, discussion, db_res_long(&r, i, 0, 0),
		    NOTICE_RECORD_CHECK, db_res_get(&r, i, 1), subject,
		    text) != 0)
			goto out;
	}
	result = 0;
out:
	db_res_free(&r);
	return result;
}

int
partner_record_check(struct db *db, long pid, long discussion,
    const char *agency, int accurate, const char *about, struct verr *e)
{
	char did[24], sid[24], rstatus[32], max[16];
	const char *p[5] = { did, sid, accurate ? "accurate" : "dissent",
	    agency, about };
	json_t *after = NULL;
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(sid, sizeof(sid), "%ld", pid);
	snprintf(max, sizeof(max), "%d", MODEL_MAX_DISSENT);
	if (db_begin(db) != 0) {
		verr_set(e, 500, NULL, "database error");
		goto out;
	}
	if (lock_discussion(db, did, rstatus, sizeof(rstatus), e) != 0)
		goto out;
	if (strcmp(rstatus, "awaiting_authorisation") != 0) {
		verr_set(e, 409, NULL, "the record is not waiting for checks "
		    "now");
		goto out;
	}
	if (!accurate) {
		if (db_exec(db, &r, "SELECT count(*) >= $2::int FROM "
		    "record_dissent WHERE discussion_id = $1", 2,
		    (const char *[]){ did, max }) != 0)
			goto fail;
		if (db_res_bool(&r, 0, 0)) {
			verr_set(e, 409, NULL, "the record already holds %d "
			    "disagreements: tell the manager directly",
			    MODEL_MAX_DISSENT);
			goto out;
		}
	}
	after = json_pack("{s:I, s:s, s:s}", "participant", (json_int_t)pid,
	    "agency", agency, "answer", p[2]);
	if (after == NULL ||
	    db_cmd(db, "INSERT INTO record_checks (discussion_id, "
	    "participant_id, version, answer) SELECT $1, $2, r.version, $3 "
	    "FROM records r WHERE r.discussion_id = $1 ON CONFLICT "
	    "(discussion_id, participant_id, version) DO UPDATE SET answer = "
	    "EXCLUDED.answer, answered_at = now()", 3, p) != 0 ||
	    (!accurate && db_cmd(db, "INSERT INTO record_dissent "
	    "(discussion_id, position, agency, about) VALUES ($1, (SELECT "
	    "coalesce(max(position) + 1, 0) FROM record_dissent WHERE "
	    "discussion_id = $1), $2, $3)", 3, (const char *[]){ did, agency,
	    about }) != 0) ||
	    audit_record(db, NULL, "partner.record_check", "discussion",
	    discussion, NULL, after) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	result = 0;
	goto out;
fail:
	verr_set(e, 500, NULL, "database error");
out:
	db_rollback(db);
	db_res_free(&r);
	json_decref(after);
	return result;
}

int
partner_checks_view(struct db *db, long discussion, json_t *d)
{
	char did[24];
	const char *p[1] = { did };
	struct db_res r;
	json_t *a;

	snprintf(did, sizeof(did), "%ld", discussion);
	if (db_exec(db, &r, "SELECT coalesce(json_agg(json_build_object("
	    "'who', p.name, 'organisation', p.organisation, 'accurate', "
	    "k.answer = 'accurate', 'version', k.version, 'when', "
	    "to_char(k.answered_at AT TIME ZONE 'Europe/London', "
	    "'FMDD FMMonth YYYY, HH24:MI')) ORDER BY k.answered_at), "
	    "'[]')::text FROM record_checks k JOIN participants p ON p.id = "
	    "k.participant_id JOIN records r ON r.discussion_id = "
	    "k.discussion_id AND r.version = k.version WHERE "
	    "k.discussion_id = $1", 1, p) != 0)
		return -1;
	a = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	if (a == NULL)
		return -1;
	json_object_set_new(d, "partner_checks_any", json_boolean(
	    json_array_size(a) > 0));
	json_object_set_new(d, "partner_checks", a);
	return 0;
}

int
partner_action_done(struct db *db, long discussion, long action,
    const char *agency, struct verr *e)
{
	char did[24], aid[24];
	const char *p[3] = { aid, did, agency };
	json_t *after = NULL;
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(aid, sizeof(aid), "%ld", action);
	if (db_begin(db) != 0 || db_exec(db, &r, "UPDATE actions a SET status "
	    "= 'done', not_done_reason = NULL, status_by = NULL, status_at = "
	    "now() WHERE a.id = $1 AND a.discussion_id = $2 AND "
	    "a.status <> 'done' AND (a.owner_agency = $3 OR "
	    "a.owner_participant_id IN (SELECT id FROM participants WHERE "
	    "discussion_id = $2 AND agency = $3)) RETURNING a.id", 3,
	    p) != 0) {
		verr_set(e, 500, NULL, "database error");
		goto out;
	}
	if (db_res_rows(&r) == 0) {
		verr_set(e, 404, NULL, "your agency has no open action with "
		    "that number in this discussion");
		goto out;
	}
	after = json_pack("{s:I, s:s, s:s, s:s}", "action", (json_int_t)action,
	    "status", "done", "agency", agency, "via", "meeting pack");
	if (after == NULL || audit_record(db, NULL, "action.status",
	    "discussion", discussion, NULL, after) != 0 ||
	    db_commit(db) != 0) {
		verr_set(e, 500, NULL, "database error");
		goto out;
	}
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	json_decref(after);
	return result;
}

/* ---- TOTP instead of emailed codes ----------------------------------------- */

static void
totp_ad(long cid, char *ad, size_t len)
{
	snprintf(ad, len, "partner|%ld", cid);
}

int
partner_totp_enrolled(struct db *db, long contact_id)
{
	char cid[24];
	const char *p[1] = { cid };
	struct db_res r;
	int rc;

	snprintf(cid, sizeof(cid), "%ld", contact_id);
	if (db_exec(db, &r, "SELECT 1 FROM partner_totp WHERE contact_id = $1 "
	    "AND confirmed_at IS NOT NULL", 1, p) != 0)
		return -1;
	rc = db_res_rows(&r) > 0;
	db_res_free(&r);
	return rc;
}

int
partner_totp_begin(struct db *db, long contact_id, char *b32, size_t b32len)
{
	unsigned char secret[MFA_SECRET_BYTES];
	char cid[24], ad[40], sealed[MFA_SEALED_HEX_MAX];
	const char *p[2] = { cid, sealed };
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	totp_ad(contact_id, ad, sizeof(ad));
	randombytes_buf(secret, sizeof(secret));
	if (mfa_seal(ad, secret, sealed, sizeof(sealed)) != 0)
		goto out;
	/* The secret already begun (or confirmed) is kept, so a page shown
	 * again shows the secret the app already holds. */
	if (db_cmd(db, "INSERT INTO partner_totp (contact_id, secret_sealed) "
	    "VALUES ($1, $2) ON CONFLICT (contact_id) DO NOTHING", 2, p) != 0 ||
	    db_exec(db, &r, "SELECT secret_sealed, confirmed_at IS NOT NULL "
	    "FROM partner_totp WHERE contact_id = $1", 1, p) != 0 ||
	    db_res_rows(&r) != 1)
		goto out;
	if (db_res_bool(&r, 0, 1)) {
		result = 1;
		goto out;
	}
	if (mfa_unseal(ad, db_res_get(&r, 0, 0), secret) != 0 ||
	    mfa_base32(secret, sizeof(secret), b32, b32len) != 0)
		goto out;
	result = 0;
out:
	db_res_free(&r);
	sodium_memzero(secret, sizeof(secret));
	return result;
}

/* Check code against contact_id's secret (confirmed or not as asked),
 * spending its time step; in one transaction. 0 right, 1 wrong or
 * replayed (or no secret), -1 error. */
static int
totp_use(struct db *db, long contact_id, const char *code, int confirm)
{
	unsigned char secret[MFA_SECRET_BYTES];
	char cid[24], ad[40], st[24], digits[MFA_DIGITS + 1];
	const char *p[2] = { cid, st };
	struct db_res r;
	uint64_t step = 0;
	int result = -1;

	db_res_init(&r);
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	totp_ad(contact_id, ad, sizeof(ad));
	if (db_begin(db) != 0 || db_exec(db, &r, confirm ? "SELECT "
	    "secret_sealed, last_step FROM partner_totp WHERE contact_id = $1 "
	    "AND confirmed_at IS NULL FOR UPDATE" : "SELECT secret_sealed, "
	    "last_step FROM partner_totp WHERE contact_id = $1 AND "
	    "confirmed_at IS NOT NULL FOR UPDATE", 1, p) != 0)
		goto out;
	if (db_res_rows(&r) == 0 || mfa_code_parse(code, digits,
	    sizeof(digits)) != 0) {
		result = 1;
		goto out;
	}
	if (mfa_unseal(ad, db_res_get(&r, 0, 0), secret) != 0) {
		log_error("partner", "the TOTP secret of contact %ld does not "
		    "open", contact_id);
		goto out;
	}
	if (mfa_totp_check(secret, sizeof(secret), time(NULL), digits,
	    (uint64_t)db_res_long(&r, 0, 1, 0), &step) != 0) {
		result = 1;
		goto out;
	}
	snprintf(st, sizeof(st), "%llu", (unsigned long long)step);
	if (db_cmd(db, "UPDATE partner_totp SET last_step = $2::bigint, "
	    "confirmed_at = coalesce(confirmed_at, now()) WHERE contact_id = "
	    "$1", 2, p) != 0 || db_commit(db) != 0)
		goto out;
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	sodium_memzero(secret, sizeof(secret));
	return result;
}

int
partner_totp_confirm(struct db *db, long contact_id, const char *code)
{
	return totp_use(db, contact_id, code, 1);
}

int
partner_totp_check(struct db *db, long contact_id, const char *code)
{
	return totp_use(db, contact_id, code, 0);
}

int
partner_totp_reset(struct db *db, const struct auth_user *admin,
    long contact_id)
{
	char cid[24], aid[24];
	const char *p[2] = { cid, aid };
	json_t *after = NULL;
	struct db_res r;
	int result = -1;

	db_res_init(&r);
	snprintf(cid, sizeof(cid), "%ld", contact_id);
	snprintf(aid, sizeof(aid), "%ld", admin->authority_id);
	if (db_begin(db) != 0 || db_exec(db, &r, "DELETE FROM partner_totp t "
	    "USING contacts c WHERE t.contact_id = $1 AND c.id = t.contact_id "
	    "AND c.authority_id = $2 RETURNING t.contact_id", 2, p) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		result = 1;
		goto out;
	}
	after = json_pack("{s:I, s:b}", "contact", (json_int_t)contact_id,
	    "totp", 0);
	if (after == NULL || audit_record(db, admin, "partner.totp_reset",
	    "contact", contact_id, NULL, after) != 0 || db_commit(db) != 0)
		goto out;
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	json_decref(after);
	return result;
}
