/*
 * Unit tests for mfa's pure functions: what counts as a typed code, the
 * recovery code format and its alphabet, base32 and the otpauth URI, and the
 * TOTP check against RFC 6238's SHA-1 test secret: the window is one step
 * either side, no more, and a step at or before the last one used is a
 * replay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mfa.h"

/* RFC 6238 appendix B: the SHA-1 seed, "12345678901234567890". */
static const unsigned char rfc_secret[] = "12345678901234567890";
#define RFC_LEN	20

static void
test_code_parse(void **state)
{
	char out[MFA_DIGITS + 1];

	(void)state;
	assert_int_equal(mfa_code_parse("287082", out, sizeof(out)), 0);
	assert_string_equal(out, "287082");
	assert_int_equal(mfa_code_parse(" 287 082 ", out, sizeof(out)), 0);
	assert_string_equal(out, "287082");
	assert_int_equal(mfa_code_parse("287-082", out, sizeof(out)), 0);
	assert_int_equal(mfa_code_parse("28708", out, sizeof(out)), -1);
	assert_int_equal(mfa_code_parse("2870821", out, sizeof(out)), -1);
	assert_int_equal(mfa_code_parse("28708a", out, sizeof(out)), -1);
	assert_int_equal(mfa_code_parse("", out, sizeof(out)), -1);
	assert_int_equal(mfa_code_parse(NULL, out, sizeof(out)), -1);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(mfa_code_parse("287082", out, MFA_DIGITS), -1);
}

static void
test_recovery_format_and_parse(void **state)
{
	unsigned char raw[MFA_RECOVERY_CHARS];
	char code[MFA_RECOVERY_BUF], back[MFA_RECOVERY_BUF];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 250);
	assert_int_equal(mfa_recovery_format(raw, sizeof(raw), code,
	    sizeof(code)), 0);
	assert_int_equal(strlen(code), 11);
	assert_int_equal(code[5], '-');
	/* Never the characters people misread. */
	assert_null(strpbrk(code, "IO01"));
	/* Typed back in lower case, without the hyphen, with spaces. */
	{
		char typed[32];
		size_t j = 0;
		for (i = 0; code[i] != '\0'; i++)
			if (code[i] != '-')
				typed[j++] = (char)(code[i] >= 'A' &&
				    code[i] <= 'Z' ? code[i] + 32 : code[i]);
		typed[j++] = ' ';
		typed[j] = '\0';
		assert_int_equal(mfa_recovery_parse(typed, back, sizeof(back)),
		    0);
		assert_string_equal(back, code);
	}
	assert_int_equal(mfa_recovery_parse("ABCDE-FGHJK", back, sizeof(back)),
	    0);
	assert_string_equal(back, "ABCDE-FGHJK");
	assert_int_equal(mfa_recovery_parse("ABCDE-FGHJ", back, sizeof(back)),
	    -1);
	assert_int_equal(mfa_recovery_parse("ABCDE-FGHJKL", back,
	    sizeof(back)), -1);
	assert_int_equal(mfa_recovery_parse("ABCDE-FGHJ0", back, sizeof(back)),
	    -1);
	assert_int_equal(mfa_recovery_parse("287082", back, sizeof(back)), -1);
	assert_int_equal(mfa_recovery_format(raw, 9, code, sizeof(code)), -1);
}

static void
test_base32_and_uri(void **state)
{
	char b32[MFA_SECRET_B32_MAX], uri[MFA_URI_MAX];

	(void)state;
	assert_int_equal(mfa_base32(rfc_secret, RFC_LEN, b32, sizeof(b32)), 0);
	assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(mfa_base32(rfc_secret, RFC_LEN, b32, 32), -1);
	assert_int_equal(mfa_otpauth_uri("a.b@x", b32, uri, sizeof(uri)), 0);
	assert_string_equal(uri, "otpauth://totp/Convene:a.b%40x?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Convene&algorithm=SHA1"
	    "&digits=6&period=30");
	assert_int_equal(mfa_otpauth_uri("a", b32, uri, 40), -1);
}

static void
test_totp_window_and_replay(void **state)
{
	uint64_t step = 0;

	(void)state;
	/* RFC 6238: at T=59 the 8-digit code is 94287082; 6 digits 287082,
	 * time step 1. */
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59, "287082", 0,
	    &step), 0);
	assert_int_equal(step, 1);
	/* One step either side is accepted... */
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59 + 30,
	    "287082", 0, &step), 0);
	assert_int_equal(step, 1);
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59 - 30,
	    "287082", 0, &step), 0);
	/* ...two are not. */
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59 + 60,
	    "287082", 0, &step), MFA_WRONG);
	/* T=1111111109: 07081804 -> 081804, step 37037036. */
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 1111111109,
	    "081804", 0, &step), 0);
	assert_int_equal(step, 37037036);
	/* The step used already, or an earlier one: a replay. */
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 1111111109,
	    "081804", 37037036, &step), MFA_REPLAY);
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 1111111109,
	    "081804", 37037040, &step), MFA_REPLAY);
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 1111111109,
	    "081804", 37037035, &step), 0);
	/* Wrong codes and malformed ones. */
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59, "287083", 0,
	    &step), MFA_WRONG);
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59, "28708", 0,
	    &step), MFA_WRONG);
	assert_int_equal(mfa_totp_check(rfc_secret, RFC_LEN, 59, NULL, 0,
	    &step), MFA_WRONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_parse),
		cmocka_unit_test(test_recovery_format_and_parse),
		cmocka_unit_test(test_base32_and_uri),
		cmocka_unit_test(test_totp_window_and_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
