/*
 * web_home: the first page after signing in. Staff see what needs them:
 * upcoming strategy discussions, those whose attendance is not yet
 * recorded, and recent ones flagged single-agency or partial. Everything is
 * read through model_list_load, so a social worker sees only their team's.
 * Administrators see their own tasks.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "auth.h"
#include "due.h"
#include "authorise.h"
#include "enquiry.h"
#include "str.h"
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "model_list.h"
#include "web.h"
#include "web_duty.h"

#define HOME_ROWS	10
#define FLAG_DAYS	90	/* how far back flags need attention */

/* Rows of meetings matching f whose start is after (future=1) or before
 * (future=0) now, at most HOME_ROWS; soonest first when future. */
static json_t *
rows(struct http_req *rq, struct discussion_filter *f, int future, int *more)
{
	struct verr e = { 0 };
	struct discussion_list *list;
	const struct discussion_summary *m;
	json_t *out;
	char err[128];
	time_t now = time(NULL), t;
	size_t i;

	*more = 0;
	f->per_page = MODEL_LIST_PER_PAGE_MAX;
	if (model_list_load(rq->db, &rq->user, f, &list, &e) != 0)
		return NULL;
	out = json_array();
	for (i = 0; out != NULL && i < list->n; i++) {
		/* The list is newest first: walk backwards for soonest. */
		m = &list->items[future ? list->n - 1 - i : i];
		if (ltime_parse(m->starts_at, &t, err, sizeof(err)) != 0)
			continue;
		if ((future && t < now) || (!future && t >= now))
			continue;
		if (json_array_size(out) == HOME_ROWS) {
			*more = 1;
			break;
		}
		json_array_append_new(out, web_meeting_row(m));
	}
	model_list_free(list);
	return out;
}

static json_t *
flags(struct http_req *rq, const char *from)
{
	static const char *const classes[] = { "single_agency", "partial",
		NULL };
	struct discussion_filter f;
	struct discussion_list *list;
	struct verr e = { 0 };
	json_t *out = json_array();
	size_t i, k;

	for (k = 0; out != NULL && classes[k] != NULL; k++) {
		memset(&f, 0, sizeof(f));
		f.from = from;
		f.classification = classes[k];
		f.per_page = HOME_ROWS;
		if (model_list_load(rq->db, &rq->user, &f, &list, &e) != 0) {
			json_decref(out);
			return NULL;
		}
		for (i = 0; i < list->n; i++)
			if (strcmp(list->items[i].status, "cancelled") != 0)
				json_array_append_new(out,
				    web_meeting_row(&list->items[i]));
		model_list_free(list);
	}
	return out;
}

/* The view of one table for the meeting_table partial; rows is stolen. */
static json_t *
table(json_t *rows, int more, const char *caption, const char *empty,
    const char *more_href)
{
	return json_pack("{s:o, s:b, s:b, s:s, s:s, s:s?}", "rows", rows,
	    "any", json_array_size(rows) > 0, "more", more, "caption", caption,
	    "empty", empty, "more_href", more_href);
}

/* The open Section 47 enquiries with their clocks, in words. */
static json_t *
enquiries_view(struct http_req *rq)
{
	struct verr e = { 0 };
	json_t *out = NULL, *a, *o;
	size_t i;

	if (enquiry_list(rq->db, &rq->user, 0, &out, &e) != 0)
		return NULL;
	a = json_object_get(out, "enquiries");
	json_array_foreach(a, i, o)
		web_enquiry_words(o);
	json_object_set_new(out, "any", json_boolean(json_array_size(a) > 0));
	return out;
}

/* Open actions, overdue first: a social worker's own (on their cases or
 * theirs as a participant), a manager's authority's; at most HOME_ROWS. */
static json_t *
actions_view(struct http_req *rq)
{
	struct verr e = { 0 };
	json_t *out = NULL, *a, *o;
	char due[64];
	size_t i;

	if (actions_list(rq->db, &rq->user, rq->user.role ==
	    ROLE_SOCIAL_WORKER, 0, &out, &e) != 0)
		return NULL;
	a = json_object_get(out, "actions");
	while (json_array_size(a) > HOME_ROWS)
		json_array_remove(a, json_array_size(a) - 1);
	json_array_foreach(a, i, o) {
		due[0] = '\0';
		if (json_is_string(json_object_get(o, "due")))
			web_day(json_string_value(json_object_get(o, "due")), due,
			    sizeof(due));
		json_object_set_new(o, "due_text", json_string(due));
	}
	json_object_set_new(out, "any", json_boolean(json_array_size(a) > 0));
	return out;
}

