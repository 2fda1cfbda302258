/*
 * web_stats: the statistics pages. The dashboard runs the same report as
 * GET /api/v1/stats (stats_report_run) and shows it four ways: GOV.UK
 * summary cards whose figures link to the discussions behind them, charts
 * drawn here as inline SVG (coordinates computed in C, elements written by
 * templates/stats_chart.html, so every label is escaped), a sentence saying
 * what each chart shows, and the data table beneath it. Nothing is fetched
 * at run time: no chart library, no script. The list page shows the
 * discussions behind a figure, and a manager reviews or signs off flagged
 * ones from there. Filters are a GET form, so a view can be bookmarked; the
 * exports are the API's CSV routes with the same parameters.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "annex.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "meeting.h"
#include "review.h"
#include "stats.h"
#include "str.h"
#include "web.h"
#include "web_stats.h"
#include "workdays.h"

/* GOV.UK colours. */
#define C_GREEN		"#00703c"
#define C_ORANGE	"#f47738"
#define C_RED		"#d4351c"
#define C_BLUE		"#1d70b8"
#define C_GREY		"#505a5f"

#define CHART_W		720
#define FILTER_KEYS	{ "from", "to", "team", "kind", "format", NULL }

static const char *const kinds[] = { "", "Meetings and discussions",
	"meeting", "Meetings", "discussion", "Telephone discussions", NULL };
static const char *const formats[] = { "", "Any format", "in_person",
	"In person", "video", "Video", "phone", "Phone", NULL };
static const char *const groups[] = { "month", "By month", "team",
	"By team", NULL };

/* ---- parameters ----------------------------------------------------------- */

/*
 * The page's parameters as the statistics filter wants them: dates typed
 * as 27/3/2026 become 2026-03-27, and with no dates at all the last twelve
 * months (this one included) are shown.
 */
struct params {
	struct http_req	*rq;
	char		 from[16], to[16];
	int		 bad_from, bad_to;
};

static const char *
q(const struct http_req *rq, const char *key)
{
	const char *v = http_query(rq, key);

	return v != NULL ? v : "";
}

static int
typed_date(const char *s, char *out, size_t outlen)
{
	long d, m, y, day;
	const char *a, *b;
	char tmp[16];

	out[0] = '\0';
	if (s[0] == '\0')
		return 0;
	if ((a = strchr(s, '/')) != NULL && (b = strchr(a + 1, '/')) != NULL) {
		if (str_to_long_n(s, (size_t)(a - s), 1, 31, &d) != 0 ||
		    str_to_long_n(a + 1, (size_t)(b - a - 1), 1, 12, &m) != 0 ||
		    str_to_long(b + 1, 1900, 2100, &y) != 0)
			return -1;
		snprintf(tmp, sizeof(tmp), "%04ld-%02ld-%02ld", y, m, d);
		s = tmp;
	}
	if (workdays_parse_date(s, &day) != 0)
		return -1;
	return workdays_format(day, out, outlen);
}

static void
params_init(struct params *p, struct http_req *rq, int default_year)
{
	char today[WORKDAYS_DATE_MAX];
	long t;
	int y, m, d;

	memset(p, 0, sizeof(*p));
	p->rq = rq;
	p->bad_from = typed_date(q(rq, "from"), p->from, sizeof(p->from)) != 0;
	p->bad_to = typed_date(q(rq, "to"), p->to, sizeof(p->to)) != 0;
	if (default_year && q(rq, "from")[0] == '\0' &&
	    q(rq, "to")[0] == '\0') {
		web_today(today, sizeof(today));
		if (workdays_parse_date(today, &t) == 0) {
			workdays_format(t, p->to, sizeof(p->to));
			workdays_to_civil(t, &y, &m, &d);
			m -= 11;
			if (m < 1) {
				m += 12;
				y--;
			}
			workdays_format(workdays_from_civil(y, m, 1), p->from,
			    sizeof(p->from));
		}
	}
}

static const char *
pget(void *arg, const char *key)
{
	struct params *p = arg;

	if (strcmp(key, "from") == 0)
		return p->from;
	if (strcmp(key, "to") == 0)
		return p->to;
	return http_query(p->rq, key);
}

/* "from=..&to=..&team=.." for the filters that are set, URL-escaped. */
static void
filter_qs(const struct stats_filter *f, struct buf *b)
{
	const char *keys[] = FILTER_KEYS;
	const char *vals[5];
	char *esc;
	size_t i;

	vals[0] = f->from;
	vals[1] = f->to;
	vals[2] = f->team;
	vals[3] = f->kind;
	vals[4] = f->format;
	for (i = 0; keys[i] != NULL; i++) {
		if (vals[i][0] == '\0' ||
		    (esc = curl_easy_escape(NULL, vals[i], 0)) == NULL)
			continue;
		buf_printf(b, "%s%s=%s", b->len ? "&" : "", keys[i], esc);
		curl_free(esc);
	}
}

