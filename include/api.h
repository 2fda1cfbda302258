/*
 * api: the JSON API's shared handler for a model operation on one object:
 * the path's {id}, the JSON body, the operation, its result or its error.
 */
#ifndef CONVENE_API_H
#define CONVENE_API_H

#include <jansson.h>

struct auth_user;
struct db;
struct http_req;
struct http_resp;
struct verr;

/* A model operation (db, user, id, body, out, e), as meeting.h's. */
typedef int (*api_op)(struct db *, const struct auth_user *, long,
    json_t *, json_t **, struct verr *);

/*
 * Run op on the path's first {id} (404 "there is no WHAT with that id"
 * when it is not one) and the request's JSON body (an empty body is {}
 * when allow_empty): 200 with the operation's result, else its error.
 */
int	 api_run_op(struct http_req *rq, struct http_resp *rs, api_op op,
	    const char *what, int allow_empty);

#endif
