/*
 * app: what a running service holds: its configuration and database pools.
 * One instance, built by main and passed to every request.
 */
#ifndef CONVENE_APP_H
#define CONVENE_APP_H

#include "config.h"

struct db_pool;

struct app {
	struct config	 cfg;
	struct db_pool	*pool;
	struct db_pool	*stats_pool;	/* the read replica, or NULL */
	volatile int	 stopping;
};

#endif
