/*
 * log: structured lines built with jansson so that any value is escaped
 * correctly; one fputs per line so lines from threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "log.h"

static int quiet;

void
log_set_quiet(int q)
{
	quiet = q;
}

static void
emit(json_t *o)
{
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	char *line;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, "ts", json_string(ts));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line != NULL) {
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	json_decref(o);
}

static void vlog(const char *, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vlog(const char *level, const char *module, const char *fmt, va_list ap)
{
	char msg[512];
	json_t *o;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	if ((o = json_object()) == NULL)
		return;
	json_object_set_new(o, "level", json_string(level));
	json_object_set_new(o, "module", json_string(module));
	/* json_string rejects invalid UTF-8; fall back to a marker. */
	if (json_object_set_new(o, "msg", json_string(msg)) != 0)
		json_object_set_new(o, "msg", json_string("(unprintable)"));
	emit(o);
}

void
log_info(const char *module, const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog("info", module, fmt, ap);
	va_end(ap);
}

void
log_error(const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error", module, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", module, fmt, ap);
	va_end(ap);
}

void
log_request(const char *method, const char *route, int status, double ms)
{
	json_t *o;

	if (quiet || (o = json_object()) == NULL)
		return;
	json_object_set_new(o, "level", json_string("info"));
	json_object_set_new(o, "module", json_string("http"));
	json_object_set_new(o, "method", json_string(method));
	json_object_set_new(o, "route", json_string(route));
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "ms", json_real(ms));
	emit(o);
}
