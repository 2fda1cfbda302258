/*
 * db: the one wrapper around libpq. A struct db owns a connection; a struct
 * db_res owns a PGresult. Every statement is parameterised (PQexecParams);
 * nothing here formats SQL from data. A small pool hands connections to
 * request threads and reconnects after the server has gone away.
 */
#ifndef CONVENE_DB_H
#define CONVENE_DB_H

#include <stddef.h>
#include <libpq-fe.h>

#define DB_MAX_PARAMS	64
#define DB_POOL_MAX	32

#define DB_PREPARED_MAX	128	/* statements kept prepared per connection */
#define DB_PIPELINE_MAX	32	/* messages sent before their results are read */

struct db_prepared;

struct db {
	PGconn	*conn;
	struct db_prepared *prep;	/* what this connection has prepared */
	int	 nprep;
	int	 in_tx;
	int	 begin_pending;	/* BEGIN not sent yet: it goes with the next
				 * statement */
	int	 npend;		/* messages sent in pipeline mode, unread */
	int	 pend_prep[DB_PIPELINE_MAX];	/* each one's prepared slot
						 * when it prepares, or -1 */
	int	 broken;	/* connection lost: the pool reconnects it */
	int	 starved;	/* a statement failed for want of disk, memory
				 * or connections (SQLSTATE class 53) since
				 * the pool lent it out */
};

struct db_res {
	PGresult	*res;
};

struct db_pool;

/* Connect; 0 on success. On failure writes a line (no secrets) to err. */
int	 db_open(struct db *db, const char *conninfo, char *err, size_t errlen);
void	 db_close(struct db *db);

/* Run one parameterised statement. params may hold NULLs (SQL NULL). Returns
 * 0 when the statement succeeded (r owns the result, free with db_res_free);
 * -1 otherwise (logged; r left empty). The SQLSTATE of the last failure is
 * kept in db_last_sqlstate() (thread-local) so callers can map 23505 etc. */
int	 db_exec(struct db *db, struct db_res *r, const char *sql,
	    int nparams, const char *const *params);
/* Same, for statements whose result is not needed. */
int	 db_cmd(struct db *db, const char *sql, int nparams,
	    const char *const *params);
const char *db_last_sqlstate(void);
/*
 * A statement whose result nobody reads (an audit row, an outbox row, a
 * derived column): inside a transaction it is sent with the next statement
 * or the COMMIT, in the same round trip, and a failure shows there (the
 * transaction is then aborted, and db_commit fails). Outside one it runs
 * at once. Only for statements whose failure is not an input error: the
 * caller of the statement that reports it cannot tell whose it was.
 */
int	 db_defer(struct db *db, const char *sql, int nparams,
	    const char *const *params);
/* Send what is deferred (and a pending BEGIN) now; -1 when any of it
 * failed. For code that talks to libpq itself inside a transaction. */
int	 db_flush(struct db *db);

void	 db_res_init(struct db_res *r);
void	 db_res_free(struct db_res *r);
int	 db_res_rows(const struct db_res *r);
/* Value at (row, col); NULL for SQL NULL or out of range. Owned by r. */
const char *db_res_get(const struct db_res *r, int row, int col);
/* Integer value; def when NULL or unparsable. */
long	 db_res_long(const struct db_res *r, int row, int col, long def);
/* "t" -> 1, anything else 0. */
int	 db_res_bool(const struct db_res *r, int row, int col);

/* Transactions: begin/commit/rollback. db_rollback is safe when no
 * transaction is open, so cleanup paths call it unconditionally. BEGIN is
 * sent with the transaction's first statement (one round trip, not two),
 * and a transaction that ran nothing costs none. */
int	 db_begin(struct db *db);
int	 db_commit(struct db *db);
void	 db_rollback(struct db *db);

/* Pool of n connections to conninfo (n <= DB_POOL_MAX), opened lazily. */
struct db_pool *db_pool_new(const char *conninfo, int n);
void	 db_pool_free(struct db_pool *p);
/* Borrow a healthy connection, waiting up to timeout_ms; NULL when the
 * database is unreachable (the caller answers 503). */
struct db *db_pool_get(struct db_pool *p, int timeout_ms);
void	 db_pool_put(struct db_pool *p, struct db *db);
/* Connections of p lent out right now, and the pool's size (for /metrics).
 * Both 0 for a NULL pool. */
int	 db_pool_in_use(struct db_pool *p);
int	 db_pool_size(struct db_pool *p);

/*
 * Borrow a connection for reading statistics: from replica (a hot standby)
 * when it is set and reachable, otherwise from primary, with a warning in
 * the log (at most one a minute). After the replica fails, it is not tried
 * again for DB_REPLICA_RETRY_SECONDS, so a dead replica costs one failed
 * connect, not one per request. *owner is set to the pool the connection
 * came from: give it back with db_pool_put(*owner, db). NULL when the
 * primary is unreachable too (the caller answers 503), or when primary is
 * NULL and the replica is unavailable: a caller that already holds a
 * primary connection passes NULL and uses its own (*owner NULL then).
 */
#define DB_REPLICA_RETRY_SECONDS	10
struct db *db_pool_get_fallback(struct db_pool *replica,
	    struct db_pool *primary, int timeout_ms, struct db_pool **owner);

#endif
