/*
 * web: the page layer's shared parts: the route table, loading templates at
 * start, rendering a page with the layout's values, the HTML error page,
 * static assets (our web/ files and govuk-frontend's dist/govuk), form
 * helpers (error summary, GOV.UK date inputs, times as people type them) and
 * the words shown for codes. The pages themselves are in web_*.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "model_list.h"
#include "router.h"
#include "str.h"
#include "tmpl.h"
#include "vocab.h"
#include "web.h"

#define STATIC_MAX	(8 * 1024 * 1024)	/* largest asset served */
#define STATIC_PATH_MAX	200

static struct tmpl_set	*pages;
static char		 asset_v[16];

/* ---- wording ----------------------------------------------------------- */

struct word {
	const char	*code;
	const char	*text;
};

/*
 * The agencies are data (the agencies table): their codes and names are
 * read once at start, so a new agency needs a migration and no code.
 */
#define WEB_AGENCY_NAME_MAX	200

static char	 agency_code[WEB_MAX_AGENCIES][MODEL_AGENCY_CODE_MAX + 1];
static char	 agency_text[WEB_MAX_AGENCIES][WEB_AGENCY_NAME_MAX + 1];
const char	*web_agencies[WEB_MAX_AGENCIES + 1];

static const struct word class_colours[] = {
	{ "multi_agency", "govuk-tag--green" },
	{ "partial", "govuk-tag--orange" },
	{ "single_agency", "govuk-tag--red" },
	{ NULL, NULL }
};

static const char *
word(const struct word *w, const char *code)
{
	if (code == NULL)
		return "";
	for (; w->code != NULL; w++)
		if (strcmp(w->code, code) == 0)
			return w->text;
	return code;
}

const char *
web_agency_name(const char *code)
{
	size_t i;

	if (code == NULL)
		return "";
	for (i = 0; web_agencies[i] != NULL; i++)
		if (strcmp(web_agencies[i], code) == 0)
			return agency_text[i];
	return code;
}

const char *
web_class_name(const char *code)
{
	return code == NULL ? "" : vocab_words(VOCAB_CLASSIFICATION, code);
}

const char *
web_class_colour(const char *code)
{
	return word(class_colours, code);
}

const char *
web_status_name(const char *code)
{
	return code == NULL ? "" : vocab_words(VOCAB_STATUS, code);
}

const char *
web_attendance_name(const char *code)
{
	return code == NULL ? "Not recorded" : vocab_words(VOCAB_ATTENDANCE,
	    code);
}

const char *
web_decision_name(const char *code)
{
	return code == NULL ? "" : vocab_words(VOCAB_DECISION, code);
}

const char *
web_format_name(const char *code)
{
	return code == NULL ? "" : vocab_words(VOCAB_FORMAT, code);
}

json_t *
web_class_tag(const char *code)
{
	if (code == NULL)
		return json_null();
	return json_pack("{s:s, s:s, s:s}", "code", code, "text",
	    web_class_name(code), "colour", web_class_colour(code));
}

void
web_when(const char *iso, char *out, size_t outlen)
{
	char err[128];
	time_t t;

	out[0] = '\0';
	if (iso == NULL || ltime_parse(iso, &t, err, sizeof(err)) != 0 ||
	    ltime_format_human(t, out, outlen) != 0)
		str_copy(out, iso ? iso : "", outlen);
}

void
web_day(const char *ymd, char *out, size_t outlen)
{
	static const char *const months[] = { "January", "February", "March",
		"April", "May", "June", "July", "August", "September",
		"October", "November", "December" };
	char err[128];
	int y, m, d;

	if (ymd == NULL || ltime_parse_date(ymd, &y, &m, &d, err,
	    sizeof(err)) != 0) {
		str_copy(out, ymd ? ymd : "", outlen);
		return;
	}
	snprintf(out, outlen, "%d %s %d", d, months[m - 1], y);
}

