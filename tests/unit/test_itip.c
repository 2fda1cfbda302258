/*
 * Unit tests for the iTIP REPLY parser: an Exchange/Outlook reply (no
 * ORGANIZER, upper-case address, Windows time zone names), a Gmail reply,
 * an Apple-style reply with COMMENT, and the refusals: other METHODs, no
 * or two ATTENDEEs, no PARTSTAT, no UID, two VEVENTs, broken syntax, NUL
 * bytes, invalid UTF-8, oversize bodies. Refusal reasons never quote input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "invite_revise.h"
#include "itip.h"
#include "ltime.h"

#define CRLF "\r\n"

static const char exchange[] =
	"BEGIN:VCALENDAR" CRLF
	"METHOD:REPLY" CRLF
	"PRODID:Microsoft Exchange Server 2010" CRLF
	"VERSION:2.0" CRLF
	"BEGIN:VTIMEZONE" CRLF
	"TZID:GMT Standard Time" CRLF
	"BEGIN:STANDARD" CRLF
	"DTSTART:16010101T020000" CRLF
	"TZOFFSETFROM:+0100" CRLF
	"TZOFFSETTO:+0000" CRLF
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10" CRLF
	"END:STANDARD" CRLF
	"BEGIN:DAYLIGHT" CRLF
	"DTSTART:16010101T010000" CRLF
	"TZOFFSETFROM:+0000" CRLF
	"TZOFFSETTO:+0100" CRLF
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3" CRLF
	"END:DAYLIGHT" CRLF
	"END:VTIMEZONE" CRLF
	"BEGIN:VEVENT" CRLF
	"ATTENDEE;PARTSTAT=ACCEPTED;CN=Sam Okafor:MAILTO:Sam.Okafor@Police.Example" CRLF
	"COMMENT;LANGUAGE=en-GB:\\n" CRLF
	"SUMMARY;LANGUAGE=en-GB:Accepted: Strategy meeting: SC-1" CRLF
	"DTSTART;TZID=GMT Standard Time:20261202T100000" CRLF
	"DTEND;TZID=GMT Standard Time:20261202T110000" CRLF
	"UID:0123456789abcdef@convene" CRLF
	"CLASS:CONFIDENTIAL" CRLF
	"PRIORITY:5" CRLF
	"DTSTAMP:20261128T120000Z" CRLF
	"TRANSP:OPAQUE" CRLF
	"STATUS:CONFIRMED" CRLF
	"SEQUENCE:2" CRLF
	"LOCATION;LANGUAGE=en-GB:Room 2" CRLF
	"X-MICROSOFT-CDO-APPT-SEQUENCE:2" CRLF
	"X-MICROSOFT-CDO-OWNERAPPTID:-1" CRLF
	"END:VEVENT" CRLF
	"END:VCALENDAR" CRLF;

static const char gmail[] =
	"BEGIN:VCALENDAR" CRLF
	"PRODID:-//Google Inc//Google Calendar 70.9054//EN" CRLF
	"VERSION:2.0" CRLF
	"CALSCALE:GREGORIAN" CRLF
	"METHOD:REPLY" CRLF
	"BEGIN:VEVENT" CRLF
	"DTSTART:20261202T100000Z" CRLF
	"DTEND:20261202T110000Z" CRLF
	"DTSTAMP:20261128T120000Z" CRLF
	"ORGANIZER;CN=Alex Chair:mailto:strategy@council.example" CRLF
	"UID:0123456789abcdef@convene" CRLF
	"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=TENTATIVE;CN=zoe@n" CRLF
	" hs.example;X-NUM-GUESTS=0:mailto:zoe@nhs.example" CRLF
	"SEQUENCE:1" CRLF
	"STATUS:CONFIRMED" CRLF
	"SUMMARY:Strategy meeting: SC-1" CRLF
	"END:VEVENT" CRLF
	"END:VCALENDAR" CRLF;

static int
parse(const char *text, struct itip_reply *r, char *err, size_t errlen)
{
	return itip_parse_reply(text, strlen(text), r, err, errlen);
}

static void
test_exchange(void **state)
{
	struct itip_reply r;
	char err[160];

	(void)state;
	assert_int_equal(parse(exchange, &r, err, sizeof(err)), 0);
	assert_string_equal(r.uid, "0123456789abcdef@convene");
	assert_string_equal(r.attendee, "sam.okafor@police.example");
	assert_string_equal(r.partstat, "ACCEPTED");
	assert_int_equal(r.sequence, 2);
	assert_true(r.has_sequence);
	assert_false(r.has_organizer);
}

static void
test_gmail(void **state)
{
	struct itip_reply r;
	char err[160];

	(void)state;
	assert_int_equal(parse(gmail, &r, err, sizeof(err)), 0);
	assert_string_equal(r.attendee, "zoe@nhs.example");
	assert_string_equal(r.partstat, "TENTATIVE");
	assert_int_equal(r.sequence, 1);
	assert_true(r.has_organizer);
}

/* gmail with one substring replaced; must be refused with a reason. */
static void
refused(const char *from, const char *to)
{
	struct itip_reply r;
	char err[160], buf[4096];
	const char *at = strstr(gmail, from);
	size_t pre;

	assert_non_null(at);
	pre = (size_t)(at - gmail);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)pre, gmail, to,
	    at + strlen(from));
	err[0] = '\0';
	if (parse(buf, &r, err, sizeof(err)) != -1)
		fail_msg("accepted after replacing %s", from);
	assert_true(err[0] != '\0');
	/* The reason is ours, never the input's. */
	assert_null(strstr(err, "zoe"));
	assert_null(strstr(err, "Google"));
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("METHOD:REPLY", "METHOD:REQUEST");
	refused("METHOD:REPLY\r\n", "");
	refused("PARTSTAT=TENTATIVE;", "");
	refused("UID:0123456789abcdef@convene\r\n", "");
	refused("SEQUENCE:1\r\n", "SEQUENCE:1\r\nATTENDEE;PARTSTAT=ACCEPTED:"
	    "mailto:x@y.example\r\n");
	refused("END:VEVENT\r\n", "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\n"
	    "END:VEVENT\r\n");
	refused("mailto:zoe@nhs.example", "http://zoe.example/");
	refused("DTSTART:20261202T100000Z", "DTSTART:2026120");
	/* XXX libical 3.0 reads "SEQUENCE:one" as 0 without reporting an
	 * error, so such a reply counts as SEQUENCE 0 (stale once the
	 * meeting has changed); nothing here can tell. */
}

