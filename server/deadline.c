/*
 * deadline: see include/deadline.h. The list and every watch's fields are
 * guarded by one mutex. libmicrohttpd reports a connection closed before it
 * closes the socket, and that report takes the mutex, so the sweeper never
 * shuts down a descriptor that has been closed and reused.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "deadline.h"
#include "http.h"
#include "log.h"

enum phase {
	PHASE_HEADERS,		/* accepted, headers not yet in */
	PHASE_BODY,		/* headers in, body arriving */
	PHASE_WHOLE,		/* ours: the request is being answered */
	PHASE_WAITING		/* answered; the next request may come */
};

struct watch {
	struct watch	*prev, *next;
	struct deadline	*dl;
	int		 fd;
	enum phase	 phase;
	struct timespec	 since;		/* when the phase began */
	size_t		 bytes;		/* of body, in PHASE_BODY */
	int		 cut;
};

struct deadline {
	pthread_mutex_t	 mu;
	struct watch	*head;
	pthread_t	 th;
	atomic_int	 stopping;
};

static atomic_ulong cuts;

static double
since(const struct timespec *t, const struct timespec *now)
{
	return (double)(now->tv_sec - t->tv_sec) +
	    (double)(now->tv_nsec - t->tv_nsec) / 1e9;
}

/* 1 when w is late at now. */
static int
late(const struct watch *w, const struct timespec *now)
{
	double s = since(&w->since, now);

	switch (w->phase) {
	case PHASE_HEADERS:
		return s > DEADLINE_HEADERS_SECS;
	case PHASE_WAITING:
		return s > HTTP_CONN_TIMEOUT + DEADLINE_HEADERS_SECS;
	case PHASE_BODY:
		return s > DEADLINE_BODY_GRACE_SECS &&
		    (double)w->bytes < DEADLINE_BODY_MIN_RATE * s;
	default:
		return 0;
	}
}

static void
sweep(struct deadline *dl, unsigned long *logged, time_t *last_log)
{
	struct timespec now;
	struct watch *w;
	unsigned long n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&dl->mu);
	for (w = dl->head; w != NULL; w = w->next) {
		if (w->cut || !late(w, &now))
			continue;
		(void)shutdown(w->fd, SHUT_RDWR);
		w->cut = 1;
		atomic_fetch_add(&cuts, 1);
	}
	pthread_mutex_unlock(&dl->mu);
	/* One line a minute at most: an attack must not fill the log. */
	n = atomic_load(&cuts);
	if (n != *logged && now.tv_sec - *last_log >= 60) {
		log_info("http", "closed %lu connections that sent their request "
		    "too slowly (%lu in all)", n - *logged, n);
		*logged = n;
		*last_log = now.tv_sec;
	}
}

static void *
sweeper(void *arg)
{
	struct deadline *dl = arg;
	struct timespec tick = { 0, DEADLINE_SWEEP_MS * 1000L * 1000L };
	unsigned long logged = 0;
	time_t last_log = 0;

	while (!atomic_load(&dl->stopping)) {
		nanosleep(&tick, NULL);
		sweep(dl, &logged, &last_log);
	}
	return NULL;
}

struct deadline *
deadline_start(void)
{
	struct deadline *dl;

	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		return NULL;
	pthread_mutex_init(&dl->mu, NULL);
	if (pthread_create(&dl->th, NULL, sweeper, dl) != 0) {
		pthread_mutex_destroy(&dl->mu);
		free(dl);
		return NULL;
	}
	return dl;
}

/* After the daemon has stopped: every connection has been reported closed. */
void
deadline_stop(struct deadline *dl)
{
	struct watch *w, *next;

	if (dl == NULL)
		return;
	atomic_store(&dl->stopping, 1);
	pthread_join(dl->th, NULL);
	for (w = dl->head; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
	pthread_mutex_destroy(&dl->mu);
	free(dl);
}

static void
watch_add(struct deadline *dl, struct MHD_Connection *c, void **ctx)
{
	const union MHD_ConnectionInfo *ci;
	struct watch *w;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || (w = calloc(1, sizeof(*w))) == NULL)
		return;		/* unwatched: the idle timeout still applies */
	w->dl = dl;
	w->fd = ci->connect_fd;
	w->phase = PHASE_HEADERS;
	clock_gettime(CLOCK_MONOTONIC, &w->since);
	pthread_mutex_lock(&dl->mu);
	w->next = dl->head;
	if (dl->head != NULL)
		dl->head->prev = w;
	dl->head = w;
	pthread_mutex_unlock(&dl->mu);
	*ctx = w;
}

static void
watch_del(struct watch *w)
{
	struct deadline *dl = w->dl;

	pthread_mutex_lock(&dl->mu);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		dl->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&dl->mu);
	free(w);
}

void
deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		watch_add(cls, c, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED &&
	    *socket_context != NULL) {
		watch_del(*socket_context);
		*socket_context = NULL;
	}
}

static void
set_phase(struct MHD_Connection *c, enum phase p, size_t more)
{
	const union MHD_ConnectionInfo *ci;
	struct watch *w;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (w = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&w->dl->mu);
	if (w->phase != p) {
		w->phase = p;
		w->bytes = 0;
		clock_gettime(CLOCK_MONOTONIC, &w->since);
	}
	w->bytes += more;
	pthread_mutex_unlock(&w->dl->mu);
}

void
deadline_headers_done(struct MHD_Connection *c)
{
	set_phase(c, PHASE_BODY, 0);
}

void
deadline_body(struct MHD_Connection *c, size_t n)
{
	set_phase(c, PHASE_BODY, n);
}

void
deadline_whole(struct MHD_Connection *c)
{
	set_phase(c, PHASE_WHOLE, 0);
}

void
deadline_done(struct MHD_Connection *c)
{
	set_phase(c, PHASE_WAITING, 0);
}

unsigned long
deadline_cuts(void)
{
	return atomic_load(&cuts);
}
