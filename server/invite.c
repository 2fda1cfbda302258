/*
 * invite: turns a change to a meeting into outbox rows, one per recipient,
 * each a finished iMIP email. It reads only what an invite may carry: the
 * case reference, times, format, place, chair, the participants (who are
 * professionals) and the agencies invited. Never the reason typed by the
 * social worker, the children or anything else from the case: the purpose
 * wording comes from ics-templates/purpose.txt. Everything runs in the
 * caller's transaction on the caller's connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "ics.h"
#include "invite.h"
#include "log.h"
#include "ltime.h"
#include "mail.h"
#include "organizer.h"
#include "outbox.h"
#include "partner.h"
#include "rsvp.h"
#include "str.h"

#define ID_LEN		24
#define TEXT_MAX	(256 * 1024)	/* a rendered template */
#define URL_MAX		512
#define MAX_PARTS	ICS_MAX_ATTENDEES

static struct {
	char	templates_dir[512];
	char	from[256];
	char	base_url[256];
	int	ready;
} settings;

static const char *const kind_names[] = { "new", "update", "cancel",
	"removed" };

/* ---- templates ----------------------------------------------------------- */

enum var {
	V_CASE_REF, V_PURPOSE, V_KIND, V_WHEN, V_STARTS, V_FORMAT, V_PLACE,
	V_CHAIR, V_AGENCIES, V_ORGANISER, V_RECIPIENT, V_ACCEPT, V_TENTATIVE,
	V_DECLINE, V_TITLE, V_PACK, NVARS
};

static const char *const var_names[NVARS] = {
	"case_ref", "purpose", "meeting_kind", "when", "starts", "format",
	"place", "chair", "agencies", "organiser", "recipient_name",
	"accept_url", "tentative_url", "decline_url", "title", "pack_url"
};

/* The placeholders a title (SUMMARY) may use: one calendar entry is shared
 * by everyone invited, so nothing personal, and nothing that is itself
 * made from the title. */
#define TITLE_VARS	V_ORGANISER

struct tpls {
	char	*purpose, *summary, *description;
	char	*subject, *text, *html;
};

/* Per kind: what a CANCEL must not say ("Please answer ..."). */
static const char *
description_file(enum invite_kind kind)
{
	if (kind == INVITE_CANCEL)
		return "cancel.description";
	if (kind == INVITE_REMOVED)
		return "removed.description";
	return "description.txt";
}

static void
tpls_free(struct tpls *t)
{
	free(t->purpose);
	free(t->summary);
	free(t->description);
	free(t->subject);
	free(t->text);
	free(t->html);
	memset(t, 0, sizeof(*t));
}

/* Load the shared templates and those of one kind; logs the missing file. */
static int
tpls_load(struct tpls *t, enum invite_kind kind)
{
	char name[3][32];
	char **dst[6] = { &t->purpose, &t->summary, &t->description,
		&t->subject, &t->text, &t->html };
	const char *files[6] = { "purpose.txt", "summary.txt",
		description_file(kind), name[0], name[1], name[2] };
	size_t i;

	memset(t, 0, sizeof(*t));
	snprintf(name[0], sizeof(name[0]), "%s.subject", kind_names[kind]);
	snprintf(name[1], sizeof(name[1]), "%s.txt", kind_names[kind]);
	snprintf(name[2], sizeof(name[2]), "%s.html", kind_names[kind]);
	for (i = 0; i < 6; i++) {
		*dst[i] = mail_template_load(settings.templates_dir, files[i]);
		if (*dst[i] == NULL) {
			log_error("invite", "template %s is missing, too large "
			    "or not UTF-8", files[i]);
			tpls_free(t);
			return -1;
		}
	}
	return 0;
}

/* Strip trailing white space (template files end with a newline). */
static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Render tpl with the first nvars of vars into a new string; one_line
 * turns CR/LF/TAB into spaces. */
static char *
render_n(const char *tpl, const struct mail_var *vars, size_t nvars,
    enum mail_escape esc, int one_line)
{
	struct buf b;
	char *s, *p;

