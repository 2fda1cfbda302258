/*
 * record_pdf: the record of a strategy discussion as an A4 PDF for the
 * child's file. The document is drawn twice: once to count the pages (the
 * bytes are dropped) and once for real, so every footer can say "Page N of
 * M"; the layout is deterministic, so both passes break pages alike. Text is
 * laid out by pango with pango_layout_set_text only (never markup), so what
 * a person typed is drawn as typed. Long text flows line by line across
 * pages; short rows and table rows are kept whole.
 */
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "buf.h"
#include "model.h"
#include "record_pdf.h"
#include "str.h"
#include "vocab.h"
#include "web.h"

/* A4 in points (1/72 inch), 20 mm margins. */
#define PAGE_W		595.276
#define PAGE_H		841.890
#define MARGIN		56.693
#define BODY_W		(PAGE_W - 2 * MARGIN)
#define BODY_TOP	MARGIN
#define BODY_BOTTOM	(PAGE_H - MARGIN - 10.0)
#define BODY_H		(BODY_BOTTOM - BODY_TOP)
#define FOOTER_Y	(PAGE_H - MARGIN + 8.0)
#define LABEL_W		150.0	/* the key column of a summary row */
#define COL_GAP		8.0	/* between table columns */
#define CELL_PAD	4.0	/* above and below a row's text */
#define LEADING		1.5	/* added below each line of text */
#define BULLET_W	14.0
#define KEEP_WITH_NEXT	60.0	/* room a heading wants below it */
#define KEEP_GAP	10.0	/* a rule closer than this above a section
				 * break stands for it */
#define SPLIT_ROW	(BODY_H / 2)	/* taller rows may start low and flow */
#define PDF_DPI		72.0	/* pango sizes are then points */
#define DATE_WORDS	64	/* "Wednesday 2 December 2026, 10:00" */
#define LABEL_LEN	96	/* "Unborn baby (expected 2 March 2027)" */
#define REF_MAX		64	/* case reference in the file name */
#define NCOLS_MAX	6

#define NOT_RECORDED	"Not recorded"

/* GOV.UK's text, secondary text and border colours. */
#define INK		0x0b / 255.0, 0x0c / 255.0, 0x0c / 255.0
#define GREY		0x50 / 255.0, 0x5a / 255.0, 0x5f / 255.0
#define RULE		0xb1 / 255.0, 0xb4 / 255.0, 0xb6 / 255.0

enum style { S_BODY, S_BOLD, S_SMALL, S_SMALL_BOLD, S_CAPTION, S_H1, S_H2,
	S_H3, S_N };

static const struct {
	const char	*font;		/* pango font description */
	double		 after;		/* space below a paragraph */
} styles[S_N] = {
	[S_BODY] = { RECORD_PDF_FONT " 10.5", 8 },
	[S_BOLD] = { RECORD_PDF_FONT " Bold 10.5", 8 },
	[S_SMALL] = { RECORD_PDF_FONT " 9", 4 },
	[S_SMALL_BOLD] = { RECORD_PDF_FONT " Bold 9", 4 },
	[S_CAPTION] = { RECORD_PDF_FONT " 13", 2 },
	[S_H1] = { RECORD_PDF_FONT " Bold 22", 14 },
	[S_H2] = { RECORD_PDF_FONT " Bold 15", 6 },
	[S_H3] = { RECORD_PDF_FONT " Bold 12", 4 },
};

struct doc {
	cairo_t			*cr;
	PangoFontMap		*fm;
	PangoContext		*pc;
	PangoFontDescription	*font[S_N];
	double			 y;	/* top of the next thing drawn */
	double			 rule_y;	/* the last row's rule, this page */
	int			 page;	/* from 1 */
	int			 total;	/* pages; 0 while counting */
	const char		*case_ref;
};

/* Columns of a table and their widths in points (summing to BODY_W). */
struct table {
	size_t			 n;
	const char *const	*heads;
	const double		*widths;
};

/* ---- text and pages ------------------------------------------------------ */

