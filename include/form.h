/*
 * form: application/x-www-form-urlencoded bodies and query strings, decoded
 * into bounded key/value pairs. Repeated keys (checkboxes) are kept in order.
 */
#ifndef CONVENE_FORM_H
#define CONVENE_FORM_H

#include <stddef.h>

#define FORM_MAX_FIELDS	256

struct form {
	size_t	 n;
	char	*keys[FORM_MAX_FIELDS];
	char	*vals[FORM_MAX_FIELDS];
	char	*mem;	/* one allocation holding every key and value */
};

/* Parse body[0..len). 0 on success; -1 when malformed (bad escape, invalid
 * UTF-8, NUL), over FORM_MAX_FIELDS, or out of memory. f is always safe to
 * free afterwards. */
int	 form_parse(struct form *f, const char *body, size_t len);
/* The first value for key, or NULL. */
const char *form_get(const struct form *f, const char *key);
/* Up to max values for key, in order; returns how many. */
size_t	 form_get_all(const struct form *f, const char *key, const char **out,
	    size_t max);
void	 form_free(struct form *f);

#endif
