/*
 * bgthread: see include/bgthread.h.
 */
#include <time.h>

#include "bgthread.h"
#include "str.h"

#define BGTHREAD_STEP_MS	50

int
bgthread_start(struct bgthread *t, const char *ci, void *(*run)(void *))
{
	if (t->started)
		return 0;
	if (str_copy(t->conninfo, ci, sizeof(t->conninfo)) >=
	    sizeof(t->conninfo))
		return -1;
	atomic_store(&t->stopping, 0);
	if (pthread_create(&t->thread, NULL, run, t) != 0)
		return -1;
	t->started = 1;
	return 0;
}

void
bgthread_stop(struct bgthread *t)
{
	if (!t->started)
		return;
	atomic_store(&t->stopping, 1);
	pthread_join(t->thread, NULL);
	t->started = 0;
}

int
bgthread_stopping(struct bgthread *t)
{
	return atomic_load(&t->stopping);
}

void
bgthread_nap(struct bgthread *t, int ms)
{
	struct timespec ts = { 0, BGTHREAD_STEP_MS * 1000000L };

	for (; ms > 0 && !bgthread_stopping(t); ms -= BGTHREAD_STEP_MS)
		nanosleep(&ts, NULL);
}