/* A link to path with the filters and one more condition (may be NULL). */
static json_t *
href(const struct stats_filter *f, const char *path, const char *extra)
{
	struct buf b, qs;
	json_t *s;

	buf_init(&qs, 4096);
	filter_qs(f, &qs);
	buf_init(&b, 4096);
	buf_printf(&b, "%s?%s%s%s", path, buf_cstr(&qs),
	    qs.len && extra ? "&" : "", extra ? extra : "");
	s = b.failed || qs.failed ? json_string(path) :
	    json_string(buf_cstr(&b));
	buf_free(&b);
	buf_free(&qs);
	return s;
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

/* The filter form's fields, as web_list does it. */
static int
filter_fields(struct http_req *rq, struct db *db, struct web_errors *we,
    const struct params *p, int with_group, json_t *d)
{
	json_t *fl, *teams;

	json_object_set_new(d, "f_from", fl = web_fld(we, "from", "Date from",
	    "For example, 1/11/2025", q(rq, "from")[0] ? q(rq, "from") :
	    p->from));
	json_object_set_new(fl, "width", json_string("govuk-input--width-10"));
	json_object_set_new(d, "f_to", fl = web_fld(we, "to", "Date to", NULL,
	    q(rq, "to")[0] ? q(rq, "to") : p->to));
	json_object_set_new(fl, "width", json_string("govuk-input--width-10"));
	json_object_set_new(d, "f_kind", fl = web_fld(we, "kind", "Kind", NULL,
	    q(rq, "kind")));
	json_object_set_new(fl, "items", select_items(kinds, q(rq, "kind")));
	json_object_set_new(d, "f_format", fl = web_fld(we, "format", "Format",
	    NULL, q(rq, "format")));
	json_object_set_new(fl, "items", select_items(formats,
	    q(rq, "format")));
	if (with_group) {
		json_object_set_new(d, "f_group", fl = web_fld(we, "group_by",
		    "Trend", NULL, q(rq, "group_by")));
		json_object_set_new(fl, "items", select_items(groups,
		    q(rq, "group_by")[0] ? q(rq, "group_by") : "month"));
	}
	if (rq->user.role == ROLE_MANAGER) {
		if ((teams = team_items(db, rq->user.authority_id,
		    q(rq, "team"))) == NULL)
			return -1;
		json_object_set_new(d, "f_team", fl = web_fld(we, "team",
		    "Team", NULL, q(rq, "team")));
		json_object_set_new(fl, "items", teams);
	}
	return 0;
}

/* Parse the filter; 400s become form errors (0 with we set), 403 and 500
 * are returned (-1 with e set). */
static int
page_filter(struct http_req *rq, struct db *db, struct params *p,
    struct stats_filter *f, struct web_errors *we, struct verr *e)
{
	static const char *const map[] = { "from", "from", "to", "to",
		"team", "team", "kind", "kind", "format", "format", "group_by",
		"group_by", NULL };

	if (p->bad_from)
		web_error(we, "from", NULL, "Date from must be a real date, "
		    "like 1/11/2025");
	if (p->bad_to)
		web_error(we, "to", NULL, "Date to must be a real date, like "
		    "31/12/2025");
	if (web_errors_any(we))
		return 0;
	if (stats_filter_parse(db, &rq->user, pget, p, f, e) == 0)
		return 0;
	if (e->status != 400)
		return -1;
	web_error_verr(we, e, map);
	return 0;
}

/* ---- numbers as people read them -------------------------------------- */

static json_t *
pct(long long num, long long den)
{
	char s[16];

	if (den <= 0)
		return json_string("");
	snprintf(s, sizeof(s), "%.1f%%", floor((double)num / (double)den *
	    1000.0 + 0.5) / 10.0);
	return json_string(s);
}

static void
day_text(long day, char *out, size_t outlen)
{
	char ymd[WORKDAYS_DATE_MAX];

	workdays_format(day, ymd, sizeof(ymd));
	web_day(ymd, out, outlen);
}

static const char *
month_abbr(const char *key, char *out, size_t outlen)
{
	static const char *const m[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	long mo;

	if (strlen(key) == 7 && str_to_long(key + 5, 1, 12, &mo) == 0)
		snprintf(out, outlen, "%s %.4s", m[mo - 1], key);
	else
		str_copy(out, key, outlen);
	return out;
}

/* ---- summary cards ---------------------------------------------------------- */

static void
card_row(json_t *rows, const char *figure, const char *key, long long n,
    json_t *share, json_t *link)
{
	json_array_append_new(rows, json_pack("{s:s, s:s, s:I, s:o, s:o}",
	    "figure", figure, "key", key, "value", (json_int_t)n,
	    "share", share != NULL ? share : json_string(""),
	    "href", link != NULL ? link : json_null()));
}

static json_t *
card(const char *title, json_t *rows)
{
	return json_pack("{s:s, s:o}", "title", title, "rows", rows);
}

/* The authority's target before "the concern": "within 2 working days
 * of", or "on the same day as" for 0. */
static void
target_words(int wd, char *out, size_t outlen)
{
	if (wd == 0)
		str_copy(out, "on the same day as", outlen);
	else
		snprintf(out, outlen, "within %d working day%s of", wd,
		    wd == 1 ? "" : "s");
}

/*
 * Which agency was missing: a row per shown agency of the report (the
 * statutory set, and any other agency its stored classifications name),
 * then who sent information only, for the agencies that were missing.
 */
static json_t *
missing_card(const struct stats_report *r)
{
	const struct stats_filter *f = &r->f;
	long long held = r->total.v[STATS_HELD];
	const struct stats_agency *a;
	char figure[48], key[260], extra[48];
	json_t *rows = json_array();
	size_t i;

	for (i = 0; i < r->nagencies; i++) {
		a = &r->agencies[i];
		if (!a->shown)
			continue;
		snprintf(figure, sizeof(figure), "missing.%s", a->code);
		snprintf(extra, sizeof(extra), "missing=%s", a->code);
		card_row(rows, figure, a->name, r->total.missing[i],
		    pct(r->total.missing[i], held), href(f,
		    "/stats/discussions", extra));
	}
	for (i = 0; i < r->nagencies; i++) {
		a = &r->agencies[i];
		if (!a->shown || r->total.missing[i] == 0)
			continue;
		snprintf(figure, sizeof(figure), "contributed.%s", a->code);
		snprintf(key, sizeof(key), "%s sent information only", a->name);
		card_row(rows, figure, key, r->total.contributed[i],
		    pct(r->total.contributed[i], held), NULL);
	}
	return rows;
}

/* A child-level figure of kids (annex_counts), 0 when absent. */
static long long
kid(json_t *kids, const char *key)
{
	return (long long)json_integer_value(json_object_get(kids, key));
}

/*
 * The headline figures. Section 47 enquiries and conferences are counted
 * per child (kids, annex_counts), as Annex A and the CIN census count
 * them; the rest per discussion. Each "List" shows the discussions behind.
 */
static json_t *
cards(const struct stats_report *r, json_t *kids)
{
	const struct stats_filter *f = &r->f;
	const long long *v = r->total.v;
	long long held = v[STATS_HELD];
	long long cw = stats_concern_within(v, r->target_wd);
	json_t *a, *b, *c, *t;
	char key[96], words[40];
	const char *L = "/stats/discussions";

	a = json_array();
	card_row(a, "held", "Held", held, NULL, href(f, L, "status=held"));
	card_row(a, "multi_agency", "Multi-agency", v[STATS_MULTI_AGENCY],
	    pct(v[STATS_MULTI_AGENCY], held),
	    href(f, L, "classification=multi_agency"));
	card_row(a, "partial", "Partial", v[STATS_PARTIAL],
	    pct(v[STATS_PARTIAL], held), href(f, L, "classification=partial"));
	card_row(a, "single_agency", "Single agency", v[STATS_SINGLE_AGENCY],
	    pct(v[STATS_SINGLE_AGENCY], held),
	    href(f, L, "classification=single_agency"));
	card_row(a, "cancelled", "Cancelled", v[STATS_CANCELLED],
	    pct(v[STATS_CANCELLED], v[STATS_N]), href(f, L,
	    "status=cancelled"));
	card_row(a, "scheduled", "Booked, attendance not yet recorded",
	    v[STATS_SCHEDULED], NULL, href(f, L, "status=scheduled"));
	card_row(a, "added_on_day", "People who joined on the day without an "
	    "invitation", stats_added_on_day(r, &r->total), NULL, NULL);

	b = missing_card(r);

	c = json_array();
	card_row(c, "unreviewed_flags", "Single-agency or partial, awaiting a "
	    "manager's review", v[STATS_UNREVIEWED_FLAGS], NULL,
	    href(f, L, "review=unreviewed"));
	card_row(c, "reviewed.agree", "Reviewed: reason agreed",
	    v[STATS_REVIEWED_AGREE], NULL, href(f, L, "review=agree"));
	card_row(c, "reviewed.practice_concern", "Reviewed: practice concern",
	    v[STATS_PRACTICE_CONCERN], NULL, href(f, L,
	    "review=practice_concern"));
	card_row(c, "child_views_recorded", "Child's views recorded",
	    v[STATS_CHILD_VIEWS_RECORDED], pct(v[STATS_CHILD_VIEWS_RECORDED],
	    held), href(f, L, "child_views=no"));
	card_row(c, "signed_off", "Signed off by a manager", v[STATS_SIGNED_OFF],
	    pct(v[STATS_SIGNED_OFF], held), href(f, L, "signed_off=no"));

	t = json_array();
	target_words(r->target_wd, words, sizeof(words));
	snprintf(key, sizeof(key), "Held %s the concern", words);
	card_row(t, "concern_within_target", key, cw, pct(cw, held),
	    href(f, L, "concern=late"));
	card_row(t, "section47_enquiries", "Section 47 enquiries started "
	    "(children)", kid(kids, "section47_enquiries"), NULL,
	    href(f, L, "icpc=s47"));
	card_row(t, "conferences_within_15", "Initial conferences within 15 "
	    "working days (children)", kid(kids, "within_target"),
	    pct(kid(kids, "within_target"), kid(kids, "conferences")),
	    href(f, L, "icpc=within"));
	card_row(t, "conferences_late", "Initial conferences later (children)",
	    kid(kids, "late"), pct(kid(kids, "late"), kid(kids,
	    "conferences")), href(f, L, "icpc=late"));
	card_row(t, "conference_not_required", "Conference not required "
	    "(children)", kid(kids, "not_required"), NULL, href(f, L,
	    "icpc=not_required"));
	card_row(t, "awaiting_overdue", "Awaiting a conference, past 15 working "
	    "days (children)", kid(kids, "awaiting_overdue"), NULL, href(f, L,
	    "icpc=overdue"));

	/* Two rows of two, so that cards of different heights line up. */
	return json_pack("[{s:[o, o]}, {s:[o, o]}]",
	    "pair", card("Were they multi-agency?", a),
	    card("Which agency was missing", b),
	    "pair", card("Management oversight", c),
	    card("Timeliness", t));
}

/* ---- charts ------------------------------------------------------------------ */

/* A round top for an axis: 1, 2 or 5 times a power of ten, at least max. */
static long long
nice_top(long long max, long long *step)
{
	long long p = 1, s;

	if (max <= 0)
		max = 1;
	while (p * 10 <= max)
		p *= 10;
	s = p;
	if (max <= 2 * p)
		s = p / 2 > 0 ? p / 2 : 1;
	if (max <= p)
		s = p / 5 > 0 ? p / 5 : 1;
	*step = s;
	return ((max + s - 1) / s) * s;
}

struct series {
	const char	*name;
	const char	*fill;
};

/*
 * A vertical bar chart: n bars of ns stacked series; vals[i * ns + k].
 * Coordinates in a CHART_W x 320 viewBox. tips name each part.
 */
static json_t *
vchart(const char *id, const char *title, json_t *summary,
    const struct series *s, size_t ns, char labels[][32], const char **fills,
    const long long *vals, size_t n)
{
	const int H = 320, ML = 56, MR = 12, MT = 24, MB = 56;
	const int pw = CHART_W - ML - MR, ph = H - MT - MB;
	json_t *grid, *bars, *texts, *legend;
	long long max = 0, tot, top, step, v, acc;
	int slot, bw, x, y0, y1, every, i;
	size_t b, k;
	char tip[128];

	for (b = 0; b < n; b++) {
		for (tot = 0, k = 0; k < ns; k++)
			tot += vals[b * ns + k];
		if (tot > max)
			max = tot;
	}
	top = nice_top(max, &step);
	grid = json_array();
	for (v = 0; v <= top; v += step) {
		y0 = MT + ph - (int)(v * ph / top);
		snprintf(tip, sizeof(tip), "%lld", v);
		json_array_append_new(grid, json_pack("{s:i, s:i, s:i, s:i, "
		    "s:i, s:s}", "x1", ML, "x2", CHART_W - MR, "y", y0, "tx",
		    ML - 6, "ty", y0 + 4, "label", tip));
	}
	bars = json_array();
	texts = json_array();
	slot = n > 0 ? pw / (int)n : pw;
	bw = slot * 7 / 10;
	if (bw > 48)
		bw = 48;
	if (bw < 2)
		bw = 2;
	every = n > 12 ? (int)((n + 11) / 12) : 1;
	for (b = 0; b < n; b++) {
		x = ML + (int)b * slot + (slot - bw) / 2;
		acc = 0;
		for (k = 0; k < ns; k++) {
			v = vals[b * ns + k];
			if (v <= 0)
				continue;
			y1 = MT + ph - (int)(acc * ph / top);
			acc += v;
			y0 = MT + ph - (int)(acc * ph / top);
			snprintf(tip, sizeof(tip), "%s: %lld %s", labels[b], v,
			    ns > 1 ? s[k].name : "");
			json_array_append_new(bars, json_pack("{s:i, s:i, s:i, "
			    "s:i, s:s, s:s}", "x", x, "y", y0, "w", bw, "h",
			    y1 - y0 > 0 ? y1 - y0 : 1, "fill", fills != NULL ?
			    fills[b] : s[k].fill, "tip", tip));
		}
		snprintf(tip, sizeof(tip), "%lld", acc);
		json_array_append_new(texts, json_pack("{s:i, s:i, s:s, s:s, "
		    "s:s}", "x", x + bw / 2, "y", MT + ph - (int)(acc * ph /
		    top) - 4, "anchor", "middle", "text", tip, "fill",
		    "#0b0c0c"));
		if ((int)b % every == 0)
			json_array_append_new(texts, json_pack("{s:i, s:i, s:s, "
			    "s:s, s:s}", "x", x + bw / 2, "y", H - MB + 18,
			    "anchor", "middle", "text", labels[b], "fill",
			    "#0b0c0c"));
	}
	legend = json_array();
	for (k = 0; ns > 1 && k < ns; k++)
		json_array_append_new(legend, json_pack("{s:s, s:s}", "name",
		    s[k].name, "fill", s[k].fill));
	i = H;
	return json_pack("{s:s, s:s, s:o, s:i, s:i, s:o, s:o, s:o, s:o}",
	    "id", id, "title", title, "summary", summary, "width", CHART_W,
	    "height", i, "gridlines", grid, "bars", bars, "labels", texts,
	    "legend", legend);
}

/* Horizontal bars of shares (0..1000 per mille) with a text at the end. */
static json_t *
hchart(const char *id, const char *title, json_t *summary, char names[][64],
    const long long *permille, char values[][48], size_t n)
{
	const int ML = 190, MT = 12, ROW = 34, BH = 20;
	const int pw = CHART_W - ML - 170;
	json_t *grid, *bars, *texts;
	int y, w, i, x;
	size_t b;
	char tip[160], lab[8];

	grid = json_array();
	for (i = 0; i <= 4; i++) {
		x = ML + pw * i / 4;
		snprintf(lab, sizeof(lab), "%d%%", i * 25);
		json_array_append_new(grid, json_pack("{s:i, s:i, s:i, s:i, "
		    "s:i, s:i, s:s}", "x1", x, "x2", x, "y1", MT - 4, "y2",
		    MT + (int)n * ROW, "tx", x, "ty", MT + (int)n * ROW + 16,
		    "label", lab));
	}
	bars = json_array();
	texts = json_array();
	for (b = 0; b < n; b++) {
		y = MT + (int)b * ROW + (ROW - BH) / 2;
		w = (int)(permille[b] * pw / 1000);
		snprintf(tip, sizeof(tip), "%s: %s", names[b], values[b]);
		if (w > 0)
			json_array_append_new(bars, json_pack("{s:i, s:i, s:i, "
			    "s:i, s:s, s:s}", "x", ML, "y", y, "w", w, "h", BH,
			    "fill", C_BLUE, "tip", tip));
		json_array_append_new(texts, json_pack("{s:i, s:i, s:s, s:s, "
		    "s:s}", "x", ML - 8, "y", y + 15, "anchor", "end", "text",
		    names[b], "fill", "#0b0c0c"));
		json_array_append_new(texts, json_pack("{s:i, s:i, s:s, s:s, "
		    "s:s}", "x", ML + w + 6, "y", y + 15, "anchor", "start",
		    "text", values[b], "fill", "#0b0c0c"));
	}
	return json_pack("{s:s, s:s, s:o, s:i, s:i, s:[], s:o, s:o, s:o, "
	    "s:[]}", "id", id, "title", title, "summary", summary, "width",
	    CHART_W, "height", MT + (int)n * ROW + 24, "gridlines", "vgrid",
	    grid, "bars", bars, "labels", texts, "legend");
}

static json_t *
textf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
textf(const char *fmt, ...)
{
	char s[600];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(s, sizeof(s), fmt, ap) < 0)
		s[0] = '\0';
	va_end(ap);
	return json_string(s);
}

static double
pc(long long num, long long den)
{
	return den > 0 ? floor((double)num / (double)den * 1000.0 + 0.5) /
	    10.0 : 0;
}

/* The shown agencies as table columns: [{code, name}]. */
static json_t *
missing_columns(const struct stats_report *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->nagencies; i++)
		if (r->agencies[i].shown)
			json_array_append_new(a, json_pack("{s:s, s:s}", "code",
			    r->agencies[i].code, "name", r->agencies[i].name));
	return a;
}

