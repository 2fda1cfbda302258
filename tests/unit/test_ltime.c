/*
 * Unit tests for ltime. Expected instants are written as UTC and computed
 * with the C library's timegm(), independently of libical. The clock changes
 * of 2025 and 2026 (last Sundays of March and October) are walked minute by
 * minute at their edges: 10:00 on the day, 00:59, 01:00, 01:59 and 02:00
 * local, the non-existent March hour, and the repeated October hour, which
 * must resolve to its first (BST) occurrence.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ltime.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* ---- before ltime_init() ---- */

static void
test_before_init(void **state)
{
	char	 err[128], out[LTIME_ISO_MAX];
	time_t	 t = 0;

	(void)state;
	assert_null(ltime_zone());
	/* London time needs the zone ... */
	assert_int_equal(ltime_parse("2026-12-01T10:00", &t, err, sizeof(err)),
	    -1);
	assert_int_equal(ltime_from_local(2026, 12, 1, 10, 0, &t), -1);
	assert_int_equal(ltime_format(utc(2026, 12, 1, 10, 0, 0), out,
	    sizeof(out)), -1);
	/* ... explicit offsets and UTC formatting do not. */
	assert_int_equal(ltime_parse("2026-12-01T10:00Z", &t, err, sizeof(err)),
	    0);
	assert_true(t == utc(2026, 12, 1, 10, 0, 0));
	assert_int_equal(ltime_format_utc(t, out, sizeof(out)), 0);
	assert_string_equal(out, "2026-12-01T10:00:00Z");
}

/* ---- after ltime_init() ---- */

static int
setup(void **state)
{
	(void)state;
	return ltime_init();
}

static void
test_init_idempotent(void **state)
{
	(void)state;
	assert_non_null(ltime_zone());
	assert_int_equal(ltime_init(), 0);
	assert_non_null(ltime_zone());
}

struct local_case {
	const char	*in;		/* London wall clock */
	int		 y, mo, d, h, mi;	/* the expected instant, UTC */
	const char	*iso;		/* ltime_format of that instant */
};

static const struct local_case clock_change_cases[] = {
	/* 2026: clocks forward Sunday 29 March at 01:00 GMT. */
	{ "2026-03-28T10:00", 2026, 3, 28, 10, 0, "2026-03-28T10:00:00+00:00" },
	{ "2026-03-29T00:00", 2026, 3, 29, 0, 0, "2026-03-29T00:00:00+00:00" },
	{ "2026-03-29T00:59", 2026, 3, 29, 0, 59, "2026-03-29T00:59:00+00:00" },
	{ "2026-03-29T02:00", 2026, 3, 29, 1, 0, "2026-03-29T02:00:00+01:00" },
	{ "2026-03-29T02:01", 2026, 3, 29, 1, 1, "2026-03-29T02:01:00+01:00" },
	{ "2026-03-29T10:00", 2026, 3, 29, 9, 0, "2026-03-29T10:00:00+01:00" },
	{ "2026-03-30T10:00", 2026, 3, 30, 9, 0, "2026-03-30T10:00:00+01:00" },
	/* 2026: clocks back Sunday 25 October at 02:00 BST. */
	{ "2026-10-24T10:00", 2026, 10, 24, 9, 0, "2026-10-24T10:00:00+01:00" },
	{ "2026-10-25T00:00", 2026, 10, 24, 23, 0, "2026-10-25T00:00:00+01:00" },
	{ "2026-10-25T00:59", 2026, 10, 24, 23, 59,
	    "2026-10-25T00:59:00+01:00" },
	{ "2026-10-25T01:00", 2026, 10, 25, 0, 0, "2026-10-25T01:00:00+01:00" },
	{ "2026-10-25T01:30", 2026, 10, 25, 0, 30, "2026-10-25T01:30:00+01:00" },
	{ "2026-10-25T01:59", 2026, 10, 25, 0, 59, "2026-10-25T01:59:00+01:00" },
	{ "2026-10-25T02:00", 2026, 10, 25, 2, 0, "2026-10-25T02:00:00+00:00" },
	{ "2026-10-25T10:00", 2026, 10, 25, 10, 0, "2026-10-25T10:00:00+00:00" },
	{ "2026-10-26T10:00", 2026, 10, 26, 10, 0, "2026-10-26T10:00:00+00:00" },
	/* 2025: forward Sunday 30 March, back Sunday 26 October. */
	{ "2025-03-30T00:59", 2025, 3, 30, 0, 59, "2025-03-30T00:59:00+00:00" },
	{ "2025-03-30T02:00", 2025, 3, 30, 1, 0, "2025-03-30T02:00:00+01:00" },
	{ "2025-03-30T10:00", 2025, 3, 30, 9, 0, "2025-03-30T10:00:00+01:00" },
	{ "2025-10-26T00:59", 2025, 10, 25, 23, 59,
	    "2025-10-26T00:59:00+01:00" },
	{ "2025-10-26T01:00", 2025, 10, 26, 0, 0, "2025-10-26T01:00:00+01:00" },
	{ "2025-10-26T01:30", 2025, 10, 26, 0, 30, "2025-10-26T01:30:00+01:00" },
	{ "2025-10-26T01:59", 2025, 10, 26, 0, 59, "2025-10-26T01:59:00+01:00" },
	{ "2025-10-26T02:00", 2025, 10, 26, 2, 0, "2025-10-26T02:00:00+00:00" },
	{ "2025-10-26T10:00", 2025, 10, 26, 10, 0, "2025-10-26T10:00:00+00:00" },
	/* Ordinary winter and summer days. */
	{ "2026-12-02T10:00", 2026, 12, 2, 10, 0, "2026-12-02T10:00:00+00:00" },
	{ "2026-07-01T10:00", 2026, 7, 1, 9, 0, "2026-07-01T10:00:00+01:00" },
	{ "2026-01-01T00:00", 2026, 1, 1, 0, 0, "2026-01-01T00:00:00+00:00" },
	{ "2026-12-31T23:59", 2026, 12, 31, 23, 59,
	    "2026-12-31T23:59:00+00:00" },
};


