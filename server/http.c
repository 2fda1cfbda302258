/*
 * http: request flow, top to bottom: read within limits -> route -> database
 * -> authenticate -> role -> CSRF -> handler -> reply -> log. Every check
 * happens before the handler, so handlers only do their one job. Responses
 * are queued on the second access-handler call at the earliest: queuing on
 * the first makes libmicrohttpd 0.9.75 close keep-alive connections.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <microhttpd.h>

#include "app.h"
#include "auth.h"
#include "db.h"
#include "deadline.h"
#include "http.h"
#include "log.h"
#include "meeting.h"
#include "metrics.h"
#include "router.h"
#include "session.h"
#include "str.h"

struct ctx;

/*
 * A lane: a queue of suspended requests and the threads that run them.
 * Guarded by mu. The slow lane runs password hashing. The work lane runs
 * every request that uses the database: libmicrohttpd keeps a connection
 * on the server thread that accepted it, so with handlers that wait for
 * PostgreSQL on that thread, eight connections that landed on two of four
 * threads were served two at a time while the others idled
 * (docs/performance.md). On the work lane any free thread takes the next
 * request, whichever connection it came on; the server threads read and
 * write, and answer the routes that need no database (feeds from memory,
 * health, assets) themselves.
 */
struct http_server;

struct lane {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct ctx		*head, *tail;
	int			 queued;
	int			 max_queued;
	int			 stopping;
	pthread_t		 th[HTTP_WORK_THREADS_MAX];
	int			 nth;
	struct http_server	*s;
};

struct http_server {
	struct MHD_Daemon	*d;
	struct app		*app;
	struct lane		 lane;		/* slow */
	struct lane		 work;		/* database */
	struct deadline		*dl;
};

enum lane_state {
	LANE_NONE,		/* runs on the server thread */
	LANE_QUEUED,		/* suspended, in or taken from the queue */
	LANE_DONE		/* response built in rs; resumed */
};

struct ctx {
	struct http_req		rq;
	int			responded;	/* a response is queued */
	int			refuse_unread;	/* body far too large: answer now */
	int			early_status;	/* decided before the body */
	char			early_msg[128];
	const char		*early_field;
	struct http_resp	rs;		/* built by dispatch() */
	int			rs_ready;	/* rs initialised */
	enum lane_state		lane;
	struct MHD_Connection	*mhd;
	struct ctx		*next;		/* in the slow lane's queue */
};

int (*http_error_page)(struct http_req *, struct http_resp *, int,
    const char *) = NULL;

const char *
http_query(const struct http_req *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *
http_header(const struct http_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *
http_cookie(const struct http_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

int
http_peer_loopback(const struct http_req *rq)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return 0;
}

/* 1 when addr (IPv4 text) is in the comma-separated list. */
static int
addr_listed(const char *list, const char *addr)
{
	size_t n, len = strlen(addr);

	while (*list != '\0') {
		n = strcspn(list, ",");
		if (n == len && strncmp(list, addr, n) == 0)
			return 1;
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* Normalise one address: IPv4 as dotted quad, IPv6 cut to its /64 (one
 * client usually holds a whole /64). 0 on success. */
static int
addr_normal(const char *in, char *out, size_t outlen)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, in, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, (socklen_t)outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, in, &a6) == 1) {
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) == NULL ||
		    snprintf(out, outlen, "%s/64", buf) >= (int)outlen)
			return -1;
		return 0;
	}
	return -1;
}

int
http_client_addr(const struct http_req *rq, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const struct sockaddr_in *sin;
	const char *xff, *last;
	char peer[INET_ADDRSTRLEN], hop[INET6_ADDRSTRLEN + 1];
	size_t n;

	ci = MHD_get_connection_info(rq->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL ||
	    sa->sa_family != AF_INET)
		return -1;
	sin = (const struct sockaddr_in *)(const void *)sa;
	if (inet_ntop(AF_INET, &sin->sin_addr, peer, sizeof(peer)) == NULL)
		return -1;
	xff = http_header(rq, "X-Forwarded-For");
	if (xff == NULL || !addr_listed(rq->app->cfg.trusted_proxies, peer))
		return str_copy(out, peer, outlen) < outlen ? 0 : -1;
	/* Our proxy appends the address it saw; anything before that was
	 * written by the client and proves nothing. */
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	last += strspn(last, " \t");
	n = strcspn(last, " \t");
	if (n == 0 || n >= sizeof(hop))
		return -1;
	memcpy(hop, last, n);
	hop[n] = '\0';
	return addr_normal(hop, out, outlen);
}

