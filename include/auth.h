/*
 * auth: staff identities. Passwords are argon2id hashes (libsodium
 * crypto_pwhash_str); API tokens are 32 random bytes shown once, of which
 * only a BLAKE2b hash is stored.
 */
#ifndef CONVENE_AUTH_H
#define CONVENE_AUTH_H

#include <stddef.h>

struct db;

enum auth_role {
	ROLE_SOCIAL_WORKER	= 1 << 0,
	ROLE_MANAGER		= 1 << 1,
	ROLE_ADMIN		= 1 << 2,
	/* The deployment's mail gateway: only POST /api/v1/itip, for the
	 * meetings of every authority (one organiser mailbox serves them
	 * all). Signs in nowhere else (docs/security.md). */
	ROLE_MAIL_GATEWAY	= 1 << 3
};
#define ROLE_ANY	(ROLE_SOCIAL_WORKER | ROLE_MANAGER | ROLE_ADMIN)
#define ROLE_STAFF	(ROLE_SOCIAL_WORKER | ROLE_MANAGER)

#define AUTH_TOKEN_LEN	64	/* printable token length, hex */
#define AUTH_TOKEN_DAYS_DEFAULT	90	/* an API token's life */
#define AUTH_TOKEN_DAYS_MAX	366

struct auth_user {
	long		 id;
	long		 authority_id;
	long		 team_id;	/* 0 when none */
	enum auth_role	 role;
	char		 username[65];
	char		 display_name[201];
	char		 team_name[201];
	char		 session_id[65];	/* set when signed in by cookie */
	char		 csrf[65];		/* the session's CSRF token */
	int		 must_change_password;	/* reset by an admin */
	/* A session of someone who must have a second factor and has none
	 * yet: only enrolment is open (mfa.h, ROUTE_MFA_ENROL). */
	int		 mfa_enrol_needed;
};

int	 auth_init(void);	/* sodium_init; 0 on success */
const char *auth_role_name(enum auth_role r);
int	 auth_role_parse(const char *s, enum auth_role *out);

/* Hash a password into out (crypto_pwhash_STRBYTES). 0 on success. */
int	 auth_password_hash(const char *pw, char *out, size_t outlen);
/* 1 when pw matches the stored hash. */
int	 auth_password_verify(const char *hash, const char *pw);
/* Fill out with n random bytes as lowercase hex (outlen >= 2n+1). */
int	 auth_random_hex(char *out, size_t outlen, size_t n);
/* Hex BLAKE2b-256 of s, for storing tokens (outlen >= 65). */
int	 auth_hash_hex(const char *s, char *out, size_t outlen);

/* Load an active user by id; 0 found, 1 not found, -1 error. */
int	 auth_user_load(struct db *db, long id, struct auth_user *u);
/* Resolve a bearer token; 0 found, 1 not found/revoked, -1 error. */
int	 auth_token_lookup(struct db *db, const char *token, struct auth_user *u);
/* Resolve username + password; 0 match, 1 no match, -1 error. Spends the
 * same hashing time for unknown users, so timing does not reveal them. */
int	 auth_login(struct db *db, const char *username, const char *pw,
	    struct auth_user *u);

/*
 * Create a user (and team/authority when missing) and write a generated
 * password into pw. team may be NULL for admins. 0 on success, 1 when the
 * username exists, -1 on error.
 */
int	 auth_user_add(struct db *db, const char *username, enum auth_role role,
	    const char *team, const char *authority, char *pw, size_t pwlen);
/* Create an API token for username that expires after days (1 to
 * AUTH_TOKEN_DAYS_MAX), with an optional label; the token goes to out
 * (shown once), its id to *id (may be NULL). 0, 1 no such active user, -1. */
int	 auth_token_create(struct db *db, const char *username, int days,
	    const char *label, char *out, size_t outlen, long *id);

/* Load the server's signing key from the database, making it the first
 * time (every instance then shares it). 0 on success. */
int	 auth_key_init(struct db *db);
/* Hex HMAC (crypto_auth) of msg under the server key (outlen >= 65). */
int	 auth_mac_hex(const char *msg, char *out, size_t outlen);
/* 1 when mac_hex is msg's HMAC under the server key (constant time). */
int	 auth_mac_ok(const char *msg, const char *mac_hex);

#endif
