/*
 * Unit tests for ics: new, updated, cancelled and removed-attendee invites,
 * and meetings at 10:00 on the days the clocks change. Every object is
 * parsed back with libical (zero errors after libical's iTIP restriction
 * checks), its DTSTART is converted to UTC through the VTIMEZONE embedded in
 * the object itself (not libical's built-in zone) and compared with an
 * instant computed by timegm(), and every line is checked to be at most 75
 * octets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "ics.h"
#include "ltime.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static const struct ics_attendee people[] = {
	{ "Sam Okafor", "sam.okafor@police.example", ICS_ROLE_REQ,
	  "NEEDS-ACTION" },
	{ "Dr Zoë Ångström-Łukasiewicz, Named Nurse; Safeguarding Ωμέγα Ωμέγα",
	  "zoe@nhs.example", ICS_ROLE_REQ, "NEEDS-ACTION" },
	{ "Priya Shah", "p.shah@school.example", ICS_ROLE_OPT,
	  "NEEDS-ACTION" },
	{ "Alex Chair", "alex@council.example", ICS_ROLE_CHAIR,
	  "NEEDS-ACTION" },
};

static void
event(struct ics_event *e, time_t starts, long seq, int cancelled)
{
	memset(e, 0, sizeof(*e));
	e->uid = "0123456789abcdef0123456789abcdef@convene";
	e->sequence = seq;
	e->dtstamp = utc(2026, 11, 28, 9, 30);
	e->starts = starts;
	e->ends = starts + 3600;
	e->cancelled = cancelled;
	e->summary = "Strategy meeting: SC-104233";
	e->description = "Multi-agency strategy meeting, case SC-104233.\n"
	    "Chair: Alex Chair; agencies: police, health, education, "
	    "social care. A long line that certainly needs folding by "
	    "libical because it is longer than seventy-five octets.";
	e->location = "Room 2, Civic Centre, 1 High Street, Anytown";
	e->organizer_email = "strategy-meetings@council.example";
	e->organizer_name = "Alex Chair";
	e->attendees = people;
	e->nattendees = NELEM(people);
}

/* Every line (CRLF-separated) at most 75 octets, and CRLF line ends. */
static void
assert_folded(const char *text)
{
	const char *p = text, *nl;

	while (*p != '\0') {
		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 75);
		assert_null(memchr(p, '\n', (size_t)(nl - p)));
		p = nl + 2;
	}
}

/* text with its folds ("\r\n " and "\r\n\t") removed; caller frees. */
static char *
unfold(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	assert_non_null(out);
	while (*text != '\0') {
		if (text[0] == '\r' && text[1] == '\n' &&
		    (text[2] == ' ' || text[2] == '\t')) {
			text += 3;
			continue;
		}
		*o++ = *text++;
	}
	*o = '\0';
	return out;
}

/* Parse text; check METHOD, one VEVENT with uid/sequence/status, and that
 * DTSTART converted through the embedded VTIMEZONE is want_start. */
static void
check_parsed(const char *text, icalproperty_method method, long seq,
    icalproperty_status status, time_t want_start, size_t natt)
{
	icalcomponent *cal, *ev;
	icaltimezone *tz;
	icalproperty *p;
	struct icaltimetype dt;
	size_t n = 0;

	assert_int_equal(ics_count_errors(text), 0);
	cal = icalparser_parse_string(text);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	assert_int_equal(icalcomponent_get_method(cal), method);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(ev);
	assert_string_equal(icalcomponent_get_uid(ev),
	    "0123456789abcdef0123456789abcdef@convene");
	assert_int_equal(icalcomponent_get_sequence(ev), seq);
	assert_int_equal(icalcomponent_get_status(ev), status);
	p = icalcomponent_get_first_property(ev, ICAL_CLASS_PROPERTY);
	assert_non_null(p);
	assert_int_equal(icalproperty_get_class(p), ICAL_CLASS_CONFIDENTIAL);
	p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	assert_non_null(p);
	assert_string_equal(icalproperty_get_organizer(p),
	    "mailto:strategy-meetings@council.example");
	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	    p != NULL;
	    p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY))
		n++;
	assert_int_equal(n, natt);
	/* DTSTAMP is UTC. */
	p = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY);
	assert_non_null(p);
	assert_true(icaltime_is_utc(icalproperty_get_dtstamp(p)));
	/* The embedded zone, by its TZID, gives the right instant. */
	tz = icalcomponent_get_timezone(cal, "Europe/London");
	assert_non_null(tz);
	p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	dt = icalproperty_get_dtstart(p);
	assert_int_equal(dt.hour, 10);
	assert_true(icaltime_as_timet_with_zone(dt, tz) == want_start);
	p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	dt = icalproperty_get_dtend(p);
	assert_true(icaltime_as_timet_with_zone(dt, tz) == want_start + 3600);
	icalcomponent_free(cal);
}

