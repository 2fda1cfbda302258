/*
 * Unit tests for the signed organiser addresses (issue #14, section 3):
 * a tag verifies only for the participant and meeting it was made for and
 * under the key that made it; a flipped character, another participant,
 * another meeting or another key fail; addresses stay within RFC 5321's
 * 64-character local part and are found again whatever their letter case;
 * the service mailbox without a tag, or another mailbox, carries none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "organizer.h"

#define BOX	"strategy-meetings@council.example"

static unsigned char key[RSVP_KEY_BYTES], other[RSVP_KEY_BYTES];

static void
test_round_trip(void **state)
{
	char tag[ORGANIZER_TAG_MAX];
	long pid;

	(void)state;
	assert_int_equal(organizer_tag_build(key, 4711, 93, tag, sizeof(tag)),
	    0);
	assert_int_equal(strlen(tag), 4 + 1 + 2 * ORGANIZER_MAC_BYTES);
	assert_int_equal(strncmp(tag, "4711-", 5), 0);
	/* Safe in a mail local part and a URL, and case-proof. */
	assert_int_equal(strspn(tag, "0123456789abcdef-"), strlen(tag));
	assert_int_equal(organizer_tag_pid(tag, &pid), 0);
	assert_int_equal(pid, 4711);
	assert_int_equal(organizer_tag_verify(key, tag, 4711, 93), 0);
}

