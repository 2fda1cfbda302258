/*
 * db: the only code that talks to libpq. Results are owned by struct db_res
 * and freed on every path; statements are always parameterised; the pool
 * hands a connection to one request thread at a time and reconnects a broken
 * one, so the service recovers by itself after PostgreSQL restarts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "changes.h"
#include "db.h"
#include "log.h"
#include "str.h"

static _Thread_local char last_sqlstate[6];

struct db_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		*conninfo;
	int		 n;
	int		 nfree;
	struct db	 conns[DB_POOL_MAX];
	int		 busy[DB_POOL_MAX];
	_Atomic long	 down_until;	/* replica: skip it until (s) */
	_Atomic long	 warned_at;	/* last fallback warning (s) */
};

static void
notice_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;	/* NOTICEs would leak statement text into our logs */
}

int
db_open(struct db *db, const char *conninfo, char *err, size_t errlen)
{
	memset(db, 0, sizeof(*db));
	db->conn = PQconnectdb(conninfo);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		const char *m = db->conn ? PQerrorMessage(db->conn) : "no memory";
		if (err != NULL && errlen > 0) {
			str_copy(err, m, errlen);
			err[strcspn(err, "\n")] = '\0';
		}
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	PQsetNoticeProcessor(db->conn, notice_quiet, NULL);
	/* Timestamps leave the database as ISO 8601 with the London offset. */
	if (db_cmd(db, "SET TIME ZONE 'Europe/London'", 0, NULL) != 0) {
		if (err != NULL && errlen > 0)
			str_copy(err, "could not set the time zone", errlen);
		db_close(db);
		return -1;
	}
	return 0;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
	db->begin_pending = 0;
	db->npend = 0;
	/* Prepared statements die with the server session. */
	free(db->prep);
	db->prep = NULL;
	db->nprep = 0;
}

/*
 * Prepared statements. Every statement is sent with parameters, and until
 * this cache PostgreSQL parsed and planned each one on every call: about
 * 2.4 ms of planning per booking, more than its own writes in some
 * statements (docs/performance.md). Each connection now prepares a
 * statement the first time it sees its text and executes it by name after
 * that; PostgreSQL still re-plans with the actual values while a generic
 * plan would cost more (plan_cache_mode auto), and re-plans after schema
 * changes. The text is known by a 128-bit BLAKE2b hash and its length, so
 * the cache holds no copies. The first DB_PREPARED_MAX distinct texts are
 * kept; further ones run unprepared.
 */
struct db_prepared {
	unsigned char	 hash[16];
	size_t		 len;
	int		 nparams;
};

static void
sql_hash(const char *sql, size_t len, unsigned char *out)
{
	crypto_generichash(out, 16, (const unsigned char *)sql, len, NULL, 0);
}

/* The name of sql prepared on db ("p<n>"), or "" when it is not. */
static void
prep_name(const struct db *db, const unsigned char *h, size_t len,
    int nparams, char *name, size_t namelen)
{
	int i;

	name[0] = '\0';
	for (i = 0; i < db->nprep; i++)
		if (db->prep[i].len == len && db->prep[i].nparams == nparams &&
		    memcmp(db->prep[i].hash, h, 16) == 0) {
			snprintf(name, namelen, "p%d", i);
			return;
		}
}

/* Claim the next name for sql ("p<n>", into name) and remember it; -1 when
 * the cache is full or cannot be allocated. */
static int
prep_claim(struct db *db, const unsigned char *h, size_t len, int nparams,
    char *name, size_t namelen)
{
	int slot = db->nprep;

	name[0] = '\0';
	if (slot >= DB_PREPARED_MAX || (db->prep == NULL &&
	    (db->prep = calloc(DB_PREPARED_MAX, sizeof(*db->prep))) == NULL))
		return -1;
	snprintf(name, namelen, "p%d", slot);
	memcpy(db->prep[slot].hash, h, 16);
	db->prep[slot].len = len;
	db->prep[slot].nparams = nparams;
	db->nprep++;
	return slot;
}