static void
test_new(void **state)
{
	struct ics_event e;
	size_t len = 0;
	char *s, *u;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_non_null(strstr(s, "METHOD:REQUEST\r\n"));
	assert_non_null(strstr(s, "VERSION:2.0\r\n"));
	assert_non_null(strstr(s, "PRODID:" ICS_PRODID "\r\n"));
	assert_non_null(strstr(s, "DTSTART;TZID=Europe/London:20261202T100000"));
	assert_non_null(strstr(s, "DTEND;TZID=Europe/London:20261202T110000"));
	assert_non_null(strstr(s, "DTSTAMP:20261128T093000Z"));
	assert_non_null(strstr(s, "STATUS:CONFIRMED"));
	assert_non_null(strstr(s, "RSVP=TRUE"));
	assert_non_null(strstr(s, "PARTSTAT=NEEDS-ACTION"));
	assert_non_null(strstr(s, "CUTYPE=INDIVIDUAL"));
	assert_non_null(strstr(s, "ROLE=REQ-PARTICIPANT"));
	assert_non_null(strstr(s, "ROLE=OPT-PARTICIPANT"));
	assert_non_null(strstr(s, "ROLE=CHAIR"));
	/* The VTIMEZONE is the two-rule form and nothing else. */
	assert_non_null(strstr(s, "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"));
	assert_non_null(strstr(s, "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"));
	assert_null(strstr(s, "RDATE"));
	assert_null(strstr(s, "freeassociation"));
	/* libical escaped the TEXT value. */
	u = unfold(s);
	assert_non_null(strstr(u, "DESCRIPTION:Multi-agency strategy meeting\\, "
	    "case SC-104233.\\nChair: Alex Chair\\; agencies: police\\,"));
	free(u);
	assert_folded(s);
	check_parsed(s, ICAL_METHOD_REQUEST, 0, ICAL_STATUS_CONFIRMED,
	    utc(2026, 12, 2, 10, 0), NELEM(people));
	free(s);
}

/* An invitation built once gives, per organiser, exactly ics_calendar's
 * text; the checks run once per shape. */
static void
test_invite_per_organizer(void **state)
{
	/* The third is long enough for its line to be folded. */
	const char *orgs[3] = { "a+t1@convene.example", "a+t2@convene.example",
		"strategy-meetings+0123456789abcdef0123456789abcdef0123456789"
		"abcdef@convene.example" };
	struct ics_invite *iv;
	struct ics_event e;
	size_t len, wlen;
	char *got, *want;
	long checks;
	int i;

	(void)state;
	event(&e, utc(2026, 12, 9, 10, 0), 0, 0);
	e.location = NULL;	/* a shape no other case builds */
	assert_non_null(iv = ics_invite_new(ICS_METHOD_REQUEST, &e));
	checks = ics_checks_run();
	for (i = 0; i < 3; i++) {
		e.organizer_email = orgs[i];
		assert_non_null(want = ics_calendar(ICS_METHOD_REQUEST, &e,
		    1, &wlen));
		assert_non_null(got = ics_invite_text(iv, orgs[i], &len));
		assert_int_equal(len, wlen);
		assert_string_equal(got, want);
		free(got);
		free(want);
	}
	assert_int_equal(ics_checks_run(), checks + 1);
	ics_invite_free(iv);
	/* The same shape again (another time, sequence and summary): no
	 * check; another shape (with a location): one. */
	event(&e, utc(2027, 1, 5, 14, 0), 2, 0);
	e.location = NULL;
	e.summary = "Another summary";
	assert_non_null(iv = ics_invite_new(ICS_METHOD_REQUEST, &e));
	assert_non_null(got = ics_invite_text(iv, orgs[0], NULL));
	assert_int_equal(ics_checks_run(), checks + 1);
	free(got);
	ics_invite_free(iv);
	event(&e, utc(2027, 1, 5, 14, 0), 2, 0);
	e.location = "Room 4";
	assert_non_null(iv = ics_invite_new(ICS_METHOD_REQUEST, &e));
	assert_non_null(got = ics_invite_text(iv, orgs[0], NULL));
	assert_int_equal(ics_checks_run(), checks + 2);
	free(got);
	/* No address, no object. */
	assert_null(ics_invite_text(iv, "", NULL));
	ics_invite_free(iv);
}

