/*
 * web_list: every strategy discussion the person may see, newest first,
 * filtered by date range, team, status, classification and case reference,
 * WEB_PER_PAGE to a page. The filters are a GET form, so a filtered list can
 * be bookmarked; it carries case references only, never names. Reading is
 * model_list_load's, so a social worker sees their own team's only.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "model_list.h"
#include "str.h"
#include "web.h"

static const char *const statuses[] = { "", "Any status", "scheduled",
	"Scheduled", "held", "Held", "cancelled", "Cancelled", NULL };
static const char *const classes[] = { "", "Any", "multi_agency",
	"Multi-agency", "partial", "Partial", "single_agency",
	"Single agency", NULL };

/* A filter value from the query string, or "". */
static const char *
q(const struct http_req *rq, const char *key)
{
	const char *v = http_query(rq, key);

	return v != NULL ? v : "";
}

/* "27/3/2026" or "2026-03-27" into "2026-03-27"; "" stays "". */
static int
filter_date(const char *s, char *out, size_t outlen)
{
	char tmp[16], err[128];
	long d, m, y;
	const char *a, *b;
	int yy, mm, dd;

	out[0] = '\0';
	if (s[0] == '\0')
		return 0;
	if ((a = strchr(s, '/')) != NULL && (b = strchr(a + 1, '/')) != NULL) {
		if (str_to_long_n(s, (size_t)(a - s), 1, 31, &d) != 0 ||
		    str_to_long_n(a + 1, (size_t)(b - a - 1), 1, 12, &m) != 0 ||
		    str_to_long(b + 1, 1900, 2200, &y) != 0)
			return -1;
		snprintf(tmp, sizeof(tmp), "%04ld-%02ld-%02ld", y, m, d);
		s = tmp;
	}
	if (ltime_parse_date(s, &yy, &mm, &dd, err, sizeof(err)) != 0)
		return -1;
	snprintf(out, outlen, "%04d-%02d-%02d", yy, mm, dd);
	return 0;
}

static json_t *
select_items(const char *const *pairs, const char *current)
{
	json_t *items = json_array();
	size_t i;

	for (i = 0; pairs[i] != NULL; i += 2)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
		    "value", pairs[i], "text", pairs[i + 1], "checked",
		    strcmp(pairs[i], current) == 0));
	return items;
}

static json_t *
team_items(struct db *db, long authority, const char *current)
{
	char aid[24];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *items;
	int i;

	snprintf(aid, sizeof(aid), "%ld", authority);
	if (db_exec(db, &r, "SELECT name FROM teams WHERE authority_id = $1 "
	    "ORDER BY name", 1, p) != 0)
		return NULL;
	items = json_array();
	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "All teams", "checked", current[0] == '\0'));
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
		    "value", db_res_get(&r, i, 0), "text", db_res_get(&r, i, 0),
		    "checked", strcmp(db_res_get(&r, i, 0), current) == 0));
	db_res_free(&r);
	return items;
}

/* "/meetings?from=..&page=N" with every filter that is set. */
static json_t *
page_href(const struct http_req *rq, long page)
{
	static const char *const keys[] = { "from", "to", "team", "status",
		"classification", "case_ref", NULL };
	struct buf b;
	const char *v;
	char *esc;
	json_t *s;
	size_t i;

	buf_init(&b, 4096);
	buf_puts(&b, "/meetings?");
	for (i = 0; keys[i] != NULL; i++) {
		if ((v = q(rq, keys[i]))[0] == '\0' ||
		    (esc = curl_easy_escape(NULL, v, 0)) == NULL)
			continue;
		buf_printf(&b, "%s=%s&", keys[i], esc);
		curl_free(esc);
	}
	buf_printf(&b, "page=%ld", page);
	s = b.failed ? json_string("/meetings") : json_string(buf_cstr(&b));
	buf_free(&b);
	return s;
}

