/*
 * stats: the compliance figures managers and inspectors ask for, read from
 * the summaries that sql/005_statistics.sql keeps exact (docs/statistics.md
 * defines every measure). A filter is parsed once from request parameters
 * (JSON API, CSV and the dashboard page share it), a report is run in one
 * read-only snapshot, and is then written as JSON or CSV or drawn by the
 * dashboard. List exports name the discussions behind a figure; the Section
 * 47 export follows the shape of Ofsted's Annex A list. No export carries a
 * child's name or date of birth.
 */
#ifndef CONVENE_STATS_H
#define CONVENE_STATS_H

#include <stddef.h>

#include <jansson.h>

#include "workdays.h"

#define STATS_TEAM_MAX		200	/* characters in a team name */
#define STATS_LIST_MAX		100000	/* rows in one list export */
#define STATS_PAGE_MAX		500	/* rows in one page of the JSON list */
#define STATS_ORGS_MAX		500	/* organisations in one report */
#define STATS_MONTHS_MAX	600	/* months filled in a month grouping */

struct auth_user;
struct buf;
struct db;
struct verr;

/*
 * The per-discussion measures, in the column order of stats_summary (after
 * its key). X(ID, "column"). Nothing here names an agency: which agencies
 * were missing or sent information only is counted per agency code in
 * stats_agency_summary (sql/012_stats_by_agency.sql), and a report carries
 * those counts beside these (struct stats_counts).
 */
#define STATS_COLUMNS(X) \
	X(N, "n") X(SCHEDULED, "scheduled") X(HELD, "held") \
	X(CANCELLED, "cancelled") X(MULTI_AGENCY, "multi_agency") \
	X(PARTIAL, "partial") X(SINGLE_AGENCY, "single_agency") \
	X(CHILD_VIEWS_RECORDED, "child_views_recorded") \
	X(SIGNED_OFF, "signed_off") X(FLAGGED, "flagged") \
	X(REVIEWED_AGREE, "reviewed_agree") \
	X(PRACTICE_CONCERN, "practice_concern") \
	X(UNREVIEWED_FLAGS, "unreviewed_flags") \
	X(CD_SUM, "cd_sum") X(CD_0, "cd_0") X(CD_1, "cd_1") X(CD_2, "cd_2") \
	X(CD_3, "cd_3") X(CD_4_5, "cd_4_5") X(CD_6_10, "cd_6_10") \
	X(CD_11P, "cd_11p") \
	X(S47, "s47") X(ICPC_HELD, "icpc_held") \
	X(ICPC_NOT_REQUIRED, "icpc_not_required") \
	X(ICPC_AWAITING, "icpc_awaiting") X(IC_SUM, "ic_sum") \
	X(IC_0_10, "ic_0_10") X(IC_11_15, "ic_11_15") X(IC_16_20, "ic_16_20") \
	X(IC_21_30, "ic_21_30") X(IC_31P, "ic_31p")

enum stats_col {
#define STATS_ENUM_(id, name) STATS_##id,
	STATS_COLUMNS(STATS_ENUM_)
#undef STATS_ENUM_
	STATS_NCOLS
};

enum stats_group {
	STATS_GROUP_MONTH,	/* keys "YYYY-MM" */
	STATS_GROUP_TEAM,	/* keys are team names */
	STATS_GROUP_AGENCY	/* keys are agency codes */
};

/* What a report or export covers. Strings are "" when not given. */
struct stats_filter {
	long		 authority_id;
	long		 from_day, to_day;	/* inclusive, workdays.h days */
	char		 from[WORKDAYS_DATE_MAX];	/* as asked, or "" */
	char		 to[WORKDAYS_DATE_MAX];
	long		 team_id;		/* 0: every team */
	char		 team[STATS_TEAM_MAX * 4 + 1];
	char		 kind[16];		/* meeting | discussion */
	char		 format[16];		/* in_person | video | phone */
	enum stats_group group;
	/* List exports only. */
	char		 classification[16];
	char		 status[16];
	char		 missing[33];		/* an agency code */
	char		 missing_name[201];	/* its name, from agencies */
	char		 review[20];	/* flagged|unreviewed|agree|practice_concern */
	char		 signed_off[4];		/* yes | no */
	char		 child_views[4];	/* yes | no */
	char		 concern[8];		/* within | late */
	char		 icpc[16];	/* s47|within|late|not_required|awaiting */
};

/*
 * The per-agency figures of the totals and of each group, in the order the
 * JSON, the CSV and the dashboard give them: X(ID, "csv prefix", "JSON
 * member", every). Over held discussions of the group, for the report's
 * agency i (stats_report.agencies[i]):
 *   MISSING       its stored classification lists agency i as missing
 *   CONTRIBUTED   ... as missing in person but sending information
 *   ADDED_ON_DAY  people of agency i added on the day (not invited)
 * every: 1 when every agency of the report has the figure, 0 when only the
 * shown ones do (stats_agency.shown). The CSV has a column PREFIX_CODE per
 * agency, the JSON a member {CODE: n}.
 */
#define STATS_AGENCY_MEASURES(X) \
	X(MISSING, "missing", "missing", 0) \
	X(CONTRIBUTED, "contributed", "contributed", 0) \
	X(ADDED_ON_DAY, "added_on_day", "added_on_day_by_agency", 1)

enum stats_agency_measure {
#define STATS_AM_ENUM_(id, csv, json, every) STATS_AM_##id,
	STATS_AGENCY_MEASURES(STATS_AM_ENUM_)
#undef STATS_AM_ENUM_
	STATS_NAM
};

