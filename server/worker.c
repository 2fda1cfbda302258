/*
 * worker: invite delivery. A few threads claim due outbox rows (one at a
 * time, FOR UPDATE SKIP LOCKED, so other instances can run the same loop),
 * send each through SMTP, or write it as an .eml file when no SMTP server is
 * configured, and record the outcome. A database connection is borrowed
 * from the pool only to claim and to record, never while talking to the
 * mail server, so a slow relay cannot starve the web requests. Stopping
 * lets each thread finish the message in hand (bounded by the SMTP
 * timeout) and joins it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "outbox.h"
#include "rsvp.h"
#include "worker.h"

#define WORKER_IDLE_MS		1000	/* poll interval when nothing is due */
#define WORKER_DB_WAIT_MS	2000
#define WORKER_RECORD_TRIES	30	/* to record an outcome, 1 s apart */

struct worker {
	struct app	*app;
	pthread_t	 th[WORKER_THREADS_MAX];
	int		 nth;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 stop;
	char		 eml_dir[600];
	struct mail_smtp smtp;
};

static int
stopping(struct worker *w)
{
	int s;

	pthread_mutex_lock(&w->mu);
	s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* Sleep up to ms, waking early when asked to stop. */
static void
nap(struct worker *w, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->stop)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&w->mu);
}

/* Deliver one message: 0 sent, 1 permanently refused, -1 try again. */
static int
deliver(struct worker *w, const struct outbox_item *it, char *err,
    size_t errlen)
{
	if (w->smtp.url[0] == '\0')
		return mail_write_eml(w->eml_dir, it->id, it->message, it->len,
		    err, errlen) == 0 ? 0 : -1;
	return mail_send_smtp(&w->smtp, it->recipient, it->message, it->len,
	    err, errlen);
}

/* Record the outcome; keeps trying while the database is away. When it
 * cannot, the lease runs out and the message is sent again later (the
 * same bytes, the same Message-ID). */
static void
record(struct worker *w, const struct outbox_item *it, int rc,
    const char *err)
{
	struct db *db;
	int i, ok;

	for (i = 0; i < WORKER_RECORD_TRIES; i++) {
		if ((db = db_pool_get(w->app->pool, WORKER_DB_WAIT_MS)) != NULL) {
			ok = rc == 0 ? outbox_sent(db, it->id) :
			    outbox_failed(db, it->id, it->attempts, rc > 0, err);
			db_pool_put(w->app->pool, db);
			if (ok == 0)
				return;
		}
		if (stopping(w) && i >= 2)
			break;
		nap(w, 1000);
	}
	log_error("worker", "could not record the outcome of message %ld; it "
	    "will be retried when its claim expires", it->id);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct outbox_item it;
	struct db *db;
	char err[200];
	int rc;

	while (!stopping(w)) {
		if ((db = db_pool_get(w->app->pool, WORKER_DB_WAIT_MS)) == NULL) {
			nap(w, WORKER_IDLE_MS);
			continue;
		}
		rc = outbox_claim(db, &it);
		db_pool_put(w->app->pool, db);
		if (rc <= 0) {
			nap(w, WORKER_IDLE_MS);
			continue;
		}
		err[0] = '\0';
		rc = deliver(w, &it, err, sizeof(err));
		if (rc == 0)
			log_info("worker", "message %ld delivered (attempt %ld)",
			    it.id, it.attempts);
		else
			log_error("worker", "message %ld not delivered (attempt "
			    "%ld%s): %s", it.id, it.attempts, rc > 0 ?
			    ", refused" : "", err);
		record(w, &it, rc, err);
		outbox_item_free(&it);
	}
	return NULL;
}

struct worker *
worker_start(struct app *app)
{
	unsigned char key[RSVP_KEY_BYTES];
	struct worker *w;
	struct db *db;
	int i;

	if (app == NULL || app->pool == NULL)
		return NULL;
	/* Create the RSVP key now, outside any booking's transaction. */
	if ((db = db_pool_get(app->pool, WORKER_DB_WAIT_MS)) != NULL) {
		if (rsvp_key(db, key) != 0)
			log_error("worker", "could not load the RSVP key");
		db_pool_put(app->pool, db);
	}
	if (app->cfg.delivery_threads <= 0) {
		log_info("worker", "no delivery threads (CONVENE_DELIVERY_THREADS"
		    "=0): invites are queued for another instance to send");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->app = app;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	snprintf(w->eml_dir, sizeof(w->eml_dir), "%s/outbox",
	    app->cfg.data_dir);
	w->smtp.url = app->cfg.smtp_url;
	w->smtp.user = app->cfg.smtp_user;
	w->smtp.password = app->cfg.smtp_password;
	w->smtp.from = app->cfg.smtp_from;
	w->smtp.tls_required = app->cfg.smtp_tls_required;
	w->smtp.ca_file = app->cfg.smtp_ca_file;
	if (mail_global_init() != 0) {
		log_error("worker", "libcurl did not initialise; invites stay "
		    "queued");
		goto fail;
	}
	for (i = 0; i < app->cfg.delivery_threads &&
	    i < WORKER_THREADS_MAX; i++) {
		if (pthread_create(&w->th[i], NULL, run, w) != 0)
			break;
		w->nth++;
	}
	if (w->nth == 0) {
		mail_global_cleanup();
		goto fail;
	}
	log_info("worker", "%d delivery threads, %s", w->nth,
	    app->cfg.smtp_url[0] != '\0' ? "sending by SMTP" :
	    "writing .eml files to DATA_DIR/outbox");
	return w;
fail:
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return NULL;
}

void
worker_stop(struct worker *w)
{
	int i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nth; i++)
		pthread_join(w->th[i], NULL);
	mail_global_cleanup();
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	log_info("worker", "stopped");
}
