/*
 * fuzz_router: libFuzzer target for the URL router (router_match over every
 * route table) and the query-string decoder. The input is "METHOD PATH", the
 * method being everything before the first space (GET when there is none);
 * a '?' in the path splits off a query string, decoded with form_parse as
 * the server decodes urlencoded text. Properties checked beyond memory
 * safety: the parameter buffer is exactly strlen(path)+1 bytes (the
 * documented minimum) so ASan sees any overrun; a match returns a route
 * whose method is the one asked for (or GET for HEAD), at most maxparams
 * captures, each a NUL-terminated string inside the buffer and a substring
 * of the path; captures of "{name}" segments are never empty and never
 * contain '/' (so "..", wherever it is, can only be a whole captured
 * segment or part of a trailing "*" capture); and a miss never leaves
 * captures behind.
 *
 *   ./scripts/fuzz.sh 600      (every target), or by hand:
 *   build-fuzz/fuzz_router -max_total_time=600 tests/fuzz/corpus_router
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP	4	/* as HTTP_MAX_PARAMS */

static void
check(const char *method, const char *path)
{
	const struct route *r;
	const char *params[MAXP];
	size_t np = 99, i, blen = strlen(path) + 1;
	char *buf = malloc(blen);
	int known = -1, pattern_rest;

	if (buf == NULL)
		return;
	r = router_match(method, path, params, MAXP, &np, buf, blen, &known);
	if (known != 0 && known != 1)
		abort();
	if (r == NULL) {
		if (np != 0)
			abort();
		free(buf);
		return;
	}
	if (strcmp(r->method, method) != 0 && !(strcmp(method, "HEAD") == 0 &&
	    strcmp(r->method, "GET") == 0))
		abort();
	if (r->handler == NULL || np > MAXP)
		abort();
	pattern_rest = strchr(r->pattern, '*') != NULL;
	for (i = 0; i < np; i++) {
		size_t len;
		if (params[i] < buf || params[i] >= buf + blen)
			abort();
		len = strnlen(params[i], (size_t)(buf + blen - params[i]));
		if (params[i] + len >= buf + blen)
			abort();	/* not terminated inside the buffer */
		if (strstr(path, params[i]) == NULL)
			abort();
		if (!(pattern_rest && i == np - 1) &&
		    (len == 0 || strchr(params[i], '/') != NULL))
			abort();
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *sp, *method, *path, *q;
	struct form f;

	if (size > 16 * 1024)
		return 0;
	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';	/* the server sees C strings: stop at a NUL */
	sp = strchr(in, ' ');
	if (sp != NULL) {
		*sp = '\0';
		method = in;
		path = sp + 1;
	} else {
		method = "GET";
		path = in;
	}
	if ((q = strchr(path, '?')) != NULL) {
		*q++ = '\0';
		if (form_parse(&f, q, strlen(q)) == 0 && f.n > FORM_MAX_FIELDS)
			abort();
		form_free(&f);
	}
	check(method, path);
	check("HEAD", path);
	free(in);
	return 0;
}
