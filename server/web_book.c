/*
 * web_book: booking a strategy meeting (or recording a phone discussion that
 * already happened). One form, posted to itself: "add another" buttons
 * re-show it with one more row; "Continue" checks every answer and shows a
 * check-your-answers page carrying the form in hidden fields; "Book" checks
 * it all again and calls meeting_create. While a statutory agency has no
 * invitee the form names it and will not continue without a reason. Nothing
 * is stored before the final, valid "Book".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "classify.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "str.h"
#include "vocab.h"
#include "web.h"
#include "web_duty.h"

#define BOOK_KEY_FIELD	"booking_key"

static json_t	*answers_hidden(const struct http_req *);

#define BOOK_MAX_CONTACTS	MEETING_MAX_PARTICIPANTS

struct book {
	json_t	*body;		/* for meeting_create */
	json_t	*missing;	/* statutory agency codes with no invitee */
	json_t	*invitees;	/* CYA: [{name, people: [text]}] per agency */
	const char *cls;	/* planned classification */
	long	 ids[BOOK_MAX_CONTACTS];
	size_t	 nids;
	int	 nchildren, nextra, include_me;
	int	 first_extra;	/* index in participants of extra 0 */
	int	 extra_row[WEB_MAX_EXTRA];	/* participant -> form row */
};

static const char *const case_types[] = { "existing", "An existing case",
	"new", "A new case", NULL };
static const char *const kinds[] = { "meeting", "A strategy meeting",
	"discussion", "A discussion that already happened by phone", NULL };
static const char *const formats[] = { "in_person", "In person", "video",
	"Video call", "phone", "Phone", NULL };

static int
one_of(const char *v, const char *const *pairs)
{
	size_t i;

	for (i = 0; pairs[i] != NULL; i += 2)
		if (strcmp(v, pairs[i]) == 0)
			return 1;
	return 0;
}

static const char *
pair_text(const char *v, const char *const *pairs)
{
	size_t i;

	for (i = 0; pairs[i] != NULL; i += 2)
		if (strcmp(v, pairs[i]) == 0)
			return pairs[i + 1];
	return v;
}

/* A row count from a hidden field, within [1, max]. */
static int
rows_field(const struct http_req *rq, const char *key, int max)
{
	char v[16];
	long n;

	if (str_to_long(web_field(rq, key, v, sizeof(v)), 1, max, &n) != 0)
		return 1;
	return (int)n;
}

static int
case_ref_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 40 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789/_-") == n &&
	    s[0] != '/' && s[0] != '-' && s[0] != '_';
}

/* The case: its team when it exists (0 when not, -1 on error). */
static long
case_team(struct http_req *rq, const char *ref)
{
	char aid[24];
	const char *p[2] = { aid, ref };
	struct db_res r;
	long team;

	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	if (db_exec(rq->db, &r, "SELECT team_id FROM cases WHERE "
	    "authority_id = $1 AND case_ref = $2", 2, p) != 0)
		return -1;
	team = db_res_rows(&r) ? db_res_long(&r, 0, 0, 0) : 0;
	db_res_free(&r);
	return team;
}

/* The optional facts about child i (sex, ethnicity, disability, legal
 * status, the council's person id) into the child object x. */
static void
child_details(struct http_req *rq, struct web_errors *we, int i, json_t *x)
{
	static const struct {
		const char	*field;
		const char	*what;
		size_t		 max;
		int		 list;		/* a vocabulary list, or -1 */
	} details[] = {
		{ "sex", "sex", 0, VOCAB_SEX },
		{ "ethnicity", "ethnicity", MODEL_NAME_MAX, -1 },
		{ "disability", "disability", MODEL_NAME_MAX, -1 },
		{ "legal_status", "legal status", 0, VOCAB_LEGAL_STATUS },
		{ "person_id", "the council's person ID", MODEL_PERSON_ID_MAX,
		  -1 },
	};
	char key[64], v[WEB_BUF(MODEL_NAME_MAX)];
	size_t k;

	for (k = 0; k < sizeof(details) / sizeof(details[0]); k++) {
		snprintf(key, sizeof(key), "child-%d-%s", i, details[k].field);
		web_field(rq, key, v, sizeof(v));
		if (v[0] == '\0')
			continue;
		if (details[k].list >= 0 ? !vocab_has((enum vocab_list)
		    details[k].list, v) : web_check_text(we, key, v, 0,
		    details[k].max, 0, details[k].what) != 0) {
			if (details[k].list >= 0)
				web_error(we, key, NULL, "Select the child's %s",
				    details[k].what);
			continue;
		}
		json_object_set_new(x, details[k].field, json_string(v));
	}
}

/* Child i, unborn: no name, an expected date; NULL (errors recorded) when
 * the date is missing or wrong. */
static json_t *
unborn_child(struct http_req *rq, struct web_errors *we, int i)
{
	char key[64], what[64], due[11];
	json_t *x;

	snprintf(key, sizeof(key), "child-%d-expected", i);
	snprintf(what, sizeof(what), "child %d's expected date of birth",
	    i + 1);
	if (web_date(rq, we, key, 1, what, due) != 0)
		return NULL;
	x = json_pack("{s:b, s:s}", "unborn", 1, "expected_date", due);
	child_details(rq, we, i, x);
	return x;
}

