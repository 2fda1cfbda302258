/*
 * ics: building iCalendar objects with libical 3.0. Nothing here writes
 * iCalendar text by hand: libical escapes TEXT values, quotes parameters and
 * folds lines at 75 octets. Times are written as Europe/London wall-clock
 * times with TZID=Europe/London and an embedded VTIMEZONE in the two-rule
 * (RRULE) form that Outlook, Gmail and Apple Calendar all read correctly.
 * Pure functions: no database, safe from any thread after ltime_init().
 */
#ifndef CONVENE_ICS_H
#define CONVENE_ICS_H

#include <stddef.h>
#include <time.h>

#define ICS_MAX_ATTENDEES	128
#define ICS_TZID		"Europe/London"
#define ICS_PRODID		"-//Convene//Strategy meetings 1.0//EN"

enum ics_method {
	ICS_METHOD_NONE,	/* feeds and downloads: no METHOD */
	ICS_METHOD_REQUEST,
	ICS_METHOD_CANCEL
};

enum ics_role {
	ICS_ROLE_CHAIR,
	ICS_ROLE_REQ,		/* a statutory agency's invitee */
	ICS_ROLE_OPT
};

struct ics_attendee {
	const char	*name;		/* CN; may be NULL */
	const char	*email;		/* required, without "mailto:" */
	enum ics_role	 role;
	/* "NEEDS-ACTION" etc. with RSVP=TRUE; NULL leaves out PARTSTAT and
	 * RSVP (feeds, which nobody replies to) */
	const char	*partstat;
};

struct ics_event {
	const char			*uid;
	long				 sequence;
	time_t				 dtstamp;	/* UTC */
	time_t				 starts, ends;
	int				 cancelled;	/* STATUS:CANCELLED */
	/* No STATUS at all: the CANCEL that uninvites one person (RFC 5546
	 * 3.2.5: STATUS must be absent when the event itself goes on). */
	int				 no_status;
	const char			*klass;		/* "PRIVATE" or NULL:
							   CONFIDENTIAL */
	const char			*summary;
	const char			*description;
	const char			*location;	/* may be NULL or "" */
	const char			*url;		/* may be NULL */
	const char			*organizer_email;
	const char			*organizer_name; /* CN; may be "" */
	const struct ics_attendee	*attendees;
	size_t				 nattendees;
};

/* Calendar-level naming for subscription feeds (RFC 7986 and the X-
 * properties Outlook and Apple read instead). */
struct ics_feedinfo {
	const char	*name;		/* NAME and X-WR-CALNAME */
	int		 refresh_minutes; /* REFRESH-INTERVAL, X-PUBLISHED-TTL */
};

/* "REQUEST", "CANCEL", or "" for ICS_METHOD_NONE. */
const char *ics_method_name(enum ics_method m);

/*
 * Serialise one VCALENDAR (VERSION, PRODID, METHOD unless NONE, the
 * Europe/London VTIMEZONE when n > 0) holding the n events. An event whose
 * start or end falls in the repeated hour gets both in UTC. In a CANCEL,
 * attendees carry neither PARTSTAT nor RSVP (nobody answers one). Returns text
 * with CRLF line ends that the caller frees with free(), and its length in
 * *lenp when lenp is not NULL; NULL on error (bad time, missing UID or
 * organiser, too many attendees, out of memory).
 */
char	*ics_calendar(enum ics_method m, const struct ics_event *ev, size_t n,
	    size_t *lenp);

/*
 * Parse text with libical, apply libical's iTIP restriction checks, and
 * return the number of errors it reports (X-LIC-ERROR properties); -1 when
 * the text is not a VCALENDAR at all.
 */
int	 ics_count_errors(const char *text);

/*
 * One change's invitation, built once and written out per recipient: the
 * objects of one change differ only in the ORGANIZER address (invite.c).
 * ics_invite_text gives ics_calendar's text for ev (n = 1) with
 * organizer_email as ORGANIZER, or NULL when it cannot be written or,
 * for the first object of its shape in this process, does not re-parse
 * with no errors under libical's restriction checks (ics_count_errors).
 * libical writes the object once; each recipient's text is that text with
 * libical's own serialization of their ORGANIZER property put in place of
 * the first one (a whole serialization when the line is not found once).
 */
#define ICS_SHAPES_MAX		64	/* shapes remembered as checked */
#define ICS_SHAPE_BYTES		16
struct ics_invite;
struct ics_invite *ics_invite_new(enum ics_method m,
	    const struct ics_event *ev);
char	*ics_invite_text(struct ics_invite *iv, const char *organizer_email,
	    size_t *lenp);
void	 ics_invite_free(struct ics_invite *iv);
/* How many full checks ics_invite_text has run (for the tests). */
long	 ics_checks_run(void);

/* ics_calendar with the feed's name and refresh interval (fi may be NULL:
 * then exactly ics_calendar). */
char	*ics_calendar_feed(enum ics_method m, const struct ics_event *ev,
	    size_t n, const struct ics_feedinfo *fi, size_t *lenp);

/*
 * 1 when t falls in the hour that repeats when London's clocks go back
 * (its wall-clock time also names another instant an hour away). Such
 * times are written in UTC: TZID=Europe/London with that wall-clock time
 * is the first (BST) occurrence for every client that follows RFC 5545,
 * so a GMT start would be read an hour early.
 */
int	 ics_time_ambiguous(time_t t);
/* "BST" or "GMT": London's zone at t. */
const char *ics_zone_abbr(time_t t);
/* ics_zone_abbr(t) when t is in the repeated hour, NULL otherwise. */
const char *ics_time_ambiguous_label(time_t t);

#endif
