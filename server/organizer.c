/*
 * organizer: building and checking the signed ORGANIZER addresses that tie
 * a calendar reply to its invitee (include/organizer.h has the format).
 * Pure functions: the key and the mailbox are passed in, so the unit tests
 * (tests/unit/test_organizer.c) need no database. The MAC is libsodium's
 * crypto_auth (HMAC-SHA-512-256), cut to ORGANIZER_MAC_BYTES, over a
 * message whose first byte 'O' keeps it apart from the RSVP tokens signed
 * with the same key.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "organizer.h"
#include "str.h"

#define MSG_LEN		17	/* 'O', participant id, meeting id */
#define PID_MAX		999999999999L	/* ORGANIZER_PID_DIGITS */

int
organizer_mailbox_fits(const char *mailbox)
{
	const char *at = mailbox != NULL ? strrchr(mailbox, '@') : NULL;

	if (at == NULL)
		return -1;
	return (size_t)(at - mailbox) + 1 + ORGANIZER_TAG_LEN <=
	    ORGANIZER_LOCAL_MAX ? 0 : -1;
}

int
organizer_tag_build(const unsigned char key[RSVP_KEY_BYTES], long pid,
    long discussion, char *out, size_t outlen)
{
	unsigned char msg[MSG_LEN], mac[crypto_auth_BYTES];
	char hex[2 * ORGANIZER_MAC_BYTES + 1];
	int n, result = -1;

	if (pid < 1 || pid > PID_MAX || discussion < 1)
		return -1;
	msg[0] = 'O';
	str_put_be64(msg + 1, (uint64_t)pid);
	str_put_be64(msg + 9, (uint64_t)discussion);
	crypto_auth(mac, msg, sizeof(msg), key);
	sodium_bin2hex(hex, sizeof(hex), mac, ORGANIZER_MAC_BYTES);
	n = snprintf(out, outlen, "%ld-%s", pid, hex);
	if (n > 0 && (size_t)n < outlen)
		result = 0;
	sodium_memzero(mac, sizeof(mac));
	return result;
}

int
organizer_tag_pid(const char *tag, long *pid)
{
	const char *dash;
	size_t digits, i;

	if (tag == NULL || (dash = strchr(tag, '-')) == NULL)
		return -1;
	digits = (size_t)(dash - tag);
	if (digits == 0 || digits > ORGANIZER_PID_DIGITS || tag[0] == '0' ||
	    strlen(dash + 1) != 2 * ORGANIZER_MAC_BYTES)
		return -1;
	for (i = 1; dash[i] != '\0'; i++)
		if (!isdigit((unsigned char)dash[i]) &&
		    (dash[i] < 'a' || dash[i] > 'f'))
			return -1;
	return str_to_long_n(tag, digits, 1, PID_MAX, pid);
}

int
organizer_tag_verify(const unsigned char key[RSVP_KEY_BYTES],
    const char *tag, long pid, long discussion)
{
	char want[ORGANIZER_TAG_MAX];
	long named;
	size_t n;
	int result = -1;

	/* The id is not secret (it is in the tag in clear); only the MAC
	 * is compared in constant time. */
	if (organizer_tag_pid(tag, &named) != 0 || named != pid ||
	    organizer_tag_build(key, pid, discussion, want,
	    sizeof(want)) != 0)
		goto out;
	n = strlen(want);
	if (strlen(tag) == n && sodium_memcmp(want, tag, n) == 0)
		result = 0;
out:
	sodium_memzero(want, sizeof(want));
	return result;
}

int
organizer_address(const char *mailbox, const char *tag, char *out,
    size_t outlen)
{
	const char *at = mailbox != NULL ? strrchr(mailbox, '@') : NULL;
	size_t local;
	int n;

	if (at == NULL || tag == NULL)
		return -1;
	local = (size_t)(at - mailbox);
	if (local + 1 + strlen(tag) > ORGANIZER_LOCAL_MAX || local > INT32_MAX)
		return -1;
	n = snprintf(out, outlen, "%.*s+%s%s", (int)local, mailbox, tag, at);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int
organizer_address_tag(const char *mailbox, const char *addr, char *tag,
    size_t taglen)
{
	const char *at = mailbox != NULL ? strrchr(mailbox, '@') : NULL;
	const char *aat, *t;
	size_t local, i, n;
	long pid;

	if (at == NULL || addr == NULL)
		return -1;
	if (strncasecmp(addr, "mailto:", 7) == 0)
		addr += 7;
	local = (size_t)(at - mailbox);
	/* Both the local part and the domain as issued; the tag between. */
	if (strncasecmp(addr, mailbox, local) != 0 || addr[local] != '+' ||
	    (aat = strrchr(addr, '@')) == NULL || aat < addr + local + 1 ||
	    str_casecmp(aat, at) != 0)
		return -1;
	t = addr + local + 1;
	n = (size_t)(aat - t);
	if (n == 0 || n >= taglen || n > ORGANIZER_TAG_LEN)
		return -1;
	for (i = 0; i < n; i++)
		tag[i] = (char)tolower((unsigned char)t[i]);
	tag[n] = '\0';
	return organizer_tag_pid(tag, &pid);
}