void
web_agency_list(json_t *codes, char *out, size_t outlen)
{
	size_t i, n = json_array_size(codes), used = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < n && used < outlen; i++) {
		w = snprintf(out + used, outlen - used, "%s%s",
		    i == 0 ? "" : (i + 1 == n ? " and " : ", "),
		    web_agency_name(json_string_value(json_array_get(codes,
		    i))));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void
web_agency_words(const struct agency_list *l, char *out, size_t outlen)
{
	size_t i, used = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < l->n && used < outlen; i++) {
		w = snprintf(out + used, outlen - used, "%s%s",
		    i == 0 ? "" : (i + 1 == l->n ? " and " : ", "),
		    web_agency_name(l->codes[i]));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void
web_today(char *out, size_t outlen)
{
	int y, m, d, h, mi;

	if (ltime_local(time(NULL), &y, &m, &d, &h, &mi) != 0) {
		str_copy(out, "", outlen);
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
}

int
web_discussion_load(struct http_req *rq, struct http_resp *rs, long *id,
    struct discussion **d)
{
	struct verr e = { 0 };
	int rc;

	*d = NULL;
	if (http_param_id(rq, 0, id) != 0) {
		http_error(rq, rs, 404, NULL, "there is nothing at this address");
		return -1;
	}
	if (meeting_visible(rq->db, &rq->user, *id, &e) != 0) {
		web_fail(rq, rs, &e);
		return -1;
	}
	if ((rc = model_discussion_load(rq->db, *id, d)) != 0) {
		if (rc == 1)
			http_error(rq, rs, 404, NULL, "there is nothing at this "
			    "address");
		else
			rs->status = 500;
		return -1;
	}
	return 0;
}

/* A string the page shows as null when absent. */
static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The row view both a summary and a whole discussion show. */
static json_t *
meeting_row(long id, const char *case_ref, const char *team,
    const char *starts_at, const char *status, const char *kind,
    const char *classification, const char *planned,
    const struct agency_list *missing)
{
	const char *cls = classification != NULL ? classification : planned;
	char when[96], words[200];

	web_when(starts_at, when, sizeof(when));
	web_agency_words(missing, words, sizeof(words));
	return json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:b, "
	    "s:s, s:b}", "id", (json_int_t)id, "case_ref",
	    str_or_null(case_ref), "team", str_or_null(team),
	    "when", when, "status", status ? status : "", "status_text",
	    web_status_name(status), "kind_text", kind != NULL &&
	    strcmp(kind, "discussion") == 0 ? "Discussion" : "Meeting",
	    "tag", web_class_tag(cls), "held", classification != NULL,
	    "missing", words, "is_meeting", kind == NULL ||
	    strcmp(kind, "meeting") == 0);
}

json_t *
web_meeting_row(const struct discussion_summary *m)
{
	return meeting_row(m->id, m->case_ref, m->team, m->starts_at,
	    m->status, m->kind, m->classification, m->planned_classification,
	    &m->missing);
}

json_t *
web_discussion_row(const struct discussion *d)
{
	return meeting_row(d->id, d->case_ref, d->team, d->starts_at,
	    d->status, d->kind, d->classification, d->planned_classification,
	    &d->missing);
}

/* ---- rendering --------------------------------------------------------- */

static json_t *
nav(const struct http_req *rq)
{
	static const struct {
		const char	*href;
		const char	*text;
		unsigned	 roles;
	} items[] = {
		{ "/", "Home", ROLE_ANY },
		{ "/meetings/new", "Book a meeting", ROLE_SOCIAL_WORKER },
		{ "/meetings", "Strategy discussions", ROLE_STAFF },
		{ "/stats", "Statistics", ROLE_STAFF },
		{ "/directory", "Directory", ROLE_ANY },
		{ "/admin/users", "Users and teams", ROLE_ADMIN },
		{ "/admin/settings", "Settings", ROLE_ADMIN },
	};
	const char *cur = "/";
	json_t *list = json_array();
	size_t i;

	/* The most specific item whose path starts the request's path. */
	for (i = 1; i < sizeof(items) / sizeof(items[0]); i++)
		if (strncmp(rq->path, items[i].href,
		    strlen(items[i].href)) == 0 && strlen(items[i].href) >
		    strlen(cur) && (items[i].roles & (unsigned)rq->user.role))
			cur = items[i].href;
	if (strcmp(cur, "/meetings") == 0 && strncmp(rq->path, "/meetings/new",
	    13) == 0)
		cur = "/meetings/new";
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (!(items[i].roles & (unsigned)rq->user.role))
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}",
		    "href", items[i].href, "text", items[i].text, "current",
		    strcmp(items[i].href, cur) == 0));
	}
	return list;
}

int
web_page(struct http_req *rq, struct http_resp *rs, int status,
    const char *name, const char *title, json_t *data)
{
	const struct auth_user *u = &rq->user;
	int rc;

	buf_reset(&rs->body);
	if (data == NULL)
		return rs->status = 500;
	json_object_set_new(data, "page_title", json_string(title));
	json_object_set_new(data, "asset_v", json_string(asset_v));
	if (rq->authenticated && u->id > 0) {
		json_object_set_new(data, "me", json_pack("{s:s, s:s, s:s, "
		    "s:b, s:b, s:b}", "name", u->display_name[0] ?
		    u->display_name : u->username, "team", u->team_name,
		    "role", u->role == ROLE_SOCIAL_WORKER ? "Social worker" :
		    u->role == ROLE_MANAGER ? "Manager" : "Administrator",
		    "is_sw", u->role == ROLE_SOCIAL_WORKER,
		    "is_manager", u->role == ROLE_MANAGER,
		    "is_admin", u->role == ROLE_ADMIN));
		json_object_set_new(data, "nav", nav(rq));
		json_object_set_new(data, "csrf_token", json_string(u->csrf));
	}
	rc = tmpl_render(pages, name, data, &rs->body);
	json_decref(data);
	if (rc != 0) {
		log_error("web", "template %s did not render", name);
		buf_reset(&rs->body);
		return rs->status = 500;
	}
	str_copy(rs->content_type, "text/html; charset=utf-8",
	    sizeof(rs->content_type));
	return rs->status = status;
}

