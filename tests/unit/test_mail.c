/*
 * Unit tests for mail: template rendering (escaping, unknown and broken
 * placeholders), MIME assembly (structure, base64 line length, encoded
 * headers, 7-bit output, the METHOD parameter), Message-IDs, atomic .eml
 * files, and the outbox's retry schedule.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "buf.h"
#include "mail.h"
#include "outbox.h"

static const struct mail_var vars[] = {
	{ "case_ref", "SC-1" },
	{ "chair", "Alex <b>\"O'Neil\"</b> & co" },
	{ "empty", NULL },
};

static char *
render(const char *tpl, enum mail_escape esc)
{
	struct buf b;

	buf_init(&b, 4096);
	if (mail_render(tpl, vars, 3, esc, &b) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

static void
test_render(void **state)
{
	char *s;

	(void)state;
	s = render("Case {{case_ref}}, chair {{chair}}.{{empty}}",
	    MAIL_ESC_TEXT);
	assert_string_equal(s, "Case SC-1, chair Alex <b>\"O'Neil\"</b> & co.");
	free(s);
	s = render("<p>{{chair}}</p>", MAIL_ESC_HTML);
	assert_string_equal(s, "<p>Alex &lt;b&gt;&quot;O&#39;Neil&quot;&lt;/b"
	    "&gt; &amp; co</p>");
	free(s);
	s = render("no placeholders at all", MAIL_ESC_TEXT);
	assert_string_equal(s, "no placeholders at all");
	free(s);
	/* Unknown, unterminated, empty and over-long names are errors. */
	assert_null(render("{{child_name}}", MAIL_ESC_TEXT));
	assert_null(render("{{case_ref", MAIL_ESC_TEXT));
	assert_null(render("{{}}", MAIL_ESC_TEXT));
	assert_null(render("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
	    MAIL_ESC_TEXT));
	/* A value is never re-scanned for placeholders. */
	{
		const struct mail_var v[] = { { "a", "{{b}}" } };
		struct buf b;

		buf_init(&b, 64);
		assert_int_equal(mail_render("x{{a}}y", v, 1, MAIL_ESC_TEXT,
		    &b), 0);
		assert_string_equal(buf_cstr(&b), "x{{b}}y");
		buf_free(&b);
	}
}

static struct mail_msg
message(void)
{
	struct mail_msg m;
	static const char ics[] = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n"
	    "END:VCALENDAR\r\n";

	memset(&m, 0, sizeof(m));
	m.from_addr = "strategy@council.example";
	m.from_name = "Strategy meetings (Convene)";
	m.to_addr = "zoe@nhs.example";
	m.to_name = "Dr Zoë Ångström";
	m.subject = "Strategy meeting: SC-104233 on Wednesday 2 December 2026, "
	    "10:00 with a subject long enough to need folding somewhere";
	m.message_id = "0123456789abcdef0123456789abcdef.convene@council.example";
	m.date = 1796205600;	/* 2026-12-02T10:00:00Z, a Wednesday */
	m.text = "Dear Zoë,\nline two\n";
	m.html = "<p>Dear Zoë</p>";
	m.ics = ics;
	m.ics_len = sizeof(ics) - 1;
	m.method = "REQUEST";
	return m;
}

static void
test_build(void **state)
{
	struct mail_msg m = message();
	struct buf b;
	const char *s, *p, *nl;
	size_t i;

	(void)state;
	buf_init(&b, MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build(&m, &b), 0);
	s = buf_cstr(&b);
	/* 7-bit, CRLF only, lines within 78 characters. */
	for (i = 0; i < b.len; i++)
		assert_true((unsigned char)s[i] < 128);
	for (p = s; *p != '\0'; p = nl + 2) {
		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_null(memchr(p, '\n', (size_t)(nl - p)));
		assert_true(nl - p <= 78);
	}
	assert_non_null(strstr(s, "From: \"Strategy meetings (Convene)\" "
	    "<strategy@council.example>\r\n"));
	assert_non_null(strstr(s, "To: =?UTF-8?B?"));
	assert_non_null(strstr(s, "<zoe@nhs.example>\r\n"));
	assert_non_null(strstr(s, "Subject: Strategy meeting: SC-104233 on"));
	assert_non_null(strstr(s, "Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"));
	assert_non_null(strstr(s, "Message-ID: <0123456789abcdef0123456789abcdef"
	    ".convene@council.example>\r\n"));
	assert_non_null(strstr(s, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s, "Content-Type: multipart/mixed;"));
	assert_non_null(strstr(s, "Content-Type: multipart/alternative;"));
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(s, "Content-Type: text/html; charset=UTF-8"));
	assert_non_null(strstr(s, "Content-Type: text/calendar; method=REQUEST;"
	    "\r\n charset=UTF-8"));
	assert_non_null(strstr(s, "Content-Type: application/ics; "
	    "name=\"invite.ics\""));
	assert_non_null(strstr(s, "filename=\"invite.ics\""));
	/* The text body, base64 of exactly the given bytes. */
	assert_non_null(strstr(s, "RGVhciBab8OrLApsaW5lIHR3bwo="));
	/* Alternative parts come in order: plain, html, calendar. */
	assert_true(strstr(s, "text/plain") < strstr(s, "text/html"));
	assert_true(strstr(s, "text/html") < strstr(s, "text/calendar"));
	buf_free(&b);
}

