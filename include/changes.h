/*
 * changes: one database connection that LISTENs for the notifications the
 * database sends when data shown in calendar feeds changes (sql/006, by
 * triggers, so a change made through any instance or by SQL is seen), and
 * turns them into a generation number. A cache entry is valid while the
 * generation it was built at is still current; losing the connection moves
 * the generation and disables caching until it is back, so a change missed
 * while disconnected can never leave a stale entry in use.
 */
#ifndef CONVENE_CHANGES_H
#define CONVENE_CHANGES_H

#include <stdint.h>

#define CHANGES_CHANNEL		"convene_feed"
#define CHANGES_POLL_MS		250	/* how often the thread checks stop */
#define CHANGES_RETRY_MS	1000	/* between reconnection attempts */
#define CHANGES_TOKENS		"tokens" /* payload: a feed token changed
					    (sql/039) */

/* Start the listener thread on conninfo. 0 on success (connected or not:
 * it keeps trying), -1 when the thread could not start. */
int	 changes_start(const char *conninfo);
void	 changes_stop(void);
/*
 * Two counters. data moves on every change to what feeds show; tokens
 * moves when feed tokens change (revocation) and whenever the listener
 * connects or disconnects, and it moves data too. A cache may serve an
 * entry built at an older data generation for a moment (feed.h,
 * FEED_FRESH_MS) but never one built at an older tokens generation.
 */
struct changes_gen {
	uint64_t	 data;
	uint64_t	 tokens;
};

/* The current generations in *g, 0 while listening; -1 while not, when
 * nothing may be served from a cache. */
int	 changes_generation(struct changes_gen *g);
/* Move the data generation (used by tests and after a local change). */
void	 changes_bump(void);
/* Move both (a feed token changed here). */
void	 changes_bump_tokens(void);

#endif