int
web_redirectf(struct http_resp *rs, const char *fmt, ...)
{
	char loc[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(loc, sizeof(loc), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(loc))
		return rs->status = 500;
	return http_redirect(rs, loc);
}

/* Strip "field: " from a model message and capitalise it. */
static void
plain_message(const struct verr *e, char *out, size_t outlen)
{
	const char *m = e->msg, *colon;
	size_t flen = strlen(e->field);

	if (flen > 0 && strncmp(m, e->field, flen) == 0 && m[flen] == ':')
		m += flen + 1;
	else if ((colon = strstr(m, ": ")) != NULL && colon - m < 64 &&
	    strchr(m, ' ') > colon)
		m = colon + 1;
	while (*m == ' ')
		m++;
	str_copy(out, m, outlen);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

int
web_fail(struct http_req *rq, struct http_resp *rs, const struct verr *e)
{
	char msg[256];

	if (e->status == 500) {
		buf_reset(&rs->body);
		return rs->status = 500;
	}
	plain_message(e, msg, sizeof(msg));
	return http_error(rq, rs, e->status, NULL, "%s", msg);
}

static const char *
error_heading(int status)
{
	switch (status) {
	case 400: return "There is a problem with the request";
	case 401: return "Sign in to continue";
	case 403: return "You cannot do this";
	case 404: return "Page not found";
	case 405: return "This address does not accept that";
	case 409: return "This has changed";
	case 413: return "The form is too large";
	case 422: return "There is a problem";
	case 429: return "Too many attempts";
	case 503: return "Sorry, the service is unavailable";
	default: return "Sorry, there is a problem with the service";
	}
}

/* The http_error_page hook: every non-API error as a GOV.UK page. */
static int
error_page(struct http_req *rq, struct http_resp *rs, int status,
    const char *message)
{
	const char *heading = error_heading(status);
	char msg[512];
	json_t *d;

	str_copy(msg, message, sizeof(msg));
	if (msg[0] >= 'a' && msg[0] <= 'z')
		msg[0] = (char)(msg[0] - 'a' + 'A');
	d = json_pack("{s:s, s:s, s:i, s:b}", "heading", heading, "message",
	    msg, "status", status, "sign_in", status == 401);
	if (web_page(rq, rs, status, "error", heading, d) == status)
		return status;
	return http_send(rs, status, "text/plain; charset=utf-8", message,
	    strlen(message));
}

/* ---- form helpers --------------------------------------------------------- */

void
web_errors_init(struct web_errors *we)
{
	we->list = json_array();
	we->by_key = json_object();
}

void
web_error(struct web_errors *we, const char *key, const char *anchor,
    const char *fmt, ...)
{
	char msg[512], href[128];
	va_list ap;

	if (json_object_get(we->by_key, key) != NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		str_copy(msg, "Check this answer", sizeof(msg));
	va_end(ap);
	snprintf(href, sizeof(href), "#%s", anchor ? anchor : key);
	json_object_set_new(we->by_key, key, json_string(msg));
	json_array_append_new(we->list, json_pack("{s:s, s:s}", "href", href,
	    "text", msg));
}

int
web_errors_any(const struct web_errors *we)
{
	return json_array_size(we->list) > 0;
}

void
web_errors_put(struct web_errors *we, json_t *data)
{
	json_object_set_new(data, "has_errors",
	    json_boolean(json_array_size(we->list) > 0));
	json_object_set_new(data, "error_list", we->list);
	json_object_set_new(data, "err", we->by_key);
	we->list = json_array();
	we->by_key = json_object();
}

void
web_errors_free(struct web_errors *we)
{
	json_decref(we->list);
	json_decref(we->by_key);
	we->list = we->by_key = NULL;
}

void
web_error_verr(struct web_errors *we, const struct verr *e,
    const char *const *map)
{
	char msg[256];
	const char *key = NULL, *anchor = NULL;
	size_t i, n;

	plain_message(e, msg, sizeof(msg));
	for (i = 0; map != NULL && map[i] != NULL; i += 2) {
		n = strlen(map[i]);
		if (strncmp(e->field, map[i], n) == 0) {
			key = map[i + 1];
			break;
		}
	}
	if (key == NULL)
		key = "form";
	if ((anchor = strchr(key, '#')) != NULL) {
		/* "key#anchor": the error belongs to key, links to anchor */
		char k[64];
		n = (size_t)(anchor - key);
		if (n >= sizeof(k))
			n = sizeof(k) - 1;
		memcpy(k, key, n);
		k[n] = '\0';
		web_error(we, k, anchor + 1, "%s", msg);
		return;
	}
	web_error(we, key, strcmp(key, "form") == 0 ? "main-content" : NULL,
	    "%s", msg);
}

/* Keys every field view defines (null when unused), so that a partial
 * never picks up a value of the same name from an outer context. */
static const char *const fld_keys[] = { "label_class", "width", "type",
	"autocomplete", "inputmode", "suffix", "rows", "items", "time",
	"inline", "small", "legend_size", "spellcheck_off", "day", "month",
	"year", "checked", "item_hint", "item_id", "text", NULL };

json_t *
web_fld(const struct web_errors *we, const char *id, const char *label,
    const char *hint, const char *value)
{
	json_t *err = we != NULL ? json_object_get(we->by_key, id) : NULL;
	char db[200];
	json_t *f;
	size_t i;

	snprintf(db, sizeof(db), "%s%s%s%s%s", hint ? id : "",
	    hint ? "-hint" : "", hint && err ? " " : "", err ? id : "",
	    err ? "-error" : "");
	f = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:O?, s:s?}", "id", id,
	    "name", id, "label", label, "hint", hint, "value",
	    value ? value : "", "error", err, "describedby",
	    db[0] ? db : NULL);
	if (f == NULL)
		return json_null();
	for (i = 0; fld_keys[i] != NULL; i++)
		json_object_set_new(f, fld_keys[i], json_null());
	json_object_set_new(f, "type", json_string("text"));
	return f;
}

json_t *
web_fld_date(const struct web_errors *we, const struct http_req *rq,
    const char *prefix, const char *label, const char *hint, int with_time)
{
	char key[80], v[32];
	json_t *f = web_fld(we, prefix, label, hint, NULL), *t;

	snprintf(key, sizeof(key), "%s-day", prefix);
	json_object_set_new(f, "day", json_string(rq ?
	    web_field(rq, key, v, sizeof(v)) : ""));
	snprintf(key, sizeof(key), "%s-month", prefix);
	json_object_set_new(f, "month", json_string(rq ?
	    web_field(rq, key, v, sizeof(v)) : ""));
	snprintf(key, sizeof(key), "%s-year", prefix);
	json_object_set_new(f, "year", json_string(rq ?
	    web_field(rq, key, v, sizeof(v)) : ""));
	if (with_time) {
		snprintf(key, sizeof(key), "%s-time", prefix);
		t = json_pack("{s:s, s:O?}", "value", rq ? web_field(rq, key,
		    v, sizeof(v)) : "", "error", we ? json_object_get(we->by_key,
		    key) : NULL);
		json_object_set_new(f, "time", t);
	}
	return f;
}

void
web_fld_set_date(json_t *f, const char *ymd, const char *hm)
{
	char err[128];
	int y, m, d;

	if (ymd == NULL || ltime_parse_date(ymd, &y, &m, &d, err,
	    sizeof(err)) != 0)
		return;
	json_object_set_new(f, "day", json_sprintf("%d", d));
	json_object_set_new(f, "month", json_sprintf("%d", m));
	json_object_set_new(f, "year", json_sprintf("%d", y));
	if (hm != NULL && json_is_object(json_object_get(f, "time")))
		json_object_set_new(json_object_get(f, "time"), "value",
		    json_string(hm));
}

json_t *
web_choices(const char *id, const char *const *pairs, const char *current)
{
	json_t *items = json_array();
	char iid[128];
	size_t i;

	for (i = 0; pairs[i] != NULL; i += 2) {
		if (i == 0)
			str_copy(iid, id, sizeof(iid));
		else
			snprintf(iid, sizeof(iid), "%s-%s", id, pairs[i]);
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:n}", "item_id", iid, "value", pairs[i], "text",
		    pairs[i + 1], "checked", current != NULL &&
		    strcmp(current, pairs[i]) == 0, "item_hint"));
	}
	return items;
}