/* A notice is one base64 text/plain part with no calendar object. */
static void
test_build_notice(void **state)
{
	struct mail_msg m = message();
	struct buf b;
	const char *s;

	(void)state;
	m.ics = NULL;
	m.html = NULL;
	m.method = NULL;
	m.text = "Your code is 123456.\n";
	buf_init(&b, MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build_notice(&m, &b), 0);
	s = buf_cstr(&b);
	assert_non_null(strstr(s, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"));
	/* base64 of "Your code is 123456.\n" */
	assert_non_null(strstr(s, "WW91ciBjb2RlIGlzIDEyMzQ1Ni4K"));
	assert_null(strstr(s, "text/calendar"));
	assert_null(strstr(s, "multipart"));
	buf_free(&b);
	/* A subject with a line break is refused, as for invites. */
	m.subject = "x\r\nBcc: a@b.example";
	buf_init(&b, MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build_notice(&m, &b), -1);
	buf_free(&b);
}

/*
 * Bodies of every length round-trip through the base64 of a notice: lines
 * of exactly 76 characters but the last, which decodes (libsodium, strict)
 * to the bytes given, whatever the remainder of the length by 3.
 */
static void
test_base64_round_trip(void **state)
{
	static const size_t lens[] = { 1, 2, 3, 56, 57, 58, 113, 114, 115,
		1000, 4096 };
	unsigned char back[4200];
	char text[4200], joined[6000];
	struct mail_msg m;
	struct buf b;
	const char *s, *p, *nl;
	size_t i, j, used, got;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (j = 0; j < lens[i]; j++)
			text[j] = (char)('!' + (j * 7 + i) % 90);
		text[lens[i]] = '\0';
		m = message();
		m.ics = NULL;
		m.html = NULL;
		m.method = NULL;
		m.text = text;
		buf_init(&b, MAIL_MESSAGE_MAX);
		assert_int_equal(mail_build_notice(&m, &b), 0);
		s = buf_cstr(&b);
		p = strstr(s, "Content-Transfer-Encoding: base64\r\n\r\n");
		assert_non_null(p);
		p += strlen("Content-Transfer-Encoding: base64\r\n\r\n");
		used = 0;
		for (; *p != '\0'; p = nl + 2) {
			nl = strstr(p, "\r\n");
			assert_non_null(nl);
			if (nl[2] != '\0')
				assert_int_equal(nl - p, 76);
			else
				assert_true(nl - p <= 76 && nl - p > 0);
			assert_true(used + (size_t)(nl - p) < sizeof(joined));
			memcpy(joined + used, p, (size_t)(nl - p));
			used += (size_t)(nl - p);
		}
		assert_int_equal(sodium_base642bin(back, sizeof(back), joined,
		    used, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		assert_int_equal(got, lens[i]);
		assert_memory_equal(back, text, lens[i]);
		buf_free(&b);
	}
}

static void
test_build_refuses(void **state)
{
	struct mail_msg m;
	struct buf b;

	(void)state;
	buf_init(&b, MAIL_MESSAGE_MAX);
	m = message();
	m.subject = "Injected\r\nBcc: x@example.com";
	assert_int_equal(mail_build(&m, &b), -1);
	m = message();
	m.to_addr = "not an address";
	assert_int_equal(mail_build(&m, &b), -1);
	m = message();
	m.method = "PUBLISH";
	assert_int_equal(mail_build(&m, &b), -1);
	m = message();
	m.to_name = "Bob\nBcc: x@example.com";
	assert_int_equal(mail_build(&m, &b), -1);
	buf_free(&b);
	/* Over the ceiling: fails rather than truncates. */
	buf_init(&b, 100);
	m = message();
	assert_int_equal(mail_build(&m, &b), -1);
	buf_free(&b);
}

static void
test_encoded_subject(void **state)
{
	struct mail_msg m = message();
	struct buf b;
	const char *s;

	(void)state;
	m.subject = "Réunion: ΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩ end";
	buf_init(&b, MAIL_MESSAGE_MAX);
	assert_int_equal(mail_build(&m, &b), 0);
	s = buf_cstr(&b);
	/* Split into several encoded words, none over 75 characters. */
	assert_non_null(strstr(s, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(s, "?=\r\n =?UTF-8?B?"));
	buf_free(&b);
}

/* Issue 15.8: RFC 2047 6.2 - a line holding an encoded word is at most 76
 * characters, the header name included (a Welsh subject made 81). */
static void
test_encoded_line_length(void **state)
{
	static const char *const subjects[] = {
		"Cyfarfod strategaeth: SC-104233 ar ddydd Mercher 2 Rhagfyr "
		"2026, 10:00 – ymateb",
		"Wedi'i ddiweddaru: Cyfarfod strategaeth: SC-104233 ar ddydd "
		"Sul 31 Hydref 2027, 01:30 BST – ŵŷ",
		"é",
	};
	struct mail_msg m;
	struct buf b;
	const char *s, *p, *nl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		m = message();
		m.subject = subjects[i];
		m.to_name = "Dr Zoë Ångström-Łukasiewicz, Named Nurse for "
		    "Safeguarding Children, Ωμέγα";
		buf_init(&b, MAIL_MESSAGE_MAX);
		assert_int_equal(mail_build(&m, &b), 0);
		s = buf_cstr(&b);
		for (p = s; *p != '\0'; p = nl + 2) {
			nl = strstr(p, "\r\n");
			assert_non_null(nl);
			if (strstr(p, "=?UTF-8?") != NULL &&
			    strstr(p, "=?UTF-8?") < nl)
				assert_true(nl - p <= 76);
		}
		buf_free(&b);
	}
}

static void
test_message_id(void **state)
{
	char a[MAIL_MESSAGE_ID_MAX + 1], b[MAIL_MESSAGE_ID_MAX + 1];

	(void)state;
	assert_int_equal(mail_message_id("x@council.example", a, sizeof(a)), 0);
	assert_int_equal(mail_message_id("x@council.example", b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 32 + strlen(".convene@council.example"));
	assert_non_null(strstr(a, ".convene@council.example"));
	assert_int_equal(mail_message_id("nodomain", a, sizeof(a)), -1);
	assert_int_equal(mail_message_id("x@council.example", a, 10), -1);
}

static void
test_write_eml(void **state)
{
	char dir[] = "/tmp/convene-test-eml-XXXXXX", sub[256], path[300];
	char err[128], buf[64];
	struct dirent *de;
	DIR *d;
	FILE *f;
	size_t n;
	int files = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/outbox", dir);
	assert_int_equal(mail_write_eml(sub, 42, "hello\r\n", 7, err,
	    sizeof(err)), 0);
	/* Again (a retry): same name, same bytes. */
	assert_int_equal(mail_write_eml(sub, 42, "hello\r\n", 7, err,
	    sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/42.eml", sub);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "hello\r\n", 7);
	/* No temporary file is left behind. */
	d = opendir(sub);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			files++;
		else
			assert_true(strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0);
	closedir(d);
	assert_int_equal(files, 1);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	/* An impossible directory is an error with a reason. */
	assert_int_equal(mail_write_eml("/proc/nope/outbox", 1, "x", 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "eml:"));
}

static void
test_backoff(void **state)
{
	long total = 0, n;

	(void)state;
	assert_int_equal(outbox_backoff(1), OUTBOX_BACKOFF_BASE);
	assert_int_equal(outbox_backoff(2), 2 * OUTBOX_BACKOFF_BASE);
	assert_int_equal(outbox_backoff(3), 4 * OUTBOX_BACKOFF_BASE);
	assert_int_equal(outbox_backoff(0), OUTBOX_BACKOFF_BASE);
	assert_int_equal(outbox_backoff(40), OUTBOX_BACKOFF_CAP);
	assert_int_equal(outbox_backoff(1000000), OUTBOX_BACKOFF_CAP);
	for (n = 1; n < OUTBOX_MAX_ATTEMPTS; n++) {
		assert_true(outbox_backoff(n) <= outbox_backoff(n + 1));
		total += outbox_backoff(n);
	}
	/* Retries span a few hours, not minutes or days. */
	assert_true(total > 3 * 3600 && total < 6 * 3600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_build_notice),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_encoded_subject),
		cmocka_unit_test(test_encoded_line_length),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_write_eml),
		cmocka_unit_test(test_backoff),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