/* One group's missing counts in the columns' order: [{code, value}]. */
static json_t *
missing_cells(const struct stats_report *r, const struct stats_counts *g)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->nagencies; i++)
		if (r->agencies[i].shown)
			json_array_append_new(a, json_pack("{s:s, s:I}", "code",
			    r->agencies[i].code, "value",
			    (json_int_t)g->missing[i]));
	return a;
}

/* Classification of held discussions, by month or by team. */
static json_t *
chart_classes(const struct stats_report *r, json_t **table)
{
	static const struct series s[] = { { "multi-agency", C_GREEN },
		{ "partial", C_ORANGE }, { "single agency", C_RED } };
	const long long *t = r->total.v;
	char (*labels)[32] = NULL;
	long long *vals = NULL;
	json_t *rows, *chart = NULL;
	size_t i, n = r->ngroups;
	int by_team = r->f.group == STATS_GROUP_TEAM;

	rows = json_array();
	if (n > 0 && ((labels = calloc(n, sizeof(*labels))) == NULL ||
	    (vals = calloc(n * 3, sizeof(*vals))) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		const struct stats_counts *g = &r->groups[i];
		const long long *v = g->v;
		char name[32];

		if (by_team)
			snprintf(labels[i], sizeof(labels[i]), "%.14s%s", g->key,
			    strlen(g->key) > 14 ? "..." : "");
		else
			month_abbr(g->key, labels[i], sizeof(labels[i]));
		vals[i * 3] = v[STATS_MULTI_AGENCY];
		vals[i * 3 + 1] = v[STATS_PARTIAL];
		vals[i * 3 + 2] = v[STATS_SINGLE_AGENCY];
		json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:o, "
		    "s:I, s:I, s:o, s:I, s:I, s:I}", "key", by_team ? g->key :
		    month_abbr(g->key, name, sizeof(name)),
		    "held", (json_int_t)v[STATS_HELD],
		    "multi", (json_int_t)v[STATS_MULTI_AGENCY],
		    "multi_pct", pct(v[STATS_MULTI_AGENCY], v[STATS_HELD]),
		    "partial", (json_int_t)v[STATS_PARTIAL],
		    "single", (json_int_t)v[STATS_SINGLE_AGENCY],
		    "missing", missing_cells(r, g),
		    "cancelled", (json_int_t)v[STATS_CANCELLED],
		    "unreviewed", (json_int_t)v[STATS_UNREVIEWED_FLAGS],
		    "added_on_day", (json_int_t)stats_added_on_day(r, g)));
	}
	chart = vchart("chart-classes", by_team ? "Multi-agency, partial and "
	    "single-agency discussions by team" : "Multi-agency, partial and "
	    "single-agency discussions by month",
	    textf("Of %lld strategy discussions held, %lld (%.1f%%) were "
	    "multi-agency, %lld (%.1f%%) partial and %lld (%.1f%%) "
	    "single-agency. Each bar is %s; the table below gives the "
	    "numbers.", t[STATS_HELD], t[STATS_MULTI_AGENCY],
	    pc(t[STATS_MULTI_AGENCY], t[STATS_HELD]), t[STATS_PARTIAL],
	    pc(t[STATS_PARTIAL], t[STATS_HELD]), t[STATS_SINGLE_AGENCY],
	    pc(t[STATS_SINGLE_AGENCY], t[STATS_HELD]), by_team ? "a team" :
	    "a month"), s, 3, labels, NULL, vals, n);
