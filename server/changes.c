/*
 * changes: see include/changes.h. The thread blocks in poll() on the
 * listening connection's socket, so a notification is counted as soon as
 * PostgreSQL delivers it (it does so when the notifying transaction
 * commits). Order matters for correctness: going down sets "up" off before
 * moving the generation; coming up moves the generation after LISTEN has
 * succeeded and only then sets "up", so anything read from the database
 * before LISTEN took effect is tagged with an older generation.
 */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "bgthread.h"
#include "changes.h"
#include "db.h"
#include "log.h"
#include "str.h"

static atomic_uint_fast64_t generation = 1;
static atomic_uint_fast64_t tokens = 1;
static atomic_int up;
static struct bgthread listener;

int
changes_generation(struct changes_gen *g)
{
	if (!atomic_load(&up))
		return -1;
	/* tokens first: an entry tagged with a newer data generation than
	 * its tokens generation is never too fresh. */
	g->tokens = (uint64_t)atomic_load(&tokens);
	g->data = (uint64_t)atomic_load(&generation);
	return 0;
}

void
changes_bump(void)
{
	atomic_fetch_add(&generation, 1);
}

void
changes_bump_tokens(void)
{
	atomic_fetch_add(&tokens, 1);
	atomic_fetch_add(&generation, 1);
}

static void
go_down(struct db *db)
{
	if (atomic_exchange(&up, 0))
		log_error("changes", "lost the notification connection; feed "
		    "caching is off until it is back");
	changes_bump_tokens();
	db_close(db);
}

static int
go_up(struct db *db)
{
	char err[256];

	if (db_open(db, listener.conninfo, err, sizeof(err)) != 0)
		return -1;
	if (db_cmd(db, "LISTEN " CHANGES_CHANNEL, 0, NULL) != 0) {
		db_close(db);
		return -1;
	}
	changes_bump_tokens();
	atomic_store(&up, 1);
	log_info("changes", "listening for changes to feed data");
	return 0;
}

/* Wait for and count notifications; -1 when the connection is lost. */
static int
drain(struct db *db)
{
	struct pollfd pfd;
	PGnotify *n;
	int rc;

	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return -1;
	rc = poll(&pfd, 1, CHANGES_POLL_MS);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return 0;	/* EINTR: look again */
	if (PQconsumeInput(db->conn) == 0 || PQstatus(db->conn) != CONNECTION_OK)
		return -1;
	while ((n = PQnotifies(db->conn)) != NULL) {
		if (n->extra != NULL && strcmp(n->extra, CHANGES_TOKENS) == 0)
			changes_bump_tokens();
		else
			changes_bump();
		PQfreemem(n);
	}
	return 0;
}

static void *
run(void *arg)
{
	struct db db;

	(void)arg;
	memset(&db, 0, sizeof(db));
	while (!bgthread_stopping(&listener)) {
		if (db.conn == NULL) {
			if (go_up(&db) != 0)
				bgthread_nap(&listener, CHANGES_RETRY_MS);
			continue;
		}
		if (drain(&db) != 0)
			go_down(&db);
	}
	atomic_store(&up, 0);
	db_close(&db);
	return NULL;
}

int
changes_start(const char *ci)
{
	return bgthread_start(&listener, ci, run);
}

void
changes_stop(void)
{
	bgthread_stop(&listener);
}