static void
test_updated(void **state)
{
	struct ics_event e;
	char *s;

	(void)state;
	event(&e, utc(2026, 7, 1, 13, 30), 3, 0);	/* 14:30 BST */
	s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "SEQUENCE:3\r\n"));
	assert_non_null(strstr(s, "DTSTART;TZID=Europe/London:20260701T143000"));
	assert_folded(s);
	/* check_parsed wants 10:00 local; 14:30 here, so check by hand. */
	assert_int_equal(ics_count_errors(s), 0);
	free(s);
}

static void
test_cancelled(void **state)
{
	struct ics_event e;
	char *s;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 2, 1);
	s = ics_calendar(ICS_METHOD_CANCEL, &e, 1, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "METHOD:CANCEL\r\n"));
	assert_non_null(strstr(s, "STATUS:CANCELLED\r\n"));
	assert_folded(s);
	check_parsed(s, ICAL_METHOD_CANCEL, 2, ICAL_STATUS_CANCELLED,
	    utc(2026, 12, 2, 10, 0), NELEM(people));
	free(s);
}

static void
test_removed_attendee(void **state)
{
	struct ics_event e;
	char *s, *u;

	(void)state;
	/* The meeting goes on (CONFIRMED) but this attendee gets a CANCEL
	 * naming only them. */
	event(&e, utc(2026, 12, 2, 10, 0), 1, 0);
	e.attendees = &people[2];
	e.nattendees = 1;
	s = ics_calendar(ICS_METHOD_CANCEL, &e, 1, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "METHOD:CANCEL\r\n"));
	u = unfold(s);
	assert_non_null(strstr(u, "mailto:p.shah@school.example"));
	free(u);
	assert_null(strstr(s, "sam.okafor"));
	assert_folded(s);
	check_parsed(s, ICAL_METHOD_CANCEL, 1, ICAL_STATUS_CONFIRMED,
	    utc(2026, 12, 2, 10, 0), 1);
	free(s);
}

/* 10:00 on the last Sunday of March 2026 is BST (09:00 UTC); on the last
 * Sunday of October 2026 it is GMT again (10:00 UTC). Also the first
 * Sundays after, and 2027's changes. */
static void
test_clock_changes(void **state)
{
	static const struct {
		int y, mo, d, utc_hour;
	} days[] = {
		{ 2026, 3, 29, 9 }, { 2026, 10, 25, 10 }, { 2026, 3, 28, 10 },
		{ 2026, 10, 24, 9 }, { 2027, 3, 28, 9 }, { 2027, 10, 31, 10 },
	};
	struct ics_event e;
	char want[64], *s;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(days); i++) {
		event(&e, utc(days[i].y, days[i].mo, days[i].d,
		    days[i].utc_hour, 0), 0, 0);
		s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
		assert_non_null(s);
		snprintf(want, sizeof(want),
		    "DTSTART;TZID=Europe/London:%04d%02d%02dT100000",
		    days[i].y, days[i].mo, days[i].d);
		assert_non_null(strstr(s, want));
		check_parsed(s, ICAL_METHOD_REQUEST, 0, ICAL_STATUS_CONFIRMED,
		    utc(days[i].y, days[i].mo, days[i].d, days[i].utc_hour, 0),
		    NELEM(people));
		free(s);
	}
}