out:
	free(labels);
	free(vals);
	*table = rows;
	return chart;
}

static json_t *
chart_agencies(const struct stats_report *r, json_t **table)
{
	char (*names)[64] = NULL, (*values)[48] = NULL;
	long long *pm = NULL;
	json_t *rows, *chart = NULL, *worst = NULL;
	size_t i, n = r->nagencies;
	double lowest = 101;

	rows = json_array();
	if (n > 0 && ((names = calloc(n, sizeof(*names))) == NULL ||
	    (values = calloc(n, sizeof(*values))) == NULL ||
	    (pm = calloc(n, sizeof(*pm))) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		const struct stats_agency *a = &r->agencies[i];

		str_copy(names[i], a->name, sizeof(names[i]));
		pm[i] = a->invited > 0 ? a->present * 1000 / a->invited : 0;
		if (a->invited > 0)
			snprintf(values[i], sizeof(values[i]), "%.1f%% (%lld of "
			    "%lld)", pc(a->present, a->invited), a->present,
			    a->invited);
		else
			str_copy(values[i], "not invited", sizeof(values[i]));
		if (a->statutory && a->invited > 0 &&
		    pc(a->present, a->invited) < lowest) {
			lowest = pc(a->present, a->invited);
			json_decref(worst);
			worst = json_string(a->name);
		}
		json_array_append_new(rows, json_pack("{s:s, s:s, s:b, s:I, "
		    "s:I, s:I, s:I, s:I, s:o}", "agency", a->code, "name",
		    a->name,
		    "statutory", a->statutory, "invited", (json_int_t)a->invited,
		    "present", (json_int_t)a->present, "contributed",
		    (json_int_t)a->contributed, "missing",
		    (json_int_t)a->missing, "added_on_day",
		    (json_int_t)a->added_on_day, "rate", pct(a->present,
		    a->invited)));
	}
	chart = hchart("chart-agencies", "Attendance by agency",
	    worst != NULL ? textf("Share of held discussions each agency was "
	    "invited to at which someone from it attended. Lowest of the "
	    "statutory agencies: %s, %.1f%%.", json_string_value(worst),
	    lowest) : json_string("No agency was invited to a held discussion "
	    "in this period."), names, pm, values, n);
out:
	json_decref(worst);
	free(names);
	free(values);
	free(pm);
	*table = rows;
	return chart;
}

static json_t *
chart_timeliness(const struct stats_report *r, int conference,
    json_t **table)
{
	static const char *const cd[] = { "0", "1", "2", "3", "4-5", "6-10",
		"11+" };
	static const char *const ic[] = { "0-10", "11-15", "16-20", "21-30",
		"31+" };
	static const struct series s[] = { { "within target", C_BLUE } };
	const long long *v = r->total.v;
	const char *fills[7];
	char labels[7][32];
	long long vals[7];
	size_t i, n = conference ? 5 : 7;
	long long within = conference ? stats_icpc_within(v) :
	    stats_concern_within(v, r->target_wd);
	long long den = conference ? v[STATS_ICPC_HELD] : v[STATS_HELD];
	json_t *rows = json_array();
	char words[40];

	for (i = 0; i < n; i++) {
		int in = conference ? i < 2 : (int)i <= r->target_wd;

		str_copy(labels[i], conference ? ic[i] : cd[i],
		    sizeof(labels[i]));
		vals[i] = v[(conference ? STATS_IC_0_10 : STATS_CD_0) + i];
		fills[i] = in ? C_BLUE : C_GREY;
		json_array_append_new(rows, json_pack("{s:s, s:I, s:o, s:b}",
		    "days", labels[i], "count", (json_int_t)vals[i], "share",
		    pct(vals[i], den), "within", in));
	}
	*table = rows;
	if (den == 0)
		return vchart(conference ? "chart-conference" : "chart-concern",
		    conference ? "Working days from strategy discussion to "
		    "initial child protection conference" : "Working days from "
		    "concern to strategy discussion", json_string(conference ?
		    "No initial conference is recorded for a Section 47 enquiry "
		    "started in this period." : "No strategy discussion was held "
		    "in this period."), s, 1, labels, fills, vals, n);
	if (conference)
		return vchart("chart-conference", "Working days from strategy "
		    "discussion to initial child protection conference",
		    textf("%lld of %lld initial conferences (%.1f%%) were within "
		    "the Working Together timescale of 15 working days from "
		    "the strategy discussion that started the Section 47 "
		    "enquiry. Blue bars are within 15 working days, grey bars "
		    "later.", within, den,
		    pc(within, den)), s, 1, labels, fills, vals, n);
	target_words(r->target_wd, words, sizeof(words));
	return vchart("chart-concern", "Working days from concern to "
	    "strategy discussion", textf("%lld of %lld held discussions "
	    "(%.1f%%) were held %s the concern, the target. Blue bars are "
	    "within the target, grey bars later.", within, den,
	    pc(within, den), words), s, 1, labels, fills, vals, n);
}

/* The name the agencies table gives code, when the report has it. */
static const char *
agency_name(const struct stats_report *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->nagencies; i++)
		if (strcmp(r->agencies[i].code, code) == 0)
			return r->agencies[i].name;
	return code;
}

