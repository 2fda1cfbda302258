/*
 * auth: password and token handling on libsodium, and the user records they
 * resolve to. Nothing here logs a password, a token or a hash.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "str.h"

#define USER_COLUMNS \
	"u.id, u.authority_id, coalesce(u.team_id, 0), u.role, u.username, " \
	"u.display_name, coalesce(t.name, ''), u.must_change_password"

/* A valid hash to verify against when the user does not exist. */
static char dummy_hash[crypto_pwhash_STRBYTES];

/* The server's signing key (server_keys 'signin'), shared by instances. */
static unsigned char server_key[crypto_auth_KEYBYTES];
static int server_key_set;

int
auth_init(void)
{
	if (sodium_init() < 0)
		return -1;
	return auth_password_hash("not a real password", dummy_hash,
	    sizeof(dummy_hash));
}

const char *
auth_role_name(enum auth_role r)
{
	switch (r) {
	case ROLE_SOCIAL_WORKER: return "social_worker";
	case ROLE_MANAGER: return "manager";
	case ROLE_ADMIN: return "admin";
	case ROLE_MAIL_GATEWAY: return "mail_gateway";
	}
	return "unknown";
}

int
auth_role_parse(const char *s, enum auth_role *out)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "social_worker") == 0)
		*out = ROLE_SOCIAL_WORKER;
	else if (strcmp(s, "manager") == 0)
		*out = ROLE_MANAGER;
	else if (strcmp(s, "admin") == 0)
		*out = ROLE_ADMIN;
	else if (strcmp(s, "mail_gateway") == 0)
		*out = ROLE_MAIL_GATEWAY;
	else
		return -1;
	return 0;
}