const char *
web_field(const struct http_req *rq, const char *key, char *out,
    size_t outlen)
{
	const char *v = form_get(&rq->form, key);
	size_t n;

	out[0] = '\0';
	if (v == NULL)
		return out;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	str_copy(out, v, outlen);
	n = strlen(out);
	/* Cut to a whole character: the caller's length check then sees a
	 * value that is still too long, never broken UTF-8. */
	if (strlen(v) >= outlen) {
		str_utf8_cut(out);
		n = strlen(out);
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t' ||
	    out[n - 1] == '\r' || out[n - 1] == '\n'))
		out[--n] = '\0';
	return out;
}

json_t *
web_form_values(const struct http_req *rq)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < rq->form.n; i++)
		if (json_object_get(o, rq->form.keys[i]) == NULL)
			json_object_set_new(o, rq->form.keys[i],
			    json_string(rq->form.vals[i]));
	return o;
}

json_t *
web_form_hidden(const struct http_req *rq)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < rq->form.n; i++) {
		if (strcmp(rq->form.keys[i], "csrf_token") == 0 ||
		    strcmp(rq->form.keys[i], "action") == 0)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s}", "name",
		    rq->form.keys[i], "value", rq->form.vals[i]));
	}
	return a;
}

int
web_check_text(struct web_errors *we, const char *key, const char *value,
    int required, size_t max, int multiline, const char *what)
{
	const unsigned char *c;

	if (value[0] == '\0') {
		if (!required)
			return 0;
		web_error(we, key, NULL, "Enter %s", what);
		return -1;
	}
	if (str_utf8_len(value) > max) {
		web_error(we, key, NULL, "%c%s must be %zu characters or fewer",
		    toupper((unsigned char)what[0]), what + 1, max);
		return -1;
	}
	for (c = (const unsigned char *)value; *c != '\0'; c++)
		if ((*c < 0x20 || *c == 0x7f) && !(multiline &&
		    (*c == '\n' || *c == '\r' || *c == '\t'))) {
			web_error(we, key, NULL, "%c%s must not contain control "
			    "characters", toupper((unsigned char)what[0]),
			    what + 1);
			return -1;
		}
	return 0;
}

static int
date_parts(const struct http_req *rq, const char *prefix, char d[8],
    char m[8], char y[8], int *all_empty, int *any_empty)
{
	char key[80], v[32];

	snprintf(key, sizeof(key), "%s-day", prefix);
	str_copy(d, web_field(rq, key, v, sizeof(v)), 8);
	snprintf(key, sizeof(key), "%s-month", prefix);
	str_copy(m, web_field(rq, key, v, sizeof(v)), 8);
	snprintf(key, sizeof(key), "%s-year", prefix);
	str_copy(y, web_field(rq, key, v, sizeof(v)), 8);
	*all_empty = d[0] == '\0' && m[0] == '\0' && y[0] == '\0';
	*any_empty = d[0] == '\0' || m[0] == '\0' || y[0] == '\0';
	return 0;
}

int
web_date(const struct http_req *rq, struct web_errors *we, const char *prefix,
    int required, const char *what, char *out)
{
	char d[8], m[8], y[8], anchor[80], ymd[16], err[128];
	long dd, mm, yy;
	int all_empty, any_empty, a, b, c;

	out[0] = '\0';
	date_parts(rq, prefix, d, m, y, &all_empty, &any_empty);
	snprintf(anchor, sizeof(anchor), "%s-%s", prefix, d[0] == '\0' ? "day" :
	    m[0] == '\0' ? "month" : y[0] == '\0' ? "year" : "day");
	if (all_empty) {
		if (!required)
			return 0;
		web_error(we, prefix, anchor, "Enter %s", what);
		return -1;
	}
	if (any_empty) {
		web_error(we, prefix, anchor, "%c%s must include a %s",
		    toupper((unsigned char)what[0]), what + 1, d[0] == '\0' ?
		    "day" : m[0] == '\0' ? "month" : "year");
		return -1;
	}
	if (str_to_long(d, 1, 31, &dd) != 0 || str_to_long(m, 1, 12, &mm) ||
	    str_to_long(y, 1900, 2200, &yy) != 0 || strlen(y) != 4) {
		web_error(we, prefix, anchor, "%c%s must be a real date",
		    toupper((unsigned char)what[0]), what + 1);
		return -1;
	}
	snprintf(ymd, sizeof(ymd), "%04ld-%02ld-%02ld", yy, mm, dd);
	if (ltime_parse_date(ymd, &a, &b, &c, err, sizeof(err)) != 0) {
		web_error(we, prefix, anchor, "%c%s must be a real date",
		    toupper((unsigned char)what[0]), what + 1);
		return -1;
	}
	str_copy(out, ymd, 11);
	return 0;
}

