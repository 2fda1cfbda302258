/*
 * fuzz_tmpl: libFuzzer target for the template engine. The input is a
 * template, optionally followed by "\n--\n" and a JSON document used as the
 * data (a fixed document otherwise). The template is compiled alongside a
 * partial that includes itself and one that names the input, then rendered
 * into a small bounded buffer. Properties checked beyond memory safety:
 * compile either succeeds or fails with a message; rendering never writes
 * past the ceiling; and no value from the data ever reaches the output with
 * a raw '<' (every '<' in the output comes from the template text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed[] = "{\"s\": \"<b>&\\\"'`\", \"n\": 42, \"r\": 1.5, "
    "\"t\": true, \"f\": false, \"z\": null, \"e\": \"\", \"a\": [1, "
    "\"<x>\", {\"s\": \"<i>\"}, [], {}], \"o\": {\"s\": \"<o>\", \"o\": "
    "{\"s\": \"<deep>\"}}}";

/* Count '<' in s[0..n). */
static size_t
lt_count(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += s[i] == '<';
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char self[] = "[{{>self}}]";
	static const char user[] = "{{>t}}";
	const char *src = (const char *)data, *sep;
	struct tmpl_set *s;
	struct buf out;
	char err[256];
	json_t *d = NULL;
	size_t tlen = size, i;

	if (size > 64 * 1024)
		return 0;
	for (sep = NULL, i = 0; i + 4 <= size && sep == NULL; i++)
		if (memcmp(data + i, "\n--\n", 4) == 0)
			sep = src + i;
	if (sep != NULL) {
		tlen = (size_t)(sep - src);
		d = json_loadb(sep + 4, size - tlen - 4, 0, NULL);
	}
	if (d == NULL)
		d = json_loads(fixed, 0, NULL);
	if ((s = tmpl_set_new()) == NULL) {
		json_decref(d);
		return 0;
	}
	err[0] = '\0';
	if (tmpl_add(s, "t", src, tlen, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();	/* a failure always says why */
		goto out;
	}
	(void)tmpl_add(s, "self", self, strlen(self), err, sizeof(err));
	(void)tmpl_add(s, "wrap", user, strlen(user), err, sizeof(err));
	buf_init(&out, 16 * 1024);
	if (tmpl_render(s, "t", d, &out) == 0) {
		if (out.len > out.max)
			abort();
		/* Values are escaped, so a template without '<' of its
		 * own can never produce one, whatever the data. */
		if (memchr(src, '<', tlen) == NULL &&
		    lt_count(out.data ? out.data : "", out.len) != 0)
			abort();
	}
	buf_free(&out);
	buf_init(&out, 16 * 1024);
	(void)tmpl_render(s, "wrap", d, &out);
	buf_free(&out);
out:
	tmpl_set_free(s);
	json_decref(d);
	return 0;
}
