/*
 * rota: an organisation's duty contact (a shared inbox and a phone number)
 * and its rota, the named contacts on duty for time windows (issue 13,
 * part 3; docs/chasers.md). The chaser escalates to the duty inbox; the
 * booking form suggests the contact on duty for the chosen slot. Admins of
 * the authority that created the organisation change it; everyone signed
 * in reads it (it is directory data, not case data).
 */
#ifndef CONVENE_ROTA_H
#define CONVENE_ROTA_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

#define ROTA_MAX_ENTRIES	200	/* windows a PUT may carry */

struct rota_entry {
	long	contact_id;
	time_t	starts_at;
	time_t	ends_at;
};

/*
 * The duty setup of organisation id: {"organisation_id", "organisation",
 * "agency", "duty_email", "duty_phone", "rota": [{"contact_id", "name",
 * "email", "phone", "starts_at", "ends_at"}]} in start order. body is
 * unused (api_op shape). 404 in e when there is no such organisation.
 */
int	 rota_get(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

/*
 * Replace the duty setup of organisation id with body {"duty_email",
 * "duty_phone", "rota"} (each optional; absent means none). Checked in
 * full before writing (422 naming the field, e.g. "rota[2].starts_at" for
 * an overlap); then one transaction with an audit entry
 * ("organisation.duty"). 403 when the organisation belongs to another
 * authority's admins. *out as rota_get.
 */
int	 rota_put(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

/* Do two of the windows r[0..n) share a second (in any order)? -1 with
 * *a < *b the first such pair, else 0 (a and b untouched). Pure. */
int	 rota_overlap(const struct rota_entry *r, size_t n, size_t *a,
	    size_t *b);

/*
 * Who is on duty at `at`, per organisation that has a duty inbox, a duty
 * phone or a rota window then; agency "" for all: [{"organisation_id",
 * "organisation", "agency", "duty_email", "duty_phone", "on_duty":
 * {"contact_id", "name", "email", "phone", "until"} or null}]. The caller
 * owns the result; NULL when the database failed.
 */
json_t	*rota_on_duty(struct db *db, time_t at, const char *agency);

/* The active contacts of organisation id, by name: [{"value", "text"}]
 * for a select. NULL when the database failed. */
json_t	*rota_contacts(struct db *db, long id);

#endif
