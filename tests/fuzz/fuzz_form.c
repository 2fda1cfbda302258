/*
 * fuzz_form: libFuzzer target for the urlencoded decoder (form_parse,
 * form_get, form_get_all), which reads every web form, every CSRF check
 * and query strings. Properties checked beyond memory safety: on success
 * there are at most FORM_MAX_FIELDS fields, every key and value is valid
 * UTF-8 without NUL and no longer than the input; form_get returns the first
 * value of a key and form_get_all returns that same value first and never
 * more than asked for; on failure the form is still safe to free. The
 * input is copied to an exact-size buffer so a read past its end is caught.
 *
 *   ./scripts/fuzz.sh 600      (every target), or by hand:
 *   build-fuzz/fuzz_form -max_total_time=600 tests/fuzz/corpus_form
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *all[8], *first;
	struct form f;
	size_t i, n, klen, vlen;
	char *body;

	if ((body = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	if (form_parse(&f, body, size) == 0) {
		if (f.n > FORM_MAX_FIELDS || (size == 0 && f.n != 0))
			abort();
		for (i = 0; i < f.n; i++) {
			klen = strlen(f.keys[i]);
			vlen = strlen(f.vals[i]);
			if (klen > size || vlen > size ||
			    !str_utf8_valid(f.keys[i], klen) ||
			    !str_utf8_valid(f.vals[i], vlen))
				abort();
			first = form_get(&f, f.keys[i]);
			n = form_get_all(&f, f.keys[i], all, 8);
			if (first == NULL || n == 0 || n > 8 || all[0] != first)
				abort();
			if (form_get_all(&f, f.keys[i], all, 0) != 0)
				abort();
		}
		if (form_get(&f, "csrf_token") == NULL &&
		    form_get_all(&f, "csrf_token", all, 8) != 0)
			abort();
	}
	form_free(&f);
	form_free(&f);		/* freeing twice is allowed (zeroed) */
	free(body);
	return 0;
}