/* Next reviews due, soonest first, at most HOME_ROWS. */
static json_t *
reviews_view(struct http_req *rq)
{
	struct verr e = { 0 };
	json_t *out = NULL, *a, *o;
	char day[64];
	size_t i;

	if (due_reviews(rq->db, &rq->user, &out, &e) != 0)
		return NULL;
	a = json_object_get(out, "reviews");
	while (json_array_size(a) > HOME_ROWS)
		json_array_remove(a, json_array_size(a) - 1);
	json_array_foreach(a, i, o) {
		web_day(json_string_value(json_object_get(o, "due")), day,
		    sizeof(day));
		json_object_set_new(o, "due_text", json_string(day));
		web_day(json_string_value(json_object_get(o, "held_on")), day,
		    sizeof(day));
		json_object_set_new(o, "held_text", json_string(day));
	}
	json_object_set_new(out, "any", json_boolean(json_array_size(a) > 0));
	return out;
}

/* A manager's queue (authorise_queue) with the words for each reason. */
static json_t *
queue_view(struct http_req *rq)
{
	json_t *a = authorise_queue(rq->db, &rq->user), *o;
	const char *why;
	size_t i;

	json_array_foreach(a, i, o) {
		why = json_string_value(json_object_get(o, "why"));
		json_object_set_new(o, "why_text", json_string(
		    strcmp(why, "changed") == 0 ? "Changed after authorisation" :
		    strcmp(why, "awaiting") == 0 ? "Awaiting authorisation" :
		    strcmp(why, "approval") == 0 ? "Booked without every agency: "
		    "approve" : "Not multi-agency: review"));
		json_object_set_new(o, "anchor", json_string(strcmp(why,
		    "approval") == 0 ? "approval" : "authorisation"));
		json_object_set_new(o, "old", json_boolean(json_integer_value(
		    json_object_get(o, "days")) >= 2));
	}
	return a == NULL ? NULL : json_pack("{s:o, s:b}", "rows", a, "any",
	    json_array_size(a) > 0);
}

int
web_home(struct http_req *rq, struct http_resp *rs)
{
	struct discussion_filter f;
	char today[16], from[16];
	json_t *d, *up = NULL, *await = NULL, *fl = NULL, *queue = NULL;
	json_t *enq = NULL, *acts = NULL, *revs = NULL;
	const char *done;
	time_t t = time(NULL) - (time_t)FLAG_DAYS * 86400;
	int y, m, dd, h, mi, more_up = 0, more_await = 0;

	if (rq->user.role == ROLE_ADMIN)
		return web_page(rq, rs, 200, "home_admin", "Home",
		    json_object());
	web_today(today, sizeof(today));
	ltime_local(t, &y, &m, &dd, &h, &mi);
	snprintf(from, sizeof(from), "%04d-%02d-%02d", y, m, dd);
	memset(&f, 0, sizeof(f));
	f.from = today;
	f.status = "scheduled";
	if ((up = rows(rq, &f, 1, &more_up)) == NULL)
		goto fail;
	memset(&f, 0, sizeof(f));
	f.to = today;
	f.status = "scheduled";
	if ((await = rows(rq, &f, 0, &more_await)) == NULL ||
	    (fl = flags(rq, from)) == NULL)
		goto fail;
	if (rq->user.role == ROLE_MANAGER && (queue = queue_view(rq)) == NULL)
		goto fail;
	if ((enq = enquiries_view(rq)) == NULL ||
	    (acts = actions_view(rq)) == NULL ||
	    (revs = reviews_view(rq)) == NULL)
		goto fail;
	d = json_pack("{s:o, s:o, s:o, s:o*, s:o, s:o, s:o}",
	    "upcoming", table(up, more_up, "Upcoming", "There are no "
	    "upcoming strategy discussions.", "/meetings?status=scheduled"),
	    "awaiting", table(await, more_await, "Attendance not yet recorded",
	    "Every strategy discussion that has happened has its attendance "
	    "recorded.", "/meetings?status=scheduled"),
	    "flags", table(fl, 0, "Flagged in the last 90 days: single-agency "
	    "or partial", "No strategy discussion in the last 90 days was "
	    "flagged.", NULL), "queue", queue, "enquiries", enq,
	    "actions", acts, "reviews_due", revs);
	up = await = fl = queue = enq = acts = revs = NULL;
	if (d != NULL && web_duty_home_view(rq, d) != 0) {
		json_decref(d);
		return rs->status = 500;
	}
	if (d != NULL && (done = http_query(rq, "done")) != NULL &&
	    strcmp(done, "transferred") == 0)
		json_object_set_new(d, "done", json_string("The case has been "
		    "transferred. It is no longer your team's."));
	return web_page(rq, rs, 200, "home", "Home", d);
fail:
	json_decref(up);
	json_decref(await);
	json_decref(fl);
	json_decref(queue);
	json_decref(enq);
	json_decref(acts);
	json_decref(revs);
	return rs->status = 500;
}
