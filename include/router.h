/*
 * router: the table of every route: method, path pattern, how the caller
 * authenticates, which roles may call it, and the handler. Each feature
 * module exports its own table; router.c lists the tables. Patterns are
 * literal segments, "{name}" captures one segment, and a trailing "*"
 * captures the rest of the path.
 */
#ifndef CONVENE_ROUTER_H
#define CONVENE_ROUTER_H

#include <stddef.h>

struct http_req;
struct http_resp;

enum route_auth {
	AUTH_NONE,	/* public: health checks, static files, sign-in */
	AUTH_TOKEN,	/* API: "Authorization: Bearer <token>" or a session */
	AUTH_SESSION	/* pages: session cookie; POSTs need the CSRF token */
};

enum route_flags {
	ROUTE_NO_DB	= 1 << 0,	/* handler needs no database */
	ROUTE_NO_CSRF	= 1 << 1,	/* session POST without CSRF (sign-in) */
	ROUTE_RAW_BODY	= 1 << 2,	/* body is not JSON/form (text/calendar) */
	ROUTE_SLOW	= 1 << 3,	/* hashes a password: runs off the server
					   threads (http.c, the slow lane) */
	ROUTE_PW_CHANGE	= 1 << 4,	/* open to a user who must change their
					   password first (after a reset) */
	ROUTE_MFA_ENROL	= 1 << 5	/* open to a session that must set up
					   its second factor first (mfa.h) */
};

typedef int (*route_handler)(struct http_req *, struct http_resp *);

struct route {
	const char	*method;
	const char	*pattern;
	enum route_auth	 auth;
	unsigned	 roles;		/* enum auth_role mask */
	route_handler	 handler;
	unsigned	 flags;
	const char	*summary;	/* one line, for docs and the matrix */
};

/*
 * Find the route for method and path. On a match fills params (pointers into
 * parambuf, which must hold strlen(path)+1 bytes) and returns it. Returns NULL
 * with *path_known set when the path exists under another method (405).
 */
const struct route *router_match(const char *method, const char *path,
	    const char **params, size_t maxparams, size_t *nparams,
	    char *parambuf, size_t bufsize, int *path_known);
/* Call fn for every route, in table order. */
void	 router_each(void (*fn)(const struct route *, void *), void *arg);

/* Module tables, each ending with a zeroed entry. */
extern const struct route api_routes[];		/* server/api.c */
extern const struct route web_routes[];		/* server/web.c */
extern const struct route sso_routes[];		/* server/web_sso.c */
extern const struct route invite_routes[];	/* server/invite_api.c */
extern const struct route stats_routes[];	/* server/stats_api.c */
extern const struct route ops_routes[];		/* server/metrics.c */
extern const struct route authority_routes[];	/* server/authority.c */
extern const struct route record_pdf_routes[];	/* server/record_pdf_http.c */
extern const struct route account_routes[];	/* server/account.c */
extern const struct route case_routes[];		/* server/cases.c */
extern const struct route enquiry_routes[];	/* server/enquiry_api.c */
extern const struct route action_routes[];	/* server/actions.c */
extern const struct route due_routes[];		/* server/due.c */
extern const struct route partner_routes[];	/* server/web_partner.c */
extern const struct route partner_sso_routes[]; /* web_partner_sso.c */
extern const struct route duty_routes[];	/* server/duty_api.c */

#endif
