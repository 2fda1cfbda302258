/*
 * Unit tests for workdays. Every expected count below was worked out by hand
 * on a calendar, day by day, and the working is in the comment beside it:
 * weekends, Christmas and New Year (including substitute days), Easter, the
 * one-off holidays of 2020, 2022 and 2023, and the statutory 15 working days
 * from a strategy discussion to the initial child protection conference.
 * The built-in holiday list is also compared with sql/005_statistics.sql so
 * that the C and SQL calculators cannot drift apart, and the closed-form
 * count is compared with a day-by-day walk over many spans.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workdays.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static long
day(const char *s)
{
	long d = 0;

	if (workdays_parse_date(s, &d) != 0)
		fail_msg("bad date in test: %s", s);
	return d;
}

static struct workdays ew;	/* England and Wales, built in */

static int
setup(void **state)
{
	(void)state;
	workdays_init_england_wales(&ew);
	return 0;
}

static void
test_civil(void **state)
{
	char out[WORKDAYS_DATE_MAX];
	int y, m, d;

	(void)state;
	assert_int_equal(workdays_from_civil(1970, 1, 1), 0);
	assert_int_equal(workdays_from_civil(1969, 12, 31), -1);
	assert_int_equal(workdays_from_civil(2000, 3, 1), 11017);
	assert_int_equal(workdays_from_civil(2026, 11, 6), 20763);
	workdays_to_civil(20763, &y, &m, &d);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 11);
	assert_int_equal(d, 6);
	workdays_to_civil(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	assert_int_equal(workdays_format(day("2024-02-29"), out, sizeof(out)),
	    0);
	assert_string_equal(out, "2024-02-29");
	assert_int_equal(workdays_format(0, out, 10), -1);	/* too small */
}

static void
test_weekday(void **state)
{
	(void)state;
	assert_int_equal(workdays_weekday(0), 4);		/* Thursday */
	assert_int_equal(workdays_weekday(-1), 3);		/* Wednesday */
	assert_int_equal(workdays_weekday(-4), 7);		/* Sunday */
	assert_int_equal(workdays_weekday(day("2026-11-06")), 5);
	assert_int_equal(workdays_weekday(day("2026-11-07")), 6);
	assert_int_equal(workdays_weekday(day("2026-11-08")), 7);
	assert_int_equal(workdays_weekday(day("2026-11-09")), 1);
	assert_int_equal(workdays_weekday(day("1900-01-01")), 1);
}

static void
test_parse(void **state)
{
	long d;

	(void)state;
	assert_int_equal(workdays_parse_date("2024-02-29", &d), 0);
	assert_int_equal(workdays_parse_date("2023-02-29", &d), -1);
	assert_int_equal(workdays_parse_date("2026-02-30", &d), -1);
	assert_int_equal(workdays_parse_date("2026-13-01", &d), -1);
	assert_int_equal(workdays_parse_date("2026-1-01", &d), -1);
	assert_int_equal(workdays_parse_date("2026-01-01x", &d), -1);
	assert_int_equal(workdays_parse_date("", &d), -1);
}

struct span {
	const char	*from, *to;
	long		 n;
};

static const struct span spans[] = {
	/* Same day is 0; the count is of the days after `from`. */
	{ "2026-11-04", "2026-11-04", 0 },
	/* Wednesday to Thursday. */
	{ "2026-11-04", "2026-11-05", 1 },
	/* Friday to Monday: Sat, Sun skipped, Mon counts. */
	{ "2026-11-06", "2026-11-09", 1 },
	/* Friday to Saturday and Sunday: nothing yet. */
	{ "2026-11-06", "2026-11-07", 0 },
	{ "2026-11-06", "2026-11-08", 0 },
	/* Saturday (concern at the weekend) to Monday. */
	{ "2026-11-07", "2026-11-09", 1 },
	/* Monday to Friday of the same week. */
	{ "2026-11-02", "2026-11-06", 4 },
	/* Monday to Monday a week later: Tue-Fri 4, Mon 1. */
	{ "2026-11-02", "2026-11-09", 5 },
	/* Christmas 2026: 25 Fri holiday, 26-27 weekend, 28 Mon Boxing
	 * Day substitute, 29 Tue 1, 30 Wed 2, 31 Thu 3, 1 Jan Fri holiday,
	 * 2-3 weekend, 4 Mon 4. */
	{ "2026-12-24", "2027-01-04", 4 },
	/* Christmas 2021 (both days on the weekend): 24 Fri 1, 27 Mon and
	 * 28 Tue substitutes, 29 Wed 2, 30 Thu 3, 31 Fri 4, 3 Jan 2022 New
	 * Year substitute, 4 Tue 5. */
	{ "2021-12-23", "2022-01-04", 5 },
	/* Christmas 2022 (Sunday): 26 Mon Boxing Day, 27 Tue Christmas
	 * substitute, 28 Wed 1. */
	{ "2022-12-23", "2022-12-28", 1 },
	/* New Year 2023 (Sunday): 2 Jan Monday substitute, 3 Tue 1. */
	{ "2022-12-30", "2023-01-03", 1 },
	/* Christmas 2020 (Friday): 28 Mon Boxing Day substitute, 29 Tue 1. */
	{ "2020-12-24", "2020-12-29", 1 },
	/* Easter 2026: 3 Apr Good Friday, 6 Apr Easter Monday, 7 Tue 1. */
	{ "2026-04-02", "2026-04-07", 1 },
	/* Easter 2025: 18 Apr Good Friday, 21 Apr Easter Monday. */
	{ "2025-04-17", "2025-04-22", 1 },
	/* Easter 2024 straddles March and April: 29 Mar, 1 Apr. */
	{ "2024-03-28", "2024-04-02", 1 },
	/* 2020: early May holiday moved to Friday 8 May (VE day); Monday
	 * 4 May was a working day. */
	{ "2020-05-07", "2020-05-11", 1 },
	{ "2020-05-01", "2020-05-04", 1 },
	/* 2022: spring holiday Thursday 2 June, Jubilee Friday 3 June; the
	 * last Monday of May (30th) was a working day. */
	{ "2022-06-01", "2022-06-06", 1 },
	{ "2022-05-27", "2022-05-30", 1 },
	/* 2022: the Queen's funeral, Monday 19 September. */
	{ "2022-09-16", "2022-09-20", 1 },
	/* 2023: 1 May early May holiday and 8 May coronation. */
	{ "2023-04-28", "2023-05-02", 1 },
	{ "2023-05-05", "2023-05-09", 1 },
	/* A whole year: 2026 has 261 weekdays and 8 bank holidays. */
	{ "2025-12-31", "2026-12-31", 253 },
	/* 2022: 260 weekdays, 10 bank holidays. */
	{ "2021-12-31", "2022-12-31", 250 },
	/* 2023: 260 weekdays, 9 bank holidays. */
	{ "2022-12-31", "2023-12-31", 251 },
	/* Backwards: minus the forward count. */
	{ "2026-11-09", "2026-11-06", -1 },
	{ "2027-01-04", "2026-12-24", -4 },
};