static void
test_parse_local_across_clock_changes(void **state)
{
	char	 err[128], out[LTIME_ISO_MAX];
	time_t	 t, want;
	int	 y, mo, d, h, mi;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(clock_change_cases); i++) {
		const struct local_case	*c = &clock_change_cases[i];

		want = utc(c->y, c->mo, c->d, c->h, c->mi, 0);
		err[0] = '\0';
		if (ltime_parse(c->in, &t, err, sizeof(err)) != 0)
			fail_msg("%s: rejected: %s", c->in, err);
		if (t != want) {
			ltime_format_utc(t, out, sizeof(out));
			fail_msg("%s: got %s", c->in, out);
		}
		assert_int_equal(ltime_format(t, out, sizeof(out)), 0);
		if (strcmp(out, c->iso) != 0)
			fail_msg("%s: formatted as %s, expected %s", c->in, out,
			    c->iso);

		/* The same instant through ltime_from_local ... */
		assert_int_equal(sscanf(c->in, "%4d-%2d-%2dT%2d:%2d", &y, &mo,
		    &d, &h, &mi), 5);
		t = 0;
		assert_int_equal(ltime_from_local(y, mo, d, h, mi, &t), 0);
		if (t != want)
			fail_msg("%s: ltime_from_local disagrees", c->in);
		/* ... and back to the same wall clock through ltime_local. */
		assert_int_equal(ltime_local(want, &y, &mo, &d, &h, &mi), 0);
		snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d", y, mo, d,
		    h, mi);
		assert_string_equal(out, c->in);
	}
}

