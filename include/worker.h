/*
 * worker: background work of a running service (invite delivery). Started
 * after the HTTP server, stopped before the pools are freed.
 */
#ifndef CONVENE_WORKER_H
#define CONVENE_WORKER_H

struct app;
struct worker;

/* Start the background threads; NULL when there is nothing to run. */
struct worker *worker_start(struct app *app);
/* Ask the threads to finish their current item and wait for them. */
void	 worker_stop(struct worker *w);

#endif
