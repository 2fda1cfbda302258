/*
 * pgembed: the embedded PostgreSQL used when no database URL is configured.
 * Creates a cluster under <data_dir>/pg on first use (initdb), starts it
 * listening on a Unix socket in <data_dir>/pg-socket only (no TCP), runs it as
 * the unprivileged "postgres" system user when we are root, and stops it
 * cleanly. Data survives restarts.
 */
#ifndef CONVENE_PGEMBED_H
#define CONVENE_PGEMBED_H

#include <stddef.h>

#define PGEMBED_DBNAME	"convene"

struct pgembed {
	char	 data_dir[512];	/* absolute <data_dir>/pg */
	char	 sock_dir[512];	/* absolute <data_dir>/pg-socket */
	char	 bindir[256];	/* where initdb/pg_ctl live */
	char	 conninfo[1024];	/* libpq string for the started server */
	int	 started;	/* we started it and must stop it */
};

/*
 * Ensure the cluster exists and is running, creating database "convene".
 * data_dir is the service's data directory (created if missing). On success
 * fills pg->conninfo and returns 0; on failure writes one clear line into err
 * and returns -1.
 */
int	 pgembed_start(struct pgembed *pg, const char *data_dir,
	    char *err, size_t errlen);
/*
 * If the server we started has stopped by itself (a PANIC whose crash
 * recovery failed, e.g. no room left for WAL), start it again, running
 * crash recovery. 0 when it is running (nothing done), 1 when it was
 * started again, -1 when it could not be (err says why; try again later).
 * Cheap when it is running: a look at postmaster.pid, no process started.
 */
#define PGEMBED_WATCH_SECS	5	/* how often serve calls it */
int	 pgembed_revive(struct pgembed *pg, char *err, size_t errlen);
/* Stop the server if we started it (pg_ctl stop -m fast). Idempotent. */
void	 pgembed_stop(struct pgembed *pg);

#endif
