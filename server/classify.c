/*
 * classify: decides whether a strategy discussion was multi-agency, partial
 * or single-agency. This is the rule reviewers and inspectors ask about, so it
 * lives alone, with no I/O and no allocation, and is tested over every
 * combination of statutory agencies and attendance. An agency counts as there
 * when at least one of its people is present; several people from one agency
 * count once; sending information without attending (contributed) is
 * reported but is not presence.
 */
#include <stddef.h>
#include <string.h>

#include "classify.h"

struct agency {
	const char	*code;
	int		 present;
	int		 contributed;
};

static const char *const class_names[] = {
	[CLASSIFY_MULTI_AGENCY] = "multi_agency",
	[CLASSIFY_PARTIAL] = "partial",
	[CLASSIFY_SINGLE_AGENCY] = "single_agency",
};

#define NCLASS	(sizeof(class_names) / sizeof(class_names[0]))

static struct agency *
agency_find(struct agency *a, size_t n, const char *code)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i].code, code) == 0)
			return &a[i];
	return NULL;
}

/*
 * The class follows from two facts: how many distinct agencies were present,
 * and whether every statutory agency was among them.
 *
 *  - fewer than two agencies present: single_agency, whatever the list says.
 *    This also covers a statutory list of one agency attended by that agency
 *    alone: one agency talking to itself is not a multi-agency discussion.
 *  - two or more present and every statutory agency present: multi_agency.
 *    With an empty statutory list (nstat == 0) this is "any two agencies".
 *  - two or more present and a statutory agency missing: partial.
 *
 * For the usual list of two or more statutory agencies this is exactly
 * "multi = all statutory present; partial = two or more present but a
 * statutory one missing; single otherwise".
 *
 * Duplicate codes in the statutory list are counted once and reported once,
 * at their first position.
 */
int
classify(const struct classify_participant *p, size_t np,
    const char *const *statutory, size_t nstat,
    struct classify_result *out)
{
	struct agency		 seen[CLASSIFY_MAX_AGENCIES];
	struct classify_result	 r;
	struct agency		*a;
	size_t			 nseen = 0, i, j;
	int			 all_statutory = 1, dup;

	if (out == NULL || (p == NULL && np > 0) ||
	    (statutory == NULL && nstat > 0) || nstat > CLASSIFY_MAX_AGENCIES)
		return -1;
	for (i = 0; i < nstat; i++)
		if (statutory[i] == NULL)
			return -1;

	for (i = 0; i < np; i++) {
		if (p[i].agency == NULL)
			return -1;
		if (p[i].presence != CLASSIFY_PRESENT &&
		    p[i].presence != CLASSIFY_CONTRIBUTED &&
		    p[i].presence != CLASSIFY_NOT_PRESENT)
			return -1;
		if ((a = agency_find(seen, nseen, p[i].agency)) == NULL) {
			if (nseen == CLASSIFY_MAX_AGENCIES)
				return -1;
			a = &seen[nseen++];
			a->code = p[i].agency;
			a->present = 0;
			a->contributed = 0;
		}
		if (p[i].presence == CLASSIFY_PRESENT)
			a->present = 1;
		else if (p[i].presence == CLASSIFY_CONTRIBUTED)
			a->contributed = 1;
	}

	memset(&r, 0, sizeof(r));
	for (i = 0; i < nseen; i++)
		if (seen[i].present)
			r.npresent++;

	for (i = 0; i < nstat; i++) {
		for (dup = 0, j = 0; j < i && !dup; j++)
			dup = strcmp(statutory[j], statutory[i]) == 0;
		if (dup)
			continue;
		a = agency_find(seen, nseen, statutory[i]);
		if (a != NULL && a->present)
			continue;
		all_statutory = 0;
		r.missing[r.nmissing++] = statutory[i];
		if (a != NULL && a->contributed)
			r.contributed[r.ncontributed++] = statutory[i];
	}

	if (r.npresent < 2)
		r.cls = CLASSIFY_SINGLE_AGENCY;
	else if (all_statutory)
		r.cls = CLASSIFY_MULTI_AGENCY;
	else
		r.cls = CLASSIFY_PARTIAL;
	*out = r;
	return 0;
}

/* Unknown values give "unknown" rather than NULL, so a caller's "%s" is safe. */
const char *
classify_name(enum classify_class cls)
{
	if ((size_t)cls >= NCLASS)
		return "unknown";
	return class_names[cls];
}

int
classify_from_name(const char *name, enum classify_class *out)
{
	size_t	 i;

	if (name == NULL || out == NULL)
		return -1;
	for (i = 0; i < NCLASS; i++) {
		if (strcmp(name, class_names[i]) == 0) {
			*out = (enum classify_class)i;
			return 0;
		}
	}
	return -1;
}