int
web_parse_time(const char *s, int *h, int *mi)
{
	char t[32];
	size_t i, n = 0;
	long hh = -1, mm = 0;
	int pm = -1;
	char *p;

	for (i = 0; s[i] != '\0' && n + 1 < sizeof(t); i++)
		if (s[i] != ' ')
			t[n++] = (char)tolower((unsigned char)s[i]);
	t[n] = '\0';
	if (n == 0)
		return -1;
	if (strcmp(t, "midday") == 0 || strcmp(t, "noon") == 0) {
		*h = 12;
		*mi = 0;
		return 0;
	}
	if (strcmp(t, "midnight") == 0) {
		*h = *mi = 0;
		return 0;
	}
	if (n > 2 && (strcmp(t + n - 2, "am") == 0 ||
	    strcmp(t + n - 2, "pm") == 0)) {
		pm = t[n - 2] == 'p';
		t[n -= 2] = '\0';
	}
	if ((p = strpbrk(t, ":.")) != NULL) {
		if (str_to_long_n(t, (size_t)(p - t), 0, 23, &hh) != 0 ||
		    p - t > 2 || strlen(p + 1) != 2 ||
		    str_to_long(p + 1, 0, 59, &mm) != 0)
			return -1;
	} else if (pm >= 0) {
		if (strlen(t) > 2 || str_to_long(t, 1, 12, &hh) != 0)
			return -1;
	} else if (strlen(t) == 4) {
		if (str_to_long_n(t, 2, 0, 23, &hh) != 0 ||
		    str_to_long(t + 2, 0, 59, &mm) != 0)
			return -1;
	} else
		return -1;
	if (pm >= 0) {
		if (hh < 1 || hh > 12)
			return -1;
		hh = hh % 12 + (pm ? 12 : 0);
	}
	*h = (int)hh;
	*mi = (int)mm;
	return 0;
}

int
web_datetime(const struct http_req *rq, struct web_errors *we,
    const char *prefix, const char *what, time_t *t)
{
	char ymd[11], key[80], v[32], err[128];
	int y, mo, d, h, mi, rc;

	rc = web_date(rq, we, prefix, 1, what, ymd);
	snprintf(key, sizeof(key), "%s-time", prefix);
	web_field(rq, key, v, sizeof(v));
	if (v[0] == '\0') {
		web_error(we, key, NULL, "Enter the time for %s", what);
		return -1;
	}
	if (web_parse_time(v, &h, &mi) != 0) {
		web_error(we, key, NULL, "Enter the time for %s like 14:30 or "
		    "2:30pm", what);
		return -1;
	}
	if (rc != 0 || ltime_parse_date(ymd, &y, &mo, &d, err,
	    sizeof(err)) != 0)
		return -1;
	if (ltime_from_local(y, mo, d, h, mi, t) != 0) {
		web_error(we, key, NULL, "That time does not exist on that day "
		    "(the clocks go forward); choose another time");
		return -1;
	}
	return 0;
}

/* ---- shared reads ----------------------------------------------------------- */

json_t *
web_statutory(struct db *db, long authority_id)
{
	char aid[24];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *a;
	int i;

	snprintf(aid, sizeof(aid), "%ld", authority_id);
	if (db_exec(db, &r, "SELECT s.agency FROM statutory_agencies s JOIN "
	    "agencies a ON a.code = s.agency WHERE s.authority_id = $1 ORDER "
	    "BY a.sort_order, a.code", 1, p) != 0)
		return NULL;
	a = json_array();
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(a, json_string(db_res_get(&r, i, 0)));
	db_res_free(&r);
	return a;
}

json_t *
web_directory_groups(struct db *db, const long *ids, size_t n)
{
	struct db_res r;
	json_t *groups, *g = NULL, *c;
	const char *agency, *last = "";
	long id;
	size_t k;
	int i, checked;

	if (db_exec(db, &r, "SELECT c.id, c.name, c.role, o.name, c.email, "
	    "o.agency FROM contacts c JOIN organisations o ON o.id = "
	    "c.organisation_id JOIN agencies a ON a.code = o.agency WHERE "
	    "c.active AND o.active ORDER BY a.sort_order, o.name, c.name, c.id",
	    0, NULL) != 0)
		return NULL;
	groups = json_array();
	for (i = 0; i < db_res_rows(&r); i++) {
		agency = db_res_get(&r, i, 5);
		if (g == NULL || strcmp(agency, last) != 0) {
			g = json_pack("{s:s, s:s, s:[]}", "agency", agency,
			    "name", web_agency_name(agency), "contacts");
			json_array_append_new(groups, g);
			last = agency;
		}
		id = db_res_long(&r, i, 0, 0);
		for (checked = 0, k = 0; k < n && !checked; k++)
			checked = ids[k] == id;
		c = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id",
		    (json_int_t)id, "name", db_res_get(&r, i, 1), "role",
		    db_res_get(&r, i, 2), "organisation", db_res_get(&r, i, 3),
		    "email", db_res_get(&r, i, 4), "checked", checked);
		json_array_append_new(json_object_get(g, "contacts"), c);
	}
	db_res_free(&r);
	return groups;
}