static void
test_feed_many(void **state)
{
	struct ics_attendee quiet[NELEM(people)];
	struct ics_event ev[3];
	icalcomponent *cal;
	char *s;
	size_t i;

	(void)state;
	memcpy(quiet, people, sizeof(quiet));
	for (i = 0; i < NELEM(quiet); i++)
		quiet[i].partstat = NULL;
	for (i = 0; i < NELEM(ev); i++) {
		event(&ev[i], utc(2026, 12, 2 + (int)i, 10, 0), (long)i, 0);
		ev[i].attendees = quiet;
	}
	ev[1].uid = "second@convene";
	ev[2].uid = "third@convene";
	s = ics_calendar(ICS_METHOD_NONE, ev, NELEM(ev), NULL);
	assert_non_null(s);
	assert_null(strstr(s, "METHOD:"));
	assert_null(strstr(s, "RSVP"));
	assert_null(strstr(s, "PARTSTAT"));
	assert_folded(s);
	assert_int_equal(ics_count_errors(s), 0);
	cal = icalparser_parse_string(s);
	assert_int_equal(icalcomponent_count_components(cal,
	    ICAL_VEVENT_COMPONENT), 3);
	assert_int_equal(icalcomponent_count_components(cal,
	    ICAL_VTIMEZONE_COMPONENT), 1);
	icalcomponent_free(cal);
	free(s);
	/* An empty feed is still a valid calendar. */
	s = ics_calendar(ICS_METHOD_NONE, NULL, 0, NULL);
	assert_non_null(s);
	assert_int_equal(ics_count_errors(s), 0);
	free(s);
}

static void
test_refuses_bad_input(void **state)
{
	struct ics_event e;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	e.ends = e.starts;
	assert_null(ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL));
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	e.uid = "";
	assert_null(ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL));
	event(&e, utc(2026, 12, 2, 10, 0), -1, 0);
	assert_null(ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL));
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	e.organizer_email = NULL;
	assert_null(ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL));
	assert_int_equal(ics_count_errors("not a calendar"), -1);
	assert_true(ics_count_errors("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "PRODID:x\r\nBEGIN:VEVENT\r\nDTSTART:bogus\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n") > 0);
}

/* Issue 15.1: 01:30 on the Sunday the clocks go back happens twice.
 * Both occurrences, for 60 minutes, are written in UTC (DTSTART and DTEND
 * together), so neither is a zero-length event or read an hour early. */
static void
test_repeated_hour(void **state)
{
	static const struct {
		int	 h, mi;		/* UTC */
		const char *ds, *de;
	} cases[] = {
		/* 01:30 BST = 00:30 UTC, ends 01:30 GMT = 01:30 UTC */
		{ 0, 30, "DTSTART:20271031T003000Z", "DTEND:20271031T013000Z" },
		/* 01:30 GMT = 01:30 UTC, ends 02:30 GMT */
		{ 1, 30, "DTSTART:20271031T013000Z", "DTEND:20271031T023000Z" },
		/* 00:30 BST, ends 01:30 BST (23:30 and 00:30 UTC) */
		{ -1, 30, "DTSTART:20271030T233000Z", "DTEND:20271031T003000Z" },
	};
	struct ics_event e;
	icalcomponent *cal, *ev;
	char *s;
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		t = utc(2027, 10, 31, 0, cases[i].mi) + cases[i].h * 3600;
		event(&e, t, 0, 0);
		s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
		assert_non_null(s);
		assert_non_null(strstr(s, cases[i].ds));
		assert_non_null(strstr(s, cases[i].de));
		assert_null(strstr(s, "DTSTART;TZID"));
		assert_int_equal(ics_count_errors(s), 0);
		cal = icalparser_parse_string(s);
		ev = icalcomponent_get_first_component(cal,
		    ICAL_VEVENT_COMPONENT);
		assert_true(icaltime_as_timet(icalcomponent_get_dtstart(ev)) ==
		    t);
		assert_true(icaltime_as_timet(icalcomponent_get_dtend(ev)) ==
		    t + 3600);
		icalcomponent_free(cal);
		free(s);
	}
	/* The hour after is plain London time again. */
	event(&e, utc(2027, 10, 31, 9, 0), 0, 0);
	s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
	assert_non_null(strstr(s, "DTSTART;TZID=Europe/London:20271031T090000"));
	free(s);
	assert_true(ics_time_ambiguous(utc(2027, 10, 31, 0, 30)));
	assert_true(ics_time_ambiguous(utc(2027, 10, 31, 1, 30)));
	assert_false(ics_time_ambiguous(utc(2027, 10, 31, 2, 0)));
	assert_false(ics_time_ambiguous(utc(2027, 10, 30, 23, 59)));
	assert_false(ics_time_ambiguous(utc(2027, 3, 28, 1, 30)));
	assert_string_equal(ics_time_ambiguous_label(utc(2027, 10, 31, 0, 30)),
	    "BST");
	assert_string_equal(ics_time_ambiguous_label(utc(2027, 10, 31, 1, 30)),
	    "GMT");
}

