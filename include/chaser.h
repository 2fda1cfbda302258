/*
 * chaser: the background job that chases a statutory agency which has not
 * accepted a meeting (issue 13, part 3; docs/chasers.md). Some hours before
 * the meeting (the authority's thresholds) it sends a reminder to the
 * agency's invitees; if still nobody has accepted some hours later it
 * escalates to the organisation's duty inbox with a request to send
 * someone, and tells the social worker. Every instance runs it: the
 * unique key of the chases table is the claim, so each chase is sent once
 * whatever the number of instances (as the outbox is). The emails go
 * through notice_queue (notice.h) and hold no child data: the agency, the
 * time, the case reference and a link behind sign-in.
 */
#ifndef CONVENE_CHASER_H
#define CONVENE_CHASER_H

#include <time.h>

struct db;

/* The thresholds an authority may set (authority.c checks them; sql/033
 * has the same bounds as CHECKs). */
#define CHASER_REMINDER_HOURS_MIN	1
#define CHASER_REMINDER_HOURS_MAX	168
#define CHASER_REMINDER_HOURS_DEF	24
#define CHASER_ESCALATION_HOURS_DEF	4
#define CHASER_SAME_DAY_REMINDER_MIN	2	/* minutes */
#define CHASER_SAME_DAY_REMINDER_MAX	1440
#define CHASER_SAME_DAY_REMINDER_DEF	60
#define CHASER_SAME_DAY_ESCALATION_DEF	30
/* Each escalation threshold is at least 1 and below its reminder's. */

#define CHASER_LOOK_MS		5000	/* between scans */
#define CHASER_RETRY_MS	30000	/* after a failed connection */
#define CHASER_BATCH		200	/* candidates a scan looks at */

struct chaser_thresholds {
	int	reminder_hours;
	int	escalation_hours;
	int	same_day_reminder_minutes;
	int	same_day_escalation_minutes;
};

struct chaser_due {
	int	same_day;	/* booked less than reminder_hours ahead */
	time_t	reminder_at;
	time_t	escalation_at;
};

enum chaser_step {
	CHASER_NOTHING,
	CHASER_REMIND,
	CHASER_ESCALATE
};

/*
 * When the chases of a meeting booked at booked and starting at starts
 * fall due. A meeting booked less than reminder_hours before it starts
 * uses the same-day minutes. Pure.
 */
void	 chaser_due_times(const struct chaser_thresholds *t, time_t booked,
	    time_t starts, struct chaser_due *out);

/*
 * What to send now for one agency that has not accepted: a reminder once
 * it is due, an escalation once it is due and a reminder went (in an
 * earlier scan), nothing after the start. Pure.
 */
enum chaser_step chaser_next(const struct chaser_due *d, time_t now,
	    time_t starts, int reminded, int escalated);

/*
 * One scan over the meetings that may need chasing: claims and sends what
 * is due, each claim its own transaction. The number of chases sent, or
 * -1 when the database failed (logged).
 */
int	 chaser_run(struct db *db);

/* The thread that scans every CHASER_LOOK_MS. */
int	 chaser_start(const char *conninfo);
void	 chaser_stop(void);

#endif
