/*
 * web: the GOV.UK-style pages social workers, managers and administrators
 * use. server/web.c holds the route table, page rendering (server/tmpl.c
 * templates under CONVENE_PAGES_DIR), the HTML error page, static assets and
 * the helpers every page shares; each concern has its own file:
 *
 *   web_auth.c       sign in and out, throttling repeated failures
 *   web_mfa.c        the second factor: the code page, /account/mfa, an
 *                    administrator's reset
 *   web_home.c       the home page
 *   web_book.c       book a strategy meeting: form, check answers, confirm
 *   web_meeting.c    one meeting: details, history, reschedule, invitees,
 *                    cancel
 *   web_attend.c     record attendance and outcome, the result page
 *   web_record.c     the record of the strategy discussion: its form, its
 *                    view on the meeting page, the history in words
 *   web_list.c       all discussions, with filters and paging
 *   web_directory.c  the contacts directory and its administration
 *   web_admin.c      users and teams
 *   web_authority.c  the authority's settings (statutory agencies, target)
 *
 * Every write goes through a model function (meeting_*, auth_user_add) or,
 * for the directory, one transaction with its audit entry. Handlers build a
 * JSON view and render it; no HTML is built in C.
 */
#ifndef CONVENE_WEB_H
#define CONVENE_WEB_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "ltime.h"

struct agency_list;
struct app;
struct auth_user;
struct buf;
struct db;
struct discussion;
struct discussion_summary;
struct participant;
struct http_req;
struct http_resp;
struct verr;

#define WEB_PER_PAGE	25		/* rows per list page */
/* Bytes that hold a field of n characters (UTF-8) and show it was longer:
 * web_field() cuts at this size, so an over-long value stays over-long. */
#define WEB_BUF(n)	(((n) + 1) * 4 + 1)
#define WEB_NAME_BUF	WEB_BUF(200)	/* names, roles, organisations */
#define WEB_MAX_EXTRA	10		/* "add another" rows on one form */

/* Load the page templates, work out the asset version and install the HTML
 * error page. Call once before the server starts. 0, or -1 with err. */
int	 web_init(struct app *app, char *err, size_t errlen);
void	 web_free(void);

/* ---- rendering ------------------------------------------------------------ */

/* Render template name with data (reference stolen), adding what the layout
 * needs (title, signed-in user, navigation, CSRF token, asset version).
 * Returns status, or 500 with an empty body when rendering failed. */
int	 web_page(struct http_req *rq, struct http_resp *rs, int status,
	    const char *name, const char *title, json_t *data);
