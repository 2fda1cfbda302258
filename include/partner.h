/*
 * partner: what a partner (a directory contact from police, health,
 * education, ... invited to a discussion) may do, and how they prove who
 * they are. The invitation carries a signed link to the meeting pack,
 * /partner/{token}; the token names one invitation (participant) and is
 * signed with the RSVP links' key. Opening the pack takes a one-time code
 * sent to the contact's directory email (never the address the link was
 * forwarded to): 6 digits, PARTNER_CODE_SECONDS to live, single use,
 * PARTNER_CODE_TRIES tries, at most PARTNER_CODE_SENDS codes a contact per
 * PARTNER_CODE_SECONDS, and every check spends the sign-in budgets
 * (throttle.h). The code and link give a partner session for the contact.
 * A partner sees only discussions they are invited to (not removed, not
 * cancelled), from booking until the authority's access window closes
 * (authorities.partner_access_working_days working days after the day of
 * the meeting); every view of a pack or record is logged in record_views.
 * Only the HMAC of a code and the hash of a session id are stored.
 */
#ifndef CONVENE_PARTNER_H
#define CONVENE_PARTNER_H

#include <stddef.h>

#include <jansson.h>

#include "rsvp.h"

#define PARTNER_COOKIE		"convene_partner"
#define PARTNER_CODE_DIGITS	6
#define PARTNER_CODE_SECONDS	(10 * 60)
#define PARTNER_CODE_TRIES	5	/* wrong codes before one is spent */
#define PARTNER_CODE_SENDS	3	/* codes sent per contact per 10 min */
#define PARTNER_IDLE_SECONDS	(30 * 60)
#define PARTNER_MAX_SECONDS	(10 * 60 * 60)
#define PARTNER_TOKEN_MAX	64	/* characters, NUL included */
#define PARTNER_REASON_MAX	2000	/* a decline's reason (sql/032) */
#define PARTNER_VIEWS_MAX	200	/* view log rows on the meeting page */
#define PARTNER_ACCESS_DAYS_MAX	60	/* sql/032 CHECK */

struct db;

/* A signed-in partner: the contact and their session. */
struct partner {
	long	 contact_id;
	char	 name[201];
	char	 agency[33];
	char	 session_hash[65];
	char	 csrf[65];
};

/* The pack link's token for participant pid into out (PARTNER_TOKEN_MAX).
 * 0 on success. */
int	 partner_token_build(const unsigned char key[RSVP_KEY_BYTES], long pid,
	    char *out, size_t outlen);
/* 0 with *pid when token is a pack token under key (MAC compared in
 * constant time); -1 otherwise. */
int	 partner_token_verify(const unsigned char key[RSVP_KEY_BYTES],
	    const char *token, long *pid);
/* "https://base/partner/TOKEN" for participant pid into out. 0 on
 * success. */
int	 partner_link(struct db *db, const char *base_url, long pid, char *out,
	    size_t outlen);

/*
 * The invitation a verified token names: its contact (0 when the invitee
 * is not a directory contact) and discussion. 0 found, 1 not (or removed),
 * -1 database error.
 */
int	 partner_invitation(struct db *db, long pid, long *contact_id,
	    long *discussion);

/*
 * Make a code for contact_id and queue it by email to the contact's
 * directory address, in one transaction. 0 sent, 1 too many codes sent
 * lately (nothing sent), -1 error.
 */
int	 partner_code_send(struct db *db, long contact_id, long discussion,
	    long pid);
/*
 * Check code for contact_id, spending one try of the newest live code, in
 * one transaction. 0 right (the code is used up), 1 wrong, -1 error.
 */
int	 partner_code_check(struct db *db, long contact_id, const char *code);

/* Start a session for contact_id; the cookie value into cookie (65
 * bytes), the CSRF token into p. 0 on success. */
int	 partner_session_create(struct db *db, long contact_id, const char *via,
	    char *cookie, size_t cookielen, struct partner *p);
/* The partner of session cookie: 0 signed in (p filled), 1 not, -1 error.
 * Timed-out sessions are deleted. */
int	 partner_session_load(struct db *db, const char *cookie,
	    struct partner *p);
/* End a session (NULL-safe). */
void	 partner_session_end(struct db *db, const struct partner *p);
/* 0 when token equals the session's CSRF token (constant time). */
int	 partner_csrf_ok(const struct partner *p, const char *token);

