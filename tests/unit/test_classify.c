/*
 * Unit tests for classify. The rule decides how a strategy discussion is
 * reported, so it is checked three ways: every combination of the three
 * statutory agencies and a non-statutory one, each present, contributed or
 * not present (81 cases); every combination where each agency sends any mix
 * of people with those statuses, including nobody (4096 cases, in both
 * participant orders); and named cases a reviewer can read. The expectations
 * in the loops are written from the rule's wording, not from the module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define P	CLASSIFY_PRESENT
#define C	CLASSIFY_CONTRIBUTED
#define N	CLASSIFY_NOT_PRESENT

static const char *const statutory[] = { "social_care", "police", "health" };
#define NSTAT	NELEM(statutory)

/* Agencies in the loops: the three statutory ones, then education. */
static const char *const agencies[] = {
	"social_care", "police", "health", "education"
};
#define NAG	NELEM(agencies)

static const enum classify_presence statuses[] = { P, C, N };

struct expect {
	enum classify_class	 cls;
	size_t			 npresent;
	size_t			 nmissing;
	const char		*missing[NSTAT];
	size_t			 ncontributed;
	const char		*contributed[NSTAT];
};

/*
 * The rule in its own words, from per-agency facts: did anyone from the
 * agency attend, and did anyone send information.
 */
static void
expectation(const int attended[NAG], const int sent_info[NAG],
    struct expect *e)
{
	int	 social_care = attended[0], police = attended[1];
	int	 health = attended[2], education = attended[3];
	size_t	 i;

	memset(e, 0, sizeof(*e));
	e->npresent = (size_t)(social_care + police + health + education);
	if (e->npresent <= 1)
		e->cls = CLASSIFY_SINGLE_AGENCY;
	else if (social_care && police && health)
		e->cls = CLASSIFY_MULTI_AGENCY;
	else
		e->cls = CLASSIFY_PARTIAL;
	for (i = 0; i < NSTAT; i++) {
		if (attended[i])
			continue;
		e->missing[e->nmissing++] = statutory[i];
		if (sent_info[i])
			e->contributed[e->ncontributed++] = statutory[i];
	}
}

static void
check(const struct classify_participant *p, size_t np,
    const struct expect *e, const char *what)
{
	struct classify_result	 r;
	size_t			 i;

	memset(&r, 0xa5, sizeof(r));
	if (classify(p, np, statutory, NSTAT, &r) != 0)
		fail_msg("%s: classify failed", what);
	if (r.cls != e->cls)
		fail_msg("%s: got %s, expected %s", what, classify_name(r.cls),
		    classify_name(e->cls));
	if (r.npresent != e->npresent)
		fail_msg("%s: npresent %zu, expected %zu", what, r.npresent,
		    e->npresent);
	if (r.nmissing != e->nmissing)
		fail_msg("%s: nmissing %zu, expected %zu", what, r.nmissing,
		    e->nmissing);
	for (i = 0; i < e->nmissing; i++)
		if (r.missing[i] != e->missing[i])
			fail_msg("%s: missing[%zu] is %s, expected %s", what, i,
			    r.missing[i], e->missing[i]);
	if (r.ncontributed != e->ncontributed)
		fail_msg("%s: ncontributed %zu, expected %zu", what,
		    r.ncontributed, e->ncontributed);
	for (i = 0; i < e->ncontributed; i++)
		if (r.contributed[i] != e->contributed[i])
			fail_msg("%s: contributed[%zu] is %s, expected %s", what,
			    i, r.contributed[i], e->contributed[i]);
}

