/*
 * ics: every iCalendar object Convene sends is assembled here from libical
 * components and properties and serialised with the _r serialiser, so
 * escaping, parameter quoting and folding are libical's. The Europe/London
 * VTIMEZONE is built from its two current rules rather than copied from
 * libical's zone, whose historical RDATE blocks Outlook misreads; the local
 * times it describes come from ltime (libical's zone), and the unit tests
 * check that both agree across the clock changes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>
#include <sodium.h>

#include "ics.h"
#include "ltime.h"

const char *
ics_method_name(enum ics_method m)
{
	switch (m) {
	case ICS_METHOD_REQUEST:
		return "REQUEST";
	case ICS_METHOD_CANCEL:
		return "CANCEL";
	default:
		return "";
	}
}

/* London wall-clock time of t as a floating icaltimetype (the TZID
 * parameter is added by the caller). -1 outside ltime's range. */
static int
local_time(time_t t, struct icaltimetype *out)
{
	struct icaltimetype tt = icaltime_null_time();
	int y, mo, d, h, mi;

	if (ltime_local(t, &y, &mo, &d, &h, &mi) != 0)
		return -1;
	tt.year = y;
	tt.month = mo;
	tt.day = d;
	tt.hour = h;
	tt.minute = mi;
	tt.second = (int)(((t % 60) + 60) % 60);
	tt.is_date = 0;
	tt.is_daylight = 0;
	tt.zone = NULL;
	*out = tt;
	return 0;
}

/* A STANDARD or DAYLIGHT block: DTSTART (local, 1970), RRULE, offsets. */
static icalcomponent *
tz_rule(int is_dst, int month, int day, int hour, int from, int to,
    const char *name, const char *rrule)
{
	struct icaltimetype start = icaltime_null_time();
	struct icalrecurrencetype rt;
	icalcomponent *c;

	c = is_dst ? icalcomponent_new_xdaylight() :
	    icalcomponent_new_xstandard();
	if (c == NULL)
		return NULL;
	start.year = 1970;
	start.month = month;
	start.day = day;
	start.hour = hour;
	start.is_date = 0;
	rt = icalrecurrencetype_from_string(rrule);
	icalcomponent_add_property(c, icalproperty_new_tzname(name));
	icalcomponent_add_property(c, icalproperty_new_tzoffsetfrom(from));
	icalcomponent_add_property(c, icalproperty_new_tzoffsetto(to));
	icalcomponent_add_property(c, icalproperty_new_dtstart(start));
	icalcomponent_add_property(c, icalproperty_new_rrule(rt));
	return c;
}

/*
 * Europe/London since 1996 (EU rules): BST from 01:00 UTC on the last Sunday
 * of March (01:00 GMT local), GMT from 01:00 UTC on the last Sunday of
 * October (02:00 BST local).
 */
