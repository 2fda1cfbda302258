/*
 * itip: reading REPLY calendars with libical and applying them. The parser
 * copies what it needs out of the libical tree into fixed-size fields and
 * frees the tree before returning, so nothing from libical outlives the
 * call; reasons for refusing a reply are fixed strings that never quote
 * the input.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>
#include <sodium.h>

#include "audit.h"
#include "auth.h"
#include "db.h"
#include "itip.h"
#include "ltime.h"
#include "mail.h"
#include "organizer.h"
#include "rsvp.h"
#include "str.h"

#define ID_LEN	24

static int
fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -1;
}

static int
count_props(icalcomponent *c, icalproperty_kind k)
{
	icalproperty *p;
	int n = 0;

	for (p = icalcomponent_get_first_property(c, k); p != NULL;
	    p = icalcomponent_get_next_property(c, k))
		n++;
	return n;
}

static const char *
partstat_name(icalparameter_partstat ps)
{
	switch (ps) {
	case ICAL_PARTSTAT_ACCEPTED: return "ACCEPTED";
	case ICAL_PARTSTAT_DECLINED: return "DECLINED";
	case ICAL_PARTSTAT_TENTATIVE: return "TENTATIVE";
	case ICAL_PARTSTAT_NEEDSACTION: return "NEEDS-ACTION";
	case ICAL_PARTSTAT_DELEGATED: return "DELEGATED";
	case ICAL_PARTSTAT_COMPLETED: return "COMPLETED";
	case ICAL_PARTSTAT_INPROCESS: return "IN-PROCESS";
	default: return NULL;
	}
}

/* A date-time as an instant: UTC and TZIDs the calendar defines (or
 * libical knows) as such, floating times and dates as London's. */
static int
instant(struct icaltimetype t, time_t *out)
{
	const icaltimezone *z = t.zone;

	if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t))
		return -1;
	if (z == NULL && !icaltime_is_utc(t))
		z = ltime_zone();
	if (icaltime_is_utc(t))
		z = icaltimezone_get_utc_timezone();
	if (z == NULL)
		return -1;
	*out = icaltime_as_timet_with_zone(t, z);
	return 0;
}

/*
 * The proposer of a COUNTER: its one ATTENDEE, or of several (some clients
 * repeat the whole list) the one that has answered. NULL when that does
 * not name one person: kept for review rather than guessed.
 */
static icalproperty *
counter_attendee(icalcomponent *ev)
{
	icalproperty *p, *found = NULL;
	icalparameter *ps;
	int n = 0;

	if (count_props(ev, ICAL_ATTENDEE_PROPERTY) == 1)
		return icalcomponent_get_first_property(ev,
		    ICAL_ATTENDEE_PROPERTY);
	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(ev,
	    ICAL_ATTENDEE_PROPERTY)) {
		ps = icalproperty_get_first_parameter(p,
		    ICAL_PARTSTAT_PARAMETER);
		if (ps != NULL && icalparameter_get_partstat(ps) !=
		    ICAL_PARTSTAT_NEEDSACTION) {
			found = p;
			n++;
		}
	}
	return n == 1 ? found : NULL;
}

/* The proposed time and comment of a COUNTER. */
static int
read_counter(icalcomponent *ev, struct itip_reply *out, char *err,
    size_t errlen)
{
	icalproperty *p;
	const char *c;

	if (count_props(ev, ICAL_DTSTART_PROPERTY) != 1 ||
	    instant(icalcomponent_get_dtstart(ev), &out->starts) != 0)
		return fail(err, errlen, "a COUNTER must propose a DTSTART");
	if (count_props(ev, ICAL_DTEND_PROPERTY) +
	    count_props(ev, ICAL_DURATION_PROPERTY) != 1 ||
	    instant(icalcomponent_get_dtend(ev), &out->ends) != 0 ||
	    out->ends <= out->starts)
		return fail(err, errlen, "a COUNTER must propose a DTEND or "
		    "DURATION after its DTSTART");
	if ((p = icalcomponent_get_first_property(ev,
	    ICAL_COMMENT_PROPERTY)) != NULL &&
	    (c = icalproperty_get_comment(p)) != NULL) {
		if (strlen(c) > ITIP_COMMENT_MAX || !str_utf8_valid(c,
		    strlen(c)))
			return fail(err, errlen, "COMMENT is too long or not "
			    "UTF-8");
		str_copy(out->comment, c, sizeof(out->comment));
	}
	return 0;
}

