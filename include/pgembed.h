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
/* Login roles in the embedded cluster (docs/security.md, "Least
 * privilege"): the owner migrates, the serving login (a member of
 * MIGRATE_SERVE_ROLE) runs everything else. */
#define PGEMBED_OWNER	"convene_owner"
#define PGEMBED_SERVE	"convene"

struct pgembed {
	char	 data_dir[512];	/* absolute <data_dir>/pg */
	char	 sock_dir[512];	/* absolute <data_dir>/pg-socket */
	char	 bindir[256];	/* where initdb/pg_ctl live */
	char	 conninfo[1024];	/* libpq string: the serving login */
	char	 owner_conninfo[1024];	/* libpq string: the tables' owner */
	int	 started;	/* we started it and must stop it */
};

/*
 * Ensure the cluster exists and is running, creating database "convene",
 * the owner and serving roles. data_dir is the service's data directory
 * (created if missing). On success fills pg->conninfo (serving login) and
 * pg->owner_conninfo (whoever owns the tables: PGEMBED_OWNER, or the
 * superuser in a cluster made by an older version) and returns 0; on failure writes one clear line into err
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
