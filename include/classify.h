/*
 * classify: the agency-presence rule at the heart of Convene. Pure: no I/O,
 * no allocation. Given who was invited (planned) or who attended (actual),
 * says whether a strategy discussion was multi-agency, partial or
 * single-agency, and which statutory agencies were missing.
 */
#ifndef CONVENE_CLASSIFY_H
#define CONVENE_CLASSIFY_H

#include <stddef.h>

#define CLASSIFY_MAX_AGENCIES	16	/* distinct agency codes considered */

enum classify_class {
	CLASSIFY_MULTI_AGENCY,	/* every statutory agency present */
	CLASSIFY_PARTIAL,	/* two or more agencies, a statutory one missing */
	CLASSIFY_SINGLE_AGENCY	/* one agency present, or none */
};

enum classify_presence {
	CLASSIFY_PRESENT,	/* attended (actual) or invited (planned) */
	CLASSIFY_CONTRIBUTED,	/* sent information, did not attend */
	CLASSIFY_NOT_PRESENT	/* apologies, absent, removed */
};

struct classify_participant {
	const char		*agency;	/* agency code, e.g. "police" */
	enum classify_presence	 presence;
};

struct classify_result {
	enum classify_class	 cls;
	size_t			 npresent;	/* distinct agencies present */
	/* Statutory agencies with nobody present, in the order given in the
	 * statutory list; pointers into that list. */
	size_t			 nmissing;
	const char		*missing[CLASSIFY_MAX_AGENCIES];
	/* Statutory agencies missing in person that contributed information;
	 * pointers into the statutory list. */
	size_t			 ncontributed;
	const char		*contributed[CLASSIFY_MAX_AGENCIES];
};

/*
 * Classify participants p[0..np) against the statutory agency codes
 * statutory[0..nstat). Several people from one agency count once; agency
 * codes compare exactly. Returns 0, or -1 when an argument is NULL where it
 * must not be, nstat exceeds CLASSIFY_MAX_AGENCIES, or more than
 * CLASSIFY_MAX_AGENCIES distinct agencies appear.
 */
int	 classify(const struct classify_participant *p, size_t np,
	    const char *const *statutory, size_t nstat,
	    struct classify_result *out);
/* "multi_agency", "partial" or "single_agency". */
const char *classify_name(enum classify_class cls);
/* Parse one of those names; 0 on success. */
int	 classify_from_name(const char *name, enum classify_class *out);

#endif
