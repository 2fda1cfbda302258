/*
 * ltime: times as practitioners type and read them. Convene stores instants
 * (time_t, UTC) and shows them in Europe/London; input without an offset is
 * Europe/London wall-clock time. Conversions use libical's Europe/London zone,
 * loaded once by ltime_init() before any thread starts.
 */
#ifndef CONVENE_LTIME_H
#define CONVENE_LTIME_H

#include <stddef.h>
#include <time.h>

#define LTIME_ISO_MAX	32	/* "2026-12-02T10:00:00+00:00" and NUL */

/* Load Europe/London. Call once, single-threaded, at start-up. 0 on success. */
int	 ltime_init(void);
/* The loaded zone as libical's icaltimezone * (void * here to keep libical out
 * of this header). NULL before ltime_init(). */
void	*ltime_zone(void);

/*
 * Parse "YYYY-MM-DDTHH:MM", "YYYY-MM-DDTHH:MM:SS", optionally followed by "Z"
 * or "+HH:MM" / "-HH:MM". A space may stand for the "T". Without an offset the
 * time is Europe/London local time. Impossible dates (2026-02-30), times that
 * do not exist in London (the hour skipped when clocks go forward) and
 * out-of-range fields are errors. In the hour that repeats in October the
 * earlier (BST) instant is chosen. On error writes a reason a person can act
 * on into err (e.g. "must be a date and time like 2026-12-01T10:00") and
 * returns -1; on success writes *out and returns 0.
 */
int	 ltime_parse(const char *s, time_t *out, char *err, size_t errlen);
/* Parse a calendar date "YYYY-MM-DD" (checked: month lengths, leap years). */
int	 ltime_parse_date(const char *s, int *y, int *m, int *d,
	    char *err, size_t errlen);
/* Build the instant for a London wall-clock time; -1 when it does not exist
 * or a field is out of range. */
int	 ltime_from_local(int y, int mo, int d, int h, int mi, time_t *out);
/* Format t as London time with its offset: "2026-07-01T10:00:00+01:00". */
int	 ltime_format(time_t t, char *out, size_t outlen);
/* Format t in UTC: "2026-07-01T09:00:00Z" (for SQL parameters). */
int	 ltime_format_utc(time_t t, char *out, size_t outlen);
/* London calendar date and wall-clock time of t. */
int	 ltime_local(time_t t, int *y, int *mo, int *d, int *h, int *mi);
/* Human form for pages and invites: "Wednesday 2 December 2026, 10:00". */
int	 ltime_format_human(time_t t, char *out, size_t outlen);

#endif
