/*
 * invite_page: what the meeting page shows about invitations beyond each
 * person's answer: that a new time reset the answers, the new times
 * invitees proposed from their calendars (METHOD:COUNTER), each with a
 * link to the reschedule form filled in with it, and emails without a
 * calendar part that answer an invitation. Rendered by the partial
 * templates/meeting_counters.html.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db.h"
#include "ics.h"
#include "invite.h"
#include "ltime.h"

#define ID_LEN		24
#define NOTES_MAX	50	/* proposals and emails listed */

/* "Sunday 31 October 2027, 01:30" (with BST/GMT in the repeated hour). */
static void
human(time_t t, char *out, size_t outlen)
{
	size_t n;

	if (ltime_format_human(t, out, outlen) != 0) {
		out[0] = '\0';
		return;
	}
	n = strlen(out);
	if (ics_time_ambiguous_label(t) != NULL)
		snprintf(out + n, outlen - n, " %s",
		    ics_time_ambiguous_label(t));
}

static json_t *
counters(struct db *db, const char *sid, long id)
{
	const char *p[1] = { sid };
	char when[96], starts[LTIME_ISO_MAX], href[160];
	struct db_res r;
	json_t *list;
	time_t s, e;
	int i;

	if (db_exec(db, &r, "SELECT p.name, p.organisation, "
	    "extract(epoch FROM c.starts_at)::bigint, "
	    "extract(epoch FROM c.ends_at)::bigint, c.comment "
	    "FROM counter_proposals c JOIN participants p ON "
	    "p.id = c.participant_id WHERE c.discussion_id = $1 AND "
	    "c.closed_at IS NULL ORDER BY c.id DESC LIMIT 50", 1, p) != 0)
		return NULL;
	list = json_array();
	for (i = 0; list != NULL && i < db_res_rows(&r); i++) {
		s = (time_t)db_res_long(&r, i, 2, 0);
		e = (time_t)db_res_long(&r, i, 3, 0);
		human(s, when, sizeof(when));
		ltime_format_utc(s, starts, sizeof(starts));
		/* UTC ("...Z") so the link needs no '+' escaped. */
		snprintf(href, sizeof(href), "/meetings/%ld/reschedule?"
		    "counter_starts=%s&counter_minutes=%ld", id, starts,
		    (long)((e - s) / 60));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:s, s:s}", "name", db_res_get(&r, i, 0) ?
		    db_res_get(&r, i, 0) : "", "organisation",
		    db_res_get(&r, i, 1) ? db_res_get(&r, i, 1) : "", "when",
		    when, "minutes", (json_int_t)((e - s) / 60), "comment",
		    db_res_get(&r, i, 4) ? db_res_get(&r, i, 4) : "",
		    "href", href));
	}
	db_res_free(&r);
	return list;
}

static json_t *
mails(struct db *db, const char *sid)
{
	const char *p[1] = { sid };
	struct db_res r;
	json_t *list;
	char when[96];
	int i;

	if (db_exec(db, &r, "SELECT coalesce(mail_from, ''), "
	    "coalesce(subject, ''), extract(epoch FROM received_at)::bigint "
	    "FROM itip_inbox WHERE discussion_id = $1 AND status = 'mail' "
	    "ORDER BY id DESC LIMIT 50", 1, p) != 0)
		return NULL;
	list = json_array();
	for (i = 0; list != NULL && i < db_res_rows(&r); i++) {
		human((time_t)db_res_long(&r, i, 2, 0), when, sizeof(when));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}",
		    "from", db_res_get(&r, i, 0), "subject",
		    db_res_get(&r, i, 1), "when", when));
	}
	db_res_free(&r);
	return list;
}

json_t *
invite_page_notes(struct db *db, long id)
{
	char sid[ID_LEN], when[96];
	const char *p[1] = { sid };
	struct db_res r;
	json_t *o, *c, *m;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT extract(epoch FROM answers_reset_at)"
	    "::bigint FROM discussions WHERE id = $1 AND answers_reset_at IS "
	    "NOT NULL AND status = 'scheduled'", 1, p) != 0)
		return NULL;
	when[0] = '\0';
	if (db_res_rows(&r) == 1)
		human((time_t)db_res_long(&r, 0, 0, 0), when, sizeof(when));
	db_res_free(&r);
	c = counters(db, sid, id);
	m = mails(db, sid);
	o = json_pack("{s:s, s:o*, s:b, s:o*, s:b}", "answers_reset", when,
	    "counters", c, "any_counters", json_array_size(c) > 0, "mails", m,
	    "any_mails", json_array_size(m) > 0);
	return o;
}
