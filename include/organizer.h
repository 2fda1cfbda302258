/*
 * organizer: the per-recipient ORGANIZER address that ties a calendar
 * reply to the invitee it was sent to (issue #14, section 3). Each
 * invitation names as its ORGANIZER (and its email's From) the service
 * mailbox with a plus tag, local+<tag>@domain, where the tag is the
 * participant's id and a MAC over that id and the meeting's id under the
 * server key of the RSVP links (rsvp_key). Calendar clients answer to the
 * ORGANIZER, so the address a reply arrives at says whom it may answer for.
 *
 * Tag: "<participant id, decimal>-<first ORGANIZER_MAC_BYTES of
 * crypto_auth('O' || id || meeting id, 8 bytes big-endian each), lower-case
 * hex>", e.g. "4711-3f0c9a51d2e87b604c1e". Lower-case letters, digits and
 * '-': safe in a URL and in a mail local part, and unchanged by servers that
 * fold addresses to lower case.
 */
#ifndef CONVENE_ORGANIZER_H
#define CONVENE_ORGANIZER_H

#include <stddef.h>

#include "rsvp.h"

#define ORGANIZER_MAC_BYTES	10	/* 80 bits: beyond guessing by mail */
#define ORGANIZER_PID_DIGITS	12	/* participant ids below 10^12 */
/* Longest tag, NUL excluded: id, '-', hex MAC. */
#define ORGANIZER_TAG_LEN	\
	(ORGANIZER_PID_DIGITS + 1 + 2 * ORGANIZER_MAC_BYTES)
#define ORGANIZER_TAG_MAX	(ORGANIZER_TAG_LEN + 1)
#define ORGANIZER_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ORGANIZER_ADDR_MAX	256

/* 0 when the local part of mailbox leaves room for "+<tag>" within
 * ORGANIZER_LOCAL_MAX; -1 otherwise (checked when the settings are read). */
int	 organizer_mailbox_fits(const char *mailbox);

/* The tag of participant pid of meeting discussion, into out. 0 on
 * success; -1 when an id is out of range or out is too small. */
int	 organizer_tag_build(const unsigned char key[RSVP_KEY_BYTES],
	    long pid, long discussion, char *out, size_t outlen);

/* The participant id a well-formed tag names (not yet verified): 0 with
 * *pid set; -1 when tag is not of the tag's form. */
int	 organizer_tag_pid(const char *tag, long *pid);

/* 0 when tag is exactly the tag of (pid, discussion) under key, compared
 * in constant time; -1 otherwise. */
int	 organizer_tag_verify(const unsigned char key[RSVP_KEY_BYTES],
	    const char *tag, long pid, long discussion);

/* "local+tag@domain" from mailbox "local@domain", into out. 0 on
 * success; -1 when the local part would exceed ORGANIZER_LOCAL_MAX or out
 * is too small. */
int	 organizer_address(const char *mailbox, const char *tag, char *out,
	    size_t outlen);

/* The tag of addr (an optional "mailto:" prefix allowed) when addr is
 * mailbox's local part, '+', a tag-shaped string and mailbox's domain,
 * compared case-insensitively; lower case into tag. 0 on success, -1 when
 * addr is not such an address. */
int	 organizer_address_tag(const char *mailbox, const char *addr,
	    char *tag, size_t taglen);

#endif