static void
test_forgery(void **state)
{
	char tag[ORGANIZER_TAG_MAX], bad[ORGANIZER_TAG_MAX + 4];
	size_t i, n;

	(void)state;
	assert_int_equal(organizer_tag_build(key, 12, 7, tag, sizeof(tag)), 0);
	/* Another meeting, another participant, another key. */
	assert_int_equal(organizer_tag_verify(key, tag, 12, 8), -1);
	assert_int_equal(organizer_tag_verify(key, tag, 13, 7), -1);
	assert_int_equal(organizer_tag_verify(other, tag, 12, 7), -1);
	/* Every character matters. */
	n = strlen(tag);
	for (i = 0; i < n; i++) {
		memcpy(bad, tag, n + 1);
		bad[i] = bad[i] == '1' ? '2' : '1';
		assert_int_equal(organizer_tag_verify(key, bad, 12, 7), -1);
	}
	/* Cut, padded, empty, or the participant of another tag. */
	memcpy(bad, tag, n + 1);
	bad[n - 1] = '\0';
	assert_int_equal(organizer_tag_verify(key, bad, 12, 7), -1);
	snprintf(bad, sizeof(bad), "%s0", tag);
	assert_int_equal(organizer_tag_verify(key, bad, 12, 7), -1);
	assert_int_equal(organizer_tag_verify(key, "", 12, 7), -1);
	assert_int_equal(organizer_tag_verify(key, NULL, 12, 7), -1);
	snprintf(bad, sizeof(bad), "13%s", strchr(tag, '-'));
	assert_int_equal(organizer_tag_verify(key, bad, 13, 7), -1);
	/* Upper-case hex is not what was issued (addresses are lowered
	 * before their tag is read: organizer_address_tag). */
	memcpy(bad, tag, n + 1);
	for (i = 0; i < n; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	if (strcmp(bad, tag) != 0)
		assert_int_equal(organizer_tag_verify(key, bad, 12, 7), -1);
	/* Refuses nonsense to sign. */
	assert_int_equal(organizer_tag_build(key, 0, 7, tag, sizeof(tag)), -1);
	assert_int_equal(organizer_tag_build(key, 1, 0, tag, sizeof(tag)), -1);
	assert_int_equal(organizer_tag_build(key, 1000000000000L, 7, tag,
	    sizeof(tag)), -1);
	assert_int_equal(organizer_tag_build(key, 1, 7, tag, 8), -1);
}

static void
test_tag_shape(void **state)
{
	long pid;

	(void)state;
	assert_int_equal(organizer_tag_pid("1-0123456789abcdef0123", &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(organizer_tag_pid("0-0123456789abcdef0123", &pid), -1);
	assert_int_equal(organizer_tag_pid("01-0123456789abcdef0123", &pid),
	    -1);
	assert_int_equal(organizer_tag_pid("-0123456789abcdef0123", &pid), -1);
	assert_int_equal(organizer_tag_pid("1-0123456789abcdef012", &pid), -1);
	assert_int_equal(organizer_tag_pid("1-0123456789abcdef012g", &pid), -1);
	assert_int_equal(organizer_tag_pid("x-0123456789abcdef0123", &pid), -1);
	assert_int_equal(organizer_tag_pid("1234567890123-0123456789abcdef0123",
	    &pid), -1);
	assert_int_equal(organizer_tag_pid("", &pid), -1);
	assert_int_equal(organizer_tag_pid(NULL, &pid), -1);
}

static void
test_address(void **state)
{
	char tag[ORGANIZER_TAG_MAX], addr[ORGANIZER_ADDR_MAX];
	char got[ORGANIZER_TAG_MAX], upper[ORGANIZER_ADDR_MAX + 8];
	char longbox[128];
	size_t i;

	(void)state;
	assert_int_equal(organizer_tag_build(key, 999999999999L, 5, tag,
	    sizeof(tag)), 0);
	assert_int_equal(strlen(tag), ORGANIZER_TAG_LEN);
	assert_int_equal(organizer_address(BOX, tag, addr, sizeof(addr)), 0);
	assert_int_equal(strncmp(addr, "strategy-meetings+", 18), 0);
	assert_string_equal(strchr(addr, '@'), "@council.example");
	assert_true(strchr(addr, '@') - addr <= ORGANIZER_LOCAL_MAX);
	/* Found again as written, with mailto:, and in any case. */
	assert_int_equal(organizer_address_tag(BOX, addr, got, sizeof(got)),
	    0);
	assert_string_equal(got, tag);
	snprintf(upper, sizeof(upper), "MAILTO:%s", addr);
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_int_equal(organizer_address_tag(BOX, upper, got, sizeof(got)),
	    0);
	assert_string_equal(got, tag);
	assert_int_equal(organizer_tag_verify(key, got, 999999999999L, 5), 0);
	/* The bare mailbox, another mailbox or domain, an empty tag. */
	assert_int_equal(organizer_address_tag(BOX, BOX, got, sizeof(got)), -1);
	assert_int_equal(organizer_address_tag(BOX,
	    "other+1-0123456789abcdef0123@council.example", got, sizeof(got)),
	    -1);
	assert_int_equal(organizer_address_tag(BOX,
	    "strategy-meetings+1-0123456789abcdef0123@evil.example", got,
	    sizeof(got)), -1);
	assert_int_equal(organizer_address_tag(BOX,
	    "strategy-meetings+@council.example", got, sizeof(got)), -1);
	assert_int_equal(organizer_address_tag(BOX,
	    "strategy-meetings+junk@council.example", got, sizeof(got)), -1);
	assert_int_equal(organizer_address_tag(BOX, NULL, got, sizeof(got)),
	    -1);
	/* A mailbox whose local part leaves no room for a tag. */
	assert_int_equal(organizer_mailbox_fits(BOX), 0);
	memset(longbox, 'a', 40);
	snprintf(longbox + 40, sizeof(longbox) - 40, "@council.example");
	assert_int_equal(organizer_mailbox_fits(longbox), -1);
	assert_int_equal(organizer_address(longbox, tag, addr, sizeof(addr)),
	    -1);
	/* A mailbox that already has a '+' keeps it, the tag after. */
	assert_int_equal(organizer_address("meet+cv@council.example", tag,
	    addr, sizeof(addr)), 0);
	assert_int_equal(organizer_address_tag("meet+cv@council.example", addr,
	    got, sizeof(got)), 0);
	assert_string_equal(got, tag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgery),
		cmocka_unit_test(test_tag_shape),
		cmocka_unit_test(test_address),
	};

	if (sodium_init() < 0)
		return 1;
	crypto_auth_keygen(key);
	crypto_auth_keygen(other);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
