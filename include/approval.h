/*
 * approval: a manager's approval of a booking that leaves a statutory
 * agency out, where the authority requires it
 * (authorities.require_approval_single_agency, sql/030). While pending or
 * refused the discussion cannot have its attendance recorded; inviting the
 * missing agency makes approval unneeded again.
 */
#ifndef CONVENE_APPROVAL_H
#define CONVENE_APPROVAL_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

#define APPROVAL_NOTE_MAX	2000	/* sql/030 CHECK */

/* In the caller's transaction, after the planned classification of
 * discussion id is stored: pending when needed and not yet asked, none when
 * no longer needed. 0 or -1. */
int	 approval_refresh(struct db *db, long id);
/* 0 when discussion id may go ahead (no approval needed, or approved);
 * else -1 with e a 409 on "approval". */
int	 approval_check(struct db *db, long id, struct verr *e);
/* POST .../approval: {"decision": "approve"|"refuse", "note"} by a manager
 * (a note is required to refuse). One transaction with its audit entry;
 * *out the meeting's API view. */
int	 approval_decide(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

#endif