/* Prepare sql under the next name; "" in name when it was not (the caller
 * runs it unprepared, and learns of any error from that). */
static void
prep_add(struct db *db, const char *sql, const unsigned char *h, size_t len,
    int nparams, char *name, size_t namelen)
{
	PGresult *res;
	int ok, slot;

	name[0] = '\0';
	if (PQtransactionStatus(db->conn) == PQTRANS_INERROR ||
	    (slot = prep_claim(db, h, len, nparams, name, namelen)) < 0)
		return;
	res = PQprepare(db->conn, name, sql, nparams, NULL);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok) {
		db->nprep = slot;
		name[0] = '\0';
	}
}

void
db_res_init(struct db_res *r)
{
	r->res = NULL;
}

void
db_res_free(struct db_res *r)
{
	if (r == NULL)
		return;
	PQclear(r->res);
	r->res = NULL;
}

const char *
db_last_sqlstate(void)
{
	return last_sqlstate;
}

/* Keep and log the SQLSTATE of a failed statement (res may be NULL). */
static void
fail_note(struct db *db, const PGresult *res)
{
	const char *state;

	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	str_copy(last_sqlstate, state ? state : "", sizeof(last_sqlstate));
	if (PQstatus(db->conn) != CONNECTION_OK)
		db->broken = 1;
	if (state != NULL && strncmp(state, "53", 2) == 0)
		db->starved = 1;
	/* Constraint violations are expected input errors, mapped by callers;
	 * anything else is worth a log line (state only: the message may
	 * quote data). */
	if (state == NULL || strncmp(state, "23", 2) != 0)
		log_error("db", "statement failed sqlstate=%s",
		    state ? state : "none");
}

/*
 * The pipeline. A booking used to be 16 round trips, and PostgreSQL spent
 * two thirds of its transaction waiting for the next one (ClientRead,
 * docs/performance.md). In libpq's pipeline mode, BEGIN goes with the first
 * statement and the deferred statements with the next one or the COMMIT:
 * messages are queued, then one Sync, then every result is read in order.
 * After an error the server skips the rest up to the Sync (aborted).
 */
static int	pipe_sync(struct db *, struct db_res *);

/* Queue sql: by name, preparing it in the same pipeline the first time;
 * unnamed once the connection's cache is full. */
static int
pipe_send(struct db *db, const char *sql, int nparams,
    const char *const *params)
{
	unsigned char h[16];
	char name[16];
	size_t len = strlen(sql);
	int slot = -1;

	if (db->npend + 2 > DB_PIPELINE_MAX && pipe_sync(db, NULL) != 0)
		return -1;
	if (PQpipelineStatus(db->conn) == PQ_PIPELINE_OFF &&
	    PQenterPipelineMode(db->conn) != 1)
		goto broken;
	sql_hash(sql, len, h);
	prep_name(db, h, len, nparams, name, sizeof(name));
	if (name[0] == '\0' && (slot = prep_claim(db, h, len, nparams, name,
	    sizeof(name))) >= 0) {
		if (PQsendPrepare(db->conn, name, sql, nparams, NULL) != 1)
			goto broken;
		db->pend_prep[db->npend++] = slot;
	}
	if ((name[0] != '\0' ? PQsendQueryPrepared(db->conn, name, nparams,
	    params, NULL, NULL, 0) : PQsendQueryParams(db->conn, sql, nparams,
	    NULL, params, NULL, NULL, 0)) != 1)
		goto broken;
	db->pend_prep[db->npend++] = -1;
	return 0;
broken:
	db->broken = 1;
	return -1;
}

/* BEGIN, when it is still to be sent, ahead of what comes next. */
static int
pipe_begin(struct db *db)
{
	if (!db->begin_pending)
		return 0;
	db->begin_pending = 0;
	return pipe_send(db, "BEGIN", 0, NULL);
}