/*
 * Sums of the measures over one group (or all of the report). agency[m][i]
 * is per-agency measure m (STATS_AGENCY_MEASURES) for the report's agency
 * i; each points into the report's one block of per-agency cells and is
 * valid while the report is. missing and contributed are agency[MISSING]
 * and agency[CONTRIBUTED].
 */
struct stats_counts {
	char		 key[STATS_TEAM_MAX * 4 + 1];
	long		 from_day, to_day;	/* the days this group covers */
	long long	 v[STATS_NCOLS];
	long long	*agency[STATS_NAM];
	long long	*missing;
	long long	*contributed;
};

/*
 * One agency of a report: every agency of the authority's current statutory
 * set, and every other agency invited to a held discussion of the period or
 * classified missing in one, in the agencies table's order. shown: it has a
 * "missing" and "contributed" figure in the totals and groups (statutory
 * now, or classified missing in the period's stored data, so history stays
 * visible after the set changes).
 */
struct stats_agency {
	char		 code[33];
	char		 name[201];
	int		 statutory;
	int		 shown;
	long long	 n, invited, present, contributed, missing;
	long long	 missing_contributed;	/* in actual_contributed */
	long long	 added_on_day;		/* people added on the day */
};

struct stats_org {
	char		 agency[33];
	char		 name[STATS_TEAM_MAX * 4 + 1];
	long long	 n, invited, present, contributed;
	long long	 people, accepted, declined, tentative, no_reply;
};

struct stats_report {
	struct stats_filter	 f;
	int			 target_wd;	/* the authority's target */
	long			 today;		/* London date of the report */
	struct stats_counts	 total;
	struct stats_counts	*groups;	/* month or team groups */
	size_t			 ngroups;
	struct stats_agency	*agencies;
	size_t			 nagencies;
	long long		*cells;		/* behind counts' missing[] etc. */
	struct stats_org	*orgs;
	size_t			 norgs;
	int			 orgs_truncated;
	long long		 icpc_overdue;	/* awaiting, past 15 days */
};

/* Look up one request parameter; NULL when absent. */
typedef const char *(*stats_param_fn)(void *arg, const char *key);

/*
 * Read and check the filter from parameters: from, to (YYYY-MM-DD), team
 * (a team name), kind, format, group_by, and for list exports
 * classification, status, missing, review, signed_off, child_views,
 * concern and icpc. A social worker is held to their own team: naming
 * another team is 403. 400 names the bad parameter. 0 or -1 with e set.
 */
int	 stats_filter_parse(struct db *db, const struct auth_user *u,
	    stats_param_fn get, void *arg, struct stats_filter *f,
	    struct verr *e);

/* Run the report for f in one read-only snapshot. On success the caller
 * owns r (stats_report_free); on failure r holds nothing. */
int	 stats_report_run(struct db *db, const struct stats_filter *f,
	    struct stats_report *r, struct verr *e);
void	 stats_report_free(struct stats_report *r);

/* The report as JSON (docs/statistics.md; names fixed for partners). */
json_t	*stats_report_json(const struct stats_report *r);
/* The report as CSV: UTF-8 with BOM, CRLF, one header row, a "total" row
 * then one row per group. 0 or -1 (b->failed). */
int	 stats_report_csv(const struct stats_report *r, struct buf *b);

/* Derived figures, for every writer. */
long long stats_concern_within(const long long *v, int target_wd);
/* People added on the day in c: the sum over the report's agencies. */
long long stats_added_on_day(const struct stats_report *r,
	    const struct stats_counts *c);
long long stats_icpc_within(const long long *v);
/* num / den rounded to 4 places; -1 when den is 0. */
double	 stats_share(long long num, long long den);

/*
 * The discussions behind a figure: {"discussions": [...], "total": n},
 * rows from offset, at most limit (<= STATS_LIST_MAX), newest first. Each
 * row: id, case_ref, team, kind, format, starts_at, date, status,
 * classification, missing_agencies, contributed_agencies,
 * child_views_recorded, concern_working_days, review, signed_off, s47,
 * conference, conference_working_days. No child's name.
 */
int	 stats_list(struct db *db, const struct stats_filter *f, long limit,
	    long offset, json_t **out, struct verr *e);
int	 stats_list_csv(json_t *list, struct buf *b);

/*
 * Section 47 enquiries started by a strategy discussion in the period, in
 * the shape of Annex A: {"enquiries": [...]} with case_ref, team, worker,
 * strategy_discussion_date, decision, conference ("YYYY-MM-DD", "not
 * required" or null), working_days, within_15, discussion_id.
 */
int	 stats_section47(struct db *db, const struct stats_filter *f,
	    json_t **out, struct verr *e);
int	 stats_section47_csv(json_t *list, struct buf *b);

/* CSV writing: one field (quoted when needed; text starting with = + - @
 * TAB or CR gets a leading apostrophe so spreadsheets do not run it), a
 * number, and the end of a row. first: no comma before. */
void	 stats_csv_text(struct buf *b, const char *s, int first);
void	 stats_csv_int(struct buf *b, long long v, int first);
void	 stats_csv_end(struct buf *b);
/* The UTF-8 byte order mark Excel needs to read UTF-8. */
void	 stats_csv_bom(struct buf *b);
/* A CSV column: its header, and the key of each row object it shows. */
struct stats_csv_col {
	const char	*header;
	const char	*key;
};
/* The BOM, the headers and a line per row of rows (JSON objects; arrays
 * joined by spaces, booleans yes/no, null empty). 0, or -1 when b failed. */
int	 stats_csv_rows(json_t *rows, const struct stats_csv_col *cols,
	    struct buf *b);

#endif