	buf_init(&b, TEXT_MAX);
	if (mail_render(tpl, vars, nvars, esc, &b) != 0 ||
	    buf_puts(&b, "") != 0) {
		buf_free(&b);
		return NULL;
	}
	if ((s = buf_steal(&b, NULL)) == NULL)
		return NULL;
	rtrim(s);
	if (one_line)
		for (p = s; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n' || *p == '\t')
				*p = ' ';
	return s;
}

static char *
render(const char *tpl, const struct mail_var *vars, enum mail_escape esc,
    int one_line)
{
	return render_n(tpl, vars, NVARS, esc, one_line);
}

int
invite_title_check(const char *tpl, char *err, size_t errlen)
{
	struct mail_var vars[NVARS];
	char *s;
	int i;

	if (tpl == NULL || tpl[0] == '\0' ||
	    !str_utf8_valid(tpl, strlen(tpl)) ||
	    str_utf8_len(tpl) > INVITE_TITLE_MAX || str_has_ctl(tpl)) {
		snprintf(err, errlen, "invite_title_template: must be one line "
		    "of 1 to %d characters", INVITE_TITLE_MAX);
		return -1;
	}
	for (i = 0; i < NVARS; i++) {
		vars[i].name = var_names[i];
		vars[i].value = "x";
	}
	if ((s = render_n(tpl, vars, TITLE_VARS, MAIL_ESC_TEXT, 1)) == NULL) {
		snprintf(err, errlen, "invite_title_template: only {{case_ref}}, "
		    "{{purpose}}, {{meeting_kind}}, {{when}}, {{starts}}, "
		    "{{format}}, {{place}}, {{chair}} and {{agencies}} may be "
		    "used");
		return -1;
	}
	free(s);
	return 0;
}

int
invite_init(const struct config *cfg)
{
	static const char *const parts[] = { "summary", "description",
		"subject", "text", "html" };
	struct mail_var vars[NVARS];
	struct tpls t;
	const char *tpl[5];
	char *s;
	int k, i, result = 0;

	str_copy(settings.templates_dir, cfg->templates_dir,
	    sizeof(settings.templates_dir));
	str_copy(settings.from, cfg->smtp_from, sizeof(settings.from));
	str_copy(settings.base_url, cfg->base_url, sizeof(settings.base_url));
	settings.ready = 1;
	for (i = 0; i < NVARS; i++) {
		vars[i].name = var_names[i];
		vars[i].value = "x";
	}
	for (k = INVITE_NEW; k <= INVITE_REMOVED; k++) {
		if (tpls_load(&t, (enum invite_kind)k) != 0) {
			result = -1;
			continue;
		}
		tpl[0] = t.summary;
		tpl[1] = t.description;
		tpl[2] = t.subject;
		tpl[3] = t.text;
		tpl[4] = t.html;
		for (i = 0; i < 5; i++) {
			/* The title is what {{title}} holds: it cannot use it. */
			if ((s = render_n(tpl[i], vars, i == 0 ? TITLE_VARS :
			    NVARS, MAIL_ESC_TEXT, 0)) == NULL) {
				log_error("invite", "template %s of %s has an "
				    "unknown or broken {{placeholder}}",
				    parts[i], kind_names[k]);
				result = -1;
			}
			free(s);
		}
		if (strstr(t.purpose, "{{") != NULL) {
			log_error("invite", "template purpose.txt must not "
			    "contain placeholders");
			result = -1;
		}
		tpls_free(&t);
	}
	return result;
}

/* ---- the meeting as an invite sees it --------------------------------------- */

struct mtg {
	long			 id;
	struct db_res		 m, p, a;
	const char		*uid, *status, *case_ref, *format, *location;
	const char		*chair, *kind;
	const char		*title_tpl;	/* the authority's; NULL */
	const char		*klass;		/* "PRIVATE", "CONFIDENTIAL" */
	long			 sequence;
	time_t			 starts, ends, updated;
	int			 past;
	size_t			 natt;
	struct ics_attendee	 att[MAX_PARTS];
	long			 pid[MAX_PARTS];
	int			 removed[MAX_PARTS];
	char			 agencies[1024];
	char			 when[128], starts_h[64];
};

static void
mtg_free(struct mtg *g)
{
	db_res_free(&g->m);
	db_res_free(&g->p);
	db_res_free(&g->a);
}

/* "Police, Health and Education" from a JSON array of agency names. */
static void
agency_names(struct mtg *g, const char *names)
{
	json_t *a = names != NULL ? json_loads(names, 0, NULL) : NULL, *x;
	size_t used = 0, i, n = json_array_size(a);

	g->agencies[0] = '\0';
	json_array_foreach(a, i, x) {
		if (used >= sizeof(g->agencies) || !json_is_string(x))
			break;
		used += (size_t)snprintf(g->agencies + used,
		    sizeof(g->agencies) - used, "%s%s", i == 0 ? "" :
		    (i + 1 == n ? " and " : ", "), json_string_value(x));
	}
	json_decref(a);
}

/* Columns of mtg_load's statement: the meeting's, repeated on each row,
 * then one participant's (all NULL when it has none). */
enum { M_UID, M_SEQ, M_STARTS, M_ENDS, M_STATUS, M_CASE, M_FORMAT, M_LOC,
	M_CHAIR, M_KIND, M_PAST, M_AGENCIES, P_ID, P_NAME, P_EMAIL, P_STAT,
	P_REMOVED, P_PARTSTAT, M_UPDATED, M_TITLE, M_CLASS };

/*
 * The human start and "start to end" of g. On the night the clocks go back
 * 01:30 happens twice, so when either end is in that hour both times say
 * which (01:30 BST, 01:30 GMT), as the calendar part then says in UTC.
 */
static int
when_text(struct mtg *g)
{
	char end[16];
	int y, mo, d, h, mi, label;

	label = ics_time_ambiguous(g->starts) || ics_time_ambiguous(g->ends);
	if (ltime_format_human(g->starts, g->starts_h, sizeof(g->starts_h)) ||
	    ltime_local(g->ends, &y, &mo, &d, &h, &mi) != 0)
		return -1;
	if (label) {
		size_t n = strlen(g->starts_h);
		snprintf(g->starts_h + n, sizeof(g->starts_h) - n, " %s",
		    ics_zone_abbr(g->starts));
	}
	snprintf(end, sizeof(end), "%02d:%02d%s%s", h, mi, label ? " " : "",
	    label ? ics_zone_abbr(g->ends) : "");
	snprintf(g->when, sizeof(g->when), "%s to %s", g->starts_h, end);
	return 0;
}

/*
 * Load meeting id: the row, the agencies of its current participants and
 * its participants (current ones, plus removed_pid when not 0) with a
 * usable email, in one statement (one round trip per invite: see
 * docs/performance.md, "Booking"). 0 on success, 1 when there is no such
 * meeting, -1 error.
 */
static int
mtg_load(struct db *db, long id, long removed_pid, struct mtg *g)
{
	char sid[ID_LEN], rid[ID_LEN];
	const char *p[2] = { sid, removed_pid > 0 ? rid : NULL };
	const char *email, *chair;
	size_t j;
	int i, n;

	memset(g, 0, sizeof(*g));
	g->id = id;
	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(rid, sizeof(rid), "%ld", removed_pid);
	if (db_exec(db, &g->m, "SELECT d.uid, d.sequence, "
	    "extract(epoch FROM d.starts_at)::bigint, "
	    "extract(epoch FROM d.ends_at)::bigint, d.status, c.case_ref, "
	    "d.format, d.location, d.chair, d.kind, d.ends_at <= now(), "
	    "ag.names, p.id, p.name, p.email, s.agency IS NOT NULL, "
	    "p.removed_at IS NOT NULL, p.partstat, "
	    "floor(extract(epoch FROM d.updated_at))::bigint, "
	    "au.invite_title_template, au.invite_class "
	    "FROM discussions d JOIN cases c ON c.id = d.case_id "
	    "JOIN authorities au ON au.id = d.authority_id "
	    "CROSS JOIN LATERAL (SELECT json_agg(a.name ORDER BY a.sort_order, "
	    "a.code) AS names FROM agencies a WHERE a.code IN (SELECT agency "
	    "FROM participants WHERE discussion_id = d.id AND removed_at IS "
	    "NULL)) ag "
	    "LEFT JOIN participants p ON p.discussion_id = d.id AND "
	    "(p.removed_at IS NULL OR p.id = $2::bigint) "
	    "LEFT JOIN statutory_agencies s ON s.authority_id = d.authority_id "
	    "AND s.agency = p.agency WHERE d.id = $1 ORDER BY p.id", 2,
	    p) != 0)
		return -1;
	if (db_res_rows(&g->m) < 1)
		return 1;
	g->uid = db_res_get(&g->m, 0, M_UID);
	g->sequence = db_res_long(&g->m, 0, M_SEQ, 0);
	g->starts = (time_t)db_res_long(&g->m, 0, M_STARTS, 0);
	g->ends = (time_t)db_res_long(&g->m, 0, M_ENDS, 0);
	g->status = db_res_get(&g->m, 0, M_STATUS);
	g->case_ref = db_res_get(&g->m, 0, M_CASE);
	g->format = db_res_get(&g->m, 0, M_FORMAT);
	g->location = db_res_get(&g->m, 0, M_LOC);
	g->chair = db_res_get(&g->m, 0, M_CHAIR);
	g->kind = db_res_get(&g->m, 0, M_KIND);
	g->past = db_res_bool(&g->m, 0, M_PAST);
	g->updated = (time_t)db_res_long(&g->m, 0, M_UPDATED, 0);
	g->title_tpl = db_res_get(&g->m, 0, M_TITLE);
	g->klass = db_res_get(&g->m, 0, M_CLASS);
	agency_names(g, db_res_get(&g->m, 0, M_AGENCIES));
	n = db_res_get(&g->m, 0, P_ID) != NULL ? db_res_rows(&g->m) : 0;
	chair = g->chair != NULL ? g->chair : "";
	for (i = 0; i < n; i++) {
		email = db_res_get(&g->m, i, P_EMAIL);
		if (email == NULL || !str_email_valid(email))
			continue;	/* nobody to send to */
		/* One address, one attendee (and one message): the same
		 * person listed twice, in any letter case, is one person to
		 * a calendar. A current listing wins over a removed one. */
		for (j = 0; j < g->natt; j++)
			if (str_casecmp(g->att[j].email, email) == 0)
				break;
		if (j < g->natt && !(g->removed[j] &&
		    !db_res_bool(&g->m, i, P_REMOVED)))
			continue;
		if (j == g->natt && g->natt++ >= MAX_PARTS) {
			log_error("invite", "meeting %ld has more than %d "
			    "participants with an email address", id,
			    MAX_PARTS);
			return -1;
		}
		g->pid[j] = db_res_long(&g->m, i, P_ID, 0);
		g->removed[j] = db_res_bool(&g->m, i, P_REMOVED);
		g->att[j].name = db_res_get(&g->m, i, P_NAME);
		g->att[j].email = email;
		g->att[j].role = chair[0] != '\0' &&
		    str_casecmp(chair, g->att[j].name) == 0 ?
		    ICS_ROLE_CHAIR : db_res_bool(&g->m, i, P_STAT) ?
		    ICS_ROLE_REQ : ICS_ROLE_OPT;
		g->att[j].partstat = db_res_get(&g->m, i, P_PARTSTAT);
	}
	return when_text(g);
}

static const char *
format_words(const char *f)
{
	if (f != NULL && strcmp(f, "video") == 0)
		return "Video call";
	if (f != NULL && strcmp(f, "phone") == 0)
		return "Phone call";
	return "In person";
}

static void
vars_fill(struct mail_var *vars, const struct mtg *g, const char *purpose)
{
	int i;

	for (i = 0; i < NVARS; i++) {
		vars[i].name = var_names[i];
		vars[i].value = "";
	}
	vars[V_CASE_REF].value = g->case_ref;
	vars[V_PURPOSE].value = purpose;
	vars[V_KIND].value = g->kind != NULL && strcmp(g->kind,
	    "discussion") == 0 ? "strategy discussion" : "strategy meeting";
	vars[V_WHEN].value = g->when;
	vars[V_STARTS].value = g->starts_h;
	vars[V_FORMAT].value = format_words(g->format);
	vars[V_PLACE].value = g->location != NULL && g->location[0] != '\0' ?
	    g->location : "To be confirmed";
	vars[V_CHAIR].value = g->chair != NULL && g->chair[0] != '\0' ?
	    g->chair : "To be confirmed";
	vars[V_AGENCIES].value = g->agencies[0] != '\0' ? g->agencies :
	    "None yet";
	vars[V_ORGANISER].value = settings.from;
}

/*
 * The calendar title (SUMMARY, and {{title}} in subjects): the authority's
 * template, or summary.txt. A stored template that no longer renders (it
 * was checked when saved) falls back to the default rather than holding
 * up the invitations. vars must be filled; returns a new string or NULL.
 */
static char *
title_render(const struct mtg *g, const char *dflt,
    const struct mail_var *vars)
{
	char *s;

	if (g->title_tpl != NULL && (s = render_n(g->title_tpl, vars,
	    TITLE_VARS, MAIL_ESC_TEXT, 1)) != NULL) {
		if (s[0] != '\0')
			return s;
		free(s);
	}
	if (g->title_tpl != NULL)
		log_error("invite", "the calendar title template of meeting "
		    "%ld's authority does not render; using the default",
		    g->id);
	return render_n(dflt, vars, TITLE_VARS, MAIL_ESC_TEXT, 1);
}

/* A joining link in the location becomes the event's URL too. */
static const char *
event_url(const char *location)
{
	if (location != NULL && strncmp(location, "https://", 8) == 0 &&
	    strcspn(location, " \t") == strlen(location))
		return location;
	return NULL;
}

/* Fill ev from g; attendees are g's, PARTSTAT as given (NULL: none). */
static void
event_fill(struct ics_event *ev, const struct mtg *g, const char *summary,
    const char *description, struct ics_attendee *att, size_t natt)
{
	memset(ev, 0, sizeof(*ev));
	ev->uid = g->uid;
	ev->sequence = g->sequence;
	ev->dtstamp = time(NULL);
	ev->klass = g->klass;
	ev->starts = g->starts;
	ev->ends = g->ends;
	ev->cancelled = g->status != NULL && strcmp(g->status,
	    "cancelled") == 0;
	ev->summary = summary;
	ev->description = description;
	ev->location = g->location;
	ev->url = event_url(g->location);
	ev->organizer_email = settings.from;
	ev->organizer_name = g->chair;
	ev->attendees = att;
	ev->nattendees = natt;
}

/* The RSVP link for one answer, into out (URL_MAX): valid for this
 * SEQUENCE only, so a reschedule asks again. */
static int
rsvp_url(const unsigned char *key, long pid, long sequence, time_t expires,
    enum rsvp_answer a, char *out)
{
	char token[RSVP_TOKEN_MAX];
	int n;