/* Every minute of the skipped hour, in both years, is refused. */
static void
test_spring_gap_rejected(void **state)
{
	static const struct { int y, d; } days[] = { { 2026, 29 }, { 2025, 30 } };
	char	 in[32], err[128], want[128];
	time_t	 t = 12345;
	size_t	 i;
	int	 mi;

	(void)state;
	for (i = 0; i < NELEM(days); i++) {
		for (mi = 0; mi < 60; mi++) {
			snprintf(in, sizeof(in), "%04d-03-%02dT01:%02d",
			    days[i].y, days[i].d, mi);
			snprintf(want, sizeof(want), "01:%02d on %04d-03-%02d "
			    "does not exist in London (clocks go forward)", mi,
			    days[i].y, days[i].d);
			err[0] = '\0';
			if (ltime_parse(in, &t, err, sizeof(err)) != -1)
				fail_msg("%s accepted", in);
			assert_string_equal(err, want);
			assert_int_equal(ltime_from_local(days[i].y, 3,
			    days[i].d, 1, mi, &t), -1);
			/* With seconds too. */
			snprintf(in, sizeof(in), "%04d-03-%02d 01:%02d:30",
			    days[i].y, days[i].d, mi);
			assert_int_equal(ltime_parse(in, &t, NULL, 0), -1);
		}
	}
	assert_true(t == 12345);	/* never written on failure */
}

static void
test_spring_gap_message(void **state)
{
	char	 err[128];
	time_t	 t;

	(void)state;
	assert_int_equal(ltime_parse("2026-03-29T01:30", &t, err, sizeof(err)),
	    -1);
	assert_string_equal(err,
	    "01:30 on 2026-03-29 does not exist in London (clocks go forward)");
	/* The same moment written in UTC is fine: it is 02:30 BST. */
	assert_int_equal(ltime_parse("2026-03-29T01:30Z", &t, err, sizeof(err)),
	    0);
	assert_true(t == utc(2026, 3, 29, 1, 30, 0));
}

/*
 * The October hour happens twice. Input without an offset means the first
 * (BST) one; the second (GMT) one can still be given with an offset, and
 * formats with +00:00 so a round trip keeps it.
 */
static void
test_autumn_repeated_hour(void **state)
{
	char	 out[LTIME_ISO_MAX];
	time_t	 t, first, second;
	int	 mi;

	(void)state;
	for (mi = 0; mi < 60; mi++) {
		first = utc(2026, 10, 25, 0, mi, 0);
		second = utc(2026, 10, 25, 1, mi, 0);
		assert_int_equal(ltime_from_local(2026, 10, 25, 1, mi, &t), 0);
		assert_true(t == first);

		assert_int_equal(ltime_format(first, out, sizeof(out)), 0);
		assert_int_equal(ltime_parse(out, &t, NULL, 0), 0);
		assert_true(t == first);
		assert_int_equal(ltime_format(second, out, sizeof(out)), 0);
		assert_int_equal(ltime_parse(out, &t, NULL, 0), 0);
		assert_true(t == second);
	}
	assert_int_equal(ltime_parse("2026-10-25T01:30+01:00", &t, NULL, 0), 0);
	assert_true(t == utc(2026, 10, 25, 0, 30, 0));
	assert_int_equal(ltime_parse("2026-10-25T01:30+00:00", &t, NULL, 0), 0);
	assert_true(t == utc(2026, 10, 25, 1, 30, 0));
	assert_int_equal(ltime_parse("2026-10-25T01:30", &t, NULL, 0), 0);
	assert_true(t == utc(2026, 10, 25, 0, 30, 0));
	assert_int_equal(ltime_format(utc(2026, 10, 25, 1, 30, 0), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "2026-10-25T01:30:00+00:00");
}

/* UTC instants either side of each change format with the right offset. */
static void
test_format_at_transitions(void **state)
{
	static const struct {
		int		 y, mo, d, h, mi, s;
		const char	*iso;
	} cases[] = {
		{ 2026, 3, 29, 0, 59, 59, "2026-03-29T00:59:59+00:00" },
		{ 2026, 3, 29, 1, 0, 0, "2026-03-29T02:00:00+01:00" },
		{ 2026, 10, 25, 0, 59, 59, "2026-10-25T01:59:59+01:00" },
		{ 2026, 10, 25, 1, 0, 0, "2026-10-25T01:00:00+00:00" },
		{ 2025, 3, 30, 0, 59, 59, "2025-03-30T00:59:59+00:00" },
		{ 2025, 3, 30, 1, 0, 0, "2025-03-30T02:00:00+01:00" },
		{ 2025, 10, 26, 0, 59, 59, "2025-10-26T01:59:59+01:00" },
		{ 2025, 10, 26, 1, 0, 0, "2025-10-26T01:00:00+00:00" },
	};
	char	 out[LTIME_ISO_MAX];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(ltime_format(utc(cases[i].y, cases[i].mo,
		    cases[i].d, cases[i].h, cases[i].mi, cases[i].s), out,
		    sizeof(out)), 0);
		assert_string_equal(out, cases[i].iso);
	}
}

