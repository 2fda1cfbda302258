/*
 * annex: the child-level returns, read from the Section 47 enquiries per
 * child (sql/027): Ofsted's Annex A list of Section 47 enquiries and the
 * CIN census's Section 47 module. Column headers are defined here once;
 * docs/statistics.md lists them and a test compares the two.
 */
#ifndef CONVENE_ANNEX_H
#define CONVENE_ANNEX_H

#include <jansson.h>

#include "stats.h"

struct buf;
struct db;
struct verr;

#define ANNEX_ROWS_MAX	100000

extern const struct stats_csv_col annex_a_cols[];
extern const struct stats_csv_col annex_cin_cols[];

/* {"enquiries": [...]}: the enquiries of f's authority (and team) started
 * in f's dates, one row per child in the Annex A order (by the strategy
 * discussion's date). */
int	 annex_enquiries(struct db *db, const struct stats_filter *f,
	    json_t **out, struct verr *e);

/* The child-level figures of f: {"target_working_days",
 * "section47_enquiries", "conferences", "within_target", "late",
 * "not_required", "awaiting", "awaiting_overdue" (no conference yet and
 * past the target today), "mean_working_days"}, over the enquiries
 * started in f's dates (its team, kind and format). NULL on error. */
json_t	*annex_counts(struct db *db, const struct stats_filter *f);

#endif