	if (rsvp_token_sign(key, pid, sequence, expires, token,
	    sizeof(token)) != 0)
		return -1;
	n = snprintf(out, URL_MAX, "%s/rsvp/%s/%s", settings.base_url, token,
	    rsvp_answer_word(a));
	return n < 0 || n >= URL_MAX ? -1 : 0;
}

/* Messages rendered for one change, queued together by outbox_add_rows. */
struct queued {
	size_t	 n;
	long	 pid[MAX_PARTS];
	const char *recipient[MAX_PARTS];	/* owned by the struct mtg */
	char	 msgid[MAX_PARTS][MAIL_MESSAGE_ID_MAX + 1];
	char	*msg[MAX_PARTS];		/* owned */
};

/* Add the messages of q to the outbox of meeting g in the caller's
 * transaction, in participant order (outbox_add_many: a few statements). */
static int
outbox_add_rows(struct db *db, const struct mtg *g, const char *kind,
    const char *method, const struct queued *q)
{
	struct outbox_row rows[MAX_PARTS];
	size_t i;

	for (i = 0; i < q->n; i++) {
		rows[i].discussion = g->id;
		rows[i].participant = q->pid[i];
		rows[i].kind = kind;
		rows[i].method = method;
		rows[i].sequence = g->sequence;
		rows[i].recipient = q->recipient[i];
		rows[i].message_id = q->msgid[i];
		rows[i].message = q->msg[i];
	}
	return outbox_add_many(db, rows, q->n);
}

static void
queued_free(struct queued *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		free(q->msg[i]);
	q->n = 0;
}

/*
 * The ORGANIZER (and From) of attendee i's messages, into org
 * (ORGANIZER_ADDR_MAX): the service mailbox plus the tag signed for this
 * participant of this meeting, so a reply that comes back to it can only
 * answer for them (itip.c). The same for every message to them.
 */
static int
organizer_of(const unsigned char *key, const struct mtg *g, size_t i,
    char *org)
{
	char tag[ORGANIZER_TAG_MAX];

	if (organizer_tag_build(key, g->pid[i], g->id, tag, sizeof(tag)) != 0 ||
	    organizer_address(settings.from, tag, org,
	    ORGANIZER_ADDR_MAX) != 0) {
		log_error("invite", "no signed organiser address for meeting "
		    "%ld, participant %ld", g->id, g->pid[i]);
		return -1;
	}
	return 0;
}

/* Render one message to attendee i of g, its calendar object ev with
 * attendee i's own ORGANIZER, and append it to q (queued by
 * outbox_add_rows). */
static int
queue_one(struct queued *q, const struct mtg *g, size_t i,
    const char *method, const struct tpls *t, struct mail_var *vars,
    const char *subject, struct ics_invite *iv, const unsigned char *key)
{
	char accept[URL_MAX], tentative[URL_MAX], decline[URL_MAX];
	char pack[URL_MAX], ptoken[PARTNER_TOKEN_MAX];
	char msgid[MAIL_MESSAGE_ID_MAX + 1], org[ORGANIZER_ADDR_MAX];
	char *text = NULL, *html = NULL, *msg = NULL, *ics = NULL;
	struct mail_msg m;
	struct buf b;
	size_t ics_len = 0;
	int result = -1;

	accept[0] = tentative[0] = decline[0] = pack[0] = '\0';
	buf_init(&b, MAIL_MESSAGE_MAX);
	if (organizer_of(key, g, i, org) != 0)
		goto out;
	/* Never sent when libical cannot write it or read it back cleanly
	 * (ics_invite_text). */
	if ((ics = ics_invite_text(iv, org, &ics_len)) == NULL) {
		log_error("invite", "the invitation for meeting %ld could not "
		    "be built or does not re-parse cleanly; nothing queued",
		    g->id);
		goto out;
	}
	if (strcmp(method, "REQUEST") == 0 && (
	    rsvp_url(key, g->pid[i], g->sequence, g->ends, RSVP_ACCEPT,
	    accept) != 0 ||
	    rsvp_url(key, g->pid[i], g->sequence, g->ends, RSVP_TENTATIVE,
	    tentative) != 0 ||
	    rsvp_url(key, g->pid[i], g->sequence, g->ends, RSVP_DECLINE,
	    decline) != 0))
		goto out;
	/* The meeting pack (partner.h): opens only with a code sent to the
	 * contact's directory address. */
	if (strcmp(method, "REQUEST") == 0 && (partner_token_build(key,
	    g->pid[i], ptoken, sizeof(ptoken)) != 0 || snprintf(pack, URL_MAX,
	    "%s/partner/%s", settings.base_url, ptoken) >= URL_MAX))
		goto out;
	vars[V_PACK].value = pack;
	vars[V_RECIPIENT].value = g->att[i].name;
	vars[V_ACCEPT].value = accept;
	vars[V_TENTATIVE].value = tentative;
	vars[V_DECLINE].value = decline;
	if ((text = render(t->text, vars, MAIL_ESC_TEXT, 0)) == NULL ||
	    (html = render(t->html, vars, MAIL_ESC_HTML, 0)) == NULL ||
	    mail_message_id(settings.from, msgid, sizeof(msgid)) != 0)
		goto out;
	memset(&m, 0, sizeof(m));
	/* RFC 6047 3: clients compare From with ORGANIZER. */
	m.from_addr = org;
	m.from_name = "Strategy meetings (Convene)";
	m.to_addr = g->att[i].email;
	m.to_name = g->att[i].name;
	m.subject = subject;
	m.message_id = msgid;
	m.date = time(NULL);
	m.text = text;
	m.html = html;
	m.ics = ics;
	m.ics_len = ics_len;
	m.method = method;
	if (mail_build(&m, &b) != 0 || (msg = buf_steal(&b, NULL)) == NULL)
		goto out;
	if (q->n >= MAX_PARTS)
		goto out;
	q->pid[q->n] = g->pid[i];
	q->recipient[q->n] = g->att[i].email;
	str_copy(q->msgid[q->n], msgid, sizeof(q->msgid[q->n]));
	q->msg[q->n] = msg;
	msg = NULL;
	q->n++;
	result = 0;
out:
	vars[V_RECIPIENT].value = vars[V_ACCEPT].value = "";
	vars[V_TENTATIVE].value = vars[V_DECLINE].value = "";
	vars[V_PACK].value = "";
	free(ics);
	buf_free(&b);
	free(text);
	free(html);
	free(msg);
	return result;
}

int
invite_queue(struct db *db, long id, enum invite_kind kind,
    const long *participant)
{
	struct ics_attendee att[MAX_PARTS];
	struct mail_var vars[NVARS];
	unsigned char key[RSVP_KEY_BYTES];
	struct ics_event ev;
	struct ics_invite *iv = NULL;
	struct tpls t;
	struct mtg g;
	char *summary = NULL, *description = NULL, *subject = NULL;
	char *seen = NULL;
	struct queued *q = NULL;
	const char *method;
	size_t i, j, natt = 0;
	long removed = 0;
	int rc, result = -1;

	memset(&t, 0, sizeof(t));
	memset(&g, 0, sizeof(g));
	if (!settings.ready || (unsigned)kind > INVITE_REMOVED) {
		log_error("invite", "invite_queue called before invite_init");
		return -1;
	}
	if (kind == INVITE_REMOVED) {
		if (participant == NULL || *participant < 1)
			return -1;
		removed = *participant;
	}
	if ((rc = mtg_load(db, id, removed, &g)) != 0) {
		if (rc > 0)
			log_error("invite", "no meeting %ld to invite to", id);
		goto out;
	}
	/* Nobody needs an invitation to a meeting that is over (recording a
	 * discussion after it took place, or demo history). */
	if (g.past) {
		result = 0;
		goto out;
	}
	method = kind == INVITE_NEW || kind == INVITE_UPDATE ? "REQUEST" :
	    "CANCEL";
	/* Attendees: everyone still invited, or the removed one alone. */
	for (i = 0; i < g.natt; i++) {
		if (g.removed[i] != (kind == INVITE_REMOVED))
			continue;
		att[natt] = g.att[i];
		/* The answer on record: NEEDS-ACTION for a new invitation or
		 * a new time (invite_revise resets them), the person's own
		 * for a change at the same SEQUENCE, so a client that keeps
		 * it is not asked to forget it. */
		if (att[natt].partstat == NULL)
			att[natt].partstat = "NEEDS-ACTION";
		natt++;
	}
	if (natt == 0) {
		result = 0;
		goto out;
	}
	if (tpls_load(&t, kind) != 0)
		goto out;
	rtrim(t.purpose);
	vars_fill(vars, &g, t.purpose);
	if ((summary = title_render(&g, t.summary, vars)) == NULL ||
	    (vars[V_TITLE].value = summary) == NULL ||
	    (description = render(t.description, vars, MAIL_ESC_TEXT,
	    0)) == NULL ||
	    (subject = render(t.subject, vars, MAIL_ESC_TEXT, 1)) == NULL) {
		log_error("invite", "a %s template could not be rendered",
		    kind_names[kind]);
		goto out;
	}
	event_fill(&ev, &g, summary, description, att, natt);
	ev.no_status = kind == INVITE_REMOVED;
	if ((iv = ics_invite_new(strcmp(method, "REQUEST") == 0 ?
	    ICS_METHOD_REQUEST : ICS_METHOD_CANCEL, &ev)) == NULL) {
		log_error("invite", "could not build the invitation for "
		    "meeting %ld", id);
		goto out;
	}
	/* The key signs the RSVP links and every ORGANIZER address. */
	if (rsvp_key(db, key) != 0)
		goto out;
	if ((seen = calloc(g.natt, 1)) == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		goto out;
	for (i = 0; i < g.natt; i++) {
		if (g.removed[i] != (kind == INVITE_REMOVED))
			continue;
		/* One message per address, even if listed twice. */
		for (j = 0; j < i; j++)
			if (seen[j] && str_casecmp(g.att[j].email,
			    g.att[i].email) == 0)
				break;
		if (j < i)
			continue;
		seen[i] = 1;
		if (queue_one(q, &g, i, method, &t, vars, subject, iv,
		    key) != 0) {
			log_error("invite", "could not queue a message for "
			    "meeting %ld, participant %ld", id, g.pid[i]);
			goto out;
		}
	}
	if (outbox_add_rows(db, &g, kind_names[kind], method, q) != 0) {
		log_error("invite", "could not queue the messages for meeting "
		    "%ld", id);
		goto out;
	}
	result = 0;
out:
	if (q != NULL)
		queued_free(q);
	free(q);
	sodium_memzero(key, sizeof(key));
	ics_invite_free(iv);
	free(seen);
	free(summary);
	free(description);
	free(subject);
	tpls_free(&t);
	mtg_free(&g);
	return result;
}

int
invite_at_risk(struct db *db, long id, char *out, size_t outlen)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	size_t used = 0;
	int i, n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT s.agency FROM discussions d "
	    "JOIN statutory_agencies s ON s.authority_id = d.authority_id "
	    "JOIN agencies a ON a.code = s.agency "
	    "WHERE d.id = $1 AND d.status = 'scheduled' AND d.starts_at > now() "
	    "AND NOT EXISTS (SELECT 1 FROM participants p WHERE "
	    "p.discussion_id = d.id AND p.removed_at IS NULL AND "
	    "p.agency = s.agency AND p.partstat = 'ACCEPTED') "
	    "ORDER BY a.sort_order, a.code", 1, p) != 0)
		return -1;
	n = db_res_rows(&r);
	for (i = 0; i < n; i++) {
		if (used + strlen(db_res_get(&r, i, 0)) + 2 > outlen) {
			db_res_free(&r);
			return -1;
		}
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i ? "," : "", db_res_get(&r, i, 0));
	}
	db_res_free(&r);
	return n;
}