static void
parse_case(struct http_req *rq, struct web_errors *we, struct book *b)
{
	char type[16], ref[WEB_BUF(40)], name[WEB_NAME_BUF], key[64], what[64];
	char dob[11];
	json_t *children = json_array(), *x;
	long team, rid;
	int i, named = 0;

	web_field(rq, "case_type", type, sizeof(type));
	web_field(rq, "case_ref", ref, sizeof(ref));
	if (!one_of(type, case_types))
		web_error(we, "case_type", NULL, "Select whether this is an "
		    "existing case or a new one");
	if (ref[0] == '\0')
		web_error(we, "case_ref", NULL, "Enter the case reference");
	else if (!case_ref_ok(ref))
		web_error(we, "case_ref", NULL, "Case reference must be 40 "
		    "characters or fewer: letters, numbers, '-', '_' or '/', "
		    "like SC-104233");
	json_object_set_new(b->body, "case_ref", json_string(ref));
	/* Booked from a due review: the discussion it reviews. */
	if (str_to_long(web_field(rq, "reviews", what, sizeof(what)), 1,
	    MODEL_ID_MAX, &rid) == 0)
		json_object_set_new(b->body, "reviews_discussion_id",
		    json_integer(rid));
	b->nchildren = rows_field(rq, "children_n", MEETING_MAX_CHILDREN);
	for (i = 0; i < b->nchildren; i++) {
		snprintf(key, sizeof(key), "child-%d-name", i);
		web_field(rq, key, name, sizeof(name));
		snprintf(what, sizeof(what), "child %d's date of birth", i + 1);
		snprintf(key, sizeof(key), "child-%d-dob", i);
		if (web_date(rq, we, key, 0, what, dob) != 0 ||
		    strcmp(type, "new") != 0)
			continue;
		snprintf(key, sizeof(key), "child-%d-unborn", i);
		if (form_get(&rq->form, key) != NULL) {
			if ((x = unborn_child(rq, we, i)) != NULL) {
				json_array_append_new(children, x);
				named++;
			}
			continue;
		}
		snprintf(key, sizeof(key), "child-%d-name", i);
		if (name[0] == '\0') {
			if (dob[0] != '\0')
				web_error(we, key, NULL, "Enter the name of "
				    "child %d", i + 1);
			continue;
		}
		if (web_check_text(we, key, name, 1, MEETING_NAME_MAX, 0,
		    "the child's name") != 0)
			continue;
		named++;
		x = json_pack("{s:s, s:s?}", "name", name, "date_of_birth",
		    dob[0] ? dob : NULL);
		child_details(rq, we, i, x);
		json_array_append_new(children, x);
	}
	if (strcmp(type, "new") == 0 && named == 0)
		web_error(we, "child-0-name", NULL, "Enter the name of at least "
		    "one child on the new case");
	if (strcmp(type, "existing") == 0 && case_ref_ok(ref)) {
		/* Another team's case reads as no case at all, so a
		 * reference cannot be probed (docs/security.md). */
		team = case_team(rq, ref);
		if (team == 0 || (team > 0 && team != rq->user.team_id))
			web_error(we, "case_ref", NULL, "Your team has no case "
			    "%s: check the reference, or choose a new case and "
			    "add the children", ref);
	}
	if (json_array_size(children) > 0)
		json_object_set_new(b->body, "children", children);
	else
		json_decref(children);
}

static void
parse_when(struct http_req *rq, struct web_errors *we, struct book *b)
{
	char v[WEB_BUF(MEETING_TEXT_MAX)], iso[LTIME_ISO_MAX];
	time_t concern = 0, starts = 0;
	long dur = 60;
	int ok_c, ok_s;

	web_field(rq, "kind", v, sizeof(v));
	if (!one_of(v, kinds))
		web_error(we, "kind", NULL, "Select whether you are booking a "
		    "meeting or recording a phone discussion");
	json_object_set_new(b->body, "kind", json_string(v));
	web_field(rq, "reason", v, sizeof(v));
	if (web_check_text(we, "reason", v, 1, MEETING_TEXT_MAX, 1,
	    "the reason for the strategy discussion") == 0)
		json_object_set_new(b->body, "reason", json_string(v));
	ok_c = web_datetime(rq, we, "concern", "when the concern was "
	    "received", &concern) == 0;
	ok_s = web_datetime(rq, we, "when", "the date of the meeting",
	    &starts) == 0;
	if (ok_c && ok_s && starts < concern)
		web_error(we, "when", "when-day", "The meeting must not be "
		    "before the concern was received");
	if (ok_c && ltime_format(concern, iso, sizeof(iso)) == 0)
		json_object_set_new(b->body, "concern_received_at",
		    json_string(iso));
	if (ok_s && ltime_format(starts, iso, sizeof(iso)) == 0)
		json_object_set_new(b->body, "starts_at", json_string(iso));
	web_field(rq, "duration", v, sizeof(v));
	if (v[0] != '\0' && str_to_long(v, 5, MEETING_MAX_DURATION, &dur))
		web_error(we, "duration", NULL, "Duration must be a whole number "
		    "of minutes from 5 to %d", MEETING_MAX_DURATION);
	json_object_set_new(b->body, "duration_minutes", json_integer(dur));
	web_field(rq, "format", v, sizeof(v));
	if (!one_of(v, formats))
		web_error(we, "format", NULL, "Select how the meeting will be "
		    "held");
	json_object_set_new(b->body, "format", json_string(v));
	web_field(rq, "location", v, sizeof(v));
	if (web_check_text(we, "location", v, 0, 500, 0, "the location or "
	    "joining link") == 0)
		json_object_set_new(b->body, "location", json_string(v));
	web_field(rq, "chair", v, sizeof(v));
	if (web_check_text(we, "chair", v, 0, MEETING_NAME_MAX, 0,
	    "the chair's name") == 0)
		json_object_set_new(b->body, "chair", json_string(v));
}