/* Issue 15.5: the CANCEL that uninvites one person carries no STATUS, and
 * no CANCEL asks for an answer (RSVP). */
static void
test_uninvite_cancel(void **state)
{
	struct ics_event e;
	char *s;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 1, 0);
	e.attendees = &people[2];
	e.nattendees = 1;
	e.no_status = 1;
	s = ics_calendar(ICS_METHOD_CANCEL, &e, 1, NULL);
	assert_non_null(s);
	assert_null(strstr(s, "STATUS:"));
	assert_null(strstr(s, "RSVP"));
	assert_null(strstr(s, "PARTSTAT"));
	assert_int_equal(ics_count_errors(s), 0);
	free(s);
	event(&e, utc(2026, 12, 2, 10, 0), 2, 1);
	s = ics_calendar(ICS_METHOD_CANCEL, &e, 1, NULL);
	assert_non_null(strstr(s, "STATUS:CANCELLED"));
	assert_null(strstr(s, "RSVP"));
	free(s);
}

/* Issue 15.8: a '"' in a name is not written as RFC 6868's ^' (Outlook
 * shows that as it is). */
static void
test_cn_quotes(void **state)
{
	static const struct ics_attendee q[] = {
		{ "DC \"Bob\" Jones", "bob@police.example", ICS_ROLE_REQ,
		  "NEEDS-ACTION" },
	};
	struct ics_event e;
	char *s, *u;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	e.attendees = q;
	e.nattendees = 1;
	e.organizer_name = "Alex \"AJ\" Chair";
	s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
	assert_non_null(s);
	u = unfold(s);
	assert_null(strstr(u, "^'"));
	assert_non_null(strstr(u, "CN=DC 'Bob' Jones"));
	assert_non_null(strstr(u, "CN=Alex 'AJ' Chair"));
	free(u);
	free(s);
}

/* Issue 15.11: CLASS follows the authority's setting. */
static void
test_class(void **state)
{
	struct ics_event e;
	char *s;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	e.klass = "PRIVATE";
	s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
	assert_non_null(strstr(s, "CLASS:PRIVATE\r\n"));
	free(s);
	e.klass = "CONFIDENTIAL";
	s = ics_calendar(ICS_METHOD_REQUEST, &e, 1, NULL);
	assert_non_null(strstr(s, "CLASS:CONFIDENTIAL\r\n"));
	free(s);
}

/* Issue 15.7: a feed names itself and says how often to poll. */
static void
test_feedinfo(void **state)
{
	const struct ics_feedinfo fi = { "Strategy meetings (Convene)", 60 };
	struct ics_event e;
	char *s;

	(void)state;
	event(&e, utc(2026, 12, 2, 10, 0), 0, 0);
	s = ics_calendar_feed(ICS_METHOD_NONE, &e, 1, &fi, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "\r\nNAME:Strategy meetings (Convene)\r\n"));
	assert_non_null(strstr(s, "\r\nX-WR-CALNAME:Strategy meetings "
	    "(Convene)\r\n"));
	assert_non_null(strstr(s, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H"
	    "\r\n"));
	assert_non_null(strstr(s, "\r\nX-PUBLISHED-TTL:PT1H\r\n"));
	assert_null(strstr(s, "METHOD:"));
	assert_int_equal(ics_count_errors(s), 0);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_updated),
		cmocka_unit_test(test_cancelled),
		cmocka_unit_test(test_removed_attendee),
		cmocka_unit_test(test_clock_changes),
		cmocka_unit_test(test_feed_many),
		cmocka_unit_test(test_refuses_bad_input),
		cmocka_unit_test(test_repeated_hour),
		cmocka_unit_test(test_uninvite_cancel),
		cmocka_unit_test(test_cn_quotes),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_feedinfo),
		cmocka_unit_test(test_invite_per_organizer),
	};

	icalerror_set_errors_are_fatal(0);
	if (ltime_init() != 0) {
		fprintf(stderr, "ltime_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
