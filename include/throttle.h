/*
 * throttle: sign-in budgets, kept in PostgreSQL so every instance applies
 * the same ones. Two token buckets per attempt: one for the client address
 * (every account it tries) and one for the account at that address. No
 * budget is kept per account alone, so failures from elsewhere never stop
 * the account's owner from signing in (docs/security.md).
 */
#ifndef CONVENE_THROTTLE_H
#define CONVENE_THROTTLE_H

struct db;

#define THROTTLE_CLIENT_BURST	20	/* failed sign-ins a client may make */
#define THROTTLE_CLIENT_EVERY	30	/* seconds to earn one more */
#define THROTTLE_ACCOUNT_BURST	5	/* per account, per client */
#define THROTTLE_ACCOUNT_EVERY	60
#define THROTTLE_KEY_MAX	160

/*
 * Take one attempt from the budgets of client (http_client_addr) and of
 * username at client, in one transaction. 0 when taken; 1 when either is
 * spent (nothing taken; *retry_after is the whole seconds until the
 * attempt would be allowed); -1 on a database error.
 */
int	 throttle_take(struct db *db, const char *client, const char *username,
	    long *retry_after);
/* Give back what throttle_take took: the password was right. */
void	 throttle_refund(struct db *db, const char *client,
	    const char *username);

#endif
