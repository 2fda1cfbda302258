/*
 * ltime: the boundary between instants (time_t, UTC, what Convene stores)
 * and London wall-clock time (what practitioners type and read). Getting
 * this wrong sends a police officer to a meeting an hour late twice a year,
 * so the rules live here: input without an offset is Europe/London time; the
 * hour skipped in March is refused with a reason; the hour repeated in
 * October means its first (BST) occurrence; impossible dates are refused
 * rather than normalised. Zone arithmetic is libical's, using the
 * Europe/London zone loaded (and expanded far enough ahead) once by
 * ltime_init(); after that every call here only reads shared state and is
 * safe from any thread. Names of days and months are our own, so output does
 * not depend on the process locale.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "ltime.h"

/*
 * Years we convert. libical expands a zone's transitions lazily and, in
 * 3.0, rewrites the shared table when asked about a year past what it has
 * expanded, so ltime_init() expands through LTIME_YEAR_MAX (plus libical's
 * own margin) and every function here refuses years outside the range: after
 * init libical never writes to the zone again. Dates (ltime_parse_date) are
 * plain calendar checks and accept from LTIME_DATE_YEAR_MIN, for dates of
 * birth.
 */
#define LTIME_YEAR_MIN		1970
#define LTIME_YEAR_MAX		2100
#define LTIME_DATE_YEAR_MIN	1900

#define ERR_DATETIME	"must be a date and time like 2026-12-01T10:00"
#define ERR_DATE	"must be a date like 2026-12-01"

static icaltimezone *london;

static const char *const day_names[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

struct civil {
	int	 y, mo, d, h, mi, s;
};

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int mo)
{
	static const int	 mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mo == 2 && is_leap(y))
		return 29;
	return mdays[mo - 1];
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). Ours rather than timegm(3) so UTC arithmetic needs no
 * libc time zone state.
 */
static int64_t
days_from_civil(int y, int mo, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil fields read as if they were UTC. */
static time_t
civil_as_utc(const struct civil *c)
{
	return (time_t)(days_from_civil(c->y, c->mo, c->d) * 86400 +
	    c->h * 3600 + c->mi * 60 + c->s);
}

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* Instants we are prepared to convert: London years in range, with a day's
 * slack either side for the offset. */
static int
instant_ok(time_t t)
{
	int64_t	 min, max;

	min = days_from_civil(LTIME_YEAR_MIN, 1, 1) * 86400 - 86400;
	max = days_from_civil(LTIME_YEAR_MAX + 1, 1, 1) * 86400 + 86400;
	return (int64_t)t >= min && (int64_t)t < max;
}

/* London wall clock of t, via libical. */
static int
to_london(time_t t, struct civil *c)
{
	struct icaltimetype	 tt;

	if (london == NULL || !instant_ok(t))
		return -1;
	tt = icaltime_from_timet_with_zone(t, 0, london);
	if (icaltime_is_null_time(tt))
		return -1;
	c->y = tt.year;
	c->mo = tt.month;
	c->d = tt.day;
	c->h = tt.hour;
	c->mi = tt.minute;
	c->s = tt.second;
	return 0;
}

static int
same_wall_clock(const struct civil *a, const struct civil *b)
{
	return a->y == b->y && a->mo == b->mo && a->d == b->d &&
	    a->h == b->h && a->mi == b->mi && a->s == b->s;
}

/* Offset from UTC, in seconds, of London at instant t. */
static int
london_offset(time_t t, int *off)
{
	struct civil	 c;

	if (to_london(t, &c) != 0)
		return -1;
	*off = (int)(civil_as_utc(&c) - t);
	return 0;
}

/*
 * London wall clock to instant. libical converts; we check its answer by
 * converting back, which catches times in the spring-forward gap (libical
 * quietly moves them). In the October repeated hour libical 3.0.16 returns
 * the later (GMT) instant, so we look for an earlier instant with the same
 * wall clock: if the offset a day before is larger than the offset now, the
 * clocks went back in between, and t minus the difference may be the first
 * occurrence. Written against the offsets rather than "one hour" so it does
 * not depend on the size of the shift.
 */
static int
from_london(const struct civil *c, time_t *out)
{
	struct icaltimetype	 tt;
	struct civil		 back;
	time_t			 t, earlier;
	int			 off_now, off_before;

	if (london == NULL)
		return -1;
	tt = icaltime_null_time();
	tt.year = c->y;
	tt.month = c->mo;
	tt.day = c->d;
	tt.hour = c->h;
	tt.minute = c->mi;
	tt.second = c->s;
	tt.is_date = 0;
	tt.zone = london;
	t = icaltime_as_timet_with_zone(tt, london);
	if (to_london(t, &back) != 0 || !same_wall_clock(c, &back))
		return -1;

	if (london_offset(t, &off_now) == 0 &&
	    london_offset(t - 86400, &off_before) == 0 &&
	    off_before > off_now) {
		earlier = t - (off_before - off_now);
		if (to_london(earlier, &back) == 0 &&
		    same_wall_clock(c, &back))
			t = earlier;
	}
	*out = t;
	return 0;
}

int
ltime_init(void)
{
	static const struct civil	 midsummer = { 2026, 7, 1, 12, 0, 0 };
	static const struct civil	 far = { LTIME_YEAR_MAX, 12, 31, 12, 0, 0 };
	icaltimezone			*z;
	time_t				 t;

	if (london != NULL)
		return 0;
	if ((z = icaltimezone_get_builtin_timezone("Europe/London")) == NULL)
		return -1;
	/* Also initialises libical's UTC zone before any thread starts. */
	if (icaltimezone_get_utc_timezone() == NULL)
		return -1;
	london = z;

	/*
	 * Expand the transition table through LTIME_YEAR_MAX now, single
	 * threaded, and make sure the zone data is real: midsummer noon in
	 * London must be 11:00 UTC.
	 */
	if (from_london(&far, &t) != 0 || from_london(&midsummer, &t) != 0 ||
	    t != civil_as_utc(&midsummer) - 3600) {
		london = NULL;
		return -1;
	}
	return 0;
}

void *
ltime_zone(void)
{
	return london;
}

/* Fixed-width unsigned decimal field of n digits at s. */
static int
digits(const char *s, int n, int *out)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD" at s, syntax only. */
static int
scan_date(const char *s, struct civil *c)
{
	if (digits(s, 4, &c->y) != 0 || s[4] != '-' ||
	    digits(s + 5, 2, &c->mo) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &c->d) != 0)
		return -1;
	return 0;
}

