/*
 * deadline: a request must arrive at a useful pace. libmicrohttpd only
 * closes a connection that is idle for HTTP_CONN_TIMEOUT, so a client that
 * sends a header byte every few seconds, or a body at a few bytes a second,
 * would hold a connection (and, many of them, every connection) for ever.
 * Each connection is watched from accept to close; a sweeper thread shuts
 * down the socket of one that is late, and libmicrohttpd then closes it as
 * it would any connection the client dropped.
 */
#ifndef CONVENE_DEADLINE_H
#define CONVENE_DEADLINE_H

#include <stddef.h>

#include <microhttpd.h>

#define DEADLINE_HEADERS_SECS	10	/* accept to the end of the headers */
#define DEADLINE_BODY_GRACE_SECS 10	/* before the body's rate counts */
#define DEADLINE_BODY_MIN_RATE	1024	/* bytes a second, on average */
#define DEADLINE_SWEEP_MS	250

struct deadline;

struct deadline *deadline_start(void);
void	 deadline_stop(struct deadline *dl);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback; cls is dl. */
void	 deadline_notify(void *cls, struct MHD_Connection *c,
	    void **socket_context, enum MHD_ConnectionNotificationCode code);
/* The request's headers are in: the body's clock starts. */
void	 deadline_headers_done(struct MHD_Connection *c);
/* n more bytes of body arrived. */
void	 deadline_body(struct MHD_Connection *c, size_t n);
/* The request is whole: our own work is never cut. */
void	 deadline_whole(struct MHD_Connection *c);
/* The response went: the next request's headers are due within the idle
 * timeout and DEADLINE_HEADERS_SECS. */
void	 deadline_done(struct MHD_Connection *c);
/* Connections cut so far (for /metrics). */
unsigned long deadline_cuts(void);

#endif
