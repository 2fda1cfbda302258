/*
 * Unit tests for str: copy truncation at every size around the boundary,
 * integer parsing at the edges of long and of the caller's range, UTF-8
 * acceptance of every boundary code point and rejection of every class of
 * malformed sequence, and the email rules.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "str.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_copy(void **state)
{
	char	 dst[6];

	(void)state;
	assert_int_equal(str_copy(dst, "abc", sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	assert_int_equal(str_copy(dst, "abcde", sizeof(dst)), 5);
	assert_string_equal(dst, "abcde");
	/* One too long: truncated, result says so. */
	assert_int_equal(str_copy(dst, "abcdef", sizeof(dst)), 6);
	assert_string_equal(dst, "abcde");
	assert_int_equal(str_copy(dst, "abcdefghij", sizeof(dst)), 10);
	assert_string_equal(dst, "abcde");
	assert_int_equal(str_copy(dst, "", sizeof(dst)), 0);
	assert_string_equal(dst, "");
	assert_int_equal(str_copy(dst, "xy", 1), 2);
	assert_string_equal(dst, "");
	/* dstsize 0 writes nothing. */
	dst[0] = 'Q';
	assert_int_equal(str_copy(dst, "xy", 0), 2);
	assert_int_equal(dst[0], 'Q');
}

