/*
 * due: the next reviews set by held discussions, as due items, until a
 * discussion that reviews them is booked (and not cancelled).
 */
#include <stdio.h>

#include "auth.h"
#include "db.h"
#include "due.h"
#include "http.h"
#include "meeting.h"
#include "router.h"

#define ID_LEN	24

/* $1 authority, $2 a social worker's team, $3 the limit */
#define DUE_SQL \
	"SELECT json_build_object('reviews', coalesce(json_agg(json_build_object(" \
	"'discussion_id', x.id, 'case_ref', x.case_ref, 'team', x.team," \
	" 'held_on', x.held_on, 'due', x.next_review_date, 'overdue'," \
	" x.next_review_date < (now() AT TIME ZONE 'Europe/London')::date)" \
	" ORDER BY x.next_review_date, x.id), '[]')) FROM (SELECT d.id," \
	" c.case_ref, t.name AS team, (d.starts_at AT TIME ZONE" \
	" 'Europe/London')::date AS held_on, d.next_review_date FROM" \
	" discussions d JOIN cases c ON c.id = d.case_id JOIN teams t ON" \
	" t.id = c.team_id WHERE d.authority_id = $1 AND d.status = 'held'" \
	" AND d.next_review_date IS NOT NULL AND ($2::bigint IS NULL OR " \
	MEETING_TEAM_SEES("d", "$2") ") AND NOT EXISTS (SELECT 1 FROM" \
	" discussions r WHERE r.reviews_discussion_id = d.id AND r.status <>" \
	" 'cancelled') ORDER BY d.next_review_date, d.id LIMIT $3) x"

int
due_reviews(struct db *db, const struct auth_user *u, json_t **out,
    struct verr *e)
{
	char aid[ID_LEN], tid[ID_LEN], lim[ID_LEN];
	const char *p[3] = { aid, NULL, lim }, *v;
	struct db_res r;

	*out = NULL;
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	snprintf(tid, sizeof(tid), "%ld", u->team_id);
	snprintf(lim, sizeof(lim), "%d", DUE_REVIEWS_MAX);
	if (u->role == ROLE_SOCIAL_WORKER)
		p[1] = tid;
	if (db_exec(db, &r, DUE_SQL, 3, p) != 0)
		return verr_set(e, 500, NULL, "something went wrong");
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		*out = json_loads(v, 0, NULL);
	db_res_free(&r);
	return *out != NULL ? 0 : verr_set(e, 500, NULL, "something went "
	    "wrong");
}

static int
h_due(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;

	if (due_reviews(rq->db, &rq->user, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

const struct route due_routes[] = {
	{ "GET", "/api/v1/reviews/due", AUTH_TOKEN, ROLE_STAFF, h_due, 0,
	  "next reviews due: set by held discussions, not yet booked" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
