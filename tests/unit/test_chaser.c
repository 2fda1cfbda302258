/*
 * Unit tests for the chaser's arithmetic: when a reminder and an escalation
 * fall due for a meeting booked well ahead and one booked the same day,
 * the boundary seconds, and the order (no escalation before a reminder,
 * nothing once the meeting has started or after an escalation). The
 * expectations are written from docs/chasers.md, not from the module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "chaser.h"

#define HOUR	3600
#define MIN	60
#define START	((time_t)1900000000)	/* a meeting's start */

static const struct chaser_thresholds defaults = {
	CHASER_REMINDER_HOURS_DEF, CHASER_ESCALATION_HOURS_DEF,
	CHASER_SAME_DAY_REMINDER_DEF, CHASER_SAME_DAY_ESCALATION_DEF
};

static void
test_defaults_are_the_issue_s(void **state)
{
	(void)state;
	assert_int_equal(CHASER_REMINDER_HOURS_DEF, 24);
	assert_int_equal(CHASER_ESCALATION_HOURS_DEF, 4);
	assert_int_equal(CHASER_SAME_DAY_REMINDER_DEF, 60);
	assert_int_equal(CHASER_SAME_DAY_ESCALATION_DEF, 30);
}

static void
test_booked_ahead_uses_hours(void **state)
{
	struct chaser_due d;

	(void)state;
	chaser_due_times(&defaults, START - 3 * 24 * HOUR, START, &d);
	assert_false(d.same_day);
	assert_int_equal(d.reminder_at, START - 24 * HOUR);
	assert_int_equal(d.escalation_at, START - 4 * HOUR);
}

static void
test_booked_exactly_reminder_hours_ahead_is_not_same_day(void **state)
{
	struct chaser_due d;

	(void)state;
	chaser_due_times(&defaults, START - 24 * HOUR, START, &d);
	assert_false(d.same_day);
	chaser_due_times(&defaults, START - 24 * HOUR + 1, START, &d);
	assert_true(d.same_day);
}

static void
test_same_day_uses_minutes(void **state)
{
	struct chaser_due d;

	(void)state;
	chaser_due_times(&defaults, START - 5 * HOUR, START, &d);
	assert_true(d.same_day);
	assert_int_equal(d.reminder_at, START - 60 * MIN);
	assert_int_equal(d.escalation_at, START - 30 * MIN);
}

static void
test_authority_thresholds(void **state)
{
	const struct chaser_thresholds t = { 48, 12, 90, 15 };
	struct chaser_due d;

	(void)state;
	chaser_due_times(&t, START - 72 * HOUR, START, &d);
	assert_int_equal(d.reminder_at, START - 48 * HOUR);
	assert_int_equal(d.escalation_at, START - 12 * HOUR);
	/* 30 hours ahead is inside 48: the same-day minutes apply */
	chaser_due_times(&t, START - 30 * HOUR, START, &d);
	assert_true(d.same_day);
	assert_int_equal(d.reminder_at, START - 90 * MIN);
	assert_int_equal(d.escalation_at, START - 15 * MIN);
}

static void
test_reminder_due_at_its_second(void **state)
{
	struct chaser_due d;

	(void)state;
	chaser_due_times(&defaults, START - 3 * 24 * HOUR, START, &d);
	assert_int_equal(chaser_next(&d, d.reminder_at - 1, START, 0, 0),
	    CHASER_NOTHING);
	assert_int_equal(chaser_next(&d, d.reminder_at, START, 0, 0),
	    CHASER_REMIND);
	/* sent: nothing more until the escalation */
	assert_int_equal(chaser_next(&d, d.reminder_at + 1, START, 1, 0),
	    CHASER_NOTHING);
	assert_int_equal(chaser_next(&d, d.escalation_at - 1, START, 1, 0),
	    CHASER_NOTHING);
	assert_int_equal(chaser_next(&d, d.escalation_at, START, 1, 0),
	    CHASER_ESCALATE);
}

static void
test_no_escalation_before_a_reminder(void **state)
{
	struct chaser_due d;

	(void)state;
	/* booked 10 minutes before: both are due at once; the reminder goes
	 * first, the escalation in a later scan */
	chaser_due_times(&defaults, START - 10 * MIN, START, &d);
	assert_int_equal(chaser_next(&d, START - 10 * MIN, START, 0, 0),
	    CHASER_REMIND);
	assert_int_equal(chaser_next(&d, START - 9 * MIN, START, 1, 0),
	    CHASER_ESCALATE);
}

static void
test_nothing_after_escalation_or_start(void **state)
{
	struct chaser_due d;

	(void)state;
	chaser_due_times(&defaults, START - 3 * 24 * HOUR, START, &d);
	assert_int_equal(chaser_next(&d, START - HOUR, START, 1, 1),
	    CHASER_NOTHING);
	assert_int_equal(chaser_next(&d, START, START, 0, 0),
	    CHASER_NOTHING);
	assert_int_equal(chaser_next(&d, START + HOUR, START, 1, 0),
	    CHASER_NOTHING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_the_issue_s),
		cmocka_unit_test(test_booked_ahead_uses_hours),
		cmocka_unit_test(
		    test_booked_exactly_reminder_hours_ahead_is_not_same_day),
		cmocka_unit_test(test_same_day_uses_minutes),
		cmocka_unit_test(test_authority_thresholds),
		cmocka_unit_test(test_reminder_due_at_its_second),
		cmocka_unit_test(test_no_escalation_before_a_reminder),
		cmocka_unit_test(test_nothing_after_escalation_or_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