/* Calendar check with a message naming the bad date. */
static int
check_date(const struct civil *c, int ymin, char *err, size_t errlen)
{
	if (c->mo < 1 || c->mo > 12 || c->d < 1 ||
	    c->d > days_in_month(c->y, c->mo)) {
		set_err(err, errlen, "%04d-%02d-%02d is not a real date",
		    c->y, c->mo, c->d);
		return -1;
	}
	if (c->y < ymin || c->y > LTIME_YEAR_MAX) {
		set_err(err, errlen, "the year must be between %d and %d",
		    ymin, LTIME_YEAR_MAX);
		return -1;
	}
	return 0;
}

int
ltime_parse_date(const char *s, int *y, int *m, int *d,
    char *err, size_t errlen)
{
	struct civil	 c;

	if (s == NULL || strlen(s) != 10 || scan_date(s, &c) != 0) {
		set_err(err, errlen, ERR_DATE);
		return -1;
	}
	if (check_date(&c, LTIME_DATE_YEAR_MIN, err, errlen) != 0)
		return -1;
	if (y != NULL)
		*y = c.y;
	if (m != NULL)
		*m = c.mo;
	if (d != NULL)
		*d = c.d;
	return 0;
}

/*
 * Grammar, nothing more and nothing less:
 *   date ("T" | "t" | " ") HH ":" MM [":" SS] ["Z" | "z" | ("+"|"-") HH ":" MM]
 * Fractional seconds are refused: nothing in Convene is that precise.
 */
