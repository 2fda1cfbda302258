/*
 * cases: who holds a case. A case belongs to its authority; its team and
 * allocated worker are the current ones, and a transfer moves it (the
 * history goes with it: include/meeting.h MEETING_TEAM_SEES). A front-door
 * team (MASH, out of hours) may book on any case of its authority without
 * taking it on (server/meeting.c).
 */
#ifndef CONVENE_CASES_H
#define CONVENE_CASES_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

#define CASES_REASON_MAX	1000	/* sql/025 CHECK */

/*
 * Move case ref to body's "team" (a team name of the caller's authority),
 * optionally allocated to "allocated_worker" (an active social worker of
 * that team), with a "reason". The case's current team or a manager may.
 * One transaction with its audit entry; *out the case's holder and
 * transfers. 0, or -1 with e set (404 when the caller may not see the case,
 * the same answer as for no such case).
 */
int	 cases_transfer(struct db *db, const struct auth_user *u,
	    const char *ref, json_t *body, json_t **out, struct verr *e);
/* The case's holder and its transfers, oldest first. */
int	 cases_transfers_get(struct db *db, const struct auth_user *u,
	    const char *ref, json_t **out, struct verr *e);
/* The teams of u's authority: id, name, front_door. NULL on error. */
json_t	*cases_teams(struct db *db, const struct auth_user *u);
/* Mark team id of u's authority as a front door or not (admins). */
int	 cases_team_set_front_door(struct db *db, const struct auth_user *u,
	    long id, int front_door, json_t **out, struct verr *e);

#endif
