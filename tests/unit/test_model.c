/*
 * Unit tests for the typed model's views and the vocabulary: the audit
 * allow-list (a field added to the view stays out of the audit snapshot
 * until it is listed), the shape of the API view, and that every list of
 * the vocabulary has unique codes and words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "vocab.h"

/* A discussion built by hand, with a child's name and free text that must
 * never reach the audit log. */
static void
fill(struct discussion *d, struct record *r)
{
	memset(d, 0, sizeof(*d));
	memset(r, 0, sizeof(*r));
	d->id = 7;
	d->uid = (char *)"abc@convene";
	d->case_ref = (char *)"SC-1";
	d->kind = (char *)"meeting";
	d->reason = (char *)"Amelia Zebedee-Quint was hurt at 12 Acacia Avenue";
	d->location = (char *)"12 Acacia Avenue";
	d->status = (char *)"held";
	d->format = (char *)"video";
	d->nchildren = 1;
	d->children[0].id = 41;
	d->children[0].name = (char *)"Amelia Zebedee-Quint";
	snprintf(d->children[0].date_of_birth, MODEL_DATE_LEN, "2019-02-03");
	d->children[0].legal_status = (char *)"child_in_need";
	d->nparticipants = 1;
	d->participants[0].id = 3;
	d->participants[0].name = (char *)"DC Hale";
	d->participants[0].agency = (char *)"police";
	d->participants[0].attendance = (char *)"attended";
	d->ndecisions = 1;
	d->decisions[0].child_id = 41;
	d->decisions[0].decision = (char *)"s47_joint";
	d->decisions[0].rationale = (char *)"Amelia said her stepfather hit her";
	d->decisions[0].seen_alone = 1;
	r->status = (char *)"draft";
	r->version = 1;
	r->nconcerns = 1;
	r->concerns[0] = (char *)"physical_abuse";
	r->safety_plan = (char *)"Amelia stays with her aunt";
	r->ninfo = 1;
	r->info[0].agency = (char *)"police";
	r->info[0].information = (char *)"Amelia is known to police";
	r->info[0].checks = (char *)"complete";
	r->info[0].received = (char *)"at_meeting";
	d->record = r;
}

static void
test_audit_has_no_names_or_free_text(void **state)
{
	struct discussion d;
	struct record r;
	json_t *a;
	char *s;

	(void)state;
	fill(&d, &r);
	a = model_audit_view(&d);
	assert_non_null(a);
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(s);
	assert_null(strstr(s, "Amelia"));
	assert_null(strstr(s, "Zebedee"));
	assert_null(strstr(s, "Acacia"));
	assert_null(strstr(s, "2019-02-03"));
	assert_null(strstr(s, "stepfather"));
	/* ... while the codes and flags are there, keyed by child id. */
	assert_non_null(strstr(s, "\"41\":{\"decision\":\"s47_joint\""));
	assert_non_null(strstr(s, "\"legal_status\":\"child_in_need\""));
	assert_non_null(strstr(s, "\"concerns\":[\"physical_abuse\"]"));
	assert_non_null(strstr(s, "\"attendance\":\"attended\""));
	free(s);
	json_decref(a);
}

/* What happens when a developer adds a field to the model and its JSON
 * view: the audit projection drops it until the allow-list names it. */
static void
test_new_field_needs_allowing(void **state)
{
	static const char *allow_more[64];
	struct discussion d;
	struct record r;
	json_t *view, *a, *child;
	size_t n;

	(void)state;
	fill(&d, &r);
	view = model_discussion_json(&d);
	assert_non_null(view);
	child = json_array_get(json_object_get(view, "children"), 0);
	json_object_set_new(child, "school", json_string("Hillside Primary"));
	json_object_set_new(view, "home_address", json_string("12 Acacia"));
	a = model_audit_project(view, model_audit_allow);
	assert_null(json_object_get(a, "home_address"));
	assert_null(json_object_get(json_object_get(json_object_get(a,
	    "children"), "41"), "school"));
	json_decref(a);

	for (n = 0; model_audit_allow[n] != NULL && n < 60; n++)
		allow_more[n] = model_audit_allow[n];
	allow_more[n++] = "children[id].school";
	allow_more[n] = NULL;
	a = model_audit_project(view, allow_more);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(a, "children"), "41"), "school")),
	    "Hillside Primary");
	assert_null(json_object_get(a, "home_address"));
	json_decref(a);
	json_decref(view);
}

static void
test_api_view(void **state)
{
	struct discussion d;
	struct record r;
	json_t *v, *rec;

	(void)state;
	fill(&d, &r);
	v = model_discussion_json(&d);
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_object_get(v, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(v, "children"), 0), "id")), 41);
	rec = json_object_get(v, "record");
	assert_true(json_is_object(rec));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(rec, "children"), 0), "decision")), "s47_joint");
	assert_true(json_is_true(json_object_get(json_array_get(
	    json_object_get(rec, "children"), 0), "seen_alone")));
	assert_true(json_is_object(json_object_get(rec, "analysis")));
	/* The decisions also keep their pre-record shape. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(v, "outcomes"), 0), "child")),
	    "Amelia Zebedee-Quint");
	json_decref(v);
	d.record = NULL;
	v = model_discussion_json(&d);
	assert_true(json_is_null(json_object_get(v, "record")));
	json_decref(v);
}

static void
test_vocabulary_is_consistent(void **state)
{
	const struct vocab_term *t;
	const char *const *codes;
	size_t n, i, j;
	int l;

	(void)state;
	for (l = 0; l < VOCAB_NLISTS; l++) {
		t = vocab_terms((enum vocab_list)l, &n);
		assert_true(n > 0);
		assert_int_equal(vocab_by_name(vocab_name((enum vocab_list)l)),
		    l);
		codes = vocab_codes((enum vocab_list)l);
		for (i = 0; i < n; i++) {
			assert_string_equal(codes[i], t[i].code);
			assert_true(t[i].words[0] != '\0');
			for (j = 0; j < i; j++) {
				assert_string_not_equal(t[i].code, t[j].code);
				assert_string_not_equal(t[i].words, t[j].words);
			}
		}
		assert_null(codes[n]);
	}
	assert_int_equal(vocab_has(VOCAB_CONCERN, "online_harm"), 1);
	assert_int_equal(vocab_has(VOCAB_CONCERN, "nope"), 0);
	assert_string_equal(vocab_words(VOCAB_DECISION,
	    "no_s47_further_assessment"),
	    "Section 47 threshold not met: continue assessment (section 17)");
	assert_string_equal(vocab_words(VOCAB_DECISION, "no_further_action"),
	    "No further action by children's social care");
	assert_int_equal(vocab_by_name("no such list"), -1);
}

static void
test_child_label(void **state)
{
	struct child c;
	char buf[64];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.unborn = 1;
	snprintf(c.expected_date, sizeof(c.expected_date), "2027-03-01");
	assert_string_equal(model_child_label(&c, buf, sizeof(buf)),
	    "Unborn baby (expected 2027-03-01)");
	c.name = (char *)"Ava";
	assert_string_equal(model_child_label(&c, buf, sizeof(buf)), "Ava");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_has_no_names_or_free_text),
		cmocka_unit_test(test_new_field_needs_allowing),
		cmocka_unit_test(test_api_view),
		cmocka_unit_test(test_vocabulary_is_consistent),
		cmocka_unit_test(test_child_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