json_t *
web_parse_person(struct http_req *rq, struct web_errors *we,
    const char *prefix, int i, const char **agency)
{
	char key[64], name[WEB_NAME_BUF], email[WEB_BUF(254)], ag[40];
	char org[WEB_NAME_BUF], role[WEB_NAME_BUF];
	size_t a;
	int bad = 0;

	snprintf(key, sizeof(key), "%s-%d-name", prefix, i);
	web_field(rq, key, name, sizeof(name));
	snprintf(key, sizeof(key), "%s-%d-email", prefix, i);
	web_field(rq, key, email, sizeof(email));
	snprintf(key, sizeof(key), "%s-%d-agency", prefix, i);
	web_field(rq, key, ag, sizeof(ag));
	snprintf(key, sizeof(key), "%s-%d-organisation", prefix, i);
	web_field(rq, key, org, sizeof(org));
	snprintf(key, sizeof(key), "%s-%d-role", prefix, i);
	web_field(rq, key, role, sizeof(role));
	if (name[0] == '\0' && email[0] == '\0' && org[0] == '\0' &&
	    role[0] == '\0')
		return NULL;
	snprintf(key, sizeof(key), "%s-%d-name", prefix, i);
	bad |= web_check_text(we, key, name, 1, MEETING_NAME_MAX, 0,
	    "the person's name");
	snprintf(key, sizeof(key), "%s-%d-email", prefix, i);
	if (email[0] != '\0' && !str_email_valid(email)) {
		web_error(we, key, NULL, "Enter an email address in the correct "
		    "format, like name@example.org");
		bad = 1;
	}
	snprintf(key, sizeof(key), "%s-%d-agency", prefix, i);
	for (*agency = NULL, a = 0; web_agencies[a] != NULL; a++)
		if (strcmp(ag, web_agencies[a]) == 0)
			*agency = web_agencies[a];
	if (*agency == NULL) {
		web_error(we, key, NULL, "Select the person's agency");
		bad = 1;
	}
	snprintf(key, sizeof(key), "%s-%d-organisation", prefix, i);
	bad |= web_check_text(we, key, org, 0, MEETING_NAME_MAX, 0,
	    "the organisation");
	snprintf(key, sizeof(key), "%s-%d-role", prefix, i);
	bad |= web_check_text(we, key, role, 0, MEETING_NAME_MAX, 0,
	    "the role");
	if (bad)
		return json_null();
	return json_pack("{s:s, s:s?, s:s, s:s, s:s}", "name", name, "email",
	    email[0] ? email : NULL, "agency", *agency, "organisation", org,
	    "role", role);
}

/* Selected directory contacts: their ids into b, their agencies and a
 * person per agency into present/b->invitees. */
static int
parse_contacts(struct http_req *rq, struct web_errors *we, struct book *b,
    json_t *parts, json_t *agencies)
{
	const char *vals[BOOK_MAX_CONTACTS + 1];
	char arr[BOOK_MAX_CONTACTS * 21 + 3];
	const char *p[1] = { arr };
	struct db_res r;
	size_t n, i, used = 1;
	long id;
	int k;

	n = form_get_all(&rq->form, "contact", vals, BOOK_MAX_CONTACTS + 1);
	if (n > BOOK_MAX_CONTACTS) {
		web_error(we, "contacts", NULL, "Choose at most %d people",
		    BOOK_MAX_CONTACTS);
		return 0;
	}
	arr[0] = '{';
	arr[1] = '\0';
	for (i = 0; i < n; i++) {
		if (str_to_long(vals[i], 1, 9007199254740991L, &id) != 0)
			continue;
		b->ids[b->nids++] = id;
		used += (size_t)snprintf(arr + used, sizeof(arr) - used, "%s%ld",
		    b->nids > 1 ? "," : "", id);
	}
	snprintf(arr + used, sizeof(arr) - used, "}");
	if (b->nids == 0)
		return 0;
	if (db_exec(rq->db, &r, "SELECT c.id, o.agency, c.name, o.name FROM "
	    "contacts c JOIN organisations o ON o.id = c.organisation_id WHERE "
	    "c.id = ANY($1::bigint[]) AND c.active AND o.active ORDER BY c.id",
	    1, p) != 0)
		return -1;
	if ((size_t)db_res_rows(&r) != b->nids)
		web_error(we, "contacts", NULL, "Someone you chose has left the "
		    "directory; check the people you have chosen");
	for (k = 0; k < db_res_rows(&r); k++) {
		json_array_append_new(parts, json_pack("{s:I}", "contact_id",
		    (json_int_t)db_res_long(&r, k, 0, 0)));
		json_array_append_new(agencies, json_pack("{s:s, s:s}",
		    "agency", db_res_get(&r, k, 1), "person",
		    db_res_get(&r, k, 2)));
		json_object_set_new(json_array_get(agencies,
		    json_array_size(agencies) - 1), "org",
		    json_string(db_res_get(&r, k, 3)));
	}
	db_res_free(&r);
	return 0;
}

