/*
 * Unit tests for the web layer's helpers: times as people type them, form
 * fields trimmed and cut only at whole characters (so an over-long value is
 * still seen as over-long), GOV.UK date inputs with their error messages and
 * links, and the words shown for codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"
#include "http.h"
#include "ltime.h"
#include "str.h"
#include "web.h"

static void
test_parse_time(void **state)
{
	static const struct {
		const char	*in;
		int		 h, mi;
	} ok[] = {
		{ "14:30", 14, 30 }, { "9:05", 9, 5 }, { "09.15", 9, 15 },
		{ "2pm", 14, 0 }, { "2:30 PM", 14, 30 }, { "12am", 0, 0 },
		{ "12pm", 12, 0 }, { "noon", 12, 0 }, { "Midday", 12, 0 },
		{ "midnight", 0, 0 }, { "1430", 14, 30 }, { " 7:00 ", 7, 0 },
	};
	static const char *const bad[] = { "", "25:00", "14:60", "14", "13pm",
		"0am", "2:3", "ab:cd", "14:30:00", "-1:00", "1:000", "2 p m x",
		"123:00" };
	size_t i;
	int h, mi;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		h = mi = -1;
		if (web_parse_time(ok[i].in, &h, &mi) != 0)
			fail_msg("\"%s\" refused", ok[i].in);
		assert_int_equal(h, ok[i].h);
		assert_int_equal(mi, ok[i].mi);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (web_parse_time(bad[i], &h, &mi) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
}

/* A request whose form is body (urlencoded). */
static void
req_with(struct http_req *rq, const char *body)
{
	memset(rq, 0, sizeof(*rq));
	assert_int_equal(form_parse(&rq->form, body, strlen(body)), 0);
}

static void
test_field_trim_and_cut(void **state)
{
	struct http_req rq;
	char out[9];

	(void)state;
	req_with(&rq, "a=++hello+world++&b=%E2%82%AC%E2%82%AC%E2%82%AC&c=");
	assert_string_equal(web_field(&rq, "a", out, sizeof(out)), "hello wo");
	/* Three euro signs are 9 bytes: the third does not fit and is
	 * dropped whole rather than cut in half. */
	assert_string_equal(web_field(&rq, "b", out, sizeof(out)),
	    "\xe2\x82\xac\xe2\x82\xac");
	assert_true(str_utf8_valid(out, strlen(out)));
	assert_string_equal(web_field(&rq, "c", out, sizeof(out)), "");
	assert_string_equal(web_field(&rq, "missing", out, sizeof(out)), "");
	form_free(&rq.form);
}

static void
test_field_buffers_show_overlong(void **state)
{
	struct web_errors we;
	struct http_req rq;
	char out[WEB_BUF(3)], body[256];

	(void)state;
	/* Four 4-byte characters where three are allowed: still four. */
	snprintf(body, sizeof(body), "x=%s", "%F0%9F%98%80%F0%9F%98%80"
	    "%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80");
	req_with(&rq, body);
	web_field(&rq, "x", out, sizeof(out));
	assert_true(str_utf8_len(out) > 3);
	web_errors_init(&we);
	assert_int_equal(web_check_text(&we, "x", out, 1, 3, 0, "the name"),
	    -1);
	assert_true(web_errors_any(&we));
	web_errors_free(&we);
	form_free(&rq.form);
}

static void
test_dates(void **state)
{
	struct web_errors we;
	struct http_req rq;
	char out[11];
	json_t *e;
	time_t t;

	(void)state;
	req_with(&rq, "d-day=29&d-month=2&d-year=2028&"
	    "x-day=30&x-month=2&x-year=2027&"
	    "y-day=1&y-month=&y-year=2027&"
	    "w-day=29&w-month=3&w-year=2026&w-time=1:30");
	web_errors_init(&we);
	assert_int_equal(web_date(&rq, &we, "d", 1, "the date", out), 0);
	assert_string_equal(out, "2028-02-29");
	assert_int_equal(web_date(&rq, &we, "none", 0, "the date", out), 0);
	assert_string_equal(out, "");
	assert_int_equal(web_date(&rq, &we, "none", 1, "the date", out), -1);
	assert_int_equal(web_date(&rq, &we, "x", 1, "the date", out), -1);
	assert_int_equal(web_date(&rq, &we, "y", 1, "the date", out), -1);
	/* 01:30 on the last Sunday of March does not exist in London. */
	assert_int_equal(web_datetime(&rq, &we, "w", "the meeting", &t), -1);
	e = we.by_key;
	assert_string_equal(json_string_value(json_object_get(e, "none")),
	    "Enter the date");
	assert_string_equal(json_string_value(json_object_get(e, "x")),
	    "The date must be a real date");
	assert_string_equal(json_string_value(json_object_get(e, "y")),
	    "The date must include a month");
	assert_non_null(strstr(json_string_value(json_object_get(e, "w-time")),
	    "clocks go forward"));
	/* The summary links to the part that needs fixing. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    we.list, 2), "href")), "#y-month");
	web_errors_free(&we);
	form_free(&rq.form);
}

static void
test_words(void **state)
{
	char out[128];
	json_t *a = json_pack("[s,s,s]", "police", "health", "education");

	(void)state;
	web_agency_set(0, "police", "Police");
	web_agency_set(1, "health", "Health");
	web_agency_set(2, "education", "Education");
	web_agency_list(a, out, sizeof(out));
	assert_string_equal(out, "Police, Health and Education");
	json_decref(a);
	web_day("2026-03-07", out, sizeof(out));
	assert_string_equal(out, "7 March 2026");
	assert_string_equal(web_class_name("single_agency"), "Single agency");
	assert_string_equal(web_attendance_name("contributed"),
	    "Sent information");
	assert_string_equal(web_attendance_name(NULL), "Not recorded");
	assert_string_equal(web_agency_name("unknown_code"), "unknown_code");
}

static int
setup(void **state)
{
	(void)state;
	return ltime_init();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_field_trim_and_cut),
		cmocka_unit_test(test_field_buffers_show_overlong),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
