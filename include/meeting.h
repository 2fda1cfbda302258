/*
 * meeting: strategy discussions: validating what a caller asks for, storing
 * it in one transaction with its participants and audit entry, classifying
 * agency presence when booked and when attendance is recorded, and reading it
 * back as JSON. Used by the JSON API and the web pages alike.
 */
#ifndef CONVENE_MEETING_H
#define CONVENE_MEETING_H

#include <stddef.h>

#include <jansson.h>

#include "model.h"

/* The model's limits (model.h), under the names the booking code uses. */
#define MEETING_MAX_PARTICIPANTS	MODEL_MAX_PARTICIPANTS
#define MEETING_MAX_CHILDREN		MODEL_MAX_CHILDREN
#define MEETING_MAX_ACTIONS		MODEL_MAX_ACTIONS
#define MEETING_MAX_DURATION		(8 * 60)	/* minutes */
#define MEETING_MIN_DURATION		5		/* minutes */
#define MEETING_NAME_MAX		MODEL_NAME_MAX
#define MEETING_TEXT_MAX		MODEL_TEXT_MAX
#define MEETING_LONG_TEXT_MAX		MODEL_LONG_TEXT_MAX
/* Seconds a client's clock may run ahead of ours before a time it calls
 * past is refused as future (phone calls logged, discussions held). */
#define MEETING_CLOCK_SKEW		300

struct auth_user;
struct db;

/* A validation or access failure: status (400/403/404/409/422), the field
 * it concerns (JSON path such as "participants[1].email") and a message a
 * person can act on. */
struct verr {
	int	status;
	char	field[96];
	char	msg[256];
};

/* Record a failure in e; returns -1 for "return verr_set(...)". */
int	 verr_set(struct verr *e, int status, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Each operation below validates body (a JSON object; the reference stays the
 * caller's), runs in one transaction on db, writes the audit log, and on
 * success returns 0 with *out set to the meeting as JSON (caller owns it).
 * On failure returns -1 with e filled; e->status 500 means an internal or
 * database error and nothing was changed.
 */
int	 meeting_create(struct db *db, const struct auth_user *u, json_t *body,
	    json_t **out, struct verr *e);
/*
 * meeting_create, at most once per idempotency key and user: the key is
 * stored with a hash of body in the booking's transaction. A later call
 * with the same key and the same body books nothing and returns the meeting
 * booked the first time, with *replayed set; with another body, 422 on
 * "Idempotency-Key". key NULL: meeting_create. Keys are kept
 * MEETING_IDEM_DAYS days.
 */
#define MEETING_IDEM_KEY_MAX	128
#define MEETING_IDEM_DAYS	30
int	 meeting_create_once(struct db *db, const struct auth_user *u,
	    json_t *body, const char *key, json_t **out, int *replayed,
	    struct verr *e);
int	 meeting_update(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);
int	 meeting_cancel(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);
int	 meeting_record_attendance(struct db *db, const struct auth_user *u,
	    long id, json_t *body, json_t **out, struct verr *e);

/*
 * The discussions a social worker's team sees, as SQL over the discussions
 * alias d and the team parameter p: those the team held and those of the
 * cases it now holds (a case transfer hands the history over with the
 * case). One definition for every query that checks it.
 */
#define MEETING_TEAM_SEES(d, p) \
	"(" d ".team_id = " p " OR " d ".case_id IN (SELECT c_.id FROM " \
	"cases c_ WHERE c_.team_id = " p "))"

/*
 * The one visibility rule: may u see discussion id? Staff see their
 * authority's discussions; social workers only their team's. 0, or -1 with
 * e set to 404 (never revealing that the discussion exists). Every route
 * that takes a discussion id goes through this (or meeting_get).
 */
int	 meeting_visible(struct db *db, const struct auth_user *u, long id,
	    struct verr *e);

/* meeting_visible for writing: locks the discussion row (FOR UPDATE) in
 * the caller's transaction and fills status (16 bytes) and authority. */
int	 meeting_lock(struct db *db, const struct auth_user *u, long id,
	    char *status, long *authority, struct verr *e);

/* 0 when discussion id has started (starts_at <= now); -1 with e set to
 * 409 on "starts_at" when it has not, or 500. */
int	 meeting_check_started(struct db *db, long id, struct verr *e);

/* Read one meeting the user may see; 404 in e otherwise. */
int	 meeting_get(struct db *db, const struct auth_user *u, long id,
	    json_t **out, struct verr *e);

/*
 * Classify discussion id (of authority) again from its participants as
 * they now are, in the caller's transaction (a logged call counts as
 * contact, calls.c). 0, or -1 with e set.
 */
int	 meeting_replan(struct db *db, long id, long authority,
	    struct verr *e);

/* Read a JSON body: 400 with a message when it is not a JSON object. */
json_t	*meeting_parse_body(const char *data, size_t len, struct verr *e);

#endif
