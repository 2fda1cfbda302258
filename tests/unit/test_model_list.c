/*
 * Unit tests for the list's API view: the exact JSON GET /api/v1/meetings
 * answered when PostgreSQL built it with json_agg (keys, their order, null
 * for an absent classification or missing list), so clients see no change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_list.h"

static void
fill(struct discussion_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->id = 12;
	s->uid = (char *)"u-12@convene";
	s->case_ref = (char *)"SC-12";
	s->team = (char *)"Team A";
	s->kind = (char *)"meeting";
	s->format = (char *)"video";
	snprintf(s->starts_at, sizeof(s->starts_at),
	    "2026-12-05T10:00:00+00:00");
	snprintf(s->ends_at, sizeof(s->ends_at), "2026-12-05T11:00:00+00:00");
	s->status = (char *)"scheduled";
	s->planned_classification = (char *)"partial";
	s->missing_known = 1;
	s->missing.n = 2;
	s->missing.codes[0] = (char *)"police";
	s->missing.codes[1] = (char *)"health";
	s->sequence = 3;
}

/* The view dumped as the API sends it. */
static char *
dump(json_t *o)
{
	char *s;

	assert_non_null(o);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static void
test_summary_as_json_agg_wrote_it(void **state)
{
	struct discussion_summary s;
	char *j;

	(void)state;
	fill(&s);
	j = dump(model_summary_json(&s));
	assert_string_equal(j, "{\"id\":12,\"uid\":\"u-12@convene\","
	    "\"case_ref\":\"SC-12\",\"team\":\"Team A\",\"kind\":\"meeting\","
	    "\"format\":\"video\",\"starts_at\":\"2026-12-05T10:00:00+00:00\","
	    "\"ends_at\":\"2026-12-05T11:00:00+00:00\","
	    "\"status\":\"scheduled\",\"planned_classification\":\"partial\",\"classification\":null,"
	    "\"missing_agencies\":[\"police\",\"health\"],\"sequence\":3}");
	free(j);
}

static void
test_missing_null_and_empty(void **state)
{
	struct discussion_summary s;
	char *j;

	(void)state;
	fill(&s);
	s.status = (char *)"held";
	s.classification = (char *)"multi_agency";
	s.missing.n = 0;
	j = dump(model_summary_json(&s));
	assert_non_null(strstr(j, "\"classification\":\"multi_agency\","
	    "\"missing_agencies\":[],"));
	free(j);
	s.missing_known = 0;
	j = dump(model_summary_json(&s));
	assert_non_null(strstr(j, "\"missing_agencies\":null,"));
	free(j);
}

static void
test_list_envelope(void **state)
{
	struct discussion_summary items[2];
	struct discussion_list l;
	char *j;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.total = 7;
	l.page = 4;
	l.per_page = 2;
	j = dump(model_list_json(&l));
	assert_string_equal(j, "{\"meetings\":[],\"total\":7,\"page\":4,"
	    "\"per_page\":2}");
	free(j);
	fill(&items[0]);
	fill(&items[1]);
	items[1].id = 11;
	l.items = items;
	l.n = 2;
	j = dump(model_list_json(&l));
	assert_non_null(strstr(j, "{\"meetings\":[{\"id\":12,"));
	assert_non_null(strstr(j, "},{\"id\":11,"));
	assert_non_null(strstr(j, "}],\"total\":7,\"page\":4,\"per_page\":2}"));
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_as_json_agg_wrote_it),
		cmocka_unit_test(test_missing_null_and_empty),
		cmocka_unit_test(test_list_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