static void
describe(char *out, size_t outlen, const struct classify_participant *p,
    size_t np)
{
	static const char	*sname[] = { "P", "C", "N" };
	size_t			 i, off = 0;
	int			 n;

	out[0] = '\0';
	for (i = 0; i < np && off < outlen; i++) {
		n = snprintf(out + off, outlen - off, "%s%s=%s", i ? "," : "",
		    p[i].agency, sname[p[i].presence]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* One person per agency, each with one of the three statuses: 3^4 cases. */
static void
test_all_single_status_combinations(void **state)
{
	struct classify_participant	 p[NAG];
	struct expect			 e;
	int				 attended[NAG], sent[NAG];
	char				 what[256];
	size_t				 combo, a, ncombo = 1, seen = 0;
	size_t				 by_class[3] = { 0, 0, 0 };

	(void)state;
	for (a = 0; a < NAG; a++)
		ncombo *= NELEM(statuses);
	for (combo = 0; combo < ncombo; combo++) {
		size_t	 rest = combo;

		for (a = 0; a < NAG; a++) {
			p[a].agency = agencies[a];
			p[a].presence = statuses[rest % NELEM(statuses)];
			rest /= NELEM(statuses);
			attended[a] = p[a].presence == P;
			sent[a] = p[a].presence == C;
		}
		expectation(attended, sent, &e);
		describe(what, sizeof(what), p, NAG);
		check(p, NAG, &e, what);
		by_class[e.cls]++;
		seen++;
	}
	assert_int_equal(seen, 81);
	/* Multi: all three statutory present, education any of 3. */
	assert_int_equal(by_class[CLASSIFY_MULTI_AGENCY], 3);
	/* Single: zero present (2^4 = 16) or exactly one (4 * 2^3 = 32). */
	assert_int_equal(by_class[CLASSIFY_SINGLE_AGENCY], 48);
	assert_int_equal(by_class[CLASSIFY_PARTIAL], 81 - 3 - 48);
}

/*
 * Each agency sends any subset of {present, contributed, not present}
 * people (the empty subset: nobody from that agency is listed). 8^4 cases,
 * checked in listed order and reversed, so duplicates and order are covered.
 */
static void
test_all_mixed_combinations(void **state)
{
	struct classify_participant	 p[NAG * 3], rev[NAG * 3];
	struct expect			 e;
	int				 attended[NAG], sent[NAG];
	char				 what[512];
	size_t				 combo, a, s, np, i, seen = 0;

	(void)state;
	for (combo = 0; combo < 4096; combo++) {
		np = 0;
		for (a = 0; a < NAG; a++) {
			unsigned	 mask = (unsigned)(combo >> (3 * a)) & 7;

			attended[a] = (mask & 1) != 0;
			sent[a] = (mask & 2) != 0;
			for (s = 0; s < 3; s++) {
				if (!(mask & (1u << s)))
					continue;
				p[np].agency = agencies[a];
				p[np].presence = statuses[s];
				np++;
			}
		}
		for (i = 0; i < np; i++)
			rev[i] = p[np - 1 - i];
		expectation(attended, sent, &e);
		describe(what, sizeof(what), p, np);
		check(p, np, &e, what);
		check(rev, np, &e, what);
		seen++;
	}
	assert_int_equal(seen, 4096);
}

static void
run(const struct classify_participant *p, size_t np,
    struct classify_result *r)
{
	assert_int_equal(classify(p, np, statutory, NSTAT, r), 0);
}

static void
test_all_three_statutory_is_multi(void **state)
{
	const struct classify_participant p[] = {
		{ "social_care", P }, { "police", P }, { "health", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_MULTI_AGENCY);
	assert_int_equal(r.npresent, 3);
	assert_int_equal(r.nmissing, 0);
	assert_int_equal(r.ncontributed, 0);
}

static void
test_duplicates_count_once(void **state)
{
	/* Two police officers and three social workers are two agencies. */
	const struct classify_participant p[] = {
		{ "police", P }, { "social_care", P }, { "police", P },
		{ "social_care", P }, { "social_care", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_PARTIAL);
	assert_int_equal(r.npresent, 2);
	assert_int_equal(r.nmissing, 1);
	assert_string_equal(r.missing[0], "health");
	assert_int_equal(r.ncontributed, 0);
}

static void
test_many_from_one_agency_is_single(void **state)
{
	const struct classify_participant p[] = {
		{ "social_care", P }, { "social_care", P }, { "social_care", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.npresent, 1);
	assert_int_equal(r.nmissing, 2);
	assert_string_equal(r.missing[0], "police");
	assert_string_equal(r.missing[1], "health");
}

static void
test_contributed_reported_not_present(void **state)
{
	/* Health sent a report but nobody attended: partial, not multi. */
	const struct classify_participant p[] = {
		{ "social_care", P }, { "police", P }, { "health", C },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_PARTIAL);
	assert_int_equal(r.npresent, 2);
	assert_int_equal(r.nmissing, 1);
	assert_string_equal(r.missing[0], "health");
	assert_int_equal(r.ncontributed, 1);
	assert_string_equal(r.contributed[0], "health");
	/* Pointers into the caller's statutory list. */
	assert_ptr_equal(r.missing[0], statutory[2]);
	assert_ptr_equal(r.contributed[0], statutory[2]);
}

static void
test_present_beats_not_present_and_contributed(void **state)
{
	/* One GP sent apologies, a health visitor attended: health present. */
	const struct classify_participant p[] = {
		{ "health", N }, { "social_care", P }, { "health", C },
		{ "police", P }, { "health", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_MULTI_AGENCY);
	assert_int_equal(r.nmissing, 0);
	assert_int_equal(r.ncontributed, 0);
}

static void
test_contributed_alongside_apologies(void **state)
{
	const struct classify_participant p[] = {
		{ "social_care", P }, { "police", N }, { "police", C },
		{ "health", N },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.npresent, 1);
	assert_int_equal(r.nmissing, 2);
	assert_string_equal(r.missing[0], "police");
	assert_string_equal(r.missing[1], "health");
	assert_int_equal(r.ncontributed, 1);
	assert_string_equal(r.contributed[0], "police");
}

static void
test_zero_participants(void **state)
{
	struct classify_result	 r;

	(void)state;
	run(NULL, 0, &r);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.npresent, 0);
	assert_int_equal(r.nmissing, 3);
	assert_string_equal(r.missing[0], "social_care");
	assert_string_equal(r.missing[1], "police");
	assert_string_equal(r.missing[2], "health");
	assert_int_equal(r.ncontributed, 0);
}

static void
test_non_statutory_makes_partial(void **state)
{
	/* Social care and school: two agencies, police and health missing. */
	const struct classify_participant p[] = {
		{ "education", P }, { "social_care", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_PARTIAL);
	assert_int_equal(r.npresent, 2);
	assert_int_equal(r.nmissing, 2);
	assert_string_equal(r.missing[0], "police");
	assert_string_equal(r.missing[1], "health");
}

static void
test_non_statutory_contribution_not_listed(void **state)
{
	const struct classify_participant p[] = {
		{ "social_care", P }, { "police", P }, { "health", P },
		{ "education", C }, { "probation", C },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_MULTI_AGENCY);
	assert_int_equal(r.npresent, 3);
	assert_int_equal(r.ncontributed, 0);
}

static void
test_only_education(void **state)
{
	const struct classify_participant p[] = {
		{ "education", P }, { "education", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.npresent, 1);
	assert_int_equal(r.nmissing, 3);
}

static void
test_missing_in_statutory_order(void **state)
{
	/* Listed health-first; report follows the statutory list. */
	const char *const order[] = { "police", "health", "social_care" };
	const struct classify_participant p[] = {
		{ "health", N }, { "social_care", C }, { "education", P },
		{ "police", N },
	};
	struct classify_result	 r;

	(void)state;
	assert_int_equal(classify(p, NELEM(p), order, NELEM(order), &r), 0);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.nmissing, 3);
	assert_ptr_equal(r.missing[0], order[0]);
	assert_ptr_equal(r.missing[1], order[1]);
	assert_ptr_equal(r.missing[2], order[2]);
	assert_int_equal(r.ncontributed, 1);
	assert_ptr_equal(r.contributed[0], order[2]);
}

static void
test_codes_compare_exactly(void **state)
{
	const struct classify_participant p[] = {
		{ "social_care", P }, { "Police", P }, { "health", P },
	};
	struct classify_result	 r;

	(void)state;
	run(p, NELEM(p), &r);
	assert_int_equal(r.cls, CLASSIFY_PARTIAL);
	assert_int_equal(r.npresent, 3);
	assert_int_equal(r.nmissing, 1);
	assert_string_equal(r.missing[0], "police");
}

static void
test_no_statutory_agencies(void **state)
{
	const struct classify_participant two[] = {
		{ "education", P }, { "housing", P },
	};
	const struct classify_participant one[] = {
		{ "education", P }, { "housing", C },
	};
	struct classify_result	 r;

	(void)state;
	assert_int_equal(classify(two, NELEM(two), NULL, 0, &r), 0);
	assert_int_equal(r.cls, CLASSIFY_MULTI_AGENCY);
	assert_int_equal(r.nmissing, 0);
	assert_int_equal(classify(one, NELEM(one), NULL, 0, &r), 0);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(classify(NULL, 0, NULL, 0, &r), 0);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.npresent, 0);
}

static void
test_one_statutory_agency(void **state)
{
	const char *const only[] = { "social_care" };
	const struct classify_participant alone[] = {
		{ "social_care", P }, { "social_care", P },
	};
	const struct classify_participant with_school[] = {
		{ "social_care", P }, { "education", P },
	};
	const struct classify_participant without[] = {
		{ "police", P }, { "education", P },
	};
	struct classify_result	 r;

	(void)state;
	/* One agency on its own is never multi-agency. */
	assert_int_equal(classify(alone, NELEM(alone), only, 1, &r), 0);
	assert_int_equal(r.cls, CLASSIFY_SINGLE_AGENCY);
	assert_int_equal(r.nmissing, 0);
	assert_int_equal(classify(with_school, NELEM(with_school), only, 1,
	    &r), 0);
	assert_int_equal(r.cls, CLASSIFY_MULTI_AGENCY);
	assert_int_equal(classify(without, NELEM(without), only, 1, &r), 0);
	assert_int_equal(r.cls, CLASSIFY_PARTIAL);
	assert_int_equal(r.nmissing, 1);
}

static void
test_duplicate_statutory_codes(void **state)
{
	const char *const twice[] = { "police", "health", "police" };
	const struct classify_participant p[] = {
		{ "health", P }, { "education", P }, { "police", C },
	};
	struct classify_result	 r;

	(void)state;
	assert_int_equal(classify(p, NELEM(p), twice, NELEM(twice), &r), 0);
	assert_int_equal(r.cls, CLASSIFY_PARTIAL);
	assert_int_equal(r.nmissing, 1);
	assert_ptr_equal(r.missing[0], twice[0]);
	assert_int_equal(r.ncontributed, 1);
}

static void
test_agency_limit(void **state)
{
	static const char *const codes[CLASSIFY_MAX_AGENCIES + 1] = {
		"a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "a09",
		"a10", "a11", "a12", "a13", "a14", "a15", "a16", "a17",
	};
	struct classify_participant	 p[CLASSIFY_MAX_AGENCIES + 2];
	struct classify_result		 r;
	size_t				 i;

	(void)state;
	for (i = 0; i < CLASSIFY_MAX_AGENCIES; i++) {
		p[i].agency = codes[i];
		p[i].presence = i % 2 ? P : N;
	}
	/* Sixteen distinct agencies, plus a repeat: fine. */
	p[CLASSIFY_MAX_AGENCIES] = p[0];
	assert_int_equal(classify(p, CLASSIFY_MAX_AGENCIES + 1, NULL, 0, &r),
	    0);
	assert_int_equal(r.npresent, CLASSIFY_MAX_AGENCIES / 2);
	/* A seventeenth distinct one, even if not present: refused. */
	p[CLASSIFY_MAX_AGENCIES + 1].agency = codes[CLASSIFY_MAX_AGENCIES];
	p[CLASSIFY_MAX_AGENCIES + 1].presence = N;
	assert_int_equal(classify(p, CLASSIFY_MAX_AGENCIES + 2, NULL, 0, &r),
	    -1);
	/* A statutory list of 16 is fine, 17 is not. */
	assert_int_equal(classify(NULL, 0, codes, CLASSIFY_MAX_AGENCIES, &r),
	    0);
	assert_int_equal(r.nmissing, CLASSIFY_MAX_AGENCIES);
	assert_int_equal(classify(NULL, 0, codes, CLASSIFY_MAX_AGENCIES + 1,
	    &r), -1);
}

static void
test_bad_arguments(void **state)
{
	const struct classify_participant p[] = {
		{ "police", P }, { NULL, P },
	};
	const struct classify_participant bad_presence[] = {
		{ "police", (enum classify_presence)7 },
	};
	const char *const with_null[] = { "police", NULL };
	struct classify_result	 r, before;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	before = r;
	assert_int_equal(classify(p, 1, statutory, NSTAT, NULL), -1);
	assert_int_equal(classify(NULL, 1, statutory, NSTAT, &r), -1);
	assert_int_equal(classify(p, 1, NULL, 1, &r), -1);
	assert_int_equal(classify(p, 2, statutory, NSTAT, &r), -1);
	assert_int_equal(classify(p, 1, with_null, 2, &r), -1);
	assert_int_equal(classify(bad_presence, 1, statutory, NSTAT, &r), -1);
	/* The result is written only on success. */
	assert_memory_equal(&r, &before, sizeof(r));
}

static void
test_names(void **state)
{
	enum classify_class	 c;
	int			 i;

	(void)state;
	assert_string_equal(classify_name(CLASSIFY_MULTI_AGENCY),
	    "multi_agency");
	assert_string_equal(classify_name(CLASSIFY_PARTIAL), "partial");
	assert_string_equal(classify_name(CLASSIFY_SINGLE_AGENCY),
	    "single_agency");
	assert_string_equal(classify_name((enum classify_class)42), "unknown");
	for (i = CLASSIFY_MULTI_AGENCY; i <= CLASSIFY_SINGLE_AGENCY; i++) {
		assert_int_equal(classify_from_name(
		    classify_name((enum classify_class)i), &c), 0);
		assert_int_equal(c, i);
	}
	c = CLASSIFY_PARTIAL;
	assert_int_equal(classify_from_name("Multi_Agency", &c), -1);
	assert_int_equal(classify_from_name("multi", &c), -1);
	assert_int_equal(classify_from_name("", &c), -1);
	assert_int_equal(classify_from_name("unknown", &c), -1);
	assert_int_equal(classify_from_name(NULL, &c), -1);
	assert_int_equal(classify_from_name("partial", NULL), -1);
	assert_int_equal(c, CLASSIFY_PARTIAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_single_status_combinations),
		cmocka_unit_test(test_all_mixed_combinations),
		cmocka_unit_test(test_all_three_statutory_is_multi),
		cmocka_unit_test(test_duplicates_count_once),
		cmocka_unit_test(test_many_from_one_agency_is_single),
		cmocka_unit_test(test_contributed_reported_not_present),
		cmocka_unit_test(test_present_beats_not_present_and_contributed),
		cmocka_unit_test(test_contributed_alongside_apologies),
		cmocka_unit_test(test_zero_participants),
		cmocka_unit_test(test_non_statutory_makes_partial),
		cmocka_unit_test(test_non_statutory_contribution_not_listed),
		cmocka_unit_test(test_only_education),
		cmocka_unit_test(test_missing_in_statutory_order),
		cmocka_unit_test(test_codes_compare_exactly),
		cmocka_unit_test(test_no_statutory_agencies),
		cmocka_unit_test(test_one_statutory_agency),
		cmocka_unit_test(test_duplicate_statutory_codes),
		cmocka_unit_test(test_agency_limit),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