static void
test_to_long_ok(void **state)
{
	char	 tmp[32];
	long	 v;

	(void)state;
	assert_int_equal(str_to_long("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_long("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(str_to_long("-5", -5, 5, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(str_to_long("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(str_to_long("-0", 0, 0, &v), 0);
	assert_int_equal(v, 0);
	snprintf(tmp, sizeof(tmp), "%ld", LONG_MAX);
	assert_int_equal(str_to_long(tmp, LONG_MIN, LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	snprintf(tmp, sizeof(tmp), "%ld", LONG_MIN);
	assert_int_equal(str_to_long(tmp, LONG_MIN, LONG_MAX, &v), 0);
	assert_true(v == LONG_MIN);
}

static void
test_to_long_range(void **state)
{
	long	 v = 1234;

	(void)state;
	assert_int_equal(str_to_long("11", 0, 10, &v), -1);
	assert_int_equal(str_to_long("-1", 0, 10, &v), -1);
	assert_int_equal(str_to_long("-6", -5, 5, &v), -1);
	assert_int_equal(str_to_long("6", -5, 5, &v), -1);
	/* min > max is a caller error. */
	assert_int_equal(str_to_long("5", 10, 0, &v), -1);
	/* Out-parameter untouched on failure. */
	assert_int_equal(v, 1234);
}

static void
test_to_long_overflow(void **state)
{
	long	 v = 1234;

	(void)state;
	/* LONG_MAX + 1 and LONG_MIN - 1 on LP64. */
	assert_int_equal(str_to_long("9223372036854775808", LONG_MIN, LONG_MAX,
	    &v), -1);
	assert_int_equal(str_to_long("-9223372036854775809", LONG_MIN,
	    LONG_MAX, &v), -1);
	assert_int_equal(str_to_long("99999999999999999999999999", LONG_MIN,
	    LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
test_to_long_junk(void **state)
{
	static const char *const bad[] = {
		"", "-", "+", "+1", " 1", "1 ", "\t1", "1\n", "12a", "a12",
		"0x10", "1.0", "1e3", "--1", "-+1", "1-", "\xd9\xa1",
	};
	long	 v = 1234;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		if (str_to_long(bad[i], LONG_MIN, LONG_MAX, &v) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(str_to_long(NULL, 0, 10, &v), -1);
	assert_int_equal(str_to_long("1", 0, 10, NULL), -1);
	assert_int_equal(v, 1234);
}

static void
test_to_long_n(void **state)
{
	long	 v = 1234;

	(void)state;
	/* Not NUL-terminated: only the first n bytes count. */
	assert_int_equal(str_to_long_n("123456", 3, 0, 1000, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(str_to_long_n("42;rest", 2, 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(str_to_long_n("-7x", 2, -10, 10, &v), 0);
	assert_int_equal(v, -7);
	v = 1234;
	assert_int_equal(str_to_long_n("42;", 3, 0, 100, &v), -1);
	assert_int_equal(str_to_long_n("", 0, 0, 100, &v), -1);
	assert_int_equal(str_to_long_n("1\0002", 3, 0, 1000, &v), -1);
	assert_int_equal(str_to_long_n("101", 3, 0, 100, &v), -1);
	assert_int_equal(str_to_long_n("9223372036854775808", 19, LONG_MIN,
	    LONG_MAX, &v), -1);
	assert_int_equal(str_to_long_n("0000000000000000000000001", 25, 0, 10,
	    &v), -1);
	assert_int_equal(str_to_long_n(NULL, 1, 0, 10, &v), -1);
	assert_int_equal(v, 1234);
}

struct utf8_case {
	const char	*name;
	const char	*s;
	size_t		 n;
	int		 valid;
};

#define U(name, lit, valid)	{ name, lit, sizeof(lit) - 1, valid }

static const struct utf8_case utf8_cases[] = {
	U("empty", "", 1),
	U("ascii", "Strategy meeting", 1),
	U("U+007F", "\x7f", 1),
	U("U+0080", "\xc2\x80", 1),
	U("U+00E9 e-acute", "caf\xc3\xa9", 1),
	U("U+07FF", "\xdf\xbf", 1),
	U("U+0800", "\xe0\xa0\x80", 1),
	U("U+D7FF", "\xed\x9f\xbf", 1),
	U("U+E000", "\xee\x80\x80", 1),
	U("U+FFFD", "\xef\xbf\xbd", 1),
	U("U+FFFF", "\xef\xbf\xbf", 1),
	U("U+10000", "\xf0\x90\x80\x80", 1),
	U("U+1F600", "\xf0\x9f\x98\x80", 1),
	U("U+FFFFF", "\xf3\xbf\xbf\xbf", 1),
	U("U+10FFFF", "\xf4\x8f\xbf\xbf", 1),

	U("NUL", "a\0b", 0),
	U("lone NUL", "\0", 0),
	U("overlong NUL C0 80", "\xc0\x80", 0),
	U("overlong / C0 AF", "\xc0\xaf", 0),
	U("overlong C1 BF", "\xc1\xbf", 0),
	U("overlong 3-byte E0 80 80", "\xe0\x80\x80", 0),
	U("overlong 3-byte U+07FF", "\xe0\x9f\xbf", 0),
	U("overlong 4-byte F0 80 80 80", "\xf0\x80\x80\x80", 0),
	U("overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf", 0),
	U("surrogate U+D800", "\xed\xa0\x80", 0),
	U("surrogate U+DBFF", "\xed\xaf\xbf", 0),
	U("surrogate U+DC00", "\xed\xb0\x80", 0),
	U("surrogate U+DFFF", "\xed\xbf\xbf", 0),
	U("surrogate pair (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80", 0),
	U("U+110000", "\xf4\x90\x80\x80", 0),
	U("F5 lead", "\xf5\x80\x80\x80", 0),
	U("FF byte", "\xff", 0),
	U("FE byte", "\xfe", 0),
	U("5-byte form", "\xf8\x88\x80\x80\x80", 0),
	U("lone continuation", "\x80", 0),
	U("continuation after ascii", "a\xbf", 0),
	U("truncated 2-byte", "\xc3", 0),
	U("truncated 3-byte", "\xe2\x82", 0),
	U("truncated 4-byte", "\xf0\x9f\x98", 0),
	U("truncated then ascii", "\xe2\x82" "a", 0),
	U("bad second byte", "\xc3\x28", 0),
	U("bad third byte", "\xe2\x82\x28", 0),
	U("bad fourth byte", "\xf0\x9f\x98\x28", 0),
};

static void
test_utf8_table(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(utf8_cases); i++) {
		const struct utf8_case	*c = &utf8_cases[i];

		if (str_utf8_valid(c->s, c->n) != c->valid)
			fail_msg("%s: expected %s", c->name,
			    c->valid ? "valid" : "invalid");
	}
}

static void
test_utf8_length_bound(void **state)
{
	(void)state;
	/* The check stops at n even when more bytes follow. */
	assert_int_equal(str_utf8_valid("ab\xff", 2), 1);
	/* A sequence cut by n is truncated even if the bytes are there. */
	assert_int_equal(str_utf8_valid("\xc3\xa9", 1), 0);
	assert_int_equal(str_utf8_valid(NULL, 0), 1);
	assert_int_equal(str_utf8_valid(NULL, 1), 0);
}

static void
test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(str_utf8_len(""), 0);
	assert_int_equal(str_utf8_len("abc"), 3);
	assert_int_equal(str_utf8_len("caf\xc3\xa9"), 4);
	assert_int_equal(str_utf8_len("\xe2\x82\xac" "5"), 2);
	assert_int_equal(str_utf8_len("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"), 2);
	assert_int_equal(str_utf8_len(NULL), 0);
}

/* Regression (found by tests/fuzz/fuzz_json.c): a long field name cut by
 * snprintf mid-character made an invalid UTF-8 error, which jansson would
 * not encode, so the API's error lost its "field". */
static void
test_utf8_cut(void **state)
{
	char	 s[16];

	(void)state;
	str_copy(s, "caf\xc3\xa9", sizeof(s));
	str_utf8_cut(s);
	assert_string_equal(s, "caf\xc3\xa9");	/* whole: unchanged */
	str_copy(s, "caf\xc3", sizeof(s));
	str_utf8_cut(s);
	assert_string_equal(s, "caf");			/* cut 2-byte */
	str_copy(s, "\xe2\x82\xac\xe2\x82", sizeof(s));
	str_utf8_cut(s);
	assert_string_equal(s, "\xe2\x82\xac");		/* cut 3-byte */
	str_copy(s, "x\xf0\x9f\x98", sizeof(s));
	str_utf8_cut(s);
	assert_string_equal(s, "x");			/* cut 4-byte */
	str_copy(s, "\xc3", sizeof(s));
	str_utf8_cut(s);
	assert_string_equal(s, "");
	s[0] = '\0';
	str_utf8_cut(s);
	assert_string_equal(s, "");
	str_utf8_cut(NULL);				/* no crash */
	/* "x" and 60 x "é" cut at 94 bytes ends mid-character. */
	{
		char	 big[121], f[96];
		size_t	 i;

		for (i = 0; i < 60; i++)
			memcpy(big + 2 * i, "\xc3\xa9", 2);
		big[120] = '\0';
		f[0] = 'x';
		memcpy(f + 1, big, 93);		/* as a 94-byte bound cuts */
		f[94] = '\0';
		assert_int_equal(str_utf8_valid(f, strlen(f)), 0);
		str_utf8_cut(f);
		assert_int_equal(str_utf8_valid(f, strlen(f)), 1);
		assert_int_equal(strlen(f), 93);
	}
}

static void
test_email_valid(void **state)
{
	static const char *const good[] = {
		"a@b.co",
		"jo.bloggs@example.org",
		"duty.social-worker@council.gov.uk",
		"o'brien@example.nhs.uk",
		"first+tag@police.example.uk",
		"x_y-z@sub-domain.example.com",
		"UPPER@EXAMPLE.ORG",
		"user@xn--bcher-kva.example",
		"user@example.xn--p1ai",
		"1234@123.example.com",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(good); i++)
		if (!str_email_valid(good[i]))
			fail_msg("rejected %s", good[i]);
}

static void
test_email_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"plainaddress",
		"@example.org",
		"user@",
		"user@localhost",
		"user@example",
		"user@example.c",
		"user@example.c0m",
		"user@@example.org",
		"a@b@example.org",
		"user name@example.org",
		"user@exa mple.org",
		"\"quoted\"@example.org",
		"<user@example.org>",
		"user@example.org>",
		"a,b@example.org",
		"user@example.org, other@example.org",
		"user;x@example.org",
		"user(x)@example.org",
		"user\\x@example.org",
		"user\r\n@example.org",
		"user@example.org\r\nBcc: x@evil.example",
		"user\t@example.org",
		"user\x7f@example.org",
		".user@example.org",
		"user.@example.org",
		"us..er@example.org",
		"user@.example.org",
		"user@example..org",
		"user@example.org.",
		"user@-example.org",
		"user@example-.org",
		"user@exa_mple.org",
		"caf\xc3\xa9@example.org",
		"user@caf\xc3\xa9.example",
		"user@[192.0.2.1]",
	};
	char	 longaddr[300], local65[80];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++)
		if (str_email_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(str_email_valid(NULL), 0);

	/* Local part: 64 bytes ok, 65 not. */
	memset(local65, 'a', 64);
	memcpy(local65 + 64, "@example.org", 13);
	assert_int_equal(str_email_valid(local65), 1);
	memset(local65, 'a', 65);
	memcpy(local65 + 65, "@example.org", 13);
	assert_int_equal(str_email_valid(local65), 0);

	/* Whole address: 254 bytes ok, 255 not (labels kept under 63). */
	memset(longaddr, 0, sizeof(longaddr));
	memcpy(longaddr, "a@", 2);
	for (i = 2; i < 254 - 4; i++)
		longaddr[i] = (i % 50 == 0) ? '.' : 'b';
	memcpy(longaddr + 250, ".org", 5);
	assert_int_equal(strlen(longaddr), 254);
	assert_int_equal(str_email_valid(longaddr), 1);
	memmove(longaddr + 3, longaddr + 2, 253);
	longaddr[2] = 'b';
	assert_int_equal(strlen(longaddr), 255);
	assert_int_equal(str_email_valid(longaddr), 0);

	/* A label of 63 is fine, 64 is not. */
	memset(longaddr, 0, sizeof(longaddr));
	memcpy(longaddr, "a@", 2);
	memset(longaddr + 2, 'c', 63);
	memcpy(longaddr + 65, ".org", 5);
	assert_int_equal(str_email_valid(longaddr), 1);
	memset(longaddr + 2, 'c', 64);
	memcpy(longaddr + 66, ".org", 5);
	assert_int_equal(str_email_valid(longaddr), 0);
}

static void
test_has_ctl(void **state)
{
	char	 s[4];
	int	 c;

	(void)state;
	assert_int_equal(str_has_ctl(""), 0);
	assert_int_equal(str_has_ctl("plain text ~"), 0);
	assert_int_equal(str_has_ctl("caf\xc3\xa9"), 0);
	assert_int_equal(str_has_ctl("a\tb"), 1);
	assert_int_equal(str_has_ctl("a\r\n"), 1);
	assert_int_equal(str_has_ctl("\x7f"), 1);
	assert_int_equal(str_has_ctl(NULL), 0);
	for (c = 1; c < 256; c++) {
		s[0] = 'x';
		s[1] = (char)c;
		s[2] = 'y';
		s[3] = '\0';
		assert_int_equal(str_has_ctl(s), c < 0x20 || c == 0x7f);
	}
}

static void
test_casecmp(void **state)
{
	(void)state;
	assert_int_equal(str_casecmp("Police", "police"), 0);
	assert_int_equal(str_casecmp("SOCIAL_CARE", "social_care"), 0);
	assert_int_equal(str_casecmp("", ""), 0);
	assert_true(str_casecmp("a", "B") < 0);
	assert_true(str_casecmp("B", "a") > 0);
	assert_true(str_casecmp("abc", "ab") > 0);
	assert_true(str_casecmp("ab", "abc") < 0);
	/* Only ASCII folds: bytes >= 0x80 compare as themselves. */
	assert_true(str_casecmp("\xc3\xa9", "\xc3\x89") != 0);
	assert_true(str_casecmp(NULL, "a") < 0);
	assert_true(str_casecmp("a", NULL) > 0);
	assert_int_equal(str_casecmp(NULL, NULL), 0);
}

static void
test_be64(void **state)
{
	unsigned char b[8];

	(void)state;
	str_put_be64(b, 0x0102030405060708ULL);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_true(str_get_be64(b) == 0x0102030405060708ULL);
	str_put_be64(b, UINT64_MAX);
	assert_true(str_get_be64(b) == UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_to_long_ok),
		cmocka_unit_test(test_to_long_range),
		cmocka_unit_test(test_to_long_overflow),
		cmocka_unit_test(test_to_long_junk),
		cmocka_unit_test(test_to_long_n),
		cmocka_unit_test(test_utf8_table),
		cmocka_unit_test(test_utf8_length_bound),
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_email_valid),
		cmocka_unit_test(test_email_invalid),
		cmocka_unit_test(test_has_ctl),
		cmocka_unit_test(test_casecmp),
		cmocka_unit_test(test_be64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