int
http_query_long(struct http_req *rq, struct http_resp *rs, const char *key,
    long max, long def, long *out)
{
	const char *v = http_query(rq, key);

	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (str_to_long(v, 1, max, out) == 0)
		return 0;
	http_error(rq, rs, 400, key, "%s: must be a whole number from 1 to %ld",
	    key, max);
	return -1;
}

int
http_param_id(const struct http_req *rq, size_t i, long *out)
{
	if (i >= rq->nparams)
		return -1;
	return str_to_long(rq->params[i], 1, 9007199254740991L, out);
}

int
http_resp_header(struct http_resp *rs, const char *name, const char *value)
{
	struct http_header *h;

	if (rs->nheaders >= HTTP_MAX_HEADERS || str_has_ctl(name) ||
	    str_has_ctl(value))
		return -1;
	h = &rs->headers[rs->nheaders];
	if (str_copy(h->name, name, sizeof(h->name)) >= sizeof(h->name) ||
	    str_copy(h->value, value, sizeof(h->value)) >= sizeof(h->value))
		return -1;
	rs->nheaders++;
	return 0;
}

static void
drop_shared(struct http_resp *rs)
{
	blob_unref(rs->shared);
	rs->shared = NULL;
}

int
http_send(struct http_resp *rs, int status, const char *ctype,
    const char *data, size_t len)
{
	drop_shared(rs);
	buf_reset(&rs->body);
	str_copy(rs->content_type, ctype, sizeof(rs->content_type));
	if (buf_append(&rs->body, data, len) != 0)
		return rs->status = 500;
	return rs->status = status;
}

int
http_json(struct http_resp *rs, int status, json_t *o)
{
	char *s;

	if (o == NULL)
		return rs->status = 500;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return rs->status = 500;
	http_send(rs, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
	return rs->status;
}

int
http_send_blob(struct http_resp *rs, int status, const char *ctype,
    struct blob *b)
{
	drop_shared(rs);
	buf_reset(&rs->body);
	str_copy(rs->content_type, ctype, sizeof(rs->content_type));
	rs->shared = blob_ref(b);
	return rs->status = status;
}

int
http_redirect(struct http_resp *rs, const char *location)
{
	drop_shared(rs);
	buf_reset(&rs->body);
	if (location[0] != '/' || location[1] == '/' ||
	    http_resp_header(rs, "Location", location) != 0)
		return rs->status = 500;
	str_copy(rs->content_type, "text/plain", sizeof(rs->content_type));
	return rs->status = 303;
}

static const char *
status_code_name(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 414: return "uri_too_long";
	case 415: return "unsupported_media_type";
	case 422: return "invalid";
	case 429: return "too_many_requests";
	case 503: return "unavailable";
	default: return "internal";
	}
}

int
http_error_verr(struct http_req *rq, struct http_resp *rs, const struct verr *e)
{
	if (e->status == 500)
		return rs->status = 500;
	return http_error(rq, rs, e->status, e->field[0] ? e->field : NULL,
	    "%s", e->msg);
}

int
http_error(struct http_req *rq, struct http_resp *rs, int status,
    const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *e;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		str_copy(msg, "error", sizeof(msg));
	va_end(ap);
	if (!str_utf8_valid(msg, strlen(msg)))
		str_copy(msg, "invalid input", sizeof(msg));
	rs->nheaders = 0;
	if (status == 401 && rq->is_api)
		http_resp_header(rs, "WWW-Authenticate", "Bearer");
	if (!rq->is_api && http_error_page != NULL)
		return http_error_page(rq, rs, status, msg);
	if (!rq->is_api)
		return http_send(rs, status, "text/plain; charset=utf-8", msg,
		    strlen(msg));
	e = json_pack("{s:s, s:s}", "code", status_code_name(status),
	    "message", msg);
	if (e != NULL && field != NULL)
		json_object_set_new(e, "field", json_string(field));
	return http_json(rs, status, json_pack("{s:o*}", "error", e));
}

