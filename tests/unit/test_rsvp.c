/*
 * Unit tests for rsvp tokens: round trip, expiry, forgery (another key, a
 * flipped bit, a truncated or padded token), and that a token holds no
 * name: it is base64url of an id, a time and a MAC and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "rsvp.h"

static unsigned char key[RSVP_KEY_BYTES], other[RSVP_KEY_BYTES];

static void
test_round_trip(void **state)
{
	char t[RSVP_TOKEN_MAX];
	time_t exp;
	long pid;

	(void)state;
	assert_int_equal(rsvp_token_sign(key, 12345, 2000000000, t, sizeof(t)),
	    0);
	assert_true(strlen(t) > 40 && strlen(t) < RSVP_TOKEN_MAX);
	assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_"), strlen(t));
	assert_int_equal(rsvp_token_verify(key, t, 1900000000, &pid, &exp), 0);
	assert_int_equal(pid, 12345);
	assert_true(exp == 2000000000);
	/* Expired: well signed, but after the meeting. */
	assert_int_equal(rsvp_token_verify(key, t, 2000000000, &pid, &exp), 2);
}

static void
test_forgery(void **state)
{
	char t[RSVP_TOKEN_MAX], bad[RSVP_TOKEN_MAX + 8];
	time_t exp;
	long pid;
	size_t i, n;

	(void)state;
	assert_int_equal(rsvp_token_sign(key, 7, 2000000000, t, sizeof(t)), 0);
	assert_int_equal(rsvp_token_verify(other, t, 0, &pid, &exp), 1);
	n = strlen(t);
	for (i = 0; i < n; i++) {
		memcpy(bad, t, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(rsvp_token_verify(key, bad, 0, &pid, &exp), 1);
	}
	memcpy(bad, t, n + 1);
	bad[n - 1] = '\0';
	assert_int_equal(rsvp_token_verify(key, bad, 0, &pid, &exp), 1);
	snprintf(bad, sizeof(bad), "%sAA", t);
	assert_int_equal(rsvp_token_verify(key, bad, 0, &pid, &exp), 1);
	assert_int_equal(rsvp_token_verify(key, "", 0, &pid, &exp), 1);
	assert_int_equal(rsvp_token_verify(key, "!!!", 0, &pid, &exp), 1);
	assert_int_equal(rsvp_token_verify(key, NULL, 0, &pid, &exp), 1);
	/* Refuses nonsense input to sign. */
	assert_int_equal(rsvp_token_sign(key, 0, 1, t, sizeof(t)), -1);
	assert_int_equal(rsvp_token_sign(key, 1, 1, t, 10), -1);
}

static void
test_answers(void **state)
{
	enum rsvp_answer a;

	(void)state;
	assert_int_equal(rsvp_answer_parse("accept", &a), 0);
	assert_int_equal(a, RSVP_ACCEPT);
	assert_string_equal(rsvp_partstat(a), "ACCEPTED");
	assert_int_equal(rsvp_answer_parse("decline", &a), 0);
	assert_string_equal(rsvp_partstat(a), "DECLINED");
	assert_int_equal(rsvp_answer_parse("tentative", &a), 0);
	assert_string_equal(rsvp_partstat(a), "TENTATIVE");
	assert_string_equal(rsvp_answer_word(a), "tentative");
	assert_int_equal(rsvp_answer_parse("Accept", &a), -1);
	assert_int_equal(rsvp_answer_parse("maybe", &a), -1);
	assert_int_equal(rsvp_answer_parse(NULL, &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgery),
		cmocka_unit_test(test_answers),
	};

	if (sodium_init() < 0)
		return 1;
	crypto_auth_keygen(key);
	crypto_auth_keygen(other);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