static void
test_garbage(void **state)
{
	static const char nul[] = "BEGIN:VCALENDAR\r\n\0METHOD:REPLY\r\n";
	struct itip_reply r;
	char err[160], *big;

	(void)state;
	assert_int_equal(parse("", &r, err, sizeof(err)), -1);
	assert_int_equal(parse("hello", &r, err, sizeof(err)), -1);
	assert_int_equal(parse("BEGIN:VCALENDAR", &r, err, sizeof(err)), -1);
	assert_int_equal(parse("END:VCALENDAR\r\nBEGIN:VCALENDAR\r\n", &r, err,
	    sizeof(err)), -1);
	assert_int_equal(itip_parse_reply(nul, sizeof(nul) - 1, &r, err,
	    sizeof(err)), -1);
	assert_int_equal(parse("BEGIN:VCALENDAR\r\nX:\xff\xfe\r\n"
	    "END:VCALENDAR\r\n", &r, err, sizeof(err)), -1);
	/* Nestings libical would complain about on stderr never reach it. */
	assert_int_equal(parse("END:VEVENT\r\nBEGIN:VCALENDAR\r\n"
	    "END:VCALENDAR\r\n", &r, err, sizeof(err)), -1);
	assert_int_equal(parse("BEGIN\r\n:VCALENDAR\r\nEND:VCALENDAR\r\n",
	    &r, err, sizeof(err)), -1);
	assert_int_equal(parse("BEGIN;X=1:VCALENDAR\r\nEND:VCALENDAR\r\n",
	    &r, err, sizeof(err)), -1);
	assert_int_equal(parse("hello\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR"
	    "\r\n", &r, err, sizeof(err)), -1);
	assert_int_equal(parse("BEGIN:VCALENDAR\rEND:VCALENDAR\r\n", &r, err,
	    sizeof(err)), -1);
	assert_int_equal(parse("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
	    "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", &r, err, sizeof(err)), -1);
	/* A byte-order mark is fine. */
	{
		char bom[sizeof(gmail) + 3];

		snprintf(bom, sizeof(bom), "\xef\xbb\xbf%s", gmail);
		assert_int_equal(parse(bom, &r, err, sizeof(err)), 0);
		assert_string_equal(r.partstat, "TENTATIVE");
	}
	/* Not NUL-terminated: the parser must stay inside len. */
	assert_int_equal(itip_parse_reply(gmail, 40, &r, err, sizeof(err)), -1);
	big = malloc(ITIP_MAX_BODY + 2);
	assert_non_null(big);
	memset(big, 'A', ITIP_MAX_BODY + 1);
	big[ITIP_MAX_BODY + 1] = '\0';
	assert_int_equal(parse(big, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "the body is too large");
	free(big);
}

/* Outlook's "Propose new time": METHOD:COUNTER with its own VTIMEZONE,
 * the whole attendee list and the proposer the one who answered. */
static const char counter[] =
	"BEGIN:VCALENDAR" CRLF
	"PRODID:Microsoft Exchange Server 2010" CRLF
	"VERSION:2.0" CRLF
	"METHOD:COUNTER" CRLF
	"BEGIN:VTIMEZONE" CRLF
	"TZID:GMT Standard Time" CRLF
	"BEGIN:STANDARD" CRLF
	"DTSTART:16010101T020000" CRLF
	"TZOFFSETFROM:+0100" CRLF
	"TZOFFSETTO:+0000" CRLF
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10" CRLF
	"END:STANDARD" CRLF
	"BEGIN:DAYLIGHT" CRLF
	"DTSTART:16010101T010000" CRLF
	"TZOFFSETFROM:+0000" CRLF
	"TZOFFSETTO:+0100" CRLF
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3" CRLF
	"END:DAYLIGHT" CRLF
	"END:VTIMEZONE" CRLF
	"BEGIN:VEVENT" CRLF
	"ORGANIZER;CN=Alex Chair:mailto:strategy@council.example" CRLF
	"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:zoe@nhs.example" CRLF
	"ATTENDEE;PARTSTAT=TENTATIVE;CN=Sam:mailto:Sam.Okafor@police.example" CRLF
	"COMMENT:In court\\, could we do 14:00?" CRLF
	"DTSTART;TZID=GMT Standard Time:20270610T140000" CRLF
	"DTEND;TZID=GMT Standard Time:20270610T153000" CRLF
	"UID:0123456789abcdef@convene" CRLF
	"SEQUENCE:1" CRLF
	"DTSTAMP:20261201T100000Z" CRLF
	"END:VEVENT" CRLF
	"END:VCALENDAR" CRLF;

/* counter with from replaced by to: refused with a reason. */
static void
counter_refused(const char *from, const char *to)
{
	struct itip_reply r;
	char buf[4096], err[160];
	const char *at = strstr(counter, from);

	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - counter), counter, to,
	    at + strlen(from));
	err[0] = '\0';
	assert_int_equal(parse(buf, &r, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
}

static void
test_counter(void **state)
{
	struct itip_reply r;
	char err[160];

	(void)state;
	assert_int_equal(parse(counter, &r, err, sizeof(err)), 0);
	assert_true(r.counter);
	assert_string_equal(r.attendee, "sam.okafor@police.example");
	/* 14:00 BST on 10 June 2027 is 13:00 UTC; 90 minutes. */
	assert_true(r.starts == (time_t)1812632400);
	assert_true(r.ends - r.starts == 5400);
	assert_string_equal(r.comment, "In court, could we do 14:00?");
	assert_true(r.has_dtstamp);
	assert_true(r.dtstamp == (time_t)1796119200);
	/* Without a proposed end, or with no way to tell who proposed. */
	counter_refused("PARTSTAT=NEEDS-ACTION", "PARTSTAT=DECLINED");
	counter_refused("DTEND;", "X-END;");
	counter_refused("DTSTART;TZID", "X-START;TZID");
	/* A zone libical would take minutes to expand (an hourly rule, found
	 * by the fuzzer) is refused before any time is converted. */
	counter_refused("RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
	    "RRULE:FREQ=HOURLY");
	counter_refused("BYDAY=-1SU;BYMONTH=3", "BYDAY=-1SU;BYMONTH=3;"
	    "BYSECOND=1,2,3");
}

/* A reply's DTSTAMP is read (it orders replies to one SEQUENCE). */
static void
test_dtstamp(void **state)
{
	struct itip_reply r;
	char err[160];

	(void)state;
	assert_int_equal(parse(gmail, &r, err, sizeof(err)), 0);
	assert_true(r.has_dtstamp);
	assert_true(r.dtstamp == (time_t)1795867200);	/* 2026-11-28 12:00Z */
	assert_false(r.counter);
}

/* What needs a new SEQUENCE (invite_revise.c): a new time or length. */
static void
test_needs_sequence(void **state)
{
	(void)state;
	assert_false(invite_revise_needs_sequence(1000, 4600, 1000, 4600));
	assert_true(invite_revise_needs_sequence(1000, 4600, 2000, 5600));
	assert_true(invite_revise_needs_sequence(1000, 4600, 1000, 8200));
	assert_true(invite_revise_needs_sequence(1000, 4600, 0, 4600));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_dtstamp),
		cmocka_unit_test(test_needs_sequence),
	};

	icalerror_set_errors_are_fatal(0);
	if (ltime_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