static void
test_between(void **state)
{
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < NELEM(spans); i++) {
		n = workdays_between(&ew, day(spans[i].from), day(spans[i].to));
		if (n != spans[i].n)
			fail_msg("%s -> %s: got %ld, want %ld", spans[i].from,
			    spans[i].to, n, spans[i].n);
	}
}

static void
test_weekends_only(void **state)
{
	struct workdays none;

	(void)state;
	workdays_init(&none);
	/* 25, 28, 29, 30, 31 Dec, 1 and 4 Jan. */
	assert_int_equal(workdays_between(&none, day("2026-12-24"),
	    day("2027-01-04")), 7);
	assert_true(workdays_is_working(&none, day("2026-12-25")));
	assert_false(workdays_is_working(&ew, day("2026-12-25")));
	assert_false(workdays_is_working(&ew, day("2026-12-26")));
	assert_true(workdays_is_holiday(&ew, day("2026-12-28")));
	assert_false(workdays_is_holiday(&ew, day("2026-12-29")));
}

struct due {
	const char	*sd, *due;
};

/* The last day on which the initial conference is within 15 working days
 * of the strategy discussion. */
static const struct due dues[] = {
	/* November 2026 has no holidays: three whole weeks. */
	{ "2026-11-02", "2026-11-23" },
	/* Friday 11 Dec 2026: 14-18 Dec 1-5, 21-24 Dec 6-9, 25 and 28
	 * holidays, 29-31 Dec 10-12, 1 Jan holiday, 4-6 Jan 13-15. */
	{ "2026-12-11", "2027-01-06" },
	/* Monday 23 Mar 2026: 24-27 Mar 1-4, 30 Mar-2 Apr 5-8, 3 and 6 Apr
	 * holidays, 7-10 Apr 9-12, 13-15 Apr 13-15. */
	{ "2026-03-23", "2026-04-15" },
	/* A discussion on a Saturday: Mon 9 Nov is day 1. */
	{ "2026-11-07", "2026-11-27" },
	/* Wednesday 25 May 2022: 26, 27, 30, 31 May 1-4, 1 Jun 5, 2-3 Jun
	 * holidays, 6-10 Jun 6-10, 13-17 Jun 11-15. */
	{ "2022-05-25", "2022-06-17" },
};

static void
test_icpc_15_days(void **state)
{
	long sd, due;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(dues); i++) {
		sd = day(dues[i].sd);
		due = workdays_icpc_due(&ew, sd);
		if (due != day(dues[i].due)) {
			char got[WORKDAYS_DATE_MAX];

			workdays_format(due, got, sizeof(got));
			fail_msg("strategy discussion %s: due %s, want %s",
			    dues[i].sd, got, dues[i].due);
		}
		/* On the due date: exactly 15, in time; the next working day
		 * is 16, late. */
		assert_int_equal(workdays_between(&ew, sd, due), 15);
		assert_int_equal(workdays_between(&ew, sd,
		    workdays_add(&ew, due, 1)), 16);
	}
	assert_int_equal(workdays_add(&ew, day("2026-11-07"), 0),
	    day("2026-11-07"));
}