/* Group {agency, person, org} rows by agency for the answers page. */
static json_t *
group_people(json_t *people)
{
	json_t *out = json_array(), *g, *pp;
	size_t a, i;

	for (a = 0; web_agencies[a] != NULL; a++) {
		g = NULL;
		json_array_foreach(people, i, pp) {
			if (strcmp(json_string_value(json_object_get(pp,
			    "agency")), web_agencies[a]) != 0)
				continue;
			if (g == NULL) {
				g = json_pack("{s:s, s:[]}", "name",
				    web_agency_name(web_agencies[a]), "people");
				json_array_append_new(out, g);
			}
			json_array_append_new(json_object_get(g, "people"),
			    json_sprintf("%s%s%s", json_string_value(
			    json_object_get(pp, "person")),
			    json_string_length(json_object_get(pp, "org")) ?
			    ", " : "", json_string_value(json_object_get(pp,
			    "org"))));
		}
	}
	return out;
}

/* Which statutory agencies have nobody; the planned classification. */
static int
plan(struct http_req *rq, struct book *b, json_t *people)
{
	struct classify_participant cp[BOOK_MAX_CONTACTS + WEB_MAX_EXTRA + 1];
	const char *st[CLASSIFY_MAX_AGENCIES];
	struct classify_result res;
	json_t *stat, *pp;
	size_t i, n = 0, ns = 0;

	if ((stat = web_statutory(rq->db, rq->user.authority_id)) == NULL)
		return -1;
	json_array_foreach(stat, i, pp)
		if (ns < CLASSIFY_MAX_AGENCIES)
			st[ns++] = json_string_value(pp);
	json_array_foreach(people, i, pp) {
		if (n == sizeof(cp) / sizeof(cp[0]))
			break;
		cp[n].agency = json_string_value(json_object_get(pp, "agency"));
		cp[n++].presence = CLASSIFY_PRESENT;
	}
	if (classify(cp, n, st, ns, &res) != 0) {
		json_decref(stat);
		return -1;
	}
	b->cls = classify_name(res.cls);
	for (i = 0; i < res.nmissing; i++)
		json_array_append_new(b->missing, json_string(res.missing[i]));
	json_decref(stat);
	return 0;
}

static int
parse_people(struct http_req *rq, struct web_errors *we, struct book *b)
{
	json_t *parts = json_array(), *people = json_array(), *x;
	const char *agency;
	char v[WEB_BUF(MEETING_TEXT_MAX)], key[32], miss[200];
	int i, rc = -1;

	b->include_me = form_get(&rq->form, "include_me") != NULL;
	if (b->include_me) {
		/* self: the person booking is reached without an invite */
		json_array_append_new(parts, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:b}", "name", rq->user.display_name[0] ?
		    rq->user.display_name : rq->user.username, "agency",
		    "social_care", "organisation", rq->user.team_name, "role",
		    "Social worker", "self", 1));
		json_array_append_new(people, json_pack("{s:s, s:s, s:s}",
		    "agency", "social_care", "person", "You", "org",
		    rq->user.team_name));
	}
	if (parse_contacts(rq, we, b, parts, people) != 0)
		goto out;
	b->first_extra = (int)json_array_size(parts);
	b->nextra = rows_field(rq, "extras_n", WEB_MAX_EXTRA);
	for (i = 0; i < b->nextra; i++) {
		if ((x = web_parse_person(rq, we, "extra", i, &agency)) == NULL)
			continue;
		if (json_is_null(x)) {
			json_decref(x);
			continue;
		}
		b->extra_row[json_array_size(parts) - (size_t)b->first_extra] =
		    i;
		json_array_append_new(people, json_pack("{s:s, s:O, s:O}",
		    "agency", agency, "person", json_object_get(x, "name"),
		    "org", json_object_get(x, "organisation")));
		json_array_append_new(parts, x);
	}
	if (json_array_size(parts) == 0)
		web_error(we, "contacts", NULL, "Choose at least one person to "
		    "invite");
	if (plan(rq, b, people) != 0)
		goto out;
	web_field(rq, "missing_agency_reason", v, sizeof(v));
	web_agency_list(b->missing, miss, sizeof(miss));
	if (json_array_size(b->missing) > 0 && v[0] == '\0')
		web_error(we, "missing_agency_reason", NULL, "No one from %s is "
		    "invited: invite someone, or say why not", miss);
	else if (web_check_text(we, "missing_agency_reason", v, 0,
	    MEETING_TEXT_MAX, 1, "the reason") == 0 && v[0] != '\0')
		/* Also when this page saw no gap: the model counts only
		 * invitees an invite reaches (an email or a logged call). */
		json_object_set_new(b->body, "missing_agency_reason",
		    json_string(v));
	snprintf(key, sizeof(key), "participants");
	json_object_set_new(b->body, key, parts);
	parts = NULL;
	b->invitees = group_people(people);
	rc = 0;
