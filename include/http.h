/*
 * http: the libmicrohttpd front end. It reads a request within explicit
 * limits, finds its route, authenticates, checks the role and CSRF token
 * before any handler runs, then sends what the handler built. Handlers fill a
 * struct http_resp and return; they never touch libmicrohttpd.
 */
#ifndef CONVENE_HTTP_H
#define CONVENE_HTTP_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"
#include "buf.h"
#include "form.h"

#define HTTP_MAX_URI		2048
#define HTTP_MAX_BODY		(256 * 1024)	/* request bodies */
#define HTTP_DRAIN_MAX		(4 * 1024 * 1024) /* read and drop up to this */
#define HTTP_MAX_RESPONSE	(64 * 1024 * 1024)
#define HTTP_MAX_PARAMS		4		/* {id} captures in a path */
#define HTTP_MAX_HEADERS	12		/* extra response headers */
#define HTTP_CONN_TIMEOUT	30		/* seconds idle */
#define HTTP_CONN_LIMIT		512
#define HTTP_PER_IP_LIMIT	128
#define HTTP_LANE_THREADS	4		/* most threads for ROUTE_SLOW */
#define HTTP_LANE_QUEUE		64		/* waiting slow requests */
#define HTTP_WORK_THREADS_MAX	64		/* CONVENE_THREADS at most */
#define HTTP_WORK_QUEUE		256		/* waiting database requests */

struct app;
struct route;
struct db;

struct http_req {
	void			*conn;		/* struct MHD_Connection * */
	struct app		*app;
	const char		*method;
	char			 path[HTTP_MAX_URI];
	const struct route	*route;
	const char		*params[HTTP_MAX_PARAMS];
	char			 parambuf[HTTP_MAX_URI];
	size_t			 nparams;
	struct buf		 body;
	int			 body_too_large;
	struct form		 form;		/* urlencoded POST body */
	int			 authenticated;
	int			 via_session;	/* signed in by cookie */
	struct auth_user	 user;
	struct db		*db;		/* borrowed from the pool */
	struct timespec		 started;
	int			 is_api;	/* path under /api/ */
	int			 session_expired;
};

struct http_header {
	char	name[64];
	char	value[1024];
};

struct http_resp {
	int			 status;
	char			 content_type[96];
	struct buf		 body;
	struct http_header	 headers[HTTP_MAX_HEADERS];
	size_t			 nheaders;
	int			 is_file;	/* body is a static file */
	struct blob		*shared;	/* sent instead of body */
};

struct http_server;

/* Start listening (threads start here). NULL, with err set, on failure. */
struct http_server *http_start(struct app *app, char *err, size_t errlen);
void	 http_stop(struct http_server *s);

/* Request accessors; returned strings are owned by libmicrohttpd. */
const char *http_query(const struct http_req *rq, const char *key);
const char *http_header(const struct http_req *rq, const char *name);
const char *http_cookie(const struct http_req *rq, const char *name);
/* 1 when the peer's address is loopback (127.0.0.0/8 or ::1). */
int	 http_peer_loopback(const struct http_req *rq);
/* The client's address, for per-client limits: the peer's IPv4 address,
 * or, when the peer is one of CONVENE_TRUSTED_PROXIES and sent
 * X-Forwarded-For, the last address in it (the one that proxy added; IPv6
 * cut to its /64, written "ADDR/64"). 0 on success, -1 when unknown. */
int	 http_client_addr(const struct http_req *rq, char *out, size_t outlen);
/* Query parameter key as a whole number in [1, max], def when absent or
 * empty. -1 after answering 400 naming key. */
int	 http_query_long(struct http_req *rq, struct http_resp *rs,
	    const char *key, long max, long def, long *out);
/* A path capture as a positive id; 0 on success. */
int	 http_param_id(const struct http_req *rq, size_t i, long *out);

/* Response helpers. Headers with CR/LF in them are refused. */
int	 http_resp_header(struct http_resp *rs, const char *name,
	    const char *value);
/* Send JSON o (reference stolen) with status. Returns status. */
int	 http_json(struct http_resp *rs, int status, json_t *o);
/* Send raw bytes with a content type. */
int	 http_send(struct http_resp *rs, int status, const char *ctype,
	    const char *data, size_t len);
/* Send a shared body without copying it (a reference is taken). */
int	 http_send_blob(struct http_resp *rs, int status, const char *ctype,
	    struct blob *b);
/* Redirect (303 See Other) to a local path. */
int	 http_redirect(struct http_resp *rs, const char *location);
/*
 * The one error responder. API routes get
 * {"error":{"code":...,"message":...,"field":...}}; pages get an HTML error
 * page. message is for a person and must not echo raw request text beyond a
 * field name. Returns status.
 */
int	 http_error(struct http_req *rq, struct http_resp *rs, int status,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* http_error for a model refusal: 500 goes out bare, the rest with the
 * field it names. */
struct verr;
int	 http_error_verr(struct http_req *rq, struct http_resp *rs,
	    const struct verr *e);

/* Set by a web module to render the HTML error page; NULL = plain text. */
extern int (*http_error_page)(struct http_req *rq, struct http_resp *rs,
    int status, const char *message);

#endif
