/*
 * Unit tests for record_pdf: a discussion filled by hand (two children, one
 * unborn; information from agencies, one sent in writing; a dissent; a
 * safety plan longer than a page) is rendered, written to a file and read
 * back with poppler's pdftotext and pdffonts, so what is checked is the text
 * a case system, a search or a screen reader gets from the document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "ltime.h"
#include "model.h"
#include "record_pdf.h"

#define CASE_REF	"CASE-2026-0042"
#define AUTHORITY	"Exampleshire County Council"
#define OUT_MAX		(32 * 1024 * 1024)
#define PLAN_LINES	90
#define THREADS		4
/* pdftotext joins a word hyphenated at a line end; -layout keeps lines. */
#define TEXT		"pdftotext -enc UTF-8"
#define TEXT_LAYOUT	"pdftotext -enc UTF-8 -layout"

static char safety_plan[PLAN_LINES * 160];

#define S(x)	((char *)(x))

static void
fill_children(struct discussion *d)
{
	d->nchildren = 2;
	d->children[0].id = 11;
	d->children[0].name = S("Amira Example");
	memcpy(d->children[0].date_of_birth, "2016-04-03", 11);
	d->children[0].legal_status = S("child_in_need");
	d->children[1].id = 12;
	d->children[1].unborn = 1;
	memcpy(d->children[1].expected_date, "2027-03-02", 11);
}

static void
person(struct participant *p, long id, const char *name, const char *agency,
    const char *org, const char *role, const char *attendance, int on_day)
{
	p->id = id;
	p->name = S(name);
	p->agency = S(agency);
	p->organisation = S(org);
	p->role = S(role);
	p->attendance = S(attendance);
	p->added_on_day = on_day;
}

static void
fill_participants(struct discussion *d)
{
	d->nparticipants = 5;
	person(&d->participants[0], 1, "Sam Chair", "social_care",
	    "Exampleshire Children's Services", "Team manager", "attended", 0);
	d->participants[0].can_chair = 1;
	person(&d->participants[1], 2, "DC Jo Bloggs", "police",
	    "Exampleshire Police", "Detective constable", "attended", 0);
	person(&d->participants[2], 3, "Ade Nurse", "health",
	    "Exampleshire NHS Trust", "Named nurse", "contributed", 0);
	person(&d->participants[3], 4, "Kim Teacher", "education",
	    "Riverside Primary", "Designated safeguarding lead", "attended", 1);
	person(&d->participants[4], 5, "Removed Person", "other", "Gone Ltd",
	    "None", "absent", 0);
	d->participants[4].removed = 1;
}

static void
fill_decisions(struct discussion *d)
{
	struct child_decision *k = &d->decisions[0];

	d->ndecisions = 2;
	k->child_id = 11;
	k->decision = S("s47_joint");
	k->rationale = S("Bruising seen by the school; the account given "
	    "does not explain it.");
	k->police_investigation = S("yes");
	k->medical = S("urgent");
	k->plan_to_see = S("Joint visit at school tomorrow morning");
	k->seen_alone = 1;
	k->views = S("Said she feels safe with her grandmother");
	k->communication_needs = S("Interpreter for Arabic");
	k->parents = S("delay");
	k->parents_by = S("DC Jo Bloggs with the social worker");
	memcpy(k->parents_when, "2026-12-04", 11);
	k->parents_delay_reason = S("Telling them now could prejudice the "
	    "police investigation");
	k->consent_for_checks = S("not_sought");
	k->consent_reason = S("Seeking consent could put the child at risk");
	k->next_step = S("icpc");
	k = &d->decisions[1];
	k->child_id = 12;
	k->decision = S("no_s47_further_assessment");
	k->rationale = S("Pre-birth assessment under section 17");
	k->parents = S("inform_now");
	k->parents_by = S("Social worker");
	k->next_step = S("child_in_need");
}

