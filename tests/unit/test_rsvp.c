/*
 * Unit tests for rsvp tokens: round trip (the SEQUENCE included), expiry,
 * forgery (another key, a flipped bit, a truncated or padded token), links
 * sent before tokens carried a SEQUENCE reading as SEQUENCE 0, and that a
 * token holds no name: it is base64url of an id, a SEQUENCE, a time and a
 * MAC and nothing else.
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
	long pid, seq;

	(void)state;
	assert_int_equal(rsvp_token_sign(key, 12345, 3, 2000000000, t,
	    sizeof(t)), 0);
	assert_true(strlen(t) > 40 && strlen(t) < RSVP_TOKEN_MAX);
	assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_"), strlen(t));
	assert_int_equal(rsvp_token_verify(key, t, 1900000000, &pid, &seq,
	    &exp), 0);
	assert_int_equal(pid, 12345);
	assert_int_equal(seq, 3);
	assert_true(exp == 2000000000);
	/* Expired: well signed, but after the meeting. */
	assert_int_equal(rsvp_token_verify(key, t, 2000000000, &pid, &seq,
	    &exp), 2);
}

static void
test_forgery(void **state)
{
	char t[RSVP_TOKEN_MAX], bad[RSVP_TOKEN_MAX + 8];
	time_t exp;
	long pid, seq;
	size_t i, n;

	(void)state;
	assert_int_equal(rsvp_token_sign(key, 7, 0, 2000000000, t, sizeof(t)),
	    0);
	assert_int_equal(rsvp_token_verify(other, t, 0, &pid, &seq, &exp), 1);
	n = strlen(t);
	for (i = 0; i < n; i++) {
		memcpy(bad, t, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(rsvp_token_verify(key, bad, 0, &pid, &seq,
		    &exp), 1);
	}
	memcpy(bad, t, n + 1);
	bad[n - 1] = '\0';
	assert_int_equal(rsvp_token_verify(key, bad, 0, &pid, &seq, &exp), 1);
	snprintf(bad, sizeof(bad), "%sAA", t);
	assert_int_equal(rsvp_token_verify(key, bad, 0, &pid, &seq, &exp), 1);
	assert_int_equal(rsvp_token_verify(key, "", 0, &pid, &seq, &exp), 1);
	assert_int_equal(rsvp_token_verify(key, "!!!", 0, &pid, &seq, &exp), 1);
	assert_int_equal(rsvp_token_verify(key, NULL, 0, &pid, &seq, &exp), 1);
	/* Refuses nonsense input to sign. */
	assert_int_equal(rsvp_token_sign(key, 0, 0, 1, t, sizeof(t)), -1);
	assert_int_equal(rsvp_token_sign(key, 1, -1, 1, t, sizeof(t)), -1);
	assert_int_equal(rsvp_token_sign(key, 1, 0, 1, t, 10), -1);
}

/* One link per SEQUENCE: the token of SEQUENCE 1 is not that of 0 with
 * another number, and a SEQUENCE cannot be edited without the key. */
static void
test_sequence(void **state)
{
	char t0[RSVP_TOKEN_MAX], t1[RSVP_TOKEN_MAX];
	unsigned char raw[128];
	size_t len = 0;
	time_t exp;
	long pid, seq;

	(void)state;
	assert_int_equal(rsvp_token_sign(key, 9, 0, 2000000000, t0,
	    sizeof(t0)), 0);
	assert_int_equal(rsvp_token_sign(key, 9, 1, 2000000000, t1,
	    sizeof(t1)), 0);
	assert_string_not_equal(t0, t1);
	assert_int_equal(rsvp_token_verify(key, t1, 0, &pid, &seq, &exp), 0);
	assert_int_equal(seq, 1);
	/* Raise the SEQUENCE inside the token of SEQUENCE 0: forged. */
	assert_int_equal(sodium_base642bin(raw, sizeof(raw), t0, strlen(t0),
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	assert_int_equal(raw[0], 'S');
	raw[16] = 1;
	assert_non_null(sodium_bin2base64(t0, sizeof(t0), raw, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	assert_int_equal(rsvp_token_verify(key, t0, 0, &pid, &seq, &exp), 1);
}

/* A link sent before tokens carried a SEQUENCE ('R', id, expiry, MAC)
 * still verifies, as SEQUENCE 0. */
static void
test_old_token_is_sequence_0(void **state)
{
	unsigned char raw[17 + crypto_auth_BYTES];
	char t[RSVP_TOKEN_MAX];
	time_t exp;
	long pid, seq = -1;
	int i;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw[0] = 'R';
	raw[8] = 42;				/* id 42 */
	for (i = 0; i < 8; i++)			/* expiry 2000000000 */
		raw[9 + i] = (unsigned char)((2000000000ULL >> (56 - 8 * i)) &
		    0xff);
	crypto_auth(raw + 17, raw, 17, key);
	assert_non_null(sodium_bin2base64(t, sizeof(t), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	assert_int_equal(rsvp_token_verify(key, t, 0, &pid, &seq, &exp), 0);
	assert_int_equal(pid, 42);
	assert_int_equal(seq, 0);
	assert_true(exp == 2000000000);
	assert_int_equal(rsvp_token_verify(other, t, 0, &pid, &seq, &exp), 1);
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
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_old_token_is_sequence_0),
		cmocka_unit_test(test_answers),
	};

	if (sodium_init() < 0)
		return 1;
	crypto_auth_keygen(key);
	crypto_auth_keygen(other);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
