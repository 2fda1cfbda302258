/*
 * bgthread: a server thread with its own database connection string that
 * runs until asked to stop (the change listener, the statistics folder).
 */
#ifndef CONVENE_BGTHREAD_H
#define CONVENE_BGTHREAD_H

#include <pthread.h>
#include <stdatomic.h>

#define BGTHREAD_CONNINFO_MAX	1024

struct bgthread {
	pthread_t	 thread;
	int		 started;
	atomic_int	 stopping;
	char		 conninfo[BGTHREAD_CONNINFO_MAX];
};

/* Start run(t) on conninfo unless already started: 0, or -1. */
int	 bgthread_start(struct bgthread *t, const char *conninfo,
	    void *(*run)(void *));
/* Ask it to stop and wait for it. */
void	 bgthread_stop(struct bgthread *t);
int	 bgthread_stopping(struct bgthread *t);
/* Sleep ms in short steps, returning early once stopping. */
void	 bgthread_nap(struct bgthread *t, int ms);

#endif