out:
	json_decref(parts);
	json_decref(people);
	return rc;
}

static int
book_parse(struct http_req *rq, struct web_errors *we, struct book *b)
{
	memset(b, 0, sizeof(*b));
	b->body = json_object();
	b->missing = json_array();
	parse_case(rq, we, b);
	parse_when(rq, we, b);
	return parse_people(rq, we, b);
}

static void
book_free(struct book *b)
{
	json_decref(b->body);
	json_decref(b->missing);
	json_decref(b->invitees);
}

/* ---- the form ----------------------------------------------------------------- */

static json_t *
agency_items(const char *current)
{
	json_t *items = json_array();
	size_t i;

	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "Choose an agency", "checked", 0));
	for (i = 0; web_agencies[i] != NULL; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
		    "value", web_agencies[i], "text",
		    web_agency_name(web_agencies[i]), "checked",
		    strcmp(current, web_agencies[i]) == 0));
	return items;
}

/* The rows for people added by hand ("extra") or on the day ("day"). */
json_t *
web_extra_rows(const struct http_req *rq, const struct web_errors *we,
    const char *prefix, int n, int with_attendance)
{
	static const char *const att[] = { "attended", "Attended",
		"contributed", "Sent information", "apologies", "Apologies",
		"absent", "Absent", NULL };
	char key[64], v[WEB_NAME_BUF];
	json_t *rows = json_array(), *row, *f;
	int i;

	for (i = 0; i < n; i++) {
		row = json_pack("{s:i, s:i}", "index", i, "number", i + 1);
#define FLD(name, label, hint) (snprintf(key, sizeof(key), "%s-%d-%s", \
	prefix, i, name), web_fld(we, key, label, hint, \
	web_field(rq, key, v, sizeof(v))))
		json_object_set_new(row, "f_name", FLD("name", "Full name",
		    NULL));
		json_object_set_new(row, "f_email", f = FLD("email",
		    "Email address (optional)", "Invites go to this address"));
		json_object_set_new(f, "type", json_string("email"));
		json_object_set_new(f, "spellcheck_off", json_true());
		json_object_set_new(row, "f_agency", f = FLD("agency", "Agency",
		    NULL));
		json_object_set_new(f, "items", agency_items(
		    json_string_value(json_object_get(f, "value"))));
		json_object_set_new(row, "f_organisation", FLD("organisation",
		    "Organisation (optional)", NULL));
		json_object_set_new(row, "f_role", FLD("role",
		    "Role (optional)", NULL));
		if (with_attendance) {
			json_object_set_new(row, "f_attendance", f =
			    FLD("attendance", "Attendance", NULL));
			json_object_set_new(f, "items", web_choices(key, att,
			    json_string_value(json_object_get(f, "value"))));
			json_object_set_new(f, "inline", json_true());
			json_object_set_new(f, "small", json_true());
		}
#undef FLD
		json_array_append_new(rows, row);
	}
	return rows;
}

static json_t *
names_json(void)
{
	json_t *o = json_object();
	char *s;
	size_t i;

	for (i = 0; web_agencies[i] != NULL; i++)
		json_object_set_new(o, web_agencies[i],
		    json_string(web_agency_name(web_agencies[i])));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	o = json_string(s ? s : "{}");
	free(s);
	return o;
}

static json_t *
vocab_radios(const struct web_errors *we, const char *key, const char *label,
    enum vocab_list l, const char *current)
{
	const char *pairs[2 * 16 + 1];
	const struct vocab_term *t;
	json_t *f = web_fld(we, key, label, NULL, current);
	size_t n, k, j = 0;

	t = vocab_terms(l, &n);
	for (k = 0; k < n && j + 2 < sizeof(pairs) / sizeof(pairs[0]); k++) {
		pairs[j++] = t[k].code;
		pairs[j++] = t[k].words;
	}
	pairs[j] = NULL;
	json_object_set_new(f, "items", web_choices(key, pairs, current));
	json_object_set_new(f, "small", json_true());
	return f;
}

/* Child i's optional facts on the booking form. */
static void
child_fields(struct http_req *rq, const struct web_errors *we, int i,
    json_t *row)
{
	char key[64], v[WEB_BUF(MODEL_NAME_MAX)];
	json_t *f;

#define K(f) (snprintf(key, sizeof(key), "child-%d-%s", i, f), key)
	f = web_fld(we, K("unborn"), "Unborn baby", NULL, NULL);
	json_object_set_new(f, "items", json_pack("[{s:s, s:s, s:s, s:b, s:n}]",
	    "item_id", key, "value", "yes", "text", "This is an unborn baby "
	    "(no name yet)", "checked", form_get(&rq->form, key) != NULL,
	    "item_hint"));
	json_object_set_new(f, "small", json_true());
	json_object_set_new(row, "f_unborn", f);
	json_object_set_new(row, "f_expected", web_fld_date(we, rq,
	    K("expected"), "Expected date of birth (an unborn baby only)",
	    "For example, 14 5 2027", 0));
	json_object_set_new(row, "f_sex", vocab_radios(we, K("sex"),
	    "Sex (optional)", VOCAB_SEX, web_field(rq, key, v, sizeof(v))));
	json_object_set_new(json_object_get(row, "f_sex"), "inline",
	    json_true());
	json_object_set_new(row, "f_ethnicity", web_fld(we, K("ethnicity"),
	    "Ethnicity (optional)", NULL, web_field(rq, key, v, sizeof(v))));
	json_object_set_new(row, "f_disability", web_fld(we, K("disability"),
	    "Disability (optional)", NULL, web_field(rq, key, v, sizeof(v))));
	json_object_set_new(row, "f_legal", vocab_radios(we, K("legal_status"),
	    "Legal status (optional)", VOCAB_LEGAL_STATUS, web_field(rq, key,
	    v, sizeof(v))));
	f = web_fld(we, K("person_id"), "Person ID in the case system "
	    "(optional)", "The child's ID in Liquidlogic, Mosaic or similar",
	    web_field(rq, key, v, sizeof(v)));
	json_object_set_new(f, "width", json_string("govuk-input--width-10"));
	json_object_set_new(f, "spellcheck_off", json_true());
	json_object_set_new(row, "f_person_id", f);
#undef K
}

