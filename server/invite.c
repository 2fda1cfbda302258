/*
 * invite: XXX queuing of iCalendar emails is not built yet (issue 4); until
 * it is, changes queue nothing and this says so in the log once.
 */
#include "invite.h"
#include "log.h"

int
invite_queue(struct db *db, long id, enum invite_kind kind,
    const long *participant)
{
	static int said;

	(void)db;
	(void)id;
	(void)kind;
	(void)participant;
	if (!said) {
		said = 1;
		log_info("invite", "invites are not sent yet");
	}
	return 0;
}
