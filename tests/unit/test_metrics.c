/*
 * Unit tests for server/metrics.c: request counting and the Prometheus text
 * it renders. Exact counts from concurrent threads (the counters are
 * lock-free atomics), buckets and sums, routes matched by pointer or by
 * text, unknown routes as "(unmatched)", and a full series table that
 * counts what it could not record instead of failing. The HTTP side (who
 * may read /metrics, database figures) is tests/integration/test_metrics.py.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"
#include "router.h"

static const char *first_get;	/* pattern pointer of the first GET route */

static void
find_get(const struct route *r, void *arg)
{
	(void)arg;
	if (first_get == NULL && strcmp(r->method, "GET") == 0)
		first_get = r->pattern;
}

/* The rendered text (caller frees). */
static char *
render(void)
{
	struct buf b;
	char *s;
	size_t n;

	buf_init(&b, 8 * 1024 * 1024);
	assert_int_equal(metrics_render_http(&b), 0);
	assert_non_null(s = buf_steal(&b, &n));
	return s;
}

/* The value of the line that starts with series (followed by a space). */
static long long
sample(const char *text, const char *series)
{
	const char *p = text;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static void
test_counts_buckets_and_sums(void **state)
{
	char series[512], *t;

	(void)state;
	router_each(find_get, NULL);
	assert_non_null(first_get);
	metrics_request("GET", first_get, 200, 3.0);
	metrics_request("GET", first_get, 200, 3.0);
	metrics_request("GET", first_get, 200, 5.0);	/* le="0.005" exactly */
	metrics_request("GET", first_get, 503, 7000.0);	/* between 5 and 10 s */
	metrics_request("GET", first_get, 404, 60000.0);	/* past 10 s */
	t = render();
	snprintf(series, sizeof(series), "convene_http_requests_total{route="
	    "\"%s\",method=\"GET\",status=\"200\"}", first_get);
	assert_int_equal(sample(t, series), 3);
	snprintf(series, sizeof(series), "convene_http_requests_total{route="
	    "\"%s\",method=\"GET\",status=\"503\"}", first_get);
	assert_int_equal(sample(t, series), 1);
#define B(le, want) do { \
	snprintf(series, sizeof(series), "convene_http_request_duration_" \
	    "seconds_bucket{route=\"%s\",method=\"GET\",le=\"%s\"}", \
	    first_get, le); \
	assert_int_equal(sample(t, series), want); \
} while (0)
	B("0.001", -1);		/* no such bucket */
	B("0.005", 3);
	B("0.01", 3);
	B("5", 3);
	B("10", 4);
	B("+Inf", 5);
#undef B
	snprintf(series, sizeof(series), "convene_http_request_duration_"
	    "seconds_count{route=\"%s\",method=\"GET\"}", first_get);
	assert_int_equal(sample(t, series), 5);
	snprintf(series, sizeof(series), "convene_http_request_duration_"
	    "seconds_sum{route=\"%s\",method=\"GET\"} 67.011000\n", first_get);
	assert_non_null(strstr(t, series));
	assert_non_null(strstr(t, "# TYPE convene_http_request_duration_seconds "
	    "histogram\n"));
	free(t);
}

static void
test_route_by_text_and_unmatched(void **state)
{
	char copy[256], series[512], *t;

	(void)state;
	router_each(find_get, NULL);
	/* The same pattern at another address counts on the same route. */
	snprintf(copy, sizeof(copy), "%s", first_get);
	assert_ptr_not_equal(copy, first_get);
	metrics_request("HEAD", copy, 200, 1.0);
	metrics_request("HEAD", first_get, 200, 1.0);
	/* Anything else is "(unmatched)", whatever it says. */
	metrics_request("BREW", "/a/raw/path/42", 404, 1.0);
	metrics_request(NULL, NULL, 405, 1.0);
	t = render();
	snprintf(series, sizeof(series), "convene_http_requests_total{route="
	    "\"%s\",method=\"HEAD\",status=\"200\"}", first_get);
	assert_int_equal(sample(t, series), 2);
	assert_int_equal(sample(t, "convene_http_requests_total{route="
	    "\"(unmatched)\",method=\"OTHER\",status=\"404\"}"), 1);
	assert_int_equal(sample(t, "convene_http_requests_total{route="
	    "\"(unmatched)\",method=\"OTHER\",status=\"405\"}"), 1);
	assert_null(strstr(t, "/a/raw/path"));
	assert_null(strstr(t, "BREW"));
	free(t);
}

#define THREADS		8
#define PER_THREAD	20000

static void *
hammer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < PER_THREAD; i++)
		metrics_request("PUT", first_get, 202, 0.5);
	return NULL;
}

static void
test_concurrent_counts_are_exact(void **state)
{
	pthread_t th[THREADS];
	char series[512], *t;
	int i;

	(void)state;
	router_each(find_get, NULL);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, NULL), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	t = render();
	snprintf(series, sizeof(series), "convene_http_requests_total{route="
	    "\"%s\",method=\"PUT\",status=\"202\"}", first_get);
	assert_int_equal(sample(t, series), THREADS * PER_THREAD);
	snprintf(series, sizeof(series), "convene_http_request_duration_"
	    "seconds_sum{route=\"%s\",method=\"PUT\"} 80.000000\n", first_get);
	assert_non_null(strstr(t, series));
	free(t);
}

/* Last: fills the table for good. */
static void
test_full_table_counts_unrecorded(void **state)
{
	char *t;
	int s, m;
	static const char *const ms[] = { "GET", "POST", "PUT", "PATCH" };

	(void)state;
	assert_int_equal(sample(t = render(),
	    "convene_http_requests_unrecorded_total"), 0);
	free(t);
	/* 4,000 distinct series for 2,048 slots. */
	for (m = 0; m < 4; m++)
		for (s = 0; s < 1000; s++)
			metrics_request(ms[m], first_get, s, 1.0);
	t = render();
	assert_true(sample(t, "convene_http_requests_unrecorded_total") >=
	    4000 - METRICS_SLOTS);
	/* What was recorded before is still there (plus this loop's one). */
	assert_non_null(strstr(t, "method=\"PUT\",status=\"202\"} 160001\n"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_buckets_and_sums),
		cmocka_unit_test(test_route_by_text_and_unmatched),
		cmocka_unit_test(test_concurrent_counts_are_exact),
		cmocka_unit_test(test_full_table_counts_unrecorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
