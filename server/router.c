/*
 * router: matches a request against the route tables. Matching is by whole
 * segments only, so "/api/v1/meetings/1/../x" never reaches a handler.
 */
#include <string.h>

#include "router.h"
#include "str.h"

static const struct route *const tables[] = {
	api_routes,
	account_routes,
	case_routes,
	enquiry_routes,
	action_routes,
	due_routes,
	duty_routes,
	invite_routes,
	stats_routes,
	authority_routes,
	ops_routes,
	record_pdf_routes,
	sso_routes,
	partner_routes,
	partner_sso_routes,
	web_routes,
};

#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/* Compare pattern against path; captures go into params, copied into buf. */
static int
match(const char *pat, const char *path, const char **params, size_t max,
    size_t *np, char *buf, size_t bufsize)
{
	size_t used = 0, n = 0, len;
	const char *seg;

	while (*pat != '\0' && *path != '\0') {
		if (*pat == '*' && pat[1] == '\0') {
			len = strlen(path);
			goto capture_rest;
		}
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			if (close == NULL)
				return 0;
			seg = path;
			len = strcspn(path, "/");
			if (len == 0)
				return 0;
			if (n >= max || used + len + 1 > bufsize)
				return 0;
			memcpy(buf + used, seg, len);
			buf[used + len] = '\0';
			params[n++] = buf + used;
			used += len + 1;
			pat = close + 1;
			path += len;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	if (*pat == '*' && pat[1] == '\0') {
		len = strlen(path);
		goto capture_rest;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	*np = n;
	return 1;
capture_rest:
	if (n >= max || used + len + 1 > bufsize)
		return 0;
	memcpy(buf + used, path, len);
	buf[used + len] = '\0';
	params[n++] = buf + used;
	*np = n;
	return 1;
}

const struct route *
router_match(const char *method, const char *path, const char **params,
    size_t maxparams, size_t *nparams, char *parambuf, size_t bufsize,
    int *path_known)
{
	const struct route *r;
	size_t t, n;

	*path_known = 0;
	*nparams = 0;
	for (t = 0; t < NTABLES; t++) {
		for (r = tables[t]; r->pattern != NULL; r++) {
			if (!match(r->pattern, path, params, maxparams, &n,
			    parambuf, bufsize))
				continue;
			if (strcmp(r->method, method) != 0 &&
			    !(strcmp(method, "HEAD") == 0 &&
			    strcmp(r->method, "GET") == 0)) {
				*path_known = 1;
				continue;
			}
			*nparams = n;
			return r;
		}
	}
	return NULL;
}

void
router_each(void (*fn)(const struct route *, void *), void *arg)
{
	const struct route *r;
	size_t t;

	for (t = 0; t < NTABLES; t++)
		for (r = tables[t]; r->pattern != NULL; r++)
			fn(r, arg);
}