/* Read one queued statement's result: 1 when it succeeded (kept in keep
 * when given, else freed), 0 when it failed or was skipped. */
static int
pipe_read(struct db *db, int i, int first_error, PGresult **keep)
{
	PGresult *res, *more;
	ExecStatusType st;
	int slot = db->pend_prep[i];

	res = PQgetResult(db->conn);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (res == NULL)
		db->broken = 1;
	while (res != NULL && (more = PQgetResult(db->conn)) != NULL)
		PQclear(more);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (keep != NULL)
			*keep = res;
		else
			PQclear(res);
		return 1;
	}
	if (first_error && st != PGRES_PIPELINE_ABORTED)
		fail_note(db, res);
	/* A statement that was not prepared must be prepared again; the
	 * failures are the pipeline's tail, so its slots are the last. */
	if (slot >= 0 && slot < db->nprep)
		db->nprep = slot;
	PQclear(res);
	return 0;
}

/* Sync and read every queued result; the last one's into last when it is
 * given. 0 when all succeeded. */
static int
pipe_sync(struct db *db, struct db_res *last)
{
	PGresult *res;
	int i, ok = 1, n = db->npend;

	if (last != NULL)
		db_res_init(last);
	if (PQpipelineSync(db->conn) != 1)
		db->broken = 1;
	for (i = 0; i < n && !db->broken; i++)
		if (!pipe_read(db, i, ok, last != NULL && i == n - 1 ?
		    &last->res : NULL))
			ok = 0;
	db->npend = 0;
	if (db->broken)
		return -1;
	res = PQgetResult(db->conn);
	if (res == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		db->broken = 1;
	PQclear(res);
	if (!db->broken && PQexitPipelineMode(db->conn) != 1)
		db->broken = 1;
	if (db->broken || !ok) {
		db_res_free(last);
		return -1;
	}
	return 0;
}

int
db_exec(struct db *db, struct db_res *r, const char *sql, int nparams,
    const char *const *params)
{
	unsigned char h[16];
	char name[16];
	PGresult *res;
	ExecStatusType st;
	size_t len;

	db_res_init(r);
	last_sqlstate[0] = '\0';
	if (db == NULL || db->conn == NULL || nparams > DB_MAX_PARAMS)
		return -1;
	if (db->begin_pending || db->npend > 0) {
		if (pipe_begin(db) != 0 ||
		    pipe_send(db, sql, nparams, params) != 0)
			return -1;
		return pipe_sync(db, r);
	}
	len = strlen(sql);
	sql_hash(sql, len, h);
	prep_name(db, h, len, nparams, name, sizeof(name));
	if (name[0] == '\0')
		prep_add(db, sql, h, len, nparams, name, sizeof(name));
	res = name[0] != '\0' ? PQexecPrepared(db->conn, name, nparams, params,
	    NULL, NULL, 0) : PQexecParams(db->conn, sql, nparams, NULL, params,
	    NULL, NULL, 0);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		r->res = res;
		return 0;
	}
	fail_note(db, res);
	PQclear(res);
	return -1;
}

int
db_defer(struct db *db, const char *sql, int nparams,
    const char *const *params)
{
	if (db == NULL || db->conn == NULL || nparams > DB_MAX_PARAMS)
		return -1;
	if (!db->in_tx)
		return db_cmd(db, sql, nparams, params);
	if (pipe_begin(db) != 0 || pipe_send(db, sql, nparams, params) != 0)
		return -1;
	return 0;
}

int
db_flush(struct db *db)
{
	if (db == NULL || db->conn == NULL)
		return -1;
	if (!db->begin_pending && db->npend == 0)
		return 0;
	last_sqlstate[0] = '\0';
	if (pipe_begin(db) != 0)
		return -1;
	return pipe_sync(db, NULL);
}