/* addr without "mailto:", in lower case, into out (outlen) when it is an
 * address that fits; -1 otherwise. */
static int
mail_address(const char *addr, char *out, size_t outlen)
{
	size_t i;

	if (addr == NULL)
		return -1;
	if (strncasecmp(addr, "mailto:", 7) == 0)
		addr += 7;
	if (strlen(addr) >= outlen || !str_email_valid(addr))
		return -1;
	for (i = 0; addr[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)addr[i]);
	out[i] = '\0';
	return 0;
}

/* The ORGANIZER address, when there is exactly one usable: where the
 * reply says it was sent when the gateway does not tell (itip_ingest). */
static void
read_organizer(icalcomponent *ev, struct itip_reply *out)
{
	icalproperty *p;

	out->has_organizer = count_props(ev, ICAL_ORGANIZER_PROPERTY) > 0;
	out->organizer[0] = '\0';
	if (count_props(ev, ICAL_ORGANIZER_PROPERTY) == 1 &&
	    (p = icalcomponent_get_first_property(ev,
	    ICAL_ORGANIZER_PROPERTY)) != NULL &&
	    mail_address(icalproperty_get_organizer(p), out->organizer,
	    sizeof(out->organizer)) != 0)
		out->organizer[0] = '\0';
}

/* Fill out from the parsed calendar; the reason goes to err. */
static int
read_reply(icalcomponent *cal, struct itip_reply *out, char *err,
    size_t errlen)
{
	icalcomponent *ev;
	icalproperty *p;
	icalparameter *ps;
	icalproperty_method method;
	const char *uid, *addr, *name;
	size_t n;

	if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT)
		return fail(err, errlen, "not a single VCALENDAR");
	if (icalcomponent_count_errors(cal) > 0)
		return fail(err, errlen, "the calendar does not parse cleanly "
		    "(libical reports errors)");
	method = count_props(cal, ICAL_METHOD_PROPERTY) == 1 ?
	    icalcomponent_get_method(cal) : ICAL_METHOD_NONE;
	if (method != ICAL_METHOD_REPLY && method != ICAL_METHOD_COUNTER)
		return fail(err, errlen, "METHOD must be REPLY or COUNTER");
	out->counter = method == ICAL_METHOD_COUNTER;
	if (icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT) != 1)
		return fail(err, errlen, "a reply must hold exactly one VEVENT");
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	if (count_props(ev, ICAL_UID_PROPERTY) != 1 ||
	    (uid = icalcomponent_get_uid(ev)) == NULL || uid[0] == '\0' ||
	    strlen(uid) >= sizeof(out->uid) || str_has_ctl(uid) ||
	    !str_utf8_valid(uid, strlen(uid)))
		return fail(err, errlen, "UID is missing or unusable");
	str_copy(out->uid, uid, sizeof(out->uid));
	n = (size_t)count_props(ev, ICAL_SEQUENCE_PROPERTY);
	if (n > 1)
		return fail(err, errlen, "more than one SEQUENCE");
	if (n == 1) {
		p = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
		out->sequence = icalproperty_get_sequence(p);
		if (out->sequence < 0)
			return fail(err, errlen, "SEQUENCE is negative");
		out->has_sequence = 1;
	}
	read_organizer(ev, out);
	if (count_props(ev, ICAL_DTSTAMP_PROPERTY) == 1 &&
	    instant(icalcomponent_get_dtstamp(ev), &out->dtstamp) == 0)
		out->has_dtstamp = 1;
	if (out->counter) {
		if (read_counter(ev, out, err, errlen) != 0)
			return -1;
		if ((p = counter_attendee(ev)) == NULL)
			return fail(err, errlen, "a COUNTER must name its "
			    "proposer: one ATTENDEE, or one that has answered");
	} else if (count_props(ev, ICAL_ATTENDEE_PROPERTY) != 1)
		return fail(err, errlen, "a reply must name exactly one "
		    "ATTENDEE");
	else
		p = icalcomponent_get_first_property(ev,
		    ICAL_ATTENDEE_PROPERTY);
	if ((addr = icalproperty_get_attendee(p)) == NULL)
		return fail(err, errlen, "ATTENDEE has no address");
	if (mail_address(addr, out->attendee, sizeof(out->attendee)) != 0)
		return fail(err, errlen, "ATTENDEE is not a mailto: address");
	ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	name = ps != NULL ? partstat_name(icalparameter_get_partstat(ps)) :
	    NULL;
	if (name == NULL && !out->counter)
		return fail(err, errlen, "ATTENDEE has no PARTSTAT");
	str_copy(out->partstat, name != NULL ? name : "",
	    sizeof(out->partstat));
	return 0;
}