/*
 * Booking a review from its due item (/meetings/new?reviews=ID): the
 * discussion it reviews, if the user may see it and it is held, into d as
 * "reviews" {id, date}; a fresh form gets its case reference too.
 */
static void
reviews_view(struct http_req *rq, json_t *d, int fresh)
{
	struct verr e = { 0 };
	const char *v = fresh ? http_query(rq, "reviews") :
	    form_get(&rq->form, "reviews");
	char sid[24], day[64];
	const char *p[1] = { sid };
	struct db_res r;
	json_t *f;
	long id;

	if (v == NULL || str_to_long(v, 1, MODEL_ID_MAX, &id) != 0 ||
	    meeting_visible(rq->db, &rq->user, id, &e) != 0)
		return;
	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(rq->db, &r, "SELECT c.case_ref, to_char((d.starts_at AT "
	    "TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') FROM discussions "
	    "d JOIN cases c ON c.id = d.case_id WHERE d.id = $1 AND d.status = "
	    "'held'", 1, p) != 0)
		return;
	if (db_res_rows(&r) == 1) {
		web_day(db_res_get(&r, 0, 1), day, sizeof(day));
		json_object_set_new(d, "reviews", json_pack("{s:I, s:s}", "id",
		    (json_int_t)id, "date", day));
		if (fresh && (f = json_object_get(d, "f_case_ref")) != NULL)
			json_object_set_new(f, "value", json_string(
			    db_res_get(&r, 0, 0)));
		if (fresh && (f = json_object_get(d, "f_case_type")) != NULL)
			json_object_set_new(f, "items", web_choices("case_type",
			    case_types, "existing"));
	}
	db_res_free(&r);
}

static int
show_form(struct http_req *rq, struct http_resp *rs, struct web_errors *we,
    struct book *b, int more_children, int more_extras)
{
	char key[64], v[WEB_BUF(MEETING_TEXT_MAX)], what[64], miss[200];
	json_t *d, *f, *children, *row, *stat = NULL, *groups;
	int i, fresh = rq->form.n == 0, nchildren, nextra;
	size_t k;

