/*
 * mfa: the second factor for local accounts: TOTP (RFC 6238, liboath) and
 * single-use recovery codes. Managers and admins must have it; an authority
 * can require it of everyone (authorities.mfa_required_for_everyone).
 *
 * Secrets: the TOTP secret is sealed (XChaCha20-Poly1305, libsodium) under a
 * key derived from the server key, with the user id as associated data.
 * Recovery codes are kept only as an HMAC under the server key, bound to the
 * user. Nothing here logs a secret or a code. API bearer tokens are not
 * touched: a token is already a second secret, made by a signed-in user.
 *
 * Every change is one transaction with its audit entry ("mfa.enrol",
 * "mfa.disable", "mfa.recovery_used", "mfa.recovery_renew", "mfa.reset").
 */
#ifndef CONVENE_MFA_H
#define CONVENE_MFA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct auth_user;
struct db;

#define MFA_DIGITS		6	/* digits in a TOTP code */
#define MFA_STEP_SECONDS	30	/* RFC 6238 time step */
#define MFA_WINDOW		1	/* steps accepted either side of now */
#define MFA_SECRET_BYTES	20	/* 160 bits, RFC 4226's recommendation */
#define MFA_SECRET_B32_MAX	40	/* base32 of the secret, with NUL */
#define MFA_RECOVERY_COUNT	10	/* codes in a set */
#define MFA_RECOVERY_CHARS	10	/* characters of a code, 5 bits each */
#define MFA_RECOVERY_BUF	(MFA_RECOVERY_CHARS + 2)	/* "XXXXX-XXXXX" */
#define MFA_PENDING_SECONDS	300	/* between password and code */
#define MFA_URI_MAX		300
#define MFA_ISSUER		"Convene"

/* Results besides 0 and -1 (database or library error). */
#define MFA_WRONG		1	/* not a current code for the user */
#define MFA_REPLAY		2	/* a code whose time step was used */
#define MFA_ENROLLED		3	/* already set up: nothing to begin */
#define MFA_NOT_FOUND		4	/* no such user (in the actor's scope) */
#define MFA_REQUIRED		5	/* may not be turned off */

/* A recovery code set, shown once. */
struct mfa_codes {
	char	 code[MFA_RECOVERY_COUNT][MFA_RECOVERY_BUF];
};

/* ---- pure functions (tests/unit/test_mfa.c) ------------------------------ */

/* A typed TOTP code: MFA_DIGITS digits, blanks ignored, into out (at least
 * MFA_DIGITS + 1 bytes). 0, or -1 when it is not one. */
int	 mfa_code_parse(const char *in, char *out, size_t outlen);
/* A typed recovery code: MFA_RECOVERY_CHARS of the code alphabet, any
 * case, blanks and hyphens ignored; written as "XXXXX-XXXXX" into out
 * (MFA_RECOVERY_BUF). 0, or -1. */
int	 mfa_recovery_parse(const char *in, char *out, size_t outlen);
/* A recovery code from MFA_RECOVERY_CHARS random bytes. 0, or -1. */
int	 mfa_recovery_format(const unsigned char *raw, size_t n, char *out,
	    size_t outlen);
/* Base32 (RFC 4648, no padding) of a secret. 0, or -1. */
int	 mfa_base32(const unsigned char *secret, size_t n, char *out,
	    size_t outlen);
/* The otpauth:// URI authenticator apps read (Key Uri Format). */
int	 mfa_otpauth_uri(const char *username, const char *b32, char *out,
	    size_t outlen);
/*
 * Check code against secret at time now, MFA_WINDOW steps either side.
 * Steps at or before last_step were used already. 0 with *step the matched
 * time step; MFA_WRONG; MFA_REPLAY.
 */
int	 mfa_totp_check(const unsigned char *secret, size_t n, time_t now,
	    const char *code, uint64_t last_step, uint64_t *step);

/* ---- the database ---------------------------------------------------------- */

/* Whether u has a confirmed TOTP (*enrolled) and must have one (*required:
 * a manager or admin, or everyone of an authority that says so). 0, -1. */
int	 mfa_status(struct db *db, const struct auth_user *u, int *enrolled,
	    int *required);
/*
 * The unconfirmed secret of u as base32 into b32 (MFA_SECRET_B32_MAX),
 * made now when there is none. MFA_ENROLLED when u has a confirmed one.
 */
int	 mfa_enrol_begin(struct db *db, const struct auth_user *u, char *b32,
	    size_t b32len);
/* Confirm u's unconfirmed secret with a first code; issues a recovery set
 * into codes. 0, MFA_WRONG, MFA_ENROLLED, -1. */
int	 mfa_enrol_confirm(struct db *db, const struct auth_user *u,
	    const char *code, struct mfa_codes *codes);
/*
 * The second step of a sign-in: a TOTP code (used once) or an unused
 * recovery code (then spent, and audited) of user uid. *recovery set when
 * a recovery code was used. 0, MFA_WRONG, MFA_REPLAY, -1.
 */
int	 mfa_verify(struct db *db, long uid, const char *code, int *recovery);
/* A new recovery set for u (the old one dies) after a current TOTP code. */
int	 mfa_recovery_renew(struct db *db, const struct auth_user *u,
	    const char *code, struct mfa_codes *codes);
/* Turn off u's TOTP after a current code; MFA_REQUIRED when u must have
 * it. */
int	 mfa_disable(struct db *db, const struct auth_user *u, const char *code);
/*
 * An admin's (actor, same authority, not themselves) or the operator's
 * (actor NULL) reset of uid: the TOTP and recovery codes go, the user's
 * sessions end, and the next sign-in enrols again. No secret is shown.
 */
int	 mfa_reset(struct db *db, const struct auth_user *actor, long uid);

/* Second-step state after a correct password: a random token (hex, for a
 * cookie, AUTH_TOKEN_LEN + 1 bytes) whose hash is kept. 0, -1. */
int	 mfa_pending_create(struct db *db, long uid, char *token, size_t len);
/* The user of a live pending token: 0 with *uid, 1 none or expired, -1. */
int	 mfa_pending_user(struct db *db, const char *token, long *uid);
/* Spend a pending token: 0 when this call deleted it, 1 gone, -1. */
int	 mfa_pending_take(struct db *db, const char *token);

/*
 * Seal a TOTP secret (MFA_SECRET_BYTES) under the server's sealing key,
 * bound to ad (the owner: "<user id>" for staff, "partner|<contact id>"
 * for partners, partner.c), into hex (MFA_SEALED_HEX_MAX); and open it.
 * 0 on success, -1 otherwise.
 */
#define MFA_SEALED_HEX_MAX	(2 * (24 + MFA_SECRET_BYTES + 16) + 1)
int	 mfa_seal(const char *ad, const unsigned char *secret, char *hex,
	    size_t hexlen);
int	 mfa_unseal(const char *ad, const char *hex, unsigned char *secret);

#endif
