/*
 * input: the field checks every JSON handler shares, so that each limit and
 * each error message is written once.
 */
#include <stdio.h>
#include <string.h>

#include "input.h"
#include "ltime.h"
#include "meeting.h"
#include "str.h"

int
input_known_keys(json_t *o, const char *const *allowed, const char *prefix,
    struct verr *e)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL && key[0] == '\0') {
			/* "" would name no field: name what holds it. */
			char holder[96];
			size_t n = strlen(prefix);

			snprintf(holder, sizeof(holder), "%.*s", (int)(n > 0 &&
			    prefix[n - 1] == '.' ? n - 1 : n), prefix);
			if (holder[0] == '\0')
				str_copy(holder, "body", sizeof(holder));
			str_utf8_cut(holder);
			return verr_set(e, 422, holder, "%s: has a field with an "
			    "empty name", holder);
		}
		if (allowed[i] == NULL) {
			char fname[96];
			snprintf(fname, sizeof(fname), "%s%s", prefix, key);
			/* A long key may be cut mid-character: the name goes
			 * into a JSON error, which must be valid UTF-8. */
			str_utf8_cut(fname);
			return verr_set(e, 422, fname, "%s: is not a field this "
			    "request accepts", fname);
		}
	}
	return 0;
}

static json_t *
field(json_t *o, const char *key, const char *name, int opts, struct verr *e,
    int *missing)
{
	json_t *v = json_object_get(o, key);

	*missing = v == NULL || json_is_null(v);
	if (*missing && (opts & INPUT_REQUIRED))
		verr_set(e, 422, name, "%s: is required", name);
	return *missing ? NULL : v;
}

int
input_str(json_t *o, const char *key, const char *name, int opts,
    size_t maxchars, const char **out, struct verr *e)
{
	const char *s, *c;
	int missing;
	json_t *v;

	*out = NULL;
	v = field(o, key, name, opts, e, &missing);
	if (missing)
		return (opts & INPUT_REQUIRED) ? -1 : 0;
	if (!json_is_string(v))
		return verr_set(e, 422, name, "%s: must be text", name);
	s = json_string_value(v);
	/* jansson has checked UTF-8 and refused NUL already. */
	if (str_utf8_len(s) > maxchars)
		return verr_set(e, 422, name, "%s: must be %zu characters or "
		    "fewer", name, maxchars);
	for (c = s; *c != '\0'; c++) {
		unsigned char ch = (unsigned char)*c;
		if ((ch < 0x20 || ch == 0x7f) && !((opts & INPUT_MULTILINE) &&
		    (ch == '\n' || ch == '\r' || ch == '\t')))
			return verr_set(e, 422, name, "%s: must not contain "
			    "control characters", name);
	}
	if ((opts & INPUT_REQUIRED) && strspn(s, " \t\r\n") == strlen(s))
		return verr_set(e, 422, name, "%s: is required", name);
	*out = s;
	return 0;
}

int
input_enum(json_t *o, const char *key, const char *name, int opts,
    const char *const *allowed, const char **out, struct verr *e)
{
	char list[256] = "";
	size_t i, used = 0;
	int n;

	if (input_str(o, key, name, opts, 64, out, e) != 0)
		return -1;
	if (*out == NULL)
		return 0;
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(*out, allowed[i]) == 0)
			return 0;
	for (i = 0; allowed[i] != NULL && used < sizeof(list); i++) {
		n = snprintf(list + used, sizeof(list) - used, "%s%s",
		    i ? ", " : "", allowed[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	*out = NULL;
	return verr_set(e, 422, name, "%s: must be one of %s", name, list);
}

int
input_int(json_t *o, const char *key, const char *name, int opts, long min,
    long max, long *out, int *present, struct verr *e)
{
	int missing;
	json_t *v;
	json_int_t n;

	if (present != NULL)
		*present = 0;
	v = field(o, key, name, opts, e, &missing);
	if (missing)
		return (opts & INPUT_REQUIRED) ? -1 : 0;
	if (!json_is_integer(v))
		return verr_set(e, 422, name, "%s: must be a whole number",
		    name);
	n = json_integer_value(v);
	if (n < min || n > max)
		return verr_set(e, 422, name, "%s: must be from %ld to %ld",
		    name, min, max);
	*out = (long)n;
	if (present != NULL)
		*present = 1;
	return 0;
}

int
input_bool(json_t *o, const char *key, const char *name, int opts, int *out,
    int *present, struct verr *e)
{
	int missing;
	json_t *v;

	if (present != NULL)
		*present = 0;
	v = field(o, key, name, opts, e, &missing);
	if (missing)
		return (opts & INPUT_REQUIRED) ? -1 : 0;
	if (!json_is_boolean(v))
		return verr_set(e, 422, name, "%s: must be true or false", name);
	*out = json_is_true(v);
	if (present != NULL)
		*present = 1;
	return 0;
}

int
input_time(json_t *o, const char *key, const char *name, int opts,
    time_t *out, int *present, struct verr *e)
{
	const char *s;
	char err[160];

	if (present != NULL)
		*present = 0;
	if (input_str(o, key, name, opts, INPUT_TIME_TEXT_MAX, &s, e) != 0)
		return -1;
	if (s == NULL)
		return 0;
	if (ltime_parse(s, out, err, sizeof(err)) != 0)
		return verr_set(e, 422, name, "%s: %s", name, err);
	if (present != NULL)
		*present = 1;
	return 0;
}

int
input_date(json_t *o, const char *key, const char *name, int opts, char *out,
    int *present, struct verr *e)
{
	const char *s;
	char err[160];
	int y, m, d;

	if (present != NULL)
		*present = 0;
	out[0] = '\0';
	if (input_str(o, key, name, opts, 10, &s, e) != 0)
		return -1;
	if (s == NULL)
		return 0;
	if (ltime_parse_date(s, &y, &m, &d, err, sizeof(err)) != 0)
		return verr_set(e, 422, name, "%s: %s", name, err);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	if (present != NULL)
		*present = 1;
	return 0;
}

int
input_email(json_t *o, const char *key, const char *name, int opts,
    const char **out, struct verr *e)
{
	if (input_str(o, key, name, opts, 254, out, e) != 0)
		return -1;
	if (*out != NULL && !str_email_valid(*out)) {
		*out = NULL;
		return verr_set(e, 422, name, "%s: must be an email address "
		    "like name@example.org", name);
	}
	return 0;
}