/* ---- static assets ------------------------------------------------------------ */

static const struct word content_types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".map", "application/json; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".woff", "font/woff" },
	{ NULL, NULL }
};

/* A safe relative path: segments of [A-Za-z0-9._-], none empty or starting
 * with '.', so no "..", no hidden files, no absolute paths. */
static int
safe_path(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > STATIC_PATH_MAX || p[0] == '/' || p[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '/' && (p[i + 1] == '/' || p[i + 1] == '.' ||
		    p[i + 1] == '\0'))
			return 0;
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-' ||
		    c == '/'))
			return 0;
	}
	return 1;
}

static const char *
content_type(const char *path)
{
	const struct word *w;
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return NULL;
	for (w = content_types; w->code != NULL; w++)
		if (strcmp(dot, w->code) == 0)
			return w->text;
	return NULL;
}

/* Read a regular file of at most STATIC_MAX bytes into b. 0, 1 when it is
 * not there (or not a regular file), -1 on a read error. */
static int
read_static(const char *path, struct buf *b)
{
	char chunk[16384];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR ||
		    errno == EISDIR ? 1 : -1;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size > STATIC_MAX) {
		rc = 1;
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)n) != 0)
			goto out;
	if (n == 0)
		rc = 0;
out:
	close(fd);
	return rc;
}

/* GET /assets/<path>: our web/ files under /assets/convene/, the rest from
 * govuk-frontend's dist/govuk (so its CSS finds /assets/images/...). The
 * GOV.UK fonts are not served: their licence covers GOV.UK only, and
 * convene.css sets Arial/Helvetica. */
int
web_static(struct http_req *rq, struct http_resp *rs)
{
	const struct config *cfg = &rq->app->cfg;
	const char *rel = rq->nparams > 0 ? rq->params[0] : "", *dir, *ctype;
	const char *sub;
	char path[1024];
	int rc;

	if (!safe_path(rel) || (ctype = content_type(rel)) == NULL ||
	    strncmp(rel, "fonts/", 6) == 0)
		return http_error(rq, rs, 404, NULL, "there is nothing at "
		    "this address");
	/* dist/govuk has the CSS and JS at its top and images under assets/,
	 * which its CSS names as /assets/images/...: look in both. */
	if (strncmp(rel, "convene/", 8) == 0) {
		dir = cfg->assets_dir;
		rel += 8;
		sub = "";
	} else {
		dir = cfg->govuk_dir;
		sub = "assets/";
	}
	buf_reset(&rs->body);
	rc = 1;
	if (sub[0] != '\0' && (size_t)snprintf(path, sizeof(path), "%s/%s%s",
	    dir, sub, rel) < sizeof(path))
		rc = read_static(path, &rs->body);
	if (rc == 1 && (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    rel) < sizeof(path)) {
		buf_reset(&rs->body);
		rc = read_static(path, &rs->body);
	}
	if (rc != 0) {
		buf_reset(&rs->body);
		if (rc < 0) {
			log_error("web", "could not read an asset (errno %d)",
			    errno);
			return rs->status = 500;
		}
		return http_error(rq, rs, 404, NULL, "there is nothing at "
		    "this address");
	}
	str_copy(rs->content_type, ctype, sizeof(rs->content_type));
	http_resp_header(rs, "Cache-Control",
	    "public, max-age=31536000, immutable");
	rs->is_file = 1;
	return rs->status = 200;
}

/* A short hash of the served files' sizes and times: links carry it as
 * ?v=, so a new release is fetched despite the year-long cache. */
static void
asset_version(const struct config *cfg)
{
	const char *files[][2] = {
		{ cfg->govuk_dir, "govuk-frontend.min.css" },
		{ cfg->govuk_dir, "govuk-frontend.min.js" },
		{ cfg->assets_dir, "convene.css" },
		{ cfg->assets_dir, "convene.js" },
		{ cfg->assets_dir, "js-enabled.js" },
	};
	char path[1100], acc[512] = "", hash[65];
	struct stat st;
	size_t i, used = 0;
	int w;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", files[i][0], files[i][1]);
		if (stat(path, &st) != 0)
			continue;
		w = snprintf(acc + used, sizeof(acc) - used, "%lld.%lld;",
		    (long long)st.st_mtime, (long long)st.st_size);
		if (w > 0 && (size_t)w < sizeof(acc) - used)
			used += (size_t)w;
	}
	if (auth_hash_hex(acc, hash, sizeof(hash)) != 0)
		str_copy(hash, "0", sizeof(hash));
	str_copy(asset_v, hash, 13);
}

/*
 * Slot i of the agency list; a NULL code ends the list there.  The names
 * live in the agencies table, so this is how the server and the unit tests
 * fill them.
 */
void
web_agency_set(int i, const char *code, const char *name)
{
	if (i < 0 || i >= WEB_MAX_AGENCIES)
		return;
	if (code == NULL) {
		web_agencies[i] = NULL;
		return;
	}
	str_copy(agency_code[i], code, sizeof(agency_code[i]));
	str_copy(agency_text[i], name != NULL ? name : code,
	    sizeof(agency_text[i]));
	web_agencies[i] = agency_code[i];
	web_agencies[i + 1] = NULL;
}