static void
test_offsets_honoured(void **state)
{
	static const struct {
		const char	*in;
		int		 y, mo, d, h, mi, s;
	} cases[] = {
		{ "2026-12-01T10:00Z", 2026, 12, 1, 10, 0, 0 },
		{ "2026-12-01T10:00z", 2026, 12, 1, 10, 0, 0 },
		{ "2026-07-01T10:00Z", 2026, 7, 1, 10, 0, 0 },
		{ "2026-07-01T10:00:00Z", 2026, 7, 1, 10, 0, 0 },
		{ "2026-07-01T10:00+00:00", 2026, 7, 1, 10, 0, 0 },
		{ "2026-07-01T10:00-00:00", 2026, 7, 1, 10, 0, 0 },
		{ "2026-07-01T10:00+01:00", 2026, 7, 1, 9, 0, 0 },
		{ "2026-12-01T10:00+01:00", 2026, 12, 1, 9, 0, 0 },
		{ "2026-07-01T10:00-05:00", 2026, 7, 1, 15, 0, 0 },
		{ "2026-07-01T10:00:30+05:30", 2026, 7, 1, 4, 30, 30 },
		{ "2026-12-01T23:30-01:00", 2026, 12, 2, 0, 30, 0 },
		{ "2026-01-01T00:30+05:30", 2025, 12, 31, 19, 0, 0 },
		{ "2026-03-29T01:30+00:00", 2026, 3, 29, 1, 30, 0 },
		{ "2026-07-01 10:00+01:00", 2026, 7, 1, 9, 0, 0 },
	};
	char	 err[128];
	time_t	 t;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		err[0] = '\0';
		if (ltime_parse(cases[i].in, &t, err, sizeof(err)) != 0)
			fail_msg("%s: rejected: %s", cases[i].in, err);
		if (t != utc(cases[i].y, cases[i].mo, cases[i].d, cases[i].h,
		    cases[i].mi, cases[i].s))
			fail_msg("%s: wrong instant", cases[i].in);
	}
}

static void
test_accepted_forms(void **state)
{
	time_t	 want = utc(2026, 12, 1, 10, 0, 0), t;

	(void)state;
	assert_int_equal(ltime_parse("2026-12-01T10:00", &t, NULL, 0), 0);
	assert_true(t == want);
	assert_int_equal(ltime_parse("2026-12-01 10:00", &t, NULL, 0), 0);
	assert_true(t == want);
	assert_int_equal(ltime_parse("2026-12-01t10:00", &t, NULL, 0), 0);
	assert_true(t == want);
	assert_int_equal(ltime_parse("2026-12-01T10:00:00", &t, NULL, 0), 0);
	assert_true(t == want);
	assert_int_equal(ltime_parse("2026-12-01T10:00:59", &t, NULL, 0), 0);
	assert_true(t == want + 59);
	assert_int_equal(ltime_parse("2026-07-01T10:00:15", &t, NULL, 0), 0);
	assert_true(t == utc(2026, 7, 1, 9, 0, 15));
}

struct bad_case {
	const char	*in;
	const char	*err;
};

#define ERR_SHAPE	"must be a date and time like 2026-12-01T10:00"