int
auth_password_hash(const char *pw, char *out, size_t outlen)
{
	if (outlen < crypto_pwhash_STRBYTES)
		return -1;
	/* Interactive limits: a sign-in costs ~50 ms and 64 MiB at most. */
	return crypto_pwhash_str_alg(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

int
auth_password_verify(const char *hash, const char *pw)
{
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

int
auth_random_hex(char *out, size_t outlen, size_t n)
{
	unsigned char raw[64];

	if (n > sizeof(raw) || outlen < 2 * n + 1)
		return -1;
	randombytes_buf(raw, n);
	sodium_bin2hex(out, outlen, raw, n);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
auth_hash_hex(const char *s, char *out, size_t outlen)
{
	unsigned char h[32];

	if (outlen < 65)
		return -1;
	crypto_generichash(h, sizeof(h), (const unsigned char *)s, strlen(s),
	    NULL, 0);
	sodium_bin2hex(out, outlen, h, sizeof(h));
	return 0;
}

static int
fill_user(const struct db_res *r, struct auth_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = db_res_long(r, 0, 0, 0);
	u->authority_id = db_res_long(r, 0, 1, 0);
	u->team_id = db_res_long(r, 0, 2, 0);
	if (auth_role_parse(db_res_get(r, 0, 3), &u->role) != 0)
		return -1;
	str_copy(u->username, db_res_get(r, 0, 4), sizeof(u->username));
	str_copy(u->display_name, db_res_get(r, 0, 5), sizeof(u->display_name));
	str_copy(u->team_name, db_res_get(r, 0, 6), sizeof(u->team_name));
	u->must_change_password = db_res_bool(r, 0, 7);
	return 0;
}

int
auth_user_load(struct db *db, long id, struct auth_user *u)
{
	struct db_res r;
	char sid[24];
	const char *p[1] = { sid };
	int rc = -1;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT " USER_COLUMNS " FROM users u LEFT JOIN "
	    "teams t ON t.id = u.team_id WHERE u.id = $1 AND u.active", 1,
	    p) != 0)
		return -1;
	if (db_res_rows(&r) == 0)
		rc = 1;
	else
		rc = fill_user(&r, u);
	db_res_free(&r);
	return rc;
}

int
auth_token_lookup(struct db *db, const char *token, struct auth_user *u)
{
	struct db_res r;
	char hash[65];
	const char *p[1] = { hash };
	int rc;

	if (strlen(token) != AUTH_TOKEN_LEN)
		return 1;
	if (auth_hash_hex(token, hash, sizeof(hash)) != 0)
		return -1;
	if (db_exec(db, &r, "SELECT " USER_COLUMNS " FROM api_tokens k "
	    "JOIN users u ON u.id = k.user_id LEFT JOIN teams t ON "
	    "t.id = u.team_id WHERE k.token_hash = $1 AND k.revoked_at IS NULL "
	    "AND k.expires_at > now() AND u.active", 1, p) != 0)
		return -1;
	rc = db_res_rows(&r) == 0 ? 1 : fill_user(&r, u);
	db_res_free(&r);
	return rc;
}

int
auth_login(struct db *db, const char *username, const char *pw,
    struct auth_user *u)
{
	struct db_res r;
	const char *p[1] = { username };
	int rc = 1;

	if (db_exec(db, &r, "SELECT " USER_COLUMNS ", u.password_hash FROM "
	    "users u LEFT JOIN teams t ON t.id = u.team_id WHERE "
	    "lower(u.username) = lower($1) AND u.active", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 0) {
		(void)auth_password_verify(dummy_hash, pw);
		goto out;
	}
	if (!auth_password_verify(db_res_get(&r, 0, 8), pw))
		goto out;
	rc = fill_user(&r, u) == 0 ? 0 : -1;
out:
	db_res_free(&r);
	return rc;
}

/* Return the id of the named row, inserting it when missing. When another
 * transaction inserted it while ours waited, the insert statement's snapshot
 * cannot see the row; a second statement (lookup) can. */
static long
upsert_id(struct db *db, const char *sql, const char *lookup, int n,
    const char *const *p)
{
	struct db_res r;
	long id = -1;

	if (db_exec(db, &r, sql, n, p) == 0 && db_res_rows(&r) == 1)
		id = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	if (id < 0 && db_exec(db, &r, lookup, n, p) == 0 &&
	    db_res_rows(&r) == 1)
		id = db_res_long(&r, 0, 0, -1);
	db_res_free(&r);
	return id;
}

int
auth_user_add(struct db *db, const char *username, enum auth_role role,
    const char *team, const char *authority, char *pw, size_t pwlen)
{
	char hash[crypto_pwhash_STRBYTES], aid[24], tid[24];
	const char *p[6];
	long authority_id, team_id = 0;
	int rc = -1;

	if (auth_random_hex(pw, pwlen, 12) != 0 ||
	    auth_password_hash(pw, hash, sizeof(hash)) != 0 || db_begin(db))
		return -1;
	p[0] = authority;
	authority_id = upsert_id(db, "WITH i AS (INSERT INTO authorities (code, "
	    "name) VALUES ($1, $1) ON CONFLICT (code) DO NOTHING RETURNING id) "
	    "SELECT id FROM i UNION ALL SELECT id FROM authorities WHERE "
	    "code = $1 LIMIT 1",
	    "SELECT id FROM authorities WHERE code = $1", 1, p);
	if (authority_id < 0)
		goto out;
	snprintf(aid, sizeof(aid), "%ld", authority_id);
	if (team != NULL) {
		p[0] = aid;
		p[1] = team;
		team_id = upsert_id(db, "WITH i AS (INSERT INTO teams "
		    "(authority_id, name) VALUES ($1, $2) ON CONFLICT DO "
		    "NOTHING RETURNING id) SELECT id FROM i UNION ALL SELECT id "
		    "FROM teams WHERE authority_id = $1 AND name = $2 LIMIT 1",
		    "SELECT id FROM teams WHERE authority_id = $1 AND name = $2",
		    2, p);
		if (team_id < 0)
			goto out;
	}
	snprintf(tid, sizeof(tid), "%ld", team_id);
	p[0] = aid;
	p[1] = team_id ? tid : NULL;
	p[2] = username;
	p[3] = auth_role_name(role);
	p[4] = hash;
	if (db_cmd(db, "INSERT INTO users (authority_id, team_id, username, "
	    "display_name, role, password_hash) VALUES ($1, $2, $3, $3, $4, $5)",
	    5, p) != 0) {
		rc = strcmp(db_last_sqlstate(), "23505") == 0 ? 1 : -1;
		goto out;
	}
	p[0] = username;
	if (db_cmd(db, "INSERT INTO audit_log (authority_id, action, entity, "
	    "entity_id, after) SELECT authority_id, 'user.create', 'user', id, "
	    "jsonb_build_object('username', username, 'role', role, 'team_id', "
	    "team_id) FROM users WHERE lower(username) = lower($1)", 1,
	    p) != 0 ||
	    db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_rollback(db);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
auth_token_create(struct db *db, const char *username, int days,
    const char *label, char *out, size_t outlen, long *id)
{
	char hash[65], sdays[16];
	const char *p[4] = { hash, username, sdays, label ? label : "" };
	struct db_res r;
	int rc = -1;

	db_res_init(&r);
	if (days < 1 || days > AUTH_TOKEN_DAYS_MAX)
		return -1;
	snprintf(sdays, sizeof(sdays), "%d", days);
	if (auth_random_hex(out, outlen, AUTH_TOKEN_LEN / 2) != 0 ||
	    auth_hash_hex(out, hash, sizeof(hash)) != 0 || db_begin(db) != 0)
		return -1;
	if (db_exec(db, &r, "INSERT INTO api_tokens (user_id, token_hash, "
	    "expires_at, label) SELECT id, $1, now() + make_interval(days => "
	    "$3::int), $4 FROM users WHERE lower(username) = lower($2) AND "
	    "active RETURNING user_id, id", 4, p) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		rc = 1;
		goto out;
	}
	p[0] = db_res_get(&r, 0, 0);
	p[1] = db_res_get(&r, 0, 1);
	if (db_cmd(db, "INSERT INTO audit_log (authority_id, user_id, action, "
	    "entity, entity_id, after) SELECT authority_id, id, 'token.create', "
	    "'user', id, jsonb_build_object('token_id', $2::bigint) FROM users "
	    "WHERE id = $1", 2, p) != 0)
		goto out;
	if (id != NULL)
		*id = db_res_long(&r, 0, 1, 0);
	if (db_commit(db) != 0)
		goto out;
	rc = 0;
out:
	db_res_free(&r);
	db_rollback(db);
	if (rc != 0)
		sodium_memzero(out, outlen);
	return rc;
}

int
auth_key_init(struct db *db)
{
	char hex[crypto_auth_KEYBYTES * 2 + 1];
	const char *p[1] = { hex };
	struct db_res r;
	size_t len = 0;
	int rc = -1;

	if (auth_random_hex(hex, sizeof(hex), crypto_auth_KEYBYTES) != 0)
		return -1;
	/* The first instance's key wins; the others read it. */
	if (db_cmd(db, "INSERT INTO server_keys (name, key_hex) VALUES "
	    "('signin', $1) ON CONFLICT (name) DO NOTHING", 1, p) != 0 ||
	    db_exec(db, &r, "SELECT key_hex FROM server_keys WHERE name = "
	    "'signin'", 0, NULL) != 0)
		goto out;
	if (db_res_rows(&r) == 1 && sodium_hex2bin(server_key,
	    sizeof(server_key), db_res_get(&r, 0, 0), 2 * sizeof(server_key),
	    NULL, &len, NULL) == 0 && len == sizeof(server_key)) {
		server_key_set = 1;
		rc = 0;
	}
	db_res_free(&r);
out:
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int
auth_mac_hex(const char *msg, char *out, size_t outlen)
{
	unsigned char mac[crypto_auth_BYTES];

	if (!server_key_set || outlen < 2 * sizeof(mac) + 1)
		return -1;
	crypto_auth(mac, (const unsigned char *)msg, strlen(msg), server_key);
	sodium_bin2hex(out, outlen, mac, sizeof(mac));
	return 0;
}

int
auth_mac_ok(const char *msg, const char *mac_hex)
{
	unsigned char mac[crypto_auth_BYTES];
	size_t len = 0;

	if (!server_key_set || mac_hex == NULL ||
	    strlen(mac_hex) != 2 * sizeof(mac) ||
	    sodium_hex2bin(mac, sizeof(mac), mac_hex, strlen(mac_hex), NULL,
	    &len, NULL) != 0 || len != sizeof(mac))
		return 0;
	return crypto_auth_verify(mac, (const unsigned char *)msg, strlen(msg),
	    server_key) == 0;
}
