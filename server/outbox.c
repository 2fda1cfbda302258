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

/*
 * A booking queues one message per invitee. Each INSERT statement pays
 * PostgreSQL's executor start and the compilation of the outbox's CHECK
 * constraints, so up to OUTBOX_ROWS_PER_INSERT rows go in one statement
 * (docs/performance.md, session 11). The statements are fixed texts, one per
 * row count, each prepared once per connection (db.c).
 */
#define OUTBOX_INSERT	"INSERT INTO outbox (discussion_id, participant_id, " \
	"kind, method, sequence, recipient, message_id, message) VALUES "
#define R(a, b, c, d, e, f, g, h) "($" #a ", $" #b ", $" #c ", $" #d \
	", $" #e ", $" #f ", $" #g ", $" #h ")"
#define R1	R(1, 2, 3, 4, 5, 6, 7, 8)
#define R2	R1 ", " R(9, 10, 11, 12, 13, 14, 15, 16)
#define R3	R2 ", " R(17, 18, 19, 20, 21, 22, 23, 24)
#define R4	R3 ", " R(25, 26, 27, 28, 29, 30, 31, 32)
#define R5	R4 ", " R(33, 34, 35, 36, 37, 38, 39, 40)
#define R6	R5 ", " R(41, 42, 43, 44, 45, 46, 47, 48)

static const char *const insert_sql[] = {
	NULL, OUTBOX_INSERT R1, OUTBOX_INSERT R2, OUTBOX_INSERT R3,
	OUTBOX_INSERT R4, OUTBOX_INSERT R5, OUTBOX_INSERT R6,
};
_Static_assert(sizeof(insert_sql) / sizeof(insert_sql[0]) ==
    OUTBOX_ROWS_PER_INSERT + 1, "one statement per row count");
_Static_assert(OUTBOX_ROWS_PER_INSERT * 8 <= DB_MAX_PARAMS,
    "a statement's parameters fit db.c's limit");

/* The numbers of one row, formatted for its statement. */
struct row_text {
	char	 did[ID_LEN], pid[ID_LEN], seq[ID_LEN];
};

static int
add_some(struct db *db, const struct outbox_row *rows, size_t n)
{
	struct row_text t[OUTBOX_ROWS_PER_INSERT];
	const char *p[OUTBOX_ROWS_PER_INSERT * 8];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(t[i].did, ID_LEN, "%ld", rows[i].discussion);
		snprintf(t[i].pid, ID_LEN, "%ld", rows[i].participant);
		snprintf(t[i].seq, ID_LEN, "%ld", rows[i].sequence);
		p[i * 8] = t[i].did;
		p[i * 8 + 1] = rows[i].participant > 0 ? t[i].pid : NULL;
		p[i * 8 + 2] = rows[i].kind;
		p[i * 8 + 3] = rows[i].method;
		p[i * 8 + 4] = t[i].seq;
		p[i * 8 + 5] = rows[i].recipient;
		p[i * 8 + 6] = rows[i].message_id;
		p[i * 8 + 7] = rows[i].message;
	}
	return db_defer(db, insert_sql[n], (int)(n * 8), p);
}

int
outbox_add_many(struct db *db, const struct outbox_row *rows, size_t n)
{
	size_t k;

	while (n > 0) {
		k = n < OUTBOX_ROWS_PER_INSERT ? n : OUTBOX_ROWS_PER_INSERT;
		if (add_some(db, rows, k) != 0)
			return -1;
		rows += k;
		n -= k;
	}
	return 0;
}

int
outbox_add(struct db *db, long discussion, long participant,
    const char *kind, const char *method, long sequence,
    const char *recipient, const char *message_id, const char *message)
{
	struct outbox_row r = { discussion, participant, kind, method,
		sequence, recipient, message_id, message };

	return outbox_add_many(db, &r, 1);
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