/*
 * The nesting of BEGIN and END lines must be one well-formed tree that
 * starts at the first line. libical writes a line of its own to stderr (our
 * log) for some malformed nestings, so those never reach it. A line's name
 * is what precedes its first ':' or ';', as libical reads it; names folded
 * across lines and carriage returns inside a line are refused outright.
 */
static int
well_nested(const char *s, size_t len)
{
	const char *end = s + len, *nl;
	long depth = 0, roots = 0;
	size_t n, name;
	int open_name = 0;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl != NULL ? nl : end) - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\r', n) != NULL)
			return 0;
		if (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
			if (open_name)
				return 0;	/* a folded name */
		} else if (n > 0) {
			/* s is not NUL-terminated: bounded scan. */
			for (name = 0; name < n && s[name] != ':' &&
			    s[name] != ';'; name++)
				;
			open_name = name == n;
			if ((name == 5 && strncasecmp(s, "BEGIN", 5) == 0) ||
			    (name == 3 && strncasecmp(s, "END", 3) == 0)) {
				/* Only the plain "BEGIN:x" / "END:x" form. */
				if (name == n || s[name] != ':')
					return 0;
				if (name == 3 && --depth < 0)
					return 0;
				if (name == 5 && depth == 0 && ++roots > 1)
					return 0;
				if (name == 5)
					depth++;
			} else if (depth == 0)
				return 0;	/* outside the calendar */
		}
		s += (nl != NULL ? (size_t)(nl - s) : n) + 1;
	}
	return depth == 0 && roots == 1;
}

/* A VTIMEZONE observance's RRULE as real zones write it: yearly, every
 * year, by month and day only. libical expands a zone's rules to convert
 * a time, so an hourly (or by-second) rule in a crafted reply would take
 * it minutes to find an offset (found by tests/fuzz/fuzz_itip.c). */
