/*
 * actions: the actions agreed at strategy discussions, across discussions
 * (server/actions.c). Their rows are written with the attendance
 * (meeting.c set_actions: changed by id, never deleted and re-added).
 */
#ifndef CONVENE_ACTIONS_H
#define CONVENE_ACTIONS_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

/* {"actions": [...]}: those u may see (mine: on cases allocated to u or
 * owned by u as a participant), open only unless all; open first, then
 * by due date; at most 500. */
int	 actions_list(struct db *db, const struct auth_user *u, int mine,
	    int all, json_t **out, struct verr *e);
/* {"status": open|done|not_done, "not_done_reason"}: one transaction with
 * its audit (the reason's text stays out of it); *out the action. */
int	 actions_set_status(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

#endif
