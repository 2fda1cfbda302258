/*
 * worker: background work of a running service (invite delivery). Started
 * after the HTTP server, stopped before the pools are freed.
 */
#ifndef CONVENE_WORKER_H
#define CONVENE_WORKER_H

#define WORKER_THREADS_DEFAULT	2	/* delivery threads per instance */
#define WORKER_THREADS_MAX	8

struct app;
struct worker;

/* Start app->cfg.delivery_threads delivery threads; NULL when there is
 * nothing to run (0 threads asked: another instance delivers). */
struct worker *worker_start(struct app *app);
/* Ask the threads to finish their current item and wait for them. */
void	 worker_stop(struct worker *w);

#endif