static void
fill_record(struct record *r)
{
	size_t i, used = 0;

	r->status = S("draft");
	r->version = 3;
	r->nconcerns = 3;
	r->concerns[0] = S("domestic_abuse");
	r->concerns[1] = S("unborn_baby");
	r->concerns[2] = S("other");
	r->concerns_other = S("Parental substance misuse");
	r->ninfo = 2;
	r->info[0] = (struct agency_contribution){ S("police"),
	    S("Two call-outs for domestic abuse in 2026"), S("complete"),
	    S("at_meeting"), S("DC Jo Bloggs") };
	r->info[1] = (struct agency_contribution){ S("health"),
	    S("Missed antenatal appointments; <b>&amp; not markup</b>"),
	    S("partial"), S("in_writing"), S("Ade Nurse") };
	r->worries = S("Escalating violence at home");
	r->strengths = S("Grandmother nearby and protective");
	r->gaps = S("Father's history not yet known");
	for (i = 0; i < PLAN_LINES; i++)
		used += (size_t)snprintf(safety_plan + used,
		    sizeof(safety_plan) - used, "Step %zu of the safety plan: "
		    "the grandmother checks on the children every evening and "
		    "calls the duty team if worried.\n", i + 1);
	r->safety_plan = safety_plan;
	r->ndissent = 1;
	r->dissent[0] = (struct dissent){ S("health"),
	    S("Delaying telling the parents"), 1 };
	r->written_by = S("Sam Chair");
	/* As read back from now(): with microseconds. */
	memcpy(r->written_at, "2026-12-02T11:30:05.123456+00:00", 33);
}

static void
fill(struct discussion *d, struct record *r)
{
	memset(d, 0, sizeof(*d));
	memset(r, 0, sizeof(*r));
	d->id = 42;
	d->authority = S(AUTHORITY);
	d->case_ref = S(CASE_REF);
	d->kind = S("meeting");
	d->reason = S("Disclosure at school of violence at home");
	memcpy(d->starts_at, "2026-12-02T10:00:00+00:00", 26);
	d->format = S("in_person");
	d->location = S("Civic Centre, Room 2");
	d->chair = S("Sam Chair");
	d->chair_participant_id = 1;
	d->status = S("held");
	d->classification = S("multi_agency");
	memcpy(d->next_review_date, "2027-01-15", 11);
	fill_children(d);
	fill_participants(d);
	fill_decisions(d);
	d->nactions = 2;
	d->actions[0] = (struct action){ .id = 1, .what = S("Book the child "
	    "protection medical"), .owner = S("Ade Nurse"), .due = "2026-12-03",
	    .status = S("open") };
	d->actions[1] = (struct action){ .id = 2, .what = S("Visit the "
	    "grandmother"), .owner = S("Social worker"), .due = "2026-12-04",
	    .status = S("open") };
	fill_record(r);
	d->record = r;
}

