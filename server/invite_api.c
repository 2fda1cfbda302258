/*
 * invite_api: the routes of the invites module: a meeting's invitations,
 * replies and deliveries for staff, iTIP REPLY ingestion for the mail
 * gateway, the RSVP pages that invite links open, and calendar feeds.
 * Staff routes apply the meetings' visibility rule (social workers: their
 * team; managers: their authority) and answer 404 for anything else.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "audit.h"
#include "buf.h"
#include "db.h"
#include "feed.h"
#include "http.h"
#include "input.h"
#include "invite.h"
#include "itip.h"
#include "ltime.h"
#include "mail.h"
#include "meeting.h"
#include "outbox.h"
#include "router.h"
#include "rsvp.h"
#include "str.h"

#define ID_LEN		24
#define PAGE_MAX	(32 * 1024)

/* ---- staff: a meeting's invites ------------------------------------------ */

/* The meeting in path capture 0, if the caller may see it; 404 otherwise. */
static int
visible_id(struct http_req *rq, struct http_resp *rs, long *id)
{
	char sid[ID_LEN], aid[ID_LEN], tid[ID_LEN];
	const char *p[3] = { sid, aid, NULL };
	struct db_res r;
	int n;

	if (http_param_id(rq, 0, id) != 0) {
		http_error(rq, rs, 404, "id", "there is no strategy discussion "
		    "with that id");
		return -1;
	}
	snprintf(sid, sizeof(sid), "%ld", *id);
	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	snprintf(tid, sizeof(tid), "%ld", rq->user.team_id);
	if (rq->user.role == ROLE_SOCIAL_WORKER)
		p[2] = tid;
	if (db_exec(rq->db, &r, "SELECT 1 FROM discussions d WHERE d.id = $1 AND "
	    "d.authority_id = $2 AND ($3::bigint IS NULL OR "
	    MEETING_TEAM_SEES("d", "$3") ")", 3, p) != 0) {
		rs->status = 500;
		return -1;
	}
	n = db_res_rows(&r);
	db_res_free(&r);
	if (n == 0) {
		http_error(rq, rs, 404, NULL, "there is no strategy discussion "
		    "%ld that you can see", *id);
		return -1;
	}
	return 0;
}

/* GET /api/v1/meetings/{id}/invite.ics */
static int
h_invite_ics(struct http_req *rq, struct http_resp *rs)
{
	char disp[96];
	size_t len = 0;
	char *cal;
	long id;

	if (visible_id(rq, rs, &id) != 0)
		return rs->status;
	if ((cal = invite_calendar(rq->db, &id, 1, &len)) == NULL)
		return rs->status = 500;
	snprintf(disp, sizeof(disp), "attachment; filename=\"strategy-meeting-"
	    "%ld.ics\"", id);
	http_resp_header(rs, "Content-Disposition", disp);
	http_send(rs, 200, "text/calendar; charset=utf-8", cal, len);
	free(cal);
	return rs->status;
}

/* "at risk: health has not accepted" from "health" or "police,health". */
static void
risk_message(const char *codes, char *out, size_t outlen)
{
	char list[INVITE_AT_RISK_MAX], *p;
	size_t n = 1, used, i;

	str_copy(list, codes, sizeof(list));
	for (p = list; *p != '\0'; p++) {
		if (*p == '_')
			*p = ' ';
		if (*p == ',')
			n++;
	}
	used = (size_t)snprintf(out, outlen, "at risk: ");
	for (i = 0, p = list; i < n && used < outlen; i++) {
		size_t len = strcspn(p, ",");
		used += (size_t)snprintf(out + used, outlen - used, "%s%.*s",
		    i == 0 ? "" : (i + 1 == n ? " and " : ", "), (int)len, p);
		p += len + (p[len] == ',');
	}
	if (used < outlen)
		snprintf(out + used, outlen - used, " %s not accepted",
		    n > 1 ? "have" : "has");
}

