/*
 * model_list: the list of strategy discussions a person may see, as typed
 * structs, owned by the model with the SQL that reads it. The statement
 * returns plain columns, decoded here once; the JSON API (model_list_json)
 * and the web pages (web_meeting_row) are views of these structs, so
 * nothing reads a listed discussion by string key.
 *
 * The list owns every string of its summaries (freed by model_list_free);
 * a string is NULL when the column is SQL NULL.
 */
#ifndef CONVENE_MODEL_LIST_H
#define CONVENE_MODEL_LIST_H

#include <stddef.h>

#include <jansson.h>

#include "model.h"

#define MODEL_LIST_PER_PAGE	50	/* when the caller names none */
#define MODEL_LIST_PER_PAGE_MAX	100
#define MODEL_LIST_PAGE_MAX	100000

struct auth_user;
struct db;
struct verr;

/* Filters; NULL or "" is no filter. */
struct discussion_filter {
	const char	*from;		/* YYYY-MM-DD inclusive, London */
	const char	*to;
	const char	*classification;
	const char	*status;
	const char	*team;		/* team name */
	const char	*q;		/* case reference prefix */
	long		 page;		/* from 1; 0 is 1 */
	long		 per_page;	/* 0 is MODEL_LIST_PER_PAGE */
};

/* One row of the list: what a list shows of a discussion. */
struct discussion_summary {
	long	 id;
	char	*uid;
	char	*case_ref;
	char	*team;
	char	*kind;			/* VOCAB_KIND */
	char	*format;		/* VOCAB_FORMAT */
	char	 starts_at[MODEL_TIME_LEN];	/* as to_json writes it */
	char	 ends_at[MODEL_TIME_LEN];
	char	*status;		/* VOCAB_STATUS */
	char	*planned_classification;
	char	*classification;	/* actual; NULL until held */
	/* Actual when held, else planned. missing_known is 0 when that
	 * column is NULL (held with no actual set), which the API shows as
	 * null rather than []. */
	int	 missing_known;
	struct agency_list missing;
	long	 sequence;
};

struct discussion_list {
	size_t	 n;
	struct discussion_summary *items;	/* newest first */
	long	 total;			/* matching rows on every page */
	long	 page;
	long	 per_page;
	char	*strings;		/* storage behind every string above */
};

/*
 * List the discussions u may see (its authority; a social worker, its team)
 * matching f, newest first, into a new list owned by the caller
 * (model_list_free). 0, or -1 with e set (400 naming the filter, or 500).
 */
int	 model_list_load(struct db *db, const struct auth_user *u,
	    const struct discussion_filter *f, struct discussion_list **out,
	    struct verr *e);
void	 model_list_free(struct discussion_list *l);

/* The JSON API's list (GET /api/v1/meetings): {"meetings": [...], "total",
 * "page", "per_page"}. A new reference; NULL when out of memory. */
json_t	*model_list_json(const struct discussion_list *l);
/* One summary as the API lists it. */
json_t	*model_summary_json(const struct discussion_summary *s);

#endif
