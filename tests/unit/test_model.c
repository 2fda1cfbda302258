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
#include "str.h"

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
	d->children[0].sex = (char *)"female";
	d->children[0].ethnicity = (char *)"Zebedee ethnicity";
	d->children[0].disability = (char *)"Zebedee disability";
	d->children[0].person_id = (char *)"MOSAIC-77123";
	d->nchildren = 2;
	d->children[1].id = 42;
	d->children[1].unborn = 1;
	snprintf(d->children[1].expected_date, MODEL_DATE_LEN, "2027-05-06");
	d->nparticipants = 1;
	d->participants[0].id = 3;
	d->participants[0].name = (char *)"DC Hale";
	d->participants[0].agency = (char *)"police";
	d->participants[0].attendance = (char *)"attended";
	d->participants[0].email = (char *)"dc.hale@police.example";
	d->participants[0].organisation = (char *)"Northumbria Police";
	d->participants[0].role = (char *)"Detective Constable";
	d->nactions = 1;
	d->actions[0].what = (char *)"Visit Amelia at school";
	d->actions[0].owner = (char *)"Sam Social";
	snprintf(d->actions[0].due, MODEL_DATE_LEN, "2026-12-09");
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
	r->ndissent = 1;
	r->dissent[0].agency = (char *)"health";
	r->dissent[0].about = (char *)"Amelia should be seen today";
	r->dissent[0].escalated = 1;
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
	assert_null(strstr(s, "2027-05-06"));
	assert_null(strstr(s, "MOSAIC-77123"));
	assert_null(strstr(s, "stepfather"));
	assert_null(strstr(s, "DC Hale"));
	assert_null(strstr(s, "police.example"));
	/* Organisations, roles, the team and the case reference are not
	 * child data: kept. */
	assert_non_null(strstr(s, "\"case_ref\":\"SC-1\""));
	assert_non_null(strstr(s, "\"organisation\":\"Northumbria Police\""));
	assert_non_null(strstr(s, "\"role\":\"Detective Constable\""));
	/* ... while the codes and flags are there, keyed by child id. */
	assert_non_null(strstr(s, "\"41\":{\"decision\":\"s47_joint\""));
	assert_non_null(strstr(s, "\"legal_status\":\"child_in_need\""));
	assert_non_null(strstr(s, "\"concerns\":[\"physical_abuse\"]"));
	assert_non_null(strstr(s, "\"attendance\":\"attended\""));
	free(s);
	json_decref(a);
}

/* ---- every field of the view is decided: kept or dropped ------------------ */

#define PATH_MAX_LEN	160
#define PATHS_MAX	256

/* A list path in its normal form ("children[id].name" -> "children[].name")
 * into out; when key is not NULL, also the key field of the first keyed
 * array ("children[id].name" -> "children[].id"), "" when none. */
static void
normal_path(const char *path, char *out, size_t len, char *key, size_t klen)
{
	const char *p, *close;
	size_t o = 0;

	if (key != NULL)
		key[0] = '\0';
	for (p = path; *p != '\0' && o + 1 < len; p++) {
		out[o++] = *p;
		if (*p != '[' || (close = strchr(p, ']')) == NULL)
			continue;
		if (key != NULL && key[0] == '\0' && close > p + 1 &&
		    (size_t)(close - path) + 2 < klen && o + 1 < klen) {
			/* prefix "children[" + "]." + "id" */
			snprintf(key, klen, "%.*s].%.*s", (int)o, out,
			    (int)(close - p - 1), p + 1);
		}
		p = close - 1;
	}
	out[o] = '\0';
}

/* The decided paths, normalised: both lists and the key of each keyed
 * array (the key is kept: it is how the audit names the element). */
static size_t
decided_paths(char paths[][PATH_MAX_LEN], size_t max)
{
	const char *const *lists[2] = { model_audit_allow, model_audit_drop };
	char key[PATH_MAX_LEN];
	size_t n = 0, l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; lists[l][i] != NULL && n + 2 <= max; i++) {
			normal_path(lists[l][i], paths[n++], PATH_MAX_LEN, key,
			    sizeof(key));
			if (key[0] != '\0')
				snprintf(paths[n++], PATH_MAX_LEN, "%s", key);
		}
	return n;
}

static int
is_decided(const char *leaf, char paths[][PATH_MAX_LEN], size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		k = strlen(paths[i]);
		/* the field itself, or an object or array listed whole */
		if (strncmp(leaf, paths[i], k) == 0 &&
		    (leaf[k] == '\0' || leaf[k] == '.' || leaf[k] == '['))
			return 1;
	}
	return 0;
}

/* Every leaf of view (normalised paths) into leaves; returns how many. */
static size_t
leaves_of(json_t *v, const char *path, char leaves[][PATH_MAX_LEN],
    size_t n, size_t max)
{
	char sub[PATH_MAX_LEN];
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    path[0] ? "." : "", k);
			n = leaves_of(x, sub, leaves, n, max);
		}
		return n;
	}
	if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
		snprintf(sub, sizeof(sub), "%s[]", path);
		json_array_foreach(v, i, x)
			n = leaves_of(x, sub, leaves, n, max);
		return n;
	}
	for (i = 0; i < n; i++)
		if (strcmp(leaves[i], path) == 0)
			return n;
	if (n < max)
		snprintf(leaves[n++], PATH_MAX_LEN, "%s", path);
	return n;
}

/* How many fields of view are neither kept nor dropped; the first is
 * copied to first. */
