/*
 * stats_fold: applies the statistics queue (sql/020_stats_fold.sql) off the
 * commit path. A thread with its own connection folds queued cases a few at
 * a time, as soon as they are committed; a statistics read folds whatever is
 * still queued first, so what it shows includes every acknowledged write.
 * After a fold that found work, the same thread sums the meeting list's
 * kept totals (sql/042_list_totals.sql) so that a list reads a few rows.
 */
#ifndef CONVENE_STATS_FOLD_H
#define CONVENE_STATS_FOLD_H

struct db;

#define STATS_FOLD_BATCH	256	/* cases per fold transaction (one set, sql/036) */
#define STATS_FOLD_IDLE_MS	500	/* between looks at an empty queue */
#define STATS_FOLD_GATHER_MS	250	/* after a fold of less than a batch */
#define STATS_FOLD_RETRY_MS	1000	/* between reconnection attempts */
#define STATS_FOLD_READ_MAX	100000	/* cases a read may fold */

/* Start the folding thread on conninfo: 0, or -1 when it could not start
 * (a lost connection is retried, not fatal). */
int	 stats_fold_start(const char *conninfo);
void	 stats_fold_stop(void);
/* Fold what is queued on db before a read; 0, or -1 (logged: the read
 * goes on with figures that may lag). */
int	 stats_fold_pending(struct db *db);

#endif
