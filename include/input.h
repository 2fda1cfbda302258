/*
 * input: checks for fields of a JSON request object, each failing with a
 * message that names the field. Strings are borrowed from the JSON object.
 */
#ifndef CONVENE_INPUT_H
#define CONVENE_INPUT_H

/* The longest time text accepted ("2026-12-02T10:00:00.123456+05:30"). */
#define INPUT_TIME_TEXT_MAX	40

#include <stddef.h>
#include <time.h>

#include <jansson.h>

struct verr;

enum input_opt {
	INPUT_OPTIONAL	= 0,
	INPUT_REQUIRED	= 1 << 0,
	INPUT_MULTILINE	= 1 << 1	/* allow CR, LF and TAB */
};

/* Fail with 422 naming the first key of o not in allowed (NULL-ended). */
int	 input_known_keys(json_t *o, const char *const *allowed,
	    const char *prefix, struct verr *e);
/* A string of at most maxchars characters, trimmed of nothing; empty
 * strings count as missing when required. *out is NULL when absent. */
int	 input_str(json_t *o, const char *key, const char *field, int opts,
	    size_t maxchars, const char **out, struct verr *e);
/* One of the values in allowed (NULL-ended). */
int	 input_enum(json_t *o, const char *key, const char *field, int opts,
	    const char *const *allowed, const char **out, struct verr *e);
/* A whole number in [min, max]; *present set when given. */
int	 input_int(json_t *o, const char *key, const char *field, int opts,
	    long min, long max, long *out, int *present, struct verr *e);
int	 input_bool(json_t *o, const char *key, const char *field, int opts,
	    int *out, int *present, struct verr *e);
/* A date and time (ltime_parse rules). */
int	 input_time(json_t *o, const char *key, const char *field, int opts,
	    time_t *out, int *present, struct verr *e);
/* A date "YYYY-MM-DD", copied into out (11 bytes). */
int	 input_date(json_t *o, const char *key, const char *field, int opts,
	    char *out, int *present, struct verr *e);
/* An email address. */
int	 input_email(json_t *o, const char *key, const char *field, int opts,
	    const char **out, struct verr *e);

#endif