static const struct bad_case bad_cases[] = {
	{ "", ERR_SHAPE },
	{ "abc", ERR_SHAPE },
	{ "tomorrow at ten", ERR_SHAPE },
	{ "2026-12-01", ERR_SHAPE },
	{ "2026-12-01T", ERR_SHAPE },
	{ "2026-12-01T10", ERR_SHAPE },
	{ "2026-12-01T10:0", ERR_SHAPE },
	{ "2026-12-1T10:00", ERR_SHAPE },
	{ "26-12-01T10:00", ERR_SHAPE },
	{ "2026/12/01T10:00", ERR_SHAPE },
	{ "01-12-2026T10:00", ERR_SHAPE },
	{ "2026-12-01X10:00", ERR_SHAPE },
	{ "2026-12-01T1000", ERR_SHAPE },
	{ "2026-12-01T10.00", ERR_SHAPE },
	{ "2026-12-01T10:00 ", ERR_SHAPE },
	{ " 2026-12-01T10:00", ERR_SHAPE },
	{ "2026-12-01T10:00x", ERR_SHAPE },
	{ "2026-12-01T10:00Zx", ERR_SHAPE },
	{ "2026-12-01T10:00ZZ", ERR_SHAPE },
	{ "2026-12-01T10:00:00.000", ERR_SHAPE },
	{ "2026-12-01T10:00:0", ERR_SHAPE },
	{ "2026-12-01T10:00:", ERR_SHAPE },
	{ "2026-12-01T10:00+1", ERR_SHAPE },
	{ "2026-12-01T10:00+01", ERR_SHAPE },
	{ "2026-12-01T10:00+0100", ERR_SHAPE },
	{ "2026-12-01T10:00+01:0", ERR_SHAPE },
	{ "2026-12-01T10:00+01:00x", ERR_SHAPE },
	{ "2026-12-01T10:00 +01:00", ERR_SHAPE },
	{ "+2026-12-01T10:00", ERR_SHAPE },
	{ "-2026-12-01T10:00", ERR_SHAPE },
	{ "2026-12-01T-1:00", ERR_SHAPE },
	{ "2026-12-01T10:00\n", ERR_SHAPE },
	{ "2026-12-01T\xd9\xa1" "0:00", ERR_SHAPE },
	{ "2026-02-30T10:00", "2026-02-30 is not a real date" },
	{ "2026-02-29T10:00", "2026-02-29 is not a real date" },
	{ "2027-02-29T10:00", "2027-02-29 is not a real date" },
	{ "2100-02-29T10:00", "2100-02-29 is not a real date" },
	{ "2026-04-31T10:00", "2026-04-31 is not a real date" },
	{ "2026-13-01T10:00", "2026-13-01 is not a real date" },
	{ "2026-00-01T10:00", "2026-00-01 is not a real date" },
	{ "2026-12-00T10:00", "2026-12-00 is not a real date" },
	{ "2026-12-32T10:00", "2026-12-32 is not a real date" },
	{ "2026-12-01T24:00",
	    "24:00 is not a time of day; use 00:00 on the next day" },
	{ "2026-12-01T24:30", "24:30 is not a real time of day" },
	{ "2026-12-01T25:00", "25:00 is not a real time of day" },
	{ "2026-12-01T10:60", "10:60 is not a real time of day" },
	{ "2026-12-01T10:00:60", "10:00:60 is not a real time of day" },
	{ "2026-12-01T10:00+24:00", "the offset from UTC must be like +01:00" },
	{ "2026-12-01T10:00+01:60", "the offset from UTC must be like +01:00" },
	{ "1969-12-31T10:00", "the year must be between 1970 and 2100" },
	{ "2101-01-01T10:00", "the year must be between 1970 and 2100" },
	{ "9999-12-31T10:00Z", "the year must be between 1970 and 2100" },
	{ "0000-01-01T10:00", "the year must be between 1970 and 2100" },
};

static void
test_invalid_rejected(void **state)
{
	char	 err[128];
	time_t	 t = 12345;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(bad_cases); i++) {
		err[0] = '\0';
		if (ltime_parse(bad_cases[i].in, &t, err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad_cases[i].in);
		if (strcmp(err, bad_cases[i].err) != 0)
			fail_msg("\"%s\": message \"%s\", expected \"%s\"",
			    bad_cases[i].in, err, bad_cases[i].err);
	}
	assert_int_equal(ltime_parse(NULL, &t, err, sizeof(err)), -1);
	assert_string_equal(err, ERR_SHAPE);
	assert_true(t == 12345);
}

static void
test_error_buffer_handling(void **state)
{
	char	 err[12];
	time_t	 t;

	(void)state;
	/* A short buffer gets a truncated, terminated message. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(ltime_parse("nonsense", &t, err, sizeof(err)), -1);
	assert_string_equal(err, "must be a d");
	/* No buffer at all is fine. */
	assert_int_equal(ltime_parse("nonsense", &t, NULL, 0), -1);
	assert_int_equal(ltime_parse("nonsense", &t, err, 0), -1);
}

