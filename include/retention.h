/*
 * retention: the daily job that removes what Convene keeps only for
 * delivery or diagnosis once it has served, and closed records where the
 * authority sets a retention period (sql/022_retention.sql says what each
 * step removes; docs/security.md "Retention"). One instance at a time: a
 * session advisory lock; a run that finds it held does nothing.
 */
#ifndef CONVENE_RETENTION_H
#define CONVENE_RETENTION_H

struct db;

#define RETENTION_MAIL_DAYS	30	/* sent invite bodies and .eml files */
#define RETENTION_ITIP_DAYS	90	/* raw bytes of received replies */
#define RETENTION_DAYS_MAX	3650
#define RETENTION_BATCH		500	/* rows a statement removes */
#define RETENTION_CASES_MAX	1000	/* cases one run deletes */
#define RETENTION_LOOK_MS	(10 * 60 * 1000)	/* between "is a run due?" */
#define RETENTION_RETRY_MS	(60 * 1000)	/* after a failed connection */

struct retention_cfg {
	char	data_dir[512];		/* .eml files under DATA_DIR/outbox */
	int	mail_days;
	int	itip_days;
};

struct retention_counts {
	long	mail_bodies;		/* outbox bodies and their .eml files */
	long	itip_raw;
	long	sessions;
	long	cases;
};

/* One run now, whether due or not: 0 done (counts set), 1 another
 * instance is running one, -1 error (logged; what was done stays). */
int	 retention_run(struct db *db, const struct retention_cfg *cfg,
	    struct retention_counts *n);
/* The thread that runs it when the last run is a day old. */
int	 retention_start(const char *conninfo, const struct retention_cfg *cfg);
void	 retention_stop(void);

#endif