static size_t
undecided(json_t *view, char *first, size_t len)
{
	static char paths[PATHS_MAX][PATH_MAX_LEN];
	static char leaves[PATHS_MAX][PATH_MAX_LEN];
	size_t np, nl, i, bad = 0;

	first[0] = '\0';
	np = decided_paths(paths, PATHS_MAX);
	nl = leaves_of(view, "", leaves, 0, PATHS_MAX);
	assert_true(nl < PATHS_MAX);
	for (i = 0; i < nl; i++)
		if (!is_decided(leaves[i], paths, np)) {
			if (bad++ == 0)
				str_copy(first, leaves[i], len);
		}
	return bad;
}

/*
 * The API view of a discussion with every list filled in has no field that
 * is neither kept nor dropped by the audit; each list names only fields the
 * view has (no stale entry), and no field is in both. This is the test that
 * fails when a field is added to the model's view without a decision.
 */
static void
test_every_view_field_is_decided(void **state)
{
	static char leaves[PATHS_MAX][PATH_MAX_LEN];
	struct discussion d;
	struct record r;
	char first[PATH_MAX_LEN], a[PATH_MAX_LEN], b[PATH_MAX_LEN];
	json_t *view;
	size_t i, j, nl, n;

	(void)state;
	fill(&d, &r);
	view = model_discussion_json(&d);
	assert_non_null(view);
	n = undecided(view, first, sizeof(first));
	if (n != 0)
		fail_msg("%zu field(s) of the discussion view are neither in "
		    "model_audit_allow nor in model_audit_drop (model.c), "
		    "first: %s", n, first);
	nl = leaves_of(view, "", leaves, 0, PATHS_MAX);
	for (j = 0; model_audit_allow[j] != NULL; j++) {
		normal_path(model_audit_allow[j], a, sizeof(a), NULL, 0);
		for (i = 0; model_audit_drop[i] != NULL; i++) {
			normal_path(model_audit_drop[i], b, sizeof(b), NULL, 0);
			if (strcmp(a, b) == 0)
				fail_msg("%s is both kept and dropped", a);
		}
	}
	for (j = 0; j < 2; j++) {
		const char *const *list = j == 0 ? model_audit_allow :
		    model_audit_drop;

		for (i = 0; list[i] != NULL; i++) {
			size_t k;

			normal_path(list[i], a, sizeof(a), NULL, 0);
			for (k = 0; k < nl; k++)
				if (strcmp(leaves[k], a) == 0)
					break;
			if (k == nl)
				fail_msg("%s is listed but the view has no such "
				    "field", list[i]);
		}
	}
	json_decref(view);
}

/* Child identity and addresses are dropped, on purpose and by name: they
 * are in the drop list, and nothing the allow-list keeps is one of them. */
static void
test_child_identity_is_dropped(void **state)
{
	static const char *const must_drop[] = { "children[id].name",
		"children[id].date_of_birth", "children[id].expected_date",
		"children[id].person_id", "children[id].ethnicity",
		"children[id].disability", "outcomes[child_id].child",
		"location", "reason", "participants[id].email", NULL };
	static const char *const never_kept[] = { "name", "date_of_birth",
		"expected_date", "person_id", "location", "address", "email",
		"child", "views", "rationale", NULL };
	const char *leaf;
	size_t i, j;
	int found;

	(void)state;
	for (i = 0; must_drop[i] != NULL; i++) {
		found = 0;
		for (j = 0; model_audit_drop[j] != NULL; j++)
			found |= strcmp(model_audit_drop[j], must_drop[i]) == 0;
		if (!found)
			fail_msg("%s must be in model_audit_drop", must_drop[i]);
	}
	for (j = 0; model_audit_allow[j] != NULL; j++) {
		leaf = strrchr(model_audit_allow[j], '.');
		leaf = leaf != NULL ? leaf + 1 : model_audit_allow[j];
		for (i = 0; never_kept[i] != NULL; i++)
			if (strcmp(leaf, never_kept[i]) == 0 ||
			    strstr(leaf, "address") != NULL)
				fail_msg("the audit keeps %s", model_audit_allow[j]);
	}
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
	/* The completeness test above catches both, naming one. */
	{
		char first[PATH_MAX_LEN];

		assert_int_equal(undecided(view, first, sizeof(first)), 2);
		assert_true(strcmp(first, "home_address") == 0 ||
		    strcmp(first, "children[].school") == 0);
	}
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

/* The history projects stored snapshots again: collections already keyed
 * by id must survive a second projection unchanged (they were dropped, so
 * a change of decision left no before/after in the history). */
static void
test_projection_is_idempotent(void **state)
{
	struct discussion d;
	struct record r;
	json_t *once, *twice;

	(void)state;
	fill(&d, &r);
	once = model_audit_view(&d);
	assert_non_null(once);
	twice = model_audit_project(once, model_audit_allow);
	assert_non_null(twice);
	assert_true(json_equal(once, twice));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(twice, "record"), "children"),
	    "41"), "decision")), "s47_joint");
	json_decref(once);
	json_decref(twice);
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
	/* The Section 47 list is a subset of the decisions, joint first. */
	t = vocab_terms(VOCAB_SECTION47, &n);
	for (i = 0; i < n; i++)
		assert_true(vocab_has(VOCAB_DECISION, t[i].code));
	assert_string_equal(t[0].code, "s47_joint");
	assert_int_equal(vocab_has(VOCAB_SECTION47, "s47_single_agency"), 1);
	assert_int_equal(vocab_has(VOCAB_SECTION47, "no_further_action"), 0);
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
		cmocka_unit_test(test_every_view_field_is_decided),
		cmocka_unit_test(test_child_identity_is_dropped),
		cmocka_unit_test(test_new_field_needs_allowing),
		cmocka_unit_test(test_projection_is_idempotent),
		cmocka_unit_test(test_api_view),
		cmocka_unit_test(test_vocabulary_is_consistent),
		cmocka_unit_test(test_child_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
