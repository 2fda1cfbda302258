/*
 * fuzz_json: libFuzzer target for the JSON request path that needs no
 * database: meeting_parse_body (every JSON body the API accepts) and then
 * the input_* field checks, applied as POST /api/v1/meetings applies them
 * (input_known_keys on the booking's key list, kind/format enums, reason,
 * location, chair, the three times, duration, children[] and
 * participants[] with their names, dates of birth, emails and agencies).
 * The database half of meeting_create is not reached: the checks run on a
 * fixed key list mirroring create_keys in server/meeting.c.
 *
 * Properties checked beyond memory safety: a body is either a JSON object
 * or refused with 400 on "body" and a message; every failed check says 422
 * (or 400) with a non-empty field and a message that starts with that
 * field's name, both valid UTF-8 (they go into a JSON error); every accepted string has at most its maximum number of
 * characters and no control characters (CR, LF, TAB only where multi-line
 * text is allowed); an accepted email has exactly one '@'; an accepted date
 * is YYYY-MM-DD.
 *
 *   ./scripts/fuzz.sh 600      (every target), or by hand:
 *   build-fuzz/fuzz_json -max_total_time=600 tests/fuzz/corpus_json
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "input.h"
#include "ltime.h"
#include "meeting.h"
#include "str.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const create_keys[] = { "case_ref", "children", "kind",
	"reason", "concern_received_at", "starts_at", "ends_at",
	"duration_minutes", "format", "location", "chair", "participants",
	"missing_agency_reason", NULL };
static const char *const child_keys[] = { "name", "date_of_birth", NULL };
static const char *const part_keys[] = { "contact_id", "name", "email",
	"agency", "organisation", "role", "attendance", NULL };
static const char *const kinds[] = { "meeting", "discussion", NULL };
static const char *const formats[] = { "in_person", "video", "phone", NULL };
static const char *const attendances[] = { "attended", "contributed",
	"apologies", "absent", NULL };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ltime_init() != 0)
		abort();
	return 0;
}

/* A failed check must say what and where. */
static void
failed(const struct verr *e)
{
	if ((e->status != 422 && e->status != 400) || e->field[0] == '\0' ||
	    strncmp(e->msg, e->field, strlen(e->field)) != 0)
		abort();
	/* Both go into a JSON error response: jansson refuses invalid UTF-8,
	 * so a field cut mid-character would silently vanish from it. */
	if (!str_utf8_valid(e->field, strlen(e->field)) ||
	    !str_utf8_valid(e->msg, strlen(e->msg)))
		abort();
}

/* An accepted string keeps to its limits. */
static void
accepted(const char *s, size_t maxchars, int multiline)
{
	const unsigned char *c;

	if (s == NULL)
		return;
	if (str_utf8_len(s) > maxchars || !str_utf8_valid(s, strlen(s)))
		abort();
	for (c = (const unsigned char *)s; *c != '\0'; c++)
		if ((*c < 0x20 || *c == 0x7f) && !(multiline &&
		    (*c == '\n' || *c == '\r' || *c == '\t')))
			abort();
}

static void
check_str(json_t *o, const char *key, int opts, size_t max)
{
	struct verr e;
	const char *s;

	memset(&e, 0, sizeof(e));
	if (input_str(o, key, key, opts, max, &s, &e) != 0)
		failed(&e);
	else
		accepted(s, max, opts & INPUT_MULTILINE);
}

static void
check_date(json_t *o, const char *key)
{
	struct verr e;
	char d[11];
	int present;

	memset(&e, 0, sizeof(e));
	if (input_date(o, key, key, INPUT_OPTIONAL, d, &present, &e) != 0)
		failed(&e);
	else if (present && (strlen(d) != 10 || d[4] != '-' || d[7] != '-'))
		abort();
}

