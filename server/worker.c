/*
 * worker: XXX invite delivery is not built yet (issue 4); until then there
 * are no background threads.
 */
#include <stddef.h>

#include "worker.h"

struct worker *
worker_start(struct app *app)
{
	(void)app;
	return NULL;
}

void
worker_stop(struct worker *w)
{
	(void)w;
}