static void
security_headers(struct MHD_Response *r, const struct app *app)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
	    "form-action 'self'; frame-ancestors 'none'");
	if (app->cfg.https)
		MHD_add_response_header(r, "Strict-Transport-Security",
		    "max-age=31536000; includeSubDomains");
}

static void
shared_done(void *cls)
{
	blob_unref(cls);
}

static enum MHD_Result
send_resp(struct MHD_Connection *c, struct http_req *rq, struct http_resp *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len, i;
	char *data;
	int cache_set = 0;

	if (rs->shared != NULL) {
		/* libmicrohttpd drops the reference when it is done sending;
		 * it only reads the buffer, whatever its prototype says. */
		r = MHD_create_response_from_buffer_with_free_callback_cls(
		    blob_len(rs->shared),
		    (void *)(uintptr_t)blob_data(rs->shared), shared_done,
		    rs->shared);
		if (r == NULL)
			return MHD_NO;	/* respond() drops the reference */
		rs->shared = NULL;
	} else {
		data = buf_steal(&rs->body, &len);
		r = MHD_create_response_from_buffer(len, data ? data : "",
		    data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (r == NULL) {
			free(data);
			return MHD_NO;
		}
	}
	if (rs->content_type[0] != '\0')
		MHD_add_response_header(r, "Content-Type", rs->content_type);
	for (i = 0; i < rs->nheaders; i++) {
		MHD_add_response_header(r, rs->headers[i].name,
		    rs->headers[i].value);
		if (str_casecmp(rs->headers[i].name, "Cache-Control") == 0)
			cache_set = 1;
	}
	/* Anything not explicitly cacheable may show case data. */
	if (!cache_set)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	security_headers(r, rq->app);
	ret = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Authenticate by bearer token (API) or session cookie. 0 when signed in,
 * 1 when not, -1 on a database error. */
static int
authenticate(struct http_req *rq)
{
	const char *h = http_header(rq, "Authorization");
	int rc;

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0 &&
	    rq->route->auth == AUTH_TOKEN) {
		rc = auth_token_lookup(rq->db, h + 7, &rq->user);
		return rc;
	}
	rc = session_authenticate(rq);
	if (rc == 0)
		rq->via_session = 1;
	return rc;
}

static int
check_access(struct http_req *rq, struct http_resp *rs)
{
	const struct route *r = rq->route;
	int rc;

	if (r->auth == AUTH_NONE) {
		/* Public pages may still want to know who is signed in. */
		if (!(r->flags & ROUTE_NO_DB) && session_authenticate(rq) == 0)
			rq->authenticated = 1;
		return 0;
	}
	if ((rc = authenticate(rq)) < 0)
		return http_error(rq, rs, 503, NULL,
		    "the database is not available; try again shortly");
	if (rc > 0) {
		if (!rq->is_api && strcmp(rq->method, "GET") == 0)
			return http_redirect(rs, "/sign-in");
		return http_error(rq, rs, 401, NULL, rq->session_expired ?
		    "your session has expired; sign in again" :
		    "sign in or send an API token");
	}
	rq->authenticated = 1;
	if (!(r->roles & (unsigned)rq->user.role))
		return http_error(rq, rs, 403, NULL,
		    "your role may not do this");
	/* After an administrator's reset, nothing but choosing a new
	 * password (and signing out). */
	if (rq->user.must_change_password && !(r->flags & ROUTE_PW_CHANGE)) {
		if (!rq->is_api && strcmp(rq->method, "GET") == 0)
			return http_redirect(rs, "/account/password");
		return http_error(rq, rs, 403, NULL, "choose a new password "
		    "first (your password was reset)");
	}
	/* A manager or admin (or anyone, where the authority says so)
	 * without a second factor: nothing but setting one up. Bearer
	 * tokens are a second secret already (docs/security.md). */
	if (rq->via_session && rq->user.mfa_enrol_needed &&
	    !(r->flags & ROUTE_MFA_ENROL)) {
		if (!rq->is_api && strcmp(rq->method, "GET") == 0)
			return http_redirect(rs, "/account/mfa");
		return http_error(rq, rs, 403, NULL, "set up your second "
		    "factor first (/account/mfa)");
	}
	/* Any change made with a cookie needs the session's CSRF token, on
	 * API routes too; a bearer token is not sent by browsers on their own. */
	if (rq->via_session && strcmp(rq->method, "GET") != 0 &&
	    strcmp(rq->method, "HEAD") != 0 && !(r->flags & ROUTE_NO_CSRF) &&
	    session_csrf_ok(rq) != 0)
		return http_error(rq, rs, 403, "csrf_token",
		    "the form has expired; go back, reload the page and try again");
	return 0;
}

static int
is_form(const struct http_req *rq)
{
	const char *ct = http_header(rq, "Content-Type");

	return strcmp(rq->method, "POST") == 0 && ct != NULL &&
	    strncmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static void
dispatch(struct ctx *cx, struct http_resp *rs)
{
	struct http_req *rq = &cx->rq;
	const struct route *r = rq->route;

	if (cx->early_status != 0) {
		http_error(rq, rs, cx->early_status, cx->early_field, "%s",
		    cx->early_msg);
		return;
	}
	if (rq->body_too_large) {
		http_error(rq, rs, 413, NULL, "the request body is larger than "
		    "%d bytes", HTTP_MAX_BODY);
		return;
	}
	if (is_form(rq) && form_parse(&rq->form, rq->body.data ?
	    rq->body.data : "", rq->body.len) != 0) {
		http_error(rq, rs, 400, NULL, "the form could not be read");
		return;
	}
	if (!(r->flags & ROUTE_NO_DB) &&
	    (rq->db = db_pool_get(rq->app->pool, 5000)) == NULL) {
		http_error(rq, rs, 503, NULL,
		    "the database is not available; try again shortly");
		return;
	}
	if (check_access(rq, rs) != 0)
		return;
	rs->status = 500;
	r->handler(rq, rs);
	/* A handler that failed because the database went away answers 503,
	 * so clients and load balancers retry rather than give up. */
	if (rs->status == 500 && rq->db != NULL && rq->db->broken)
		http_error(rq, rs, 503, NULL,
		    "the database is not available; try again shortly");
	else if (rs->status == 500 && rq->db != NULL && rq->db->starved)
		/* Disk full (53100) and the like: the transaction was rolled
		 * back, and retrying later, once there is room, is right. */
		http_error(rq, rs, 503, NULL, "the database has run out of "
		    "space or resources; nothing was changed; try again later");
	else if (rs->status == 500 && rs->body.len == 0)
		http_error(rq, rs, 500, NULL, "something went wrong; nothing "
		    "was changed");
}

static void
early(struct ctx *cx, int status, const char *field, const char *msg)
{
	cx->early_status = status;
	cx->early_field = field;
	str_copy(cx->early_msg, msg, sizeof(cx->early_msg));
}

static const struct route not_found_route = {
	"GET", "(unmatched)", AUTH_NONE, 0, NULL, ROUTE_NO_DB, NULL
};

/* First call: decide everything that does not need the body. */
static void
begin(struct ctx *cx, struct MHD_Connection *c, const char *url,
    const char *method)
{
	struct http_req *rq = &cx->rq;
	const char *cl;
	int known = 0;
	long n;

	rq->conn = c;
	rq->method = method;
	clock_gettime(CLOCK_MONOTONIC, &rq->started);
	buf_init(&rq->body, HTTP_MAX_BODY);
	rq->route = &not_found_route;
	rq->is_api = strncmp(url, "/api/", 5) == 0;
	if (str_copy(rq->path, url, sizeof(rq->path)) >= sizeof(rq->path)) {
		early(cx, 414, NULL, "the address is too long");
		return;
	}
	rq->route = router_match(method, rq->path, rq->params, HTTP_MAX_PARAMS,
	    &rq->nparams, rq->parambuf, sizeof(rq->parambuf), &known);
	if (rq->route == NULL) {
		rq->route = &not_found_route;
		if (known)
			early(cx, 405, NULL, "this address does not accept "
			    "that method");
		else
			early(cx, 404, NULL, "there is nothing at this address");
		return;
	}
	cl = http_header(rq, "Content-Length");
	if (cl != NULL && (str_to_long(cl, 0, HTTP_MAX_BODY, &n) != 0)) {
		rq->body_too_large = 1;
		/* Near misses are read and dropped so the client, still
		 * sending, sees the 413; huge claims are refused unread. */
		if (str_to_long(cl, 0, HTTP_DRAIN_MAX, &n) != 0)
			cx->refuse_unread = 1;
	}
}

static enum MHD_Result respond(struct http_server *, struct ctx *,
    struct MHD_Connection *, const char *);

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct ctx *cx = *con_cls;

	(void)version;
	if (cx == NULL) {
		if ((cx = calloc(1, sizeof(*cx))) == NULL)
			return MHD_NO;
		cx->rq.app = s->app;
		*con_cls = cx;
		deadline_headers_done(c);
		begin(cx, c, url, method);
		/* A body announced over the limit is refused before the client
		 * sends it (no "100 Continue"; the connection then closes). Other
		 * requests are answered on a later call: see the file comment. */
		if (cx->refuse_unread)
			return respond(s, cx, c, method);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		deadline_body(c, *upload_data_size);
		if (!cx->rq.body_too_large && cx->early_status == 0 &&
		    buf_append(&cx->rq.body, upload_data, *upload_data_size))
			cx->rq.body_too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	deadline_whole(c);
	return respond(s, cx, c, method);
}

/* Run the request: dispatch into cx->rs, then give the connection back. */
static void
run_request(struct http_server *s, struct ctx *cx)
{
	dispatch(cx, &cx->rs);
	if (cx->rq.db != NULL) {
		db_pool_put(s->app->pool, cx->rq.db);
		cx->rq.db = NULL;
	}
}

static void *
lane_main(void *arg)
{
	struct lane *l = arg;
	struct ctx *cx;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (l->head == NULL && !l->stopping)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->head == NULL)
			break;		/* stopping, and nothing left */
		cx = l->head;
		l->head = cx->next;
		if (l->head == NULL)
			l->tail = NULL;
		l->queued--;
		pthread_mutex_unlock(&l->mu);
		run_request(l->s, cx);
		cx->lane = LANE_DONE;
		MHD_resume_connection(cx->mhd);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Queue cx on lane l, suspending its connection. 0 when queued; 1 when
 * the lane is full (the caller answers 503); -1 when the lane is not
 * running (the caller runs the request itself). */
static int
lane_submit(struct lane *l, struct ctx *cx, struct MHD_Connection *c)
{
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (l->stopping || l->nth == 0)
		rc = -1;
	else if (l->queued >= l->max_queued)
		rc = 1;
	else {
		cx->lane = LANE_QUEUED;
		cx->mhd = c;
		cx->next = NULL;
		MHD_suspend_connection(c);
		if (l->tail != NULL)
			l->tail->next = cx;
		else
			l->head = cx;
		l->tail = cx;
		l->queued++;
		pthread_cond_signal(&l->cv);
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static void
lane_init(struct lane *l, struct http_server *s, int max_queued)
{
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->s = s;
	l->max_queued = max_queued;
}

static void
lane_start(struct lane *l, int want)
{
	if (want > HTTP_WORK_THREADS_MAX)
		want = HTTP_WORK_THREADS_MAX;
	while (l->nth < want && pthread_create(&l->th[l->nth], NULL,
	    lane_main, l) == 0)
		l->nth++;
}

/* Finish what the lane holds (resuming each connection); later requests
 * run on the server threads. */
static void
lane_stop(struct lane *l)
{
	int i;

	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	for (i = 0; i < l->nth; i++)
		pthread_join(l->th[i], NULL);
	l->nth = 0;
}

static void
lane_destroy(struct lane *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
}

/* Send and log the response built in cx->rs. */
static enum MHD_Result
finish(struct ctx *cx, struct MHD_Connection *c, const char *method)
{
	struct timespec now;
	enum MHD_Result ret;
	double ms;

	ret = send_resp(c, &cx->rq, &cx->rs);
	drop_shared(&cx->rs);
	buf_free(&cx->rs.body);
	cx->rs_ready = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - cx->rq.started.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - cx->rq.started.tv_nsec) / 1e6;
	log_request(method, cx->rq.route->pattern, cx->rs.status, ms);
	metrics_request(method, cx->rq.route->pattern, cx->rs.status, ms);
	return ret;
}

/* Build, send and log the response for a request that has been read. */
static enum MHD_Result
respond(struct http_server *s, struct ctx *cx, struct MHD_Connection *c,
    const char *method)
{
	int rc;

	if (cx->lane == LANE_DONE) {
		cx->lane = LANE_NONE;
		return finish(cx, c, method);
	}
	if (cx->lane == LANE_QUEUED || cx->responded++)
		return MHD_YES;
	memset(&cx->rs, 0, sizeof(cx->rs));
	buf_init(&cx->rs.body, HTTP_MAX_RESPONSE);
	cx->rs_ready = 1;
	cx->rs.status = 500;
	if (cx->early_status == 0 && !cx->rq.body_too_large &&
	    (cx->rq.route->flags & (ROUTE_SLOW | ROUTE_NO_DB)) != ROUTE_NO_DB) {
		rc = lane_submit(cx->rq.route->flags & ROUTE_SLOW ? &s->lane :
		    &s->work, cx, c);
		if (rc == 0)
			return MHD_YES;		/* resumed when done */
		if (rc == 1) {
			http_error(&cx->rq, &cx->rs, 503, NULL, "too many "
			    "requests are waiting; try again in a moment");
			http_resp_header(&cx->rs, "Retry-After", "1");
			return finish(cx, c, method);
		}
	}
	run_request(s, cx);
	return finish(cx, c, method);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct ctx *cx = *con_cls;

	(void)toe;
	if (cx == NULL)
		return;
	deadline_done(c);
	if (cx->rq.db != NULL)
		db_pool_put(s->app->pool, cx->rq.db);
	if (cx->rs_ready) {
		drop_shared(&cx->rs);
		buf_free(&cx->rs.body);
	}
	buf_free(&cx->rq.body);
	form_free(&cx->rq.form);
	free(cx);
	*con_cls = NULL;
}

/*
 * libmicrohttpd's unescaping of the path and query, except that text with
 * "%00" is left as sent: decoded, the NUL would end the C string early, so
 * "/rsvp/<token>/accept%00junk" would be read as ".../accept". Left encoded
 * it matches no route and no value (a 404 or a field error).
 */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	if (strstr(s, "%00") != NULL)
		return strlen(s);
	return MHD_http_unescape(s);
}

struct http_server *
http_start(struct app *app, char *err, size_t errlen)
{
	struct http_server *s;
	struct sockaddr_in sin;
	long ncpu;
	int want;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)app->cfg.listen_port);
	if (inet_pton(AF_INET, app->cfg.listen_host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "CONVENE_LISTEN: %s is not an IPv4 "
		    "address", app->cfg.listen_host);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->app = app;
	if ((s->dl = deadline_start()) == NULL) {
		snprintf(err, errlen, "could not start the request deadline "
		    "thread");
		free(s);
		return NULL;
	}
	lane_init(&s->lane, s, HTTP_LANE_QUEUE);
	lane_init(&s->work, s, HTTP_WORK_QUEUE);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)app->cfg.threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP_LIMIT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, deadline_notify, s->dl,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errlen, "could not listen on %s: %s",
		    app->cfg.listen, strerror(errno));
		lane_destroy(&s->lane);
		lane_destroy(&s->work);
		deadline_stop(s->dl);
		free(s);
		return NULL;
	}
	/* Half the processors at most, so hashing leaves the server threads
	 * a processor; without lane threads, slow routes run on the server
	 * threads. */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	want = ncpu >= 4 ? (int)(ncpu / 2) : 1;
	if (want > HTTP_LANE_THREADS)
		want = HTTP_LANE_THREADS;
	lane_start(&s->lane, want);
	lane_start(&s->work, app->cfg.threads);
	return s;
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	/* The lanes finish what they hold before the daemon stops. */
	lane_stop(&s->lane);
	lane_stop(&s->work);
	MHD_stop_daemon(s->d);
	deadline_stop(s->dl);
	lane_destroy(&s->lane);
	lane_destroy(&s->work);
	free(s);
}