static PangoLayout *
layout(struct doc *doc, enum style s, const char *text, double width)
{
	PangoLayout *l = pango_layout_new(doc->pc);
	char *valid;

	pango_layout_set_font_description(l, doc->font[s]);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	if (text == NULL)
		text = "";
	/* Stored text is validated UTF-8; this only keeps pango quiet if a
	 * row ever is not. */
	if (g_utf8_validate(text, -1, NULL)) {
		pango_layout_set_text(l, text, -1);
	} else {
		valid = g_utf8_make_valid(text, -1);
		pango_layout_set_text(l, valid, -1);
		g_free(valid);
	}
	return l;
}

static double
height(PangoLayout *l)
{
	int w, h;

	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
rule(struct doc *doc, double y, double width)
{
	cairo_save(doc->cr);
	cairo_set_source_rgb(doc->cr, RULE);
	cairo_set_line_width(doc->cr, width);
	cairo_move_to(doc->cr, MARGIN, y);
	cairo_line_to(doc->cr, PAGE_W - MARGIN, y);
	cairo_stroke(doc->cr);
	cairo_restore(doc->cr);
}

static void
footer(struct doc *doc)
{
	char ref[160], num[48];
	PangoLayout *l;

	snprintf(ref, sizeof(ref), "Case reference %s",
	    doc->case_ref ? doc->case_ref : "");
	snprintf(num, sizeof(num), "Page %d of %d", doc->page, doc->total);
	cairo_save(doc->cr);
	rule(doc, FOOTER_Y - 5, 0.5);
	cairo_set_source_rgb(doc->cr, GREY);
	l = layout(doc, S_SMALL, ref, BODY_W * 0.7);
	cairo_move_to(doc->cr, MARGIN, FOOTER_Y);
	pango_cairo_show_layout(doc->cr, l);
	g_object_unref(l);
	l = layout(doc, S_SMALL, num, BODY_W);
	pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
	cairo_move_to(doc->cr, MARGIN, FOOTER_Y);
	pango_cairo_show_layout(doc->cr, l);
	g_object_unref(l);
	cairo_restore(doc->cr);
}

static void
page_break(struct doc *doc)
{
	footer(doc);
	cairo_show_page(doc->cr);
	doc->page++;
	doc->y = BODY_TOP;
	doc->rule_y = -KEEP_WITH_NEXT;
}

/* Start a new page unless h more points fit on this one. */
static void
need(struct doc *doc, double h)
{
	if (doc->y + h > BODY_BOTTOM && doc->y > BODY_TOP)
		page_break(doc);
}

/* Draw l at x from doc->y down, a line at a time, onto new pages as it
 * needs them; doc->y ends below the last line. */
static void
flow(struct doc *doc, PangoLayout *l, double x)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	PangoRectangle r;
	double h, base;

	do {
		pango_layout_iter_get_line_extents(it, NULL, &r);
		h = (double)r.height / PANGO_SCALE;
		base = (double)(pango_layout_iter_get_baseline(it) - r.y) /
		    PANGO_SCALE;
		need(doc, h);
		cairo_move_to(doc->cr, x + (double)r.x / PANGO_SCALE,
		    doc->y + base);
		pango_cairo_show_layout_line(doc->cr,
		    pango_layout_iter_get_line_readonly(it));
		doc->y += h + LEADING;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

static void
para(struct doc *doc, enum style s, const char *text)
{
	PangoLayout *l = layout(doc, s, text, BODY_W);

	cairo_set_source_rgb(doc->cr, INK);
	if (s == S_CAPTION)
		cairo_set_source_rgb(doc->cr, GREY);
	flow(doc, l, MARGIN);
	g_object_unref(l);
	doc->y += styles[s].after;
}

static void
heading(struct doc *doc, enum style s, const char *text)
{
	PangoLayout *l = layout(doc, s, text, BODY_W);

	/* A section heading keeps its first subheading and row with it. */
	need(doc, height(l) + KEEP_WITH_NEXT * (s == S_H2 ? 2 : 1));
	if (s == S_H2 && doc->y > BODY_TOP) {
		/* A section break, as GOV.UK pages draw between sections;
		 * a row's rule just above already is one. */
		doc->y += 10;
		if (doc->y - doc->rule_y > 2 * KEEP_GAP)
			rule(doc, doc->y, 1.0);
		doc->y += 10;
	} else if (s == S_H3 && doc->y > BODY_TOP) {
		doc->y += 6;
	}
	cairo_set_source_rgb(doc->cr, INK);
	flow(doc, l, MARGIN);
	g_object_unref(l);
	doc->y += styles[s].after;
}

static void
bullet(struct doc *doc, const char *text)
{
	PangoLayout *l = layout(doc, S_BODY, text, BODY_W - BULLET_W);
	PangoLayout *dot = layout(doc, S_BODY, "\xe2\x80\xa2", BULLET_W);

	need(doc, height(dot));
	cairo_set_source_rgb(doc->cr, INK);
	cairo_move_to(doc->cr, MARGIN + 2, doc->y);
	pango_cairo_show_layout(doc->cr, dot);
	flow(doc, l, MARGIN + BULLET_W);
	doc->y += 2;
	g_object_unref(dot);
	g_object_unref(l);
}

/* ---- rows and tables ------------------------------------------------------ */

/* A summary row: the label on the left, the value (NULL: "Not recorded")
 * on the right. A tall value starts where there is room for the label and
 * flows onto the next pages. */
static void
field(struct doc *doc, const char *label, const char *value)
{
	PangoLayout *k = layout(doc, S_BOLD, label, LABEL_W - COL_GAP);
	PangoLayout *v = layout(doc, S_BODY, value ? value : NOT_RECORDED,
	    BODY_W - LABEL_W);
	double kh = height(k), vh = height(v), top;
	int page;

	if (kh > vh)
		vh = kh;
	need(doc, (vh <= SPLIT_ROW ? vh : kh) + 2 * CELL_PAD);
	top = doc->y + CELL_PAD;
	page = doc->page;
	cairo_set_source_rgb(doc->cr, INK);
	cairo_move_to(doc->cr, MARGIN, top);
	pango_cairo_show_layout(doc->cr, k);
	doc->y = top;
	flow(doc, v, MARGIN + LABEL_W);
	if (doc->page == page && doc->y < top + kh)
		doc->y = top + kh;
	doc->y += CELL_PAD;
	rule(doc, doc->y, 0.5);
	doc->rule_y = doc->y;
	doc->y += 1;
	g_object_unref(k);
	g_object_unref(v);
}

/* field() for values that may be absent: nothing at all when NULL. */
static void
opt_field(struct doc *doc, const char *label, const char *value)
{
	if (value != NULL && value[0] != '\0')
		field(doc, label, value);
}

static void table_row(struct doc *, const struct table *,
	    const char *const *, int);

/* A row taller than a page: each cell as a summary row of its own. */
static void
row_stacked(struct doc *doc, const struct table *t, const char *const *cells)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		field(doc, t->heads[i], cells[i]);
	doc->y += 4;
}

static void
table_row(struct doc *doc, const struct table *t, const char *const *cells,
    int head)
{
	PangoLayout *l[NCOLS_MAX];
	double h = 0, x = MARGIN;
	size_t i;

	for (i = 0; i < t->n; i++) {
		l[i] = layout(doc, head ? S_SMALL_BOLD : S_SMALL, cells[i],
		    t->widths[i] - COL_GAP);
		if (height(l[i]) > h)
			h = height(l[i]);
	}
	h += 2 * CELL_PAD;
	if (!head && h > BODY_H / 2) {
		row_stacked(doc, t, cells);
		goto out;
	}
	if (doc->y + h > BODY_BOTTOM) {
		page_break(doc);
		if (!head)	/* the column heads again on the new page */
			table_row(doc, t, t->heads, 1);
	}
	cairo_set_source_rgb(doc->cr, INK);
	for (i = 0; i < t->n; i++) {
		cairo_move_to(doc->cr, x, doc->y + CELL_PAD);
		pango_cairo_show_layout(doc->cr, l[i]);
		x += t->widths[i];
	}
	doc->y += h;
	rule(doc, doc->y, head ? 1.0 : 0.5);
	doc->rule_y = doc->y;
	doc->y += 1;
out:
	for (i = 0; i < t->n; i++)
		g_object_unref(l[i]);
}

static void
table_begin(struct doc *doc, const struct table *t)
{
	need(doc, KEEP_WITH_NEXT);
	table_row(doc, t, t->heads, 1);
}

/* ---- the sections ---------------------------------------------------------- */

static const char *
yes_no(int v)
{
	return v > 0 ? "Yes" : v == 0 ? "No" : NULL;
}

static const char *
day(const char *ymd, char *out, size_t outlen)
{
	if (ymd == NULL || ymd[0] == '\0')
		return NULL;
	web_day(ymd, out, outlen);
	return out;
}

static const struct participant *
chair_of(const struct discussion *d)
{
	size_t i;

	if (d->chair_participant_id == 0)
		return NULL;
	for (i = 0; i < d->nparticipants; i++)
		if (d->participants[i].id == d->chair_participant_id)
			return &d->participants[i];
	return NULL;
}

static const struct child_decision *
decision_for(const struct discussion *d, long child_id)
{
	size_t i;

	for (i = 0; i < d->ndecisions; i++)
		if (d->decisions[i].child_id == child_id)
			return &d->decisions[i];
	return NULL;
}

/* "Wednesday 2 December 2026, 10:00" for an ISO time; NULL for "". Times
 * read back from now() carry microseconds, which ltime does not parse and
 * a reader does not need. */
static const char *
when(const char *iso, char *out, size_t outlen)
{
	char t[MODEL_TIME_LEN];
	size_t frac, digits;

	if (iso == NULL || iso[0] == '\0')
		return NULL;
	str_copy(t, iso, sizeof(t));
	frac = strlen("YYYY-MM-DDTHH:MM:SS");
	if (strlen(t) > frac && t[frac] == '.') {
		digits = strspn(t + frac + 1, "0123456789");
		memmove(t + frac, t + frac + 1 + digits,
		    strlen(t + frac + 1 + digits) + 1);
	}
	web_when(t, out, outlen);
	return out;
}

static void
sec_title(struct doc *doc, const struct discussion *d)
{
	const struct record *r = d->record;
	const struct participant *chair = chair_of(d);
	char at[DATE_WORDS], ver[24], by[MODEL_NAME_MAX * 4 + DATE_WORDS];
	const char *s;

	para(doc, S_CAPTION, d->authority);
	para(doc, S_H1, "Record of the strategy discussion");
	field(doc, "Case reference", d->case_ref);
	snprintf(ver, sizeof(ver), "%d", r ? r->version : 0);
	field(doc, "Version", r ? ver : NULL);
	field(doc, "Status", r ? vocab_words(VOCAB_RECORD_STATUS, r->status) :
	    NULL);
	field(doc, "Date and time", when(d->starts_at, at, sizeof(at)));
	field(doc, "Held as", vocab_words(VOCAB_KIND, d->kind));
	field(doc, "Format", vocab_words(VOCAB_FORMAT, d->format));
	opt_field(doc, "Location", d->location);
	field(doc, "Chair", d->chair);
	if (chair != NULL)
		field(doc, "Able to chair", chair->can_chair ? "Yes: a manager, "
		    "or marked in the directory as able to chair" : "No");
	field(doc, "Reason for the discussion", d->reason);
	opt_field(doc, "Agency presence",
	    vocab_words(VOCAB_CLASSIFICATION, d->classification));
	if (r != NULL && r->written_by != NULL) {
		s = when(r->written_at, at, sizeof(at));
		snprintf(by, sizeof(by), "%s%s%s", r->written_by,
		    s ? ", " : "", s ? s : "");
		str_utf8_cut(by);
		field(doc, "Written by", by);
	}
}

static void
sec_attendance(struct doc *doc, const struct discussion *d)
{
	static const char *const heads[] = { "Name", "Agency", "Organisation",
		"Role", "Attendance", "Added on the day" };
	static const double widths[] = { 100, 78, 100, 82, 70, 52 };
	static const struct table t = { 6, heads, widths };
	const struct participant *p;
	const char *cells[6];
	size_t i, shown = 0;

	heading(doc, S_H2, "Attendance");
	for (i = 0; i < d->nparticipants; i++) {
		p = &d->participants[i];
		if (p->removed)
			continue;
		if (shown++ == 0)
			table_begin(doc, &t);
		cells[0] = p->name;
		cells[1] = web_agency_name(p->agency);
		cells[2] = p->organisation;
		cells[3] = p->role;
		cells[4] = p->attendance ? vocab_words(VOCAB_ATTENDANCE,
		    p->attendance) : NOT_RECORDED;
		cells[5] = p->added_on_day ? "Yes" : "No";
		table_row(doc, &t, cells, 0);
	}
	if (shown == 0)
		para(doc, S_BODY, NOT_RECORDED);
	doc->y += 6;
	opt_field(doc, "Why agencies were missing", d->absence_reason);
}

static void
sec_concerns(struct doc *doc, const struct discussion *d)
{
	const struct record *r = d->record;
	char line[MODEL_TEXT_MAX * 4 + 16];
	size_t i;

	heading(doc, S_H2, "Category of concern");
	if (r == NULL || r->nconcerns == 0) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	for (i = 0; i < r->nconcerns; i++) {
		if (strcmp(r->concerns[i], "other") == 0 &&
		    r->concerns_other != NULL) {
			snprintf(line, sizeof(line), "%s: %s",
			    vocab_words(VOCAB_CONCERN, "other"),
			    r->concerns_other);
			str_utf8_cut(line);
			bullet(doc, line);
		} else {
			bullet(doc, vocab_words(VOCAB_CONCERN, r->concerns[i]));
		}
	}
	doc->y += 6;
}

static void
sec_information(struct doc *doc, const struct discussion *d)
{
	const struct record *r = d->record;
	const struct agency_contribution *a;
	size_t i;

	heading(doc, S_H2, "Information from each agency");
	if (r == NULL || r->ninfo == 0) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	for (i = 0; i < r->ninfo; i++) {
		a = &r->info[i];
		heading(doc, S_H3, web_agency_name(a->agency));
		field(doc, "What was shared", a->information);
		field(doc, "Checks", vocab_words(VOCAB_CHECKS, a->checks));
		field(doc, "How it was received",
		    vocab_words(VOCAB_RECEIVED, a->received));
		field(doc, "From whom", a->from);
	}
}

static void
sec_analysis(struct doc *doc, const struct discussion *d)
{
	const struct record *r = d->record;

	heading(doc, S_H2, "Analysis");
	if (r == NULL) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	field(doc, "Worries", r->worries);
	field(doc, "Strengths and protective factors", r->strengths);
	field(doc, "Gaps: what is not known", r->gaps);
}

/* The child's decisions, one summary row per field that is present. */
static void
child_decision(struct doc *doc, const struct child *c,
    const struct child_decision *k)
{
	char dob[DATE_WORDS];

	if (!c->unborn)
		opt_field(doc, "Date of birth",
		    day(c->date_of_birth, dob, sizeof(dob)));
	opt_field(doc, "Legal status",
	    vocab_words(VOCAB_LEGAL_STATUS, c->legal_status));
	if (k == NULL) {
		field(doc, "Decision", NULL);
		return;
	}
	field(doc, "Decision", vocab_words(VOCAB_DECISION, k->decision));
	field(doc, "Rationale", k->rationale);
	opt_field(doc, "Police investigation",
	    vocab_words(VOCAB_POLICE_INVESTIGATION, k->police_investigation));
	opt_field(doc, "Child protection medical",
	    vocab_words(VOCAB_MEDICAL, k->medical));
	opt_field(doc, "Plan to see the child", k->plan_to_see);
	opt_field(doc, "Seen alone", yes_no(k->seen_alone));
	opt_field(doc, "The child's views", k->views);
	opt_field(doc, "Communication needs", k->communication_needs);
	opt_field(doc, "Next step", vocab_words(VOCAB_NEXT_STEP, k->next_step));
}

static void
sec_decisions(struct doc *doc, const struct discussion *d)
{
	char label[LABEL_LEN];
	size_t i;

	heading(doc, S_H2, "Decisions for each child");
	if (d->nchildren == 0) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	for (i = 0; i < d->nchildren; i++) {
		heading(doc, S_H3, model_child_label(&d->children[i], label,
		    sizeof(label)));
		child_decision(doc, &d->children[i],
		    decision_for(d, d->children[i].id));
	}
}

static void
sec_safety(struct doc *doc, const struct discussion *d)
{
	const struct record *r = d->record;

	heading(doc, S_H2, "Safety plan");
	para(doc, S_BODY, r != NULL && r->safety_plan != NULL ?
	    r->safety_plan : NOT_RECORDED);
}

static void
sec_family(struct doc *doc, const struct discussion *d)
{
	const struct child_decision *k;
	char label[LABEL_LEN], when[DATE_WORDS];
	size_t i;

	heading(doc, S_H2, "Telling the family");
	if (d->nchildren == 0) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	for (i = 0; i < d->nchildren; i++) {
		heading(doc, S_H3, model_child_label(&d->children[i], label,
		    sizeof(label)));
		k = decision_for(d, d->children[i].id);
		if (k == NULL || (k->parents == NULL &&
		    k->consent_for_checks == NULL)) {
			para(doc, S_BODY, NOT_RECORDED);
			continue;
		}
		opt_field(doc, "Parents", vocab_words(VOCAB_PARENTS,
		    k->parents));
		opt_field(doc, "Who tells them", k->parents_by);
		opt_field(doc, "By when", day(k->parents_when, when,
		    sizeof(when)));
		opt_field(doc, "Why it is delayed", k->parents_delay_reason);
		opt_field(doc, "Agency checks", vocab_words(VOCAB_CONSENT,
		    k->consent_for_checks));
		opt_field(doc, "Why (consent)", k->consent_reason);
	}
}

static void
sec_dissent(struct doc *doc, const struct discussion *d)
{
	const struct record *r = d->record;
	size_t i;

	heading(doc, S_H2, "Dissent");
	if (r == NULL || r->ndissent == 0) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	for (i = 0; i < r->ndissent; i++) {
		heading(doc, S_H3, web_agency_name(r->dissent[i].agency));
		field(doc, "Disagreed about", r->dissent[i].about);
		field(doc, "Escalated", r->dissent[i].escalated ? "Yes: the "
		    "escalation procedure was started" : "No");
	}
}

static void
sec_actions(struct doc *doc, const struct discussion *d)
{
	static const char *const heads[] = { "Action", "Who", "By" };
	static const double widths[] = { 270, 120, 92 };
	static const struct table t = { 3, heads, widths };
	const char *cells[3];
	char due[DATE_WORDS];
	size_t i;

	heading(doc, S_H2, "Actions");
	if (d->nactions == 0) {
		para(doc, S_BODY, NOT_RECORDED);
		return;
	}
	table_begin(doc, &t);
	for (i = 0; i < d->nactions; i++) {
		cells[0] = d->actions[i].what;
		cells[1] = d->actions[i].owner;
		cells[2] = day(d->actions[i].due, due, sizeof(due));
		table_row(doc, &t, cells, 0);
	}
	doc->y += 6;
}

static void
sec_review(struct doc *doc, const struct discussion *d)
{
	char when[DATE_WORDS];
	const char *s = day(d->next_review_date, when, sizeof(when));

	heading(doc, S_H2, "Next review");
	para(doc, S_BODY, s ? s : NOT_RECORDED);
}

static void
render(struct doc *doc, const struct discussion *d)
{
	sec_title(doc, d);
	sec_attendance(doc, d);
	sec_concerns(doc, d);
	sec_information(doc, d);
	sec_analysis(doc, d);
	sec_decisions(doc, d);
	sec_safety(doc, d);
	sec_family(doc, d);
	sec_dissent(doc, d);
	sec_actions(doc, d);
	sec_review(doc, d);
	footer(doc);
	cairo_show_page(doc->cr);
}

/* ---- the passes ------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
/*
 * LeakSanitizer's hook for built-in suppressions (sanitizer builds only).
 * fontconfig 2.14 loses a few bytes once per process while parsing its
 * configuration files (FcInitLoadConfigAndFonts), on the first font
 * lookup, and now and then at exit reports the font sets pango's
 * fontconfig thread still holds; neither grows with the number of
 * documents (checked: 10 and 400 renders leak the same). fontconfig has no
 * frame pointers, so
 * the fast unwinder sees only its module: suppress by module. We never
 * call fontconfig ourselves (pango and cairo do, and we free their
 * objects: the font map is per document).
 */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
#endif

/* cairo's write callback: into the buffer, or nowhere while counting. */
static cairo_status_t
sink(void *closure, const unsigned char *data, unsigned int len)
{
	struct buf *b = closure;

	if (b == NULL)
		return CAIRO_STATUS_SUCCESS;
	return buf_append(b, data, len) == 0 ? CAIRO_STATUS_SUCCESS :
	    CAIRO_STATUS_WRITE_ERROR;
}

static void
doc_open(struct doc *doc, cairo_surface_t *s, const struct discussion *d,
    int total)
{
	cairo_font_options_t *fo = cairo_font_options_create();
	int i;

	memset(doc, 0, sizeof(*doc));
	doc->cr = cairo_create(s);
	/* A font map of our own, freed with the document: pango's default
	 * one lives as long as the thread and keeps every font it met. */
	doc->fm = pango_cairo_font_map_new();
	doc->pc = pango_font_map_create_context(doc->fm);
	pango_cairo_update_context(doc->cr, doc->pc);
	pango_cairo_context_set_resolution(doc->pc, PDF_DPI);
	/* Unhinted metrics: the same line breaks in both passes and on
	 * every machine. */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(doc->pc, fo);
	cairo_font_options_destroy(fo);
	for (i = 0; i < S_N; i++)
		doc->font[i] = pango_font_description_from_string(
		    styles[i].font);
	doc->page = 1;
	doc->total = total;
	doc->y = BODY_TOP;
	doc->rule_y = -KEEP_WITH_NEXT;
	doc->case_ref = d->case_ref;
}

static void
doc_close(struct doc *doc)
{
	int i;

	for (i = 0; i < S_N; i++)
		pango_font_description_free(doc->font[i]);
	g_object_unref(doc->pc);
	g_object_unref(doc->fm);
	cairo_destroy(doc->cr);
}

/* Draw the whole document into b (NULL: count pages only); *pages set. */
static int
pass(const struct discussion *d, int total, struct buf *b, int *pages,
    char *err, size_t errlen)
{
	char title[160];
	cairo_surface_t *s;
	cairo_status_t st;
	struct doc doc;

	s = cairo_pdf_surface_create_for_stream(sink, b, PAGE_W, PAGE_H);
	snprintf(title, sizeof(title), "Record of the strategy discussion, "
	    "%s", d->case_ref ? d->case_ref : "");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR,
	    d->authority ? d->authority : "");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR,
	    "Convene");
	doc_open(&doc, s, d, total);
	render(&doc, d);
	*pages = doc.page;
	st = cairo_status(doc.cr);
	doc_close(&doc);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (b != NULL && b->failed) {
		snprintf(err, errlen, "the document is larger than %zu bytes",
		    b->max);
		return -1;
	}
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "cairo: %s", cairo_status_to_string(st));
		return -1;
	}
	return 0;
}

int
record_pdf_render(const struct discussion *d, struct buf *out, char *err,
    size_t errlen)
{
	struct buf pdf;
	int pages = 0, again = 0, rc = -1;

	buf_init(&pdf, out->max > out->len ? out->max - out->len : 0);
	if (pass(d, 0, NULL, &pages, err, errlen) != 0 ||
	    pass(d, pages, &pdf, &again, err, errlen) != 0)
		goto out;
	if (again != pages) {
		snprintf(err, errlen, "pages counted %d, drawn %d", pages,
		    again);
		goto out;
	}
	if (buf_append(out, pdf.data, pdf.len) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	buf_free(&pdf);
	return rc;
}

void
record_pdf_filename(const struct discussion *d, char *out, size_t outlen)
{
	char ref[REF_MAX + 1];
	const char *s = d->case_ref ? d->case_ref : "";
	size_t i;

	for (i = 0; i < REF_MAX && s[i] != '\0'; i++)
		ref[i] = g_ascii_isalnum(s[i]) || s[i] == '-' || s[i] == '_' ?
		    s[i] : '_';
	ref[i] = '\0';
	snprintf(out, outlen, "record-%s-v%d.pdf", ref,
	    d->record ? d->record->version : 0);
}
