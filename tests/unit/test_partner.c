/*
 * Unit tests for the meeting pack's link tokens (partner.h): round trip,
 * forgery (another key, any changed character, truncated, padded, an RSVP
 * token in its place), and that a token is base64url of an id and a MAC
 * and nothing else (no name, nothing of the child).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "partner.h"
#include "rsvp.h"

static unsigned char key[RSVP_KEY_BYTES], other[RSVP_KEY_BYTES];

static void
test_round_trip(void **state)
{
	char t[PARTNER_TOKEN_MAX];
	long pid = 0;

	(void)state;
	assert_int_equal(partner_token_build(key, 4711, t, sizeof(t)), 0);
	assert_true(strlen(t) > 20 && strlen(t) < PARTNER_TOKEN_MAX);
	assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_"), strlen(t));
	assert_int_equal(partner_token_verify(key, t, &pid), 0);
	assert_int_equal(pid, 4711);
	/* Ids at the edges of the range. */
	assert_int_equal(partner_token_build(key, 9007199254740991L, t,
	    sizeof(t)), 0);
	assert_int_equal(partner_token_verify(key, t, &pid), 0);
	assert_true(pid == 9007199254740991L);
	assert_int_equal(partner_token_build(key, 0, t, sizeof(t)), -1);
	assert_int_equal(partner_token_build(key, -5, t, sizeof(t)), -1);
	/* Too small a buffer. */
	assert_int_equal(partner_token_build(key, 1, t, 10), -1);
}

static void
test_forgery(void **state)
{
	char t[PARTNER_TOKEN_MAX], bad[PARTNER_TOKEN_MAX + 8];
	char r[RSVP_TOKEN_MAX];
	long pid = -1;
	size_t i, n;

	(void)state;
	assert_int_equal(partner_token_build(key, 7, t, sizeof(t)), 0);
	assert_int_equal(partner_token_verify(other, t, &pid), -1);
	n = strlen(t);
	for (i = 0; i < n; i++) {
		memcpy(bad, t, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(partner_token_verify(key, bad, &pid), -1);
	}
	memcpy(bad, t, n + 1);
	bad[n - 1] = '\0';
	assert_int_equal(partner_token_verify(key, bad, &pid), -1);
	memcpy(bad, t, n);
	memcpy(bad + n, "AA", 3);
	assert_int_equal(partner_token_verify(key, bad, &pid), -1);
	assert_int_equal(partner_token_verify(key, "", &pid), -1);
	assert_int_equal(partner_token_verify(key, NULL, &pid), -1);
	assert_int_equal(partner_token_verify(key, "a/b", &pid), -1);
	/* An RSVP link's token is not a pack token, under the same key. */
	assert_int_equal(rsvp_token_sign(key, 7, 0, 2000000000, r, sizeof(r)),
	    0);
	assert_int_equal(partner_token_verify(key, r, &pid), -1);
	assert_int_equal(pid, -1);	/* untouched on failure */
}

static void
test_token_holds_only_an_id(void **state)
{
	unsigned char raw[64];
	char t[PARTNER_TOKEN_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(partner_token_build(key, 123, t, sizeof(t)), 0);
	assert_int_equal(sodium_base642bin(raw, sizeof(raw), t, strlen(t),
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	/* 'P', 8 bytes of id, 16 bytes of MAC. */
	assert_int_equal(len, 25);
	assert_int_equal(raw[0], 'P');
	assert_int_equal(raw[8], 123);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgery),
		cmocka_unit_test(test_token_holds_only_an_id),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
