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

/* Fill out from the parsed calendar; the reason goes to err. */
static int
read_reply(icalcomponent *cal, struct itip_reply *out, char *err,
    size_t errlen)
{
	icalcomponent *ev;
	icalproperty *p;
	icalparameter *ps;
	const char *uid, *addr, *name;
	size_t i, n;

	if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT)
		return fail(err, errlen, "not a single VCALENDAR");
	if (icalcomponent_count_errors(cal) > 0)
		return fail(err, errlen, "the calendar does not parse cleanly "
		    "(libical reports errors)");
	if (count_props(cal, ICAL_METHOD_PROPERTY) != 1 ||
	    icalcomponent_get_method(cal) != ICAL_METHOD_REPLY)
		return fail(err, errlen, "METHOD must be REPLY");
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
	out->has_organizer = count_props(ev, ICAL_ORGANIZER_PROPERTY) > 0;
	if (count_props(ev, ICAL_ATTENDEE_PROPERTY) != 1)
		return fail(err, errlen, "a reply must name exactly one "
		    "ATTENDEE");
	p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	if ((addr = icalproperty_get_attendee(p)) == NULL)
		return fail(err, errlen, "ATTENDEE has no address");
	if (strncasecmp(addr, "mailto:", 7) == 0)
		addr += 7;
	if (strlen(addr) >= sizeof(out->attendee) || !str_email_valid(addr))
		return fail(err, errlen, "ATTENDEE is not a mailto: address");
	for (i = 0; addr[i] != '\0'; i++)
		out->attendee[i] = (char)tolower((unsigned char)addr[i]);
	out->attendee[i] = '\0';
	if ((ps = icalproperty_get_first_parameter(p,
	    ICAL_PARTSTAT_PARAMETER)) == NULL ||
	    (name = partstat_name(icalparameter_get_partstat(ps))) == NULL)
		return fail(err, errlen, "ATTENDEE has no PARTSTAT");
	str_copy(out->partstat, name, sizeof(out->partstat));
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
	rc = read_reply(cal, out, err, errlen);
	icalcomponent_free(cal);
	return rc;
}

/* ---- applying ------------------------------------------------------------- */

/* Store the reply; r may be NULL (malformed). */
static int
store(struct db *db, const struct auth_user *u, const char *status,
    const char *reason, const struct itip_reply *r, long discussion,
    const char *body, size_t len)
{
	char uid_s[ID_LEN], did[ID_LEN], seq[ID_LEN], *hex;
	const char *p[9];
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
	rc = db_cmd(db, "INSERT INTO itip_inbox (received_by, status, reason, "
	    "uid, attendee, partstat, sequence, discussion_id, raw) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7::int, $8, decode($9, 'hex'))", 9, p);
	free(hex);
	return rc;
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

int
itip_ingest(struct db *db, const struct auth_user *u, const char *body,
    size_t len, json_t **out)
{
	struct itip_reply r;
	struct db_res res;
	char err[160], msg[256], did[ID_LEN];
	const char *p[3];
	json_t *ids = NULL, *after = NULL;
	long discussion = 0, seq;
	int i, status = 500;

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
	if (db_exec(db, &res, "SELECT id, sequence, status FROM discussions "
	    "WHERE uid = $1 FOR UPDATE", 1, p) != 0)
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
	if (r.has_sequence && r.sequence < seq) {
		snprintf(msg, sizeof(msg), "the reply is to SEQUENCE %ld but the "
		    "meeting is at %ld; ignored", r.sequence, seq);
		if (store(db, u, "stale", msg, &r, discussion, body, len) != 0 ||
		    db_commit(db) != 0)
			goto out;
		status = outcome(out, 202, "stale", msg, discussion);
		goto out;
	}
	if (strcmp(db_res_get(&res, 0, 2), "scheduled") != 0) {
		snprintf(msg, sizeof(msg), "the meeting is %s; ignored",
		    db_res_get(&res, 0, 2));
		if (store(db, u, "stale", msg, &r, discussion, body, len) != 0 ||
		    db_commit(db) != 0)
			goto out;
		status = outcome(out, 202, "stale", msg, discussion);
		goto out;
	}
	if (strcmp(r.partstat, "ACCEPTED") != 0 &&
	    strcmp(r.partstat, "DECLINED") != 0 &&
	    strcmp(r.partstat, "TENTATIVE") != 0) {
		snprintf(msg, sizeof(msg), "PARTSTAT %s is not recorded; kept "
		    "for review", r.partstat);
		if (store(db, u, "unsupported", msg, &r, discussion, body,
		    len) != 0 || db_commit(db) != 0)
			goto out;
		status = outcome(out, 202, "unsupported", msg, discussion);
		goto out;
	}
	db_res_free(&res);
	snprintf(did, sizeof(did), "%ld", discussion);
	p[0] = did;
	p[1] = r.attendee;
	p[2] = r.partstat;
	/* The only column a reply may change. */
	if (db_exec(db, &res, "UPDATE participants SET partstat = $3 WHERE "
	    "discussion_id = $1 AND lower(email) = $2 AND removed_at IS NULL "
	    "RETURNING id", 3, p) != 0)
		goto out;
	if (db_res_rows(&res) == 0) {
		/* Replies from another address than the one invited are kept
		 * for a person to match; never guessed. */
		if (store(db, u, "unmatched", "no current invitee of this "
		    "meeting has the ATTENDEE address", &r, discussion, body,
		    len) != 0 || db_commit(db) != 0)
			goto out;
		status = outcome(out, 202, "unmatched", "no current invitee of "
		    "this meeting has this address; kept for review",
		    discussion);
		goto out;
	}
	if ((ids = json_array()) == NULL)
		goto out;
	for (i = 0; i < db_res_rows(&res); i++)
		json_array_append_new(ids, json_integer(
		    (json_int_t)db_res_long(&res, i, 0, 0)));
	after = json_pack("{s:O, s:s, s:s}", "participants", ids, "partstat",
	    r.partstat, "via", "itip");
	if (after == NULL || store(db, u, "applied", "applied", &r, discussion,
	    body, len) != 0 || audit_record(db, u, "participant.reply",
	    "discussion", discussion, NULL, after) != 0 || db_commit(db) != 0)
		goto out;
	status = outcome(out, 200, "applied", "the answer is recorded",
	    discussion);
	if (*out != NULL) {
		json_object_set(*out, "participants", ids);
		json_object_set_new(*out, "partstat", json_string(r.partstat));
	}
out:
	if (status == 500)
		db_rollback(db);
	db_res_free(&res);
	json_decref(ids);
	json_decref(after);
	return status;
}
