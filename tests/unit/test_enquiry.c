/*
 * Unit tests for enquiry_clock: the conference clock of a Section 47
 * enquiry. The strategy discussion is on Monday 7 December 2026; counting
 * by hand on a calendar, with Christmas Day (Friday 25) and Boxing Day's
 * substitute (Monday 28) not working days: Tue 8 is day 1, Fri 18 day 9,
 * Mon 21 day 10, Thu 24 day 13, Tue 29 day 14, Wed 30 day 15 (the last day
 * in time), Thu 31 day 16.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "enquiry.h"
#include "workdays.h"

static struct workdays ew;

static long
day(const char *s)
{
	long d = 0;

	if (workdays_parse_date(s, &d) != 0)
		fail_msg("bad date in test: %s", s);
	return d;
}

static void
expect(const char *today, int held, int not_required, const char *state,
    long n)
{
	struct enquiry_clock c;

	enquiry_clock(&ew, day("2026-12-07"), day(today), held, not_required,
	    &c);
	assert_string_equal(c.state, state);
	assert_int_equal(c.day, n);
	assert_int_equal(c.due, day("2026-12-30"));
}

static void
test_days_and_colours(void **state)
{
	(void)state;
	workdays_init_england_wales(&ew);
	expect("2026-12-07", 0, 0, "ok", 0);
	expect("2026-12-08", 0, 0, "ok", 1);
	expect("2026-12-12", 0, 0, "ok", 4);	/* a Saturday */
	expect("2026-12-18", 0, 0, "ok", 9);	/* "Day 9 of 15" */
	expect("2026-12-21", 0, 0, "amber", 10);
	expect("2026-12-23", 0, 0, "amber", 12);
	expect("2026-12-24", 0, 0, "red", 13);
	expect("2026-12-28", 0, 0, "red", 13);	/* bank holiday */
	expect("2026-12-30", 0, 0, "red", 15);	/* due: still in time */
	expect("2026-12-31", 0, 0, "overdue", 16);
}

static void
test_held_and_not_required_stop_the_colours(void **state)
{
	(void)state;
	workdays_init_england_wales(&ew);
	expect("2026-12-31", 1, 0, "held", 16);
	expect("2026-12-31", 0, 1, "not_required", 16);
	expect("2026-12-08", 1, 0, "held", 1);
}

static void
test_before_the_start_is_day_zero(void **state)
{
	(void)state;
	workdays_init_england_wales(&ew);
	expect("2026-12-01", 0, 0, "ok", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_and_colours),
		cmocka_unit_test(test_held_and_not_required_stop_the_colours),
		cmocka_unit_test(test_before_the_start_is_day_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