static void
check_email(json_t *o, const char *key)
{
	struct verr e;
	const char *s, *at;

	memset(&e, 0, sizeof(e));
	if (input_email(o, key, key, INPUT_OPTIONAL, &s, &e) != 0) {
		failed(&e);
		return;
	}
	if (s != NULL && ((at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL))
		abort();
	accepted(s, 254, 0);
}

static void
check_enum(json_t *o, const char *key, const char *const *allowed)
{
	struct verr e;
	const char *s;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (input_enum(o, key, key, INPUT_OPTIONAL, allowed, &s, &e) != 0) {
		failed(&e);
		return;
	}
	if (s == NULL)
		return;
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(s, allowed[i]) == 0)
			return;
	abort();
}

static void
check_each(json_t *list, const char *const *keys, int is_child)
{
	struct verr e;
	json_t *o;
	size_t i;
	long n;
	int present;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, o) {
		if (!json_is_object(o))
			continue;
		memset(&e, 0, sizeof(e));
		if (input_known_keys(o, keys, is_child ? "children[0]." :
		    "participants[0].", &e) != 0)
			failed(&e);
		check_str(o, "name", INPUT_REQUIRED, MEETING_NAME_MAX);
		if (is_child) {
			check_date(o, "date_of_birth");
			continue;
		}
		check_email(o, "email");
		check_str(o, "agency", INPUT_REQUIRED, 32);
		check_str(o, "organisation", INPUT_OPTIONAL, MEETING_NAME_MAX);
		check_str(o, "role", INPUT_OPTIONAL, MEETING_NAME_MAX);
		check_enum(o, "attendance", attendances);
		memset(&e, 0, sizeof(e));
		if (input_int(o, "contact_id", "contact_id", INPUT_OPTIONAL, 1,
		    9007199254740991L, &n, &present, &e) != 0)
			failed(&e);
		else if (present && n < 1)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const times[] = { "concern_received_at",
		"starts_at", "ends_at" };
	struct verr e;
	json_t *o;
	time_t t;
	long n;
	size_t i;
	int present, b;

	if (size > 64 * 1024)
		return 0;
	memset(&e, 0, sizeof(e));
	o = meeting_parse_body((const char *)data, size, &e);
	if (o == NULL) {
		if (e.status != 400 || strcmp(e.field, "body") != 0 ||
		    e.msg[0] == '\0')
			abort();
		return 0;
	}
	if (!json_is_object(o))
		abort();
	memset(&e, 0, sizeof(e));
	if (input_known_keys(o, create_keys, "", &e) != 0)
		failed(&e);
	check_enum(o, "kind", kinds);
	check_enum(o, "format", formats);
	check_str(o, "case_ref", INPUT_REQUIRED, 40);
	check_str(o, "reason", INPUT_REQUIRED | INPUT_MULTILINE,
	    MEETING_TEXT_MAX);
	check_str(o, "location", INPUT_OPTIONAL, 500);
	check_str(o, "chair", INPUT_OPTIONAL, MEETING_NAME_MAX);
	check_str(o, "missing_agency_reason", INPUT_MULTILINE,
	    MEETING_TEXT_MAX);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (input_time(o, times[i], times[i], INPUT_OPTIONAL, &t,
		    &present, &e) != 0)
			failed(&e);
	}
	memset(&e, 0, sizeof(e));
	if (input_int(o, "duration_minutes", "duration_minutes",
	    INPUT_OPTIONAL, 5, MEETING_MAX_DURATION, &n, &present, &e) != 0)
		failed(&e);
	else if (present && (n < 5 || n > MEETING_MAX_DURATION))
		abort();
	memset(&e, 0, sizeof(e));
	if (input_bool(o, "child_views_recorded", "child_views_recorded",
	    INPUT_OPTIONAL, &b, &present, &e) != 0)
		failed(&e);
	check_date(o, "next_review_date");
	check_each(json_object_get(o, "children"), child_keys, 1);
	check_each(json_object_get(o, "participants"), part_keys, 0);
	json_decref(o);
	return 0;
}
