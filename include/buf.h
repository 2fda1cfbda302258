/*
 * buf: a growable byte buffer with a hard ceiling, used to build every
 * response body, email and query string. Appends past the ceiling fail and
 * leave the buffer marked as failed, so a caller may check once at the end.
 */
#ifndef CONVENE_BUF_H
#define CONVENE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* ceiling on len, in bytes */
	int	 failed;	/* an append failed: out of memory or over max */
};

/* Prepare an empty buffer that may grow to max bytes. Allocates nothing. */
void	 buf_init(struct buf *b, size_t max);
/* Append n bytes; 0 on success, -1 (and b->failed set) otherwise. */
int	 buf_append(struct buf *b, const void *s, size_t n);
/* Append a NUL-terminated string. */
int	 buf_puts(struct buf *b, const char *s);
/* Append formatted text (vsnprintf, result checked). */
int	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* The contents as a C string; "" for an empty buffer. Owned by b. */
const char *buf_cstr(const struct buf *b);
/* Hand the allocation to the caller (free() it); b becomes empty. Never NULL
 * unless out of memory. */
char	*buf_steal(struct buf *b, size_t *lenp);
/* Empty the buffer, keep the allocation and the ceiling. */
void	 buf_reset(struct buf *b);
/* Release the allocation; accepts a zeroed or already freed buffer. */
void	 buf_free(struct buf *b);

/*
 * blob: immutable bytes shared by reference count, so a cached body can be
 * handed to many responses at once without a copy each. The last
 * blob_unref frees it; both are safe from any thread.
 */
struct blob;

/* A new blob holding a copy of len bytes of s (NUL added); NULL on failure. */
struct blob *blob_new(const void *s, size_t len);
struct blob *blob_ref(struct blob *b);
/* Accepts NULL. */
void	 blob_unref(struct blob *b);
const char *blob_data(const struct blob *b);
size_t	 blob_len(const struct blob *b);

#endif
