/*
 * Unit tests for rota_overlap, the rule that one contact of an
 * organisation is on duty at a time: windows that touch end to start do
 * not overlap, any shared second does, in any order; the pair reported is
 * the first found, lower index first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "rota.h"

#define H	3600

static void
test_back_to_back_windows_do_not_overlap(void **state)
{
	const struct rota_entry r[] = {
		{ 1, 0, 8 * H }, { 2, 8 * H, 20 * H }, { 3, 20 * H, 32 * H }
	};
	size_t a = 99, b = 99;

	(void)state;
	assert_int_equal(rota_overlap(r, 3, &a, &b), 0);
	assert_int_equal(a, 99);	/* untouched without an overlap */
	assert_int_equal(rota_overlap(r, 0, &a, &b), 0);
}

static void
test_one_shared_second_overlaps(void **state)
{
	const struct rota_entry r[] = {
		{ 1, 0, 8 * H }, { 2, 8 * H - 1, 20 * H }
	};
	size_t a, b;

	(void)state;
	assert_int_equal(rota_overlap(r, 2, &a, &b), -1);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
}

static void
test_order_does_not_matter(void **state)
{
	const struct rota_entry r[] = {
		{ 1, 20 * H, 32 * H }, { 2, 0, 8 * H }, { 3, 4 * H, 6 * H }
	};
	size_t a, b;

	(void)state;
	assert_int_equal(rota_overlap(r, 3, &a, &b), -1);
	assert_int_equal(a, 1);		/* the later entry inside it */
	assert_int_equal(b, 2);
}

static void
test_same_window_twice_overlaps(void **state)
{
	const struct rota_entry r[] = { { 1, 0, H }, { 1, 0, H } };
	size_t a, b;

	(void)state;
	assert_int_equal(rota_overlap(r, 2, &a, &b), -1);
	assert_int_equal(b, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_back_to_back_windows_do_not_overlap),
		cmocka_unit_test(test_one_shared_second_overlaps),
		cmocka_unit_test(test_order_does_not_matter),
		cmocka_unit_test(test_same_window_twice_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
