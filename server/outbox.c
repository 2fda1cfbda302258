/*
 * outbox: the SQL of the transactional outbox. Claiming is one statement
 * (UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)), so two
 * workers, in one process or in two, never claim the same row, and a row
 * whose lease expired is claimed again rather than lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "outbox.h"
#include "str.h"

#define ID_LEN	24

int
outbox_add(struct db *db, long discussion, long participant,
    const char *kind, const char *method, long sequence,
    const char *recipient, const char *message_id, const char *message)
{
	char did[ID_LEN], pid[ID_LEN], seq[ID_LEN];
	const char *p[8] = { did, participant > 0 ? pid : NULL, kind, method,
		seq, recipient, message_id, message };

	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(pid, sizeof(pid), "%ld", participant);
	snprintf(seq, sizeof(seq), "%ld", sequence);
	return db_defer(db, "INSERT INTO outbox (discussion_id, participant_id, "
	    "kind, method, sequence, recipient, message_id, message) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7, $8)", 8, p);
}

int
outbox_claim(struct db *db, struct outbox_item *it)
{
	char lease[ID_LEN];
	const char *p[1] = { lease };
	const char *msg;
	struct db_res r;
	int result = -1;

	memset(it, 0, sizeof(*it));
	snprintf(lease, sizeof(lease), "%d", OUTBOX_LEASE);
	if (db_exec(db, &r, "UPDATE outbox SET status = 'sending', "
	    "attempts = attempts + 1, locked_until = now() + "
	    "make_interval(secs => $1::int) WHERE id = (SELECT id FROM outbox "
	    "WHERE (status = 'queued' AND next_attempt_at <= now()) OR "
	    "(status = 'sending' AND locked_until < now()) "
	    "ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
	    "RETURNING id, attempts, recipient, message", 1, p) != 0)
		return -1;
	if (db_res_rows(&r) == 0) {
		result = 0;
		goto out;
	}
	msg = db_res_get(&r, 0, 3);
	if (msg == NULL || (it->message = strdup(msg)) == NULL)
		goto out;
	it->len = strlen(it->message);
	it->id = db_res_long(&r, 0, 0, 0);
	it->attempts = db_res_long(&r, 0, 1, 1);
	str_copy(it->recipient, db_res_get(&r, 0, 2), sizeof(it->recipient));
	result = 1;
out:
	db_res_free(&r);
	return result;
}

void
outbox_item_free(struct outbox_item *it)
{
	if (it == NULL)
		return;
	free(it->message);
	it->message = NULL;
}

int
outbox_sent(struct db *db, long id)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%ld", id);
	return db_cmd(db, "UPDATE outbox SET status = 'sent', sent_at = now(), "
	    "locked_until = NULL, last_error = NULL WHERE id = $1", 1, p);
}

long
outbox_backoff(long n)
{
	long d = OUTBOX_BACKOFF_BASE;

	if (n < 1)
		n = 1;
	while (--n > 0 && d < OUTBOX_BACKOFF_CAP)
		d *= 2;
	return d < OUTBOX_BACKOFF_CAP ? d : OUTBOX_BACKOFF_CAP;
}

int
outbox_failed(struct db *db, long id, long attempts, int permanent,
    const char *err)
{
	char sid[ID_LEN], delay[ID_LEN], e[201];
	const char *p[4] = { sid, delay, e, NULL };

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(delay, sizeof(delay), "%ld", outbox_backoff(attempts));
	str_copy(e, err != NULL && str_utf8_valid(err, strlen(err)) ? err :
	    "delivery failed", sizeof(e));
	p[3] = permanent || attempts >= OUTBOX_MAX_ATTEMPTS ? "failed" :
	    "queued";
	return db_cmd(db, "UPDATE outbox SET status = $4, locked_until = NULL, "
	    "last_error = $3, next_attempt_at = now() + "
	    "make_interval(secs => $2::int) WHERE id = $1", 4, p);
}

json_t *
outbox_deliveries(struct db *db, long discussion)
{
	char did[ID_LEN];
	const char *p[1] = { did };
	struct db_res r;
	json_t *o = NULL;
	const char *v;

	snprintf(did, sizeof(did), "%ld", discussion);
	if (db_exec(db, &r, "SELECT json_build_object('counts', "
	    "json_build_object("
	    "'queued', count(*) FILTER (WHERE status = 'queued'), "
	    "'sending', count(*) FILTER (WHERE status = 'sending'), "
	    "'sent', count(*) FILTER (WHERE status = 'sent'), "
	    "'failed', count(*) FILTER (WHERE status = 'failed')), "
	    "'messages', coalesce(json_agg(json_build_object('id', id, "
	    "'participant_id', participant_id, 'recipient', recipient, "
	    "'kind', kind, 'method', method, 'sequence', sequence, "
	    "'status', status, 'attempts', attempts, 'last_error', last_error, "
	    "'next_attempt_at', CASE WHEN status = 'queued' THEN "
	    "next_attempt_at END, 'created_at', created_at, 'sent_at', sent_at) "
	    "ORDER BY id), '[]')) FROM outbox WHERE discussion_id = $1",
	    1, p) != 0)
		return NULL;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return o;
}
