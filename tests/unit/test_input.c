/*
 * Unit tests for input: the error a failed field check leaves must be
 * usable as a JSON error, i.e. valid UTF-8, naming the field, with a message
 * that starts with it. Regression for what tests/fuzz/fuzz_json.c found: an
 * unknown key of many multi-byte characters was cut mid-character in the
 * field name, and the API then answered without "field" and with the
 * message "invalid input".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "input.h"
#include "meeting.h"
#include "str.h"

static void
assert_usable(const struct verr *e)
{
	assert_int_equal(e->status, 422);
	assert_true(e->field[0] != '\0');
	assert_int_equal(str_utf8_valid(e->field, strlen(e->field)), 1);
	assert_int_equal(str_utf8_valid(e->msg, strlen(e->msg)), 1);
	assert_int_equal(strncmp(e->msg, e->field, strlen(e->field)), 0);
}

static void
test_long_multibyte_key(void **state)
{
	static const char *const allowed[] = { "name", NULL };
	const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80" };
	char key[400];
	struct verr e;
	json_t *o;
	size_t c, i, len;

	(void)state;
	for (c = 0; c < 3; c++) {
		/* Every alignment of the cut against the character. */
		for (i = 0; i < 4; i++) {
			memset(key, 'k', i);
			len = i;
			while (len + 4 < sizeof(key) - 1) {
				memcpy(key + len, chars[c], strlen(chars[c]));
				len += strlen(chars[c]);
			}
			key[len] = '\0';
			o = json_object();
			assert_non_null(o);
			assert_int_equal(json_object_set_new(o, key,
			    json_integer(1)), 0);
			memset(&e, 0, sizeof(e));
			assert_int_equal(input_known_keys(o, allowed,
			    "participants[12].", &e), -1);
			assert_usable(&e);
			/* The error can be sent as JSON with its field. */
			{
				json_t *j = json_pack("{s:s, s:s}", "field",
				    e.field, "message", e.msg);
				assert_non_null(j);
				json_decref(j);
			}
			json_decref(o);
		}
	}
}

/* verr_set itself never leaves a field or message cut mid-character:
 * 130 x "\xc3\xa9" is 260 bytes, over both the field (96) and the message
 * (256) buffers, cut at both parities by the optional "x" prefix. */
static void
test_verr_set_cuts(void **state)
{
	char field[262];
	struct verr e;
	size_t i;

	(void)state;
	for (i = 0; i < 130; i++)
		memcpy(field + 2 * i, "\xc3\xa9", 2);
	field[260] = '\0';
	for (i = 0; i < 2; i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(verr_set(&e, 422, field, "%s%s: is "
		    "required", i ? "x" : "", field), -1);
		assert_true(e.field[0] != '\0');
		assert_int_equal(str_utf8_valid(e.field, strlen(e.field)), 1);
		assert_int_equal(str_utf8_valid(e.msg, strlen(e.msg)), 1);
		assert_true(strlen(e.msg) >= 250);
	}
}

static void
test_known_keys_plain(void **state)
{
	static const char *const allowed[] = { "name", NULL };
	struct verr e;
	json_t *o = json_pack("{s:i, s:i}", "name", 1, "nmae", 2);

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(input_known_keys(o, allowed, "children[0].", &e), -1);
	assert_string_equal(e.field, "children[0].nmae");
	assert_usable(&e);
	json_decref(o);
}

/* Regression (fuzz_json): an empty key gave field "" and the message
 * ": is not a field this request accepts". */
static void
test_empty_key(void **state)
{
	static const char *const allowed[] = { "name", NULL };
	struct verr e;
	json_t *o = json_pack("{s:i}", "", 1);

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(input_known_keys(o, allowed, "", &e), -1);
	assert_string_equal(e.field, "body");
	assert_usable(&e);
	memset(&e, 0, sizeof(e));
	assert_int_equal(input_known_keys(o, allowed, "participants[2].", &e),
	    -1);
	assert_string_equal(e.field, "participants[2]");
	assert_usable(&e);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_multibyte_key),
		cmocka_unit_test(test_verr_set_cuts),
		cmocka_unit_test(test_known_keys_plain),
		cmocka_unit_test(test_empty_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
