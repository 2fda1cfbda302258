/*
 * str: bounded string and number helpers that replace strcpy, strcat, atoi
 * and friends (banned in server/).
 */
#ifndef CONVENE_STR_H
#define CONVENE_STR_H

#include <stddef.h>
#include <stdint.h>

/* Copy src into dst of dstsize bytes, always NUL-terminating when dstsize>0.
 * Returns strlen(src); truncation happened if the result >= dstsize. */
size_t	 str_copy(char *dst, const char *src, size_t dstsize);
/* Parse a whole decimal integer within [min, max]: no sign games, no trailing
 * bytes, no empty string. 0 on success (*out written), -1 otherwise. */
int	 str_to_long(const char *s, long min, long max, long *out);
/* Same for a length-delimited, not necessarily NUL-terminated string. */
int	 str_to_long_n(const char *s, size_t n, long min, long max, long *out);
/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, no NUL),
 * 0 otherwise. */
int	 str_utf8_valid(const char *s, size_t n);
/* Cut s back to its longest prefix that is valid UTF-8: after a bounded
 * copy (str_copy, snprintf) that may have stopped mid-character. Meant for
 * short buffers (a field name, a message): O(n) per byte removed. */
void	 str_utf8_cut(char *s);
/* Number of code points in a valid UTF-8 string. */
size_t	 str_utf8_len(const char *s);
/* 1 when s looks like a deliverable address: local@domain.tld, no spaces,
 * control characters, quotes, angle brackets or commas, at most 254 bytes. */
int	 str_email_valid(const char *s);
/* 1 when s has any byte below 0x20 or 0x7f (CR, LF, TAB included). */
int	 str_has_ctl(const char *s);
/* Case-insensitive ASCII comparison, 0 when equal. */
int	 str_casecmp(const char *a, const char *b);
/* v as 8 big-endian bytes at p, and back (signed messages and tokens). */
void	 str_put_be64(unsigned char *p, uint64_t v);
uint64_t str_get_be64(const unsigned char *p);

#endif