/* 303 to a local path built from fmt. Returns the status. */
int	 web_redirectf(struct http_resp *rs, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A model failure as a page: 500 stays empty for the error page, anything
 * else shows the error page with the message. Returns the status. */
int	 web_fail(struct http_req *rq, struct http_resp *rs,
	    const struct verr *e);

/* ---- forms ----------------------------------------------------------------- */

/* Errors found on one form, in page order, for the GOV.UK error summary
 * ("error_list": [{href, text}]) and the fields ("err": {key: text}). */
struct web_errors {
	json_t	*list;
	json_t	*by_key;
};

void	 web_errors_init(struct web_errors *we);
/* Record an error for field key; the summary links to #anchor (key when
 * NULL). Only the first error per key is kept. */
void	 web_error(struct web_errors *we, const char *key, const char *anchor,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	 web_errors_any(const struct web_errors *we);
/* Move the errors into data as "error_list" and "err"; we is emptied. */
void	 web_errors_put(struct web_errors *we, json_t *data);
void	 web_errors_free(struct web_errors *we);
/* A model validation error as a form error: key is mapped from the model's
 * field name by map (NULL-ended pairs {model_prefix, key}); the message
 * loses its "field: " prefix and gains a capital. */
void	 web_error_verr(struct web_errors *we, const struct verr *e,
	    const char *const *map);

/*
 * A form field's view for the field_* partials: {id, name, label, hint,
 * value, error, describedby} plus every optional key set to null (type
 * "text"). The error comes from we by id. Callers add width, rows, items...
 */
json_t	*web_fld(const struct web_errors *we, const char *id,
	    const char *label, const char *hint, const char *value);
/* A GOV.UK date input view (day/month/year from rq's form when rq is not
 * NULL), with a time field "prefix-time" when with_time. */
json_t	*web_fld_date(const struct web_errors *we, const struct http_req *rq,
	    const char *prefix, const char *label, const char *hint,
	    int with_time);
/* Fill a date view from "YYYY-MM-DD" (and the time from "HH:MM"). */
void	 web_fld_set_date(json_t *f, const char *ymd, const char *hm);
/* Radio or checkbox items from NULL-ended {value, text} pairs; the first
 * item's id is id (the error summary links to it). */
json_t	*web_choices(const char *id, const char *const *pairs,
	    const char *current);

/* The form value for key, trimmed of surrounding blanks into out; "" when
 * missing. */
const char *web_field(const struct http_req *rq, const char *key, char *out,
	    size_t outlen);
/* Every form field as a JSON object of strings (first value per key). */
json_t	*web_form_values(const struct http_req *rq);
/* Every form field as hidden-field rows [{name, value}], minus csrf_token
 * and action. */
json_t	*web_form_hidden(const struct http_req *rq);

/* Check text: required, at most max characters, no control characters
 * (multiline allows newlines). Records an error and returns -1 on failure;
 * label starts the message ("Enter the reason"). */
int	 web_check_text(struct web_errors *we, const char *key,
	    const char *value, int required, size_t max, int multiline,
	    const char *what);
/* A GOV.UK date input prefix-day/-month/-year: "" (optional, all empty) or
 * "YYYY-MM-DD" into out (11 bytes). -1 with an error recorded. */
int	 web_date(const struct http_req *rq, struct web_errors *we,
	    const char *prefix, int required, const char *what, char *out);
/* A date input plus prefix-time ("14:30", "2:30pm", "9am"): the instant
 * into *t. -1 with an error recorded. */
int	 web_datetime(const struct http_req *rq, struct web_errors *we,
	    const char *prefix, const char *what, time_t *t);
/* A time of day as people type it; 0 with hour and minute. */
int	 web_parse_time(const char *s, int *h, int *mi);

/* ---- wording ---------------------------------------------------------------- */

/* Human names for codes; the code itself when unknown. */
const char *web_agency_name(const char *code);
void web_agency_set(int i, const char *code, const char *name);
const char *web_class_name(const char *code);
const char *web_class_colour(const char *code);	/* govuk-tag--... */
const char *web_status_name(const char *code);
const char *web_attendance_name(const char *code);
const char *web_decision_name(const char *code);
const char *web_format_name(const char *code);
/* The agency codes in display order, NULL-ended. */
#define WEB_MAX_AGENCIES	16
/* The agency codes in display order, NULL-ended (read at web_init). */
extern const char *web_agencies[];
/* "Wednesday 2 December 2026, 10:00" for an ISO time; "" when NULL. */
void	 web_when(const char *iso, char *out, size_t outlen);
/* "2 December 2026" for "YYYY-MM-DD". */
void	 web_day(const char *ymd, char *out, size_t outlen);
/* "health and police" from a JSON array of agency codes. */
void	 web_agency_list(json_t *codes, char *out, size_t outlen);
/* The same for a model agency list. */
void	 web_agency_words(const struct agency_list *l, char *out,
	    size_t outlen);
/* Today's date in London, "YYYY-MM-DD". */
void	 web_today(char *out, size_t outlen);
/* A list row view of a summary from model_list_load: {id, case_ref, team,
 * when, status, status_text, kind_text, tag (actual, else planned), held,
 * missing, is_meeting}. */
json_t	*web_meeting_row(const struct discussion_summary *m);
/* Discussion {id} (the route's first parameter) as the user may see it,
 * read with model_discussion_load: 0, or -1 with the response sent (404
 * when it is not visible, as meeting_get answers). The caller frees *d. */
int	 web_discussion_load(struct http_req *rq, struct http_resp *rs,
	    long *id, struct discussion **d);
/* The same row view of a discussion read by model_discussion_load. */
json_t	*web_discussion_row(const struct discussion *d);
/* A tag view {code, text, colour} for a classification; NULL for NULL. */
json_t	*web_class_tag(const char *code);

/* web_partner.c: the invitation named by the path's pack token (the
 * route's first parameter), open to its contact: 0 with the participant,
 * contact and discussion, else -1 with the answer sent. */
int	 web_partner_invitation(struct http_req *rq, struct http_resp *rs,
	    long *pid, long *cid, long *did);
/* Set the partner session cookie (value "" and max_age 0 clear it). */
int	 web_partner_cookie(struct http_req *rq, struct http_resp *rs,
	    const char *value, int max_age);
/* web_sso.c: the authorisation request (code, PKCE S256, state, nonce)
 * onto b; 0, -1 when b is full. */
int	 web_sso_authorize_url(struct buf *b, const char *authz,
	    const char *client_id, const char *redirect_uri, const char *state,
	    const char *nonce, const char *challenge);
/* 1 when s is OIDC_RANDOM_LEN base64url characters, as oidc_random makes
 * them (a state, from a query or a cookie). */
int	 web_sso_random_ok(const char *s);

/* ---- handlers (route table in web.c) ------------------------------------ */

int	 web_static(struct http_req *, struct http_resp *);
int	 web_auth_form(struct http_req *, struct http_resp *);
int	 web_auth_sign_in(struct http_req *, struct http_resp *);
int	 web_auth_sign_out(struct http_req *, struct http_resp *);
int	 web_account_password_form(struct http_req *, struct http_resp *);
/* After a correct password for u, who has TOTP: the second step's state
 * and a redirect to its page (web_mfa.c). Returns the status. */
int	 web_mfa_challenge(struct http_req *, struct http_resp *,
	    const struct auth_user *u);
int	 web_mfa_code_form(struct http_req *, struct http_resp *);
int	 web_mfa_code_post(struct http_req *, struct http_resp *);
int	 web_mfa_account(struct http_req *, struct http_resp *);
int	 web_mfa_enrol_post(struct http_req *, struct http_resp *);
int	 web_mfa_recovery_post(struct http_req *, struct http_resp *);
int	 web_mfa_disable_post(struct http_req *, struct http_resp *);
int	 web_admin_user_mfa_reset(struct http_req *, struct http_resp *);
int	 web_admin_user_deactivate(struct http_req *, struct http_resp *);
int	 web_admin_user_reactivate(struct http_req *, struct http_resp *);
int	 web_admin_user_reset(struct http_req *, struct http_resp *);
int	 web_account_password_post(struct http_req *, struct http_resp *);
int	 web_home(struct http_req *, struct http_resp *);
int	 web_book_form(struct http_req *, struct http_resp *);
int	 web_book_post(struct http_req *, struct http_resp *);
int	 web_book_done(struct http_req *, struct http_resp *);
int	 web_meeting_show(struct http_req *, struct http_resp *);
int	 web_meeting_resched_form(struct http_req *, struct http_resp *);
int	 web_meeting_resched_post(struct http_req *, struct http_resp *);
int	 web_meeting_invitees_form(struct http_req *, struct http_resp *);
int	 web_meeting_invitees_post(struct http_req *, struct http_resp *);
int	 web_meeting_cancel_form(struct http_req *, struct http_resp *);
int	 web_meeting_cancel_post(struct http_req *, struct http_resp *);
int	 web_attend_form(struct http_req *, struct http_resp *);
int	 web_attend_post(struct http_req *, struct http_resp *);
int	 web_attend_done(struct http_req *, struct http_resp *);
int	 web_record_form(struct http_req *, struct http_resp *);
int	 web_record_post(struct http_req *, struct http_resp *);
int	 web_list(struct http_req *, struct http_resp *);
int	 web_dir_list(struct http_req *, struct http_resp *);
int	 web_dir_contact_form(struct http_req *, struct http_resp *);
int	 web_dir_contact_post(struct http_req *, struct http_resp *);
int	 web_dir_org_form(struct http_req *, struct http_resp *);
int	 web_dir_org_post(struct http_req *, struct http_resp *);
int	 web_admin_users(struct http_req *, struct http_resp *);
int	 web_admin_user_form(struct http_req *, struct http_resp *);
int	 web_admin_user_post(struct http_req *, struct http_resp *);
int	 web_admin_team_post(struct http_req *, struct http_resp *);

/* Rows of "someone not in the directory" fields PREFIX-N-name, -email,
 * -agency, -organisation, -role (and -attendance when with_attendance),
 * n of them, filled from rq's form. */
json_t	*web_extra_rows(const struct http_req *rq, const struct web_errors *we,
	    const char *prefix, int n, int with_attendance);

/* One such row as a participant object for the model: NULL when the row
 * is empty, JSON null (errors recorded) when it is invalid. *agency is the
 * agency code. */
json_t	*web_parse_person(struct http_req *rq, struct web_errors *we,
	    const char *prefix, int i, const char **agency);
/* A discussion's participants grouped by agency for the page: [{agency,
 * name, people: [{id, name, organisation, role, email, response,
 * attendance, attendance_code, removed, on_day}]}]. When more is not NULL
 * it is called with each person's view to add the page's own fields. */
json_t	*web_participant_groups(const struct discussion *d,
	    int include_removed, void (*more)(json_t *person,
	    const struct participant *p, void *arg), void *arg);

/* The meeting page of m (visibility checked), with the authorisation
 * form's errors when we is not NULL and has any (then 422). */
struct web_errors;
int	 web_meeting_page(struct http_req *rq, struct http_resp *rs,
	    const struct discussion *m, struct web_errors *we);
/* The authorisation panel of m into data ("authorisation"); we: the
 * form's errors (may be NULL). 0 or -1. */
int	 web_authorise_view(struct http_req *rq, const struct discussion *m,
	    json_t *data, const struct web_errors *we);
int	 web_authorise_submit_post(struct http_req *rq, struct http_resp *rs);
/* POST /meetings/{id}/actions/{aid}: an action's status. */
int	 web_meeting_action_post(struct http_req *rq, struct http_resp *rs);
int	 web_authorise_post(struct http_req *rq, struct http_resp *rs);
/* Approval before the meeting: the panel into data ("approval"), and the
 * manager's form. */
int	 web_approval_view(struct http_req *rq, const struct discussion *m,
	    json_t *data, const struct web_errors *we);
int	 web_approval_post(struct http_req *rq, struct http_resp *rs);
/* A Section 47 enquiry's page and its form (server/web_enquiry.c), and
 * the words of an enquiry's clock for any page: clock_text ("Day 9 of 15
 * working days, conference not booked"), tag, overdue, due_text, ... */
void	 web_enquiry_words(json_t *e);
int	 web_enquiry_form(struct http_req *rq, struct http_resp *rs);
int	 web_case_page(struct http_req *rq, struct http_resp *rs);
int	 web_case_transfer_post(struct http_req *rq, struct http_resp *rs);
int	 web_admin_team_front_door(struct http_req *rq, struct http_resp *rs);
int	 web_enquiry_post(struct http_req *rq, struct http_resp *rs);

/* The record and the history in words for the meeting page of discussion
 * d (already checked visible): sets "record", "record_section",
 * "can_write_record", "record_written" and "history" in data. 0, or -1 on
 * a database error. */
int	 web_record_meeting_view(struct http_req *rq,
	    const struct discussion *d, json_t *data);

/* ---- shared reads ------------------------------------------------------------- */

/* The directory's active contacts grouped by agency:
 * [{agency, name, contacts: [{id, name, role, organisation, email,
 * checked}]}]; checked when the id is in ids[0..n). NULL on error. */
json_t	*web_directory_groups(struct db *db, const long *ids, size_t n);
/* The statutory agency codes of the user's authority, as a JSON array. */
json_t	*web_statutory(struct db *db, long authority_id);

#endif