int
db_cmd(struct db *db, const char *sql, int nparams, const char *const *params)
{
	struct db_res r;
	int rc;

	rc = db_exec(db, &r, sql, nparams, params);
	db_res_free(&r);
	return rc;
}

int
db_res_rows(const struct db_res *r)
{
	return r->res ? PQntuples(r->res) : 0;
}

const char *
db_res_get(const struct db_res *r, int row, int col)
{
	if (r->res == NULL || row < 0 || row >= PQntuples(r->res) ||
	    col < 0 || col >= PQnfields(r->res) ||
	    PQgetisnull(r->res, row, col))
		return NULL;
	return PQgetvalue(r->res, row, col);
}

long
db_res_long(const struct db_res *r, int row, int col, long def)
{
	const char *v = db_res_get(r, row, col);
	long n;

	if (v == NULL || str_to_long(v, -9223372036854775807L - 1,
	    9223372036854775807L, &n) != 0)
		return def;
	return n;
}

int
db_res_bool(const struct db_res *r, int row, int col)
{
	const char *v = db_res_get(r, row, col);

	return v != NULL && v[0] == 't';
}

int
db_begin(struct db *db)
{
	if (db == NULL || db->conn == NULL)
		return -1;
	if (db->in_tx)
		return 0;	/* as BEGIN in a transaction: still the one */
	db->begin_pending = 1;
	db->in_tx = 1;
	return 0;
}

int
db_commit(struct db *db)
{
	PGTransactionStatusType ts;
	int rc, ran;

	if (db == NULL || db->conn == NULL || !db->in_tx)
		return -1;
	ran = !db->begin_pending;
	if (!ran && db->npend == 0) {
		/* Nothing was run: nothing to commit, no round trip. */
		db->begin_pending = 0;
		db->in_tx = 0;
		return 0;
	}
	last_sqlstate[0] = '\0';
	if (db->begin_pending || db->npend > 0)
		rc = pipe_begin(db) != 0 || pipe_send(db, "COMMIT", 0,
		    NULL) != 0 ? -1 : pipe_sync(db, NULL);
	else
		rc = db_cmd(db, "COMMIT", 0, NULL);
	db->in_tx = 0;
	/* A deferred statement failed before COMMIT ran: the transaction is
	 * still open, aborted, and must not reach the next borrower. */
	ts = PQtransactionStatus(db->conn);
	if (rc != 0 && !db->broken &&
	    (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)) {
		char state[sizeof(last_sqlstate)];

		memcpy(state, last_sqlstate, sizeof(state));
		(void)db_cmd(db, "ROLLBACK", 0, NULL);
		memcpy(last_sqlstate, state, sizeof(state));
	}
	/* The database's notification reaches this instance's cache a moment
	 * later; moving the generation now means whoever made a change sees
	 * it in the next feed poll, whatever the scheduler does. */
	if (rc == 0)
		changes_bump();
	return rc;
}

void
db_rollback(struct db *db)
{
	PGTransactionStatusType ts;

	if (db == NULL || db->conn == NULL)
		return;
	db->begin_pending = 0;
	if (db->npend > 0)
		(void)pipe_sync(db, NULL);	/* read and drop */
	db->in_tx = 0;
	if (db->broken)
		return;
	ts = PQtransactionStatus(db->conn);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		(void)db_cmd(db, "ROLLBACK", 0, NULL);
}

struct db_pool *
db_pool_new(const char *conninfo, int n)
{
	struct db_pool *p;

	if (n < 1 || n > DB_POOL_MAX)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->conninfo = strdup(conninfo)) == NULL) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->n = n;
	p->nfree = n;
	return p;
}