	nchildren = rows_field(rq, "children_n", MEETING_MAX_CHILDREN);
	nextra = rows_field(rq, "extras_n", WEB_MAX_EXTRA);
	if (more_children && nchildren < MEETING_MAX_CHILDREN)
		nchildren++;
	if (more_extras && nextra < WEB_MAX_EXTRA)
		nextra++;
	if ((groups = web_directory_groups(rq->db, b ? b->ids : NULL,
	    b ? b->nids : 0)) == NULL ||
	    (stat = web_statutory(rq->db, rq->user.authority_id)) == NULL ||
	    web_duty_mark_on_duty(rq, groups, stat) != 0) {
		json_decref(groups);
		json_decref(stat);
		return rs->status = 500;
	}
	d = json_object();
	json_object_set_new(d, "groups", groups);
#define FLD(id, label, hint) web_fld(we, id, label, hint, \
	web_field(rq, id, v, sizeof(v)))
	json_object_set_new(d, "f_case_type", f = FLD("case_type",
	    "Is this for an existing case?", NULL));
	json_object_set_new(f, "items", web_choices("case_type", case_types,
	    json_string_value(json_object_get(f, "value"))));
	json_object_set_new(d, "f_case_ref", f = FLD("case_ref",
	    "Case reference", "From the case management system, like "
	    "SC-104233. Invites show only this reference."));
	json_object_set_new(f, "width", json_string("govuk-input--width-10"));
	json_object_set_new(f, "spellcheck_off", json_true());
	children = json_array();
	for (i = 0; i < nchildren; i++) {
		row = json_pack("{s:i}", "number", i + 1);
		snprintf(key, sizeof(key), "child-%d-name", i);
		json_object_set_new(row, "f_name", web_fld(we, key, "Full name",
		    NULL, web_field(rq, key, v, sizeof(v))));
		snprintf(key, sizeof(key), "child-%d-dob", i);
		snprintf(what, sizeof(what), "Date of birth (optional)");
		json_object_set_new(row, "f_dob", web_fld_date(we, rq, key,
		    what, "For example, 27 3 2019", 0));
		child_fields(rq, we, i, row);
		json_array_append_new(children, row);
	}
	json_object_set_new(d, "children", children);
	json_object_set_new(d, "children_n", json_integer(nchildren));
	json_object_set_new(d, "can_add_child",
	    json_boolean(nchildren < MEETING_MAX_CHILDREN));
	json_object_set_new(d, "f_kind", f = FLD("kind", "What are you "
	    "recording?", "Strategy discussion: held as a meeting or by "
	    "phone; booked ahead or recorded afterwards"));
	json_object_set_new(f, "items", web_choices("kind", kinds, fresh ?
	    "meeting" : json_string_value(json_object_get(f, "value"))));
	json_object_set_new(d, "f_reason", f = FLD("reason", "Reason for the "
	    "strategy discussion", "What happened and who may be at risk, "
	    "including other children"));
	json_object_set_new(f, "rows", json_integer(5));
	json_object_set_new(d, "f_concern", web_fld_date(we, rq, "concern",
	    "When was the concern received?", "For example, 27 3 2026", 1));
	json_object_set_new(d, "f_when", web_fld_date(we, rq, "when",
	    "Date and time of the strategy discussion", "For example, 28 3 "
	    "2026", 1));
	json_object_set_new(d, "f_duration", f = web_fld(we, "duration",
	    "How long will it last?", NULL, fresh ? "60" :
	    web_field(rq, "duration", v, sizeof(v))));
	json_object_set_new(f, "width", json_string("govuk-input--width-3"));
	json_object_set_new(f, "suffix", json_string("minutes"));
	json_object_set_new(f, "inputmode", json_string("numeric"));
	json_object_set_new(d, "f_format", f = FLD("format", "How will it be "
	    "held?", NULL));
	json_object_set_new(f, "items", web_choices("format", formats,
	    json_string_value(json_object_get(f, "value"))));
	json_object_set_new(d, "f_location", FLD("location", "Location or "
	    "joining link (optional)", "Do not include the child's name or "
	    "address"));
	json_object_set_new(d, "f_chair", FLD("chair", "Chair (optional)",
	    "Usually the team manager"));
	json_object_set_new(d, "include_me", json_boolean(fresh ||
	    form_get(&rq->form, "include_me") != NULL));
	json_object_set_new(d, "extras", web_extra_rows(rq, we, "extra",
	    nextra, 0));
	json_object_set_new(d, "extras_n", json_integer(nextra));
	json_object_set_new(d, "can_add_extra",
	    json_boolean(nextra < WEB_MAX_EXTRA));
	json_object_set_new(d, "f_missing", f = FLD("missing_agency_reason",
	    "If social care, police or health will not be there, say why",
	    "For example, the health visitor is on leave and her manager "
	    "will send information"));
	json_object_set_new(f, "rows", json_integer(3));
	if (we != NULL && json_object_get(we->by_key, "contacts") != NULL)
		json_object_set_new(d, "err_contacts", json_incref(
		    json_object_get(we->by_key, "contacts")));
#undef FLD
	if (b != NULL && json_array_size(b->missing) > 0) {
		web_agency_list(b->missing, miss, sizeof(miss));
		json_object_set_new(d, "missing_text", json_string(miss));
	}
	json_object_set_new(d, "statutory", json_string(""));
	json_array_foreach(stat, k, f)
		json_object_set_new(d, "statutory", json_sprintf("%s%s%s",
		    json_string_value(json_object_get(d, "statutory")),
		    k ? " " : "", json_string_value(f)));
	json_decref(stat);
	json_object_set_new(d, "agency_names", names_json());
	json_object_set_new(d, "back", json_pack("{s:s, s:s}", "href", "/",
	    "text", "Back"));
	reviews_view(rq, d, fresh);
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "book", "Book a strategy meeting", d);
}

int
web_book_form(struct http_req *rq, struct http_resp *rs)
{
	if (rq->user.team_id == 0)
		return http_error(rq, rs, 403, NULL, "you are not in a team, so "
		    "you cannot book for one; ask an administrator");
	return show_form(rq, rs, NULL, NULL, 0, 0);
}

/* ---- check your answers, confirm ---------------------------------------------- */

static void
answer(json_t *rows, const char *key, const char *value)
{
	json_array_append_new(rows, json_pack("{s:s, s:s}", "key", key,
	    "value", value ? value : ""));
}

