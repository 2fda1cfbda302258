/*
 * account: the life of a staff account after it is made: deactivation and
 * reactivation, API tokens (expiry, list, revoke), changing one's own
 * password and an administrator's reset. Used by the API (account.c's
 * routes) and the command line (main.c). Every change is one transaction
 * with its audit entry.
 *
 * Authority: a caller (actor) is a signed-in user, or NULL for the command
 * line (the operator, who holds the database anyway). An admin acts only on
 * users of their own authority; nobody acts as another user (there is no
 * call that makes a token or a session for someone else, and only the
 * owner changes their password).
 */
#ifndef CONVENE_ACCOUNT_H
#define CONVENE_ACCOUNT_H

#include <stddef.h>

#include <jansson.h>

struct auth_user;
struct db;

#define ACCOUNT_PASSWORD_MIN	12	/* characters */
#define ACCOUNT_PASSWORD_MAX	256	/* bytes */
#define ACCOUNT_LABEL_MAX	100	/* a token's label, characters */

/* Results besides 0 and -1 (database error). */
#define ACCOUNT_NOT_FOUND	1	/* no such user/token in the scope */
#define ACCOUNT_REFUSED		2	/* e.g. an admin deactivating self */
#define ACCOUNT_WRONG_PASSWORD	3
#define ACCOUNT_WEAK_PASSWORD	4

/* The id of the user named (case-blind); 0 found, ACCOUNT_NOT_FOUND, -1. */
int	 account_find(struct db *db, const char *username, long *id);
/*
 * Deactivate (active 0) or reactivate user uid. Deactivating ends the
 * user's sessions and revokes their tokens in the same transaction, so the
 * next request with either gets 401. actor NULL: the command line;
 * otherwise uid must be in actor's authority and not actor.
 */
int	 account_set_active(struct db *db, const struct auth_user *actor,
	    long uid, int active);
/* The tokens of uid (newest first) as a JSON array (caller owns), each
 * {id, label, created_at, expires_at, revoked_at, state}; NULL on error. */
json_t	*account_tokens(struct db *db, long uid);
/*
 * Revoke token tid. owner > 0: it must belong to that user; authority > 0:
 * its user must be in that authority. Revoking a revoked token succeeds.
 */
int	 account_token_revoke(struct db *db, const struct auth_user *actor,
	    long tid, long owner, long authority);
/* Change u's own password after checking current; ends u's other sessions
 * (keeping keep_session, a session id hash, or NULL) and clears the
 * must-change flag. */
int	 account_password_change(struct db *db, const struct auth_user *u,
	    const char *current, const char *next, const char *keep_session);
/*
 * An admin's (or, actor NULL, the operator's) reset of uid: a new random
 * password written to pw (shown once), which must be changed at the next
 * sign-in; the user's sessions end and tokens are revoked.
 */
int	 account_password_reset(struct db *db, const struct auth_user *actor,
	    long uid, char *pw, size_t pwlen);
/* Users of authority (0: all) as a JSON array; NULL on error. */
json_t	*account_users(struct db *db, long authority);

#endif