/* The closed form against a day-by-day walk. */
static void
test_against_walk(void **state)
{
	long from, to, d, n, start = day("2014-12-01"), end = day("2031-01-31");

	(void)state;
	for (from = start; from < end; from += 37) {
		for (to = from; to < from + 400 && to < end; to += 13) {
			n = 0;
			for (d = from + 1; d <= to; d++)
				n += workdays_weekday(d) <= 5 &&
				    !workdays_is_holiday(&ew, d);
			assert_int_equal(workdays_between(&ew, from, to), n);
			assert_int_equal(workdays_between(&ew, to, from), -n);
		}
	}
}

static void
test_builtin(void **state)
{
	int per_year[2031 - 2015] = { 0 };
	const char *name;
	size_t i;
	long d;
	int y, m, dd;

	(void)state;
	assert_int_equal(workdays_builtin_count(), 131);
	assert_int_equal(ew.n, 131);
	for (i = 0; i < workdays_builtin_count(); i++) {
		d = workdays_builtin_day(i, &name);
		assert_non_null(name);
		/* Every bank holiday falls on a weekday. */
		assert_true(workdays_weekday(d) <= 5);
		if (i > 0)
			assert_true(d > workdays_builtin_day(i - 1, NULL));
		workdays_to_civil(d, &y, &m, &dd);
		assert_true(y >= 2015 && y <= 2030);
		per_year[y - 2015]++;
	}
	for (y = 2015; y <= 2030; y++)
		assert_int_equal(per_year[y - 2015],
		    y == 2022 ? 10 : y == 2023 ? 9 : 8);
	/* The one-off changes. */
	assert_true(workdays_is_holiday(&ew, day("2020-05-08")));
	assert_false(workdays_is_holiday(&ew, day("2020-05-04")));
	assert_true(workdays_is_holiday(&ew, day("2022-06-02")));
	assert_true(workdays_is_holiday(&ew, day("2022-06-03")));
	assert_false(workdays_is_holiday(&ew, day("2022-05-30")));
	assert_true(workdays_is_holiday(&ew, day("2022-09-19")));
	assert_true(workdays_is_holiday(&ew, day("2023-05-08")));
	assert_true(workdays_is_holiday(&ew, day("2023-05-01")));
	/* Substitute days. */
	assert_true(workdays_is_holiday(&ew, day("2015-12-28")));
	assert_true(workdays_is_holiday(&ew, day("2016-12-27")));
	assert_true(workdays_is_holiday(&ew, day("2017-01-02")));
	assert_true(workdays_is_holiday(&ew, day("2021-12-27")));
	assert_true(workdays_is_holiday(&ew, day("2021-12-28")));
	assert_true(workdays_is_holiday(&ew, day("2022-01-03")));
	assert_true(workdays_is_holiday(&ew, day("2027-12-27")));
	assert_true(workdays_is_holiday(&ew, day("2027-12-28")));
	assert_true(workdays_is_holiday(&ew, day("2028-01-03")));
	/* Easter Mondays from the computus, by hand. */
	assert_true(workdays_is_holiday(&ew, day("2019-04-22")));
	assert_true(workdays_is_holiday(&ew, day("2027-03-29")));
	assert_true(workdays_is_holiday(&ew, day("2030-04-22")));
}

static void
test_add_holiday(void **state)
{
	struct workdays w;

	(void)state;
	workdays_init(&w);
	assert_int_equal(workdays_add_holiday(&w, day("2026-06-10")), 0);
	assert_int_equal(workdays_add_holiday(&w, day("2026-06-08")), 0);
	assert_int_equal(workdays_add_holiday(&w, day("2026-06-10")), 0);
	assert_int_equal(w.n, 2);
	assert_true(w.days[0] < w.days[1]);
	/* Mon 8 and Wed 10 off: Tue 9 and Thu 11. */
	assert_int_equal(workdays_between(&w, day("2026-06-05"),
	    day("2026-06-11")), 2);
}

/* The SQL migration must list exactly the built-in holidays. */
static void
test_matches_sql(void **state)
{
	char path[1024], line[512], date[WORKDAYS_DATE_MAX];
	size_t n = 0;
	const char *p;
	FILE *f;
	long d;

	(void)state;
	snprintf(path, sizeof(path), "%s/sql/005_statistics.sql",
	    CONVENE_SOURCE_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		/* Rows of the bank holiday INSERT: "\t('2015-01-01', '...')". */
		if (strncmp(line, "\t('", 3) != 0 || strlen(line) < 14 ||
		    line[13] != '\'')
			continue;
		p = line + 3;
		memcpy(date, p, 10);
		date[10] = '\0';
		assert_int_equal(workdays_parse_date(date, &d), 0);
		assert_true(n < workdays_builtin_count());
		if (d != workdays_builtin_day(n, NULL))
			fail_msg("sql row %zu is %s, not the built-in day", n,
			    date);
		n++;
	}
	fclose(f);
	assert_int_equal(n, workdays_builtin_count());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_weekends_only),
		cmocka_unit_test(test_icpc_15_days),
		cmocka_unit_test(test_against_walk),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_add_holiday),
		cmocka_unit_test(test_matches_sql),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