static json_t *
org_rows(const struct stats_report *r)
{
	json_t *rows = json_array();
	size_t i;

	for (i = 0; i < r->norgs; i++) {
		const struct stats_org *o = &r->orgs[i];

		json_array_append_new(rows, json_pack("{s:s, s:s, s:I, s:I, "
		    "s:o, s:I, s:I, s:I, s:I, s:I}", "name", o->name[0] ?
		    o->name : "(no organisation)", "agency",
		    agency_name(r, o->agency), "invited",
		    (json_int_t)o->invited, "present", (json_int_t)o->present,
		    "rate", pct(o->present, o->invited), "people",
		    (json_int_t)o->people, "accepted", (json_int_t)o->accepted,
		    "declined", (json_int_t)o->declined, "tentative",
		    (json_int_t)o->tentative, "no_reply",
		    (json_int_t)o->no_reply));
	}
	return rows;
}

/* ---- the dashboard ------------------------------------------------------------ */

int
web_stats_dashboard(struct http_req *rq, struct http_resp *rs)
{
	struct stats_report r;
	struct stats_filter f;
	struct web_errors we;
	struct verr e = { 0 };
	struct db_pool *owner;
	struct params p;
	struct db *db;
	json_t *d, *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *charts;
	json_t *c1, *c2, *c3, *c4, *kids = NULL;
	char from[48], to[48];
	int have = 0, status = 500;

	web_errors_init(&we);
	memset(&r, 0, sizeof(r));
	params_init(&p, rq, 1);
	db = stats_read_db(rq, &owner);
	if (page_filter(rq, db, &p, &f, &we, &e) != 0) {
		stats_read_db_put(db, owner);
		web_errors_free(&we);
		return web_fail(rq, rs, &e);
	}
	if (!web_errors_any(&we)) {
		if (stats_report_run(db, &f, &r, &e) != 0) {
			stats_read_db_put(db, owner);
			web_errors_free(&we);
			return web_fail(rq, rs, &e);
		}
		if ((kids = annex_counts(db, &f)) == NULL) {
			stats_read_db_put(db, owner);
			stats_report_free(&r);
			web_errors_free(&we);
			return rs->status = 500;
		}
		have = 1;
	}
	d = json_object();
	if (filter_fields(rq, db, &we, &p, 1, d) != 0) {
		stats_read_db_put(db, owner);
		json_decref(d);
		goto out;
	}
	stats_read_db_put(db, owner);
	json_object_set_new(d, "is_manager",
	    json_boolean(rq->user.role == ROLE_MANAGER));
	if (have) {
		day_text(f.from_day, from, sizeof(from));
		day_text(f.to_day, to, sizeof(to));
		json_object_set_new(d, "have", json_true());
		json_object_set_new(d, "scope", json_string(f.team[0] ? f.team :
		    "All teams"));
		json_object_set_new(d, "range_text", textf("%s to %s", from,
		    to));
		json_object_set_new(d, "cards", cards(&r, kids));
		/* Each chart first: it fills its table. */
		c1 = chart_classes(&r, &t1);
		c2 = chart_agencies(&r, &t2);
		c3 = chart_timeliness(&r, 0, &t3);
		c4 = chart_timeliness(&r, 1, &t4);
		charts = json_pack("[{s:o*, s:{s:o, s:b, s:o}}, {s:o*, s:{s:o}}, "
		    "{s:o*, s:{s:o, s:b, s:i}}, {s:o*, s:{s:o, s:b, s:i}}]",
		    "chart", c1, "class_table", "rows", t1, "is_team",
		    f.group == STATS_GROUP_TEAM, "missing_cols",
		    missing_columns(&r),
		    "chart", c2, "agency_table", "rows", t2,
		    "chart", c3, "time_table", "rows", t3, "conference", 0,
		    "target", r.target_wd,
		    "chart", c4, "time_table", "rows", t4, "conference", 1,
		    "target", WORKDAYS_ICPC_TARGET);
		if (charts == NULL) {
			json_decref(d);
			goto out;
		}
		json_object_set_new(d, "charts", charts);
		json_object_set_new(d, "orgs", org_rows(&r));
		json_object_set_new(d, "orgs_truncated",
		    json_boolean(r.orgs_truncated));
		json_object_set_new(d, "csv_href", href(&f, "/api/v1/stats.csv",
		    f.group == STATS_GROUP_TEAM ? "group_by=team" : NULL));
		json_object_set_new(d, "list_csv_href", href(&f,
		    "/api/v1/stats/discussions.csv", NULL));
		json_object_set_new(d, "s47_href", href(&f,
		    "/api/v1/stats/section47.csv", NULL));
		json_object_set_new(d, "unreviewed_href", href(&f,
		    "/stats/discussions", "review=unreviewed"));
		json_object_set_new(d, "unreviewed",
		    json_integer(r.total.v[STATS_UNREVIEWED_FLAGS]));
	}
	web_errors_put(&we, d);
	status = web_page(rq, rs, 200, "stats", "Statistics", d);
out:
	json_decref(kids);
	stats_report_free(&r);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- the discussions behind a figure ------------------------------------------ */

static const char *const list_keys[] = { "classification", "status",
	"missing", "review", "signed_off", "child_views", "concern", "icpc",
	NULL };

/* What the list shows, in words: "single-agency, unreviewed". */
static json_t *
list_title(const struct stats_filter *f)
{
	struct buf b;
	json_t *s;

	buf_init(&b, 512);
	if (f->classification[0])
		buf_printf(&b, "%s, ", web_class_name(f->classification));
	if (f->status[0])
		buf_printf(&b, "%s, ", web_status_name(f->status));
	if (f->missing[0])
		buf_printf(&b, "%s missing, ", f->missing_name);
	if (f->review[0])
		buf_printf(&b, "%s, ", strcmp(f->review, "unreviewed") == 0 ?
		    "awaiting a manager's review" : strcmp(f->review, "agree") ==
		    0 ? "reviewed, reason agreed" : strcmp(f->review,
		    "flagged") == 0 ? "single-agency or partial" : "reviewed, "
		    "practice concern");
	if (f->signed_off[0])
		buf_printf(&b, "%s, ", f->signed_off[0] == 'y' ? "signed off" :
		    "not signed off");
	if (f->child_views[0])
		buf_printf(&b, "child's views %s, ", f->child_views[0] == 'y' ?
		    "recorded" : "not recorded");
	if (f->concern[0])
		buf_printf(&b, "%s the target, ", f->concern[0] == 'w' ?
		    "within" : "outside");
	if (f->icpc[0])
		buf_printf(&b, "conference: %s, ", f->icpc);
	if (b.len >= 2)
		b.data[b.len - 2] = '\0';
	s = json_string(b.len ? buf_cstr(&b) : "all");
	buf_free(&b);
	return s;
}

/* The list's own address (filters and conditions), for "back" links. */
static json_t *
list_self(const struct stats_filter *f, const struct http_req *rq,
    long page)
{
	struct buf b;
	const char *v;
	char *esc;
	size_t i;
	json_t *s;

	buf_init(&b, 4096);
	for (i = 0; list_keys[i] != NULL; i++) {
		if ((v = q(rq, list_keys[i]))[0] == '\0' ||
		    (esc = curl_easy_escape(NULL, v, 0)) == NULL)
			continue;
		buf_printf(&b, "%s%s=%s", b.len ? "&" : "", list_keys[i], esc);
		curl_free(esc);
	}
	if (page > 1)
		buf_printf(&b, "%spage=%ld", b.len ? "&" : "", page);
	s = href(f, "/stats/discussions", b.len ? buf_cstr(&b) : NULL);
	buf_free(&b);
	return s;
}

static json_t *
list_row(json_t *m, int manager, json_t *back, const char *back_esc)
{
	const char *cls = json_string_value(json_object_get(m,
	    "classification"));
	const char *review = json_string_value(json_object_get(m, "review"));
	const char *conf = json_string_value(json_object_get(m, "conference"));
	char when[96], missing[200];
	json_int_t id = json_integer_value(json_object_get(m, "id"));
	int held = strcmp(json_string_value(json_object_get(m, "status")) ?
	    json_string_value(json_object_get(m, "status")) : "", "held") == 0;
	int signed_off = json_is_true(json_object_get(m, "signed_off"));

	char review_href[4400];

	web_when(json_string_value(json_object_get(m, "starts_at")), when,
	    sizeof(when));
	web_agency_list(json_object_get(m, "missing_agencies"), missing,
	    sizeof(missing));
	snprintf(review_href, sizeof(review_href),
	    "/stats/discussions/%lld/review?back=%s", (long long)id, back_esc);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s?, s:b, s:b, "
	    "s:b, s:b, s:s?, s:O, s:s}",
	    "id", id,
	    "case_ref", json_string_value(json_object_get(m, "case_ref")),
	    "when", when,
	    "team", json_string_value(json_object_get(m, "team")),
	    "status_text", web_status_name(json_string_value(
	    json_object_get(m, "status"))),
	    "tag", web_class_tag(cls),
	    "missing", missing,
	    "review", review == NULL ? NULL : strcmp(review, "unreviewed") == 0
	    ? "Awaiting review" : strcmp(review, "agree") == 0 ? "Reason "
	    "agreed" : "Practice concern",
	    "can_review", manager && review != NULL,
	    "needs_review", review != NULL && strcmp(review, "unreviewed") == 0,
	    "signed_off", signed_off,
	    "can_sign_off", manager && held && !signed_off &&
	    (review == NULL || strcmp(review, "unreviewed") != 0),
	    "conference", conf,
	    "back", back,
	    "review_href", review_href);
}