static int
agencies_load(struct app *app, char *err, size_t errlen)
{
	struct db_res r;
	struct db *db;
	int i, n, rc = -1;

	if ((db = db_pool_get(app->pool, 5000)) == NULL) {
		snprintf(err, errlen, "database: no connection to read the "
		    "agencies");
		return -1;
	}
	if (db_exec(db, &r, "SELECT code, name FROM agencies ORDER BY "
	    "sort_order, code", 0, NULL) != 0) {
		snprintf(err, errlen, "database: could not read the agencies");
		goto out;
	}
	n = db_res_rows(&r);
	if (n > WEB_MAX_AGENCIES)
		snprintf(err, errlen, "agencies: more than %d", WEB_MAX_AGENCIES);
	for (i = 0; i < n && i < WEB_MAX_AGENCIES; i++)
		web_agency_set(i, db_res_get(&r, i, 0), db_res_get(&r, i, 1));
	web_agency_set(i, NULL, NULL);
	rc = n > WEB_MAX_AGENCIES ? -1 : 0;
	db_res_free(&r);
out:
	db_pool_put(app->pool, db);
	return rc;
}

int
web_init(struct app *app, char *err, size_t errlen)
{
	char e[400];
	struct stat st;
	char path[1100];

	web_free();
	if ((pages = tmpl_set_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (tmpl_load_dir(pages, app->cfg.pages_dir, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "CONVENE_PAGES_DIR: %s", e);
		web_free();
		return -1;
	}
	snprintf(path, sizeof(path), "%s/govuk-frontend.min.css",
	    app->cfg.govuk_dir);
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "CONVENE_GOVUK_DIR: %s has no "
		    "govuk-frontend.min.css (run scripts/deps.sh: npm ci)",
		    app->cfg.govuk_dir);
		web_free();
		return -1;
	}
	if (agencies_load(app, err, errlen) != 0) {
		web_free();
		return -1;
	}
	asset_version(&app->cfg);
	http_error_page = error_page;
	return 0;
}

void
web_free(void)
{
	http_error_page = NULL;
	tmpl_set_free(pages);
	pages = NULL;
}

/* ---- routes ------------------------------------------------------------------ */

#define SW	ROLE_SOCIAL_WORKER
#define ADMIN	ROLE_ADMIN