int
ltime_parse(const char *s, time_t *out, char *err, size_t errlen)
{
	struct civil	 c;
	const char	*p;
	int		 has_off = 0, off = 0, oh, om;
	time_t		 t;

	if (s == NULL || strlen(s) < 16 || scan_date(s, &c) != 0 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &c.h) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &c.mi) != 0)
		goto syntax;
	p = s + 16;
	c.s = 0;
	if (*p == ':') {
		if (digits(p + 1, 2, &c.s) != 0)
			goto syntax;
		p += 3;
	}
	if (*p == 'Z' || *p == 'z') {
		has_off = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		if (digits(p + 1, 2, &oh) != 0 || p[3] != ':' ||
		    digits(p + 4, 2, &om) != 0)
			goto syntax;
		if (oh > 23 || om > 59) {
			set_err(err, errlen,
			    "the offset from UTC must be like +01:00");
			return -1;
		}
		off = (oh * 60 + om) * 60;
		if (*p == '-')
			off = -off;
		has_off = 1;
		p += 6;
	}
	if (*p != '\0')
		goto syntax;

	if (check_date(&c, LTIME_YEAR_MIN, err, errlen) != 0)
		return -1;
	if (c.h == 24 && c.mi == 0 && c.s == 0) {
		set_err(err, errlen, "24:00 is not a time of day; "
		    "use 00:00 on the next day");
		return -1;
	}
	if (c.h > 23 || c.mi > 59) {
		set_err(err, errlen, "%02d:%02d is not a real time of day",
		    c.h, c.mi);
		return -1;
	}
	if (c.s > 59) {
		set_err(err, errlen, "%02d:%02d:%02d is not a real time of day",
		    c.h, c.mi, c.s);
		return -1;
	}

	if (has_off) {
		t = civil_as_utc(&c) - off;
		if (!instant_ok(t)) {
			set_err(err, errlen,
			    "the year must be between %d and %d",
			    LTIME_YEAR_MIN, LTIME_YEAR_MAX);
			return -1;
		}
	} else if (london == NULL) {
		set_err(err, errlen, "London time is not available");
		return -1;
	} else if (from_london(&c, &t) != 0) {
		set_err(err, errlen, "%02d:%02d on %04d-%02d-%02d does not "
		    "exist in London (clocks go forward)",
		    c.h, c.mi, c.y, c.mo, c.d);
		return -1;
	}
	*out = t;
	return 0;
syntax:
	set_err(err, errlen, ERR_DATETIME);
	return -1;
}

int
ltime_from_local(int y, int mo, int d, int h, int mi, time_t *out)
{
	struct civil	 c = { y, mo, d, h, mi, 0 };
	time_t		 t;

	if (out == NULL || y < LTIME_YEAR_MIN || y > LTIME_YEAR_MAX ||
	    mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59)
		return -1;
	if (from_london(&c, &t) != 0)
		return -1;
	*out = t;
	return 0;
}

/* snprintf into out, failing on error or truncation. */
static int
put(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
put(char *out, size_t outlen, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (out == NULL || outlen == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
ltime_format(time_t t, char *out, size_t outlen)
{
	struct civil	 c;
	int		 off, aoff;

	if (to_london(t, &c) != 0) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return -1;
	}
	off = (int)(civil_as_utc(&c) - t);
	aoff = off < 0 ? -off : off;
	return put(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    c.y, c.mo, c.d, c.h, c.mi, c.s, off < 0 ? '-' : '+',
	    aoff / 3600, aoff / 60 % 60);
}

int
ltime_format_utc(time_t t, char *out, size_t outlen)
{
	struct tm	 tm;

	if (!instant_ok(t) || gmtime_r(&t, &tm) == NULL) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return put(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/* Any of the out pointers may be NULL when the caller does not need it. */
int
ltime_local(time_t t, int *y, int *mo, int *d, int *h, int *mi)
{
	struct civil	 c;

	if (to_london(t, &c) != 0)
		return -1;
	if (y != NULL)
		*y = c.y;
	if (mo != NULL)
		*mo = c.mo;
	if (d != NULL)
		*d = c.d;
	if (h != NULL)
		*h = c.h;
	if (mi != NULL)
		*mi = c.mi;
	return 0;
}

int
ltime_format_human(time_t t, char *out, size_t outlen)
{
	struct civil	 c;
	int64_t		 days;
	int		 wday;

	if (to_london(t, &c) != 0) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return -1;
	}
	/* 1970-01-01 was a Thursday. */
	days = days_from_civil(c.y, c.mo, c.d);
	wday = (int)(((days % 7) + 7 + 4) % 7);
	return put(out, outlen, "%s %d %s %04d, %02d:%02d", day_names[wday],
	    c.d, month_names[c.mo - 1], c.y, c.h, c.mi);
}
