/*
 * outbox: the transactional outbox of invite emails (table outbox, sql/004).
 * Rows are added inside the transaction that changes a meeting; delivery
 * workers claim due rows one at a time with FOR UPDATE SKIP LOCKED, so any
 * number of instances share the work and each message is sent once. A
 * claim is a lease (status 'sending', locked_until): a worker that dies
 * mid-send leaves a row that is claimed again when the lease runs out.
 */
#ifndef CONVENE_OUTBOX_H
#define CONVENE_OUTBOX_H

#include <stddef.h>

#include <jansson.h>

#define OUTBOX_MAX_ATTEMPTS	16	/* then 'failed' (about 4 hours) */
#define OUTBOX_BACKOFF_BASE	5	/* seconds after the first failure */
#define OUTBOX_BACKOFF_CAP	1800	/* seconds between attempts, at most */
#define OUTBOX_LEASE		600	/* seconds a claim lasts */

struct db;

struct outbox_item {
	long	 id;
	long	 attempts;	/* including this one */
	char	 recipient[256];
	char	*message;	/* owned; outbox_item_free */
	size_t	 len;
};

#define OUTBOX_ROWS_PER_INSERT	6	/* rows per INSERT statement (outbox.c) */

/* One message to queue; the strings are the caller's. */
struct outbox_row {
	long		 discussion;
	long		 participant;	/* 0: none */
	const char	*kind;
	const char	*method;
	long		 sequence;
	const char	*recipient;
	const char	*message_id;
	const char	*message;
};

/* Add n messages, in order, in the caller's transaction (deferred, db.h:
 * a failure shows at the next statement or the COMMIT). 0 on success. */
int	 outbox_add_many(struct db *db, const struct outbox_row *rows,
	    size_t n);
/* Add one message (in the caller's transaction). participant may be 0. */
int	 outbox_add(struct db *db, long discussion, long participant,
	    const char *kind, const char *method, long sequence,
	    const char *recipient, const char *message_id,
	    const char *message);

/* Claim the next due message: 1 claimed (it filled), 0 nothing due, -1
 * error. Runs as its own statement: call outside a transaction. */
int	 outbox_claim(struct db *db, struct outbox_item *it);
void	 outbox_item_free(struct outbox_item *it);

/* The claimed message was delivered. 0 on success. */
int	 outbox_sent(struct db *db, long id);
/* Delivery failed: schedule the next attempt after outbox_backoff(), or
 * mark it failed when permanent or after OUTBOX_MAX_ATTEMPTS. err must
 * hold no personal data. 0 on success. */
int	 outbox_failed(struct db *db, long id, long attempts, int permanent,
	    const char *err);

/* Seconds to wait after the n-th failed attempt (n >= 1): BASE * 2^(n-1),
 * capped at OUTBOX_BACKOFF_CAP. */
long	 outbox_backoff(long n);

/* {"counts": {"queued":..,"sending":..,"sent":..,"failed":..},
 *  "messages": [...]} for one meeting. NULL on error. */
json_t	*outbox_deliveries(struct db *db, long discussion);

#endif