static icalcomponent *
london_vtimezone(void)
{
	icalcomponent *tz, *std, *dst;

	if ((tz = icalcomponent_new_vtimezone()) == NULL)
		return NULL;
	icalcomponent_add_property(tz, icalproperty_new_tzid(ICS_TZID));
	std = tz_rule(0, 10, 25, 2, 3600, 0, "GMT",
	    "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
	dst = tz_rule(1, 3, 29, 1, 0, 3600, "BST",
	    "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU");
	if (std == NULL || dst == NULL) {
		if (std != NULL)
			icalcomponent_free(std);
		if (dst != NULL)
			icalcomponent_free(dst);
		icalcomponent_free(tz);
		return NULL;
	}
	icalcomponent_add_component(tz, std);
	icalcomponent_add_component(tz, dst);
	return tz;
}

int
ics_time_ambiguous(time_t t)
{
	const time_t other[2] = { t - 3600, t + 3600 };
	int y, mo, d, h, mi, y2, mo2, d2, h2, mi2, k;

	if (ltime_local(t, &y, &mo, &d, &h, &mi) != 0)
		return 0;
	for (k = 0; k < 2; k++)
		if (ltime_local(other[k], &y2, &mo2, &d2, &h2, &mi2) == 0 &&
		    y2 == y && mo2 == mo && d2 == d && h2 == h && mi2 == mi)
			return 1;
	return 0;
}

const char *
ics_zone_abbr(time_t t)
{
	struct tm u;
	int y, mo, d, h, mi, diff;

	if (gmtime_r(&t, &u) == NULL || ltime_local(t, &y, &mo, &d, &h,
	    &mi) != 0)
		return "";
	diff = (h * 60 + mi) - (u.tm_hour * 60 + u.tm_min);
	return diff == 60 || diff == 60 - 1440 ? "BST" : "GMT";
}

const char *
ics_time_ambiguous_label(time_t t)
{
	return ics_time_ambiguous(t) ? ics_zone_abbr(t) : NULL;
}

/* t as London wall-clock time with TZID, or in UTC when utc is set. */
static icalproperty *
zoned(icalproperty *(*make)(struct icaltimetype), time_t t, int utc)
{
	struct icaltimetype tt;
	icalproperty *p;

	if (utc)
		return make(icaltime_from_timet_with_zone(t, 0,
		    icaltimezone_get_utc_timezone()));
	if (local_time(t, &tt) != 0 || (p = make(tt)) == NULL)
		return NULL;
	icalproperty_add_parameter(p, icalparameter_new_tzid(ICS_TZID));
	return p;
}

static icalparameter_partstat
partstat_value(const char *s)
{
	if (strcmp(s, "ACCEPTED") == 0)
		return ICAL_PARTSTAT_ACCEPTED;
	if (strcmp(s, "DECLINED") == 0)
		return ICAL_PARTSTAT_DECLINED;
	if (strcmp(s, "TENTATIVE") == 0)
		return ICAL_PARTSTAT_TENTATIVE;
	return ICAL_PARTSTAT_NEEDSACTION;
}

/*
 * A CN parameter for name. libical writes a '"' in a parameter value as
 * RFC 6868's ^', which Outlook shows as it is ("PC ^'Pat^' Jones"); an
 * apostrophe reads the same to a person and needs no escaping anywhere.
 */
static icalparameter *
cn_param(const char *name)
{
	icalparameter *p;
	char *copy, *c;

	if ((copy = strdup(name)) == NULL)
		return NULL;
	for (c = copy; *c != '\0'; c++)
		if (*c == '"')
			*c = '\'';
	p = icalparameter_new_cn(copy);
	free(copy);
	return p;
}

/* "mailto:" + address, into out. -1 when it does not fit. */
static int
mailto(const char *addr, char *out, size_t outlen)
{
	size_t n = strlen(addr);

	if (n == 0 || n + 8 > outlen)
		return -1;
	memcpy(out, "mailto:", 7);
	memcpy(out + 7, addr, n + 1);
	return 0;
}

/* One ATTENDEE; answer 0 (a CANCEL) leaves out PARTSTAT and RSVP. */
static int
add_attendee(icalcomponent *ev, const struct ics_attendee *a, int answer)
{
	static const icalparameter_role roles[] = {
		[ICS_ROLE_CHAIR] = ICAL_ROLE_CHAIR,
		[ICS_ROLE_REQ] = ICAL_ROLE_REQPARTICIPANT,
		[ICS_ROLE_OPT] = ICAL_ROLE_OPTPARTICIPANT,
	};
	char addr[300];
	icalproperty *p;

	if (a->email == NULL || mailto(a->email, addr, sizeof(addr)) != 0 ||
	    (unsigned)a->role > ICS_ROLE_OPT)
		return -1;
	if ((p = icalproperty_new_attendee(addr)) == NULL)
		return -1;
	if (a->name != NULL && a->name[0] != '\0')
		icalproperty_add_parameter(p, cn_param(a->name));
	icalproperty_add_parameter(p,
	    icalparameter_new_cutype(ICAL_CUTYPE_INDIVIDUAL));
	icalproperty_add_parameter(p, icalparameter_new_role(roles[a->role]));
	if (a->partstat != NULL && answer) {
		icalproperty_add_parameter(p,
		    icalparameter_new_partstat(partstat_value(a->partstat)));
		icalproperty_add_parameter(p,
		    icalparameter_new_rsvp(ICAL_RSVP_TRUE));
	}
	icalcomponent_add_property(ev, p);
	return 0;
}

static icalcomponent *
build_event(const struct ics_event *e, enum ics_method m)
{
	char addr[300];
	icalcomponent *ev;
	icalproperty *p, *ds, *de;
	size_t i;
	int utc;

	if (e->uid == NULL || e->uid[0] == '\0' || e->organizer_email == NULL ||
	    mailto(e->organizer_email, addr, sizeof(addr)) != 0 ||
	    e->ends <= e->starts || e->sequence < 0 ||
	    e->sequence > 2147483647L || e->nattendees > ICS_MAX_ATTENDEES ||
	    e->summary == NULL || e->description == NULL)
		return NULL;
	/* Both or neither in UTC, so the pair always reads as one span. */
	utc = ics_time_ambiguous(e->starts) || ics_time_ambiguous(e->ends);
	ds = zoned(icalproperty_new_dtstart, e->starts, utc);
	de = zoned(icalproperty_new_dtend, e->ends, utc);
	if (ds == NULL || de == NULL || (ev = icalcomponent_new_vevent()) ==
	    NULL) {
		if (ds != NULL)
			icalproperty_free(ds);
		if (de != NULL)
			icalproperty_free(de);
		return NULL;
	}
	icalcomponent_add_property(ev, icalproperty_new_uid(e->uid));
	icalcomponent_add_property(ev, icalproperty_new_sequence(
	    (int)e->sequence));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(
	    icaltime_from_timet_with_zone(e->dtstamp, 0,
	    icaltimezone_get_utc_timezone())));
	icalcomponent_add_property(ev, ds);
	icalcomponent_add_property(ev, de);
	icalcomponent_add_property(ev, icalproperty_new_summary(e->summary));
	icalcomponent_add_property(ev,
	    icalproperty_new_description(e->description));
	if (e->location != NULL && e->location[0] != '\0')
		icalcomponent_add_property(ev,
		    icalproperty_new_location(e->location));
	if (e->url != NULL && e->url[0] != '\0')
		icalcomponent_add_property(ev, icalproperty_new_url(e->url));
	icalcomponent_add_property(ev, icalproperty_new_class(
	    e->klass != NULL && strcmp(e->klass, "PRIVATE") == 0 ?
	    ICAL_CLASS_PRIVATE : ICAL_CLASS_CONFIDENTIAL));
	if (!e->no_status)
		icalcomponent_add_property(ev, icalproperty_new_status(
		    e->cancelled ? ICAL_STATUS_CANCELLED :
		    ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev,
	    icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	p = icalproperty_new_organizer(addr);
	if (p == NULL)
		goto fail;
	if (e->organizer_name != NULL && e->organizer_name[0] != '\0')
		icalproperty_add_parameter(p, cn_param(e->organizer_name));
	icalcomponent_add_property(ev, p);
	for (i = 0; i < e->nattendees; i++)
		if (add_attendee(ev, &e->attendees[i],
		    m != ICS_METHOD_CANCEL) != 0)
			goto fail;
	return ev;
fail:
	icalcomponent_free(ev);
	return NULL;
}

/* NAME, X-WR-CALNAME, REFRESH-INTERVAL and X-PUBLISHED-TTL of a feed. */
static void
add_feedinfo(icalcomponent *cal, const struct ics_feedinfo *fi)
{
	struct icaldurationtype d = icaldurationtype_null_duration();
	icalproperty *p;
	char *ttl;

	if (fi->name != NULL && fi->name[0] != '\0') {
		icalcomponent_add_property(cal, icalproperty_new_name(fi->name));
		if ((p = icalproperty_new_x(fi->name)) != NULL) {
			icalproperty_set_x_name(p, "X-WR-CALNAME");
			icalcomponent_add_property(cal, p);
		}
	}
	if (fi->refresh_minutes <= 0)
		return;
	d.hours = (unsigned)(fi->refresh_minutes / 60);
	d.minutes = (unsigned)(fi->refresh_minutes % 60);
	if ((p = icalproperty_new_refreshinterval(d)) != NULL) {
		icalproperty_add_parameter(p,
		    icalparameter_new_value(ICAL_VALUE_DURATION));
		icalcomponent_add_property(cal, p);
	}
	if ((ttl = icaldurationtype_as_ical_string_r(d)) != NULL &&
	    (p = icalproperty_new_x(ttl)) != NULL) {
		icalproperty_set_x_name(p, "X-PUBLISHED-TTL");
		icalcomponent_add_property(cal, p);
	}
	free(ttl);
}

char *
ics_calendar(enum ics_method m, const struct ics_event *ev, size_t n,
    size_t *lenp)
{
	return ics_calendar_feed(m, ev, n, NULL, lenp);
}

/* The VCALENDAR of ics_calendar_feed, as a component the caller frees. */
static icalcomponent *
calendar_build(enum ics_method m, const struct ics_event *ev, size_t n,
    const struct ics_feedinfo *fi)
{
	icalcomponent *cal, *c, *tz;
	size_t i;

	if (ltime_zone() == NULL || (n > 0 && ev == NULL))
		return NULL;
	if ((cal = icalcomponent_new_vcalendar()) == NULL)
		return NULL;
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_prodid(ICS_PRODID));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	if (m == ICS_METHOD_REQUEST)
		icalcomponent_add_property(cal,
		    icalproperty_new_method(ICAL_METHOD_REQUEST));
	else if (m == ICS_METHOD_CANCEL)
		icalcomponent_add_property(cal,
		    icalproperty_new_method(ICAL_METHOD_CANCEL));
	if (fi != NULL)
		add_feedinfo(cal, fi);
	if (n > 0) {
		if ((tz = london_vtimezone()) == NULL)
			goto fail;
		icalcomponent_add_component(cal, tz);
	}
	for (i = 0; i < n; i++) {
		if ((c = build_event(&ev[i], m)) == NULL)
			goto fail;
		icalcomponent_add_component(cal, c);
	}
	return cal;
fail:
	icalcomponent_free(cal);
	return NULL;
}

char *
ics_calendar_feed(enum ics_method m, const struct ics_event *ev, size_t n,
    const struct ics_feedinfo *fi, size_t *lenp)
{
	icalcomponent *cal;
	char *text;

	if ((cal = calendar_build(m, ev, n, fi)) == NULL)
		return NULL;
	text = icalcomponent_as_ical_string_r(cal);
	if (text != NULL && lenp != NULL)
		*lenp = strlen(text);
	icalcomponent_free(cal);
	return text;
}

/*
 * Shapes already checked. libical's restriction check (RFC 5546) asks
 * which properties each component has and how many (none, one, more),
 * and looks at the values of METHOD and STATUS only; the re-parse before
 * it finds what the serialiser cannot write. Both cost a fifth of a
 * booking's CPU in Convene (docs/performance.md) and give the same answer
 * for every object of one shape, so each shape is checked once per
 * process. A shape is the hash of, component by component, its kind, the
 * count of each property kind (capped at 2) and those two values.
 */
static pthread_mutex_t shapes_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char shapes[ICS_SHAPES_MAX][ICS_SHAPE_BYTES];
static int nshapes;
static atomic_long checks_run;

static void
shape_walk(crypto_generichash_state *st, icalcomponent *c)
{
	unsigned char count[ICAL_NO_PROPERTY + 1];
	icalproperty *p;
	icalcomponent *k;
	int v[2];

	memset(count, 0, sizeof(count));
	v[0] = (int)icalcomponent_isa(c);
	v[1] = 0;
	for (p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(c,
	    ICAL_ANY_PROPERTY)) {
		icalproperty_kind pk = icalproperty_isa(p);

		if ((int)pk >= 0 && pk <= ICAL_NO_PROPERTY && count[pk] < 2)
			count[pk]++;
		if (pk == ICAL_STATUS_PROPERTY)
			v[1] += 1000 + (int)icalproperty_get_status(p);
		else if (pk == ICAL_METHOD_PROPERTY)
			v[1] += 100000 * (int)icalproperty_get_method(p);
	}
	crypto_generichash_update(st, (const unsigned char *)v, sizeof(v));
	crypto_generichash_update(st, count, sizeof(count));
	for (k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	    k != NULL; k = icalcomponent_get_next_component(c,
	    ICAL_ANY_COMPONENT))
		shape_walk(st, k);
	v[0] = v[1] = -1;	/* the end of c's components */
	crypto_generichash_update(st, (const unsigned char *)v, sizeof(v));
}

static int
shape_known(const unsigned char *h)
{
	int i, known = 0;

	pthread_mutex_lock(&shapes_mu);
	for (i = 0; i < nshapes && !known; i++)
		known = memcmp(shapes[i], h, ICS_SHAPE_BYTES) == 0;
	pthread_mutex_unlock(&shapes_mu);
	return known;
}

/* Once the table is full, further shapes are checked every time. */
static void
shape_add(const unsigned char *h)
{
	pthread_mutex_lock(&shapes_mu);
	if (nshapes < ICS_SHAPES_MAX)
		memcpy(shapes[nshapes++], h, ICS_SHAPE_BYTES);
	pthread_mutex_unlock(&shapes_mu);
}

long
ics_checks_run(void)
{
	return atomic_load(&checks_run);
}

/*
 * The text is written whole once; each recipient's object is that text
 * with the ORGANIZER content line, as libical writes that property alone,
 * in place of the first one. libical writes a component as the
 * concatenation of its properties' own texts, so the result is the same
 * bytes as writing the whole object again (test_ics), for a quarter of the
 * cost with four recipients. When the line cannot be found exactly once,
 * every object is written whole.
 */
struct ics_invite {
	icalcomponent	*cal;
	icalproperty	*organizer;	/* the VEVENT's, owned by cal */
	unsigned char	 shape[ICS_SHAPE_BYTES];
	char		*text;		/* the whole object, or NULL */
	size_t		 at, oldlen;	/* where its ORGANIZER line is */
};

/* Find the ORGANIZER line of iv's whole text; leaves iv->text NULL when it
 * is not there exactly once, at the start of a line. */
static void
invite_template(struct ics_invite *iv)
{
	char *line = NULL, *hit, *again;

	if ((iv->text = icalcomponent_as_ical_string_r(iv->cal)) == NULL ||
	    (line = icalproperty_as_ical_string_r(iv->organizer)) == NULL)
		goto none;
	hit = strstr(iv->text, line);
	if (hit == NULL || hit == iv->text || hit[-1] != '\n')
		goto none;
	again = strstr(hit + 1, line);
	if (again != NULL)
		goto none;
	iv->at = (size_t)(hit - iv->text);
	iv->oldlen = strlen(line);
	free(line);
	return;
none:
	free(line);
	free(iv->text);
	iv->text = NULL;
}

/* iv's text with line in place of its ORGANIZER line, into a new string. */
static char *
invite_splice(const struct ics_invite *iv, const char *line, size_t *lenp)
{
	size_t total = strlen(iv->text), n = strlen(line), len;
	char *out;

	len = total - iv->oldlen + n;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, iv->text, iv->at);
	memcpy(out + iv->at, line, n);
	memcpy(out + iv->at + n, iv->text + iv->at + iv->oldlen,
	    total - iv->at - iv->oldlen + 1);
	*lenp = len;
	return out;
}