static int
show_answers(struct http_req *rq, struct http_resp *rs, struct book *b)
{
	json_t *rows = json_array(), *body = b->body, *ch, *d;
	char when[96], concern[96], s[64], miss[200];
	struct buf names;
	size_t i;

	answer(rows, "Case", json_string_value(json_object_get(body,
	    "case_ref")));
	buf_init(&names, 16384);
	json_array_foreach(json_object_get(body, "children"), i, ch) {
		web_day(json_string_value(json_object_get(ch,
		    "expected_date")), s, sizeof(s));
		if (json_is_true(json_object_get(ch, "unborn")))
			buf_printf(&names, "%sUnborn baby (expected %s)",
			    i ? ", " : "", s);
		else
			buf_printf(&names, "%s%s", i ? ", " : "",
			    json_string_value(json_object_get(ch, "name")));
	}
	if (names.len > 0)
		answer(rows, "Children (new case)", buf_cstr(&names));
	buf_free(&names);
	answer(rows, "Recording", pair_text(json_string_value(
	    json_object_get(body, "kind")), kinds));
	answer(rows, "Reason", json_string_value(json_object_get(body,
	    "reason")));
	web_when(json_string_value(json_object_get(body,
	    "concern_received_at")), concern, sizeof(concern));
	answer(rows, "Concern received", concern);
	web_when(json_string_value(json_object_get(body, "starts_at")), when,
	    sizeof(when));
	answer(rows, "Date and time", when);
	snprintf(s, sizeof(s), "%lld minutes", (long long)json_integer_value(
	    json_object_get(body, "duration_minutes")));
	answer(rows, "Duration", s);
	answer(rows, "Format", web_format_name(json_string_value(
	    json_object_get(body, "format"))));
	answer(rows, "Location or link", json_string_value(json_object_get(
	    body, "location")));
	answer(rows, "Chair", json_string_value(json_object_get(body,
	    "chair")));
	web_agency_list(b->missing, miss, sizeof(miss));
	d = json_pack("{s:o, s:O, s:o, s:o, s:s, s:O?}", "answers", rows,
	    "invitees", b->invitees, "hidden", answers_hidden(rq), "tag",
	    web_class_tag(b->cls), "missing_text", miss, "missing_reason",
	    json_object_get(body, "missing_agency_reason"));
	return web_page(rq, rs, 200, "book_check", "Check your answers", d);
}

/*
 * The answers so far as hidden fields, and a new booking key: the page's
 * "Book" button carries it, so a second press (or a resubmitted POST)
 * replays the booking it made instead of booking twice
 * (meeting_create_once). Any older key is dropped: changed answers are
 * another booking.
 */
static json_t *
answers_hidden(const struct http_req *rq)
{
	json_t *a = web_form_hidden(rq), *v;
	char key[33];
	size_t i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    BOOK_KEY_FIELD) == 0) {
			json_array_remove(a, i);
			break;
		}
	if (auth_random_hex(key, sizeof(key), 16) == 0)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name",
		    BOOK_KEY_FIELD, "value", key));
	return a;
}

/* Map a model error's field to this form's field. */
static void
model_error(struct web_errors *we, const struct verr *e, const struct book *b)
{
	static const char *const map[] = { "case_ref", "case_ref",
		"children", "child-0-name", "kind", "kind", "reason", "reason",
		"concern_received_at", "concern#concern-day", "starts_at",
		"when#when-day", "ends_at", "duration", "duration_minutes",
		"duration", "format", "format", "location", "location",
		"chair", "chair", "missing_agency_reason",
		"missing_agency_reason", "participants", "contacts", NULL };
	char key[64];
	long i;

	if (strncmp(e->field, "participants[", 13) == 0 &&
	    str_to_long_n(e->field + 13, strcspn(e->field + 13, "]"), 0, 999,
	    &i) == 0 && i >= b->first_extra &&
	    i - b->first_extra < WEB_MAX_EXTRA) {
		snprintf(key, sizeof(key), "extra-%d-name",
		    b->extra_row[i - b->first_extra]);
		web_error(we, key, NULL, "%s", e->msg);
		return;
	}
	web_error_verr(we, e, map);
}

int
web_book_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	struct verr e = { 0 };
	struct book b;
	char action[16], bkey[MEETING_IDEM_KEY_MAX + 1];
	json_t *out = NULL;
	int status = 500, replayed;

	web_errors_init(&we);
	web_field(rq, "action", action, sizeof(action));
	if (book_parse(rq, &we, &b) != 0)
		goto out;
	if (strcmp(action, "add-child") == 0 ||
	    strcmp(action, "add-extra") == 0 || strcmp(action, "edit") == 0) {
		/* Another row, or back from the answers: shown unchecked. */
		status = show_form(rq, rs, NULL, &b, action[4] == 'c',
		    action[4] == 'e');
		goto out;
	}
	if (web_errors_any(&we)) {
		status = show_form(rq, rs, &we, &b, 0, 0);
		goto out;
	}
	if (strcmp(action, "confirm") != 0) {
		status = show_answers(rq, rs, &b);
		goto out;
	}
	web_field(rq, BOOK_KEY_FIELD, bkey, sizeof(bkey));
	if (meeting_create_once(rq->db, &rq->user, b.body, bkey[0] != '\0' ?
	    bkey : NULL, &out, &replayed, &e) != 0) {
		if (e.status == 500)
			goto out;
		model_error(&we, &e, &b);
		status = show_form(rq, rs, &we, &b, 0, 0);
		goto out;
	}
	status = web_redirectf(rs, "/meetings/%lld/booked",
	    (long long)json_integer_value(json_object_get(out, "id")));
out:
	json_decref(out);
	book_free(&b);
	web_errors_free(&we);
	return rs->status = status;
}

int
web_book_done(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m;
	json_t *d;
	size_t i, n = 0;
	long id;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	for (i = 0; i < m->nparticipants; i++)
		if (m->participants[i].email != NULL &&
		    m->participants[i].email[0] != '\0')
			n++;
	d = json_pack("{s:o, s:i, s:b}", "m", web_discussion_row(m),
	    "invites", (int)n, "is_discussion", m->kind != NULL &&
	    strcmp(m->kind, "discussion") == 0);
	model_discussion_free(m);
	return web_page(rq, rs, 200, "book_done", "Strategy meeting booked",
	    d);
}