const struct route web_routes[] = {
	{ "GET", "/assets/*", AUTH_NONE, 0, web_static, ROUTE_NO_DB,
	  "static files: govuk-frontend and our CSS/JS (cached a year)" },
	{ "GET", "/sign-in", AUTH_NONE, 0, web_auth_form, 0,
	  "the sign-in page" },
	{ "POST", "/sign-in", AUTH_NONE, 0, web_auth_sign_in, ROUTE_SLOW,
	  "sign in (throttled after repeated failures)" },
	{ "POST", "/sign-out", AUTH_SESSION, ROLE_ANY, web_auth_sign_out,
	  ROUTE_PW_CHANGE | ROUTE_MFA_ENROL,
	  "sign out" },
	{ "GET", "/account/password", AUTH_SESSION, ROLE_ANY,
	  web_account_password_form, ROUTE_PW_CHANGE | ROUTE_MFA_ENROL,
	  "change your password (the page)" },
	{ "POST", "/account/password", AUTH_SESSION, ROLE_ANY,
	  web_account_password_post, ROUTE_SLOW | ROUTE_PW_CHANGE |
	  ROUTE_MFA_ENROL, "change your password" },
	{ "GET", "/sign-in/code", AUTH_NONE, 0, web_mfa_code_form, 0,
	  "the second step of signing in: the security code (the page)" },
	{ "POST", "/sign-in/code", AUTH_NONE, 0, web_mfa_code_post, 0,
	  "the second step of signing in: check the security code" },
	{ "GET", "/account/mfa", AUTH_SESSION, ROLE_ANY, web_mfa_account,
	  ROUTE_PW_CHANGE | ROUTE_MFA_ENROL,
	  "two-step sign-in: set up TOTP, or its state (the page)" },
	{ "POST", "/account/mfa", AUTH_SESSION, ROLE_ANY, web_mfa_enrol_post,
	  ROUTE_PW_CHANGE | ROUTE_MFA_ENROL,
	  "confirm TOTP with a first code (recovery codes shown once)" },
	{ "POST", "/account/mfa/recovery-codes", AUTH_SESSION, ROLE_ANY,
	  web_mfa_recovery_post, 0,
	  "new recovery codes after a current code (shown once)" },
	{ "POST", "/account/mfa/disable", AUTH_SESSION, ROLE_ANY,
	  web_mfa_disable_post, 0,
	  "turn off TOTP after a current code (when not required)" },
	{ "GET", "/", AUTH_SESSION, ROLE_ANY, web_home, 0,
	  "home: upcoming, awaiting attendance, flags" },
	{ "GET", "/meetings", AUTH_SESSION, ROLE_STAFF, web_list, 0,
	  "strategy discussions with filters and paging" },
	{ "GET", "/meetings/new", AUTH_SESSION, SW, web_book_form, 0,
	  "book a strategy meeting: the form" },
	{ "POST", "/meetings/new", AUTH_SESSION, SW, web_book_post, 0,
	  "book: check answers, then confirm" },
	{ "GET", "/meetings/{id}", AUTH_SESSION, ROLE_STAFF, web_meeting_show,
	  0, "one strategy discussion with its history" },
	{ "GET", "/meetings/{id}/booked", AUTH_SESSION, ROLE_STAFF,
	  web_book_done, 0, "booking confirmation" },
	{ "GET", "/meetings/{id}/reschedule", AUTH_SESSION, SW,
	  web_meeting_resched_form, 0, "reschedule: the form" },
	{ "POST", "/meetings/{id}/reschedule", AUTH_SESSION, SW,
	  web_meeting_resched_post, 0, "reschedule" },
	{ "GET", "/meetings/{id}/invitees", AUTH_SESSION, SW,
	  web_meeting_invitees_form, 0, "change invitees: the form" },
	{ "POST", "/meetings/{id}/invitees", AUTH_SESSION, SW,
	  web_meeting_invitees_post, 0, "change invitees" },
	{ "GET", "/meetings/{id}/cancel", AUTH_SESSION, SW,
	  web_meeting_cancel_form, 0, "cancel: the form" },
	{ "POST", "/meetings/{id}/cancel", AUTH_SESSION, SW,
	  web_meeting_cancel_post, 0, "cancel with a reason" },
	{ "GET", "/meetings/{id}/attendance", AUTH_SESSION, SW,
	  web_attend_form, 0, "record attendance and outcome: the form" },
	{ "POST", "/meetings/{id}/attendance", AUTH_SESSION, SW,
	  web_attend_post, 0, "record attendance and outcome" },
	{ "GET", "/meetings/{id}/record", AUTH_SESSION, SW, web_record_form,
	  0, "the record of the strategy discussion: the form" },
	{ "POST", "/meetings/{id}/record", AUTH_SESSION, SW, web_record_post,
	  0, "write or change the record of the strategy discussion" },
	{ "POST", "/meetings/{id}/actions/{aid}", AUTH_SESSION, ROLE_STAFF,
	  web_meeting_action_post, 0, "mark an action done or not done" },
	{ "POST", "/meetings/{id}/approval", AUTH_SESSION, ROLE_MANAGER,
	  web_approval_post, 0, "approve or refuse a booking without every "
	  "statutory agency (manager)" },
	{ "POST", "/meetings/{id}/record/submit", AUTH_SESSION, SW,
	  web_authorise_submit_post, 0, "submit the record for authorisation" },
	{ "POST", "/meetings/{id}/authorisation", AUTH_SESSION, ROLE_MANAGER,
	  web_authorise_post, 0, "authorise the record (manager)" },
	{ "GET", "/meetings/{id}/recorded", AUTH_SESSION, ROLE_STAFF,
	  web_attend_done, 0, "the recorded result and its classification" },
	{ "GET", "/case", AUTH_SESSION, ROLE_STAFF, web_case_page, 0,
	  "a case (?ref=): its team and worker, its transfers, the "
	  "transfer form" },
	{ "POST", "/case/transfer", AUTH_SESSION, ROLE_STAFF,
	  web_case_transfer_post, 0, "transfer a case to another team or "
	  "worker (its team or a manager)" },
	{ "GET", "/enquiries/{id}", AUTH_SESSION, ROLE_STAFF,
	  web_enquiry_form, 0, "a Section 47 enquiry: its clock and its "
	  "conference" },
	{ "POST", "/enquiries/{id}", AUTH_SESSION, ROLE_STAFF,
	  web_enquiry_post, 0, "record the conference of a Section 47 "
	  "enquiry" },
	{ "GET", "/directory", AUTH_SESSION, ROLE_ANY, web_dir_list, 0,
	  "the contacts directory" },
	{ "GET", "/directory/contacts/new", AUTH_SESSION, ADMIN,
	  web_dir_contact_form, 0, "add a contact: the form" },
	{ "POST", "/directory/contacts/new", AUTH_SESSION, ADMIN,
	  web_dir_contact_post, 0, "add a contact" },
	{ "GET", "/directory/contacts/{id}", AUTH_SESSION, ADMIN,
	  web_dir_contact_form, 0, "edit or deactivate a contact: the form" },
	{ "POST", "/directory/contacts/{id}", AUTH_SESSION, ADMIN,
	  web_dir_contact_post, 0, "edit or deactivate a contact" },
	{ "GET", "/directory/organisations/new", AUTH_SESSION, ADMIN,
	  web_dir_org_form, 0, "add an organisation: the form" },
	{ "POST", "/directory/organisations/new", AUTH_SESSION, ADMIN,
	  web_dir_org_post, 0, "add an organisation" },
	{ "GET", "/directory/organisations/{id}", AUTH_SESSION, ADMIN,
	  web_dir_org_form, 0, "edit or deactivate an organisation: the form" },
	{ "POST", "/directory/organisations/{id}", AUTH_SESSION, ADMIN,
	  web_dir_org_post, 0, "edit or deactivate an organisation" },
	{ "GET", "/admin/users", AUTH_SESSION, ADMIN, web_admin_users, 0,
	  "users and teams" },
	{ "GET", "/admin/users/new", AUTH_SESSION, ADMIN, web_admin_user_form,
	  0, "add a user: the form" },
	{ "POST", "/admin/users/new", AUTH_SESSION, ADMIN, web_admin_user_post,
	  0, "add a user (password shown once)" },
	{ "POST", "/admin/users/{id}/deactivate", AUTH_SESSION, ADMIN,
	  web_admin_user_deactivate, 0, "deactivate a user: their sessions "
	  "and tokens end" },
	{ "POST", "/admin/users/{id}/reactivate", AUTH_SESSION, ADMIN,
	  web_admin_user_reactivate, 0, "reactivate a user" },
	{ "POST", "/admin/users/{id}/password-reset", AUTH_SESSION, ADMIN,
	  web_admin_user_reset, ROUTE_SLOW, "reset a user's password (shown "
	  "once; changed at their next sign-in)" },
	{ "POST", "/admin/users/{id}/mfa-reset", AUTH_SESSION, ADMIN,
	  web_admin_user_mfa_reset, 0, "reset a user's two-step sign-in: "
	  "they set it up again at their next sign-in" },
	{ "POST", "/admin/teams", AUTH_SESSION, ADMIN, web_admin_team_post, 0,
	  "add a team" },
	{ "POST", "/admin/teams/{id}/front-door", AUTH_SESSION, ADMIN,
	  web_admin_team_front_door, 0, "mark a team as a front door (MASH, "
	  "out of hours) or not" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
