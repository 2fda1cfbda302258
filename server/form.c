/*
 * form: a strict decoder for urlencoded text. Decoding is done here rather
 * than by libmicrohttpd's post processor so that one bounded code path (and
 * one fuzz target) serves forms, CSRF checks and query strings alike.
 */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "str.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) into out (which has room for n+1); -1 on a bad escape. */
static int
decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
form_parse(struct form *f, const char *body, size_t len)
{
	size_t i = 0, start, eq, klen, vlen, used = 0;
	const char *amp;

	memset(f, 0, sizeof(*f));
	if (len == 0)
		return 0;
	/* Decoded text is never longer than the input; +2 per field for NULs. */
	if ((f->mem = malloc(len + 2 * FORM_MAX_FIELDS + 2)) == NULL)
		return -1;
	while (i < len) {
		start = i;
		amp = memchr(body + i, '&', len - i);
		i = amp ? (size_t)(amp - body) : len;
		if (i == start) {
			i++;
			continue;
		}
		for (eq = start; eq < i && body[eq] != '='; eq++)
			;
		if (f->n >= FORM_MAX_FIELDS)
			return -1;
		f->keys[f->n] = f->mem + used;
		if (decode(body + start, eq - start, f->mem + used, &klen) != 0)
			return -1;
		used += klen + 1;
		f->vals[f->n] = f->mem + used;
		if (decode(eq < i ? body + eq + 1 : "", eq < i ? i - eq - 1 : 0,
		    f->mem + used, &vlen) != 0)
			return -1;
		used += vlen + 1;
		if (!str_utf8_valid(f->keys[f->n], klen) ||
		    !str_utf8_valid(f->vals[f->n], vlen))
			return -1;
		f->n++;
		i++;
	}
	return 0;
}

const char *
form_get(const struct form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->vals[i];
	return NULL;
}

size_t
form_get_all(const struct form *f, const char *key, const char **out,
    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < f->n && n < max; i++)
		if (strcmp(f->keys[i], key) == 0)
			out[n++] = f->vals[i];
	return n;
}

void
form_free(struct form *f)
{
	if (f == NULL)
		return;
	free(f->mem);
	memset(f, 0, sizeof(*f));
}
