/*
 * session: signed-in browser sessions, kept in PostgreSQL so that any
 * instance can serve any request. The cookie holds 32 random bytes; the
 * database holds only their hash. Each session has its own CSRF token.
 */
#ifndef CONVENE_SESSION_H
#define CONVENE_SESSION_H

#include <stddef.h>

#define SESSION_COOKIE		"convene_session"
#define SESSION_IDLE_SECONDS	(30 * 60)
#define SESSION_MAX_SECONDS	(10 * 60 * 60)

struct db;
struct http_req;
struct http_resp;

/* Resolve the request's session cookie into rq->user. 0 signed in, 1 not
 * (rq->session_expired set when it had timed out), -1 database error. */
int	 session_authenticate(struct http_req *rq);
/* 0 when the request's form field csrf_token (or header X-CSRF-Token)
 * matches the session's token. */
int	 session_csrf_ok(const struct http_req *rq);
/* Start a fresh session for user_id (any old one in the request is ended:
 * rotation at sign-in) and set the cookie on rs. 0 on success. */
int	 session_create(struct http_req *rq, struct http_resp *rs, long user_id);
/* End the request's session and clear the cookie. */
int	 session_destroy(struct http_req *rq, struct http_resp *rs);

#endif
