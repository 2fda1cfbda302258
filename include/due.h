/*
 * due: what is due from earlier discussions: the next reviews they set
 * (server/due.c). A held discussion's next review is due until a
 * discussion booked from it (reviews_discussion_id) is not cancelled.
 */
#ifndef CONVENE_DUE_H
#define CONVENE_DUE_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

#define DUE_REVIEWS_MAX	100

/* {"reviews": [{discussion_id, case_ref, team, held_on, due, overdue}]}
 * that u may see, soonest first, at most DUE_REVIEWS_MAX. */
int	 due_reviews(struct db *db, const struct auth_user *u, json_t **out,
	    struct verr *e);

#endif