static void
test_leap_years(void **state)
{
	time_t	 t;
	int	 y, m, d;
	char	 err[128];

	(void)state;
	assert_int_equal(ltime_parse("2028-02-29T10:00", &t, err, sizeof(err)),
	    0);
	assert_true(t == utc(2028, 2, 29, 10, 0, 0));
	assert_int_equal(ltime_parse("2024-02-29T23:59", &t, err, sizeof(err)),
	    0);
	assert_true(t == utc(2024, 2, 29, 23, 59, 0));
	assert_int_equal(ltime_parse("2000-02-29T12:00", &t, err, sizeof(err)),
	    0);
	assert_int_equal(ltime_parse("2027-02-29T10:00", &t, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "2027-02-29 is not a real date");
	assert_int_equal(ltime_from_local(2028, 2, 29, 10, 0, &t), 0);
	assert_int_equal(ltime_from_local(2027, 2, 29, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2100, 2, 29, 10, 0, &t), -1);

	assert_int_equal(ltime_parse_date("2028-02-29", &y, &m, &d, err,
	    sizeof(err)), 0);
	assert_int_equal(y, 2028);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	assert_int_equal(ltime_parse_date("2000-02-29", &y, &m, &d, NULL, 0),
	    0);
	assert_int_equal(ltime_parse_date("1900-02-29", &y, &m, &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "1900-02-29 is not a real date");
	assert_int_equal(ltime_parse_date("2027-02-29", &y, &m, &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "2027-02-29 is not a real date");
}

static void
test_parse_date(void **state)
{
	static const char *const bad_shape[] = {
		"", "2026-12", "2026-12-1", "2026-12-01T", "2026-12-01 ",
		" 2026-12-01", "2026/12/01", "20261201", "2026-1-01", "abcd-ef-gh",
		"2026-12-01T10:00",
	};
	char	 err[128];
	int	 y = -1, m = -1, d = -1;
	size_t	 i;

	(void)state;
	assert_int_equal(ltime_parse_date("2026-12-01", &y, &m, &d, err,
	    sizeof(err)), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 12);
	assert_int_equal(d, 1);
	/* Old enough for a parent's date of birth. */
	assert_int_equal(ltime_parse_date("1965-06-15", &y, &m, &d, NULL, 0),
	    0);
	assert_int_equal(y, 1965);
	y = m = d = -1;
	for (i = 0; i < NELEM(bad_shape); i++) {
		err[0] = '\0';
		if (ltime_parse_date(bad_shape[i], &y, &m, &d, err,
		    sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad_shape[i]);
		assert_string_equal(err, "must be a date like 2026-12-01");
	}
	assert_int_equal(ltime_parse_date("2026-13-01", &y, &m, &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "2026-13-01 is not a real date");
	assert_int_equal(ltime_parse_date("2026-02-30", &y, &m, &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "2026-02-30 is not a real date");
	assert_int_equal(ltime_parse_date("1899-12-31", &y, &m, &d, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "the year must be between 1900 and 2100");
	assert_int_equal(ltime_parse_date(NULL, &y, &m, &d, err, sizeof(err)),
	    -1);
	assert_int_equal(y, -1);
	assert_int_equal(m, -1);
	assert_int_equal(d, -1);
}

static void
test_from_local_ranges(void **state)
{
	time_t	 t = 12345;

	(void)state;
	assert_int_equal(ltime_from_local(2026, 0, 1, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 13, 1, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 31, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 0, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 1, 24, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 1, -1, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 1, 10, 60, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 1, 10, -1, &t), -1);
	assert_int_equal(ltime_from_local(1969, 4, 1, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2101, 4, 1, 10, 0, &t), -1);
	assert_int_equal(ltime_from_local(2026, 4, 1, 10, 0, NULL), -1);
	assert_true(t == 12345);
	/* The ends of the range work. */
	assert_int_equal(ltime_from_local(2100, 12, 31, 23, 59, &t), 0);
	assert_true(t == utc(2100, 12, 31, 23, 59, 0));
	assert_int_equal(ltime_from_local(2100, 7, 1, 12, 0, &t), 0);
	assert_true(t == utc(2100, 7, 1, 11, 0, 0));
	assert_int_equal(ltime_from_local(1970, 6, 1, 12, 0, &t), 0);
	/* 1968-71: British Standard Time, +01:00 all year. */
	assert_true(t == utc(1970, 6, 1, 11, 0, 0));
}

static void
test_format_utc(void **state)
{
	char	 out[LTIME_ISO_MAX], small[20];

	(void)state;
	assert_int_equal(ltime_format_utc(utc(2026, 7, 1, 9, 0, 0), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "2026-07-01T09:00:00Z");
	assert_int_equal(ltime_format_utc(utc(2026, 12, 31, 23, 59, 59), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "2026-12-31T23:59:59Z");
	/* 20 bytes is exactly one too few. */
	assert_int_equal(ltime_format_utc(utc(2026, 7, 1, 9, 0, 0), small,
	    sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(ltime_format_utc(utc(2026, 7, 1, 9, 0, 0), out, 21),
	    0);
}

static void
test_format_buffer_sizes(void **state)
{
	char	 out[LTIME_ISO_MAX];
	time_t	 t = utc(2026, 12, 2, 10, 0, 0);

	(void)state;
	/* "2026-12-02T10:00:00+00:00" is 25 bytes and a NUL. */
	assert_int_equal(ltime_format(t, out, 25), -1);
	assert_string_equal(out, "");
	assert_int_equal(ltime_format(t, out, 26), 0);
	assert_string_equal(out, "2026-12-02T10:00:00+00:00");
	assert_int_equal(ltime_format(t, NULL, 0), -1);
	assert_int_equal(ltime_format_human(t, out, 10), -1);
	/* Out of the supported range. */
	assert_int_equal(ltime_format(utc(2200, 1, 1, 0, 0, 0), out,
	    sizeof(out)), -1);
	assert_int_equal(ltime_local(utc(2200, 1, 1, 0, 0, 0), NULL, NULL,
	    NULL, NULL, NULL), -1);
}

static void
test_format_human(void **state)
{
	static const struct {
		int		 y, mo, d, h, mi;
		const char	*want;
	} cases[] = {
		{ 2026, 12, 2, 10, 0, "Wednesday 2 December 2026, 10:00" },
		{ 2026, 7, 1, 9, 0, "Wednesday 1 July 2026, 10:00" },
		{ 2026, 3, 29, 1, 0, "Sunday 29 March 2026, 02:00" },
		{ 2026, 10, 24, 23, 30, "Sunday 25 October 2026, 00:30" },
		{ 2026, 10, 25, 0, 30, "Sunday 25 October 2026, 01:30" },
		{ 2026, 10, 25, 1, 30, "Sunday 25 October 2026, 01:30" },
		{ 2028, 2, 29, 15, 5, "Tuesday 29 February 2028, 15:05" },
		{ 2026, 12, 31, 23, 59, "Thursday 31 December 2026, 23:59" },
		{ 2027, 1, 1, 0, 0, "Friday 1 January 2027, 00:00" },
		{ 2026, 6, 1, 7, 0, "Monday 1 June 2026, 08:00" },
	};
	char	 out[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(ltime_format_human(utc(cases[i].y, cases[i].mo,
		    cases[i].d, cases[i].h, cases[i].mi, 0), out, sizeof(out)),
		    0);
		assert_string_equal(out, cases[i].want);
	}
}

/* Day and month names against the C library, for every day of 2025-2028. */
static void
test_format_human_names(void **state)
{
	static const char *const days[] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday"
	};
	static const char *const months[] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"
	};
	char	 out[64], want[64];
	struct tm	 tm;
	time_t	 t;

	(void)state;
	for (t = utc(2025, 1, 1, 12, 0, 0); t < utc(2029, 1, 1, 0, 0, 0);
	    t += 86400) {
		assert_non_null(gmtime_r(&t, &tm));
		/* Noon UTC is 12:00 or 13:00 in London, same date. */
		snprintf(want, sizeof(want), "%s %d %s %d, ",
		    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		    tm.tm_year + 1900);
		assert_int_equal(ltime_format_human(t, out, sizeof(out)), 0);
		/* The date part; the hour depends on the season. */
		if (strncmp(out, want, strlen(want)) != 0 ||
		    strlen(out) != strlen(want) + 5)
			fail_msg("got \"%s\", expected \"%s..\"", out, want);
	}
}

/* Format, then parse, gives back the same instant, every 17 minutes from
 * 2025 to 2027 (a step that drifts through every minute of the hour). */
static void
test_round_trip(void **state)
{
	char	 iso[LTIME_ISO_MAX], z[LTIME_ISO_MAX];
	time_t	 t, back;
	int	 y, mo, d, h, mi;

	(void)state;
	for (t = utc(2025, 1, 1, 0, 0, 0); t < utc(2028, 1, 1, 0, 0, 0);
	    t += 17 * 60) {
		assert_int_equal(ltime_format(t, iso, sizeof(iso)), 0);
		if (ltime_parse(iso, &back, NULL, 0) != 0 || back != t)
			fail_msg("%s did not round-trip", iso);
		assert_int_equal(ltime_format_utc(t, z, sizeof(z)), 0);
		if (ltime_parse(z, &back, NULL, 0) != 0 || back != t)
			fail_msg("%s did not round-trip", z);
		/* Wall clock back to an instant: the same one, except in
		 * the second October hour, which maps to the first. */
		assert_int_equal(ltime_local(t, &y, &mo, &d, &h, &mi), 0);
		assert_int_equal(ltime_from_local(y, mo, d, h, mi, &back), 0);
		if (back != t - t % 60 && back != t - t % 60 - 3600)
			fail_msg("%s: wall clock maps elsewhere", iso);
		if (back != t - t % 60 && strstr(iso, "T01:") == NULL)
			fail_msg("%s: moved outside the repeated hour", iso);
	}
}

struct thread_arg {
	int	 failures;
};

static void *
worker(void *p)
{
	struct thread_arg	*a = p;
	char			 iso[LTIME_ISO_MAX], human[64];
	time_t			 t, back;
	int			 i;

	for (i = 0; i < 3000; i++) {
		t = utc(2025 + i % 3, 3 + (i % 2) * 7, 20 + i % 10, i % 24,
		    i % 60, 0);
		if (ltime_format(t, iso, sizeof(iso)) != 0 ||
		    ltime_parse(iso, &back, NULL, 0) != 0 || back != t ||
		    ltime_format_human(t, human, sizeof(human)) != 0)
			a->failures++;
		if (ltime_parse("2026-03-29T01:30", &back, NULL, 0) != -1 ||
		    ltime_parse("2026-10-25T01:30", &back, NULL, 0) != 0 ||
		    back != utc(2026, 10, 25, 0, 30, 0))
			a->failures++;
	}
	return NULL;
}

/* After init, conversions from several threads at once agree. */
static void
test_threads(void **state)
{
	pthread_t		 th[4];
	struct thread_arg	 arg[4];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(th); i++) {
		arg[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &arg[i]),
		    0);
	}
	for (i = 0; i < NELEM(th); i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(arg[i].failures, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest before[] = {
		cmocka_unit_test(test_before_init),
	};
	const struct CMUnitTest after[] = {
		cmocka_unit_test(test_init_idempotent),
		cmocka_unit_test(test_parse_local_across_clock_changes),
		cmocka_unit_test(test_spring_gap_rejected),
		cmocka_unit_test(test_spring_gap_message),
		cmocka_unit_test(test_autumn_repeated_hour),
		cmocka_unit_test(test_format_at_transitions),
		cmocka_unit_test(test_offsets_honoured),
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_invalid_rejected),
		cmocka_unit_test(test_error_buffer_handling),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_from_local_ranges),
		cmocka_unit_test(test_format_utc),
		cmocka_unit_test(test_format_buffer_sizes),
		cmocka_unit_test(test_format_human),
		cmocka_unit_test(test_format_human_names),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_threads),
	};
	int	 failed;

	failed = cmocka_run_group_tests_name("ltime before init", before,
	    NULL, NULL);
	failed += cmocka_run_group_tests_name("ltime", after, setup, NULL);
	return failed;
}