int
web_stats_list(struct http_req *rq, struct http_resp *rs)
{
	struct stats_filter f;
	struct web_errors we;
	struct verr e = { 0 };
	struct db_pool *owner;
	struct params p;
	struct db *db;
	json_t *d, *list = NULL, *rows, *m, *back = NULL;
	long page = 1, total, pages;
	int manager = rq->user.role == ROLE_MANAGER, status = 500;
	size_t i;

	web_errors_init(&we);
	params_init(&p, rq, 0);
	if (q(rq, "page")[0] != '\0' &&
	    str_to_long(q(rq, "page"), 1, 100000, &page) != 0)
		page = 1;
	db = stats_read_db(rq, &owner);
	if (page_filter(rq, db, &p, &f, &we, &e) != 0) {
		stats_read_db_put(db, owner);
		web_errors_free(&we);
		return web_fail(rq, rs, &e);
	}
	if (!web_errors_any(&we) && stats_list(db, &f, WEB_PER_PAGE,
	    (page - 1) * WEB_PER_PAGE, &list, &e) != 0) {
		stats_read_db_put(db, owner);
		web_errors_free(&we);
		return web_fail(rq, rs, &e);
	}
	d = json_object();
	if (filter_fields(rq, db, &we, &p, 0, d) != 0) {
		stats_read_db_put(db, owner);
		json_decref(d);
		goto out;
	}
	stats_read_db_put(db, owner);
	rows = json_array();
	if (list != NULL) {
		char *esc;

		back = list_self(&f, rq, page);
		esc = curl_easy_escape(NULL, json_string_value(back), 0);
		json_array_foreach(json_object_get(list, "discussions"), i, m)
			json_array_append_new(rows, list_row(m, manager, back,
			    esc != NULL && strlen(esc) < 4000 ? esc : ""));
		curl_free(esc);
	}
	total = (long)json_integer_value(json_object_get(list, "total"));
	pages = (total + WEB_PER_PAGE - 1) / WEB_PER_PAGE;
	json_object_set_new(d, "rows", rows);
	json_object_set_new(d, "any", json_boolean(json_array_size(rows) > 0));
	json_object_set_new(d, "total", json_integer(total));
	json_object_set_new(d, "page", json_integer(page));
	json_object_set_new(d, "pages", json_integer(pages ? pages : 1));
	json_object_set_new(d, "what", list_title(&f));
	json_object_set_new(d, "scope", json_string(f.team[0] ? f.team :
	    "All teams"));
	json_object_set_new(d, "done", json_boolean(strcmp(q(rq, "done"),
	    "review") == 0));
	json_object_set_new(d, "signed", json_boolean(strcmp(q(rq, "done"),
	    "sign-off") == 0));
	if (list != NULL) {
		struct buf b;
		const char *v;
		char *esc;
		size_t k;

		buf_init(&b, 4096);
		for (k = 0; list_keys[k] != NULL; k++) {
			if ((v = q(rq, list_keys[k]))[0] == '\0' ||
			    (esc = curl_easy_escape(NULL, v, 0)) == NULL)
				continue;
			buf_printf(&b, "%s%s=%s", b.len ? "&" : "",
			    list_keys[k], esc);
			curl_free(esc);
		}
		json_object_set_new(d, "csv_href", href(&f,
		    "/api/v1/stats/discussions.csv", b.len ? buf_cstr(&b) :
		    NULL));
		if (page > 1) {
			buf_printf(&b, "%spage=%ld", b.len ? "&" : "", page - 1);
			json_object_set_new(d, "prev", href(&f,
			    "/stats/discussions", buf_cstr(&b)));
		}
		buf_free(&b);
		if (page < pages) {
			json_t *nx;
			char extra[4200];

			buf_init(&b, 4096);
			for (k = 0; list_keys[k] != NULL; k++) {
				if ((v = q(rq, list_keys[k]))[0] == '\0' ||
				    (esc = curl_easy_escape(NULL, v, 0)) ==
				    NULL)
					continue;
				buf_printf(&b, "%s=%s&", list_keys[k], esc);
				curl_free(esc);
			}
			snprintf(extra, sizeof(extra), "%spage=%ld",
			    buf_cstr(&b), page + 1);
			nx = href(&f, "/stats/discussions", extra);
			json_object_set_new(d, "next", nx);
			buf_free(&b);
		}
		json_object_set_new(d, "dashboard", href(&f, "/stats", NULL));
	}
	json_decref(back);
	web_errors_put(&we, d);
	status = web_page(rq, rs, 200, "stats_list", "Discussions behind the "
	    "figures", d);
out:
	json_decref(list);
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- review and sign-off ----------------------------------------------------- */

/* Where a review may send the manager back to: the statistics pages or a
 * meeting page (its authorisation panel), local paths only. */
static int
back_ok(const char *b)
{
	if (b == NULL || strstr(b, "//") != NULL || str_has_ctl(b))
		return 0;
	if (strncmp(b, "/meetings/", 10) == 0)
		return strspn(b + 10, "0123456789") > 0;
	return strncmp(b, "/stats", 6) == 0 &&
	    (b[6] == '\0' || b[6] == '?' || b[6] == '/');
}

/* Where to go back to: back_ok's, else the flagged list. */
static void
back_to(const struct http_req *rq, char *out, size_t outlen)
{
	const char *b = form_get(&rq->form, "back");

	if (!back_ok(b) || str_copy(out, b, outlen) >= outlen)
		str_copy(out, "/stats/discussions?review=unreviewed", outlen);
}

static int
review_view(struct http_req *rq, struct http_resp *rs, long id,
    struct web_errors *we, const char *back)
{
	struct verr e = { 0 };
	json_t *m = NULL, *st = NULL, *d, *fl;
	const char *decision = form_get(&rq->form, "decision");
	const char *note = form_get(&rq->form, "note");
	char when[96], missing[200];
	int status;

	if (meeting_get(rq->db, &rq->user, id, &m, &e) != 0 ||
	    review_get(rq->db, &rq->user, id, &st, &e) != 0) {
		json_decref(m);
		return web_fail(rq, rs, &e);
	}
	web_when(json_string_value(json_object_get(m, "starts_at")), when,
	    sizeof(when));
	web_agency_list(json_object_get(m, "missing_agencies"), missing,
	    sizeof(missing));
	d = json_pack("{s:I, s:s?, s:s, s:s?, s:o, s:s, s:s?, s:s?, s:O, "
	    "s:s}",
	    "id", (json_int_t)id,
	    "case_ref", json_string_value(json_object_get(m, "case_ref")),
	    "when", when,
	    "team", json_string_value(json_object_get(m, "team")),
	    "tag", web_class_tag(json_string_value(json_object_get(m,
	    "classification"))),
	    "missing", missing,
	    "planned_reason", json_string_value(json_object_get(m,
	    "missing_agency_reason")),
	    "absence_reason", json_string_value(json_object_get(m,
	    "absence_reason")),
	    "state", st,
	    "return_to", back);
	json_object_set_new(d, "f_decision", fl = web_fld(we, "decision",
	    "Your review", NULL, decision));
	json_object_set_new(fl, "items", web_choices("decision",
	    (const char *const[]){ "agree", "Agree the recorded reason",
	    "practice_concern", "Mark it a practice concern", NULL },
	    decision));
	json_object_set_new(d, "f_note", web_fld(we, "note", "Note",
	    "Required for a practice concern: say what should have happened",
	    note));
	json_decref(m);
	json_decref(st);
	status = web_errors_any(we) ? 422 : 200;
	web_errors_put(we, d);
	return web_page(rq, rs, status, "stats_review", "Review a flagged "
	    "discussion", d);
}

static int
path_id(struct http_req *rq, struct http_resp *rs, long *id)
{
	if (http_param_id(rq, 0, id) == 0)
		return 0;
	return http_error(rq, rs, 404, NULL, "there is no strategy "
	    "discussion at this address");
}

int
web_stats_review_form(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	char back[1024];
	const char *b = q(rq, "back");
	long id;
	int status;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	if (back_ok(b) && str_copy(back, b, sizeof(back)) < sizeof(back))
		;
	else
		str_copy(back, "/stats/discussions?review=unreviewed",
		    sizeof(back));
	web_errors_init(&we);
	status = review_view(rq, rs, id, &we, back);
	web_errors_free(&we);
	return status;
}

/* back with "done=WHAT" added. */
static int
redirect_done(struct http_resp *rs, const char *back, const char *what)
{
	return web_redirectf(rs, "%s%sdone=%s", back, strchr(back, '?') ?
	    "&" : "?", what);
}

int
web_stats_review_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "decision", "decision", "note",
		"note", NULL };
	struct web_errors we;
	struct verr e = { 0 };
	const char *decision, *note;
	json_t *body, *out = NULL;
	char back[1024];
	long id;
	int status;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	back_to(rq, back, sizeof(back));
	web_errors_init(&we);
	decision = form_get(&rq->form, "decision");
	note = form_get(&rq->form, "note");
	if (decision == NULL || decision[0] == '\0') {
		web_error(&we, "decision", NULL, "Select whether you agree the "
		    "recorded reason or mark a practice concern");
		goto again;
	}
	body = json_pack("{s:s, s:s}", "decision", decision, "note",
	    note != NULL ? note : "");
	if (body == NULL) {
		web_errors_free(&we);
		return rs->status = 500;
	}
	if (review_flag(rq->db, &rq->user, id, body, &out, &e) != 0) {
		json_decref(body);
		if (e.status == 422) {
			web_error_verr(&we, &e, map);
			goto again;
		}
		web_errors_free(&we);
		return web_fail(rq, rs, &e);
	}
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	return redirect_done(rs, back, "review");
again:
	status = review_view(rq, rs, id, &we, back);
	web_errors_free(&we);
	return status;
}

int
web_stats_sign_off_post(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	char back[1024];
	long id;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	back_to(rq, back, sizeof(back));
	if ((body = json_object()) == NULL)
		return rs->status = 500;
	if (review_sign_off(rq->db, &rq->user, id, body, &out, &e) != 0) {
		json_decref(body);
		/* A discussion with a record is authorised with oversight,
		 * on its page. */
		if (e.status == 422 && strcmp(e.field, "note") == 0)
			return web_redirectf(rs, "/meetings/%ld#authorisation",
			    id);
		return web_fail(rq, rs, &e);
	}
	json_decref(body);
	json_decref(out);
	return redirect_done(rs, back, "sign-off");
}