/* Output of "prog 'path' args" (path from mkstemps), malloc'd. */
static char *
run(const char *prog, const char *path, const char *args)
{
	char cmd[512];
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s '%s' %s", prog, path, args);
	assert_non_null(f = popen(cmd, "r"));
	buf_init(&b, OUT_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	assert_int_equal(pclose(f), 0);
	return buf_steal(&b, NULL);
}

/* Render d to a temporary file; its text (by the pdftotext command given)
 * with every run of blanks and line breaks made one space (pages stay
 * apart: "\f"), and its fonts. */
static void
render_text(const struct discussion *d, const char *pdftotext, char **text,
    char **fonts)
{
	char path[256], err[256], *p, *q;
	struct buf pdf;
	int fd;

	buf_init(&pdf, RECORD_PDF_MAX);
	if (record_pdf_render(d, &pdf, err, sizeof(err)) != 0)
		fail_msg("render: %s", err);
	assert_true(pdf.len > 1000);
	assert_memory_equal(pdf.data, "%PDF-", 5);
	snprintf(path, sizeof(path), "%s/record_pdf_XXXXXX.pdf",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_true((fd = mkstemps(path, 4)) >= 0);
	assert_int_equal(write(fd, pdf.data, pdf.len), (ssize_t)pdf.len);
	close(fd);
	buf_free(&pdf);
	*text = run(pdftotext, path, "-");
	*fonts = run("pdffonts", path, "");
	if (getenv("RECORD_PDF_KEEP") == NULL)
		unlink(path);
	else
		fprintf(stderr, "kept %s\n", path);
	for (p = q = *text; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t') {
			if (q > *text && q[-1] != ' ' && q[-1] != '\f')
				*q++ = ' ';
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
}

static void
want(const char *text, const char *s)
{
	if (strstr(text, s) == NULL)
		fail_msg("\"%s\" is not in the PDF's text", s);
}

static void
test_sections_and_values(void **state)
{
	static struct discussion d;
	static struct record r;
	static const char *const wanted[] = {
		AUTHORITY, "Record of the strategy discussion",
		"Case reference", CASE_REF, "Version 3", "Status Draft",
		"Wednesday 2 December 2026, 10:00", "In person",
		"Chair Sam Chair", "Written by Sam Chair, Wednesday 2 December "
		    "2026, 11:30", "Disclosure at school of violence at home",
		"Attendance", "DC Jo Bloggs", "Exampleshire Police",
		"Detective constable", "Sent information", "Kim Teacher",
		"Designated safeguarding lead",
		"Category of concern", "Domestic abuse", "Unborn baby",
		"Other: Parental substance misuse",
		"Information from each agency",
		"Two call-outs for domestic abuse in 2026", "Checks complete",
		"Checks partly done", "Sent in writing", "From whom Ade Nurse",
		"<b>&amp; not markup</b>",
		"Analysis", "Escalating violence at home",
		"Grandmother nearby and protective",
		"Father's history not yet known",
		"Decisions for each child", "Amira Example", "3 April 2016",
		"Section 47 enquiry, joint with police",
		"Section 47 threshold not met: continue assessment "
		    "(section 17)",
		"Bruising seen by the school", "Police criminal investigation",
		"Child protection medical: urgent",
		"Joint visit at school tomorrow morning", "Seen alone Yes",
		"Interpreter for Arabic", "Initial child protection conference",
		"Continue assessment as a child in need",
		"Safety plan", "Step 1 of the safety plan",
		"Step 90 of the safety plan",
		"Telling the family", "Telling parents delayed",
		"4 December 2026", "could prejudice the police investigation",
		"Consent for checks not sought", "Parents told now",
		"Dissent", "Delaying telling the parents",
		"the escalation procedure was started",
		"Actions", "Book the child protection medical",
		"3 December 2026", "Next review", "15 January 2027",
		"Page 1 of", "Page 2 of",
	};
	char *text, *fonts, *page, *end, footer[64], label[96];
	size_t i;
	int pages = 0, n;

	(void)state;
	fill(&d, &r);
	render_text(&d, TEXT, &text, &fonts);
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		want(text, wanted[i]);
	/* The unborn baby by the model's label, never a blank name. */
	want(text, model_child_label(&d.children[1], label, sizeof(label)));
	want(text, "Unborn baby (expected");
	/* The removed invitee is not on the record. */
	assert_null(strstr(text, "Removed Person"));
	/* Every page's footer: the case reference and "Page N of M". */
	assert_non_null(page = strstr(text, "Page 1 of "));
	pages = (int)strtol(page + strlen("Page 1 of "), NULL, 10);
	assert_true(pages >= 2);
	for (n = 1, page = text; n <= pages; n++, page = end + 1) {
		end = strchr(page, '\f');
		assert_non_null(end);
		*end = '\0';
		snprintf(footer, sizeof(footer), "Page %d of %d", n, pages);
		want(page, footer);
		want(page, "Case reference " CASE_REF);
	}
	/* The embedded font is the one deps.sh installs, so CI draws the
	 * same pages. */
	want(fonts, "LiberationSans");
	free(text);
	free(fonts);
}

static void
test_without_record(void **state)
{
	static struct discussion d;
	static struct record r;
	char *text, *fonts, *p;
	int n = 0;

	(void)state;
	fill(&d, &r);
	d.record = NULL;
	d.ndecisions = 0;
	d.nactions = 0;
	d.next_review_date[0] = '\0';
	render_text(&d, TEXT, &text, &fonts);
	want(text, "Amira Example");
	want(text, "Page 1 of ");
	/* Concerns, information, analysis, safety plan, dissent, actions,
	 * next review, version, status; decisions for each child. */
	for (p = text; (p = strstr(p, "Not recorded")) != NULL; p++)
		n++;
	assert_true(n >= 11);
	free(text);
	free(fonts);
}

static void
test_ceiling(void **state)
{
	static struct discussion d;
	static struct record r;
	char err[256] = "";
	struct buf out;

	(void)state;
	fill(&d, &r);
	buf_init(&out, 4096);
	assert_int_equal(buf_puts(&out, "kept"), 0);
	assert_int_equal(record_pdf_render(&d, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	assert_string_equal(buf_cstr(&out), "kept");
	buf_free(&out);
}

/* Values at their limits: a 5000-character rationale with no space in it
 * (flows over pages in its column, broken between characters with no
 * hyphen added: pdftotext -layout keeps line ends), 200-character
 * names in the attendance table, a 2000-character action. */
static void
test_long_values(void **state)
{
	static struct discussion d;
	static struct record r;
	static char word[MODEL_LONG_TEXT_MAX + 1], name[MODEL_NAME_MAX + 1];
	static char what[MODEL_TEXT_MAX + 1];
	char *text, *fonts, *p;
	size_t n = 0, i;

	(void)state;
	fill(&d, &r);
	memset(word, 'Q', MODEL_LONG_TEXT_MAX);
	memset(name, 'Z', MODEL_NAME_MAX);
	for (i = 0; i + 5 <= MODEL_TEXT_MAX; i += 5)
		memcpy(what + i, "call ", 5);
	d.decisions[0].rationale = word;
	d.participants[1].name = name;
	d.actions[0].what = what;
	render_text(&d, TEXT_LAYOUT, &text, &fonts);
	for (p = text; *p != '\0'; p++)
		n += *p == 'Q';
	assert_int_equal(n, MODEL_LONG_TEXT_MAX);
	for (n = 0, p = text; *p != '\0'; p++)
		n += *p == 'Z';
	assert_int_equal(n, MODEL_NAME_MAX);
	assert_null(strstr(text, "Q-"));
	assert_null(strstr(text, "Z-"));
	want(text, "Page 3 of");
	free(text);
	free(fonts);
}

struct worker {
	pthread_t		 tid;
	const struct discussion	*d;
	int			 rc;
	size_t			 len;
};

static void *
render_in_thread(void *arg)
{
	struct worker *w = arg;
	char err[256];
	struct buf pdf;

	buf_init(&pdf, RECORD_PDF_MAX);
	w->rc = record_pdf_render(w->d, &pdf, err, sizeof(err));
	w->len = pdf.len;
	buf_free(&pdf);
	return NULL;
}

/* Server threads render at the same time: each gets a whole document. */
static void
test_threads(void **state)
{
	static struct discussion d;
	static struct record r;
	struct worker w[THREADS];
	size_t i;

	(void)state;
	fill(&d, &r);
	for (i = 0; i < THREADS; i++) {
		w[i].d = &d;
		assert_int_equal(pthread_create(&w[i].tid, NULL,
		    render_in_thread, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(w[i].tid, NULL), 0);
		assert_int_equal(w[i].rc, 0);
		assert_true(w[i].len > 1000);
		/* The same document each time, up to its creation time. */
		assert_true(w[i].len + 64 > w[0].len &&
		    w[0].len + 64 > w[i].len);
	}
}

static void
test_filename(void **state)
{
	static struct discussion d;
	static struct record r;
	char name[128];

	(void)state;
	fill(&d, &r);
	record_pdf_filename(&d, name, sizeof(name));
	assert_string_equal(name, "record-" CASE_REF "-v3.pdf");
	d.case_ref = S("A/1 \"x\";..");
	record_pdf_filename(&d, name, sizeof(name));
	assert_string_equal(name, "record-A_1__x____-v3.pdf");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_values),
		cmocka_unit_test(test_without_record),
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_filename),
	};

	/* Dates and times are shown in London time, as the server does. */
	if (ltime_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