static int
rule_bounded(const icalproperty *p)
{
	struct icalrecurrencetype r = icalproperty_get_rrule(p);

	return r.freq == ICAL_YEARLY_RECURRENCE && r.interval <= 1 &&
	    r.by_second[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_minute[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_hour[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_year_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_week_no[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_set_pos[0] == ICAL_RECURRENCE_ARRAY_MAX;
}

/* 1 when every time zone the calendar defines is cheap to use. */
static int
zones_bounded(icalcomponent *cal)
{
	icalcomponent *z, *o;
	icalproperty *p;
	int n = 0;

	for (z = icalcomponent_get_first_component(cal,
	    ICAL_VTIMEZONE_COMPONENT); z != NULL;
	    z = icalcomponent_get_next_component(cal,
	    ICAL_VTIMEZONE_COMPONENT))
		for (o = icalcomponent_get_first_component(z,
		    ICAL_ANY_COMPONENT); o != NULL;
		    o = icalcomponent_get_next_component(z,
		    ICAL_ANY_COMPONENT)) {
			if (++n > ITIP_MAX_OBSERVANCES)
				return 0;
			for (p = icalcomponent_get_first_property(o,
			    ICAL_RRULE_PROPERTY); p != NULL;
			    p = icalcomponent_get_next_property(o,
			    ICAL_RRULE_PROPERTY))
				if (!rule_bounded(p))
					return 0;
		}
	return 1;
}

int
itip_parse_reply(const char *text, size_t len, struct itip_reply *out,
    char *err, size_t errlen)
{
	icalcomponent *cal;
	char *copy;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return fail(err, errlen, "the body is empty");
	if (len > ITIP_MAX_BODY)
		return fail(err, errlen, "the body is too large");
	if (memchr(text, '\0', len) != NULL || !str_utf8_valid(text, len))
		return fail(err, errlen, "the body is not UTF-8 text");
	/* A byte-order mark some Windows tools add. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (!well_nested(text, len))
		return fail(err, errlen, "not one iCalendar object (BEGIN/END "
		    "lines do not nest)");
	if ((copy = malloc(len + 1)) == NULL)
		return fail(err, errlen, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	cal = icalparser_parse_string(copy);
	free(copy);
	if (cal == NULL)
		return fail(err, errlen, "not an iCalendar object");
	if (!zones_bounded(cal))
		rc = fail(err, errlen, "a VTIMEZONE whose rules are not yearly "
		    "by month and day, or with too many observances");
	else
		rc = read_reply(cal, out, err, errlen);
	icalcomponent_free(cal);
	return rc;
}

/* ---- applying ------------------------------------------------------------- */

/* Store the reply; r may be NULL (malformed). Its inbox row's id goes to
 * *inbox when inbox is not NULL. */
static int
store_id(struct db *db, const struct auth_user *u, const char *status,
    const char *reason, const struct itip_reply *r, long discussion,
    const char *body, size_t len, long *inbox)
{
	char uid_s[ID_LEN], did[ID_LEN], seq[ID_LEN], *hex;
	const char *p[9];
	struct db_res res;
	int rc;

	if ((hex = malloc(2 * len + 1)) == NULL)
		return -1;
	sodium_bin2hex(hex, 2 * len + 1, (const unsigned char *)body, len);
	snprintf(uid_s, sizeof(uid_s), "%ld", u != NULL ? u->id : 0);
	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(seq, sizeof(seq), "%ld", r != NULL ? r->sequence : 0);
	p[0] = u != NULL && u->id > 0 ? uid_s : NULL;
	p[1] = status;
	p[2] = reason;
	p[3] = r != NULL ? r->uid : NULL;
	p[4] = r != NULL ? r->attendee : NULL;
	p[5] = r != NULL ? r->partstat : NULL;
	p[6] = r != NULL && r->has_sequence ? seq : NULL;
	p[7] = discussion > 0 ? did : NULL;
	p[8] = hex;
	p[5] = r != NULL && r->partstat[0] != '\0' ? r->partstat : NULL;
	rc = db_exec(db, &res, "INSERT INTO itip_inbox (received_by, status, "
	    "reason, uid, attendee, partstat, sequence, discussion_id, raw) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7::int, $8, decode($9, 'hex')) "
	    "RETURNING id", 9, p);
	free(hex);
	if (rc != 0)
		return -1;
	if (inbox != NULL)
		*inbox = db_res_long(&res, 0, 0, 0);
	db_res_free(&res);
	return 0;
}

static int
store(struct db *db, const struct auth_user *u, const char *status,
    const char *reason, const struct itip_reply *r, long discussion,
    const char *body, size_t len)
{
	return store_id(db, u, status, reason, r, discussion, body, len, NULL);
}

static int
outcome(json_t **out, int status, const char *what, const char *msg,
    long discussion)
{
	*out = json_pack("{s:s, s:s}", "status", what, "message", msg);
	if (*out != NULL && discussion > 0)
		json_object_set_new(*out, "meeting_id",
		    json_integer((json_int_t)discussion));
	return status;
}

/*
 * The authority whose meetings u's mail may touch, as a statement
 * parameter written into buf: an administrator's own; NULL (every
 * authority) only for the deployment's mail gateway, which forwards the
 * one organiser mailbox of every authority.
 */
static const char *
itip_scope(const struct auth_user *u, char *buf, size_t len)
{
	if (u != NULL && u->role == ROLE_MAIL_GATEWAY)
		return NULL;
	snprintf(buf, len, "%ld", u != NULL ? u->authority_id : 0);
	return buf;
}

/* Store with outcome and commit: the answer for every "kept" path. */
static int
keep(struct db *db, const struct auth_user *u, const char *what,
    const char *msg, const struct itip_reply *r, long discussion,
    const char *body, size_t len, json_t **out)
{
	if (store(db, u, what, msg, r, discussion, body, len) != 0 ||
	    db_commit(db) != 0)
		return 500;
	return outcome(out, 202, what, msg, discussion);
}

/*
 * A REPLY to the meeting's current SEQUENCE (or a newer one). RFC 5546
 * 2.1.5: among replies to one SEQUENCE the latest DTSTAMP wins, whatever
 * order they arrive in, so each invitee's applied DTSTAMP is kept and an
 * older one is ignored ("superseded"). A reply without DTSTAMP counts as
 * sent when it arrived.
 */
static int
apply_reply(struct db *db, const struct auth_user *u,
    const struct itip_reply *r, long discussion, long seq, const char *body,
    size_t len, json_t **out)
{
	char did[ID_LEN], rseq[ID_LEN], stamp[LTIME_ISO_MAX], msg[256];
	const char *p[5] = { did, r->attendee, r->partstat, NULL, rseq };
	struct db_res res;
	json_t *ids = NULL, *after = NULL;
	int i, status = 500, newer;

	db_res_init(&res);
	if (strcmp(r->partstat, "ACCEPTED") != 0 &&
	    strcmp(r->partstat, "DECLINED") != 0 &&
	    strcmp(r->partstat, "TENTATIVE") != 0) {
		snprintf(msg, sizeof(msg), "PARTSTAT %s is not recorded; kept "
		    "for review", r->partstat);
		return keep(db, u, "unsupported", msg, r, discussion, body, len,
		    out);
	}
	snprintf(did, sizeof(did), "%ld", discussion);
	snprintf(rseq, sizeof(rseq), "%ld", r->has_sequence ? r->sequence :
	    seq);
	if (r->has_dtstamp && ltime_format_utc(r->dtstamp, stamp,
	    sizeof(stamp)) == 0)
		p[3] = stamp;
	/* The invitee's listings (one address may be listed twice) and
	 * whether one already holds a later answer to this SEQUENCE. */
	if (db_exec(db, &res, "SELECT bool_or(reply_sequence = $3::int AND "
	    "reply_dtstamp > coalesce($2::timestamptz, now())), count(*) "
	    "FROM participants WHERE discussion_id = $1 AND lower(email) = $4 "
	    "AND removed_at IS NULL", 4, (const char *[]){ did, p[3], rseq,
	    r->attendee }) != 0)
		goto out;
	newer = db_res_bool(&res, 0, 0);
	if (db_res_long(&res, 0, 1, 0) == 0) {
		/* Replies from another address than the one invited are kept
		 * for a person to match; never guessed. */
		status = keep(db, u, "unmatched", "no current invitee of this "
		    "meeting has this address; kept for review", r,
		    discussion, body, len, out);
		goto out;
	}
	if (newer) {
		status = keep(db, u, "superseded", "a reply with a later DTSTAMP "
		    "to the same SEQUENCE is already recorded; ignored", r,
		    discussion, body, len, out);
		goto out;
	}
	db_res_free(&res);
	/* partstat and when it was answered: all a reply may change. */
	if (db_exec(db, &res, "UPDATE participants SET partstat = $3, "
	    "reply_dtstamp = coalesce($4::timestamptz, now()), "
	    "reply_sequence = $5::int WHERE discussion_id = $1 AND "
	    "lower(email) = $2 AND removed_at IS NULL RETURNING id", 5,
	    p) != 0 || (ids = json_array()) == NULL)
		goto out;
	for (i = 0; i < db_res_rows(&res); i++)
		json_array_append_new(ids, json_integer(
		    (json_int_t)db_res_long(&res, i, 0, 0)));
	after = json_pack("{s:O, s:s, s:s}", "participants", ids, "partstat",
	    r->partstat, "via", "itip");
	if (after == NULL || store(db, u, "applied", "applied", r, discussion,
	    body, len) != 0 || audit_record(db, u, "participant.reply",
	    "discussion", discussion, NULL, after) != 0 || db_commit(db) != 0)
		goto out;
	status = outcome(out, 200, "applied", "the answer is recorded",
	    discussion);
	if (*out != NULL) {
		json_object_set(*out, "participants", ids);
		json_object_set_new(*out, "partstat", json_string(r->partstat));
	}
out:
	db_res_free(&res);
	json_decref(ids);
	json_decref(after);
	return status;
}

/*
 * A COUNTER ("Propose new time"): recorded for the organiser, shown on the
 * meeting page with a way to reschedule to it; the meeting itself does not
 * change. Answered 202: the gateway has delivered it.
 */
static int
apply_counter(struct db *db, const struct auth_user *u,
    const struct itip_reply *r, long discussion, long seq, const char *body,
    size_t len, json_t **out)
{
	char did[ID_LEN], pid[ID_LEN], ibx[ID_LEN], sq[ID_LEN];
	char st[LTIME_ISO_MAX], en[LTIME_ISO_MAX];
	const char *p[7] = { did, pid, ibx, sq, st, en, r->comment };
	struct db_res res;
	json_t *after = NULL;
	long inbox = 0, participant;
	int status = 500;

	snprintf(did, sizeof(did), "%ld", discussion);
	p[1] = r->attendee;
	if (db_exec(db, &res, "SELECT min(id) FROM participants WHERE "
	    "discussion_id = $1 AND lower(email) = $2 AND removed_at IS NULL",
	    2, p) != 0)
		return 500;
	participant = db_res_long(&res, 0, 0, 0);
	db_res_free(&res);
	if (participant < 1)
		return keep(db, u, "unmatched", "no current invitee of this "
		    "meeting has the address that proposed a new time; kept "
		    "for review", r, discussion, body, len, out);
	if (store_id(db, u, "counter", "a new time proposed; shown on the "
	    "meeting page", r, discussion, body, len, &inbox) != 0 ||
	    ltime_format_utc(r->starts, st, sizeof(st)) != 0 ||
	    ltime_format_utc(r->ends, en, sizeof(en)) != 0)
		return 500;
	snprintf(pid, sizeof(pid), "%ld", participant);
	p[1] = pid;
	snprintf(ibx, sizeof(ibx), "%ld", inbox);
	snprintf(sq, sizeof(sq), "%ld", r->has_sequence ? r->sequence : seq);
	after = json_pack("{s:I, s:s, s:s}", "participant",
	    (json_int_t)participant, "starts_at", st, "ends_at", en);
	if (after == NULL || db_cmd(db, "INSERT INTO counter_proposals "
	    "(discussion_id, participant_id, inbox_id, sequence, starts_at, "
	    "ends_at, comment) VALUES ($1, $2, $3, $4::int, $5, $6, $7)", 7,
	    p) != 0 || audit_record(db, u, "participant.counter",
	    "discussion", discussion, NULL, after) != 0 || db_commit(db) != 0)
		goto out;
	status = outcome(out, 202, "counter", "the proposal of a new time is "
	    "recorded and shown on the meeting page", discussion);
out:
	json_decref(after);
	return status;
}

/*
 * Whether reply r may answer for its ATTENDEE in meeting discussion: it
 * must have been sent to the organiser address this service issued to
 * that invitee of that meeting (organizer.h), a signed address of
 * mailbox. to is where it was sent: the envelope recipient the gateway
 * passed, else the reply's ORGANIZER.
 * Anyone holding one invitation could otherwise answer for another
 * agency by writing its address in ATTENDEE. 0 when bound; 1 with a fixed
 * reason in *why when not; -1 on a database error.
 */
static int
bound(struct db *db, const struct itip_reply *r, const char *mailbox,
    const char *to, long discussion, const char **why)
{
	char tag[ORGANIZER_TAG_MAX], sid[ID_LEN];
	unsigned char key[RSVP_KEY_BYTES];
	const char *p[1] = { sid };
	struct db_res res;
	long pid, of;
	int result = -1;

	*why = "it was not sent to an organiser address this service issued "
	    "(no or an unknown tag); kept for review";
	if (to == NULL || to[0] == '\0' || organizer_address_tag(
	    mailbox, to, tag, sizeof(tag)) != 0 ||
	    organizer_tag_pid(tag, &pid) != 0)
		return 1;
	db_res_init(&res);
	snprintf(sid, sizeof(sid), "%ld", pid);
	if (rsvp_key(db, key) != 0 || db_exec(db, &res, "SELECT "
	    "discussion_id, lower(email), removed_at IS NULL FROM "
	    "participants WHERE id = $1", 1, p) != 0)
		goto out;
	result = 1;
	of = db_res_rows(&res) > 0 ? db_res_long(&res, 0, 0, 0) : 0;
	/* An unknown id answers as a forged tag: nothing to learn. */
	if (of == 0 || organizer_tag_verify(key, tag, pid, of) != 0)
		*why = "the organiser address it was sent to has no valid "
		    "signature; kept for review";
	else if (of != discussion)
		*why = "it was sent to the organiser address of another "
		    "meeting's invitation; kept for review";
	else if (!db_res_bool(&res, 0, 2))
		*why = "it was sent to the organiser address of someone no "
		    "longer invited; kept for review";
	else if (db_res_get(&res, 0, 1) == NULL ||
	    strcmp(db_res_get(&res, 0, 1), r->attendee) != 0)
		*why = "its ATTENDEE is not the invitee the organiser address "
		    "it was sent to was issued to; kept for review";
	else
		result = 0;
out:
	sodium_memzero(key, sizeof(key));
	db_res_free(&res);
	return result;
}

int
itip_ingest(struct db *db, const struct auth_user *u, const char *body,
    size_t len, const char *mailbox, const char *recipient, json_t **out)
{
	struct itip_reply r;
	struct db_res res;
	char err[160], msg[256], aid[ID_LEN];
	const char *p[2], *why;
	long discussion = 0, seq;
	int status = 500, rc;

	*out = NULL;
	db_res_init(&res);
	if (db_begin(db) != 0)
		return 500;
	if (itip_parse_reply(body, len, &r, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "not a usable REPLY: %s; kept for "
		    "review", err);
		if (store(db, u, "malformed", err, NULL, 0, body, len) != 0 ||
		    db_commit(db) != 0)
			goto out;
		status = outcome(out, 422, "malformed", msg, 0);
		goto out;
	}
	p[0] = r.uid;
	p[1] = itip_scope(u, aid, sizeof(aid));
	/* A meeting of another authority is no meeting: the reply is kept
	 * unmatched, with the same answer as an unknown UID. */
	if (db_exec(db, &res, "SELECT id, sequence, status FROM discussions "
	    "WHERE uid = $1 AND ($2::bigint IS NULL OR authority_id = $2) "
	    "FOR UPDATE", 2, p) != 0)
		goto out;
	if (db_res_rows(&res) == 0) {
		if (store(db, u, "unmatched", "no meeting has this UID", &r, 0,
		    body, len) != 0 || db_commit(db) != 0)
			goto out;
		status = outcome(out, 202, "unmatched", "no meeting has this "
		    "UID; kept for review", 0);
		goto out;
	}
	discussion = db_res_long(&res, 0, 0, 0);
	seq = db_res_long(&res, 0, 1, 0);
	/* Replies and counter-proposals alike: only from the address issued
	 * to the one they answer for, whatever else they say. */
	if ((rc = bound(db, &r, mailbox, recipient != NULL ? recipient :
	    r.organizer, discussion, &why)) != 0) {
		if (rc > 0)
			status = keep(db, u, "unmatched", why, &r, discussion,
			    body, len, out);
		goto out;
	}
	/* No SEQUENCE is SEQUENCE 0 (RFC 5545 3.8.7.4): the first version,
	 * stale once the meeting has been revised. */
	if ((r.has_sequence ? r.sequence : 0) < seq) {
		snprintf(msg, sizeof(msg), "the reply is to SEQUENCE %ld but the "
		    "meeting is at %ld; ignored", r.has_sequence ? r.sequence :
		    0, seq);
		status = keep(db, u, "stale", msg, &r, discussion, body, len,
		    out);
		goto out;
	}
	if (strcmp(db_res_get(&res, 0, 2), "scheduled") != 0) {
		snprintf(msg, sizeof(msg), "the meeting is %s; ignored",
		    db_res_get(&res, 0, 2));
		status = keep(db, u, "stale", msg, &r, discussion, body, len,
		    out);
		goto out;
	}
	db_res_free(&res);
	status = r.counter ? apply_counter(db, u, &r, discussion, seq, body,
	    len, out) : apply_reply(db, u, &r, discussion, seq, body, len,
	    out);
out:
	if (status == 500)
		db_rollback(db);
	db_res_free(&res);
	return status;
}

/* ---- mail without a calendar part ------------------------------------------ */

#define MAIL_REFS_MAX	20	/* Message-IDs of In-Reply-To + References */

/*
 * The unfolded value of header name in the header block h[0..len), into
 * out: printable ASCII only (anything else becomes '?'), cut at outlen - 1.
 * "" when absent. Only the first occurrence counts.
 */
static void
header_value(const char *h, size_t len, const char *name, char *out,
    size_t outlen)
{
	const char *end = h + len, *v;
	size_t nlen = strlen(name), used = 0;

	out[0] = '\0';
	while (h < end) {
		if ((size_t)(end - h) > nlen && strncasecmp(h, name, nlen) ==
		    0 && h[nlen] == ':') {
			for (v = h + nlen + 1; v < end && used + 1 < outlen;
			    v++) {
				if (*v == '\r')
					continue;
				if (*v == '\n') {
					if (v + 1 >= end || (v[1] != ' ' &&
					    v[1] != '\t'))
						break;
					continue;	/* folded */
				}
				out[used++] = *v == '\t' ? ' ' :
				    (*v < 0x20 || *v > 0x7e) ? '?' : *v;
			}
			out[used] = '\0';
			while (used > 0 && out[used - 1] == ' ')
				out[--used] = '\0';
			v = out + strspn(out, " ");
			memmove(out, v, strlen(v) + 1);
			return;
		}
		if ((v = memchr(h, '\n', (size_t)(end - h))) == NULL)
			return;
		h = v + 1;
	}
}

/* The meeting whose invitation one of the <Message-ID>s in refs is, of
 * the authority scope (NULL: any; itip_scope()). */
static int
meeting_of_refs(struct db *db, const char *scope, const char *refs,
    long *discussion)
{
	char id[MAIL_MESSAGE_ID_MAX + 1];
	const char *p[2] = { id, scope }, *a, *b;
	struct db_res r;
	int n = 0;

	*discussion = 0;
	for (a = strchr(refs, '<'); a != NULL && n < MAIL_REFS_MAX;
	    a = strchr(b, '<'), n++) {
		if ((b = strchr(a, '>')) == NULL)
			break;
		if ((size_t)(b - a - 1) >= sizeof(id) || b == a + 1)
			continue;
		memcpy(id, a + 1, (size_t)(b - a - 1));
		id[b - a - 1] = '\0';
		if (db_exec(db, &r, "SELECT o.discussion_id FROM outbox o "
		    "JOIN discussions d ON d.id = o.discussion_id WHERE "
		    "o.message_id = $1 AND ($2::bigint IS NULL OR "
		    "d.authority_id = $2)", 2, p) != 0)
			return -1;
		if (db_res_rows(&r) > 0)
			*discussion = db_res_long(&r, 0, 0, 0);
		db_res_free(&r);
		if (*discussion > 0)
			return 0;
	}
	return 0;
}

int
itip_ingest_mail(struct db *db, const struct auth_user *u, const char *body,
    size_t len, json_t **out)
{
	char from[ITIP_MAIL_HEADER_MAX + 1], subject[ITIP_MAIL_HEADER_MAX + 1];
	char refs[4096], irt[1024], uid_s[ID_LEN], did[ID_LEN], *hex = NULL;
	char aid[ID_LEN];
	const char *p[6], *hend, *scope = itip_scope(u, aid, sizeof(aid));
	size_t hlen;
	long discussion = 0;
	int status = 500;

	*out = NULL;
	/* The header block ends at the first empty line. */
	hend = NULL;
	for (hlen = 0; hlen + 1 < len && hend == NULL; hlen++)
		if (body[hlen] == '\n' && (body[hlen + 1] == '\n' ||
		    (body[hlen + 1] == '\r' && hlen + 2 < len &&
		    body[hlen + 2] == '\n')))
			hend = body + hlen;
	hlen = hend != NULL ? (size_t)(hend - body) : len;
	header_value(body, hlen, "From", from, sizeof(from));
	header_value(body, hlen, "Subject", subject, sizeof(subject));
	header_value(body, hlen, "In-Reply-To", irt, sizeof(irt));
	header_value(body, hlen, "References", refs, sizeof(refs));
	if ((hex = malloc(2 * len + 1)) == NULL)
		return 500;
	sodium_bin2hex(hex, 2 * len + 1, (const unsigned char *)body, len);
	if (db_begin(db) != 0 || meeting_of_refs(db, scope, irt,
	    &discussion) != 0 || (discussion == 0 && meeting_of_refs(db, scope,
	    refs, &discussion) != 0))
		goto out;
	snprintf(uid_s, sizeof(uid_s), "%ld", u != NULL ? u->id : 0);
	snprintf(did, sizeof(did), "%ld", discussion);
	p[0] = u != NULL && u->id > 0 ? uid_s : NULL;
	p[1] = discussion > 0 ? did : NULL;
	p[2] = from[0] != '\0' ? from : NULL;
	p[3] = subject[0] != '\0' ? subject : NULL;
	p[4] = hex;
	p[5] = "an email without a calendar part; for the organiser to read";
	if (db_cmd(db, "INSERT INTO itip_inbox (received_by, status, reason, "
	    "discussion_id, mail_from, subject, raw) VALUES ($1, 'mail', $6, "
	    "$2, $3, $4, decode($5, 'hex'))", 6, p) != 0 || db_commit(db) != 0)
		goto out;
	status = outcome(out, 202, "mail", "stored for the organiser to read",
	    discussion);
out:
	if (status == 500)
		db_rollback(db);
	free(hex);
	return status;
}