/* The calendar of ids; fi names a feed (NULL: a download). */
static char *
calendar(struct db *db, const long *ids, size_t n,
    const struct ics_feedinfo *fi, size_t *lenp)
{
	struct ics_attendee *att = NULL;
	struct ics_event *ev = NULL;
	struct mail_var vars[NVARS];
	struct mtg *g = NULL;
	struct tpls t;
	char **texts = NULL, *cal = NULL, *cancelled = NULL;
	size_t i, j, k, loaded = 0, natt = 0;

	memset(&t, 0, sizeof(t));
	if (!settings.ready || n > 100000 || tpls_load(&t, INVITE_NEW) != 0 ||
	    (cancelled = mail_template_load(settings.templates_dir,
	    description_file(INVITE_CANCEL))) == NULL)
		goto out;
	rtrim(t.purpose);
	if (n > 0 && ((g = calloc(n, sizeof(*g))) == NULL ||
	    (ev = calloc(n, sizeof(*ev))) == NULL ||
	    (texts = calloc(2 * n, sizeof(*texts))) == NULL ||
	    (att = calloc(n * MAX_PARTS, sizeof(*att))) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		if (mtg_load(db, ids[i], 0, &g[i]) != 0) {
			mtg_free(&g[i]);
			goto out;
		}
		loaded++;
		vars_fill(vars, &g[i], t.purpose);
		if ((texts[2 * i] = title_render(&g[i], t.summary,
		    vars)) == NULL || (vars[V_TITLE].value = texts[2 * i]) ==
		    NULL || (texts[2 * i + 1] = render(
		    g[i].status != NULL && strcmp(g[i].status, "cancelled") ==
		    0 ? cancelled : t.description, vars, MAIL_ESC_TEXT,
		    0)) == NULL)
			goto out;
		for (j = 0, k = 0; j < g[i].natt; j++) {
			if (g[i].removed[j])
				continue;
			att[natt + k] = g[i].att[j];
			att[natt + k].partstat = NULL;
			k++;
		}
		event_fill(&ev[i], &g[i], texts[2 * i], texts[2 * i + 1],
		    &att[natt], k);
		/* The last change, not the time of rendering: two instances
		 * (or two polls) give the same bytes for the same content. */
		ev[i].dtstamp = g[i].updated;
		natt += k;
	}
	cal = ics_calendar_feed(ICS_METHOD_NONE, ev, n, fi, lenp);
	if (cal != NULL && ics_count_errors(cal) != 0) {
		log_error("invite", "a calendar of %zu meetings does not "
		    "re-parse cleanly", n);
		free(cal);
		cal = NULL;
	}
out:
	for (i = 0; i < loaded; i++)
		mtg_free(&g[i]);
	for (i = 0; texts != NULL && i < 2 * n; i++)
		free(texts[i]);
	free(texts);
	free(att);
	free(ev);
	free(g);
	free(cancelled);
	tpls_free(&t);
	return cal;
}

char *
invite_calendar(struct db *db, const long *ids, size_t n, size_t *lenp)
{
	return calendar(db, ids, n, NULL, lenp);
}

char *
invite_feed_calendar(struct db *db, const long *ids, size_t n,
    size_t *lenp)
{
	const struct ics_feedinfo fi = { INVITE_FEED_NAME,
		INVITE_FEED_REFRESH };

	return calendar(db, ids, n, &fi, lenp);
}