/*
 * May contact_id see discussion? 0 yes (*pid: their invitation), 1 not
 * invited, cancelled or no such discussion (answer 404), 2 the access
 * window has closed, -1 database error.
 */
int	 partner_access(struct db *db, long contact_id, long discussion,
	    long *pid);
/* Append one view to record_views. page is "pack" or "record". 0 on
 * success. */
int	 partner_view_log(struct db *db, long discussion, long contact_id,
	    const char *page, const char *address);
/* The view log of discussion for its staff page: [{who, organisation,
 * agency, page, when, address}], newest first; NULL on error. */
json_t	*partner_views_json(struct db *db, long discussion);
/* The same into page data d as "partner_views" and "partner_views_any"
 * (templates/meeting_partner_views.html). 0, -1 on error. */
int	 partner_views_view(struct db *db, long discussion, json_t *d);
/* The partner's open invitations: [{id, case_ref, starts_at}]; NULL on
 * error. */
json_t	*partner_meetings_json(struct db *db, long contact_id);

struct verr;

/*
 * Add the partner's agency information to discussion's record (made as a
 * draft when there is none) as received in writing, and mark invitation
 * pid "sent information" unless it attended; one transaction with its
 * audit entry. Fields are checked by the caller (web_partner.c). 0, or -1
 * with e set (404, 409 when the record has been submitted or is full).
 */
int	 partner_information_add(struct db *db, long pid, long discussion,
	    const struct partner *pa, const char *information,
	    const char *checks, const char *from, struct verr *e);
/* Answer invitation pid from the pack; reason (NULL unless declining) is
 * kept in participants.reply_reason. 0, or -1 with e set (409 when the
 * meeting is over). */
int	 partner_reply(struct db *db, long pid, long discussion,
	    enum rsvp_answer ans, const char *reason, struct verr *e);

/*
 * Ask every partner invited to discussion (directory contacts with an
 * email, not users) to check its submitted record: one record_check email
 * each, with their pack link and no child data, in the caller's
 * transaction (authorise_submit). 0, -1 on error.
 */
int	 partner_record_check_queue(struct db *db, long discussion);
/*
 * A partner's answer to the record awaiting authorisation: accurate, or
 * dissent about (checked by the caller), which becomes a dissent entry of
 * the record for agency. One transaction with its audit entry. 0, or -1
 * with e set (409 when the record is not awaiting authorisation).
 */
int	 partner_record_check(struct db *db, long pid, long discussion,
	    const char *agency, int accurate, const char *about,
	    struct verr *e);
/* The partners' answers to the current version, into page data d as
 * "partner_checks" and "partner_checks_any". 0, -1 on error. */
int	 partner_checks_view(struct db *db, long discussion, json_t *d);
/* Mark action done when it is agency's (owned by the agency or by one of
 * its invitees). 0, or -1 with e set (404 when it is not theirs). */
int	 partner_action_done(struct db *db, long discussion, long action,
	    const char *agency, struct verr *e);

/*
 * TOTP (RFC 6238, liboath through mfa.c) instead of emailed codes. Once a
 * contact has confirmed a secret, they sign in with it and no code is
 * emailed. The secret is sealed bound to the contact.
 */
/* 1 when contact_id has a confirmed secret, 0 not, -1 error. */
int	 partner_totp_enrolled(struct db *db, long contact_id);
/* A new unconfirmed secret for contact_id, its base32 into b32
 * (MFA_SECRET_B32_MAX). 0, 1 when one is confirmed already, -1 error. */
int	 partner_totp_begin(struct db *db, long contact_id, char *b32,
	    size_t b32len);
/* Confirm the unconfirmed secret with its first code. 0 right, 1 wrong,
 * -1 error. */
int	 partner_totp_confirm(struct db *db, long contact_id, const char *code);
/* Check a code against the confirmed secret, refusing a time step used
 * before. 0 right, 1 wrong or replayed, -1 error. */
int	 partner_totp_check(struct db *db, long contact_id, const char *code);

struct auth_user;
/* An admin turns off the authenticator app of a contact their authority
 * created (codes are emailed again), with an audit entry. 0, 1 when there
 * is none (or the contact is another authority's), -1 error. */
int	 partner_totp_reset(struct db *db, const struct auth_user *admin,
	    long contact_id);

/* Delete spent and expired codes and timed-out sessions; the number
 * removed, -1 on error. */
long	 partner_purge(struct db *db);

#endif
