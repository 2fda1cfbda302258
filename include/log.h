/*
 * log: one JSON object per line on stderr. Messages must never carry
 * personal data: no child names, dates of birth, request bodies or SQL error
 * texts (which can quote data). Callers log identifiers and codes.
 */
#ifndef CONVENE_LOG_H
#define CONVENE_LOG_H

void	 log_info(const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_error(const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Something an operator should look at, but service continues (a replica
 * down, a fallback taken). Never silenced. */
void	 log_warn(const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The request line: method, the route's pattern (not the raw path), status
 * and duration in milliseconds. */
void	 log_request(const char *method, const char *route, int status,
	    double ms);
/* Silence info lines (tests, CLI). */
void	 log_set_quiet(int quiet);

#endif