struct ics_invite *
ics_invite_new(enum ics_method m, const struct ics_event *ev)
{
	crypto_generichash_state st;
	struct ics_invite *iv;
	icalcomponent *vev;

	if ((iv = calloc(1, sizeof(*iv))) == NULL)
		return NULL;
	if ((iv->cal = calendar_build(m, ev, 1, NULL)) == NULL ||
	    (vev = icalcomponent_get_first_component(iv->cal,
	    ICAL_VEVENT_COMPONENT)) == NULL ||
	    (iv->organizer = icalcomponent_get_first_property(vev,
	    ICAL_ORGANIZER_PROPERTY)) == NULL) {
		ics_invite_free(iv);
		return NULL;
	}
	crypto_generichash_init(&st, NULL, 0, ICS_SHAPE_BYTES);
	shape_walk(&st, iv->cal);
	crypto_generichash_final(&st, iv->shape, ICS_SHAPE_BYTES);
	invite_template(iv);
	return iv;
}

char *
ics_invite_text(struct ics_invite *iv, const char *organizer_email,
    size_t *lenp)
{
	char addr[300], *text, *line;
	size_t len;

	if (iv == NULL || organizer_email == NULL ||
	    mailto(organizer_email, addr, sizeof(addr)) != 0)
		return NULL;
	icalproperty_set_organizer(iv->organizer, addr);
	if (iv->text != NULL) {
		if ((line = icalproperty_as_ical_string_r(iv->organizer)) ==
		    NULL)
			return NULL;
		text = invite_splice(iv, line, &len);
		free(line);
		if (text == NULL)
			return NULL;
	} else if ((text = icalcomponent_as_ical_string_r(iv->cal)) == NULL)
		return NULL;
	else
		len = strlen(text);
	if (!shape_known(iv->shape)) {
		atomic_fetch_add(&checks_run, 1);
		if (ics_count_errors(text) != 0) {
			free(text);
			return NULL;
		}
		shape_add(iv->shape);
	}
	if (lenp != NULL)
		*lenp = len;
	return text;
}

void
ics_invite_free(struct ics_invite *iv)
{
	if (iv == NULL)
		return;
	if (iv->cal != NULL)
		icalcomponent_free(iv->cal);
	free(iv->text);
	free(iv);
}

int
ics_count_errors(const char *text)
{
	icalcomponent *c;
	int n;

	if (text == NULL || (c = icalparser_parse_string(text)) == NULL)
		return -1;
	if (icalcomponent_isa(c) != ICAL_VCALENDAR_COMPONENT) {
		icalcomponent_free(c);
		return -1;
	}
	(void)icalrestriction_check(c);
	n = icalcomponent_count_errors(c);
	icalcomponent_free(c);
	return n;
}