void
db_pool_free(struct db_pool *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		db_close(&p->conns[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->conninfo);
	free(p);
}

/* Make a borrowed slot usable: connect if closed, reconnect if broken. */
static int
slot_ready(struct db_pool *p, struct db *db)
{
	char err[256];

	if (db->conn != NULL && !db->broken &&
	    PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	db_close(db);
	if (db_open(db, p->conninfo, err, sizeof(err)) != 0) {
		log_error("db", "connect failed: %s", err);
		return -1;
	}
	return 0;
}

/* Take a free slot, waiting up to timeout_ms; NULL when none came free. The
 * slot may still need connecting (slot_ready). */
static struct db *
pool_borrow(struct db_pool *p, int timeout_ms)
{
	struct timespec until;
	struct db *db = NULL;
	int i;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0) {
		if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT)
			break;
	}
	if (p->nfree > 0) {
		for (i = 0; i < p->n; i++) {
			if (!p->busy[i]) {
				p->busy[i] = 1;
				p->nfree--;
				db = &p->conns[i];
				break;
			}
		}
	}
	pthread_mutex_unlock(&p->mu);
	return db;
}

struct db *
db_pool_get(struct db_pool *p, int timeout_ms)
{
	struct db *db;

	if ((db = pool_borrow(p, timeout_ms)) == NULL)
		return NULL;
	/* Connecting happens outside the lock: a slow or absent server must
	 * not stall threads that hold healthy connections. */
	if (slot_ready(p, db) != 0) {
		db_pool_put(p, db);
		return NULL;
	}
	db->starved = 0;
	return db;
}

int
db_pool_in_use(struct db_pool *p)
{
	int n;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	n = p->n - p->nfree;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int
db_pool_size(struct db_pool *p)
{
	return p == NULL ? 0 : p->n;
}

/* Has the server closed this idle connection (stopped, restarted, crashed)?
 * Reads what is waiting on the socket without a round trip and without
 * blocking: a server that shut down sent a FATAL message and closed, which
 * takes one read for the message, parsing it, and a second read for the end
 * of the stream. */
static int
conn_lost(struct db *db)
{
	if (db->conn == NULL || db->broken)
		return 1;
	if (PQconsumeInput(db->conn) == 0)
		return 1;
	(void)PQisBusy(db->conn);
	if (PQconsumeInput(db->conn) == 0)
		return 1;
	return PQstatus(db->conn) != CONNECTION_OK;
}

struct db *
db_pool_get_fallback(struct db_pool *replica, struct db_pool *primary,
    int timeout_ms, struct db_pool **owner)
{
	struct timespec now;
	struct db *db;
	long last;

	if (replica != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (atomic_load(&replica->down_until) <= now.tv_sec &&
		    (db = pool_borrow(replica, timeout_ms)) != NULL) {
			if (conn_lost(db))
				db->broken = 1;
			if (slot_ready(replica, db) == 0) {
				*owner = replica;
				return db;
			}
			db_pool_put(replica, db);
			atomic_store(&replica->down_until, (long)now.tv_sec +
			    DB_REPLICA_RETRY_SECONDS);
			last = atomic_load(&replica->warned_at);
			if ((last == 0 || now.tv_sec - last >= 60) &&
			    atomic_compare_exchange_strong(&replica->warned_at,
			    &last, (long)now.tv_sec))
				log_warn("db", "statistics replica unavailable; "
				    "reading statistics from the primary");
		}
		/* A busy replica pool is not a dead replica: the primary
		 * answers this request and the replica the next. */
	}
	*owner = NULL;
	if (primary != NULL && (db = db_pool_get(primary, timeout_ms)) != NULL) {
		*owner = primary;
		return db;
	}
	return NULL;
}

void
db_pool_put(struct db_pool *p, struct db *db)
{
	int i;

	if (p == NULL || db == NULL)
		return;
	db_rollback(db);
	if (db->conn != NULL && PQstatus(db->conn) != CONNECTION_OK)
		db->broken = 1;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++) {
		if (&p->conns[i] == db && p->busy[i]) {
			p->busy[i] = 0;
			p->nfree++;
			break;
		}
	}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}
