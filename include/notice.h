/*
 * notice: plain-text emails about a discussion (sign-in codes for partners,
 * requests to check a record, chasers and escalations). They go through
 * the invites' outbox (outbox.h), so they are queued in the caller's
 * transaction and delivered once by any instance. A notice never carries
 * a child's name or date of birth: the text says what happened and links
 * to a page behind sign-in.
 */
#ifndef CONVENE_NOTICE_H
#define CONVENE_NOTICE_H

#include <stddef.h>

struct config;
struct db;

#define NOTICE_SUBJECT_MAX	200	/* bytes */
#define NOTICE_TEXT_MAX		(32 * 1024)

/*
 * The notice kinds, in outbox.kind (sql/031 lists the same words in its
 * CHECK; tests/integration/test_notice_kinds.py compares the two).
 */
#define NOTICE_KINDS(X)							\
	X(NOTICE_PARTNER_CODE,	"partner_code")				\
	X(NOTICE_RECORD_CHECK,	"record_check")				\
	X(NOTICE_CHASE_REMINDER, "chase_reminder")			\
	X(NOTICE_CHASE_ESCALATION, "chase_escalation")			\
	X(NOTICE_CHASE_WORKER,	"chase_worker")

enum notice_kind {
#define X(e, w)	e,
	NOTICE_KINDS(X)
#undef X
	NOTICE_NKINDS
};

const char *notice_kind_word(enum notice_kind k);

/* Take the sender and base URL. Call once at start-up, before threads. */
int	 notice_init(const struct config *cfg);

/* The service's base URL (no trailing slash), for links in notices. */
const char *notice_base_url(void);

/*
 * Queue one notice to to_addr in the caller's transaction. participant
 * may be 0. subject and text are UTF-8 and must hold no child data (the
 * caller's duty). 0 on success, -1 on error (logged).
 */
int	 notice_queue(struct db *db, long discussion, long participant,
	    enum notice_kind kind, const char *to_addr, const char *subject,
	    const char *text);

#endif
