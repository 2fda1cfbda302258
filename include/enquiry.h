/*
 * enquiry: Section 47 enquiries, one per child, started by the authorised
 * decision of a strategy discussion (sql/027). Each has the clock of its
 * conference: 15 working days from the strategy discussion (bank holidays
 * counted), amber from day 10, red from day 13 and when overdue.
 */
#ifndef CONVENE_ENQUIRY_H
#define CONVENE_ENQUIRY_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;
struct workdays;

#define ENQUIRY_AMBER_DAY	10
#define ENQUIRY_RED_DAY		13
#define ENQUIRY_REASON_MAX	2000	/* sql/027 CHECK */
#define ENQUIRY_LIST_MAX	500

/* The clock's state: "held", "not_required", "overdue", "red", "amber" or
 * "ok"; day: working days since the discussion; due: the last day in time. */
struct enquiry_clock {
	const char	*state;
	long		 day;
	long		 due;
};

/* The clock of an enquiry started on day start, today, its conference held
 * (held) or not required. Pure: unit-tested. */
void	 enquiry_clock(const struct workdays *w, long start, long today,
	    int held, int not_required, struct enquiry_clock *c);

/* In the caller's transaction: make the enquiries of discussion id match
 * its decisions (one per child with a Section 47 decision; those no longer
 * so are removed). 0 or -1. */
int	 enquiry_sync(struct db *db, long id);

/* Enquiries u may see, with their clocks: open ones only unless all;
 * {"enquiries": [...]} (at most ENQUIRY_LIST_MAX, oldest first). */
int	 enquiry_list(struct db *db, const struct auth_user *u, int all,
	    json_t **out, struct verr *e);
int	 enquiry_get(struct db *db, const struct auth_user *u, long id,
	    json_t **out, struct verr *e);
/* PATCH: icpc_booked_for, icpc_held_on (dates or null), icpc_not_required
 * with not_required_reason (a manager). One transaction with its audit. */
int	 enquiry_update(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

#endif