int
web_list(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct discussion_filter f;
	struct discussion_list *list = NULL;
	struct verr e = { 0 };
	char from[16], to[16];
	json_t *d, *rows, *teams = NULL, *fl;
	long page = 1, total, pages;
	size_t i;
	int sw = rq->user.role == ROLE_SOCIAL_WORKER, status = 500;

	web_errors_init(&we);
	memset(&f, 0, sizeof(f));
	if (filter_date(q(rq, "from"), from, sizeof(from)) != 0)
		web_error(&we, "from", NULL, "Date from must be a real date, "
		    "like 27/3/2026");
	if (filter_date(q(rq, "to"), to, sizeof(to)) != 0)
		web_error(&we, "to", NULL, "Date to must be a real date, like "
		    "27/3/2026");
	if (q(rq, "page")[0] != '\0' &&
	    str_to_long(q(rq, "page"), 1, 100000, &page) != 0)
		page = 1;
	f.from = from;
	f.to = to;
	f.team = sw ? NULL : q(rq, "team");
	f.status = q(rq, "status");
	f.classification = q(rq, "classification");
	f.q = q(rq, "case_ref");
	f.page = page;
	f.per_page = WEB_PER_PAGE;
	if (!web_errors_any(&we) &&
	    model_list_load(rq->db, &rq->user, &f, &list, &e) != 0) {
		if (e.status == 500)
			goto out;
		web_error_verr(&we, &e, (const char *const[]){ "status",
		    "status", "classification", "classification", NULL });
	}
	rows = json_array();
	/* No list when a filter was refused: an empty table, its error. */
	for (i = 0; list != NULL && i < list->n; i++)
		json_array_append_new(rows, web_meeting_row(&list->items[i]));
	total = list != NULL ? list->total : 0;
	pages = (total + WEB_PER_PAGE - 1) / WEB_PER_PAGE;
	d = json_pack("{s:{s:o, s:b, s:b, s:s, s:s}, s:I, s:I, s:I}",
	    "table", "rows", rows, "any", json_array_size(rows) > 0, "more", 0,
	    "caption", "Strategy discussions", "empty", "No strategy "
	    "discussion matches these filters.", "total", (json_int_t)total,
	    "page", (json_int_t)page, "pages", (json_int_t)(pages ? pages : 1));
	json_object_set_new(d, "paged", json_boolean(page > 1 ||
	    page < pages));
	if (page > 1)
		json_object_set_new(d, "prev", page_href(rq, page - 1));
	if (page < pages)
		json_object_set_new(d, "next", page_href(rq, page + 1));
	json_object_set_new(d, "f_from", fl = web_fld(&we, "from", "Date from",
	    "For example, 1/3/2026", q(rq, "from")));
	json_object_set_new(fl, "width", json_string("govuk-input--width-10"));
	json_object_set_new(d, "f_to", fl = web_fld(&we, "to", "Date to",
	    NULL, q(rq, "to")));
	json_object_set_new(fl, "width", json_string("govuk-input--width-10"));
	json_object_set_new(d, "f_status", fl = web_fld(&we, "status",
	    "Status", NULL, q(rq, "status")));
	json_object_set_new(fl, "items", select_items(statuses,
	    q(rq, "status")));
	json_object_set_new(d, "f_class", fl = web_fld(&we, "classification",
	    "Agencies", NULL, q(rq, "classification")));
	json_object_set_new(fl, "items", select_items(classes,
	    q(rq, "classification")));
	json_object_set_new(d, "f_case_ref", fl = web_fld(&we, "case_ref",
	    "Case reference starts with", NULL, q(rq, "case_ref")));
	json_object_set_new(fl, "width", json_string("govuk-input--width-10"));
	if (!sw) {
		if ((teams = team_items(rq->db, rq->user.authority_id,
		    q(rq, "team"))) == NULL) {
			json_decref(d);
			goto out;
		}
		json_object_set_new(d, "f_team", fl = web_fld(&we, "team",
		    "Team", NULL, q(rq, "team")));
		json_object_set_new(fl, "items", teams);
	}
	web_errors_put(&we, d);
	status = web_page(rq, rs, 200, "meetings", "Strategy discussions", d);
out:
	model_list_free(list);
	web_errors_free(&we);
	return rs->status = status;
}