/* GET /api/v1/meetings/{id}/invites */
static int
h_invites(struct http_req *rq, struct http_resp *rs)
{
	char sid[ID_LEN], risk[INVITE_AT_RISK_MAX], codes[INVITE_AT_RISK_MAX];
	char msg[400];
	const char *p[1] = { sid }, *v;
	struct db_res r;
	json_t *o = NULL, *list, *del;
	char *tok, *save = NULL;
	long id;
	int n;

	if (visible_id(rq, rs, &id) != 0)
		return rs->status;
	if ((n = invite_at_risk(rq->db, id, risk, sizeof(risk))) < 0)
		return rs->status = 500;
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(rq->db, &r, "SELECT json_build_object('meeting_id', d.id, "
	    "'uid', d.uid, 'sequence', d.sequence, 'status', d.status, "
	    "'starts_at', d.starts_at, 'participants', (SELECT "
	    "coalesce(json_agg(json_build_object('id', p.id, 'name', p.name, "
	    "'email', p.email, 'agency', p.agency, 'organisation', "
	    "p.organisation, 'partstat', p.partstat, 'removed', "
	    "p.removed_at IS NOT NULL) ORDER BY p.id), '[]') FROM participants "
	    "p WHERE p.discussion_id = d.id)) FROM discussions d WHERE d.id = "
	    "$1", 1, p) != 0)
		return rs->status = 500;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	if (o == NULL || (list = json_array()) == NULL) {
		json_decref(o);
		return rs->status = 500;
	}
	str_copy(codes, risk, sizeof(codes));
	for (tok = strtok_r(codes, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		json_array_append_new(list, json_string(tok));
	json_object_set_new(o, "at_risk", json_boolean(n > 0));
	json_object_set_new(o, "at_risk_agencies", list);
	if (n > 0) {
		risk_message(risk, msg, sizeof(msg));
		json_object_set_new(o, "at_risk_message", json_string(msg));
	} else
		json_object_set_new(o, "at_risk_message", json_null());
	if ((del = outbox_deliveries(rq->db, id)) != NULL)
		json_object_set(o, "deliveries", json_object_get(del,
		    "counts"));
	json_decref(del);
	return http_json(rs, 200, o);
}

/* GET /api/v1/meetings/{id}/deliveries */
static int
h_deliveries(struct http_req *rq, struct http_resp *rs)
{
	json_t *o;
	long id;

	if (visible_id(rq, rs, &id) != 0)
		return rs->status;
	if ((o = outbox_deliveries(rq->db, id)) == NULL)
		return rs->status = 500;
	json_object_set_new(o, "meeting_id", json_integer((json_int_t)id));
	return http_json(rs, 200, o);
}

/* ---- the mail gateway ------------------------------------------------------- */

/* 1 when Content-Type ct is type (parameters allowed). */
static int
ctype_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct != NULL && strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* POST /api/v1/itip[?recipient=ADDRESS]: one text/calendar REPLY or
 * COUNTER, or a whole message/rfc822 email that has no calendar part.
 * recipient is the envelope address the email was delivered to: the
 * signed organiser address that says whom a reply may answer for (Exchange
 * leaves ORGANIZER out of replies). Plain mail changes nothing and does
 * not need it. */
static int
h_itip(struct http_req *rq, struct http_resp *rs)
{
	const char *ct = http_header(rq, "Content-Type");
	json_t *out = NULL;
	int status, mail = ctype_is(ct, "message/rfc822");

	if (!mail && !ctype_is(ct, "text/calendar"))
		return http_error(rq, rs, 415, "Content-Type", "send a reply "
		    "as Content-Type: text/calendar, an email without one as "
		    "message/rfc822");
	if (rq->body.len == 0)
		return http_error(rq, rs, 400, "body", "body: a text/calendar "
		    "REPLY or a message/rfc822 email is required");
	status = mail ? itip_ingest_mail(rq->db, &rq->user, rq->body.data,
	    rq->body.len, &out) : itip_ingest(rq->db, &rq->user,
	    rq->body.data, rq->body.len, rq->app->cfg.smtp_from,
	    http_query(rq, "recipient"), &out);
	if (status == 500) {
		json_decref(out);
		return rs->status = 500;
	}
	if (status == 422 && out != NULL) {
		/* The one error format, plus what happened to the reply. */
		json_t *e = json_pack("{s:s, s:s, s:s}", "code", "invalid",
		    "message", json_string_value(json_object_get(out,
		    "message")), "field", "body");
		json_object_set_new(out, "error", e);
	}
	return http_json(rs, status, out);
}

/*
 * GET /api/v1/itip/inbox: replies waiting for a person of the caller's
 * authority: those linked to one of its meetings, and those linked to
 * none (an unknown UID, or a meeting the poster may not touch) that a user
 * of its own posted, the mail gateway included when it was created in
 * this authority (docs/security.md).
 */
static int
h_itip_inbox(struct http_req *rq, struct http_resp *rs)
{
	char aid[ID_LEN];
	const char *p[1] = { aid };
	struct db_res r;
	json_t *o = NULL;
	const char *v;

	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	if (db_exec(rq->db, &r, "SELECT json_build_object('replies', coalesce("
	    "json_agg(json_build_object('id', id, 'received_at', received_at, "
	    "'status', status, 'reason', reason, 'uid', uid, 'attendee', "
	    "attendee, 'partstat', partstat, 'sequence', sequence, "
	    "'mail_from', mail_from, 'subject', subject, "
	    "'meeting_id', discussion_id, 'raw_base64', encode(raw, 'base64')) "
	    "ORDER BY id), '[]')) FROM (SELECT i.* FROM itip_inbox i "
	    "LEFT JOIN discussions d ON d.id = i.discussion_id "
	    "LEFT JOIN users u ON u.id = i.received_by WHERE "
	    "i.status <> 'applied' AND i.reviewed_at IS NULL AND "
	    "CASE WHEN i.discussion_id IS NOT NULL THEN d.authority_id = $1 "
	    "ELSE u.authority_id = $1 END "
	    "ORDER BY i.id LIMIT 500) i", 1, p) != 0)
		return rs->status = 500;
	if ((v = db_res_get(&r, 0, 0)) != NULL)
		o = json_loads(v, 0, NULL);
	db_res_free(&r);
	return http_json(rs, 200, o);
}

/* ---- RSVP pages ------------------------------------------------------------ */

static const char page_form[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">\n<title>Your answer: strategy meeting "
	"{{case_ref}}</title>\n</head>\n<body>\n<main>\n"
	"<h1>Strategy meeting {{case_ref}}</h1>\n"
	"<p>{{when}} (UK time)</p>\n"
	"<p>Your answer so far: <strong>{{current}}</strong></p>\n"
	"<form method=\"post\" action=\"{{action}}\">\n"
	"<button type=\"submit\">{{button}}</button>\n</form>\n"
	"<p>Nothing is recorded until you press the button.</p>\n"
	"</main>\n</body>\n</html>\n";

static const char page_done[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">\n<title>Answer recorded: strategy meeting "
	"{{case_ref}}</title>\n</head>\n<body>\n<main>\n"
	"<h1>Thank you</h1>\n"
	"<p>Your answer to strategy meeting {{case_ref}} on {{when}} "
	"(UK time) is recorded: <strong>{{current}}</strong>.</p>\n"
	"<p>To change it, use another link from the invitation.</p>\n"
	"</main>\n</body>\n</html>\n";

static const char *
answer_words(const char *partstat)
{
	if (strcmp(partstat, "ACCEPTED") == 0)
		return "accepted";
	if (strcmp(partstat, "DECLINED") == 0)
		return "declined";
	if (strcmp(partstat, "TENTATIVE") == 0)
		return "tentative";
	return "not answered yet";
}

#define RSVP_CHANGED	"this invitation has changed (the meeting has a new " \
	"time): answer the new one, with the links in the latest invitation " \
	"email; nothing was recorded"

/*
 * Record answer ans of participant pid through a link issued for SEQUENCE
 * seq, and commit; r is the page's row (the meeting's id in column 6).
 * Only partstat moves, as with iTIP replies; answered now, to that
 * SEQUENCE, so a calendar reply sent earlier and arriving later does not
 * undo it. The SEQUENCE is checked again in the statement itself: a
 * reschedule committed since the page's read must win. 0 when recorded;
 * -1 with rs set (410 or 500) otherwise.
 */
static int
rsvp_record(struct http_req *rq, struct http_resp *rs, long pid, long seq,
    enum rsvp_answer ans, struct db_res *r)
{
	char sid[ID_LEN], sq[ID_LEN];
	const char *p[3] = { sid, rsvp_partstat(ans), sq };
	struct db_res u;
	json_t *after;
	int n = -1;

	snprintf(sid, sizeof(sid), "%ld", pid);
	snprintf(sq, sizeof(sq), "%ld", seq);
	after = json_pack("{s:I, s:s, s:s}", "participant", (json_int_t)pid,
	    "partstat", rsvp_partstat(ans), "via", "rsvp link");
	if (after != NULL && db_exec(rq->db, &u, "UPDATE participants SET "
	    "partstat = $2, reply_dtstamp = now(), reply_sequence = $3::int "
	    "WHERE id = $1 AND (SELECT sequence FROM discussions d WHERE "
	    "d.id = participants.discussion_id) = $3::int RETURNING id", 3,
	    p) == 0) {
		n = db_res_rows(&u);
		db_res_free(&u);
	}
	if (n == 0)
		http_error(rq, rs, 410, NULL, RSVP_CHANGED);
	else if (n < 0 || audit_record(rq->db, NULL, "participant.reply",
	    "discussion", db_res_long(r, 0, 6, 0), NULL, after) != 0 ||
	    db_commit(rq->db) != 0) {
		n = -1;
		rs->status = 500;
	}
	json_decref(after);
	return n > 0 ? 0 : -1;
}

static int
rsvp_page(struct http_req *rq, struct http_resp *rs, int post)
{
	static const char *const buttons[] = { "Accept", "Decline",
		"Tentatively accept" };
	char sid[ID_LEN], when[64], action[HTTP_MAX_URI];
	unsigned char key[RSVP_KEY_BYTES];
	const char *p[1] = { sid }, *cur;
	struct mail_var vars[6];
	enum rsvp_answer ans;
	struct db_res r;
	struct buf page;
	time_t expires;
	long pid, seq;
	int rc;

	db_res_init(&r);
	buf_init(&page, PAGE_MAX);
	if (rq->nparams != 2 || rsvp_answer_parse(rq->params[1], &ans) != 0) {
		http_error(rq, rs, 404, NULL, "this answer link is not valid");
		goto out;
	}
	if (rsvp_key(rq->db, key) != 0) {
		rs->status = 500;
		goto out;
	}
	rc = rsvp_token_verify(key, rq->params[0], time(NULL), &pid, &seq,
	    &expires);
	if (rc == 1) {
		http_error(rq, rs, 404, NULL, "this answer link is not valid; "
		    "use the links in the latest invitation");
		goto out;
	}
	if (rc == 2) {
		http_error(rq, rs, 410, NULL, "this answer link has expired: "
		    "the meeting is over");
		goto out;
	}
	snprintf(sid, sizeof(sid), "%ld", pid);
	if (db_begin(rq->db) != 0 || db_exec(rq->db, &r, "SELECT p.partstat, "
	    "p.removed_at IS NOT NULL, d.status, d.ends_at <= now(), "
	    "c.case_ref, extract(epoch FROM d.starts_at)::bigint, d.id, "
	    "d.sequence "
	    "FROM participants p JOIN discussions d ON d.id = p.discussion_id "
	    "JOIN cases c ON c.id = d.case_id WHERE p.id = $1 FOR UPDATE OF p",
	    1, p) != 0) {
		rs->status = 500;
		goto out;
	}
	if (db_res_rows(&r) == 0) {
		http_error(rq, rs, 404, NULL, "this answer link is not valid");
		goto out;
	}
	if (db_res_bool(&r, 0, 1) || strcmp(db_res_get(&r, 0, 2),
	    "cancelled") == 0 || db_res_bool(&r, 0, 3) ||
	    strcmp(db_res_get(&r, 0, 2), "held") == 0) {
		http_error(rq, rs, 410, NULL, db_res_bool(&r, 0, 1) ?
		    "you are no longer invited to this meeting" :
		    strcmp(db_res_get(&r, 0, 2), "cancelled") == 0 ?
		    "this meeting has been cancelled" :
		    "this meeting is over");
		goto out;
	}
	/* The link answers the time it was sent with; a reschedule asked
	 * again with new links. */
	if (db_res_long(&r, 0, 7, -1) != seq) {
		http_error(rq, rs, 410, NULL, RSVP_CHANGED);
		goto out;
	}
	cur = db_res_get(&r, 0, 0);
	if (post) {
		if (rsvp_record(rq, rs, pid, seq, ans, &r) != 0)
			goto out;
		cur = rsvp_partstat(ans);
	}
	ltime_format_human((time_t)db_res_long(&r, 0, 5, 0), when, sizeof(when));
	snprintf(action, sizeof(action), "/rsvp/%s/%s", rq->params[0],
	    rsvp_answer_word(ans));
	vars[0].name = "case_ref";
	vars[0].value = db_res_get(&r, 0, 4);
	vars[1].name = "when";
	vars[1].value = when;
	vars[2].name = "current";
	vars[2].value = answer_words(cur);
	vars[3].name = "action";
	vars[3].value = action;
	vars[4].name = "button";
	vars[4].value = buttons[ans];
	vars[5].name = "unused";
	vars[5].value = "";
	if (mail_render(post ? page_done : page_form, vars, 6, MAIL_ESC_HTML,
	    &page) != 0) {
		rs->status = 500;
		goto out;
	}
	/* Links in email are personal: keep them out of shared caches and
	 * referrers. */
	http_send(rs, 200, "text/html; charset=utf-8", page.data, page.len);
out:
	db_rollback(rq->db);
	db_res_free(&r);
	buf_free(&page);
	return rs->status;
}

static int
h_rsvp_get(struct http_req *rq, struct http_resp *rs)
{
	return rsvp_page(rq, rs, 0);
}

static int
h_rsvp_post(struct http_req *rq, struct http_resp *rs)
{
	return rsvp_page(rq, rs, 1);
}

/* ---- feeds ------------------------------------------------------------------- */

/* 1 when Accept-Encoding allows gzip (listed, and not with q=0). */
static int
accepts_gzip(const char *ae)
{
	char low[256];
	const char *g, *q;
	size_t i;

	if (ae == NULL)
		return 0;
	for (i = 0; ae[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)ae[i]);
	low[i] = '\0';
	if ((g = strstr(low, "gzip")) == NULL)
		return 0;
	q = g + 4 + strspn(g + 4, " ");
	if (*q != ';')
		return 1;
	q = strstr(q, "q=");
	return q == NULL || strtod(q + 2, NULL) > 0.0;
}

/* GET /feeds/{token}.ics. The route takes no pooled connection: most
 * polls are answered from memory, and only a miss borrows one. */
static int
h_feed(struct http_req *rq, struct http_resp *rs)
{
	char token[FEED_TOKEN_HEX + 1], date[40];
	struct feed_body fb;
	struct feed_cond c;
	const char *file = rq->nparams == 1 ? rq->params[0] : "";
	size_t n = strlen(file);

	if (n != FEED_TOKEN_HEX + 4 || strcmp(file + FEED_TOKEN_HEX,
	    ".ics") != 0)
		return http_error(rq, rs, 404, NULL, "there is no calendar at "
		    "this address");
	memcpy(token, file, FEED_TOKEN_HEX);
	token[FEED_TOKEN_HEX] = '\0';
	c.if_none_match = http_header(rq, "If-None-Match");
	c.if_modified_since = http_header(rq, "If-Modified-Since");
	c.gzip = accepts_gzip(http_header(rq, "Accept-Encoding"));
	if (!feed_cached(token, &c, &fb)) {
		/* respond() gives the connection back to the pool. */
		if ((rq->db = db_pool_get(rq->app->pool, 5000)) == NULL)
			return http_error(rq, rs, 503, NULL, "the database is "
			    "not available; try again shortly");
		if (feed_get(rq->db, token, &c, &fb) != 0)
			return rs->status = 500;
	}
	if (fb.status == 404)
		return http_error(rq, rs, 404, NULL, "there is no calendar at "
		    "this address (it may have been revoked)");
	feed_http_date(fb.last_modified, date, sizeof(date));
	http_resp_header(rs, "ETag", fb.etag);
	http_resp_header(rs, "Last-Modified", date);
	http_resp_header(rs, "Cache-Control", "private, no-cache");
	http_resp_header(rs, "Vary", "Accept-Encoding");
	if (fb.gzip)
		http_resp_header(rs, "Content-Encoding", "gzip");
	/* A 304 gets the body too: libmicrohttpd sends none for a 304 but
	 * takes its Content-Length from it, which must be the 200's, never
	 * "0" (RFC 9110 8.6). */
	http_send_blob(rs, fb.status, "text/calendar; charset=utf-8", fb.body);
	feed_body_free(&fb);
	return rs->status;
}

/* POST /api/v1/feeds {"contact_id": n} or {"organisation_id": n} */
static int
h_feed_create(struct http_req *rq, struct http_resp *rs)
{
	static const char *const keys[] = { "contact_id", "organisation_id",
		NULL };
	char token[FEED_TOKEN_HEX + 1], url[512], webcal[512];
	struct verr e = { 0 };
	json_t *body;
	long cid = 0, oid = 0, id = 0;
	int has_c = 0, has_o = 0, rc;

	if ((body = meeting_parse_body(rq->body.data, rq->body.len, &e)) == NULL)
		return http_error(rq, rs, e.status, e.field, "%s", e.msg);
	if (input_known_keys(body, keys, "", &e) != 0 ||
	    input_int(body, "contact_id", "contact_id", INPUT_OPTIONAL, 1,
	    9007199254740991L, &cid, &has_c, &e) != 0 ||
	    input_int(body, "organisation_id", "organisation_id",
	    INPUT_OPTIONAL, 1, 9007199254740991L, &oid, &has_o, &e) != 0) {
		json_decref(body);
		return http_error(rq, rs, e.status, e.field, "%s", e.msg);
	}
	json_decref(body);
	if (has_c == has_o)
		return http_error(rq, rs, 422, "contact_id", "contact_id: give "
		    "either contact_id or organisation_id");
	rc = feed_create(rq->db, &rq->user, has_c ? cid : 0, has_o ? oid : 0,
	    token, &id);
	if (rc == 1)
		return http_error(rq, rs, 422, has_c ? "contact_id" :
		    "organisation_id", "%s: there is no such %s", has_c ?
		    "contact_id" : "organisation_id", has_c ? "contact" :
		    "organisation");
	if (rc != 0)
		return rs->status = 500;
	snprintf(url, sizeof(url), "%s/feeds/%s.ics", rq->app->cfg.base_url,
	    token);
	snprintf(webcal, sizeof(webcal), "webcal://%s/feeds/%s.ics",
	    strstr(rq->app->cfg.base_url, "://") + 3, token);
	return http_json(rs, 201, json_pack("{s:I, s:s, s:s, s:s}", "id",
	    (json_int_t)id, "url", url, "webcal", webcal, "note",
	    "the address is shown once; anyone with it can read the feed"));
}

static int
h_feed_list(struct http_req *rq, struct http_resp *rs)
{
	json_t *o = feed_list(rq->db, &rq->user);

	return o == NULL ? (rs->status = 500) : http_json(rs, 200, o);
}

/* DELETE /api/v1/feeds/{id} */
static int
h_feed_revoke(struct http_req *rq, struct http_resp *rs)
{
	long id;
	int rc;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, "id", "there is no feed with that "
		    "id");
	if ((rc = feed_revoke(rq->db, &rq->user, id)) == 1)
		return http_error(rq, rs, 404, "id", "there is no active feed "
		    "%ld", id);
	if (rc != 0)
		return rs->status = 500;
	return http_json(rs, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id,
	    "revoked", 1));
}

const struct route invite_routes[] = {
	{ "GET", "/api/v1/meetings/{id}/invite.ics", AUTH_TOKEN, ROLE_STAFF,
	  h_invite_ics, 0, "the meeting as an .ics file (no METHOD)" },
	{ "GET", "/api/v1/meetings/{id}/invites", AUTH_TOKEN, ROLE_STAFF,
	  h_invites, 0, "invitees' answers (PARTSTAT) and the at-risk flag" },
	{ "GET", "/api/v1/meetings/{id}/deliveries", AUTH_TOKEN, ROLE_STAFF,
	  h_deliveries, 0, "invite emails: queued, sent, failed" },
	{ "POST", "/api/v1/itip", AUTH_TOKEN, ROLE_ADMIN | ROLE_MAIL_GATEWAY,
	  h_itip, ROUTE_RAW_BODY, "a text/calendar REPLY from the mail "
	  "gateway (every authority) or an admin (their authority)" },
	{ "GET", "/api/v1/itip/inbox", AUTH_TOKEN, ROLE_ADMIN, h_itip_inbox, 0,
	  "replies that could not be applied, for review" },
	{ "GET", "/rsvp/{token}/{answer}", AUTH_NONE, 0, h_rsvp_get,
	  ROUTE_NO_CSRF, "an invite's answer link: a page with a button" },
	{ "POST", "/rsvp/{token}/{answer}", AUTH_NONE, 0, h_rsvp_post,
	  ROUTE_NO_CSRF, "record the answer (the signed token is the "
	  "credential)" },
	{ "GET", "/feeds/{file}", AUTH_NONE, 0, h_feed, ROUTE_NO_DB,
	  "a calendar subscription feed (token.ics)" },
	{ "POST", "/api/v1/feeds", AUTH_TOKEN, ROLE_ADMIN, h_feed_create, 0,
	  "create a feed for a contact or an organisation" },
	{ "GET", "/api/v1/feeds", AUTH_TOKEN, ROLE_ADMIN, h_feed_list, 0,
	  "list feeds (without their tokens)" },
	{ "DELETE", "/api/v1/feeds/{id}", AUTH_TOKEN, ROLE_ADMIN,
	  h_feed_revoke, 0, "revoke a feed" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
