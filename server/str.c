/*
 * str: the small string and number checks every other module leans on, kept
 * in one place so that the banned C library calls (strcpy, strcat, atoi, ...)
 * are never needed and each rule (what counts as a number, as UTF-8, as an
 * email address) is written once. Everything here is pure, allocates nothing
 * and is safe to call from any thread.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

#define STR_EMAIL_MAX	254	/* RFC 5321 forward-path limit, less brackets */
#define STR_LOCAL_MAX	64	/* RFC 5321 local-part limit */
#define STR_LABEL_MAX	63	/* RFC 1035 label limit */
/* Longest decimal we accept in str_to_long_n: a sign and 20 digits is past
 * any 64-bit long, so longer input is out of range or silly zero-padding. */
#define STR_LONG_MAX_DIGITS	24

size_t
str_copy(char *dst, const char *src, size_t dstsize)
{
	size_t	 len = strlen(src);

	if (dstsize > 0) {
		size_t	 n = len < dstsize - 1 ? len : dstsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/*
 * Only an optional '-' and decimal digits: strtol would also take leading
 * white space, a '+' and (in other bases) "0x", which a form field should
 * not be able to smuggle through.
 */
int
str_to_long(const char *s, long min, long max, long *out)
{
	const char	*p;
	char		*end;
	long		 v;

	if (s == NULL || out == NULL || min > max)
		return -1;
	p = s[0] == '-' ? s + 1 : s;
	if (*p < '0' || *p > '9')
		return -1;		/* empty, "-", "+1", " 1", "-x" */
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || end == s || *end != '\0')
		return -1;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
str_to_long_n(const char *s, size_t n, long min, long max, long *out)
{
	char	 tmp[STR_LONG_MAX_DIGITS + 1];

	if (s == NULL || n == 0 || n > STR_LONG_MAX_DIGITS)
		return -1;
	if (memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return str_to_long(tmp, min, max, out);
}

/*
 * Well-formed sequences as in Unicode 15, table 3-7. The second byte's range
 * depends on the first byte; that is what rules out overlong forms (C0, C1,
 * E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points past
 * U+10FFFF (F4 90.., F5..FF).
 */
int
str_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, need, k;
	unsigned char		 lo, hi;

	if (p == NULL)
		return n == 0;
	while (i < n) {
		unsigned char	 c = p[i];

		if (c == 0x00)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c == 0xe0) {
			need = 2;
			lo = 0xa0;
		} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
			need = 2;
		else if (c == 0xed) {
			need = 2;
			hi = 0x9f;
		} else if (c == 0xf0) {
			need = 3;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			need = 3;
		else if (c == 0xf4) {
			need = 3;
			hi = 0x8f;
		} else
			return 0;	/* 80..C1, F5..FF */
		if (n - i - 1 < need)
			return 0;	/* truncated */
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k <= need; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		i += need + 1;
	}
	return 1;
}

void
str_utf8_cut(char *s)
{
	size_t	 n;

	if (s == NULL)
		return;
	n = strlen(s);
	while (n > 0 && !str_utf8_valid(s, n))
		n--;
	s[n] = '\0';
}

/* Count the bytes that start a code point; continuation bytes are 10xxxxxx. */
size_t
str_utf8_len(const char *s)
{
	size_t	 n = 0;

	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Bytes allowed in the local part: the RFC 5322 "atext" set plus dots. That
 * excludes space, control characters, the double quote, angle brackets,
 * commas and the other specials "(),:;<>@[\]", so an address can go into a
 * header or an SMTP command without quoting. The apostrophe stays allowed:
 * o'brien@example.org is a real and common British address.
 */
static int
local_char_ok(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int
label_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * A deliberately plain check: ASCII only (internationalised domains must be
 * given in their xn-- form), local part of dot-separated atoms, a domain of
 * at least two labels whose last one is two or more letters. Whether the
 * mailbox exists is for the mail server to say.
 */
int
str_email_valid(const char *s)
{
	const char	*at, *p, *dom, *label;
	size_t		 len, llen;
	int		 alpha_tld;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len == 0 || len > STR_EMAIL_MAX)
		return 0;
	if ((at = strchr(s, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;

	llen = (size_t)(at - s);
	if (llen == 0 || llen > STR_LOCAL_MAX)
		return 0;
	if (s[0] == '.' || at[-1] == '.')
		return 0;
	for (p = s; p < at; p++) {
		if (!local_char_ok((unsigned char)*p))
			return 0;
		if (p[0] == '.' && p[1] == '.')
			return 0;
	}

	dom = at + 1;
	if (*dom == '\0' || strchr(dom, '.') == NULL)
		return 0;
	label = dom;
	for (p = dom;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t	 n = (size_t)(p - label);

			if (n == 0 || n > STR_LABEL_MAX)
				return 0;
			if (label[0] == '-' || p[-1] == '-')
				return 0;
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!label_char_ok((unsigned char)*p))
			return 0;
	}
	/* label now points at the top-level domain. */
	if (strlen(label) < 2)
		return 0;
	alpha_tld = 1;
	for (p = label; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			alpha_tld = 0;
	/* "xn--p1ai" and friends: punycode TLDs are letters, digits, dashes. */
	if (!alpha_tld && strncmp(label, "xn--", 4) != 0)
		return 0;
	return 1;
}

int
str_has_ctl(const char *s)
{
	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Independent of the locale, unlike strcasecmp(3). NULL sorts first. */
int
str_casecmp(const char *a, const char *b)
{
	int	 ca, cb;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	do {
		ca = ascii_lower((unsigned char)*a++);
		cb = ascii_lower((unsigned char)*b++);
	} while (ca == cb && ca != '\0');
	return ca - cb;
}

void
str_put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
str_get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
