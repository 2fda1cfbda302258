/*
 * buf: the one way Convene builds text of unknown length (response bodies,
 * emails, invites, query strings). Every buffer carries a ceiling so that no
 * input can make the service allocate without bound, and a sticky failed flag
 * so that a caller can make many appends and check once at the end: after the
 * first failed append every further append fails too, so a buffer is never
 * left with a hole in the middle of otherwise good text. The allocation is
 * always NUL-terminated, so buf_cstr() is free.
 */

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_CAP	64	/* first allocation, in bytes */

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = 0;
}

/*
 * Make room for need more bytes plus the terminating NUL. Fails (and marks
 * the buffer) when that would pass the ceiling or memory runs out.
 */
static int
grow(struct buf *b, size_t need)
{
	size_t	 want, ncap;
	char	*p;

	if (need > b->max || b->len > b->max - need)
		goto fail;
	want = b->len + need + 1;	/* cannot overflow: len + need <= max */
	if (want <= b->cap)
		return 0;

	ncap = b->cap ? b->cap : BUF_MIN_CAP;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2) {
			ncap = want;
			break;
		}
		ncap *= 2;
	}
	/* Never allocate more than the ceiling can use. */
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	if (ncap < want)
		ncap = want;

	if ((p = realloc(b->data, ncap)) == NULL)
		goto fail;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

int
buf_append(struct buf *b, const void *s, size_t n)
{
	size_t	 off = 0;
	int	 inside = 0;

	if (b->failed)
		return -1;
	if (n == 0)
		return 0;
	if (s == NULL) {
		b->failed = 1;
		return -1;
	}
	/* Appending part of ourselves: remember where, realloc may move it. */
	if (b->data != NULL && (const char *)s >= b->data &&
	    (const char *)s < b->data + b->cap) {
		inside = 1;
		off = (size_t)((const char *)s - b->data);
	}
	if (grow(b, n) != 0)
		return -1;
	if (inside)
		s = b->data + off;
	memmove(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	if (s == NULL) {
		b->failed = 1;
		return -1;
	}
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	size_t	 room;
	int	 n;

	if (b->failed)
		return -1;
	if (fmt == NULL)
		goto fail;

	/* First try in the space we already have. */
	room = b->data ? b->cap - b->len : 0;
	va_copy(aq, ap);
	n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, aq);
	va_end(aq);
	if (n < 0)
		goto fail;
	if ((size_t)n < room) {
		if (b->len + (size_t)n > b->max) {
			/* Fitted in the allocation but is over the ceiling. */
			b->data[b->len] = '\0';
			goto fail;
		}
		b->len += (size_t)n;
		return 0;
	}

	/* Too long: grow to the exact size and format again. */
	if (b->data != NULL)
		b->data[b->len] = '\0';	/* undo the partial write */
	if (grow(b, (size_t)n) != 0)
		return -1;
	va_copy(aq, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, aq);
	va_end(aq);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->data[b->len] = '\0';
		goto fail;
	}
	b->len += (size_t)n;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

/*
 * The caller owns the returned string and frees it with free(). The buffer
 * keeps its ceiling and starts again empty and not failed; a caller that cares
 * whether the text is complete checks b->failed before stealing.
 */
char *
buf_steal(struct buf *b, size_t *lenp)
{
	char	*p;
	size_t	 len;

	if (b->data == NULL) {
		if ((p = malloc(1)) == NULL)
			return NULL;
		p[0] = '\0';
		len = 0;
	} else {
		p = b->data;
		len = b->len;
	}
	buf_init(b, b->max);
	if (lenp != NULL)
		*lenp = len;
	return p;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	buf_init(b, b->max);
}

struct blob {
	atomic_size_t	 refs;
	size_t		 len;
	char		 data[];
};

struct blob *
blob_new(const void *s, size_t len)
{
	struct blob *b;

	if (len > SIZE_MAX - sizeof(*b) - 1 ||
	    (b = malloc(sizeof(*b) + len + 1)) == NULL)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	memcpy(b->data, s, len);
	b->data[len] = '\0';
	return b;
}

struct blob *
blob_ref(struct blob *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void
blob_unref(struct blob *b)
{
	if (b != NULL && atomic_fetch_sub_explicit(&b->refs, 1,
	    memory_order_acq_rel) == 1) {
		free(b);
	}
}

const char *
blob_data(const struct blob *b)
{
	return b->data;
}

size_t
blob_len(const struct blob *b)
{
	return b->len;
}
